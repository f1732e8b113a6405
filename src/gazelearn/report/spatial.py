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
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gazelearn.errors import InputError
from gazelearn.report._common import axes_or_new as _axes
from gazelearn.report._common import same_length as _same_length
from gazelearn.report._common import vector as _vector
from gazelearn.screen import screen_size as checked_screen_size

__all__ = ["error_vectors", "gaze_on_stimulus", "heatmap", "scanpath"]

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


def heatmap(
    density: Any,
    image: ImageLike | None = None,
    alpha: float = 0.6,
    screen_size: Any = None,
    cmap: str = "inferno",
    title: str | None = None,
    ax: Axes | None = None,
    colorbar: str | None = None,
    vmax: float | None = None,
) -> Figure:
    """Overlay a saliency / fixation-density map on a stimulus.

    The map is stretched over the screen area (it may have a lower resolution than the image).
    Its opacity grows with the density, up to ``alpha`` at the maximum, so empty regions leave
    the stimulus visible.

    Parameters
    ----------
    density : 2-D array
        The map, rows top to bottom.
    image : path or array, optional
        The stimulus.
    alpha : float, default 0.6
        Opacity at the density maximum, 0..1.
    screen_size : (width, height) or Screen, optional
        Screen area; the image size, or the map size, by default.
    cmap : str, default "inferno"
        Colour map.
    title : str, optional
        Axes title.
    ax : Axes, optional
        Draw here instead of a new figure.
    colorbar : str, optional
        Label of a colour bar (the map's unit, e.g. ``"fixation time (ms/deg²)"``): the map
        is then coloured by its own values from 0 to ``vmax`` (not rescaled to 0..1), so the
        bar reads in that unit.
    vmax : float, optional
        The value at the top of the colour scale (the map's maximum by default): one ``vmax``
        for several maps puts them on one shared scale.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:30, 0:40]
    >>> fig = heatmap(np.exp(-((xx - 20) ** 2 + (yy - 15) ** 2) / 50), screen_size=(400, 300))
    >>> len(fig.axes[0].images)
    1
    >>> fig = heatmap(np.full((3, 4), 2.0), screen_size=(40, 30), colorbar="s/deg²", vmax=4.0)
    >>> fig.axes[1].get_ylabel(), fig.axes[0].images[0].get_clim()
    ('s/deg²', (0.0, 4.0))
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
    if colorbar is None and vmax is None:  # a relative map: rescaled to 0..1
        top = d.max()
        low, values, high = 0.0, d - d.min(), top - d.min()
    else:  # the map's own values, so a colour bar (or a shared vmax) reads in its unit
        low, values, high = 0.0, d, float(d.max() if vmax is None else vmax)
    norm = np.clip(values / high, 0.0, 1.0) if high > 0 else np.zeros_like(d)
    drawn = ax.imshow(
        values,
        extent=(0, w, h, 0),
        cmap=cmap,
        alpha=alpha * norm,
        vmin=low,
        vmax=high if high > 0 else 1.0,
        interpolation="bilinear",
        zorder=1,
    )
    if colorbar is not None:
        # the bar shows the colours at full opacity: the map's opacity follows its value
        fig.colorbar(drawn, ax=ax, label=colorbar, shrink=0.8)
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.set_title(title or "heat map")
    return fig


def error_vectors(
    true_xy: Any,
    pred_xy: Any,
    screen_size: Any,
    unit: str = "px",
    title: str | None = None,
    ax: Axes | None = None,
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
    fig, ax = _axes(ax, (7.0, 5.0))
    _stimulus(ax, None, screen_size)
    ax.scatter(t[:, 0], t[:, 1], s=8, color="0.3", zorder=2, label="true")
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
    fig.colorbar(arrows, ax=ax, label=f"error ({unit})", shrink=0.8)
    finite = err[np.isfinite(err)]
    if title is None and finite.size:
        title = (
            f"gaze error: mean {finite.mean():.3g} {unit}, "
            f"median {np.median(finite):.3g} {unit} (n={finite.size})"
        )
    ax.set_title(title or "gaze error")
    return fig
