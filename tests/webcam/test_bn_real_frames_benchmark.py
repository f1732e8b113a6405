"""benchmarks/bn_real_frames.py's MediaPipe input and its protocol on a few random crops (no
real data, no MediaPipe; a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest


def test_mediapipe_crops_drop_the_pairs_without_a_face(bn_real_frames, level_face):
    frame = np.full((400, 400, 3), 200, np.uint8)
    yy, xx = np.mgrid[:400, :400]
    frame[np.hypot(xx - 260, yy - 200) <= 6] = 20          # a dark left iris only
    targets = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    faces = [level_face, None, level_face]
    x, y, kept = bn_real_frames.mediapipe_crops(faces, [frame] * 3, targets, ("left", "right"))
    assert x.shape == (2, 2, 36, 64) and x.dtype == np.float32 and kept.tolist() == [0, 2]
    assert np.array_equal(y, targets[[0, 2]]) and 0.0 <= x.min() and x.max() <= 1.0
    assert x[:, 0].min() < 0.2 < x[:, 1].min()              # channel 0 is the left eye
    with pytest.raises(ValueError, match="no frame has a face"):
        bn_real_frames.mediapipe_crops([None], [frame], targets[:1], ("left",))


def test_the_protocol_runs_on_two_channel_crops(bn_real_frames):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (56, 2, 12, 20)).astype(np.float32)   # small: cheap
    y = rng.uniform(0, 1000, (56, 2))
    # 2 training "measurements" of 10 frames, 2 test ones of 18 (16 calibrate, 2 scored)
    groups = np.repeat(["m0", "m1", "m4", "m5"], [10, 10, 18, 18])
    train = np.isin(groups, ["m0", "m1"])
    result = bn_real_frames.run_variant("per_image", [0], 1, x, y, groups, train, ~train)
    cells = {"uncalibrated", "per_measurement_bn", "adabn", "profile_k16"}
    assert set(result["mean_over_seeds"]["bn_model"]) == cells
    assert set(result["gain_vs_uncalibrated"]["baseline"]) == cells - {"uncalibrated"}
