"""Spatial plots: gaze over a stimulus, scanpaths, heat maps and gaze-error vectors.

Screen coordinates are pixels with the origin at the top-left corner and y pointing down, as in
every gazelearn recording; these plots invert the y axis accordingly. A stimulus ``image`` may be
a file path or an array and is stretched over the screen area; ``screen_size`` is
``(width_px, height_px)`` or a :class:`gazelearn.Screen`.

Examples
--------
>>> import numpy as np
>>> fig = scanpath([100, 300], [100, 200], [0.3, 0.2], screen_size=(400, 300))
>>> fig.axes[0].get_ylim()
(300.0, 0.0)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from gazelearn.errors import InputError
from gazelearn.report._common import axes_or_new as _axes
from gazelearn.report._common import same_length as _same_length
from gazelearn.report._common import vector as _vector
from gazelearn.screen import screen_size as checked_screen_size

__all__ = [
    "error_vector_panels",
    "error_vectors",
    "gaze_on_stimulus",
    "heatmap",
    "heatmap_panels",
    "scanpath",
]

ImageLike = str | os.PathLike[str] | np.ndarray


def _load_image(image: ImageLike) -> np.ndarray:
    if isinstance(image, np.ndarray):
        if image.ndim not in (2, 3):
            raise InputError(f"image must be 2-D or 3-D, got shape {image.shape}")
        return image
    if not isinstance(image, str | os.PathLike):
        raise InputError(f"image must be a file path or an array, got a {type(image).__name__}")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(Path(image)) as im:
            return np.asarray(im.convert("RGB"))
    except (OSError, UnidentifiedImageError) as exc:
        raise InputError(f"cannot read image: {exc}", source=image) from None


def _screen_wh(
    screen_size: Any,
    image: np.ndarray | None,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
) -> tuple[float, float]:
    """Width and height of the drawing area: screen_size, a Screen, the image, or the data."""
    if screen_size is not None:
        return checked_screen_size(screen_size)
    if image is not None:
        return float(image.shape[1]), float(image.shape[0])
    # no screen, no image: the data range from 0, with a margin
    tops = [
        float(np.max(v[np.isfinite(v)])) if v is not None and np.isfinite(v).any() else 1.0
        for v in (x, y)
    ]
    return max(1.05 * tops[0], 1.0), max(1.05 * tops[1], 1.0)


def _stimulus(
    ax: Axes,
    image: ImageLike | None,
    screen_size: Any,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
) -> tuple[float, float]:
    """Draw the stimulus (if any) over the screen area; set limits with y pointing down."""
    array = _load_image(image) if image is not None else None
    w, h = _screen_wh(screen_size, array, x, y)
    if array is not None:
        cmap = "gray" if array.ndim == 2 else None
        ax.imshow(array, extent=(0, w, h, 0), cmap=cmap, zorder=0)
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.set_aspect("equal")
    ax.set_xlabel("x (px)")
    ax.set_ylabel("y (px)")
    return w, h


def gaze_on_stimulus(
    x: Any,
    y: Any,
    image: ImageLike | None = None,
    screen_size: Any = None,
    sizes: Any = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot gaze samples or fixations over a stimulus image.

    Parameters
    ----------
    x, y : arrays
        Gaze positions in pixels (NaN samples are skipped).
    image : path or array, optional
        The stimulus, stretched over the screen area.
    screen_size : (width, height) or Screen, optional
        Screen area in pixels; the image size, or the data range, by default.
    sizes : array, optional
        Marker areas (e.g. fixation durations scaled); small dots by default.
    title : str, optional
        Axes title.
    ax : Axes, optional
        Draw here instead of a new figure.

    Examples
    --------
    >>> img = np.zeros((60, 80, 3), dtype=np.uint8)
    >>> fig = gaze_on_stimulus([10, 40, 70], [5, 30, 50], image=img)
    >>> fig.axes[0].get_xlim(), fig.axes[0].get_ylim()
    ((0.0, 80.0), (60.0, 0.0))
    """
    xa, ya = _vector(x, "x"), _vector(y, "y")
    _same_length(x=xa, y=ya)
    fig, ax = _axes(ax)
    _stimulus(ax, image, screen_size, xa, ya)
    s = 6 if sizes is None else _vector(sizes, "sizes")
    ax.scatter(xa, ya, s=s, color="#D55E00", alpha=0.6, edgecolors="none", zorder=2)
    ax.set_title(title or f"gaze ({np.isfinite(xa).sum()} points)")
    return fig


