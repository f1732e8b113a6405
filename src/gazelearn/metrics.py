"""Metrics for all of gazelearn: classification, regression, gaze error, identification,
verification, and bootstrap confidence intervals.

Conventions: labels may be integers or strings; a ratio whose denominator is zero is 0 (as
scikit-learn's ``zero_division=0``), except Cohen's kappa, which is NaN when chance agreement is
already perfect. Scores for verification are "higher means more likely the same person"; pass
distances negated (or ``kind="distance"`` where offered).

Examples
--------
>>> y_true, y_pred = [0, 0, 1, 1], [0, 1, 1, 1]
>>> accuracy(y_true, y_pred), round(cohen_kappa(y_true, y_pred), 3)
(0.75, 0.5)
>>> eer([0.9, 0.8, 0.7], [0.1, 0.2, 0.75])
0.3333333333333333
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import numpy as np

from gazelearn.errors import InputError
from gazelearn.screen import Screen


# ---------------------------------------------------------------------------- helpers
def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise InputError(f"y_true has shape {y_true.shape} but y_pred has {y_pred.shape}")
    if y_true.size == 0:
        raise InputError("metrics need at least one sample")
    return y_true, y_pred


def _ratio(num, den):
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


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


# ---------------------------------------------------------------------------- regression
def _regression_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _pair(y_true, y_pred)
    return y_true.astype(np.float64), y_pred.astype(np.float64)


def mae(y_true, y_pred) -> float:
    """Mean absolute error (averaged over all outputs).

    Examples
    --------
    >>> mae([1.0, 2.0, 3.0], [1.0, 3.0, 5.0])
    1.0
    """
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def mse(y_true, y_pred) -> float:
    """Mean squared error.

    Examples
    --------
    >>> mse([1.0, 2.0, 3.0], [1.0, 3.0, 5.0])
    1.6666666666666667
    """
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error.

    Examples
    --------
    >>> round(rmse([0.0, 0.0], [3.0, 4.0]), 4)
    3.5355
    """
    return float(np.sqrt(mse(y_true, y_pred)))


def r2(y_true, y_pred) -> float:
    """Coefficient of determination; for ``(n, outputs)`` arrays, the mean over outputs.

    A constant ``y_true`` gives 1.0 when predicted exactly and 0.0 otherwise (scikit-learn's
    convention).

    Examples
    --------
    >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    """
    y_true, y_pred = _regression_pair(y_true, y_pred)
    residual = np.sum((y_true - y_pred) ** 2, axis=0)
    total = np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0)
    score = np.where(total > 0, 1 - _ratio(residual, total), np.where(residual == 0, 1.0, 0.0))
    return float(np.mean(score))


# ---------------------------------------------------------------------------- gaze error
@dataclass(frozen=True)
class ErrorSummary:
    """Mean, median and (population) standard deviation of per-sample errors, NaN ignored."""

    mean: float
    median: float
    std: float
    n: int
    unit: str = ""

    def to_dict(self) -> dict:
        """The summary as a plain dictionary."""
        return asdict(self)


def summarize_errors(errors, unit: str = "") -> ErrorSummary:
    """Summarise per-sample errors (NaN, from lost samples, are left out).

    Examples
    --------
    >>> summarize_errors([1.0, 2.0, 6.0, np.nan], "px")
    ErrorSummary(mean=3.0, median=2.0, std=2.160246899469287, n=3, unit='px')
    """
    errors = np.asarray(errors, dtype=np.float64).ravel()
    errors = errors[np.isfinite(errors)]
    if errors.size == 0:
        return ErrorSummary(float("nan"), float("nan"), float("nan"), 0, unit)
    return ErrorSummary(float(errors.mean()), float(np.median(errors)), float(errors.std()),
                        int(errors.size), unit)


def _xy(true_xy, pred_xy) -> tuple[np.ndarray, np.ndarray]:
    true_xy = np.asarray(true_xy, dtype=np.float64)
    pred_xy = np.asarray(pred_xy, dtype=np.float64)
    if true_xy.shape != pred_xy.shape or true_xy.ndim != 2 or true_xy.shape[1] != 2:
        raise InputError(f"expected two (n, 2) arrays of x, y, got {true_xy.shape} and "
                         f"{pred_xy.shape}")
    return true_xy, pred_xy


def _size(screen) -> tuple[float, float]:
    if isinstance(screen, Screen):
        return float(screen.width_px), float(screen.height_px)
    width, height = (float(v) for v in screen)
    if width <= 0 or height <= 0:
        raise InputError(f"screen size must be positive, got {screen!r}")
    return width, height


