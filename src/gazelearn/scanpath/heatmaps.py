"""Heat maps (fixation-density or saliency maps) and the measures that compare them.

A heat map is gaze rendered on a grid over the screen: each gaze sample or fixation adds its
weight to the cell it falls in, and a Gaussian blur spreads it. The blur width is given in
degrees of visual angle and converted with the screen's pixels per degree **at the screen
centre** (``sigma_px = sigma_deg * screen.pixels_per_degree``), then scaled to grid cells
separately along x and y; towards the screen edges one degree covers slightly fewer pixels, which
this fast, single-width blur ignores (about 1 % at 10 deg eccentricity). The blur is
``scipy.ndimage.gaussian_filter`` with zero padding: mass blurred past the screen edge is lost
before normalisation.

The comparison measures follow Bylinskii, Judd, Oliva, Torralba & Durand (2019), "What do
different evaluation metrics tell us about saliency models?", IEEE TPAMI 41(3), 740-757:
:func:`cc`, :func:`kl_divergence`, :func:`similarity`, :func:`nss` and :func:`auc_judd`.

Examples
--------
>>> from gazelearn.simulate import simulate_recording
>>> rec = simulate_recording(duration_s=2.0, seed=1)
>>> density = heatmap(rec, grid=(64, 36), sigma_deg=1.0)
>>> density.shape, round(float(density.sum()), 6)
((36, 64), 1.0)
>>> round(cc(density, density), 6), round(similarity(density, density), 6)
(1.0, 1.0)
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from gazelearn.errors import InputError
from gazelearn.events import Events
from gazelearn.recording import Recording
from gazelearn.scanpath._points import (
    bin_points,
    check_grid,
    points,
    require_degrees,
    resolve_screen,
    screen_area,
)
from gazelearn.screen import Screen

__all__ = [
    "auc_judd",
    "blur_sigma_cells",
    "cc",
    "fixation_map",
    "heatmap",
    "kl_divergence",
    "normalize_map",
    "nss",
    "similarity",
]


def blur_sigma_cells(screen: Screen | None, grid, sigma_deg: float | None = None,
                     sigma_px: float | None = None, extent=None) -> tuple[float, float]:
    """The blur width in grid cells along y and x (the order ``gaussian_filter`` wants).

    Parameters
    ----------
    screen : Screen or None
        Needed when the width is in degrees.
    grid : (width, height)
        Grid size in cells.
    sigma_deg, sigma_px : float, optional
        The width in degrees (at the screen centre) or in screen pixels; give one, not both.
        Neither means 1 degree.
    extent : (width_px, height_px), optional
        The screen area the grid covers (the screen's resolution by default).

    Examples
    --------
    >>> screen = Screen(1024, 768, 380.0, 300.0, 670.0)
    >>> sy, sx = blur_sigma_cells(screen, (64, 48), sigma_deg=1.0)
    >>> round(screen.pixels_per_degree, 3), round(sx, 4), round(sy, 4)
    (30.724, 1.9203, 1.9203)
    >>> blur_sigma_cells(None, (100, 100), sigma_px=20.0, extent=(1000, 500))
    (4.0, 2.0)
    """
    w, h = check_grid(grid)
    if sigma_deg is not None and sigma_px is not None:
        raise InputError("give the blur width as sigma_deg or sigma_px, not both")
    if sigma_px is None:
        sigma_deg = 1.0 if sigma_deg is None else float(sigma_deg)
        if not np.isfinite(sigma_deg) or sigma_deg < 0:
            raise InputError(f"sigma_deg must be a non-negative number, got {sigma_deg}")
        screen = require_degrees(screen, "a blur width in degrees", "or sigma_px=... (the blur "
                                 "in screen pixels) with extent=(width_px, height_px)")
        sigma_px = sigma_deg * screen.pixels_per_degree
    sigma_px = float(sigma_px)
    if not np.isfinite(sigma_px) or sigma_px < 0:
        raise InputError(f"sigma_px must be a non-negative number, got {sigma_px}")
    area_w, area_h = screen_area(screen, extent)
    return sigma_px * h / area_h, sigma_px * w / area_w


def normalize_map(values: np.ndarray, normalize: str | None = "sum") -> np.ndarray:
    """Scale a map to sum 1 (``"sum"``, a probability map), peak 1 (``"max"``) or not (None).

    Examples
    --------
    >>> normalize_map(np.array([[1.0, 3.0]])).tolist(), normalize_map(np.array([[1.0, 4.0]]),
    ...                                                                 "max").tolist()
    ([[0.25, 0.75]], [[0.25, 1.0]])
    """
    if normalize is None:
        return values
    if normalize not in ("sum", "max"):
        raise InputError(f"normalize must be 'sum', 'max' or None, got {normalize!r}")
    total = values.sum() if normalize == "sum" else values.max(initial=0.0)
    if not total > 0:
        raise InputError("the map is empty (no weight on the grid), it cannot be normalised")
    return values / total


def fixation_map(data: Recording | Events, screen: Screen | None = None, grid=(64, 48), *,
                 extent=None, source: str = "fixations", weight: str | None = None,
                 events: Events | None = None, detector: str = "idt",
                 detector_options: dict | None = None,
                 dispersion_px: float | None = None) -> np.ndarray:
    """Count (or summed duration) of fixations or samples per grid cell, without blur.

    This is the "fixation map" that :func:`nss` and :func:`auc_judd` evaluate a saliency map
    against. Arguments are those of :func:`heatmap`; note the default ``source="fixations"``.
    There is no blur, so ``extent`` alone (without a screen) is enough for the area.

    Examples
    --------
    >>> import polars as pl
    >>> fixations = Events(pl.DataFrame({"type": ["fixation"] * 3, "onset": [0.0, 0.3, 0.6],
    ...     "offset": [0.2, 0.5, 0.9], "mean_x": [10.0, 15.0, 90.0], "mean_y": [5.0, 8.0, 40.0]}))
    >>> fixation_map(fixations, grid=(4, 2), extent=(100, 50)).tolist()
    [[2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
    """
    grid = check_grid(grid)
    screen = resolve_screen(data, screen)
    area = screen_area(screen, extent)
    x, y, w, _ = points(data, source, weight, events, detector, detector_options,
                        dispersion_px, screen)
    return bin_points(x, y, w, grid, area)


def heatmap(data: Recording | Events, screen: Screen | None = None, grid=(64, 48),
            sigma_deg: float | None = None, *, sigma_px: float | None = None, extent=None,
            source: str = "samples", weight: str | None = None, normalize: str | None = "sum",
            events: Events | None = None, detector: str = "idt",
            detector_options: dict | None = None,
            dispersion_px: float | None = None) -> np.ndarray:
    """Render gaze samples or fixations as a blurred density map on a grid over the screen.

    Parameters
    ----------
    data : Recording or Events
        The gaze; an Events table gives its fixations (``source="fixations"``).
    screen : Screen, optional
        Geometry; the recording's own by default. Needed for a blur in degrees and for the
        screen area unless ``sigma_px`` and ``extent`` are given.
    grid : (width, height) or None
        Map size in cells, e.g. ``(64, 48)``; ``None`` for one cell per screen pixel.
    sigma_deg : float, optional
        Blur width (Gaussian standard deviation) in degrees of visual angle at the screen centre;
        1 degree when neither it nor ``sigma_px`` is given. 0 means no blur.
    sigma_px : float, optional
        Blur width in screen pixels: the option for recordings without a screen.
    extent : (width_px, height_px), optional
        The screen area the grid covers; the screen's resolution by default. Points outside it
        are left out.
    source : {"samples", "fixations"}
        Render every valid gaze sample, or the centre of every fixation.
    weight : {None, "duration"}
        Weigh fixations by their duration (samples by their interval) instead of counting them.
    normalize : {"sum", "max", None}
        Sum to 1 (a probability map), peak at 1, or the raw blurred weight.
    events : Events, optional
        Fixations to use for a Recording with ``source="fixations"`` (else detected).
    detector : str
        Detector for the fixations (``idt`` by default, ``labels`` for the recording's labels).
    detector_options : dict, optional
        Options of that detector.
    dispersion_px : float, optional
        Detect fixations with I-DT in pixels (for recordings without a screen).

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width)``, row 0 at the top of the screen.

    Raises
    ------
    InputError
        On bad options, a missing screen (a :class:`~gazelearn.errors.MissingScreenError`), or
        when no gaze point falls on the screen area.

    Examples
    --------
    >>> import numpy as np
    >>> from gazelearn import Recording, Screen
    >>> screen = Screen(1024, 768, 380.0, 300.0, 670.0)
    >>> rec = Recording(np.arange(3) / 100, [100.0, np.nan, 900.0], [100.0, 0.0, 700.0],
    ...                 screen=screen)
    >>> density = heatmap(rec, grid=(32, 24), sigma_deg=0.5, normalize="max")
    >>> density.shape, float(density.max())
    ((24, 32), 1.0)
    >>> [int(i) for i in np.unravel_index(np.argmax(density), density.shape)]  # first sample
    [3, 3]
    """
    screen = resolve_screen(data, screen)
    area = screen_area(screen, extent)
    grid = (int(round(area[0])), int(round(area[1]))) if grid is None else check_grid(grid)
    sigma = blur_sigma_cells(screen, grid, sigma_deg, sigma_px, extent)
    x, y, w, _ = points(data, source, weight, events, detector, detector_options,
                        dispersion_px, screen)
    counts = bin_points(x, y, w, grid, area)
    if not counts.sum() > 0:
        raise InputError(f"no gaze point falls on the screen area ({area[0]:g} x {area[1]:g} px)"
                         f" among {len(x)} {source}: nothing to render")
    density = gaussian_filter(counts, sigma=sigma, mode="constant") if max(sigma) > 0 else counts
    return normalize_map(density, normalize)


# ---------------------------------------------------------------------------- comparisons
def _pair(a, b, names: str = "maps") -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise InputError(f"the {names} must be 2-D arrays of the same shape, got {a.shape} "
                         f"and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise InputError(f"the {names} must not contain NaN or infinity")
    return a, b


def _distribution(values: np.ndarray, name: str) -> np.ndarray:
    if np.any(values < 0):
        raise InputError(f"{name} has negative values; a density map cannot")
    total = values.sum()
    if not total > 0:
        raise InputError(f"{name} is empty (sums to 0)")
    return values / total


def cc(a, b) -> float:
    """Pearson's linear correlation coefficient (CC) between two maps.

    1 for maps equal up to scale and offset, 0 for unrelated maps, -1 for inverted ones.

    Examples
    --------
    >>> cc([[0, 1], [2, 3]], [[10, 12], [14, 16]]), cc([[0, 1]], [[1, 0]])
    (1.0, -1.0)
    """
    a, b = _pair(a, b)
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    denominator = np.sqrt(np.dot(a, a) * np.dot(b, b))
    if not denominator > 0:
        raise InputError("a constant map has no correlation with anything")
    return float(np.clip(np.dot(a, b) / denominator, -1.0, 1.0))


def kl_divergence(p, q, eps: float = float(np.finfo(np.float64).eps)) -> float:
    """Kullback-Leibler divergence of map ``q`` (prediction) from ``p`` (ground truth), in nats.

    Both maps are scaled to sum 1; then ``KL = sum p * log(eps + p / (q + eps))``, the
    regularised form of the MIT saliency benchmark (so empty cells of ``q`` give a large but
    finite penalty). 0 for identical maps; not symmetric.

    Examples
    --------
    >>> round(kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]), 6)  # 0.5 ln 2 + 0.5 ln(2/3)
    0.143841
    >>> kl_divergence([[1.0, 3.0]], [[1.0, 3.0]]) < 1e-12
    True
    """
    p, q = _pair(p, q)
    p, q = _distribution(p, "p"), _distribution(q, "q")
    return float(np.sum(p * np.log(eps + p / (q + eps))))


def similarity(a, b) -> float:
    """Similarity (SIM, histogram intersection): ``sum(min(a, b))`` of the maps scaled to sum 1.

    1 for identical distributions, 0 for maps without overlap.

    Examples
    --------
    >>> similarity([[1, 1, 0, 0]], [[0, 1, 1, 0]]), similarity([[1, 0]], [[0, 1]])
    (0.5, 0.0)
    """
    a, b = _pair(a, b)
    return float(np.minimum(_distribution(a, "a"), _distribution(b, "b")).sum())


def nss(saliency, fixations) -> float:
    """Normalised scanpath saliency: the mean standardised saliency at fixated cells.

    The saliency map is standardised to mean 0 and standard deviation 1 (population standard
    deviation, ``ddof=0``); NSS is the mean of those values over the cells where ``fixations``
    is positive (each fixated cell counts once). 0 is chance level.

    Peters, Iyer, Itti & Koch (2005). Components of bottom-up gaze allocation in natural images.
    Vision Research 45(18), 2397-2416.

    Examples
    --------
    >>> round(nss([[0, 0, 0, 4]], [[0, 0, 0, 1]]), 6)  # (4 - 1) / sqrt(3)
    1.732051
    """
    s, f = _pair(saliency, fixations, "saliency and fixation maps")
    fixated = f > 0
    if not fixated.any():
        raise InputError("the fixation map has no fixated cell")
    std = s.std()
    if not std > 0:
        raise InputError("a constant saliency map cannot be standardised")
    return float(((s - s.mean()) / std)[fixated].mean())


def auc_judd(saliency, fixations) -> float:
    """Area under the ROC curve of a saliency map as a classifier of fixated cells (AUC-Judd).

    The thresholds are the saliency values at the fixated cells; at each, the true-positive
    rate is the share of fixated cells at or above it and the false-positive rate the share of
    the other cells at or above it (Judd, Ehinger, Durand & Torralba 2009, "Learning to predict
    where humans look", ICCV). The curve is closed with (0, 0) and (1, 1) and integrated with the
    trapezoid rule. Unlike the MIT benchmark code, no random jitter breaks ties: the result is
    deterministic. 0.5 is chance, 1 perfect.

    Examples
    --------
    >>> auc_judd([[0.9, 0.1, 0.2, 0.8]], [[1, 0, 0, 1]])
    1.0
    >>> auc_judd([[0.9, 0.1, 0.2, 0.8]], [[1, 0, 1, 0]])  # (0,0) (0,.5) (.5,1) (1,1)
    0.875
    """
    s, f = _pair(saliency, fixations, "saliency and fixation maps")
    s, fixated = s.ravel(), f.ravel() > 0
    n_fix, n_cells = int(fixated.sum()), s.size
    if n_fix == 0:
        raise InputError("the fixation map has no fixated cell")
    if n_fix == n_cells:
        raise InputError("every cell is fixated: there is nothing to tell apart")
    thresholds = np.sort(s[fixated])[::-1]
    sorted_all = np.sort(s)
    above = n_cells - np.searchsorted(sorted_all, thresholds, side="left")  # count of s >= t
    tp = np.arange(1, n_fix + 1) / n_fix
    fp = (above - np.arange(1, n_fix + 1)) / (n_cells - n_fix)
    tp = np.concatenate(([0.0], tp, [1.0]))
    fp = np.concatenate(([0.0], np.clip(fp, 0.0, 1.0), [1.0]))
    return float(np.sum(np.diff(fp) * (tp[1:] + tp[:-1]) / 2.0))  # trapezoid rule
