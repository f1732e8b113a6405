"""From columns of numbers to a :class:`~gazelearn.Recording`: the helpers every reader shares.

Time units are decided from the data when the file does not say (:func:`infer_time_unit`);
infinite positions and pupil sizes are lost samples and counted (:func:`make_recording`); time
must be finite and, unless asked to sort, must not run backwards. Errors name the file, the line
and the column when the caller passes the line numbers.

Examples
--------
>>> import numpy as np
>>> infer_time_unit(np.arange(5) * 4.0), infer_time_unit(np.arange(5) * 1000.0)
('ms', 'us')
>>> from gazelearn.recording import Metadata
>>> rec = make_recording(np.arange(3) / 500, np.array([1.0, np.inf, 3.0]), np.zeros(3),
...                      meta=Metadata(source="a.csv"))
>>> rec.x.tolist(), rec.meta.extra["nonfinite_values"]
([1.0, nan, 3.0], 1)
"""

from __future__ import annotations

import math
import re

import numpy as np

from gazelearn.errors import InputError, MissingScreenError
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import SCREEN_HINT

#: Divisors from each accepted time unit to seconds (division keeps 1017 ms == 1.017 s).
TIME_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6}

#: Accepted position units.
POSITION_UNITS = ("px", "deg", "norm")

#: Sampling rates a recording may plausibly have; outside, the time unit must be given.
PLAUSIBLE_RATE_HZ = (10.0, 10_000.0)

#: A decimal number written in ASCII digits (a regular expression, also for polars): what every
#: text reader accepts. Python's ``float()`` also takes ``1_0_0`` (100) and Arabic-Indic or
#: other Unicode digits, and ``\d`` matches those too: file text never goes through either.
NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_NUMBER_TEXT = re.compile(rf"\s*(?:{NUMBER}|[-+]?(?:nan|inf|infinity))\s*", re.I | re.ASCII)


def parse_float(text: str) -> float:
    """``float(text)`` for numbers read from a file: ASCII digits only, else ValueError.

    Examples
    --------
    >>> parse_float(" -1.5e3 "), parse_float("nan") != parse_float("nan")
    (-1500.0, True)
    >>> parse_float("1_0_0")
    Traceback (most recent call last):
    ...
    ValueError: expected a number in ASCII digits, got '1_0_0'
    """
    if not isinstance(text, str) or _NUMBER_TEXT.fullmatch(text) is None:
        raise ValueError(f"expected a number in ASCII digits, got {str(text)[:40]!r}")
    return float(text)


# intervals measured for the unit: three windows (start, middle, end) of this many samples
_UNIT_WINDOW = 20_000


def check_finite_time(time: np.ndarray, lines=None, source: str | None = None,
                      field: str | None = None) -> None:
    """Raise an error naming the line of the first missing or infinite timestamp."""
    finite = np.isfinite(time)
    if not finite.all():
        bad = int(np.argmin(finite))
        line = int(lines[bad]) if lines is not None else None
        raise InputError("expected a timestamp, found a missing or infinite value",
                         source=source, line=line, field=field)


def order_time(time: np.ndarray, unordered: str, source: str, lines=None,
               field: str | None = None) -> tuple[np.ndarray | None, int]:
    """Check that ``time`` does not decrease.

    Parameters
    ----------
    unordered : {"error", "sort"}
        ``"error"`` raises naming the first line where time goes backwards; ``"sort"`` returns a
        stable sorting permutation and the number of samples that were out of order.

    Returns
    -------
    order : numpy.ndarray or None
        The permutation to apply, or None when the time is already in order.
    moved : int
        Samples whose timestamp was smaller than an earlier one.
    """
    backwards = time[1:] < time[:-1]
    if not backwards.any():
        return None, 0
    if unordered not in ("error", "sort"):
        raise InputError(f"unordered must be 'error' or 'sort', got {unordered!r}")
    if unordered == "error":
        bad = int(np.argmax(backwards)) + 1
        line = None if lines is None else int(lines[bad])
        raise InputError(f"time goes backwards ({time[bad - 1]!r} -> {time[bad]!r}); expected "
                         "non-decreasing timestamps (unordered='sort' reorders them)",
                         source=source, line=line, field=field)
    moved = int(np.sum(time < np.maximum.accumulate(time)))
    return np.argsort(time, kind="stable"), moved


