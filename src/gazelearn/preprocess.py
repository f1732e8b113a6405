"""Signal preprocessing: velocity and acceleration, smoothing, gap filling, resampling.

All functions take plain numpy arrays (and a sampling rate) or a :class:`~gazelearn.Recording`,
and treat NaN as lost data: a filter never spreads a value across a gap, and a result is NaN where
the input had no data. Savitzky-Golay filters assume regular sampling: :func:`resample` a
recording with irregular timestamps first.

Examples
--------
>>> t = np.arange(100) / 100.0
>>> vx, vy = velocity(2.0 * t, np.zeros(100), sampling_rate=100.0)
>>> round(float(vx[50]), 6), round(float(vy[50]), 6)
(2.0, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache

import numpy as np

from gazelearn.errors import InputError
from gazelearn.recording import Recording

#: Features :func:`make_windows` and :func:`feature_matrix` know.


# ---------------------------------------------------------------------------- helpers
def _check_rate(sampling_rate: float) -> float:
    if (not isinstance(sampling_rate, int | float | np.integer | np.floating)
            or not np.isfinite(sampling_rate) or sampling_rate <= 0):
        raise InputError(f"sampling rate must be a positive number, got {sampling_rate!r}")
    return float(sampling_rate)


def _savgol_window(window_s: float, sampling_rate: float, order: int) -> int:
    """An odd Savitzky-Golay window length in samples (at least ``order + 2``)."""
    length = max(int(round(window_s * sampling_rate)), order + 2)
    return length + 1 if length % 2 == 0 else length


def _nan_runs_filled(values: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN runs (edges held constant); all-NaN stays all-NaN."""
    good = ~np.isnan(values)
    if good.all() or not good.any():
        return values.copy()
    # interpolate only at the lost samples: usually a few percent of the signal
    filled = values.copy()
    lost_index = np.flatnonzero(~good)
    # between two good samples np.interp reads only those two: the good neighbours of the lost
    # samples give the same values, bit for bit, without an index of every good sample
    neighbours = np.union1d(lost_index - 1, lost_index + 1)
    neighbours = neighbours[(neighbours >= 0) & (neighbours < len(values))]
    neighbours = neighbours[good[neighbours]]
    filled[lost_index] = np.interp(lost_index, neighbours, values[neighbours])
    return filled


