"""Per-recording feature vectors: fixations, saccades, coverage and recurrence.

One recording becomes one dictionary of numbers, a dataset one table (one row per recording, its
metadata kept), ready for a decision tree or any classic classifier, as in the hand-made features
of Kasprowski's ETA tutorials (``features.csv`` of the radiograph data: fixation count, saccade
lengths, recurrence, determinism, laminarity, CORM, coverage5/7/10).

========================== ================================================================
feature                    meaning
========================== ================================================================
duration_s                 recording duration
lost_fraction              share of samples without a gaze position
fixation_count             number of fixations
fixation_rate              fixations per second of recording
fixation_duration_mean     mean fixation duration, s (also ``_median``, ``_std``)
saccade_count              number of saccade events
saccade_amplitude_mean     mean saccade amplitude, deg (also ``_median``, ``_max``)
saccade_peak_velocity_mean mean saccade peak velocity, deg/s
scanpath_length_px         summed distance between consecutive fixation centres, px
scanpath_length_deg        the same in degrees (exact visual angle)
gaze_mean_x, gaze_mean_y   mean gaze position of the valid samples, px
gaze_dispersion_px         RMS distance of the valid samples from that mean, px
coverage5, 7, 10           share of the cells of an n x n grid over the screen holding a fixation
recurrence_rate            RQA of the fixation sequence, percent (see :func:`recurrence_measures`)
determinism, laminarity    percent
corm                       centre of recurrence mass, percent
========================== ================================================================

Measures without a value (no saccade, fewer than two fixations, degrees without a screen) are
NaN, never 0. Fixations come from ``events`` when given, else from a classic detector (I-DT by
default; ``dispersion_px`` runs I-DT in pixels for recordings without a screen).

Examples
--------
>>> from gazelearn.simulate import simulate_recording
>>> features = recording_features(simulate_recording(duration_s=5.0, seed=4))
>>> list(features) == list(FEATURE_NAMES)
True
>>> 0 < features["coverage5"] <= 1 and features["saccade_amplitude_mean"] > 1
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from gazelearn.dataset import Dataset
from gazelearn.errors import InputError
from gazelearn.events import Events
from gazelearn.recording import Recording
from gazelearn.scanpath._points import (
    cell_index,
    detect_events,
    require_degrees,
    resolve_screen,
    screen_area,
)
from gazelearn.screen import Screen

__all__ = ["FEATURE_NAMES", "coverage", "feature_table", "recording_features",
           "recurrence_measures"]

#: Feature names of :func:`recording_features` with the default ``coverage_grids``, in order.
FEATURE_NAMES: tuple[str, ...] = (
    "duration_s", "lost_fraction",
    "fixation_count", "fixation_rate",
    "fixation_duration_mean", "fixation_duration_median", "fixation_duration_std",
    "saccade_count",
    "saccade_amplitude_mean", "saccade_amplitude_median", "saccade_amplitude_max",
    "saccade_peak_velocity_mean",
    "scanpath_length_px", "scanpath_length_deg",
    "gaze_mean_x", "gaze_mean_y", "gaze_dispersion_px",
    "coverage5", "coverage7", "coverage10",
    "recurrence_rate", "determinism", "laminarity", "corm",
)


def _stat(values: np.ndarray, name: str) -> float:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan")
    return float({"mean": np.mean, "median": np.median, "std": np.std, "max": np.max}[name](values))


def coverage(x, y, area, grid_sizes: Sequence[int] = (5, 7, 10)) -> dict[str, float]:
    """Share of the cells of ``n x n`` grids over the screen area that hold at least one point.

    Parameters
    ----------
    x, y : array_like
        Points in pixels (fixation centres); NaN and points off the area are ignored.
    area : (width_px, height_px)
        The screen area the grids cover (cells are ``width / n`` by ``height / n`` pixels).
    grid_sizes : sequence of int
        One feature ``coverage{n}`` per size.

    Examples
    --------
    >>> coverage([10, 20, 90, 95], [10, 15, 90, 10], (100, 100), grid_sizes=(2, 5))
    {'coverage2': 0.75, 'coverage5': 0.16}
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    result = {}
    for n in grid_sizes:
        if int(n) != n or n < 1:
            raise InputError(f"coverage grid sizes must be positive whole numbers, got {n!r}")
        n = int(n)
        col, row, inside = cell_index(x, y, (n, n), area)
        visited = np.unique(row[inside] * n + col[inside]).size
        result[f"coverage{n}"] = visited / (n * n)
    return result


