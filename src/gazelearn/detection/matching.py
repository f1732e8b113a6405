"""Event-level agreement: match events of two label sequences, then count hits.

Sample-level scores (kappa, F1 per sample) reward a detector for long fixations and hide whether
it finds each short saccade or PSO. Event-level scores count events instead: a true event is a
hit when a predicted event of the same type overlaps it. Matching follows Hooge et al. (2018):
each true event is paired with the earliest overlapping predicted event of the same type that is
not yet paired.

Hooge, I. T. C., Niehorster, D. C., Nyström, M., Andersson, R. & Hessels, R. S. (2018). Is human
classification by experienced untrained observers a gold standard in fixation detection?
Behavior Research Methods, 50(5), 1864-1881.

Examples
--------
>>> truth = np.array([1, 1, 1, 2, 2, 1, 1, 1])
>>> pred = np.array([1, 1, 2, 2, 1, 1, 1, 1])
>>> score = match_events(truth, pred, Label.SACCADE)
>>> score.hits, score.misses, score.false_alarms, score.f1
(1, 0, 0, 1.0)
>>> score.onset_offsets.tolist()  # predicted onset - true onset, in samples
[-1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gazelearn.errors import InputError
from gazelearn.events import label_runs
from gazelearn.labels import LABELS, Label


@dataclass(frozen=True)
class EventMatch:
    """Event-level agreement for one event type.

    Attributes
    ----------
    hits, misses, false_alarms : int
        Matched true events, unmatched true events, unmatched predicted events.
    onset_offsets, offset_offsets : numpy.ndarray
        For each hit, predicted minus true onset (offset) in samples.
    """

    label: str
    hits: int
    misses: int
    false_alarms: int
    onset_offsets: np.ndarray
    offset_offsets: np.ndarray

    @property
    def precision(self) -> float:
        found = self.hits + self.false_alarms
        return self.hits / found if found else float("nan")

    @property
    def recall(self) -> float:
        true = self.hits + self.misses
        return self.hits / true if true else float("nan")

    @property
    def f1(self) -> float:
        denominator = 2 * self.hits + self.misses + self.false_alarms
        return 2 * self.hits / denominator if denominator else float("nan")

    def __add__(self, other: EventMatch) -> EventMatch:
        """Pool two matches of the same type (e.g. over recordings)."""
        if other.label != self.label:
            raise ValueError(f"cannot pool {self.label} with {other.label}")
        return EventMatch(self.label, self.hits + other.hits, self.misses + other.misses,
                          self.false_alarms + other.false_alarms,
                          np.concatenate([self.onset_offsets, other.onset_offsets]),
                          np.concatenate([self.offset_offsets, other.offset_offsets]))

    def as_dict(self, sampling_rate: float | None = None) -> dict:
        """Counts, F1 and timing offsets (in ms when ``sampling_rate`` is given)."""
        scale = 1000.0 / sampling_rate if sampling_rate else 1.0
        unit = "ms" if sampling_rate else "samples"

        def stat(values, fn):
            return float(fn(values) * scale) if len(values) else float("nan")

        return {
            "label": self.label, "hits": self.hits, "misses": self.misses,
            "false_alarms": self.false_alarms, "precision": self.precision,
            "recall": self.recall, "f1": self.f1,
            f"onset_offset_mean_{unit}": stat(self.onset_offsets, np.mean),
            f"onset_offset_sd_{unit}": stat(self.onset_offsets, np.std),
            f"offset_offset_mean_{unit}": stat(self.offset_offsets, np.mean),
            f"offset_offset_sd_{unit}": stat(self.offset_offsets, np.std),
        }


def _runs_of(labels: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
    starts, stops, codes = label_runs(np.asarray(labels))
    keep = codes == label
    return starts[keep], stops[keep]


def match_events(truth: np.ndarray, pred: np.ndarray, label: int) -> EventMatch:
    """Match the events of one type between two per-sample label sequences.

    Events of one type in one sequence never overlap each other, so a single pass over both
    time-ordered lists finds, for every true event, the earliest overlapping free predicted one.
    """
    truth = np.asarray(truth)
    pred = np.asarray(pred)
    if truth.shape != pred.shape:
        raise InputError(f"truth has {len(truth)} samples, prediction {len(pred)}; "
                         "expected the same recording")
    t_starts, t_stops = _runs_of(truth, label)
    p_starts, p_stops = _runs_of(pred, label)
    onset_offsets: list[int] = []
    offset_offsets: list[int] = []
    j = 0
    for start, stop in zip(t_starts, t_stops, strict=True):
        while j < len(p_starts) and p_stops[j] <= start:
            j += 1  # predicted events ending before this true event can match no later one
        if j < len(p_starts) and p_starts[j] < stop:
            onset_offsets.append(int(p_starts[j] - start))
            offset_offsets.append(int(p_stops[j] - stop))
            j += 1
    hits = len(onset_offsets)
    return EventMatch(
        label=LABELS[int(label)],
        hits=hits,
        misses=len(t_starts) - hits,
        false_alarms=len(p_starts) - hits,
        onset_offsets=np.array(onset_offsets, dtype=np.int64),
        offset_offsets=np.array(offset_offsets, dtype=np.int64),
    )


def event_scores(truth: np.ndarray, pred: np.ndarray, labels=None) -> dict[str, EventMatch]:
    """:func:`match_events` for every event type present in either sequence (or ``labels``)."""
    if labels is None:
        present = np.union1d(np.unique(truth), np.unique(pred))
        labels = [int(c) for c in present if c != Label.UNDEFINED]
    return {LABELS[int(c)]: match_events(truth, pred, int(c)) for c in labels}
