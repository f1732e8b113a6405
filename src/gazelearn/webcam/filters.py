"""Online smoothing of 2-D gaze: One Euro filter, constant-velocity Kalman filter, and a
fixation-aware wrapper that never smooths across a saccade.

* :class:`OneEuroFilter` -- Casiez, Roussel and Vogel (2012), "1 Euro filter: a simple
  speed-based low-pass filter for noisy input in interactive systems", CHI. A first-order
  low-pass whose cut-off rises with speed: strong smoothing when the gaze rests, little lag
  when it moves.
* :class:`KalmanFilter` -- a constant-velocity model per axis (state x, y, vx, vy) with white
  acceleration noise, for irregular frame intervals.
* :class:`FixationAwareFilter` -- wraps either: when a new sample jumps further than
  ``jump_px`` (or ``jump_deg`` with a screen) from the current estimate, the inner filter is
  reset and the raw sample passes through, so a saccade is not smeared into a slow drift.

Every filter has ``update(t, xy) -> xy`` and ``reset()``; NaN samples (no face, blink) pass
through as NaN and reset the state. :func:`make_filter` picks one by name and :func:`smooth`
runs one over arrays.

Examples
--------
>>> import numpy as np
>>> t = np.arange(200) / 30.0
>>> noisy = np.c_[500 + np.random.default_rng(0).normal(0, 10, 200), np.full(200, 300.0)]
>>> smoothed = smooth(t, noisy, "one_euro", min_cutoff=0.5)
>>> bool(smoothed[50:, 0].std() < noisy[50:, 0].std() / 2)
True
>>> sorted(FILTERS)
['kalman', 'none', 'one_euro']
"""

from __future__ import annotations

import math

import numpy as np

from gazelearn.errors import InputError, MissingScreenError
from gazelearn.screen import SCREEN_HINT


def _xy(xy) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64).reshape(-1)
    if xy.shape != (2,):
        raise InputError(f"a gaze sample is (x, y), got {xy.shape[0]} values")
    return xy


class GazeFilter:
    """Base class: the identity filter (``"none"``)."""

    def reset(self) -> None:
        """Forget the state (the next sample starts afresh)."""

    def update(self, t: float, xy) -> np.ndarray:
        """Filter one sample at time ``t`` (s); returns the smoothed ``(x, y)``."""
        return _xy(xy).copy()

    def estimate(self) -> np.ndarray | None:
        """The current smoothed position, or None before the first sample."""
        return None