def scanpath(
    fix_x: Any,
    fix_y: Any,
    durations: Any,
    image: ImageLike | None = None,
    screen_size: Any = None,
    max_size: float = 1200.0,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot a scanpath: fixation circles sized by duration, numbered in order, joined by lines.

    Parameters
    ----------
    fix_x, fix_y : arrays
        Fixation centres in pixels.
    durations : array
        Fixation durations (any unit); circle area is proportional to duration.
    image : path or array, optional
        The stimulus.
    screen_size : (width, height) or Screen, optional
        Screen area in pixels.
    max_size : float, default 1200
        Marker area (points squared) of the longest fixation.
    title : str, optional
        Axes title.
    ax : Axes, optional
        Draw here instead of a new figure.

    Examples
    --------
    >>> fig = scanpath([100, 300, 200], [100, 120, 300], [0.2, 0.4, 0.1], screen_size=(400, 400))
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['1', '2', '3']
    """
    xa, ya, da = _vector(fix_x, "fix_x"), _vector(fix_y, "fix_y"), _vector(durations, "durations")
    _same_length(fix_x=xa, fix_y=ya, durations=da)
    fig, ax = _axes(ax)
    _stimulus(ax, image, screen_size, xa, ya)
    dmax = np.nanmax(da) if np.isfinite(da).any() and np.nanmax(da) > 0 else 1.0
    sizes = np.clip(np.nan_to_num(da / dmax), 0.02, 1.0) * max_size
    ax.plot(xa, ya, "-", color="#E69F00", linewidth=1.5, alpha=0.8, zorder=2)
    ax.scatter(xa, ya, s=sizes, color="#0072B2", alpha=0.55, edgecolors="white", zorder=3)
    for i, (xi, yi) in enumerate(zip(xa, ya, strict=True), start=1):
        if np.isfinite(xi) and np.isfinite(yi):
            ax.text(
                xi,
                yi,
                str(i),
                ha="center",
                va="center",
                color="white",
                fontsize="small",
                fontweight="bold",
                zorder=4,
            )
    ax.set_title(title or f"scanpath ({len(xa)} fixations)")
    return fig


def _faded(cmap: str, alpha: float) -> Any:
    """``cmap`` as an overlay of opacity ``alpha * value`` looks over white: the colour bar's."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    ramp = np.linspace(0.0, 1.0, 256)[:, None]
    opacity = alpha * ramp
    return ListedColormap(opacity * colormaps[cmap](ramp[:, 0])[:, :3] + (1.0 - opacity))


def heatmap(
    density: Any,
    image: ImageLike | None = None,
    alpha: float = 0.6,
    screen_size: Any = None,
    cmap: str = "inferno",
    title: str | None = None,
    ax: Axes | None = None,
    *,
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: str | None = None,
) -> Figure:
    """Overlay a saliency / fixation-density map on a stimulus.

    The map is stretched over the screen area (it may have a lower resolution than the image).
    Over a stimulus its opacity grows with the density, up to ``alpha`` at ``vmax``, so empty
    regions leave the stimulus visible; without one it is drawn opaque, so its colours are
    exactly the colour bar's.

    Parameters
    ----------
    density : 2-D array
        The map, rows top to bottom.
    image : path or array, optional
        The stimulus.
    alpha : float, default 0.6
        Opacity at the top of the colour scale over a stimulus, 0..1.
    screen_size : (width, height) or Screen, optional
        Screen area; the image size, or the map size, by default.
    cmap : str, default "inferno"
        Colour map.
    title : str, optional
        Axes title.
    ax : Axes, optional
        Draw here instead of a new figure.
    vmin, vmax : float, optional
        The colour scale; the map's minimum and maximum by default. Give the same values to
        maps that are compared (:func:`heatmap_panels` does).
    colorbar : str, optional
        Draw a colour bar with this label (say the unit, e.g. ``"% of gaze samples per
        cell"``); none by default. Over a stimulus the bar shows the colours as they look
        over white.

    Examples
    --------
    >>> density = np.zeros((30, 40))
    >>> density[15, 20] = 2.0
    >>> fig = heatmap(density, screen_size=(400, 300), colorbar="fixations per cell")
    >>> len(fig.axes), fig.axes[0].images[0].get_clim()
    (2, (0.0, 2.0))
    """
    d = np.asarray(density, dtype=float)
    if d.ndim != 2:
        raise InputError(f"density must be a 2-D array, got shape {d.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha must be in 0..1, got {alpha}")
    fig, ax = _axes(ax)
    size = screen_size
    if size is None and image is None:
        size = (d.shape[1], d.shape[0])
    w, h = _stimulus(ax, image, size)
    d = np.nan_to_num(d, nan=0.0)
    low = float(d.min()) if vmin is None else float(vmin)
    high = float(d.max()) if vmax is None else float(vmax)
    if high < low:
        raise InputError(f"vmax ({high}) must not be below vmin ({low})")
    share = np.clip((d - low) / (high - low), 0.0, 1.0) if high > low else np.zeros_like(d)
    shown = ax.imshow(
        d,
        extent=(0, w, h, 0),
        cmap=cmap,
        alpha=alpha * share if image is not None else None,
        vmin=low,
        vmax=high if high > low else low + 1.0,
        interpolation="bilinear",
        zorder=1,
    )
    if colorbar is not None:
        _colour_bar(fig, shown, [ax], colorbar,
                    cmap=_faded(cmap, alpha) if image is not None else None)
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.set_title(title or "heat map")
    return fig


def _panels(n: int, columns: int | None, panel: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    """A figure of ``n`` panels in rows of ``columns``, room for one colour bar at the right."""
    from gazelearn.report._common import new_figure

    if n == 0:
        raise InputError("nothing to plot: no panels given")
    cols = min(n, columns or n)
    rows = -(-n // cols)
    fig = new_figure((panel[0] * cols + 1.2, panel[1] * rows))
    grid = fig.subplots(rows, cols, squeeze=False)
    for extra in grid.ravel()[n:]:
        extra.remove()
    return fig, list(grid.ravel()[:n])


def _colour_bar(fig: Figure, mappable: Any, axes: list[Axes], label: str, cmap: Any = None) -> Any:
    """One colour bar for ``axes`` (all drawn on ``mappable``'s scale), labelled with its unit."""
    if cmap is not None:  # the colours as they look (e.g. a faded overlay), same scale
        from matplotlib.cm import ScalarMappable

        mappable = ScalarMappable(norm=mappable.norm, cmap=cmap)
    return fig.colorbar(mappable, ax=axes, label=label, shrink=0.85)


def heatmap_panels(
    maps: Mapping[str, Any],
    colorbar: str,
    image: ImageLike | None = None,
    screen_size: Any = None,
    cmap: str = "inferno",
    alpha: float = 0.6,
    columns: int | None = None,
) -> Figure:
    """Heat maps to compare, side by side on one colour scale with one colour bar.

    The scale runs from the smallest to the largest value of all maps, so the same colour
    means the same density in every panel (a map drawn on its own scale would look as dense
    as any other).

    Parameters
    ----------
    maps : dict of str to 2-D array
        Panel title -> density map, in the same units.
    colorbar : str
        Label of the shared colour bar, with the unit.
    image, screen_size, cmap, alpha
        As in :func:`heatmap`.
    columns : int, optional
        Panels per row; all in one row by default.

    Examples
    --------
    >>> fig = heatmap_panels({"a": np.eye(4), "b": 2 * np.eye(4)}, "count", screen_size=(40, 40))
    >>> [ax.images[0].get_clim() for ax in fig.axes[:2]]
    [(0.0, 2.0), (0.0, 2.0)]
    """
    arrays = {str(k): np.nan_to_num(np.asarray(v, dtype=float), nan=0.0) for k, v in maps.items()}
    fig, axes = _panels(len(arrays), columns, (4.6, 3.2))
    low = min(float(a.min()) for a in arrays.values())
    high = max(float(a.max()) for a in arrays.values())
    for ax, (name, density) in zip(axes, arrays.items(), strict=True):
        heatmap(density, image=image, alpha=alpha, screen_size=screen_size, cmap=cmap,
                title=name, ax=ax, vmin=low, vmax=high)
    _colour_bar(fig, axes[0].images[-1], axes, colorbar,
                cmap=_faded(cmap, alpha) if image is not None else None)
    return fig


def error_vectors(
    true_xy: Any,
    pred_xy: Any,
    screen_size: Any,
    unit: str = "px",
    title: str | None = None,
    ax: Axes | None = None,
    *,
    vmax: float | None = None,
    colorbar: bool = True,
) -> Figure:
    """Draw arrows from true to predicted gaze points, coloured by the error length.

    Parameters
    ----------
    true_xy, pred_xy : arrays of shape (n, 2)
        True and predicted points in pixels.
    screen_size : (width, height) or Screen
        Screen area in pixels.
    unit : str, default "px"
        Unit shown on the colour bar (the error is the pixel distance).
    title : str, optional
        Axes title; by default the mean and median error.
    ax : Axes, optional
        Draw here instead of a new figure.
    vmax : float, optional
        Top of the colour scale (which starts at 0); the largest error by default.
    colorbar : bool, default True
        Draw the colour bar.

    Returns
    -------
    Figure
        The plot axes and a colour bar axes.

    Examples
    --------
    >>> t = np.array([[100.0, 100.0], [500.0, 300.0]])
    >>> fig = error_vectors(t, t + [[10, 0], [0, 20]], screen_size=(800, 600))
    >>> len(fig.axes), fig.axes[0].get_title()
    (2, 'gaze error: mean 15 px, median 15 px (n=2)')
    """
    t = np.asarray(true_xy, dtype=float)
    p = np.asarray(pred_xy, dtype=float)
    if t.ndim != 2 or t.shape[1] != 2 or t.shape != p.shape:
        raise InputError(
            f"true_xy and pred_xy must both have shape (n, 2), got {t.shape} and {p.shape}"
        )
    delta = p - t
    err = np.hypot(delta[:, 0], delta[:, 1])
    finite = err[np.isfinite(err)]
    fig, ax = _axes(ax, (7.0, 5.0))
    _stimulus(ax, None, screen_size)
    dot = float(np.clip(800.0 / max(len(t), 1), 2.0, 8.0))  # hundreds of targets: small dots
    ax.scatter(t[:, 0], t[:, 1], s=dot, color="0.3", zorder=2, label="true")
    arrows = ax.quiver(
        t[:, 0],
        t[:, 1],
        delta[:, 0],
        delta[:, 1],
        err,
        angles="xy",
        scale_units="xy",
        scale=1,
        cmap="viridis",
        width=0.004,
        zorder=3,
    )
    top = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    arrows.set_clim(0.0, max(top, 1e-12))
    if colorbar:
        _colour_bar(fig, arrows, [ax], f"error ({unit})")
    if title is None and finite.size:
        title = (
            f"gaze error: mean {_amount(finite.mean(), unit)}, "
            f"median {_amount(float(np.median(finite)), unit)} (n={finite.size})"
        )
    ax.set_title(title or "gaze error")
    return fig


def _amount(value: float, unit: str) -> str:
    """An error with its unit: whole pixels, else 3 significant digits."""
    return f"{value:.0f} px" if unit == "px" else f"{value:.3g} {unit}"


def error_vector_panels(
    panels: Mapping[str, tuple[Any, Any]],
    screen_size: Any,
    unit: str = "px",
    columns: int | None = None,
) -> Figure:
    """Gaze errors of several methods side by side: arrows from target to estimate.

    All panels share one colour scale (0 to the largest error of any panel) and one colour
    bar; each panel's title gives its method's mean and median error.

    Parameters
    ----------
    panels : dict of str to (true_xy, pred_xy)
        Method -> targets and estimates, arrays of shape (n, 2) in pixels.
    screen_size : (width, height) or Screen
        Screen area in pixels.
    unit : str, default "px"
        Unit on the colour bar.
    columns : int, optional
        Panels per row; all in one row by default.

    Examples
    --------
    >>> t = np.array([[100.0, 100.0], [500.0, 300.0]])
    >>> fig = error_vector_panels({"a": (t, t + 10), "b": (t, t + 40)}, screen_size=(800, 600))
    >>> [ax.collections[-1].get_clim()[1] for ax in fig.axes[:2]] == [np.hypot(40, 40)] * 2
    True
    """
    pairs = {str(k): (np.asarray(a, dtype=float), np.asarray(b, dtype=float))
             for k, (a, b) in panels.items()}
    errors = [np.hypot(*(b - a).T) for a, b in pairs.values() if np.ndim(a) == 2]
    finite = np.concatenate([e[np.isfinite(e)] for e in errors]) if errors else np.array([])
    top = float(finite.max()) if finite.size else 1.0
    fig, axes = _panels(len(pairs), columns, (3.1, 2.3))
    for ax, (name, (true_xy, pred_xy)) in zip(axes, pairs.items(), strict=True):
        error_vectors(true_xy, pred_xy, screen_size, unit=unit, ax=ax, vmax=top, colorbar=False)
        ax.xaxis.set_major_locator(MaxNLocator(4))  # narrow panels: fewer, readable ticks
        ax.yaxis.set_major_locator(MaxNLocator(4))
        err = np.hypot(*(pred_xy - true_xy).T)
        err = err[np.isfinite(err)]
        ax.set_title(f"{name}\nmean {_amount(float(err.mean()), unit)}, median "
                     f"{_amount(float(np.median(err)), unit)}" if err.size else name,
                     fontsize="medium")
    _colour_bar(fig, axes[0].collections[-1], axes, f"error ({unit})")
    return fig
