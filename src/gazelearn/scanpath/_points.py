"""Shared plumbing of the scanpath representations: where the points come from, and the grid.

Every representation starts from points on the screen (gaze samples or fixation centres, in
pixels) and maps them onto a grid that covers the screen area. This module finds the screen (the
recording's own or one given), detects fixations when they are asked for, and bins points into
grid cells; it raises :class:`~gazelearn.errors.InputError` (for the screen
:class:`~gazelearn.errors.MissingScreenError`) naming the missing argument whenever a needed
piece (screen, blur width, area) is absent, instead of guessing.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gazelearn.detection import create_detector
from gazelearn.detection.idt import dispersion_fixations
from gazelearn.detection.postprocess import label_lost_samples
from gazelearn.errors import InputError, MissingScreenError
from gazelearn.events import Events
from gazelearn.labels import Label
from gazelearn.recording import Recording
from gazelearn.screen import GEOMETRY_FIELDS, SCREEN_HINT, Screen


def check_grid(grid, name: str = "grid") -> tuple[int, int]:
    """``(width, height)`` of a grid as two positive ints, or a clear error."""
    try:
        w, h = grid
        w_int, h_int = int(w), int(h)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be (width, height) in cells, got {grid!r}") from None
    if w_int != w or h_int != h or w_int < 1 or h_int < 1:
        raise InputError(f"{name} must be two positive whole numbers, got {grid!r}")
    return w_int, h_int


def resolve_screen(data, screen) -> Screen | None:
    """The screen given (a Screen or ``(width_px, height_px)``), else the recording's own (None
    when neither is known)."""
    if screen is None:
        return data.screen if isinstance(data, Recording) else None
    return Screen.coerce(screen)


def require_degrees(screen: Screen | None, purpose: str, alternative: str,
                    source: str | None = None) -> Screen:
    """``screen`` when it has the geometry degrees need, else a
    :class:`~gazelearn.errors.MissingScreenError` that also names the pixel ``alternative``."""
    if screen is None or not screen.has_geometry:
        missing = GEOMETRY_FIELDS if screen is None else screen.missing_geometry
        raise MissingScreenError(f"{purpose} needs the screen geometry, which is unknown here: "
                                 f"{SCREEN_HINT}; {alternative}", missing=missing, source=source)
    return screen


def screen_area(screen: Screen | None, extent) -> tuple[float, float]:
    """Width and height in pixels of the area a grid covers: ``extent`` or the screen."""
    if extent is not None:
        try:
            w, h = (float(v) for v in extent)
        except (TypeError, ValueError):
            raise InputError(f"extent must be (width_px, height_px), got {extent!r}") from None
        if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
            raise InputError(f"extent must be two positive sizes in pixels, got {extent!r}")
        return w, h
    if screen is None:
        raise MissingScreenError("the screen area is unknown: pass screen=Screen(width_px, "
                                 "height_px) or extent=(width_px, height_px)")
    return float(screen.width_px), float(screen.height_px)


def detect_events(recording: Recording, events: Events | None = None, detector: str = "idt",
                  detector_options: dict | None = None, dispersion_px: float | None = None,
                  screen: Screen | None = None) -> Events:
    """The events of a recording: ``events`` as given, its own labels, or a classic detector.

    Parameters
    ----------
    recording : Recording
    events : Events, optional
        Use these events instead of detecting.
    detector : str
        A registered detector name (``idt``, ``ivt``, ``nh``, ``ivdt``), or ``"labels"`` for the
        recording's own per-sample labels.
    detector_options : dict, optional
        Keyword options of the detector.
    dispersion_px : float, optional
        Run I-DT in pixels with this dispersion threshold (sum of the x and y ranges); the way
        to find fixations in a recording without a screen. Only with ``detector="idt"``.
    screen : Screen, optional
        Geometry to use when the recording has none (or only its resolution).
    """
    if events is not None:
        if not isinstance(events, Events):
            raise InputError(f"events must be a gazelearn.Events table, got a "
                             f"{type(events).__name__}")
        return events
    if not isinstance(recording, Recording):
        raise InputError(f"expected a Recording, got a {type(recording).__name__}")
    options = dict(detector_options or {})
    screen = resolve_screen(recording, screen)
    if screen is not None and not recording.has_geometry:
        recording = replace(recording, screen=screen)
    if detector == "labels":
        return Events.from_labels(recording)
    if dispersion_px is not None:
        if detector != "idt":
            raise InputError(f"dispersion_px applies to detector='idt' only, not {detector!r}")
        return _idt_pixels(recording, float(dispersion_px), options)
    require_degrees(screen, f"detecting fixations with {detector!r}",
                    "or dispersion_px=... (I-DT in pixels); or events=... (or detector='labels' "
                    "when the recording has labels)", source=recording.meta.source)
    return create_detector(detector, **options).detect(recording)


def fixation_events(recording: Recording, events: Events | None = None, detector: str = "idt",
                    detector_options: dict | None = None, dispersion_px: float | None = None,
                    screen: Screen | None = None) -> Events:
    """Only the fixations of :func:`detect_events`."""
    return detect_events(recording, events, detector, detector_options, dispersion_px,
                         screen).of_type("fixation")


def _idt_pixels(recording: Recording, dispersion_px: float, options: dict) -> Events:
    if not np.isfinite(dispersion_px) or dispersion_px <= 0:
        raise InputError(f"dispersion_px must be a positive number of pixels, got {dispersion_px}")
    unknown = set(options) - {"min_duration_s"}
    if unknown:
        raise InputError(f"I-DT in pixels takes only min_duration_s, not {', '.join(unknown)}")
    if len(recording) < 2:
        raise InputError(f"I-DT needs at least 2 samples, the recording has {len(recording)}",
                         source=recording.meta.source)
    rate = recording.sampling_rate
    min_samples = max(int(round(options.get("min_duration_s", 0.1) * rate)), 2)
    fixation = dispersion_fixations(recording.x, recording.y, min_samples, dispersion_px)
    labels = np.where(fixation, Label.FIXATION, Label.SACCADE).astype(np.int8)
    labels = label_lost_samples(labels, recording.valid, rate)
    return Events.from_labels(recording, labels)


def sample_durations(time: np.ndarray) -> np.ndarray:
    """How long each sample stands for: the interval to the next one.

    The last sample gets the median interval, and no sample more than twice the median (a gap
    in the timestamps is time without gaze, not a long look).
    """
    if len(time) < 2:
        return np.ones(len(time))
    steps = np.diff(time)
    positive = steps[steps > 0]
    median = float(np.median(positive)) if positive.size else 1.0
    return np.minimum(np.append(steps, median), 2.0 * median)


def points(data, source: str = "samples", weight: str | None = None, events: Events | None = None,
           detector: str = "idt", detector_options: dict | None = None,
           dispersion_px: float | None = None, screen: Screen | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points in pixels with their weights and times: ``x, y, weight, time`` (lost ones dropped).

    ``data`` is a Recording or an Events table (whose fixation rows are used). ``source`` picks
    gaze samples or fixation centres; ``weight="duration"`` weighs each point by the time it
    stands for (fixation duration, or the sample interval), ``None`` counts points.
    """
    if source not in ("samples", "fixations"):
        raise InputError(f"source must be 'samples' or 'fixations', got {source!r}")
    if weight not in (None, "duration"):
        raise InputError(f"weight must be None or 'duration', got {weight!r}")
    if isinstance(data, Events):
        if source == "samples":
            raise InputError("an Events table has no gaze samples: use source='fixations', "
                             "or pass the Recording")
        fixations = data.of_type("fixation")
    elif isinstance(data, Recording):
        if source == "samples":
            valid = data.valid
            w = sample_durations(data.time) if weight == "duration" else np.ones(len(data))
            return data.x[valid], data.y[valid], w[valid], data.time[valid]
        fixations = fixation_events(data, events, detector, detector_options, dispersion_px,
                                    screen)
    else:
        raise InputError(f"expected a Recording or Events, got a {type(data).__name__}")
    frame = fixations.frame
    x, y = frame["mean_x"].to_numpy(), frame["mean_y"].to_numpy()
    duration, onset = frame["duration"].to_numpy(), frame["onset"].to_numpy()
    valid = np.isfinite(x) & np.isfinite(y)
    w = duration if weight == "duration" else np.ones(len(x))
    return x[valid], y[valid], w[valid], onset[valid]


