"""Classification metrics: confusion matrix, accuracy, precision/recall/F1, Cohen's kappa."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gazelearn.errors import InputError
from gazelearn.metrics._common import _pair, _ratio


# ---------------------------------------------------------------------------- classification
def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """Counts of (true, predicted) pairs: rows are true labels, columns predictions.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n,)
    labels : sequence, optional
        Label order of rows and columns (default: sorted union of both). Pairs with a label
        not listed are ignored, as in scikit-learn.

    Examples
    --------
    >>> confusion_matrix(["a", "b", "b"], ["a", "a", "b"], labels=["b", "a"]).tolist()
    [[1, 1], [0, 1]]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    labels = np.union1d(y_true, y_pred) if labels is None else np.asarray(labels)
    if len(labels) == 0 or len(np.unique(labels)) != len(labels):
        raise InputError("labels must be a non-empty sequence without repeats")
    order = np.argsort(labels, kind="stable")
    def codes(values):  # noqa: E306
        pos = np.clip(np.searchsorted(labels[order], values), 0, len(labels) - 1)
        found = labels[order][pos] == values
        return np.where(found, order[pos], -1)
    t, p = codes(y_true), codes(y_pred)
    keep = (t >= 0) & (p >= 0)
    k = len(labels)
    return np.bincount(t[keep] * k + p[keep], minlength=k * k).reshape(k, k)


def accuracy(y_true, y_pred) -> float:
    """Share of samples predicted correctly.

    Examples
    --------
    >>> accuracy([1, 2, 3, 4], [1, 2, 0, 0])
    0.5
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def precision_recall_f1(y_true, y_pred, labels=None, average: str | None = None):
    """Precision, recall, F1 and support per class, or averaged.

    Parameters
    ----------
    average : {None, "macro", "weighted", "micro"}
        None returns four arrays (one value per label); otherwise three floats and the total
        support. "weighted" weighs classes by their support (number of true samples).

    Examples
    --------
    >>> p, r, f, s = precision_recall_f1([0, 0, 1, 1], [0, 1, 1, 1])
    >>> p.tolist(), r.tolist(), np.round(f, 3).tolist(), s.tolist()
    ([1.0, 0.6666666666666666], [0.5, 1.0], [0.667, 0.8], [2, 2])
    >>> [round(v, 4) for v in precision_recall_f1([0, 0, 1, 1], [0, 1, 1, 1], average="macro")]
    [0.8333, 0.75, 0.7333, 4]
    """
    cm = confusion_matrix(y_true, y_pred, labels)
    tp, predicted, support = np.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
    if average is None:
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        return precision, recall, _ratio(2 * precision * recall, precision + recall), support
    if average == "micro":
        p = r = float(_ratio(tp.sum(), predicted.sum()))
        return p, r, float(_ratio(2 * p * r, p + r)), int(support.sum())
    if average not in ("macro", "weighted"):
        raise InputError(f"average must be None, 'macro', 'weighted' or 'micro', got {average!r}")
    scores = precision_recall_f1(y_true, y_pred, labels)[:3]
    weights = None if average == "macro" else (support if support.sum() else None)
    return (*(float(np.average(s, weights=weights)) for s in scores), int(support.sum()))


def _kappa(cm: np.ndarray) -> float:
    n = cm.sum()
    if n == 0:
        return float("nan")
    observed = np.trace(cm) / n
    chance = float(np.sum(cm.sum(axis=0) * cm.sum(axis=1))) / n**2
    return float("nan") if np.isclose(chance, 1.0) else float((observed - chance) / (1 - chance))


def cohen_kappa(y_true, y_pred, labels=None) -> float:
    """Cohen's kappa: agreement beyond chance, ``(p_o - p_e) / (1 - p_e)``.

    NaN when chance agreement is 1 (both sequences hold one and the same label only).

    Examples
    --------
    >>> round(cohen_kappa([1, 1, 2, 2, 3], [1, 2, 2, 2, 3]), 4)
    0.6875
    """
    return _kappa(confusion_matrix(y_true, y_pred, labels))


def kappa_per_class(y_true, y_pred, labels=None) -> dict:
    """One-vs-rest Cohen's kappa per class ("class c" vs "any other"), as in Andersson et al.
    (2017), *One algorithm to rule them all?*, Behavior Research Methods 49.

    Examples
    --------
    >>> {k: round(v, 3) for k, v in kappa_per_class([1, 1, 2, 2, 3], [1, 2, 2, 2, 3]).items()}
    {1: 0.545, 2: 0.615, 3: 1.0}
    """
    y_true, y_pred = _pair(y_true, y_pred)
    labels = np.union1d(y_true, y_pred) if labels is None else np.asarray(labels)
    return {label.item(): cohen_kappa(y_true == label, y_pred == label, labels=[False, True])
            for label in labels}


def classification_report(y_true, y_pred, labels=None, names=None) -> dict:
    """All classification metrics in one JSON-friendly dictionary.

    Parameters
    ----------
    labels : sequence, optional
        Label order (default: sorted union of both).
    names : mapping or sequence of str, optional
        Display names: a mapping label -> name, or names parallel to ``labels``
        (for event codes, ``names=dict(enumerate(gazelearn.LABELS))``).

    Returns
    -------
    dict
        ``labels``, ``per_class`` (name -> precision, recall, f1, kappa, support), ``accuracy``,
        ``kappa``, ``macro`` and ``weighted`` (precision, recall, f1), ``confusion`` (lists,
        rows true), ``n``.

    Examples
    --------
    >>> report = classification_report([0, 0, 1, 1], [0, 1, 1, 1], names={0: "fix", 1: "sac"})
    >>> report["accuracy"], report["per_class"]["sac"]["recall"], report["labels"]
    (0.75, 1.0, ['fix', 'sac'])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    labels = np.union1d(y_true, y_pred) if labels is None else np.asarray(labels)
    if names is None:
        display = [str(label) for label in labels.tolist()]
    elif isinstance(names, Mapping):
        display = [str(names.get(label, label)) for label in labels.tolist()]
    else:
        display = [str(n) for n in names]
        if len(display) != len(labels):
            raise InputError(f"{len(display)} names for {len(labels)} labels")
    cm = confusion_matrix(y_true, y_pred, labels)
    precision, recall, f1, support = precision_recall_f1(y_true, y_pred, labels)
    kappas = kappa_per_class(y_true, y_pred, labels)
    per_class = {name: {"precision": float(p), "recall": float(r), "f1": float(f),
                        "kappa": kappas[label], "support": int(s)}
                 for name, label, p, r, f, s in zip(display, labels.tolist(), precision, recall,
                                                    f1, support, strict=True)}
    averages = {avg: dict(zip(("precision", "recall", "f1"),
                              precision_recall_f1(y_true, y_pred, labels, avg)[:3], strict=True))
                for avg in ("macro", "weighted")}
    return {"labels": display, "per_class": per_class, "accuracy": accuracy(y_true, y_pred),
            "kappa": _kappa(cm), **averages, "confusion": cm.tolist(), "n": int(y_true.size)}


