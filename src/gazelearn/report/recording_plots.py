"""Figures of one recording: its trace, scanpath, fixation heat map, main sequence and quality.

These are the pictures ``gazelearn plot`` draws (and ``gazelearn events plot``, which is the
trace): a researcher's first look at their own data, the figures a pymovements or REMoDNaV user
makes by hand. Each function takes gazelearn's data types (a :class:`~gazelearn.Recording`, an
:class:`~gazelearn.events.Events` table, the rows of
:func:`gazelearn.metrics.quality_per_trial`) and returns a :class:`matplotlib.figure.Figure`
drawn with the helpers of :mod:`gazelearn.report.plots` (the same colours, no pyplot).

* :func:`trace`: x and y over time (s), one colour band per event class, with a legend.
* :func:`fixation_scanpath`: fixations as circles (area proportional to duration), numbered,
  joined by saccade lines, over the stimulus; screen pixels, y down.
* :func:`fixation_heatmap`: a fixation-duration-weighted Gaussian density (sigma 1 deg, or a
  stated pixel width without the screen geometry) with a colour bar in ms/deg².
* :func:`main_sequence`: saccade amplitude against peak velocity on log-log axes, with the
  expected band of :func:`main_sequence_band`; :func:`saccade_measures` gives the points.
* :func:`quality_bars`: data loss (%) and RMS-S2S precision per trial, from the very rows
  ``gazelearn info`` reports (:func:`gazelearn.metrics.data_quality`), never recomputed.

Examples
--------
>>> from gazelearn.events import Events
>>> from gazelearn.simulate import simulate_recording
>>> rec = simulate_recording(duration_s=2.0, seed=0)
>>> events = Events.from_labels(rec)
>>> len(trace(rec).axes), len(main_sequence(*saccade_measures(rec, events)).axes)
(2, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from gazelearn.errors import InputError
from gazelearn.report._common import new_figure as _new_figure
from gazelearn.report.plots import LABEL_COLOURS, signal_with_events
from gazelearn.report.spatial import ImageLike, _load_image, heatmap, scanpath

if TYPE_CHECKING:  # the data types are only read here
    from gazelearn.events import Events
    from gazelearn.recording import Recording
    from gazelearn.screen import Screen

__all__ = [
    "HEATMAP_SIGMA_PX",
    "MAIN_SEQUENCE_C_DEG",
    "MAIN_SEQUENCE_SPREAD",
    "MAIN_SEQUENCE_VMAX",
    "add_caption",
    "fixation_heatmap",
    "fixation_scanpath",
    "main_sequence",
    "main_sequence_band",
    "main_sequence_outliers",
    "quality_bars",
    "saccade_measures",
    "trace",
]

#: Main-sequence law ``V = VMAX * (1 - exp(-A / C))`` (deg/s, deg; see
#: :func:`main_sequence_band` for where the constants come from).
MAIN_SEQUENCE_VMAX = 461.6
MAIN_SEQUENCE_C_DEG = 9.07
#: Half-width of the expected band as a share of the law's value: two standard deviations of
#: the normative peak velocities (about 14.5 % of the mean each).
MAIN_SEQUENCE_SPREAD = 0.29
#: Heat-map blur in screen pixels when the screen geometry is unknown: about 1 deg on a
#: 24-inch 1920-px screen at 60 cm (37.8 px per degree).
HEATMAP_SIGMA_PX = 38.0
#: Grid cell of the heat map, in screen pixels (fine enough for a 1-deg blur on any screen).
_HEATMAP_CELL_PX = 4.0


def _positions(recording: Recording) -> tuple[np.ndarray, np.ndarray, str]:
    """x and y in degrees when the screen geometry is known, else in pixels."""
    if recording.has_geometry:
        x, y = recording.position_deg()
        return x, y, "deg"
    return recording.x, recording.y, "px"


def trace(recording: Recording, labels: Any = None, title: str | None = None,
          bands: Mapping[str, Any] | None = None) -> Figure:
    """Plot a recording's x and y over time with a colour band per event (one colour per class).

    Positions are in degrees from the screen centre when the screen geometry is known, else in
    pixels; time is in seconds, as the recording's timestamps.

    Parameters
    ----------
    recording : Recording
    labels : array_like of int, optional
        One label code per sample; the recording's own labels by default (no bands when it has
        none).
    title : str, optional
        Figure title.
    bands : dict of str to array_like of int, optional
        Label sequences to compare (e.g. the truth and a detector's), one strip each under the
        traces (:func:`~gazelearn.report.plots.signal_with_events`).

    Returns
    -------
    Figure
        Two axes (x, y) sharing the time axis, then one per entry of ``bands``; a legend names
        the event classes present.

    Examples
    --------
    >>> import numpy as np
    >>> from gazelearn import Recording
    >>> rec = Recording(np.arange(6) / 100, np.arange(6.0), np.zeros(6), labels=[1, 1, 2, 2, 1, 1])
    >>> fig = trace(rec)
    >>> fig.axes[0].get_ylabel(), [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ('x (px)', ['fixation', 'saccade'])
    """
    x, y, unit = _positions(recording)
    codes = recording.labels if labels is None else labels
    fig = signal_with_events(recording.time, x, y, codes, unit=unit, title=title, bands=bands)
    for ax in fig.axes:  # tracker clocks (EyeLink: 2154.5 s): full times, not "+2.1545e3"
        ax.ticklabel_format(axis="x", useOffset=False, style="plain")
    return fig


def _fixation_columns(events: Events) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre (px) and duration (s) of every fixation with a position, in time order."""
    frame = events.of_type("fixation").frame
    x, y = frame["mean_x"].to_numpy(), frame["mean_y"].to_numpy()
    duration = frame["duration"].to_numpy()
    keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(duration)
    if not keep.any():
        raise InputError("the events hold no fixation with a position: nothing to draw (a "
                         "scanpath and a heat map need fixations)")
    return x[keep], y[keep], duration[keep]


def fixation_scanpath(events: Events, screen: Screen | None = None,
                      image: ImageLike | None = None, title: str | None = None) -> Figure:
    """Plot the fixations of an events table as a scanpath over the stimulus.

    Circles sit at the fixations' mean positions with an area proportional to their duration,
    numbered in time order and joined by lines (the saccades between them); screen pixels with
    the origin top-left and y pointing down. The image, when given, is stretched over the
    screen area. The circles are one collection with the SVG id ``fixations``.

    Parameters
    ----------
    events : Events
        Fixations come from its ``fixation`` rows (``mean_x``, ``mean_y``, ``duration``).
    screen : Screen, optional
        The screen area; the image size, or the data range, by default.
    image : path or array, optional
        The stimulus.
    title : str, optional
        Axes title; by default the number of fixations.

    Raises
    ------
    InputError
        When there is no fixation with a position.

    Examples
    --------
    >>> import polars as pl
    >>> from gazelearn.events import Events
    >>> from gazelearn.screen import Screen
    >>> events = Events(pl.DataFrame({"type": ["fixation", "saccade", "fixation"],
    ...     "onset": [0.0, 0.2, 0.25], "offset": [0.2, 0.25, 0.6],
    ...     "mean_x": [100.0, None, 300.0], "mean_y": [100.0, None, 200.0]}))
    >>> fig = fixation_scanpath(events, Screen(400, 300))
    >>> [t.get_text() for t in fig.axes[0].texts], fig.axes[0].collections[-1].get_gid()
    (['1', '2'], 'fixations')
    """
    x, y, duration = _fixation_columns(events)
    fig = scanpath(x, y, duration, image=image, screen_size=screen,
                   title=title or f"scanpath: {len(x)} fixations")
    fig.axes[0].collections[-1].set_gid("fixations")  # the circles, countable in an SVG
    return fig


def fixation_heatmap(events: Events, screen: Screen | None = None,
                     image: ImageLike | None = None, sigma_deg: float | None = None,
                     sigma_px: float | None = None,
                     title: str | None = None) -> Figure:
    """Plot a fixation-duration-weighted Gaussian density over the stimulus, with a colour bar.

    Every fixation adds its duration at its mean position; a Gaussian blur
    (:func:`gazelearn.scanpath.heatmap`) spreads it, so the map integrates to the total
    fixation time. With the screen geometry the blur is ``sigma_deg`` (1 deg by default) and
    the map is in ms of fixation per square degree; without it the blur is ``sigma_px``
    (:data:`HEATMAP_SIGMA_PX` by default) and the map is in ms per 100 x 100 px.

    Parameters
    ----------
    events : Events
        Fixations come from its ``fixation`` rows.
    screen : Screen, optional
        Screen area and geometry; the image size, or the data range, cover the area without
        it.
    image : path or array, optional
        The stimulus.
    sigma_deg, sigma_px : float, optional
        The blur; give at most one. ``sigma_deg`` needs the screen geometry.
    title : str, optional
        Axes title.

    Returns
    -------
    Figure
        The map's axes and its colour bar's (labelled with the unit); the map is the axes'
        last image (rows top to bottom, one cell per 4 x 4 screen px).

    Examples
    --------
    >>> import polars as pl
    >>> from gazelearn.events import Events
    >>> from gazelearn.screen import Screen
    >>> events = Events(pl.DataFrame({"type": ["fixation"] * 2, "onset": [0.0, 0.5],
    ...     "offset": [0.3, 1.5], "mean_x": [200.0, 800.0], "mean_y": [200.0, 500.0]}))
    >>> fig = fixation_heatmap(events, Screen(1024, 768, 380.0, 300.0, 670.0))
    >>> density = fig.axes[0].images[-1].get_array()
    >>> [int(i) * 4 for i in np.unravel_index(np.argmax(density), density.shape)]  # row, col
    [500, 800]
    >>> fig.axes[1].get_ylabel()
    'fixation time (ms/deg²)'
    """
    from gazelearn.scanpath.heatmaps import heatmap as density_map  # scipy: only when drawn

    x, y, duration = _fixation_columns(events)
    array = _load_image(image) if image is not None else None
    if screen is not None:
        area = (float(screen.width_px), float(screen.height_px))
    elif array is not None:
        area = (float(array.shape[1]), float(array.shape[0]))
    else:  # the data range from 0, with a margin
        area = (max(1.05 * float(x.max()), 1.0), max(1.05 * float(y.max()), 1.0))
    geometry = screen is not None and screen.has_geometry
    if sigma_deg is not None and not geometry:
        raise InputError("sigma_deg needs the screen geometry (size in mm and distance); give "
                         "sigma_px instead")
    if sigma_px is None and not geometry:
        sigma_px = HEATMAP_SIGMA_PX
    if sigma_px is None and sigma_deg is None:
        sigma_deg = 1.0
    grid = (max(int(np.ceil(area[0] / _HEATMAP_CELL_PX)), 1),
            max(int(np.ceil(area[1] / _HEATMAP_CELL_PX)), 1))
    fixations = events.of_type("fixation")
    seconds = density_map(fixations, screen if geometry else None, grid, sigma_deg,
                          sigma_px=sigma_px, extent=area, source="fixations",
                          weight="duration", normalize=None)
    cell_px2 = (area[0] / grid[0]) * (area[1] / grid[1])
    if geometry:
        unit = "ms/deg²"
        density = 1000.0 * seconds / (cell_px2 / screen.pixels_per_degree ** 2)
    else:
        unit = "ms per 100 × 100 px"
        density = 1000.0 * seconds / (cell_px2 / 1e4)
    if array is not None and array.ndim == 3:
        # the stimulus in light grey: a colourful picture would drown the map's colours
        grey = array[..., :3].astype(float).mean(axis=2)
        light = (255.0 - 0.6 * (255.0 - grey)).astype(np.uint8)
        array = np.repeat(light[..., None], 3, axis=2)  # RGB: a 2-D image would be rescaled
    return heatmap(density, image=array, alpha=0.8, screen_size=area,
                   colorbar=f"fixation time ({unit})",
                   title=title or f"fixation heat map: {len(x)} fixations, "
                   f"{1000 * float(duration.sum()):.0f} ms")


# --------------------------------------------------------------------------- main sequence


def main_sequence_band(amplitude: Any, vmax: float = MAIN_SEQUENCE_VMAX,
                       c: float = MAIN_SEQUENCE_C_DEG, spread: float = MAIN_SEQUENCE_SPREAD
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The expected peak velocity of saccades of an amplitude, with a band around it.

    The saturating main-sequence law ``V = vmax * (1 - exp(-A / c))`` (the exponential form of
    Baloh, Sills, Kumley & Honrubia 1975, "Quantitative measurement of saccade amplitude,
    duration, and velocity", Neurology 25, 1065-1070; the main sequence itself: Bahill, Clark
    & Stark 1975, Mathematical Biosciences 24, 191-204). The default constants are the
    least-squares fit of that law to the normative horizontal peak velocities of Hopf,
    Liesenfeld, Schmidtmann, Ashayer & Pitz (2018), "Age dependent normative data of vertical
    and horizontal reflexive saccades", PLoS ONE 13(9), e0204008: 213 +- 29, 352 +- 50 and
    455 +- 67 deg/s for 5, 15 and 30 deg targets in 100 healthy people aged 6-76 (fit: vmax
    461.6 deg/s, c 9.07 deg). Their standard deviations are 14-15 % of the means, so the band
    is the law times ``1 -+ spread`` with ``spread`` 0.29 (two standard deviations). Irving,
    Steinbach, Lillakas, Babu & Hutchings (2006), IOVS 47, 2478-2484, report ``vmax`` of
    345-610 deg/s across age groups: the band is a guide for healthy adults, not a norm for a
    person.

    Parameters
    ----------
    amplitude : array_like
        Saccade amplitudes in degrees.
    vmax, c, spread : float
        The law's asymptote (deg/s), its amplitude constant (deg) and the band's half-width as
        a share of the law's value.

    Returns
    -------
    (centre, low, high) : numpy.ndarray
        Expected peak velocity and the band's edges, deg/s.

    Examples
    --------
    >>> centre, low, high = main_sequence_band([5.0, 15.0, 30.0])
    >>> [int(v) for v in centre], [int(v) for v in low], [int(v) for v in high]
    ([195, 373, 444], [138, 265, 315], [252, 481, 573])
    """
    a = np.asarray(amplitude, dtype=float)
    centre = vmax * (1.0 - np.exp(-a / c))
    return centre, centre * (1.0 - spread), centre * (1.0 + spread)


def saccade_measures(recording: Recording, events: Events
                     ) -> tuple[np.ndarray, np.ndarray, str]:
    """Amplitude and peak velocity of every saccade of ``events``, and their unit.

    With the screen geometry these are the events table's own ``amplitude`` (deg) and
    ``peak_velocity`` (deg/s). Without it, the same measures in pixels: the distance between
    the saccade's first and last valid positions (px) and the highest Savitzky-Golay speed
    inside it (px/s, the 20-ms window the events table uses).

    Returns
    -------
    (amplitude, peak_velocity, unit)
        One value per saccade (NaN where a saccade has no valid position), and ``"deg"`` or
        ``"px"``.

    Examples
    --------
    >>> import numpy as np
    >>> from gazelearn import Recording
    >>> from gazelearn.events import Events
    >>> x = np.r_[np.zeros(10), np.linspace(0, 90, 10), np.full(10, 90.0)]
    >>> rec = Recording(np.arange(30) / 100, x, np.zeros(30), labels=[1] * 10 + [2] * 10 + [1] * 10)
    >>> amplitude, peak, unit = saccade_measures(rec, Events.from_labels(rec))
    >>> amplitude.tolist(), unit
    ([90.0], 'px')
    """
    frame = events.of_type("saccade").frame
    if recording.has_geometry:
        return (frame["amplitude"].to_numpy(), frame["peak_velocity"].to_numpy(), "deg")
    from gazelearn.events import EVENTS_WINDOW_S
    from gazelearn.preprocess import velocity_px

    amplitude = np.hypot(frame["end_x"].to_numpy() - frame["start_x"].to_numpy(),
                         frame["end_y"].to_numpy() - frame["start_y"].to_numpy())
    vx, vy = velocity_px(recording, EVENTS_WINDOW_S)
    speed = np.hypot(vx, vy)
    starts, stops = frame["onset_index"].to_numpy(), frame["offset_index"].to_numpy()
    peak = np.array([np.nanmax(speed[a:b]) if b > a and np.isfinite(speed[a:b]).any()
                     else np.nan for a, b in zip(starts, stops, strict=True)])
    return amplitude, peak, "px"


def main_sequence(amplitude: Any, peak_velocity: Any, unit: str = "deg",
                  title: str | None = None, *, vmax: float = MAIN_SEQUENCE_VMAX,
                  c: float = MAIN_SEQUENCE_C_DEG, spread: float = MAIN_SEQUENCE_SPREAD,
                  band_label: str = "Hopf et al. 2018 fit, ±2 SD") -> Figure:
    """Plot saccades' peak velocity against their amplitude on log-log axes, with the band.

    In degrees the expected band of :func:`main_sequence_band` is drawn and the legend counts
    the saccades above and below it; in pixels there is no band (the law is in degrees).
    Saccades without a positive amplitude and peak velocity cannot sit on log axes and are
    left out (the title counts them).

    Parameters
    ----------
    amplitude, peak_velocity : array_like
        One value per saccade (:func:`saccade_measures`).
    unit : {"deg", "px"}
        Unit of the amplitude (the velocity is in unit/s).
    title : str, optional
        Axes title.
    vmax, c, spread : float
        The band (:func:`main_sequence_band`); the defaults are the Hopf et al. (2018) fit.
        Trackers sampling at 500 Hz or more measure higher peaks than that 220-Hz study: on
        hand-labelled saccades of Lund 2013 and GazeCom the median peak is 1.34-1.36 times
        the default law (``benchmarks/main_sequence_band.py``; docs/results.md).
    band_label : str
        Where the band comes from, for the legend.

    Returns
    -------
    Figure
        One axes; its first collection holds the plotted points, in the order given.

    Examples
    --------
    >>> fig = main_sequence([2.0, 10.0, 10.0], [90.0, 300.0, 3000.0])
    >>> ax = fig.axes[0]
    >>> ax.get_xscale(), ax.collections[0].get_offsets().tolist()[0]
    ('log', [2.0, 90.0])
    >>> [t.get_text() for t in ax.get_legend().get_texts()][1:]
    ['expected (Hopf et al. 2018 fit, ±2 SD): 1 above, 0 below']
    """
    if unit not in ("deg", "px"):
        raise InputError(f"unit must be 'deg' or 'px', got {unit!r}")
    a = np.asarray(amplitude, dtype=float).ravel()
    v = np.asarray(peak_velocity, dtype=float).ravel()
    if a.shape != v.shape:
        raise InputError(f"{a.size} amplitudes for {v.size} peak velocities")
    keep = np.isfinite(a) & np.isfinite(v) & (a > 0) & (v > 0)
    a, v, dropped = a[keep], v[keep], int((~keep).sum())
    fig = _new_figure((6.4, 4.8))
    ax = fig.add_subplot()
    ax.scatter(a, v, s=14, color=LABEL_COLOURS["saccade"], alpha=0.7, edgecolors="none",
               label=f"saccades ({a.size})", zorder=3)
    if unit == "deg":
        # the band over the data's amplitudes, at least 1-20 deg for a sense of the law
        left = min(float(a.min()) / 1.5 if a.size else 1.0, 1.0)
        right = max(float(a.max()) * 1.5 if a.size else 20.0, 20.0)
        grid = np.geomspace(left, right, 200)
        centre, low, high = main_sequence_band(grid, vmax, c, spread)
        above, below = main_sequence_outliers(a, v, vmax, c, spread)
        ax.fill_between(grid, low, high, color="0.6", alpha=0.3, linewidth=0, zorder=1,
                        label=f"expected ({band_label}): {above} above, {below} below")
        ax.plot(grid, centre, color="0.35", linewidth=1, zorder=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    for axis in (ax.xaxis, ax.yaxis):  # plain numbers at 1, 2, 5 x 10^k, not "6 x 10^2"
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"amplitude ({unit})")
    ax.set_ylabel(f"peak velocity ({unit}/s)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper left", fontsize="small")
    left_out = f"; {dropped} without a positive amplitude and peak left out" if dropped else ""
    ax.set_title(title or f"main sequence: {a.size} saccades{left_out}")
    return fig


def main_sequence_outliers(amplitude: Any, peak_velocity: Any,
                           vmax: float = MAIN_SEQUENCE_VMAX, c: float = MAIN_SEQUENCE_C_DEG,
                           spread: float = MAIN_SEQUENCE_SPREAD) -> tuple[int, int]:
    """How many saccades (amplitude in deg) lie above and below the expected band
    (:func:`main_sequence_band` with these constants).

    Examples
    --------
    >>> main_sequence_outliers([1.0, 10.0, 10.0], [1000.0, 300.0, 50.0])
    (1, 1)
    """
    a = np.asarray(amplitude, dtype=float).ravel()
    v = np.asarray(peak_velocity, dtype=float).ravel()
    keep = np.isfinite(a) & np.isfinite(v) & (a > 0) & (v > 0)
    _, low, high = main_sequence_band(a[keep], vmax, c, spread)
    return int((v[keep] > high).sum()), int((v[keep] < low).sum())


# --------------------------------------------------------------------------- quality


def quality_bars(rows: Sequence[Mapping[str, Any]], names: Sequence[str] | None = None,
                 title: str | None = None) -> Figure:
    """Bars of data loss (%) and precision (RMS-S2S) per trial.

    The rows are what :func:`gazelearn.metrics.quality_per_trial` (or
    :func:`gazelearn.metrics.data_quality`, the ``quality`` of ``gazelearn info --json``)
    returns; the bars are their ``loss`` times 100 and their ``rms_s2s_deg`` (when every row
    has it, else ``rms_s2s_px``), nothing recomputed. Each bar is labelled with its value.

    Parameters
    ----------
    rows : sequence of dict
        One per trial (or one for the whole recording).
    names : sequence of str, optional
        Bar labels; the rows' ``trial`` (else their number) by default.
    title : str, optional
        Figure title.

    Returns
    -------
    Figure
        Two axes: loss, then precision; bar heights equal the rows' figures.

    Examples
    --------
    >>> rows = [{"trial": "1", "loss": 0.05, "rms_s2s_px": 1.5, "rms_s2s_deg": 0.04},
    ...         {"trial": "2", "loss": 0.5, "rms_s2s_px": 2.5, "rms_s2s_deg": None}]
    >>> fig = quality_bars(rows)
    >>> [p.get_height() for p in fig.axes[0].patches], [p.get_height() for p in fig.axes[1].patches]
    ([5.0, 50.0], [1.5, 2.5])
    >>> fig.axes[1].get_ylabel()
    'RMS-S2S (px)'
    """
    if not rows:
        raise InputError("no trials to plot the quality of")
    if names is None:  # a recording without trials is the whole recording
        names = [str(r["trial"]) if r.get("trial") is not None
                 else ("whole recording" if len(rows) == 1 else str(i))
                 for i, r in enumerate(rows, start=1)]
    labels = list(map(str, names))
    if len(labels) != len(rows):
        raise InputError(f"{len(labels)} names for {len(rows)} rows")
    unit = "deg" if all(r.get("rms_s2s_deg") is not None for r in rows) else "px"

    def value(row: Mapping[str, Any], key: str) -> float:
        number = row.get(key)
        return float("nan") if number is None else float(number)

    loss = np.array([100.0 * value(r, "loss") for r in rows])
    precision = np.array([value(r, f"rms_s2s_{unit}") for r in rows])
    width = min(max(6.4, 0.45 * len(rows) + 2.0), 16.0)
    fig = _new_figure((width, 5.0))
    axes = fig.subplots(2, 1, sharex=True)
    positions = np.arange(len(rows))
    for ax, values, colour, label, fmt in (
            (axes[0], loss, "#0072B2", "data loss (%)", "{:.1f}"),
            (axes[1], precision, "#009E73", f"RMS-S2S ({unit})", "{:.3g}")):
        bars = ax.bar(positions, np.nan_to_num(values), color=colour, width=0.7)
        if len(rows) <= 40:  # a value per bar while they stay readable
            ax.bar_label(bars, labels=["n/a" if not np.isfinite(v) else fmt.format(v)
                                       for v in values], fontsize="x-small", padding=1)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, axis="y")
        ax.margins(y=0.15)
        ax.set_xlim(-0.5 - max(0.0, (3 - len(rows)) / 2), len(rows) - 0.5
                    + max(0.0, (3 - len(rows)) / 2))  # a lone bar is not a wall of colour
    axes[0].set_ylim(0, max(100.0 if loss.max(initial=0) > 50 else 1.15 * loss.max(initial=0),
                            1.0))
    crowded = len(rows) > 1 and max(map(len, labels)) * len(rows) > 8 * width
    axes[1].set_xticks(positions, labels, rotation=45 if crowded else 0,
                       ha="right" if crowded else "center", fontsize="small")
    axes[1].set_xlabel("trial" if len(rows) > 1 or rows[0].get("trial") is not None else "")
    if title:
        fig.suptitle(title)
    return fig


def add_caption(fig: Figure, caption: str) -> Figure:
    """Write a caption under a figure (for PNG/SVG files; HTML pages use ``<figcaption>``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> add_caption(Figure(), "events: the recording's labels").texts[0].get_text()
    "events: the recording's labels"
    """
    import textwrap

    # wrapped to the figure's width (small text: about 15 characters per inch)
    text = textwrap.fill(caption, width=max(int(fig.get_figwidth() * 15), 40))
    fig.text(0.01, 0.0, text, ha="left", va="top", fontsize="small", color="0.25")
    return fig
