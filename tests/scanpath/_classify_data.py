"""Synthetic recordings whose classes differ in a known way, for the classification tests."""

from __future__ import annotations

import numpy as np

from gazelearn import Metadata, Recording, Screen

SCREEN = Screen(1024, 768, 380.0, 300.0, 670.0)  # 30.72 px/deg


def half(side: str, rng: np.random.Generator, n: int = 120, screen=SCREEN,
         rate: float = 60.0, source: str | None = None) -> Recording:
    """Gaze confined to the left or right half of the screen (a heat-map difference)."""
    x = rng.uniform(50, 450, n) + (500 if side == "right" else 0)
    return Recording(np.arange(n) / rate, x, rng.uniform(50, 700, n), screen=screen,
                     meta=Metadata(source=source))


def walk(speed: str, rng: np.random.Generator, n: int = 150, screen=SCREEN,
         rate: float = 60.0) -> Recording:
    """A random walk around the screen centre, slow (1 px/sample) or fast (12 px/sample):
    the same place on the screen, different velocities (a window difference)."""
    step = 1.0 if speed == "slow" else 12.0
    x = 512 + np.cumsum(rng.normal(0, step, n))
    y = 384 + np.cumsum(rng.normal(0, step, n))
    return Recording(np.arange(n) / rate, x, y, screen=screen)
