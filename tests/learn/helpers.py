"""Small synthetic problems for the learning tests."""

from __future__ import annotations

import numpy as np


def windows(n_groups: int = 8, per_group: int = 12, length: int = 16, channels: int = 2,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows whose class is the sign of channel 0's mean; groups of consecutive windows."""
    rng = np.random.default_rng(seed)
    n = n_groups * per_group
    X = rng.normal(size=(n, length, channels)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    X[:, :, 0] += np.where(y == 1, 0.5, -0.5)[:, None]
    return X, y, np.repeat(np.arange(n_groups), per_group)
