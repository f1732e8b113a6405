"""Landmarks, head pose, crops and features on a real face and on synthetic points."""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn.errors import InputError
from gazelearn.webcam import (
    EYES,
    FEATURE_NAMES,
    crop_transform,
    eye_crop,
    eye_crops,
    face_crop,
    head_pose,
    landmark_features,
    rotation_matrix,
)
from gazelearn.webcam.landmarks import FaceLandmarks, time_per_frame


def test_astronaut_face_and_iris_inside_the_eyes(landmarker, astronaut):
    face = landmarker.detect(astronaut)
    assert face is not None and landmarker.last_status == "face"
    assert face.points.shape == (478, 3) and face.image_size == (512, 512)
    x0, y0, x1, y1 = face.bbox
    assert 150 < x0 < x1 < 320 and 50 < y0 < y1 < 260  # her face, not the flag or the suit
    for eye in ("left", "right"):
        e = EYES[eye]
        contour = face.points[list(e.ear_points), :2]
        iris = face.iris(eye)
        assert contour[:, 0].min() < iris[0] < contour[:, 0].max()
        assert contour[:, 1].min() - 2 < iris[1] < contour[:, 1].max() + 2
        assert 0.15 < face.ear[0 if eye == "right" else 1] < 0.6
    assert not face.blink
    # the person's right eye is on the image's left
    assert face.iris("right")[0] < face.iris("left")[0]


def test_no_face_on_a_blank_frame(landmarker):
    assert landmarker.detect(np.full((240, 320, 3), 128, np.uint8)) is None
    assert landmarker.last_status == "no_face"


def test_largest_of_two_faces(landmarker, astronaut):
    from PIL import Image

    crop = astronaut[20:300, 110:390]  # 280 x 280 around the face
    small = np.asarray(Image.fromarray(crop).resize((210, 210)))
    canvas = np.full((560, 560, 3), 255, np.uint8)
    canvas[:280, :280] = crop
    canvas[-210:, -210:] = small
    face = landmarker.detect(canvas)
    assert landmarker.last_n_faces == 2
    assert face is not None and face.bbox[2] < 280 and face.bbox[3] < 280


def test_upscaling_small_frames_keeps_frame_coordinates(astronaut):
    pytest.importorskip("mediapipe")
    import cv2

    from gazelearn.webcam import FaceLandmarker

    small = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)
    with FaceLandmarker(static_image_mode=True, min_side=512) as marker:
        face = marker.detect(small)
    assert face is not None and face.image_size == (256, 256)
    assert face.points[:, 0].max() < 256


def test_bad_frames_are_input_errors(landmarker):
    with pytest.raises(InputError, match="RGB frame"):
        landmarker.detect(np.zeros((10, 10, 5), np.uint8))
    with pytest.raises(InputError, match="uint8"):
        landmarker.detect(np.zeros((10, 10, 3), np.float32))


def test_time_per_frame_is_measured(landmarker, astronaut):
    assert 0 < time_per_frame(landmarker, [astronaut] * 3) < 1000


def test_crops_have_the_size_asked_and_level_corners(landmarker, astronaut):
    face = landmarker.detect(astronaut)
    crops = eye_crops(astronaut, face)
    assert crops["left"].shape == (36, 64, 3) and crops["right"].shape == (36, 64, 3)
    gray = eye_crop(astronaut, face, "right", size=(60, 40), gray=True)
    assert gray.shape == (40, 60) and gray.dtype == np.uint8
    assert face_crop(astronaut, face, size=(112, 112)).shape == (112, 112, 3)
    # the iris is dark compared with the crop's border region
    assert gray[15:25, 20:40].mean() < gray.mean() + 20
    for eye in ("left", "right"):
        corners = face.corners(eye)
        corners = corners[np.argsort(corners[:, 0])]
        matrix = crop_transform(corners, (64, 36), 0.7)
        mapped = np.c_[corners, np.ones(2)] @ matrix.T
        assert mapped[0, 1] == pytest.approx(mapped[1, 1], abs=1e-9)
        assert mapped[1, 0] - mapped[0, 0] == pytest.approx(0.7 * 64)
        assert mapped[:, 1] == pytest.approx([18, 18])


def test_crop_transform_rejects_coinciding_corners():
    with pytest.raises(InputError, match="coincide"):
        crop_transform([[1, 1], [1, 1]])


def test_head_pose_recovers_known_rotations(landmarker, astronaut):
    face = landmarker.detect(astronaut)
    centre = face.points.mean(axis=0)
    base = head_pose(face.points)
    assert np.all(np.abs(base) < 40)
    for yaw, pitch, roll in [(15, 0, 0), (0, 10, 0), (0, 0, -20)]:
        rotated = (face.points - centre) @ rotation_matrix(yaw, pitch, roll).T + centre
        change = head_pose(rotated) - base
        assert change == pytest.approx([yaw, pitch, roll], abs=3.0)


def test_landmark_features(landmarker, astronaut):
    face = landmarker.detect(astronaut)
    features = landmark_features(face)
    assert features.shape == (len(FEATURE_NAMES),) and np.isfinite(features).all()
    named = dict(zip(FEATURE_NAMES, features, strict=True))
    assert 0.2 < named["right_u"] < 0.8 and 0.2 < named["left_u"] < 0.8
    assert -0.2 < named["right_v"] < 1.2
    # moving the iris to the right moves u
    moved = face.points.copy()
    moved[EYES["right"].iris, 0] += 2.0
    shifted = landmark_features(FaceLandmarks.from_points(moved, face.image_size))
    assert shifted[0] > features[0]


def test_blink_flag_from_the_eye_aspect_ratio(landmarker, astronaut):
    face = landmarker.detect(astronaut)
    closed = face.points.copy()
    for eye in EYES.values():
        p1, p2, p3, p4, p5, p6 = eye.ear_points
        middle = (closed[[p2, p3, p5, p6], 1]).mean()
        closed[[p2, p3, p5, p6, eye.upper, eye.lower], 1] = middle
    blinked = FaceLandmarks.from_points(closed, face.image_size)
    assert blinked.blink and max(blinked.ear) < 0.1