def _lost_infinite(values: np.ndarray | None) -> tuple[np.ndarray | None, int]:
    """``values`` with +-inf as NaN (a copy only when there are any) and how many there were."""
    if values is None:
        return None, 0
    values = np.asarray(values, dtype=np.float64)
    infinite = np.isinf(values)
    count = int(np.count_nonzero(infinite))
    if count:
        values = np.where(infinite, np.nan, values)
    return values, count


def make_recording(time, x, y, *, meta: Metadata, pupil=None, labels=None, screen=None,
                   unordered: str = "error", lines=None,
                   time_field: str | None = None) -> Recording:
    """Build a :class:`Recording`, checking time order (see :func:`order_time`).

    Infinite values of x, y or pupil (``inf``, ``1e400``, a 5000-digit number) are lost samples,
    never positions: they become NaN and ``meta.extra["nonfinite_values"]`` counts them. When
    samples are reordered, ``meta.extra["reordered_samples"]`` says how many moved. Arrays that
    are already float64 are used as they are (no copy).
    """
    time = np.asarray(time, dtype=np.float64)
    if len(time) == 0:
        raise InputError("no samples in the file", source=meta.source)
    check_finite_time(time, lines, meta.source, time_field)
    order, moved = order_time(time, unordered, meta.source, lines, time_field)
    x, bad_x = _lost_infinite(x)
    y, bad_y = _lost_infinite(y)
    pupil, bad_pupil = _lost_infinite(pupil)
    if bad_x + bad_y + bad_pupil:
        meta.extra["nonfinite_values"] = bad_x + bad_y + bad_pupil
    arrays = [time, x, y, pupil, labels]
    if order is not None:
        arrays = [None if a is None else np.asarray(a)[order] for a in arrays]
        meta.extra["reordered_samples"] = moved
    time, x, y, pupil, labels = arrays
    return Recording(time=time, x=x, y=y, pupil=pupil, labels=labels, screen=screen, meta=meta)


def require_positions(x: np.ndarray, y: np.ndarray, source: str | None = None,
                      field: str | None = None) -> None:
    """Raise when no sample has a gaze position (every x or y missing, NaN or infinite)."""
    if len(x) and not np.any(np.isfinite(x) & np.isfinite(y)):
        raise InputError(f"no sample has a gaze position: all {len(x)} values are missing or "
                         "not finite; expected numbers in the x and y columns",
                         source=source, field=field)


