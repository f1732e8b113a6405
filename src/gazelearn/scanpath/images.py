"""Scanpath images: a recording's gaze path drawn as a small grey-level picture.

The ETRA tutorials' "conversion to images": lines join consecutive gaze samples (or consecutive
fixation centres) on an image covering the screen, so that an image CNN can classify
recordings. The drawing is plain numpy (no anti-aliasing, no random jitter), hence fully
deterministic: the same recording always gives the same array.

Examples
--------
>>> from gazelearn.simulate import simulate_recording
>>> image = scanpath_image(simulate_recording(duration_s=2.0, seed=0), size=(64, 36))
>>> image.shape, image.dtype, float(image.max())
((36, 64), dtype('float32'), 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import grey_dilation

from gazelearn.errors import InputError
from gazelearn.events import Events
from gazelearn.recording import Recording
from gazelearn.scanpath._points import check_grid, points, resolve_screen, screen_area
from gazelearn.screen import Screen

__all__ = ["draw_segments", "scanpath_image", "scanpath_images"]


def draw_segments(image: np.ndarray, u0, v0, u1, v1, values) -> np.ndarray:
    """Draw straight segments into ``image`` (in place), keeping the larger value per pixel.

    Coordinates are continuous pixel coordinates of the image: pixel ``(row, col)`` covers
    ``col <= u < col + 1`` and ``row <= v < row + 1``. Each segment is sampled at steps of at most
    half a pixel, so lines have no holes; parts outside the image are left out.

    Examples
    --------
    >>> img = draw_segments(np.zeros((3, 5)), [0.5], [1.5], [4.5], [1.5], [1.0])
    >>> img.astype(int).tolist()
    [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]]
    """
    u0, v0, u1, v1, values = (np.asarray(a, dtype=np.float64).ravel()
                              for a in (u0, v0, u1, v1, values))
    if u0.size == 0:
        return image
    h, w = image.shape
    du, dv = u1 - u0, v1 - v0
    steps = np.ceil(2.0 * np.maximum(np.abs(du), np.abs(dv))).astype(np.int64) + 1
    segment = np.repeat(np.arange(u0.size), steps)
    first = np.cumsum(steps) - steps
    t = (np.arange(segment.size) - first[segment]) / np.maximum(steps[segment] - 1, 1)
    col = np.floor(u0[segment] + t * du[segment])
    row = np.floor(v0[segment] + t * dv[segment])
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    np.maximum.at(image, (row[inside].astype(np.int64), col[inside].astype(np.int64)),
                  values[segment[inside]])
    return image


def _segment_values(u0, v0, u1, v1, t0, t1, intensity, min_intensity, start, end):
    n = len(u0)
    if intensity is None:
        return np.ones(n)
    if intensity == "time":
        span = end - start
        share = (t0 - start) / span if span > 0 else np.zeros(n)
    else:  # velocity, in grid cells per second (only the relative size matters)
        dt = t1 - t0
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = np.where(dt > 0, np.hypot(u1 - u0, v1 - v0) / dt, np.nan)
        top = np.nanmax(speed) if np.isfinite(speed).any() else np.nan
        share = np.nan_to_num(speed / top) if top > 0 else np.zeros(n)
    return min_intensity + (1.0 - min_intensity) * np.clip(share, 0.0, 1.0)


def scanpath_image(data: Recording | Events, size=(64, 48), screen: Screen | None = None, *,
                   extent=None, source: str = "samples", intensity: str | None = None,
                   min_intensity: float = 0.2, line_width: int = 1, events: Events | None = None,
                   detector: str = "idt", detector_options: dict | None = None,
                   dispersion_px: float | None = None) -> np.ndarray:
    """Draw a recording's gaze path as an image of ``size`` over the screen area.

    Parameters
    ----------
    data : Recording or Events
        The gaze; an Events table draws its fixations (``source="fixations"``).
    size : (width, height)
        Image size in pixels.
    screen : Screen, optional
        Gives the screen area (the recording's own by default).
    extent : (width_px, height_px), optional
        The screen area instead of the screen (for recordings without one).
    source : {"samples", "fixations"}
        Join consecutive valid samples (never across lost ones), or consecutive fixation
        centres.
    intensity : {None, "time", "velocity"}
        Every line at 1; or brightness growing with time from the start of the recording to its
        end; or with the speed along the segment (relative to the fastest segment).
    min_intensity : float
        Brightness of the earliest / slowest segment with ``intensity`` set (0..1).
    line_width : int
        Line thickness in image pixels (a grey-level dilation widens thin lines).
    events, detector, detector_options, dispersion_px
        Where fixations come from for ``source="fixations"``, as in
        :func:`gazelearn.scanpath.heatmap`.

    Returns
    -------
    numpy.ndarray
        ``float32`` of shape ``(height, width)``, values in 0..1, row 0 at the top.

    Examples
    --------
    >>> from gazelearn import Recording
    >>> rec = Recording([0.0, 0.1], [50.0, 350.0], [150.0, 150.0])
    >>> scanpath_image(rec, size=(4, 2), extent=(400, 200)).tolist()
    [[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]
    """
    w, h = check_grid(size, "size")
    if intensity not in (None, "time", "velocity"):
        raise InputError(f"intensity must be None, 'time' or 'velocity', got {intensity!r}")
    if not 0.0 <= min_intensity <= 1.0:
        raise InputError(f"min_intensity must be in 0..1, got {min_intensity}")
    if int(line_width) != line_width or line_width < 1:
        raise InputError(f"line_width must be a positive whole number, got {line_width!r}")
    screen = resolve_screen(data, screen)
    area = screen_area(screen, extent)
    if source == "samples" and isinstance(data, Recording):
        x, y, t = data.x, data.y, data.time
        joined = np.isfinite(x[:-1]) & np.isfinite(x[1:])
        valid = np.isfinite(x)
    else:
        x, y, _, t = points(data, source, None, events, detector, detector_options,
                            dispersion_px, screen)
        joined = np.ones(max(len(x) - 1, 0), dtype=bool)
        valid = np.ones(len(x), dtype=bool)
    # continuous image coordinates; points far off the screen are pulled to within one screen
    # size of it, so that a wild sample cannot make a line of millions of steps
    u = np.clip(x * (w / area[0]), -w, 2 * w)
    v = np.clip(y * (h / area[1]), -h, 2 * h)
    image = np.zeros((h, w), dtype=np.float64)
    if len(x) == 0 or not valid.any():
        return image.astype(np.float32)
    start, end = t[valid][0], t[valid][-1]
    a, b = np.flatnonzero(joined), np.flatnonzero(joined) + 1
    values = _segment_values(u[a], v[a], u[b], v[b], t[a], t[b], intensity, min_intensity,
                             start, end)
    draw_segments(image, u[a], v[a], u[b], v[b], values)
    # every valid point is drawn too, so that isolated points and single fixations show
    dots = np.flatnonzero(valid)
    if intensity == "velocity":  # a point has no speed: the dimmest value
        dot_values = np.full(len(dots), min_intensity)
    else:
        dot_values = _segment_values(u[dots], v[dots], u[dots], v[dots], t[dots], t[dots],
                                     intensity, min_intensity, start, end)
    draw_segments(image, u[dots], v[dots], u[dots], v[dots], dot_values)
    if line_width > 1:
        image = grey_dilation(image, size=(int(line_width), int(line_width)))
    return image.astype(np.float32)


def scanpath_images(recordings: Sequence[Recording], size=(64, 48), **options) -> np.ndarray:
    """:func:`scanpath_image` of every recording, stacked: shape ``(n, height, width)``.

    Examples
    --------
    >>> from gazelearn.simulate import simulate_population
    >>> data = simulate_population(n_subjects=2, recordings_per_subject=1, duration_s=1.0)
    >>> scanpath_images(data, size=(32, 18)).shape
    (2, 18, 32)
    """
    w, h = check_grid(size, "size")
    images = [scanpath_image(recording, (w, h), **options) for recording in recordings]
    if not images:
        return np.zeros((0, h, w), dtype=np.float32)
    return np.stack(images)