def format_report(report: dict, digits: int = 3) -> str:
    """A text table of a :func:`classification_report`.

    Examples
    --------
    >>> print(format_report(classification_report([0, 0, 1, 1], [0, 1, 1, 1])))
    class    precision  recall     f1  kappa  support
    0            1.000   0.500  0.667  0.500        2
    1            0.667   1.000  0.800  0.500        2
    macro        0.833   0.750  0.733               4
    weighted     0.833   0.750  0.733               4
    accuracy 0.750, kappa 0.500, n 4
    """
    width = max([8, *(len(name) for name in report["labels"])])
    lines = [f"{'class':<{width}} {'precision':>9} {'recall':>7} {'f1':>6} {'kappa':>6} "
             f"{'support':>8}"]
    num = lambda v, w: f"{v:>{w}.{digits}f}"  # noqa: E731
    for name, row in report["per_class"].items():
        lines.append(f"{name:<{width}} {num(row['precision'], 9)} {num(row['recall'], 7)} "
                     f"{num(row['f1'], 6)} {num(row['kappa'], 6)} {row['support']:>8}")
    for avg in ("macro", "weighted"):
        row = report[avg]
        lines.append(f"{avg:<{width}} {num(row['precision'], 9)} {num(row['recall'], 7)} "
                     f"{num(row['f1'], 6)} {'':>6} {report['n']:>8}")
    lines.append(f"accuracy {report['accuracy']:.{digits}f}, kappa {report['kappa']:.{digits}f}, "
                 f"n {report['n']}")
    return "\n".join(lines)
