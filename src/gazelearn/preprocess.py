"""Signal preprocessing: velocity and acceleration, smoothing, gap filling, resampling, windows.

All functions take plain numpy arrays (and a sampling rate) or a :class:`~gazelearn.Recording`,
and treat NaN as lost data: a filter never spreads a value across a gap, and a result is NaN where
the input had no data.

Examples
--------
>>> t = np.arange(100) / 100.0
>>> vx, vy = velocity(2.0 * t, np.zeros(100), sampling_rate=100.0)
>>> round(float(vx[50]), 6), round(float(vy[50]), 6)
(2.0, 0.0)
"""

from __future__ import annotations

import numpy as np
from scipy.signal import savgol_coeffs

from gazelearn.errors import InputError
from gazelearn.recording import Recording


def _savgol_window(window_s: float, sampling_rate: float, order: int, n: int) -> int:
    """An odd Savitzky-Golay window length in samples, shrunk to fit short signals."""
    length = int(round(window_s * sampling_rate))
    length = max(length, order + 2)
    if length % 2 == 0:
        length += 1
    return length


def _nan_runs_filled(values: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN runs (edges held constant); all-NaN stays all-NaN."""
    good = ~np.isnan(values)
    if good.all() or not good.any():
        return values.copy()
    index = np.arange(len(values))
    return np.interp(index, index[good], values[good])


def savgol_derivative(values, sampling_rate: float, deriv: int = 1, window_s: float = 0.02,
                      order: int = 2) -> np.ndarray:
    """Smoothed derivative of a signal by a Savitzky-Golay filter, NaN-aware.

    Parameters
    ----------
    values : array_like
        The signal (NaN where lost).
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
        velocity is invented across a gap. Signals shorter than the window get a window of the
        largest odd length that fits (down to a plain difference of 2 or 3 samples).
    """
    values = np.asarray(values, dtype=np.float64)
    if sampling_rate <= 0 or not np.isfinite(sampling_rate):
        raise InputError(f"sampling rate must be a positive number, got {sampling_rate!r}")
    n = len(values)
    if n < 2:
        return np.full(n, np.nan)
    length = _savgol_window(window_s, sampling_rate, order, n)
    if length > n:
        length = n if n % 2 else n - 1
    poly = min(order, length - 1)
    if length < 3 or poly < deriv:
        if deriv != 1:
            return np.full(n, np.nan)
        return np.gradient(values) * sampling_rate
    coeffs = savgol_coeffs(length, poly, deriv=deriv, delta=1.0 / sampling_rate, use="dot")
    lost = np.isnan(values)
    filled = _nan_runs_filled(values)
    half = length // 2
    padded = np.pad(filled, half, mode="edge" if n > 1 else "constant")
    windows = np.lib.stride_tricks.sliding_window_view(padded, length)
    result = windows @ coeffs
    if deriv > 0:
        # edge padding flattens the signal at both ends; use one-sided differences there instead
        edge = np.gradient(filled, 1.0 / sampling_rate) if deriv == 1 else None
        if edge is not None:
            result[:half] = edge[:half]
            result[n - half:] = edge[n - half:]
    if lost.any():
        touched = np.convolve(lost.astype(np.int64), np.ones(length, dtype=np.int64), "same") > 0
        result[touched] = np.nan
    return result


def velocity(x, y, sampling_rate: float, window_s: float = 0.02, order: int = 2
             ) -> tuple[np.ndarray, np.ndarray]:
    """Velocity components (units per second) of a 2-D signal by Savitzky-Golay filtering."""
    return (savgol_derivative(x, sampling_rate, 1, window_s, order),
            savgol_derivative(y, sampling_rate, 1, window_s, order))


def speed_deg(recording: Recording, window_s: float = 0.02, order: int = 2) -> np.ndarray:
    """Angular speed in deg/s of a recording (needs its screen).

    Positions are first converted to degrees with the exact atan form, so speeds are right
    anywhere on the screen.
    """
    x_deg, y_deg = recording.position_deg()
    vx, vy = velocity(x_deg, y_deg, recording.sampling_rate, window_s, order)
    return np.hypot(vx, vy)
