"""Regression metrics and gaze errors in px, degrees and % of screen; precision (RMS-S2S)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from gazelearn.errors import InputError
from gazelearn.metrics._common import _pair, _ratio
from gazelearn.screen import Screen


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
    return 100.0 * error_px(true_xy, pred_xy) / Screen.coerce(screen).diagonal_px


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
    width, height = Screen.coerce(screen).size_px
    delta = pred_xy - true_xy
    return 100.0 * np.hypot(delta[:, 0] / width, delta[:, 1] / height)


def gaze_error(true_xy, pred_xy, screen=None) -> dict[str, ErrorSummary]:
    """Summaries of every gaze error the screen information allows.

    Returns ``px`` always; ``pct_diagonal`` and ``pct_normalized`` with a screen (a
    :class:`Screen` or ``(W, H)``); ``deg`` when the screen has its size in mm and the viewing
    distance.

    Examples
    --------
    >>> result = gaze_error([[0, 0], [0, 0]], [[3, 4], [6, 8]], screen=(300, 400))
    >>> result["px"].mean, sorted(result)
    (7.5, ['pct_diagonal', 'pct_normalized', 'px'])
    """
    result = {"px": summarize_errors(error_px(true_xy, pred_xy), "px")}
    if screen is not None:
        screen = Screen.coerce(screen)
        result["pct_diagonal"] = summarize_errors(error_pct_diagonal(true_xy, pred_xy, screen),
                                                  "% diagonal")
        result["pct_normalized"] = summarize_errors(
            error_pct_normalized(true_xy, pred_xy, screen), "% normalized")
    if screen is not None and screen.has_geometry:
        result["deg"] = summarize_errors(error_deg(true_xy, pred_xy, screen), "deg")
    return dict(sorted(result.items()))


def rms_s2s(xy, screen: Screen | None = None) -> float:
    """Precision as the root mean square of sample-to-sample distances (RMS-S2S).

    Pixels without a screen, exact degrees with one (which must then have its size in mm and
    the viewing distance); pairs touching a lost sample are skipped.

    Examples
    --------
    >>> rms_s2s([[0, 0], [3, 4], [3, 4], [np.nan, np.nan]])
    3.5355339059327378
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise InputError(f"expected an (n, 2) array of x, y, got shape {xy.shape}")
    return rms_steps(xy[:, 0], xy[:, 1], screen)


def rms_steps(x: np.ndarray, y: np.ndarray, screen: Screen | None = None,
              keep: np.ndarray | None = None) -> float:
    """:func:`rms_s2s` of positions given as two arrays (no ``(n, 2)`` copy).

    Squared pixel steps are summed without a square root per step; degrees come from
    :meth:`Screen.step_angles` (each gaze vector computed once). Pairs touching a lost sample
    (NaN or inf in either coordinate) are skipped, and with ``keep`` (a mask of the samples
    that count) pairs touching a sample outside it. The steps are taken in pieces of 2**18
    samples into one array of the finite ones (its mean is the one of a single pass, bit for
    bit): an hour of samples needs no further copies of every step.

    Examples
    --------
    >>> rms_steps(np.array([0.0, 3, 3, np.nan]), np.array([0.0, 4, 4, 1]))
    3.5355339059327378
    >>> rms_steps(np.array([0.0, 3, 3, 9]), np.zeros(4), keep=np.array([1, 1, 0, 1], bool))
    3.0
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 2:
        return float("nan")
    block = 1 << 18
    squared, w = np.empty(len(x) - 1), 0
    for lo in range(0, len(x) - 1, block):
        xs, ys = x[lo:lo + block + 1], y[lo:lo + block + 1]
        if screen is None:
            part = np.diff(xs)
            part *= part
            dy = np.diff(ys)
            dy *= dy
            part += dy
        else:
            part = screen.step_angles(xs, ys)
            part *= part
        ok = np.isfinite(part)
        if keep is not None:
            ok &= keep[lo:lo + block][:part.size]
            ok &= keep[lo + 1:lo + block + 1]
        part = part[ok]
        squared[w:w + part.size] = part
        w += part.size
    return float(np.sqrt(np.mean(squared[:w]))) if w else float("nan")