def error_px(true_xy, pred_xy) -> np.ndarray:
    """Per-sample Euclidean gaze error in pixels.

    Examples
    --------
    >>> error_px([[0, 0], [10, 10]], [[3, 4], [10, 10]]).tolist()
    [5.0, 0.0]
    """
    true_xy, pred_xy = _xy(true_xy, pred_xy)
    return np.hypot(*(pred_xy - true_xy).T)


def error_deg(true_xy, pred_xy, screen: Screen) -> np.ndarray:
    """Per-sample gaze error in degrees of visual angle (exact 3-D angle, any screen position).

    Examples
    --------
    >>> s = Screen(1000, 1000, 1000.0, 1000.0, 500.0)
    >>> np.round(error_deg([[500, 500]], [[1000, 500]], s), 6).tolist()
    [45.0]
    """
    true_xy, pred_xy = _xy(true_xy, pred_xy)
    return screen.angular_distance(true_xy[:, 0], true_xy[:, 1], pred_xy[:, 0], pred_xy[:, 1])


def error_pct_diagonal(true_xy, pred_xy, screen) -> np.ndarray:
    """Per-sample error as a percentage of the screen diagonal, ``100 * d_px / hypot(W, H)``.

    ``screen`` is a :class:`Screen` or a ``(width_px, height_px)`` pair.

    Examples
    --------
    >>> error_pct_diagonal([[0, 0]], [[30, 40]], (300, 400)).tolist()
    [10.0]
    """
    width, height = _size(screen)
    return 100.0 * error_px(true_xy, pred_xy) / np.hypot(width, height)


def error_pct_normalized(true_xy, pred_xy, screen) -> np.ndarray:
    """Per-sample Euclidean error in normalised screen coordinates, as a percentage:
    ``100 * sqrt((dx / W)**2 + (dy / H)**2)``.

    This is the "% of screen" of the webcam gaze literature (coordinates scaled to 0..1 per
    axis); on a non-square screen it differs from :func:`error_pct_diagonal`.

    Examples
    --------
    >>> error_pct_normalized([[0, 0]], [[30, 40]], (300, 400)).round(4).tolist()
    [14.1421]
    """
    true_xy, pred_xy = _xy(true_xy, pred_xy)
    width, height = _size(screen)
    delta = pred_xy - true_xy
    return 100.0 * np.hypot(delta[:, 0] / width, delta[:, 1] / height)


def gaze_error(true_xy, pred_xy, screen=None) -> dict[str, ErrorSummary]:
    """Summaries of every gaze error the screen information allows.

    Returns ``px`` always; ``pct_diagonal`` and ``pct_normalized`` with a screen size (a
    :class:`Screen` or ``(W, H)``); ``deg`` with a :class:`Screen`.

    Examples
    --------
    >>> result = gaze_error([[0, 0], [0, 0]], [[3, 4], [6, 8]], screen=(300, 400))
    >>> result["px"].mean, sorted(result)
    (7.5, ['pct_diagonal', 'pct_normalized', 'px'])
    """
    result = {"px": summarize_errors(error_px(true_xy, pred_xy), "px")}
    if screen is not None:
        result["pct_diagonal"] = summarize_errors(error_pct_diagonal(true_xy, pred_xy, screen),
                                                  "% diagonal")
        result["pct_normalized"] = summarize_errors(
            error_pct_normalized(true_xy, pred_xy, screen), "% normalized")
    if isinstance(screen, Screen):
        result["deg"] = summarize_errors(error_deg(true_xy, pred_xy, screen), "deg")
    return dict(sorted(result.items()))


