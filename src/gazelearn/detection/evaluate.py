"""Scores of a detector against reference labels: samples and events.

Sample level, pooled over recordings: accuracy, Cohen's kappa, one-vs-rest kappa per class
(Andersson et al. 2017), per-class F1 and the confusion matrix. Event level: hits, misses,
false alarms, F1 and onset/offset timing per class (:mod:`gazelearn.detection.matching`).

Examples
--------
>>> truth = np.array([1, 1, 1, 2, 2, 1, 1, 1])
>>> pred = np.array([1, 1, 2, 2, 1, 1, 1, 1])
>>> scores = evaluate_labels([(truth, pred)], sampling_rate=500.0)
>>> # by hand: agreement 6/8, chance (6/8)^2 + (2/8)^2, kappa (0.75 - 0.625) / 0.375
>>> round(scores.kappa_per_class["saccade"], 3), scores.events["saccade"].f1
(0.333, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from gazelearn import metrics
from gazelearn.detection.matching import EventMatch, event_scores
from gazelearn.errors import InputError
from gazelearn.labels import LABELS, Label


@dataclass
class DetectionScores:
    """Agreement between predicted and reference labels."""

    n_samples: int
    accuracy: float
    kappa: float
    kappa_per_class: dict[str, float]
    f1_per_class: dict[str, float]
    confusion: np.ndarray
    confusion_labels: list[str]
    events: dict[str, EventMatch]
    sampling_rate: float | None = None

    def table(self) -> pl.DataFrame:
        """One row per class: sample kappa and F1, event hits/misses/false alarms and F1."""
        rows = []
        for name in self.confusion_labels:
            if name == "undefined":
                continue
            event = self.events.get(name)
            rows.append({
                "class": name,
                "sample_kappa": self.kappa_per_class.get(name, float("nan")),
                "sample_f1": self.f1_per_class.get(name, float("nan")),
                "event_f1": event.f1 if event else float("nan"),
                "event_hits": event.hits if event else 0,
                "event_misses": event.misses if event else 0,
                "event_false_alarms": event.false_alarms if event else 0,
            })
        return pl.DataFrame(rows)

    def as_dict(self) -> dict:
        """Everything as plain JSON-ready values."""
        return {
            "n_samples": self.n_samples,
            "accuracy": self.accuracy,
            "kappa": self.kappa,
            "kappa_per_class": self.kappa_per_class,
            "f1_per_class": self.f1_per_class,
            "confusion_labels": self.confusion_labels,
            "confusion": self.confusion.tolist(),
            "events": {k: v.as_dict(self.sampling_rate) for k, v in self.events.items()},
        }


def evaluate_labels(pairs: Sequence[tuple[np.ndarray, np.ndarray]],
                    sampling_rate: float | None = None) -> DetectionScores:
    """Score predicted labels against reference labels, pooled over recordings.

    Parameters
    ----------
    pairs : sequence of (truth, prediction)
        Per-sample label codes of each recording, equal lengths within a pair.
    sampling_rate : float, optional
        When given, event timing offsets are reported in ms.
    """
    if not pairs:
        raise InputError("nothing to evaluate: no recordings were given")
    for i, (truth, pred) in enumerate(pairs):
        if len(truth) != len(pred):
            raise InputError(f"recording {i}: reference has {len(truth)} samples, prediction "
                             f"{len(pred)}; expected one label per sample in both")
    truth_all = np.concatenate([np.asarray(t, dtype=np.int64) for t, _ in pairs])
    pred_all = np.concatenate([np.asarray(p, dtype=np.int64) for _, p in pairs])
    codes = [int(c) for c in np.union1d(truth_all, pred_all)]
    names = [LABELS[c] for c in codes]
    per_class_kappa = metrics.kappa_per_class(truth_all, pred_all, labels=codes)
    _, _, f1, _ = metrics.precision_recall_f1(truth_all, pred_all, labels=codes)
    pooled: dict[str, EventMatch] = {}
    event_codes = [c for c in codes if c != Label.UNDEFINED]
    for truth, pred in pairs:
        for name, match in event_scores(np.asarray(truth), np.asarray(pred), event_codes).items():
            pooled[name] = pooled[name] + match if name in pooled else match
    return DetectionScores(
        n_samples=len(truth_all),
        accuracy=metrics.accuracy(truth_all, pred_all),
        kappa=metrics.cohen_kappa(truth_all, pred_all, labels=codes),
        kappa_per_class={LABELS[c]: float(per_class_kappa[c]) for c in codes},
        f1_per_class={name: float(v) for name, v in zip(names, f1, strict=True)},
        confusion=metrics.confusion_matrix(truth_all, pred_all, labels=codes),
        confusion_labels=names,
        events=pooled,
        sampling_rate=sampling_rate,
    )