def _runs_at_least(matrix: np.ndarray, min_line: int) -> int:
    """Number of True entries lying in horizontal runs of at least ``min_line`` (per row)."""
    if matrix.size == 0:
        return 0
    padded = np.zeros((matrix.shape[0], matrix.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = matrix
    change = np.diff(padded.ravel())
    starts, stops = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
    lengths = stops - starts
    return int(lengths[lengths >= min_line].sum())


def recurrence_measures(x, y, radius: float, min_line: int = 2) -> dict[str, float]:
    """Recurrence quantification analysis (RQA) of a fixation sequence.

    Fixations ``i < j`` recur when their centres lie within ``radius`` of each other (Euclidean,
    in the unit of ``x``, ``y``). With ``N`` fixations and ``R`` recurrent pairs (upper triangle
    of the recurrence matrix, diagonal excluded), following Anderson, Bischof, Laidlaw, Risko &
    Kingstone (2013), "Recurrence quantification analysis of eye movements", Behavior Research
    Methods 45(3), 842-856, all in percent:

    * ``recurrence_rate = 100 * 2R / (N (N - 1))``
    * ``determinism = 100 * D / R``, ``D`` the recurrent points on diagonal lines of at least
      ``min_line`` (the same sequence of places revisited in the same order);
    * ``laminarity = 100 * (H + V) / (2R)``, ``H`` and ``V`` the recurrent points on horizontal
      and vertical lines of at least ``min_line`` (a place re-inspected in detail);
    * ``corm = 100 * sum (j - i) r_ij / ((N - 1) R)``, the centre of recurrence mass (small when
      re-fixations follow soon, large when they come late).

    The rate is NaN for fewer than two fixations, the other three when nothing recurs.

    Examples
    --------
    Places A, B, A, B: the two returns are one diagonal line.

    >>> m = recurrence_measures([0, 100, 0, 100], [0, 0, 0, 0], radius=10)
    >>> {k: round(v, 2) for k, v in m.items()}
    {'recurrence_rate': 33.33, 'determinism': 100.0, 'laminarity': 0.0, 'corm': 66.67}
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise InputError(f"x and y must be 1-D of the same length, got {x.shape} and {y.shape}")
    if not np.isfinite(radius) or radius < 0:
        raise InputError(f"the recurrence radius must be a non-negative number, got {radius}")
    if int(min_line) != min_line or min_line < 1:
        raise InputError(f"min_line must be a positive whole number, got {min_line!r}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = len(x)
    nan = float("nan")
    if n < 2:
        return {"recurrence_rate": nan, "determinism": nan, "laminarity": nan, "corm": nan}
    upper = _recurrence_matrix(x, y, float(radius))
    recurrent = int(upper.sum())
    rate = 100.0 * 2.0 * recurrent / (n * (n - 1))
    if recurrent == 0:
        return {"recurrence_rate": rate, "determinism": nan, "laminarity": nan, "corm": nan}
    # diagonals as columns of a sheared view: sheared[i, k] = upper[i, i + k] (0 past the end)
    padded = np.zeros((n, 2 * n), dtype=bool)
    padded[:, :n] = upper
    sheared = np.lib.stride_tricks.as_strided(
        padded, shape=(n, n), strides=(padded.strides[0] + padded.strides[1], padded.strides[1]),
        writeable=False)
    diagonal = _runs_at_least(sheared.T, int(min_line))
    horizontal = _runs_at_least(upper, int(min_line))
    vertical = _runs_at_least(upper.T, int(min_line))
    index = np.arange(n)
    lag_sum = float(index @ upper.sum(axis=0) - index @ upper.sum(axis=1))  # sum of (j - i)
    return {
        "recurrence_rate": rate,
        "determinism": 100.0 * diagonal / recurrent,
        "laminarity": 100.0 * (horizontal + vertical) / (2.0 * recurrent),
        "corm": 100.0 * lag_sum / ((n - 1) * recurrent),
    }


def _recurrence_matrix(x: np.ndarray, y: np.ndarray, radius: float,
                       chunk: int = 512) -> np.ndarray:
    """Boolean ``r[i, j]`` for ``i < j`` within ``radius`` (rows in chunks to bound memory)."""
    n = len(x)
    upper = np.zeros((n, n), dtype=bool)
    limit = radius * radius
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        dx = x[start:stop, None] - x[None, :]
        dy = y[start:stop, None] - y[None, :]
        upper[start:stop] = dx * dx + dy * dy <= limit
    return np.triu(upper, k=1)


def _recurrence_radius_px(screen: Screen | None, radius_deg: float | None,
                          radius_px: float | None) -> float:
    if radius_deg is not None and radius_px is not None:
        raise InputError("give the recurrence radius as recurrence_radius_deg or "
                         "recurrence_radius_px, not both")
    if radius_px is not None:
        return float(radius_px)
    screen = require_degrees(screen, "the recurrence radius in degrees",
                             "or recurrence_radius_px=...")
    return (1.0 if radius_deg is None else float(radius_deg)) * screen.pixels_per_degree


def recording_features(recording: Recording, events: Events | None = None,
                       detector: str = "idt", *, detector_options: dict | None = None,
                       dispersion_px: float | None = None, screen: Screen | None = None,
                       extent=None, coverage_grids: Sequence[int] = (5, 7, 10),
                       recurrence_radius_deg: float | None = None,
                       recurrence_radius_px: float | None = None,
                       min_line: int = 2) -> dict[str, float]:
    """The feature vector of one recording (see the module docstring for the features).

    Parameters
    ----------
    recording : Recording
    events : Events, optional
        Its events; detected with ``detector`` when omitted.
    detector : str
        Classic detector name (``idt`` by default), or ``"labels"`` for the recording's labels.
    detector_options : dict, optional
        Options of the detector.
    dispersion_px : float, optional
        Detect with I-DT in pixels (for recordings without a screen).
    screen : Screen, optional
        Geometry when the recording has none.
    extent : (width_px, height_px), optional
        The screen area of the coverage grids (the screen's resolution by default).
    coverage_grids : sequence of int
        Grid sizes of the ``coverage{n}`` features.
    recurrence_radius_deg : float, optional
        Distance within which two fixations recur; 1 degree by default (converted with the
        pixels per degree at the screen centre).
    recurrence_radius_px : float, optional
        The radius in pixels instead (for recordings without a screen).
    min_line : int
        Shortest line counted by determinism and laminarity.

    Returns
    -------
    dict of str to float
        In the order of :data:`FEATURE_NAMES` (with other coverage grids, their names instead).

    Raises
    ------
    InputError
        When the screen is needed but unknown (a :class:`~gazelearn.errors.MissingScreenError`),
        or on bad options.

    Examples
    --------
    A recording without a screen: I-DT in pixels, radius and area in pixels too.

    >>> from gazelearn.simulate import simulate_recording
    >>> rec = simulate_recording(duration_s=4.0, seed=0)
    >>> rec.screen = None
    >>> f = recording_features(rec, dispersion_px=40, recurrence_radius_px=50,
    ...                        extent=(1920, 1080))
    >>> f["fixation_count"] > 0, np.isnan(f["saccade_amplitude_mean"])
    (True, True)
    """
    if not isinstance(recording, Recording):
        raise InputError(f"expected a Recording, got a {type(recording).__name__}")
    screen = resolve_screen(recording, screen)
    area = screen_area(screen, extent)
    radius = _recurrence_radius_px(screen, recurrence_radius_deg, recurrence_radius_px)
    table = detect_events(recording, events, detector, detector_options, dispersion_px,
                          screen).frame
    fixations = table.filter(pl.col("type") == "fixation")
    saccades = table.filter(pl.col("type") == "saccade")
    fx, fy = fixations["mean_x"].to_numpy(), fixations["mean_y"].to_numpy()
    placed = np.isfinite(fx) & np.isfinite(fy)
    fx, fy = fx[placed], fy[placed]
    durations = fixations["duration"].to_numpy()
    amplitudes = saccades["amplitude"].to_numpy()
    duration = recording.duration
    valid = recording.valid
    gx, gy = recording.x[valid], recording.y[valid]
    step_px = np.hypot(np.diff(fx), np.diff(fy))
    length_deg = float("nan")
    if screen is not None and screen.has_geometry:
        length_deg = float(np.sum(screen.angular_distance(fx[:-1], fy[:-1], fx[1:], fy[1:])))
    features = {
        "duration_s": duration,
        "lost_fraction": recording.lost_fraction,
        "fixation_count": float(fixations.height),
        "fixation_rate": fixations.height / duration if duration > 0 else float("nan"),
        "fixation_duration_mean": _stat(durations, "mean"),
        "fixation_duration_median": _stat(durations, "median"),
        "fixation_duration_std": _stat(durations, "std"),
        "saccade_count": float(saccades.height),
        "saccade_amplitude_mean": _stat(amplitudes, "mean"),
        "saccade_amplitude_median": _stat(amplitudes, "median"),
        "saccade_amplitude_max": _stat(amplitudes, "max"),
        "saccade_peak_velocity_mean": _stat(saccades["peak_velocity"].to_numpy(), "mean"),
        "scanpath_length_px": float(step_px.sum()) if len(fx) else float("nan"),
        "scanpath_length_deg": length_deg if len(fx) else float("nan"),
        "gaze_mean_x": _stat(gx, "mean"),
        "gaze_mean_y": _stat(gy, "mean"),
        "gaze_dispersion_px": (float(np.sqrt(gx.var() + gy.var())) if gx.size
                               else float("nan")),
    }
    features.update(coverage(fx, fy, area, coverage_grids))
    features.update(recurrence_measures(fx, fy, radius, min_line))
    return features


def feature_table(dataset: Dataset | Sequence[Recording], events: Sequence[Events] | None = None,
                  detector: str = "idt", **options) -> pl.DataFrame:
    """One row of :func:`recording_features` per recording, after the dataset's metadata columns.

    Parameters
    ----------
    dataset : Dataset or sequence of Recording
    events : sequence of Events, optional
        One events table per recording (same order); detected when omitted.
    detector : str
        As in :func:`recording_features`.
    **options
        Further keyword options of :func:`recording_features`.

    Examples
    --------
    >>> from gazelearn.simulate import simulate_population
    >>> data = simulate_population(n_subjects=2, recordings_per_subject=2, duration_s=3.0)
    >>> table = feature_table(data)
    >>> table.height, table.columns[:3], "corm" in table.columns
    (4, ['index', 'subject', 'session'], True)
    """
    if not isinstance(dataset, Dataset):
        dataset = Dataset(list(dataset))
    if events is not None and len(events) != len(dataset):
        raise InputError(f"{len(events)} events tables for {len(dataset)} recordings")
    rows = []
    for position, recording in enumerate(dataset):
        rows.append(recording_features(recording, None if events is None else events[position],
                                       detector, **options))
    if rows:
        features = pl.DataFrame(rows, schema={name: pl.Float64 for name in rows[0]})
    else:
        grids = options.get("coverage_grids", (5, 7, 10))
        names = [n for n in FEATURE_NAMES if not n.startswith("coverage")]
        at = names.index("recurrence_rate")
        names[at:at] = [f"coverage{int(n)}" for n in grids]
        features = pl.DataFrame(schema={name: pl.Float64 for name in names})
    clash = [name for name in features.columns if name in dataset.metadata.columns]
    if clash:
        raise InputError(f"metadata columns {', '.join(clash)} have the names of features; "
                         "rename them first")
    return pl.concat([dataset.metadata, features], how="horizontal")
