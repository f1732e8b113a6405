"""Post-processing shared by all detectors: lost data, minimum durations, merging.

All functions work on per-sample label codes (:class:`gazelearn.labels.Label`) and return a new
array; none changes its input.

Examples
--------
>>> import numpy as np
>>> labels = np.array([1, 1, 1, 2, 1, 1, 1])
>>> remove_short_events(labels, Label.SACCADE, min_samples=2).tolist()
[1, 1, 1, 0, 1, 1, 1]
"""

from __future__ import annotations

import numpy as np

from gazelearn.events import label_runs
from gazelearn.labels import Label


def label_lost_samples(labels: np.ndarray, valid: np.ndarray, sampling_rate: float,
                       min_blink_s: float = 0.05, max_blink_s: float = 0.5) -> np.ndarray:
    """Label runs of lost samples: ``blink`` for 50-500 ms runs, ``undefined`` otherwise.

    The duration range follows the usual definition of a blink as seen by a video eye tracker
    (Holmqvist et al. 2011, ch. 5): shorter losses are noise, longer ones looking away.
    """
    labels = labels.copy()
    lost = ~np.asarray(valid, dtype=bool)
    starts, stops, codes = label_runs(lost.astype(np.int8))
    is_lost = codes == 1
    lengths = (stops - starts)[is_lost]
    durations = lengths / sampling_rate
    blink = (min_blink_s <= durations) & (durations <= max_blink_s)
    # every lost sample gets its run's code at once (runs are in order): no loop per run
    run_codes = np.where(blink, Label.BLINK, Label.UNDEFINED).astype(labels.dtype)
    labels[lost] = np.repeat(run_codes, lengths)
    return labels


def remove_short_events(labels: np.ndarray, label: int, min_samples: int,
                        replacement: int = Label.UNDEFINED, between: int | None = None
                        ) -> np.ndarray:
    """Relabel runs of ``label`` shorter than ``min_samples`` as ``replacement``.

    With ``between``, only the short runs with a ``between`` run on both sides change (for
    example a velocity dip inside one saccade, which must not split it into two).

    Examples
    --------
    >>> labels = np.array([1, 1, 1, 2, 1, 2, 1, 1, 1])
    >>> remove_short_events(labels, 1, 2, replacement=2, between=2).tolist()
    [1, 1, 1, 2, 2, 2, 1, 1, 1]
    """
    labels = labels.copy()
    starts, stops, codes = label_runs(labels)
    short = (codes == label) & ((stops - starts) < min_samples)
    if between is not None:
        before = np.concatenate(([-1], codes[:-1]))
        after = np.concatenate((codes[1:], [-1]))
        short &= (before == between) & (after == between)
    if short.any():  # per-sample mask from the per-run flags: no loop per run
        labels[np.repeat(short, stops - starts)] = replacement
    return labels


def merge_close_fixations(labels: np.ndarray, x: np.ndarray, y: np.ndarray,
                          max_gap_samples: int, max_distance: float) -> np.ndarray:
    """Merge two fixations separated by a short non-fixation run when they are close in space.

    ``max_distance`` is in the unit of ``x``/``y`` (degrees when called with degrees). The
    samples in between become fixation. This removes the splits noise causes in long fixations
    (Komogortsev et al. 2010 merge within 75 ms and 0.5 deg).
    """
    labels = labels.copy()
    starts, stops, codes = label_runs(labels)
    fixation_runs = np.flatnonzero(codes == Label.FIXATION)
    for a, b in zip(fixation_runs[:-1], fixation_runs[1:], strict=True):
        if b != a + 2:
            continue
        gap = starts[b] - stops[a]
        if gap > max_gap_samples or codes[a + 1] == Label.BLINK:
            continue
        first = slice(starts[a], stops[a])
        second = slice(starts[b], stops[b])
        distance = np.hypot(np.nanmean(x[first]) - np.nanmean(x[second]),
                            np.nanmean(y[first]) - np.nanmean(y[second]))
        if distance <= max_distance:
            labels[stops[a]:starts[b]] = Label.FIXATION
    return labels