def rms_s2s(xy, screen: Screen | None = None) -> float:
    """Precision as the root mean square of sample-to-sample distances (RMS-S2S).

    Pixels without a screen, exact degrees with one; pairs touching a lost sample are skipped.

    Examples
    --------
    >>> rms_s2s([[0, 0], [3, 4], [3, 4], [np.nan, np.nan]])
    3.5355339059327378
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise InputError(f"expected an (n, 2) array of x, y, got shape {xy.shape}")
    step = (error_px(xy[:-1], xy[1:]) if screen is None
            else error_deg(xy[:-1], xy[1:], screen))
    step = step[np.isfinite(step)]
    return float(np.sqrt(np.mean(step**2))) if step.size else float("nan")


# ---------------------------------------------------------------------------- identification
def _ranks(scores, probe_ids, gallery_ids, kind: str) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    probe_ids, gallery_ids = np.asarray(probe_ids), np.asarray(gallery_ids)
    if scores.shape != (len(probe_ids), len(gallery_ids)):
        raise InputError(f"scores have shape {scores.shape}, expected (probes, gallery) = "
                         f"({len(probe_ids)}, {len(gallery_ids)})")
    if kind not in ("similarity", "distance"):
        raise InputError(f"kind must be 'similarity' or 'distance', got {kind!r}")
    missing = np.setdiff1d(probe_ids, gallery_ids)
    if missing.size:
        raise InputError(f"probe identities not in the gallery: {missing[:5].tolist()}")
    if kind == "distance":
        scores = -scores
    identities = np.unique(gallery_ids)
    best = np.full((len(probe_ids), len(identities)), -np.inf)
    for j, identity in enumerate(identities):  # best score per gallery identity
        best[:, j] = scores[:, gallery_ids == identity].max(axis=1)
    genuine = best[np.arange(len(probe_ids)), np.searchsorted(identities, probe_ids)]
    # pessimistic ties: an impostor scoring equal to the genuine identity ranks ahead of it
    return np.sum(best >= genuine[:, None], axis=1)


def cmc_curve(scores, probe_ids, gallery_ids, max_rank: int | None = None,
              kind: str = "similarity") -> np.ndarray:
    """Cumulative match characteristic: ``cmc[k - 1]`` is the rank-k identification accuracy.

    Parameters
    ----------
    scores : array_like, shape (n_probes, n_gallery)
        Similarity (or distance, with ``kind="distance"``) of each probe to each gallery entry.
    probe_ids, gallery_ids : array_like
        Identities; several gallery entries per identity are allowed (identities are ranked by
        their best entry). Every probe identity must be in the gallery (closed set). Ties count
        against the probe.
    max_rank : int, optional
        Length of the curve (default: the number of gallery identities).

    Examples
    --------
    >>> scores = [[0.9, 0.1, 0.5], [0.8, 0.7, 0.6], [0.2, 0.7, 0.1]]
    >>> cmc_curve(scores, ["a", "b", "c"], ["a", "b", "c"]).round(3).tolist()
    [0.333, 0.667, 1.0]
    """
    ranks = _ranks(scores, probe_ids, gallery_ids, kind)
    n_ids = len(np.unique(np.asarray(gallery_ids)))
    max_rank = n_ids if max_rank is None else int(max_rank)
    return np.array([np.mean(ranks <= k) for k in range(1, max_rank + 1)])


def rank_k_accuracy(scores, probe_ids, gallery_ids, k: int = 1,
                    kind: str = "similarity") -> float:
    """Share of probes whose identity is among the ``k`` best-scoring gallery identities.

    Examples
    --------
    >>> rank_k_accuracy([[1.0, 2.0], [0.0, 5.0]], [0, 1], [0, 1], k=1, kind="distance")
    0.5
    """
    if k < 1:
        raise InputError(f"k must be >= 1, got {k!r}")
    return float(np.mean(_ranks(scores, probe_ids, gallery_ids, kind) <= k))


# ---------------------------------------------------------------------------- verification
@dataclass(frozen=True)
class RocCurve:
    """Verification error rates over thresholds (accept when ``score >= threshold``).

    ``thresholds`` increase; ``far`` (impostors accepted) falls and ``frr`` (genuine rejected)
    rises along them; ``tar = 1 - frr``.
    """

    thresholds: np.ndarray
    far: np.ndarray
    frr: np.ndarray

    @property
    def tar(self) -> np.ndarray:
        """True accept rate, ``1 - frr``."""
        return 1.0 - self.frr


def _scores(genuine, impostor) -> tuple[np.ndarray, np.ndarray]:
    genuine = np.asarray(genuine, dtype=np.float64).ravel()
    impostor = np.asarray(impostor, dtype=np.float64).ravel()
    if genuine.size == 0 or impostor.size == 0:
        raise InputError("verification needs at least one genuine and one impostor score")
    if not (np.isfinite(genuine).all() and np.isfinite(impostor).all()):
        raise InputError("verification scores must be finite")
    return genuine, impostor


def far_frr(genuine, impostor, threshold: float) -> tuple[float, float]:
    """False accept and false reject rates at one threshold (accept when ``score >= threshold``).

    Examples
    --------
    >>> far_frr([0.9, 0.6], [0.1, 0.7], threshold=0.65)
    (0.5, 0.5)
    """
    genuine, impostor = _scores(genuine, impostor)
    return float(np.mean(impostor >= threshold)), float(np.mean(genuine < threshold))


def roc_curve(genuine, impostor) -> RocCurve:
    """FAR and FRR at every distinct score (and above the highest, where nothing is accepted).

    Examples
    --------
    >>> roc = roc_curve([0.9, 0.6], [0.1, 0.7])
    >>> roc.thresholds.tolist(), roc.far.tolist(), roc.frr.tolist()
    ([0.1, 0.6, 0.7, 0.9, inf], [1.0, 0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 1.0])
    """
    genuine, impostor = _scores(genuine, impostor)
    thresholds = np.append(np.unique(np.concatenate([genuine, impostor])), np.inf)
    imp, gen = np.sort(impostor), np.sort(genuine)
    far = 1.0 - np.searchsorted(imp, thresholds, side="left") / imp.size
    frr = np.searchsorted(gen, thresholds, side="left") / gen.size
    return RocCurve(thresholds, far, frr)


def eer(genuine, impostor, return_threshold: bool = False):
    """Equal error rate: where FAR and FRR cross, linearly interpolated between thresholds.

    Examples
    --------
    >>> eer([0.9, 0.8], [0.1, 0.2])
    0.0
    >>> eer([0.9, 0.6], [0.1, 0.7], return_threshold=True)
    (0.5, 0.7)
    >>> round(eer([0.9, 0.6, 0.4], [0.1, 0.5]), 4)  # (FAR, FRR) from (1/2, 1/3) to (0, 1/3)
    0.3333
    """
    roc = roc_curve(genuine, impostor)
    gap = roc.far - roc.frr  # falls from > 0 to < 0 along the thresholds
    i = int(np.argmax(gap <= 0))
    if i == 0:
        value, threshold = roc.far[0], roc.thresholds[0]
    else:
        alpha = gap[i - 1] / (gap[i - 1] - gap[i])
        value = roc.far[i - 1] + alpha * (roc.far[i] - roc.far[i - 1])
        high = roc.thresholds[i] if np.isfinite(roc.thresholds[i]) else roc.thresholds[i - 1]
        threshold = roc.thresholds[i - 1] + alpha * (high - roc.thresholds[i - 1])
    value = float(value)
    return (value, float(threshold)) if return_threshold else value


def frr_at_far(genuine, impostor, far: float = 1e-2) -> float:
    """The lowest FRR among thresholds whose FAR is at most ``far`` (no interpolation).

    Examples
    --------
    >>> frr_at_far([0.9, 0.8, 0.5, 0.4], [0.1, 0.2, 0.6, 0.3], far=0.25)
    0.0
    >>> frr_at_far([0.9, 0.8, 0.5, 0.4], [0.1, 0.2, 0.6, 0.3], far=0.0)
    0.5
    """
    if not 0 <= far <= 1:
        raise InputError(f"far must be in 0..1, got {far!r}")
    roc = roc_curve(genuine, impostor)
    return float(roc.frr[roc.far <= far + 1e-12].min())


# ---------------------------------------------------------------------------- bootstrap
@dataclass(frozen=True)
class BootstrapResult:
    """A metric on all data and its percentile bootstrap confidence interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    n_boot: int
    seed: int

    def to_dict(self) -> dict:
        """The result as a plain dictionary."""
        return asdict(self)