def zero_to_nan(x: np.ndarray, y: np.ndarray, inplace: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
    """Positions with exact (0, 0) or any NaN coordinate set to NaN (the trackers' "lost").

    ``inplace=True`` writes into ``x`` and ``y`` (float64, writable) instead of copying them.
    """
    lost = ((x == 0) & (y == 0)) | np.isnan(x) | np.isnan(y)
    if inplace:
        x[lost] = np.nan
        y[lost] = np.nan
        return x, y
    return np.where(lost, np.nan, x), np.where(lost, np.nan, y)


def time_to_seconds(values: np.ndarray, unit: str, source: str | None = None,
                    inplace: bool = False) -> np.ndarray:
    """Convert timestamps in ``unit`` (s, ms, us) to seconds.

    ``inplace=True`` divides ``values`` (float64, writable) itself instead of a copy.
    """
    try:
        factor = TIME_UNITS[unit]
    except KeyError:
        raise InputError(f"unknown time unit {unit!r}; expected one of "
                         f"{', '.join(TIME_UNITS)}", source=source) from None
    values = np.asarray(values, dtype=np.float64)
    if factor == 1.0:
        return values
    if inplace:
        return np.divide(values, factor, out=values)
    return values / factor


def _median_interval(time: np.ndarray) -> float | None:
    """Median positive interval over three windows of the recording (None if there is none)."""
    n = len(time)
    if n > 3 * _UNIT_WINDOW:
        starts = (0, n // 2, n - _UNIT_WINDOW)
        steps = np.concatenate([np.diff(time[s:s + _UNIT_WINDOW]) for s in starts])
    else:
        steps = np.diff(time)
    steps = steps[np.isfinite(steps) & (steps > 0)]
    if steps.size < 2:
        return None
    return float(np.median(steps))


def infer_time_unit(time: np.ndarray, source: str | None = None, field: str | None = None,
                    default: str | None = None) -> str:
    """The unit of timestamps, from their median sampling interval.

    Exactly one of s, ms and us gives a plausible sampling rate of 10 Hz .. 10 kHz: median
    intervals of 0.0001-0.1 mean seconds, 0.1-100 milliseconds, 100-100000 microseconds
    (EyeLink-style integers of 1000 or 500 at 1 or 2 kHz). The column's name plays no part.

    Parameters
    ----------
    time : numpy.ndarray
        The timestamps as read (NaN allowed; only finite positive intervals count).
    source, field : str, optional
        File and column, for the error message.
    default : str, optional
        Returned when there are fewer than two positive intervals to measure (a file of two
        samples); without it such a file is an error too.

    Raises
    ------
    InputError
        When no unit gives a plausible rate (its ``params`` are ``("time_unit",)``).

    Examples
    --------
    >>> infer_time_unit(np.array([0.0, 0.002, 0.004, 0.006]))
    's'
    >>> infer_time_unit(np.array([10.0, 10.5]), default="s")
    's'
    """
    median = _median_interval(time)
    if median is None:
        if default is not None:
            return default
        raise InputError("cannot tell the time unit from fewer than two intervals between "
                         "timestamps; give it (time_unit='s', 'ms' or 'us')", source=source,
                         field=field, params=("time_unit",))
    low, high = PLAUSIBLE_RATE_HZ
    for unit, factor in TIME_UNITS.items():
        if low <= factor / median <= high:
            return unit
    raise InputError(f"cannot tell the time unit: the median interval between timestamps is "
                     f"{median:g}, which means a rate below {low:g} Hz or above {high:g} Hz in "
                     "s, ms and us alike; give the unit (time_unit='s', 'ms' or 'us')",
                     source=source, field=field, params=("time_unit",))


def positions_to_px(x: np.ndarray, y: np.ndarray, unit: str, screen, source: str | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Convert positions in ``unit`` (px, deg, norm) to pixels; deg and norm need the screen
    (deg its size in mm and the viewing distance too)."""
    if unit == "px":
        return x, y
    if unit not in POSITION_UNITS:
        raise InputError(f"unknown position unit {unit!r}; expected one of "
                         f"{', '.join(POSITION_UNITS)}", source=source)
    if screen is None:
        raise MissingScreenError(f"positions in {unit} need the screen geometry to convert to "
                                 f"pixels: {SCREEN_HINT}", source=source)
    if unit == "norm":
        return screen.norm_to_px(x, y)
    return screen.require_geometry(f"converting positions in {unit} to pixels",
                                   source=source).deg_to_px(x, y)


def synthetic_time(n: int, sampling_rate: float | None, source: str | None) -> np.ndarray:
    """Timestamps ``0, 1/rate, ...`` for files without a time column."""
    if sampling_rate is None:
        raise InputError("the file has no time column: give the sampling rate "
                         "(sampling_rate=HZ) or a time column (time_col=NAME or number)",
                         source=source, params=("sampling_rate", "time_col"))
    rate = float(sampling_rate)
    if not math.isfinite(rate) or rate <= 0:
        raise InputError(f"sampling rate must be a positive number, got {sampling_rate!r}",
                         source=source)
    return np.arange(n, dtype=np.float64) / rate
