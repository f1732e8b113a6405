"""A constant frame-target lag: find it, and pair frames with the targets they belong to.

Some recordings store each frame one or more rows after the target the person looked at (the
camera frame is grabbed before the dot moves, and written with the next dot): row ``i + lag``'s
image belongs to row ``i``'s target. A network trained on the rows as given then learns nothing
(``webcam-crops-dev`` lags by one row). :func:`detect_frame_lag` fits a quick model -- ridge
regression on downsampled crops, standardised, penalty chosen by generalised cross-validation --
for each candidate lag on contiguous folds (blocks of consecutive rows, so neighbouring frames
never sit on both sides) and picks the lag with the lowest out-of-fold error. Every lag is
scored on the same target rows, so the errors are comparable.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> targets = rng.uniform(0, 1000, (120, 2))
>>> images = np.zeros((120, 1, 4, 4), np.float32)
>>> images[2:, 0, 0, 0] = targets[:-2, 0] / 1000   # frame i + 2 shows target i
>>> images[2:, 0, 1, 1] = targets[:-2, 1] / 1000
>>> search = detect_frame_lag(images, targets)
>>> search.lag, [round(e) for e in search.errors_px.values()][search.lag]
(2, 0)
>>> lag_pairs(5, 2)
(array([2, 3, 4]), array([0, 1, 2]))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gazelearn.errors import InputError

__all__ = ["LAGS", "MIN_FRAMES", "LagSearch", "apply_frame_lag", "detect_feature_lag",
           "detect_frame_lag", "lag_pairs"]

#: Lags :func:`detect_frame_lag` tries by default (rows between a target and its frame).
LAGS = (0, 1, 2, 3)
#: Fewer frames than this cannot tell lags apart (a ridge on a few dozen pixels per frame).
MIN_FRAMES = 40


@dataclass
class LagSearch:
    """Result of :func:`detect_frame_lag`.

    Attributes
    ----------
    lag : int
        The lag with the lowest out-of-fold error.
    errors_px : dict
        Mean Euclidean out-of-fold error (px) of every lag tried.
    errors_pct : dict
        The same in % of the screen (normalised screen units).
    n_rows : int
        Target rows every lag was scored on.
    """

    lag: int
    errors_px: dict[int, float]
    errors_pct: dict[int, float]
    n_rows: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in model files and benchmark results)."""
        return {"lag": self.lag, "n_rows": self.n_rows,
                "errors_px": {str(k): round(v, 2) for k, v in self.errors_px.items()},
                "errors_pct": {str(k): round(v, 3) for k, v in self.errors_pct.items()}}