def cell_index(x: np.ndarray, y: np.ndarray, grid: tuple[int, int], area: tuple[float, float]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column, row and an inside-mask of points on a grid covering ``[0, W) x [0, H)`` pixels.

    Cell ``(row, col)`` covers ``col * W / w <= x < (col + 1) * W / w`` (likewise for y); points
    outside the area (or NaN) are outside every cell.
    """
    w, h = grid
    with np.errstate(invalid="ignore"):
        u = np.floor(np.asarray(x, dtype=np.float64) * (w / area[0]))
        v = np.floor(np.asarray(y, dtype=np.float64) * (h / area[1]))
        inside = (u >= 0) & (u < w) & (v >= 0) & (v < h)
    return (np.where(inside, u, 0).astype(np.int64), np.where(inside, v, 0).astype(np.int64),
            inside)


def bin_points(x: np.ndarray, y: np.ndarray, weights: np.ndarray, grid: tuple[int, int],
               area: tuple[float, float]) -> np.ndarray:
    """Sum of ``weights`` per grid cell, as an array of shape ``(height, width)``."""
    col, row, inside = cell_index(x, y, grid, area)
    w, h = grid
    flat = np.bincount(row[inside] * w + col[inside], weights=weights[inside], minlength=w * h)
    return flat.reshape(h, w)
