"""MediaPipe's mirror map and test-time mirroring (``FaceLandmarker(mirror=True)``)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from gazelearn.errors import InputError
from gazelearn.webcam.landmarks import EYES
from gazelearn.webcam.symmetry import MIDLINE, MIRROR_INDEX, mirror_points


def test_mirror_index_is_an_involution_fixing_exactly_the_midline():
    assert sorted(MIRROR_INDEX.tolist()) == list(range(478))
    assert (MIRROR_INDEX[MIRROR_INDEX] == np.arange(478)).all()
    assert np.flatnonzero(MIRROR_INDEX == np.arange(478)).tolist() == list(MIDLINE)


def test_mirror_index_swaps_the_eyes_named_in_landmarks():
    right, left = EYES["right"], EYES["left"]
    for name in ("outer", "inner", "upper", "lower", "iris"):
        assert MIRROR_INDEX[getattr(right, name)] == getattr(left, name), name
    assert sorted(MIRROR_INDEX[list(right.ear_points)]) == sorted(left.ear_points)
    assert sorted(MIRROR_INDEX[list(right.iris_ring)]) == sorted(left.iris_ring)


def test_mirror_points_reflects_x_and_swaps_indices():
    points = np.zeros((478, 3))
    points[:, 0] = np.arange(478)            # x = the index, in the mirrored frame
    points[:, 2] = 1.0
    back = mirror_points(points, width=600)
    assert back[33, 0] == 600 - 263 and back[263, 0] == 600 - 33
    assert back[1, 0] == 600 - 1             # the nose tip is its own mirror
    assert (back[:, 2] == 1.0).all()         # depth unchanged
    assert np.allclose(mirror_points(back, 600), points)
    with pytest.raises(InputError, match="478"):
        mirror_points(np.zeros((468, 3)), 600)


def test_mirror_pass_of_a_real_face_agrees_and_is_averaged(astronaut):
    pytest.importorskip("mediapipe")
    from gazelearn.webcam import FaceLandmarker

    with FaceLandmarker(static_image_mode=True) as plain:
        face = plain.detect(astronaut)
        flipped = plain.detect(np.ascontiguousarray(astronaut[:, ::-1]))
    back = mirror_points(flipped.points, astronaut.shape[1])
    # the mirror pass sees the same face: its landmarks land within a few px of the frame's
    assert np.median(np.linalg.norm(back[:, :2] - face.points[:, :2], axis=1)) < 3.0
    with FaceLandmarker(static_image_mode=True, mirror=True) as mirrored:
        averaged = mirrored.detect(astronaut)
        assert mirrored.last_status in ("face", "blink")
        assert "mirror=True" in repr(mirrored)
        assert [t for t in threading.enumerate() if t.name.startswith("gazelearn-mirror")]
    assert np.allclose(averaged.points, (face.points + back) / 2, atol=1e-3)
    # the mirror pass ran in its worker thread, and closing the landmarker ended it
    assert not [t for t in threading.enumerate() if t.name.startswith("gazelearn-mirror")]


def test_tracker_mirrors_as_its_profile_was_calibrated():
    from gazelearn.webcam import CalibrationProfile, LandmarkGazeRegressor, Tracker

    rng = np.random.default_rng(0)
    model = LandmarkGazeRegressor().fit(rng.normal(size=(20, 14)), rng.uniform(0, 1000, (20, 2)))
    plain = CalibrationProfile(model, (1920, 1080))
    mirrored = CalibrationProfile(model, (1920, 1080), meta={"mirror": True})
    assert not Tracker(plain).uses_mirror
    assert Tracker(mirrored).uses_mirror
    assert not Tracker(mirrored, mirror=False).uses_mirror
    assert Tracker(plain, mirror=True).uses_mirror