def bootstrap_ci(metric: Callable[..., float], *arrays, groups=None, n_boot: int = 1000,
                 confidence: float = 0.95, seed: int = 0) -> BootstrapResult:
    """Percentile bootstrap confidence interval of any metric.

    Parameters
    ----------
    metric : callable
        Called as ``metric(*arrays)`` on resampled arrays.
    *arrays : array_like
        Same length (for example ``y_true, y_pred``).
    groups : array_like, optional
        Resample whole groups (recordings, subjects) with replacement instead of single
        samples, since samples within a group are not independent.
    n_boot : int
        Number of resamples.
    confidence : float
        Coverage of the interval.
    seed : int
        Seed of the random generator: the same inputs give the same interval.

    Examples
    --------
    >>> y_true, y_pred = np.array([0, 1] * 20), np.array([0, 1] * 15 + [1, 0] * 5)
    >>> result = bootstrap_ci(accuracy, y_true, y_pred, n_boot=200, seed=1)
    >>> result.estimate, result.low < 0.75 < result.high
    (0.75, True)
    """
    arrays = [np.asarray(a) for a in arrays]
    if not arrays or len({len(a) for a in arrays}) != 1 or len(arrays[0]) == 0:
        raise InputError("bootstrap needs one or more non-empty arrays of equal length")
    if n_boot < 1 or not 0 < confidence < 1:
        raise InputError(f"need n_boot >= 1 and 0 < confidence < 1, got {n_boot}, {confidence}")
    n = len(arrays[0])
    rng = np.random.default_rng(seed)
    if groups is None:
        members = [np.array([i]) for i in range(n)]
    else:
        groups = np.asarray(groups)
        if len(groups) != n:
            raise InputError(f"groups has {len(groups)} values for {n} samples")
        _, inverse = np.unique(groups, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        members = np.split(order, np.cumsum(np.bincount(inverse))[:-1])
    values = []
    for _ in range(n_boot):
        index = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
        values.append(metric(*(a[index] for a in arrays)))
    values = np.asarray(values, dtype=np.float64)
    tail = 100 * (1 - confidence) / 2
    low, high = np.nanpercentile(values, [tail, 100 - tail])
    return BootstrapResult(float(metric(*arrays)), float(low), float(high), confidence, n_boot,
                           seed)

