"""Cross-validation of scanpath classifiers on group splits only.

:func:`cross_validate` trains a :class:`~gazelearn.scanpath.classify.ScanpathClassifier` on
``k - 1`` folds and predicts the held-out fold, ``k`` times. Folds are **groups of recordings**:
whole participants when groups are given (the honest test for questions about people, such as
expertise: no person on both sides), else whole recordings (so windows of one recording never
land on both sides). Folds are stratified by class where the groups allow it
(:func:`gazelearn.splits.stratified_group_kfold`). The result holds out-of-fold predictions at
window and recording level (recording = mean window probability), with accuracy, Cohen's kappa,
a per-class report and the confusion matrix of each (:mod:`gazelearn.metrics`);
:func:`gazelearn.report.scanpath_results.cross_validation_report` renders it as HTML.

Examples
--------
>>> import numpy as np
>>> from gazelearn import Recording
>>> rng = np.random.default_rng(0)
>>> def rec(speed):   # 3 s at 60 Hz, slow or fast random walk
...     return Recording(np.arange(180) / 60, np.cumsum(rng.normal(0, speed, 180)) + 500,
...                      np.cumsum(rng.normal(0, speed, 180)) + 400)
>>> recs = [rec(s) for s in [1.0, 10.0] * 8]
>>> labels = ["slow", "fast"] * 8
>>> persons = np.repeat(np.arange(8), 2)            # each person saw both
>>> result = cross_validate(recs, labels, persons, model="tree", folds=4, window=30)
>>> result.recording["accuracy"], result.recording["kappa"]
(1.0, 1.0)
>>> result.split
'stratified group 4-fold by group (8 groups)'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gazelearn.errors import InputError
from gazelearn.metrics import classification_report, format_report
from gazelearn.splits import group_kfold, stratified_group_kfold

__all__ = ["CVResult", "cross_validate", "format_confusion"]


@dataclass
class CVResult:
    """Out-of-fold predictions and scores of one cross-validation.

    Attributes
    ----------
    model : str
        The model name.
    classes : numpy.ndarray
    split : str
        How the folds were made.
    recording_true, recording_pred : numpy.ndarray
        One label per recording.
    recording_proba : numpy.ndarray, (n_recordings, n_classes)
        Mean window probability (out of fold).
    recording_groups : numpy.ndarray
        Group of every recording.
    window_true, window_pred : numpy.ndarray
        One label per window (for ``heatmap-cnn`` the unit is the recording).
    fold : numpy.ndarray of int
        Test fold of every recording.
    recording, window : dict
        :func:`gazelearn.metrics.classification_report` of each level (accuracy, kappa,
        per-class, confusion).
    folds : list of dict
        Per fold: test groups, recordings, windows, accuracy, seconds.
    """

    model: str
    classes: np.ndarray
    split: str
    recording_true: np.ndarray
    recording_pred: np.ndarray
    recording_proba: np.ndarray
    recording_groups: np.ndarray
    window_true: np.ndarray
    window_pred: np.ndarray
    fold: np.ndarray
    recording: dict[str, Any] = field(default_factory=dict)
    window: dict[str, Any] = field(default_factory=dict)
    folds: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        """Accuracy, kappa, per-class report and confusion matrix at both levels, as text."""
        lines = [f"model {self.model}; {self.split}; {len(self.recording_true)} recordings, "
                 f"{len(self.window_true)} windows"]
        for level, report in (("recording", self.recording), ("window", self.window)):
            lines += ["", f"{level} level: accuracy {report['accuracy']:.3f}, kappa "
                      f"{report['kappa']:.3f}", format_report(report), "",
                      f"confusion matrix ({level}s; rows true, columns predicted):",
                      format_confusion(report)]
        return "\n".join(lines)


def format_confusion(report: dict[str, Any]) -> str:
    """The confusion matrix of a classification report as an aligned text table.

    Examples
    --------
    >>> print(format_confusion({"labels": ["a", "b"], "confusion": [[3, 1], [0, 2]]}))
    true\\pred  a  b
    a          3  1
    b          0  2
    """
    labels = [str(v) for v in report["labels"]]
    matrix = np.asarray(report["confusion"], dtype=int)
    first = max(len("true\\pred"), *(len(v) for v in labels))
    widths = [max(len(v), *(len(str(c)) for c in matrix[:, j])) for j, v in enumerate(labels)]
    rows = ["true\\pred".ljust(first) + "".join(f"  {v.rjust(w)}" for v, w in
                                                zip(labels, widths, strict=True))]
    for label, row in zip(labels, matrix, strict=True):
        rows.append(label.ljust(first) + "".join(f"  {str(c).rjust(w)}" for c, w in
                                                 zip(row, widths, strict=True)))
    return "\n".join(rows)


def _folds(labels: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> tuple[list, str]:
    n_groups = len(np.unique(groups))
    if n_groups < folds:
        raise InputError(f"{folds} folds need at least {folds} groups; the recordings come from "
                         f"{n_groups}")
    try:
        return (stratified_group_kfold(labels, groups, folds, seed),
                f"stratified group {folds}-fold")
    except (InputError, ValueError):
        return group_kfold(groups, folds, seed), f"group {folds}-fold"


def cross_validate(recordings: Any, labels: Any, groups: Any = None, model: str = "forest",
                   folds: int = 5, seed: int = 0, log: Any = None,
                   **options: Any) -> CVResult:
    """Group k-fold cross-validation of a scanpath classifier.

    Parameters
    ----------
    recordings : sequence of Recording
    labels : sequence
        Class of every recording.
    groups : sequence, optional
        Participant of every recording: leave participants out. Default: leave recordings out.
    model : str
        A :data:`~gazelearn.scanpath.classify.MODELS` name.
    folds : int
        Number of folds (at most the number of groups).
    seed : int
        Seeds the folds and the models.
    log : callable, optional
        Called with one line per fold (progress).
    **options
        More :class:`~gazelearn.scanpath.classify.ScanpathClassifier` parameters.

    Returns
    -------
    CVResult

    Raises
    ------
    InputError
        Unknown model, labels or groups of the wrong length, fewer groups than folds.
    """
    from gazelearn.scanpath.classify import ScanpathClassifier, _kind, _recordings

    _kind(model)
    recordings = _recordings(recordings)
    labels = np.asarray(labels)
    if len(labels) != len(recordings):
        raise InputError(f"{len(recordings)} recordings but {len(labels)} labels")
    by = "group"
    if groups is None:
        groups, by = np.arange(len(recordings)), "recording"
    groups = np.asarray(groups).astype(str)
    if len(groups) != len(recordings):
        raise InputError(f"{len(recordings)} recordings but {len(groups)} groups")
    if folds < 2:
        raise InputError(f"folds must be at least 2, got {folds}")
    splits, kind = _folds(labels, groups, folds, seed)
    classes = np.unique(labels)
    proba = np.zeros((len(recordings), len(classes)))
    fold_of = np.zeros(len(recordings), dtype=int)
    window_true, window_pred, facts = [], [], []
    for k, (train, test) in enumerate(splits):
        start = time.perf_counter()
        clf = ScanpathClassifier(model, seed=seed, **options)
        clf.fit([recordings[i] for i in train], labels[train], groups=groups[train])
        test_recs = [recordings[i] for i in test]
        scores = clf.window_proba(test_recs)
        columns = np.searchsorted(classes, clf.classes_)
        window_proba = np.zeros((len(scores.proba), len(classes)))
        window_proba[:, columns] = scores.proba
        proba[np.ix_(test, columns)] = scores.recording_proba(len(test_recs))
        fold_of[test] = k
        window_true.append(labels[test][scores.recording])
        window_pred.append(classes[window_proba.argmax(axis=1)])
        accuracy = float(np.mean(classes[proba[test].argmax(axis=1)] == labels[test]))
        facts.append({"fold": k, "test_groups": len(np.unique(groups[test])),
                      "test_recordings": int(len(test)), "test_windows": int(len(scores.proba)),
                      "recording_accuracy": accuracy,
                      "seconds": round(time.perf_counter() - start, 2)})
        if log is not None:
            log(f"fold {k + 1}/{len(splits)}: {len(test)} recordings, recording accuracy "
                f"{accuracy:.3f} ({facts[-1]['seconds']:.1f} s)")
    rec_pred = classes[proba.argmax(axis=1)]
    w_true, w_pred = np.concatenate(window_true), np.concatenate(window_pred)
    return CVResult(
        model=model, classes=classes,
        split=f"{kind} by {by} ({len(np.unique(groups))} {by}s)",
        recording_true=labels, recording_pred=rec_pred, recording_proba=proba,
        recording_groups=groups, window_true=w_true, window_pred=w_pred, fold=fold_of,
        recording=classification_report(labels, rec_pred, labels=classes),
        window=classification_report(w_true, w_pred, labels=classes), folds=facts)
