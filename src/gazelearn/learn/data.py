"""Torch-free helpers every learner shares: window sets in, standardisation, group-aware
validation splits, class weights and the training summary stored in model files.

Examples
--------
>>> import numpy as np
>>> mean, scale = standardization(np.array([[1.0, 10.0], [3.0, 10.0]]))
>>> mean.tolist(), scale.tolist()
([2.0, 10.0], [1.0, 1.0])
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from gazelearn.errors import InputError
from gazelearn.splits import train_test_by_group


def unpack_windows(X: Any, y: Any, groups: Any) -> tuple[Any, Any, Any]:
    """Accept a window set (anything with ``X``, ``y``, ``groups``) in place of ``X``."""
    if y is None and hasattr(X, "X") and hasattr(X, "y"):
        return X.X, X.y, groups if groups is not None else getattr(X, "groups", None)
    return X, y, groups


def _stat_axes(ndim: int) -> tuple[int, ...]:
    return {2: (0,), 3: (0, 1), 4: (0, 2, 3)}[ndim]


def standardization(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature/channel mean and scale (NaN-aware); shapes broadcast against ``X``."""
    axes = _stat_axes(X.ndim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(X, axis=axes, keepdims=True)
        scale = np.nanstd(X, axis=axes, keepdims=True)
    mean = np.nan_to_num(mean[0], nan=0.0).astype(np.float32)
    scale = np.nan_to_num(scale[0], nan=1.0).astype(np.float32)
    scale[scale < 1e-12] = 1.0
    return mean, scale


def training_summary(X: np.ndarray, y: np.ndarray, groups: Any) -> dict[str, Any]:
    """A small description of the training data, stored in model files."""
    summary: dict[str, Any] = {"n_samples": int(len(X)), "sample_shape": list(X.shape[1:])}
    if groups is not None:
        summary["n_groups"] = int(len(np.unique(np.asarray(groups))))
    y = np.asarray(y)
    if y.dtype.kind in "OUSb" or (y.dtype.kind in "iu" and len(np.unique(y)) <= 100):
        values, counts = np.unique(y, return_counts=True)
        summary["class_counts"] = {str(v): int(c) for v, c in zip(values, counts, strict=True)}
    else:
        summary["target_mean"] = np.asarray(np.nanmean(y, axis=0)).tolist()
    return summary


def validation_split(n: int, groups: Any, fraction: float | None, validation_groups: Any,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation indices with no group on both sides.

    ``validation_groups`` (group labels) wins over ``fraction``; without groups there is no
    validation set (a random split of windows would leak between the sides).

    Examples
    --------
    >>> train, val = validation_split(6, ["a", "a", "b", "b", "c", "c"], None, ["b"], seed=0)
    >>> train.tolist(), val.tolist()
    ([0, 1, 4, 5], [2, 3])
    >>> validation_split(4, None, 0.5, None, seed=0)[1].tolist()
    []
    """
    everything = np.arange(n)
    nothing = np.array([], dtype=np.int64)
    if validation_groups is not None:
        if groups is None:
            raise InputError("validation_groups needs groups passed to fit")
        val = np.isin(np.asarray(groups), np.asarray(list(validation_groups)))
        if val.all() or not val.any():
            raise InputError("validation_groups must name some, but not all, groups of the data")
        return everything[~val], everything[val]
    if not fraction or groups is None:
        return everything, nothing
    groups = np.asarray(groups)
    if len(groups) != n:
        raise InputError(f"groups has {len(groups)} values for {n} samples")
    if len(np.unique(groups)) < 2:
        return everything, nothing
    train, val = train_test_by_group(groups, test_size=fraction, seed=seed)
    return np.sort(np.asarray(train)), np.sort(np.asarray(val))


def class_weights(codes: np.ndarray, n_classes: int, kind: Any = "balanced",
                  classes: Sequence | None = None) -> np.ndarray | None:
    """Loss weights of ``n_classes`` classes from the training labels ``codes`` (0..k-1).

    Parameters
    ----------
    codes : array of int
        Class index of every training example (negative values are ignored).
    kind : None, "balanced", "sqrt" or dict
        ``balanced``: ``n / (k * count)`` (scikit-learn's rule); ``sqrt``: inverse square root
        of the count, scaled to mean 1 over the classes present (rare classes count more without
        drowning the frequent ones); a dict maps class labels (from ``classes``) to weights.
        Classes that never occur get weight 0 with ``sqrt``.

    Examples
    --------
    >>> class_weights(np.array([0, 0, 0, 1]), 2).tolist()
    [0.6666666666666666, 2.0]
    >>> class_weights(np.array([0, 0, 0, 0, 1]), 3, "sqrt").round(3).tolist()
    [0.667, 1.333, 0.0]
    >>> class_weights(np.array([0, 1]), 2, {"b": 3.0}, classes=["a", "b"]).tolist()
    [1.0, 3.0]
    """
    if kind is None:
        return None
    codes = np.asarray(codes)
    counts = np.bincount(codes[codes >= 0], minlength=n_classes).astype(np.float64)
    if isinstance(kind, Mapping):
        labels = list(classes) if classes is not None else list(range(n_classes))
        return np.array([float(kind.get(c, kind.get(str(c), 1.0))) for c in labels])
    if kind == "balanced":
        return counts.sum() / (n_classes * np.maximum(counts, 1.0))
    if kind == "sqrt":
        weights = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1.0)), 0.0)
        return weights / weights[counts > 0].mean()
    raise InputError(f"class_weight must be None, 'balanced', 'sqrt' or a dict, got {kind!r}")