def _window_touches(lost: np.ndarray, length: int) -> np.ndarray:
    """Samples whose Savitzky-Golay window (``mode="interp"``, shifted inwards at the edges)
    contains a lost sample.

    Works on the runs of lost samples (few, even in long recordings): sample ``i``'s window is
    ``[i - half, i - half + length)``, so a run ``[a, b)`` touches ``a - after <= i < b + half``
    (``after = length - 1 - half``); the first (last) samples share the first (last) window, so
    they are touched when any lost sample lies in it.
    """
    n = len(lost)
    half = length // 2
    after = length - 1 - half
    edges = np.diff(lost.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    # +1 where a touched stretch begins, -1 where it ends; indices repeat only where clipped,
    # so unique counts added by fancy indexing replace np.add.at (slow per element) and keep
    # one int32 array of n (a bincount would be int64, twice)
    delta = np.zeros(n + 1, dtype=np.int32)
    for index, sign in ((np.clip(starts - after, 0, n), 1), (np.clip(stops + half, 0, n), -1)):
        where, count = np.unique(index, return_counts=True)
        delta[where] += sign * count.astype(np.int32)
    touched = np.cumsum(delta[:n], dtype=np.int32) > 0
    if starts.size and starts[0] < length:  # a lost sample inside the first window
        touched[:half] = True
    if stops.size and stops[-1] > n - length:  # ... inside the last window
        touched[n - length + half + 1:] = True
    return touched


def _recording_rate(recording: Recording) -> float | None:
    """The recording's sampling rate, or None when it has fewer than two distinct times."""
    rate = recording.sampling_rate
    return rate if np.isfinite(rate) else None


# ---------------------------------------------------------------------------- derivatives
def savgol_coeffs(length: int, order: int, deriv: int = 0, delta: float = 1.0,
                  pos: float | None = None, use: str = "conv") -> np.ndarray:
    """Savitzky-Golay filter coefficients, as ``scipy.signal.savgol_coeffs`` gives them.

    The weights that, applied to ``length`` samples, give the ``deriv``-th derivative at
    sample ``pos`` (default: the centre) of the least-squares polynomial of ``order`` through
    them; ``use="conv"`` reverses them for ``np.convolve``, ``"dot"`` keeps them in sample order.
    Computed with numpy (the pseudo-inverse of the Vandermonde matrix): scipy.signal costs
    about 0.8 s of CPU to import, more than a whole hour of velocities.

    Examples
    --------
    >>> savgol_coeffs(5, 2).round(6).tolist()
    [-0.085714, 0.342857, 0.485714, 0.342857, -0.085714]
    >>> bool(np.allclose(savgol_coeffs(5, 2, deriv=1, use="dot"), [-0.2, -0.1, 0, 0.1, 0.2]))
    True
    """
    if not 0 <= order < length or deriv < 0:
        raise InputError(f"a Savitzky-Golay filter needs 0 <= order < length and deriv >= 0, "
                         f"got length {length}, order {order}, deriv {deriv}")
    if use not in ("conv", "dot"):
        raise InputError(f"use must be 'conv' or 'dot', got {use!r}")
    if pos is None:
        pos = (length - 1) / 2
    weights = _savgol_rows(length, order, deriv, float(delta), (float(pos),))[0]
    return weights[::-1].copy() if use == "conv" else weights


def _savgol_rows(length: int, order: int, deriv: int, delta: float,
                 positions: tuple[float, ...]) -> np.ndarray:
    """One row of ``dot`` weights per position: the ``deriv``-th derivative at that position
    of the polynomial fitted to ``length`` samples (times ``1 / delta ** deriv``)."""
    # sample times scaled to -1..1 around the middle: a well-conditioned Vandermonde matrix
    centre = (length - 1) / 2
    scale = max(centre, 1.0)
    u = (np.arange(length) - centre) / scale
    powers = np.arange(order + 1)
    fit = np.linalg.pinv(u[:, None] ** powers)  # polynomial coefficients from the samples
    where = (np.asarray(positions, dtype=np.float64)[:, None] - centre) / scale
    # d^deriv/du^deriv of u**k is k! / (k - deriv)! u**(k - deriv), zero for k < deriv
    factor = np.array([math.perm(int(k), deriv) for k in powers], dtype=np.float64)
    derivative = np.where(powers >= deriv,
                          factor * where ** np.maximum(powers - deriv, 0), 0.0)
    return derivative @ fit / (scale * delta) ** deriv


#: Output samples per np.convolve call of :func:`_savgol_interp`.
_CONVOLVE_PIECE = 1 << 18


@lru_cache(maxsize=64)
def _savgol_weights(length: int, order: int, deriv: int, delta: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convolution kernel and the two edge matrices of ``savgol_filter(mode="interp")``."""
    half = length // 2
    rows = _savgol_rows(length, order, deriv, delta, tuple(range(length)))
    return rows[half][::-1].copy(), rows[:half], rows[length - half:]


def _savgol_interp(values: np.ndarray, length: int, order: int, deriv: int,
                   delta: float) -> np.ndarray:
    """``scipy.signal.savgol_filter(values, length, order, deriv, delta, mode="interp")`` for an
    odd ``length <= len(values)``: one ``np.convolve`` for the interior (several times faster than
    scipy's ``correlate1d``) and cached least-squares weights for the ends, where the polynomial
    of the first (last) window is evaluated."""
    half = length // 2
    kernel, first, last = _savgol_weights(length, order, deriv, float(delta))
    result = np.empty_like(values)
    n = len(values)
    # the interior in pieces: np.convolve makes a new array, here a piece's, not a second
    # recording-long one (each output is the same dot product however the signal is cut)
    for lo in range(half, n - half, _CONVOLVE_PIECE):
        hi = min(lo + _CONVOLVE_PIECE, n - half)
        result[lo:hi] = np.convolve(values[lo - half:hi + half], kernel, mode="valid")
    if half:
        result[:half] = first @ values[:length]
        result[len(values) - half:] = last @ values[len(values) - length:]
    return result


def savgol_derivative(values, sampling_rate: float, deriv: int = 1, window_s: float = 0.02,
                      order: int = 2) -> np.ndarray:
    """Smoothed derivative of a signal by a Savitzky-Golay filter, NaN-aware.

    Parameters
    ----------
    values : array_like
        The signal (NaN where lost), regularly sampled.
    sampling_rate : float
        Samples per second.
    deriv : int
        0 smooths, 1 gives the first derivative per second, 2 the second.
    window_s : float
        Filter length in seconds (20 ms is the usual choice for velocity, Nyström & Holmqvist 2010).
    order : int
        Polynomial order.

    Returns
    -------
    numpy.ndarray
        Same length as ``values``; NaN wherever the filter window touched a lost sample, so no
        velocity is invented across a gap. Near the ends the polynomial is fitted to the first
        (last) window, so polynomials up to ``order`` are differentiated exactly everywhere.
        Signals shorter than the window get the largest odd window that fits, down to a plain
        difference of 2 or 3 samples.

    Examples
    --------
    >>> x = 0.5 * (np.arange(10) / 100.0) ** 2  # acceleration 1 unit/s^2
    >>> np.round(savgol_derivative(x, 100.0, deriv=2, window_s=0.05)[[0, 5, 9]], 6)
    array([1., 1., 1.])
    >>> savgol_derivative([0.0, 1, np.nan, 3, 4, 5, 6, 7, 8], 1.0, window_s=5.0)
    array([nan, nan, nan, nan, nan,  1.,  1.,  1.,  1.])
    """
    values = np.asarray(values, dtype=np.float64)
    sampling_rate = _check_rate(sampling_rate)
    if values.ndim != 1:
        raise InputError(f"expected a one-dimensional signal, got shape {values.shape}")
    if deriv not in (0, 1, 2):
        raise InputError(f"deriv must be 0, 1 or 2, got {deriv!r}")
    if not window_s > 0 or order < 0:
        raise InputError(f"window_s must be > 0 and order >= 0, got {window_s!r}, {order!r}")
    n = len(values)
    length = min(_savgol_window(window_s, sampling_rate, order), n if n % 2 else n - 1)
    poly = min(order, max(length - 1, 0))
    if length < 1 or poly < deriv:  # too short (or too low an order) for the filter
        if deriv == 0:
            return values.copy()
        if n > deriv:
            result = values
            for _ in range(deriv):
                result = np.gradient(result, 1.0 / sampling_rate)
            return result
        return np.full(n, np.nan)
    lost = np.isnan(values)
    if lost.all():
        return np.full(n, np.nan)
    result = _savgol_interp(_nan_runs_filled(values), length, poly, deriv, 1.0 / sampling_rate)
    if lost.any():
        result[_window_touches(lost, length)] = np.nan
    return result


def velocity(x, y, sampling_rate: float, window_s: float = 0.02, order: int = 2
             ) -> tuple[np.ndarray, np.ndarray]:
    """Velocity components (units per second) of a 2-D signal by Savitzky-Golay filtering.

    Examples
    --------
    >>> t = np.arange(200) / 200.0
    >>> vx, vy = velocity(np.sin(2 * np.pi * t), 3.0 * t, 200.0)
    >>> bool(np.allclose(vx[5:-5], 2 * np.pi * np.cos(2 * np.pi * t[5:-5]), rtol=0, atol=0.02))
    True
    """
    return (savgol_derivative(x, sampling_rate, 1, window_s, order),
            savgol_derivative(y, sampling_rate, 1, window_s, order))


def acceleration(x, y, sampling_rate: float, window_s: float = 0.02, order: int = 2
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Acceleration components (units per second squared) by Savitzky-Golay filtering.

    Examples
    --------
    >>> t = np.arange(50) / 100.0
    >>> ax, ay = acceleration(3.0 * t ** 2, t, 100.0)
    >>> round(float(ax[25]), 6), abs(round(float(ay[25]), 6))
    (6.0, 0.0)
    """
    return (savgol_derivative(x, sampling_rate, 2, window_s, order),
            savgol_derivative(y, sampling_rate, 2, window_s, order))


def velocity_deg(recording: Recording, window_s: float = 0.02, order: int = 2
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Velocity components in deg/s of a recording (needs its screen; exact atan degrees).

    Examples
    --------
    >>> from gazelearn import Screen
    >>> screen = Screen(1000, 1000, 500.0, 500.0, 500.0)
    >>> rec = Recording(np.arange(20) / 100.0, np.full(20, 500.0), np.full(20, 500.0),
    ...                 screen=screen)
    >>> vx, vy = velocity_deg(rec)
    >>> float(vx[10]), float(vy[10])
    (0.0, 0.0)
    """
    x_deg, y_deg = recording.position_deg()
    rate = _recording_rate(recording)
    if rate is None:
        return np.full(len(recording), np.nan), np.full(len(recording), np.nan)
    return velocity(x_deg, y_deg, rate, window_s, order)


def velocity_px(recording: Recording, window_s: float = 0.02, order: int = 2
                ) -> tuple[np.ndarray, np.ndarray]:
    """Velocity components in px/s of a recording (the fallback when its screen is unknown).

    Examples
    --------
    >>> rec = Recording(np.arange(20) / 100.0, np.arange(20.0), np.zeros(20))
    >>> vx, vy = velocity_px(rec)
    >>> round(float(vx[3]), 6), round(float(vy[3]), 6)
    (100.0, 0.0)
    """
    rate = _recording_rate(recording)
    if rate is None:
        return np.full(len(recording), np.nan), np.full(len(recording), np.nan)
    return velocity(recording.x, recording.y, rate, window_s, order)


def speed_deg(recording: Recording, window_s: float = 0.02, order: int = 2) -> np.ndarray:
    """Angular speed in deg/s of a recording (needs its screen).

    Positions are first converted to degrees with the exact atan form, so speeds are right
    anywhere on the screen.

    Examples
    --------
    >>> from gazelearn import Screen
    >>> rec = Recording(np.arange(20) / 100.0, np.full(20, 512.0), np.full(20, 384.0),
    ...                 screen=Screen(1024, 768, 380.0, 300.0, 670.0))
    >>> float(speed_deg(rec)[10])
    0.0
    """
    vx, vy = velocity_deg(recording, window_s, order)
    return np.hypot(vx, vy)


# ---------------------------------------------------------------------------- smoothing, gaps
def _median_smooth(values: np.ndarray, length: int) -> np.ndarray:
    result = values.copy()
    valid = ~np.isnan(values)
    if length < 2 or not valid.any():
        return result
    half = length // 2
    padded = np.pad(values, half, mode="edge")  # ends: repeat the end value
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    result[valid] = np.nanmedian(windows[valid], axis=1)
    return result


def smooth(data, sampling_rate: float | None = None, method: str = "savgol",
           window_s: float = 0.02, order: int = 2):
    """Smooth a signal (or a recording's x and y) without spreading values across gaps.

    Parameters
    ----------
    data : array_like or Recording
        A 1-D signal (NaN where lost) or a recording, whose ``x`` and ``y`` are smoothed.
    sampling_rate : float, optional
        Needed for arrays; taken from the timestamps for a recording.
    method : {"savgol", "median"}
        ``"savgol"``: Savitzky-Golay of order ``order`` (order-0 derivative); samples whose window
        touches a gap keep their raw value. ``"median"``: running median over the valid samples
        of the window (the end values are repeated beyond the ends).
    window_s : float
        Window length in seconds (rounded to an odd number of samples, at least 3).
    order : int
        Polynomial order for ``"savgol"``.

    Returns
    -------
    numpy.ndarray or Recording
        Same type as ``data``; lost samples stay NaN.

    Examples
    --------
    >>> smooth(np.array([0.0, 0, 9, 0, 0, np.nan, 1]), 1.0, method="median", window_s=3.0)
    array([ 0.,  0.,  0.,  0.,  0., nan,  1.])
    """
    if isinstance(data, Recording):
        rate = _recording_rate(data)
        if rate is None:
            return data
        return replace(data, x=smooth(data.x, rate, method, window_s, order),
                       y=smooth(data.y, rate, method, window_s, order))
    values = np.asarray(data, dtype=np.float64)
    if sampling_rate is None:
        raise InputError("smoothing an array needs its sampling_rate")
    sampling_rate = _check_rate(sampling_rate)
    if values.ndim != 1:
        raise InputError(f"expected a one-dimensional signal, got shape {values.shape}")
    if method == "median":
        length = max(_savgol_window(window_s, sampling_rate, 1), 3)
        return _median_smooth(values, min(length, len(values) if len(values) % 2 else
                                          len(values) - 1))
    if method != "savgol":
        raise InputError(f"unknown smoothing method {method!r}; expected 'savgol' or 'median'")
    result = savgol_derivative(values, sampling_rate, 0, window_s, order)
    near_gap = np.isnan(result) & ~np.isnan(values)
    result[near_gap] = values[near_gap]
    return result


def _interval(time: np.ndarray) -> float:
    steps = np.diff(time)
    steps = steps[steps > 0]
    return float(np.median(steps)) if steps.size else float("nan")


def _fill_short_gaps(values: np.ndarray, time: np.ndarray, max_gap_s: float) -> np.ndarray:
    values = values.copy()
    lost = np.isnan(values)
    if not lost.any() or lost.all():
        return values
    edges = np.diff(np.concatenate([[0], lost.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    inner = (starts > 0) & (stops < len(values))
    starts, stops = starts[inner], stops[inner]
    gap_s = time[stops] - time[starts - 1] - _interval(time)
    keep = gap_s <= max_gap_s * (1 + 1e-9) + 1e-12
    good = ~lost
    filled = np.interp(time, time[good], values[good])
    for start, stop in zip(starts[keep], stops[keep], strict=True):
        values[start:stop] = filled[start:stop]
    return values


def interpolate_gaps(data, max_gap_s: float, sampling_rate: float | None = None, time=None):
    """Fill gaps (runs of NaN) no longer than ``max_gap_s`` by linear interpolation in time.

    A gap's duration is the time without data: for ``k`` lost samples at a regular rate, ``k``
    sample intervals. Longer gaps, and gaps at the start or end, stay NaN.

    Parameters
    ----------
    data : array_like or Recording
        A signal of shape ``(n,)`` or ``(n, channels)`` (channels are filled independently), or
        a recording (``x``, ``y`` and ``pupil`` are filled; labels are kept).
    max_gap_s : float
        Longest gap to fill, in seconds.
    sampling_rate : float, optional
        For arrays with regular sampling (or give ``time``).
    time : array_like, optional
        Timestamps in seconds for arrays.

    Returns
    -------
    numpy.ndarray or Recording
        Same type and shape as ``data``.

    Examples
    --------
    >>> x = np.array([0.0, np.nan, 2.0, np.nan, np.nan, np.nan, 6.0, np.nan])
    >>> interpolate_gaps(x, max_gap_s=0.02, sampling_rate=100.0)
    array([ 0.,  1.,  2., nan, nan, nan,  6., nan])
    >>> interpolate_gaps(x, max_gap_s=0.03, sampling_rate=100.0)
    array([ 0.,  1.,  2.,  3.,  4.,  5.,  6., nan])
    """
    if not (isinstance(max_gap_s, int | float | np.integer | np.floating) and max_gap_s >= 0):
        raise InputError(f"max_gap_s must be a number >= 0, got {max_gap_s!r}")
    if isinstance(data, Recording):
        fill = lambda v: None if v is None else _fill_short_gaps(v, data.time, max_gap_s)  # noqa: E731
        return replace(data, x=fill(data.x), y=fill(data.y), pupil=fill(data.pupil))
    values = np.asarray(data, dtype=np.float64)
    if values.ndim not in (1, 2):
        raise InputError(f"expected shape (n,) or (n, channels), got {values.shape}")
    if time is None:
        if sampling_rate is None:
            raise InputError("interpolating gaps of an array needs sampling_rate or time")
        time = np.arange(len(values)) / _check_rate(sampling_rate)
    time = np.asarray(time, dtype=np.float64)
    if time.shape != values.shape[:1]:
        raise InputError(f"time has {len(time)} values for {len(values)} samples")
    if values.ndim == 1:
        return _fill_short_gaps(values, time, max_gap_s)
    return np.stack([_fill_short_gaps(c, time, max_gap_s) for c in values.T], axis=1)


def resample(recording: Recording, rate: float, max_gap_intervals: float = 2.0) -> Recording:
    """Resample a recording to a regular rate.

    ``x``, ``y`` and ``pupil`` are interpolated linearly between the two original samples around
    each new time; labels take the nearest original sample. A new sample is NaN when either
    neighbour is lost or the neighbours are more than ``max_gap_intervals`` original sample
    intervals apart (plus 10 % for timestamp jitter): no data is invented across gaps.

    Parameters
    ----------
    recording : Recording
    rate : float
        New sampling rate in Hz.
    max_gap_intervals : float
        Longest interval, in original sample intervals, to interpolate across.

    Returns
    -------
    Recording
        Starting at the first original timestamp, with the same screen and metadata.

    Examples
    --------
    >>> rec = Recording(np.arange(5) / 100.0, np.arange(5) * 10.0, np.zeros(5), labels=[1] * 5)
    >>> out = resample(rec, 200.0)
    >>> out.x.tolist()
    [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0]
    >>> out.sampling_rate
    200.0
    """
    rate = _check_rate(rate)
    if not max_gap_intervals > 0:
        raise InputError(f"max_gap_intervals must be > 0, got {max_gap_intervals!r}")
    time = recording.time
    if len(time) < 2:
        return recording
    t0 = time[0]
    count = int(np.floor((time[-1] - t0) * rate + 1e-9)) + 1
    new_time = t0 + np.arange(count) / rate
    left = np.clip(np.searchsorted(time, new_time, side="right") - 1, 0, len(time) - 1)
    right = np.minimum(left + 1, len(time) - 1)
    span = time[right] - time[left]
    exact = np.isclose(new_time, time[left], rtol=0, atol=1e-9 / rate)
    ok = exact | (span <= max_gap_intervals * _interval(time) * 1.1)
    weight = np.where(span > 0, (new_time - time[left]) / np.where(span > 0, span, 1.0), 0.0)

    def interp(values):
        if values is None:
            return None
        lo, hi = values[left], values[right]
        out = np.where(exact, lo, lo + weight * (hi - lo))
        return np.where(ok, out, np.nan)

    labels = None
    if recording.labels is not None:
        nearest = np.where(new_time - time[left] <= time[right] - new_time, left, right)
        labels = recording.labels[nearest]
    return replace(recording, time=new_time, x=interp(recording.x), y=interp(recording.y),
                   pupil=interp(recording.pupil), labels=labels)
