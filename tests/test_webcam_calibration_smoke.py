"""Smoke test of benchmarks/webcam_calibration.py's helpers on synthetic targets (no real data).

The frame selection that stands in for a grid calibration, the random draws and the
calibration-only choice of the ridge penalty, each against a known answer. Well under 5 s.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from gazelearn.webcam import FEATURE_NAMES, calibration_targets

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "webcam_calibration.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("webcam_calibration", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    sys.path.insert(0, str(SCRIPT.parent))  # as when run: its folder's modules (_report)
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)
        sys.path.remove(str(SCRIPT.parent))


def test_grid_frames_finds_the_frames_near_each_grid_point(script):
    rng = np.random.default_rng(0)
    grid = calibration_targets(9, (1920, 1080))
    near = grid + rng.uniform(-20, 20, grid.shape)        # one frame 20 px or less from each
    far = rng.uniform([0, 0], [1920, 1080], (40, 2))
    far = far[np.min(np.hypot(*(far[:, None] - grid[None]).T), axis=0) > 100]
    pool = np.vstack([far, near])
    order = rng.permutation(len(pool))
    shuffled = pool[order]
    chosen = script.grid_frames(shuffled, 9, (1920, 1080))
    # the frame chosen for grid point j is the one made near it
    assert [int(order[i]) - len(far) for i in chosen] == list(range(9))


def test_grid_frames_gives_each_grid_point_its_own_frame(script):
    # one frame at the centre, the next nearest 300 px right of it: grid point 4 (the centre,
    # row by row) takes the first, every other point must not take it again
    pool = np.array([[960.0, 540.0], [1260.0, 540.0]] + [[1e5, 1e5]] * 7)
    pool[2:] += np.arange(7)[:, None]
    chosen = script.grid_frames(pool, 9, (1920, 1080))
    assert len(set(chosen.tolist())) == 9
    assert chosen[4] == 0 and 0 not in np.delete(chosen, 4)
    # NaN targets (frames without a face) are never chosen
    with_nan = np.vstack([[np.nan, np.nan], pool])
    assert 0 not in script.grid_frames(with_nan, 9, (1920, 1080))


def test_grid_frames_per_point_takes_the_nearest_frames_of_each_point(script):
    grid = calibration_targets(9, (1920, 1080))
    offsets = np.array([[5.0, 0.0], [0.0, 30.0], [-60.0, 0.0], [0.0, -90.0]])
    pool = (grid[:, None, :] + offsets[None]).reshape(-1, 2)   # frame 4 * point + offset
    chosen = script.grid_frames(pool, 9, (1920, 1080), per_point=3)
    # every point gets its 3 nearest frames (offsets 0, 1, 2), never the 90 px one
    assert sorted(chosen.tolist()) == sorted(4 * p + o for p in range(9) for o in range(3))
    assert chosen.reshape(9, 3).min(axis=1).tolist() == [4 * p for p in range(9)]


def test_random_frames_are_distinct_and_repeatable(script):
    draws = script.random_frames(30, 9, 5, seed=3)
    assert all(len(set(d.tolist())) == 9 and d.max() < 30 for d in draws)
    assert all((a == b).all() for a, b in zip(draws, script.random_frames(30, 9, 5, seed=3),
                                              strict=True))


def test_select_params_uses_the_smallest_penalty_for_exact_linear_data(script):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(16, 3))
    y = X @ np.array([[200.0, 0.0], [0.0, 150.0], [50.0, 50.0]]) + [960.0, 540.0]
    params, cv_px = script.select_params(X, y, "linear")
    assert params == {"alpha": script.ALPHAS[0], "kernel": "linear"}
    assert cv_px < 5.0


def test_is_mirrored_reads_the_sign_of_the_left_iris(script):
    x = np.linspace(0, 1920, 20)
    features = np.zeros((20, len(FEATURE_NAMES)))
    features[:, FEATURE_NAMES.index("left_u")] = 0.6 - x / 1e4    # iris left as x goes right
    targets = np.column_stack([x, np.full(20, 540.0)])
    assert script.is_mirrored(features, targets)[0] is False
    features[:, FEATURE_NAMES.index("left_u")] *= -1
    assert script.is_mirrored(features, targets)[0] is True
