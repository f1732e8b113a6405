"""Percentile bootstrap confidence intervals of any metric, optionally resampling groups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from gazelearn.errors import InputError


# ---------------------------------------------------------------------------- bootstrap
@dataclass(frozen=True)
class BootstrapResult:
    """A metric on all data and its percentile bootstrap confidence interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    n_boot: int
    seed: int

    def to_dict(self) -> dict:
        """The result as a plain dictionary."""
        return asdict(self)


def bootstrap_ci(metric: Callable[..., float], *arrays, groups=None, n_boot: int = 1000,
                 confidence: float = 0.95, seed: int = 0) -> BootstrapResult:
    """Percentile bootstrap confidence interval of any metric.

    Parameters
    ----------
    metric : callable
        Called as ``metric(*arrays)`` on resampled arrays.
    *arrays : array_like
        Same length (for example ``y_true, y_pred``).
    groups : array_like, optional
        Resample whole groups (recordings, subjects) with replacement instead of single
        samples, since samples within a group are not independent.
    n_boot : int
        Number of resamples.
    confidence : float
        Coverage of the interval.
    seed : int
        Seed of the random generator: the same inputs give the same interval.

    Examples
    --------
    >>> from gazelearn.metrics import accuracy
    >>> y_true, y_pred = np.array([0, 1] * 20), np.array([0, 1] * 15 + [1, 0] * 5)
    >>> result = bootstrap_ci(accuracy, y_true, y_pred, n_boot=200, seed=1)
    >>> result.estimate, result.low < 0.75 < result.high
    (0.75, True)
    """
    arrays = [np.asarray(a) for a in arrays]
    if not arrays or len({len(a) for a in arrays}) != 1 or len(arrays[0]) == 0:
        raise InputError("bootstrap needs one or more non-empty arrays of equal length")
    if n_boot < 1 or not 0 < confidence < 1:
        raise InputError(f"need n_boot >= 1 and 0 < confidence < 1, got {n_boot}, {confidence}")
    n = len(arrays[0])
    rng = np.random.default_rng(seed)
    if groups is None:
        members = [np.array([i]) for i in range(n)]
    else:
        groups = np.asarray(groups)
        if len(groups) != n:
            raise InputError(f"groups has {len(groups)} values for {n} samples")
        _, inverse = np.unique(groups, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        members = np.split(order, np.cumsum(np.bincount(inverse))[:-1])
    values = []
    for _ in range(n_boot):
        index = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
        values.append(metric(*(a[index] for a in arrays)))
    values = np.asarray(values, dtype=np.float64)
    tail = 100 * (1 - confidence) / 2
    low, high = np.nanpercentile(values, [tail, 100 - tail])
    return BootstrapResult(float(metric(*arrays)), float(low), float(high), confidence, n_boot,
                           seed)