def _alpha(cutoff: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter(GazeFilter):
    """One Euro filter (Casiez et al. 2012) on x and y.

    Parameters
    ----------
    min_cutoff : float
        Cut-off frequency (Hz) at rest: lower smooths more (and lags more on slow motion).
    beta : float
        Speed coefficient: higher reduces lag during fast motion. In px units, about 0.005-0.05
        for screen pixels.
    d_cutoff : float
        Cut-off (Hz) of the speed estimate.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.01, d_cutoff: float = 1.0):
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise InputError("one_euro needs min_cutoff > 0, d_cutoff > 0 and beta >= 0")
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self._t: float | None = None
        self._x: np.ndarray | None = None
        self._dx = np.zeros(2)

    def estimate(self) -> np.ndarray | None:
        return None if self._x is None else self._x.copy()

    def update(self, t: float, xy) -> np.ndarray:
        xy = _xy(xy)
        if not np.isfinite(xy).all():
            self.reset()
            return np.full(2, np.nan)
        if self._x is None or self._t is None or t <= self._t:
            if self._x is None or self._t is None:
                self._x, self._t = xy.copy(), float(t)
            return self._x.copy()
        dt = float(t) - self._t
        self._t = float(t)
        dx = (xy - self._x) / dt
        a_d = _alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1.0 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        a = np.array([_alpha(c, dt) for c in cutoff])
        self._x = a * xy + (1.0 - a) * self._x
        return self._x.copy()


class KalmanFilter(GazeFilter):
    """Constant-velocity Kalman filter on x and y.

    Parameters
    ----------
    process_noise : float
        Acceleration noise density (px / s^2): higher follows changes faster.
    measurement_noise : float
        Standard deviation of one measurement (px): higher smooths more.
    """

    def __init__(self, process_noise: float = 500.0, measurement_noise: float = 30.0):
        if process_noise <= 0 or measurement_noise <= 0:
            raise InputError("kalman needs process_noise > 0 and measurement_noise > 0")
        self.process_noise, self.measurement_noise = process_noise, measurement_noise
        self.reset()

    def reset(self) -> None:
        self._t: float | None = None
        self._state: np.ndarray | None = None  # x, y, vx, vy
        self._cov = np.eye(4)

    def estimate(self) -> np.ndarray | None:
        return None if self._state is None else self._state[:2].copy()

    def update(self, t: float, xy) -> np.ndarray:
        xy = _xy(xy)
        if not np.isfinite(xy).all():
            self.reset()
            return np.full(2, np.nan)
        r = self.measurement_noise**2
        if self._state is None or self._t is None:
            self._state = np.r_[xy, 0.0, 0.0]
            self._cov = np.diag([r, r, 1e6, 1e6])
            self._t = float(t)
            return xy.copy()
        dt = max(float(t) - self._t, 0.0)
        self._t = max(float(t), self._t)
        F = np.eye(4)
        F[0, 2] = F[1, 3] = dt
        q = self.process_noise**2
        block = np.array([[dt**4 / 4, dt**3 / 2], [dt**3 / 2, dt**2]]) * q
        Q = np.zeros((4, 4))
        Q[np.ix_([0, 2], [0, 2])] = block
        Q[np.ix_([1, 3], [1, 3])] = block
        state = F @ self._state
        cov = F @ self._cov @ F.T + Q
        H = np.zeros((2, 4))
        H[0, 0] = H[1, 1] = 1.0
        S = H @ cov @ H.T + r * np.eye(2)
        gain = cov @ H.T @ np.linalg.inv(S)
        self._state = state + gain @ (xy - H @ state)
        self._cov = (np.eye(4) - gain @ H) @ cov
        return self._state[:2].copy()


class FixationAwareFilter(GazeFilter):
    """Smooth within fixations, never across saccades.

    Parameters
    ----------
    inner : GazeFilter
        The smoothing filter.
    jump_px : float
        A sample further than this from the current estimate starts afresh (the inner filter is
        reset and the sample passes unsmoothed).
    jump_deg : float, optional
        The same threshold in degrees of visual angle; needs ``screen`` and overrides
        ``jump_px``.
    screen : Screen, optional
        Geometry for ``jump_deg``.
    """

    def __init__(self, inner: GazeFilter, jump_px: float = 150.0, jump_deg: float | None = None,
                 screen=None) -> None:
        if jump_deg is not None:
            if screen is None:
                raise MissingScreenError(f"jump_deg needs the screen geometry: {SCREEN_HINT}")
            screen.require_geometry("jump_deg")
        if jump_px <= 0 or (jump_deg is not None and jump_deg <= 0):
            raise InputError("the jump threshold must be positive")
        self.inner, self.jump_px, self.jump_deg, self.screen = inner, jump_px, jump_deg, screen
        self.n_resets = 0

    def reset(self) -> None:
        self.inner.reset()

    def estimate(self) -> np.ndarray | None:
        return self.inner.estimate()

    def _jump(self, a: np.ndarray, b: np.ndarray) -> bool:
        if self.jump_deg is not None:
            return bool(self.screen.angular_distance(a[0], a[1], b[0], b[1]) > self.jump_deg)
        return bool(math.hypot(*(a - b)) > self.jump_px)

    def update(self, t: float, xy) -> np.ndarray:
        xy = _xy(xy)
        current = self.inner.estimate()
        if current is not None and np.isfinite(xy).all() and self._jump(current, xy):
            self.inner.reset()
            self.n_resets += 1
        return self.inner.update(t, xy)


#: Filters by name for :func:`make_filter` and the CLI.
FILTERS: dict[str, type[GazeFilter]] = {
    "none": GazeFilter,
    "one_euro": OneEuroFilter,
    "kalman": KalmanFilter,
}


def make_filter(name: str = "one_euro", *, fixation_aware: bool = False, jump_px: float = 150.0,
                jump_deg: float | None = None, screen=None, **options) -> GazeFilter:
    """A filter by name (``"none"``, ``"one_euro"``, ``"kalman"``) with its options.

    ``fixation_aware=True`` wraps it in :class:`FixationAwareFilter`.

    Examples
    --------
    >>> make_filter("kalman", fixation_aware=True, jump_px=100).jump_px
    100
    """
    key = name.strip().lower().replace("-", "_")
    if key not in FILTERS:
        raise InputError(f"unknown filter {name!r}; expected one of {', '.join(sorted(FILTERS))}")
    try:
        base = FILTERS[key](**options)
    except TypeError as error:
        raise InputError(f"filter {key!r}: {error}") from None
    if fixation_aware and key != "none":
        return FixationAwareFilter(base, jump_px=jump_px, jump_deg=jump_deg, screen=screen)
    return base


def smooth(time, xy, name: str | GazeFilter = "one_euro", **options) -> np.ndarray:
    """Run a filter (a name for :func:`make_filter`, or an instance) over ``(n, 2)`` samples."""
    time = np.asarray(time, dtype=np.float64)
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) != len(time):
        raise InputError(f"expected time (n,) and xy (n, 2), got {time.shape} and {xy.shape}")
    gaze_filter = name if isinstance(name, GazeFilter) else make_filter(name, **options)
    gaze_filter.reset()
    return np.array([gaze_filter.update(t, p) for t, p in zip(time, xy, strict=True)]
                    ).reshape(-1, 2)
