"""Small hand-made inputs for the scanpath tests."""

from __future__ import annotations

import numpy as np
import polars as pl

from gazelearn import Events, Screen

SCREEN = Screen(1024, 768, 380.0, 300.0, 670.0)  # the Lund 2013 set-up, 30.72 px/deg


def fixation_table(x, y, duration=None, onset=None) -> Events:
    """An Events table of fixations at ``(x, y)`` px (0.2 s each, one after another)."""
    n = len(x)
    duration = np.full(n, 0.2) if duration is None else np.asarray(duration, dtype=float)
    onset = np.concatenate(([0.0], np.cumsum(duration + 0.05)[:-1])) if onset is None else onset
    return Events(pl.DataFrame({
        "type": ["fixation"] * n, "onset": onset, "offset": onset + duration,
        "mean_x": np.asarray(x, dtype=float), "mean_y": np.asarray(y, dtype=float)}))