def lag_pairs(n_or_groups: int | Sequence | np.ndarray, lag: int,
              max_lag: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Image rows and target rows paired with ``lag``: image ``i + lag`` with target ``i``.

    Parameters
    ----------
    n_or_groups : int or array
        Number of rows, or the group (measurement) of every row: pairs never cross groups.
    lag : int
        Rows from a target to its frame (0: as given).
    max_lag : int, optional
        Drop the last ``max_lag`` targets of each group whatever ``lag`` is, so that several
        lags are scored on the same targets (default ``lag``).

    Examples
    --------
    >>> lag_pairs(["a", "a", "a", "b", "b"], 1)
    (array([1, 2, 4]), array([0, 1, 3]))
    """
    if lag < 0:
        raise InputError(f"the frame lag must be 0 or more, got {lag}")
    max_lag = lag if max_lag is None else max_lag
    if isinstance(n_or_groups, int | np.integer):
        blocks = [np.arange(int(n_or_groups))]
    else:
        groups = np.asarray(n_or_groups)
        # groups in order of first appearance; rows of a group keep their file order
        _, first = np.unique(groups, return_index=True)
        blocks = [np.flatnonzero(groups == groups[i]) for i in np.sort(first)]
    images, targets = [], []
    for rows in blocks:
        k = max(len(rows) - max_lag, 0)
        targets.append(rows[:k])
        images.append(rows[lag:lag + k])
    return np.concatenate(images).astype(int), np.concatenate(targets).astype(int)


def apply_frame_lag(images: np.ndarray, targets: np.ndarray, lag: int,
                    groups: Any = None) -> tuple[np.ndarray, np.ndarray, Any]:
    """Images, targets (and groups) paired with ``lag`` (see :func:`lag_pairs`)."""
    if lag == 0:
        return images, targets, groups
    image_rows, target_rows = lag_pairs(len(targets) if groups is None else groups, lag)
    return (images[image_rows], targets[target_rows],
            None if groups is None else np.asarray(groups)[target_rows])


def _features(images: np.ndarray, size: int) -> np.ndarray:
    """Area-downsampled pixels ``(n, c * size * size)``: enough for a ridge to see the iris."""
    import torch

    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    pooled = torch.nn.functional.adaptive_avg_pool2d(x, (size, size))
    return pooled.reshape(len(x), -1).numpy().astype(np.float64)


def detect_frame_lag(images: np.ndarray, targets: np.ndarray, lags: Sequence[int] = LAGS,
                     groups: Any = None, n_folds: int = 5, size: int = 8,
                     screen_size: Sequence[float] | None = None) -> LagSearch:
    """The constant lag between frames and targets, by ridge regression on contiguous folds.

    Parameters
    ----------
    images : array ``(n, c, h, w)``
        Frames in recording order.
    targets : array ``(n, 2)``
        Targets in px, in the same row order.
    lags : sequence of int
        Candidate lags (default 0-3).
    groups : array, optional
        Measurement of every row: pairs never cross measurements.
    n_folds : int
        Contiguous folds (blocks of consecutive target rows).
    size : int
        Images are area-downsampled to ``size x size`` per channel.
    screen_size : (float, float), optional
        For the % of screen errors (default: the largest target of each axis).

    Returns
    -------
    LagSearch
    """
    return detect_feature_lag(_features(images, size), targets, lags=lags, groups=groups,
                              n_folds=n_folds, screen_size=screen_size)


def detect_feature_lag(features: np.ndarray, targets: np.ndarray, lags: Sequence[int] = LAGS,
                       groups: Any = None, n_folds: int = 5,
                       screen_size: Sequence[float] | None = None) -> LagSearch:
    """:func:`detect_frame_lag` on one feature row per frame (landmark features, flattened
    crops): a standardised ridge per lag on contiguous folds. Rows with a missing value (a
    frame without a face) are left out, for every lag alike.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> targets = rng.uniform(0, 1000, (60, 2))
    >>> features = np.vstack([np.full((1, 3), np.nan), targets[:-1] @ rng.normal(size=(2, 3))])
    >>> detect_feature_lag(features, targets).lag   # frame i + 1 shows target i
    1
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from gazelearn.metrics import error_pct_normalized, error_px

    features = np.asarray(features, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    lags = sorted({int(v) for v in lags})
    if not lags or lags[0] < 0:
        raise InputError(f"frame lags must be 0 or more, got {lags}")
    screen = tuple(screen_size) if screen_size is not None else tuple(
        np.maximum(np.ceil(targets.max(axis=0)), 1.0))
    finite = np.isfinite(features).all(axis=1)
    pairs = {lag: lag_pairs(len(targets) if groups is None else groups, lag, max_lag=lags[-1])
             for lag in lags}
    # the same target rows for every lag: those whose frame has a face at every lag
    usable = np.ones(len(pairs[lags[0]][1]), dtype=bool)
    for image_rows, _ in pairs.values():
        usable &= finite[image_rows]
    errors_px, errors_pct = {}, {}
    n_rows = 0
    for lag in lags:
        image_rows, target_rows = (rows[usable] for rows in pairs[lag])
        n_rows = len(target_rows)
        if n_rows < 2 * n_folds:
            raise InputError(f"finding the frame lag needs at least {2 * n_folds + lags[-1]} "
                             f"frames, got {len(targets)}")
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 5, 13)))
        y = targets[target_rows]
        pred = cross_val_predict(model, features[image_rows], y, cv=KFold(n_folds))
        errors_px[lag] = float(np.mean(error_px(y, pred)))
        errors_pct[lag] = float(np.mean(error_pct_normalized(y, pred, screen)))
    best = min(lags, key=lambda lag: errors_px[lag])
    return LagSearch(best, errors_px, errors_pct, n_rows)
