"""The eyeball model and its few-parameter calibration: known answers from synthetic faces."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from gazelearn.errors import InputError
from gazelearn.screen import Screen
from gazelearn.webcam import (
    CalibrationProfile,
    EyeballGazeMapper,
    FaceLandmarks,
    ScreenGeometry,
    calibration_targets,
    eye_measurements,
    fit_profile,
    gaze_angles,
    rotation_matrix,
)
from gazelearn.webcam.eyeball import angles_to_screen, screen_to_angles
from gazelearn.webcam.geometry_mapper import INPUT_NAMES, synthetic_rows

SCREEN = (1920, 1080)


def _face(iris_mm=(0.0, 0.0), rotation=None, px_per_mm=2.0):
    """A flat synthetic face, 90 mm between the outer corners, irises displaced by iris_mm
    (head coordinates) from the corners' midpoints, turned by ``rotation``."""
    mm = np.zeros((478, 3))
    mm[[33, 133, 362, 263]] = [[-45, 0, 0], [-15, 0, 0], [15, 0, 0], [45, 0, 0]]
    mm[10], mm[152] = [0, -60, 0], [0, 80, 0]
    mm[[159, 145, 386, 374]] = [[-30, -5, 0], [-30, 5, 0], [30, -5, 0], [30, 5, 0]]
    mm[468] = [-30 + iris_mm[0], iris_mm[1], -3]
    mm[473] = [30 + iris_mm[0], iris_mm[1], -3]
    if rotation is not None:
        mm = mm @ np.asarray(rotation).T
    return mm * px_per_mm + [200.0, 200.0, 0.0]


def test_measurements_are_millimetres_in_head_coordinates():
    level = eye_measurements(_face((2.0, -1.0)), (400, 400))
    assert np.allclose(level[:, :2], [[2.0, -1.0], [2.0, -1.0]])
    # the eyeball centres sit 30 mm either side of the frame's centre (200 px = 100 mm... at
    # 2 px/mm the face is centred), and the scale does not change millimetres
    assert np.allclose(level[:, 2:], [[-30.0, 0.0], [30.0, 0.0]])
    big = eye_measurements(_face((2.0, -1.0), px_per_mm=5.0), (400, 400))
    assert np.allclose(big[:, :2], level[:, :2])
    # a turned head: the displacement in the head is what it was
    turned = rotation_matrix(yaw=15.0, pitch=-8.0, roll=4.0)
    moved = eye_measurements(_face((2.0, -1.0), turned), (400, 400))
    assert np.allclose(moved[:, :2], level[:, :2], atol=1e-9)
    with pytest.raises(InputError, match="478, 3"):
        eye_measurements(np.zeros((10, 3)), (400, 400))


def test_gaze_angles_of_a_known_eye_and_head_rotation():
    reach = 10.0
    theta = 20.0
    shifted = np.array([[reach * math.sin(math.radians(theta)), 0.0, 0.0, 0.0]])
    eye, head = gaze_angles(shifted, np.eye(3), reach)
    assert np.allclose(eye, [[theta, 0.0]]) and np.allclose(head, 0.0)
    # the head turned by the same rotation as the eye, iris centred: the head part carries it
    r = rotation_matrix(yaw=-theta)       # head z axis (into the head) turned about y
    eye, head = gaze_angles(np.zeros((1, 4)), r, reach)
    assert np.allclose(eye, 0.0, atol=1e-9)
    # head_pose's yaw is positive toward the image's left: the head faces +x at yaw -20
    assert np.allclose(head, [[theta, 0.0]], atol=1e-9)
    # eye and head together: the optical axis is their composition (20 + 20 = 40 deg)
    eye, head = gaze_angles(shifted, r, reach)
    assert np.allclose(eye + head, [[2 * theta, 0.0]], atol=1e-6)


def test_screen_geometry_round_trips_and_puts_the_camera_above_the_top_edge():
    geometry = ScreenGeometry(Screen(1920, 1080, 344, 194, 600), camera_mm=(0.0, -10.0))
    px = np.array([[0.0, 0.0], [960.0, 540.0], [1919.0, 1079.0]])
    assert np.allclose(geometry.camera_to_px(geometry.px_to_camera(px)), px)
    # the camera itself: centred, 10 mm above the top edge
    assert np.allclose(geometry.camera_to_px(np.zeros(2)), [960.0, -10 * 1080 / 194])
    # the person's left (camera +x) is the screen's left
    assert geometry.camera_to_px(np.array([50.0, 0.0]))[0] < 960
    eyes = np.array([[5.0, -20.0]] * 3)
    angles = screen_to_angles(px, eyes, geometry)
    assert np.allclose(angles_to_screen(angles, eyes, geometry), px)
    assert ScreenGeometry(Screen(1920, 1080)).distance_mm == 600.0


@pytest.mark.parametrize("kind,points", [("offset", 1), ("scale", 5), ("eye_head", 9),
                                         ("affine", 9)])
def test_calibration_recovers_a_planted_kappa_and_gain(kind, points):
    mapper = EyeballGazeMapper(screen=SCREEN, calibration=kind, prior_weight=0.0,
                               second_stage="none")
    layout = calibration_targets(max(points, 5), SCREEN)[:points]
    gain = 1.0 if kind == "offset" else 0.8
    rows = synthetic_rows(layout, mapper, eye_gain=gain, kappa=(4.0, -3.0))
    mapper.fit(rows, layout)
    assert mapper.calibration_ == kind
    test = calibration_targets(16, SCREEN)
    pred = mapper.predict(synthetic_rows(test, mapper, eye_gain=gain, kappa=(4.0, -3.0)))
    assert np.abs(pred - test).max() < 0.5
    uncalibrated = EyeballGazeMapper(screen=SCREEN, calibration="none").fit(rows, layout)
    assert np.hypot(*(uncalibrated.predict(rows) - layout).T).mean() > 50


def test_auto_kind_shrinkage_and_median_per_point():
    mapper = EyeballGazeMapper(screen=SCREEN, second_stage="none")
    layout = calibration_targets(9, SCREEN)
    assert mapper.fit(synthetic_rows(layout[:2], mapper), layout[:2]).calibration_ == "offset"
    assert mapper.fit(synthetic_rows(layout[:4], mapper), layout[:4]).calibration_ == "scale"
    assert mapper.fit(synthetic_rows(layout, mapper), layout).calibration_ == "eye_head"
    # the true gain is 1: the prior toward 1 leaves it there
    assert np.allclose(np.diag(mapper.eye_coef_), 1.0, atol=1e-6)
    # 3 frames per point, one of them a landmark slip: the point's median frame ignores it
    targets = np.repeat(layout, 3, axis=0)
    rows = synthetic_rows(targets, mapper, kappa=(2.0, 1.0))
    rows[4, :2] += 3.0                 # the right iris jumped 3 mm
    rows[4, 4:6] += 3.0
    mapper.fit(rows, targets)
    clean = synthetic_rows(layout, mapper, kappa=(2.0, 1.0))
    assert np.abs(mapper.predict(clean) - layout).max() < 1.0


def test_calibration_leaves_out_frames_with_half_closed_eyes():
    mapper = EyeballGazeMapper(screen=SCREEN, second_stage="none")
    layout = calibration_targets(9, SCREEN)
    targets = np.repeat(layout, 3, axis=0)
    rows = synthetic_rows(targets, mapper, kappa=(2.0, 1.0))
    rows[:, [8 + 3, 8 + 7]] = 0.3                     # lids open 0.3 corner distances
    # two frames of one point squint (opening 0.2 < 0.75 * 0.3) and their irises read 2 mm
    # low: with the median of that point's 3 frames they would decide it
    rows[[12, 13], 1] += 2.0
    rows[[12, 13], 5] += 2.0
    rows[[12, 13], 8 + 3] = rows[[12, 13], 8 + 7] = 0.2
    clean = synthetic_rows(layout, mapper, kappa=(2.0, 1.0))
    mapper.fit(rows, targets)
    assert np.abs(mapper.predict(clean) - layout).max() < 1.0
    keep_all = EyeballGazeMapper(screen=SCREEN, second_stage="none", min_open_ratio=0.0)
    assert np.abs(keep_all.fit(rows, targets).predict(clean) - layout).max() > 20
    # an opening just above the limit is kept: 0.23 >= 0.225
    rows[[12, 13], 8 + 3] = rows[[12, 13], 8 + 7] = 0.23
    assert np.abs(mapper.fit(rows, targets).predict(clean) - layout).max() > 20
    with pytest.raises(InputError, match="min_open_ratio"):
        EyeballGazeMapper(min_open_ratio=1.0).fit(rows, targets)


def test_drift_check_recalibrates_the_offset_from_one_point():
    mapper = EyeballGazeMapper(screen=SCREEN, second_stage="none")
    layout = calibration_targets(9, SCREEN)
    mapper.fit(synthetic_rows(layout, mapper, kappa=(1.0, 1.0)), layout)
    drifted = synthetic_rows(layout, mapper, kappa=(3.0, -1.0))     # kappa moved by 2, -2
    assert np.hypot(*(mapper.predict(drifted) - layout).T).mean() > 30
    change = mapper.recalibrate_offset(drifted[4:5], layout[4])
    assert np.allclose(change, [-2.0, 2.0], atol=1e-6)
    assert np.abs(mapper.predict(drifted) - layout).max() < 1.0


def test_second_stage_rule_and_the_profile_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    targets = rng.uniform([100, 100], [1800, 1000], (120, 2))
    base = EyeballGazeMapper(second_stage_min_frames=100)
    rows = synthetic_rows(targets, base.set_params(screen=SCREEN), kappa=(1.0, 2.0))
    rows[:, 8:] += rng.normal(0, 0.1, (120, 14))
    # the noise is on the lid openings too (around 0): keep every frame, so 99 and 120 frames
    # are what the rule counts (the opening rule has its own test)
    assert EyeballGazeMapper(screen=SCREEN, min_open_ratio=0.0).fit(
        rows[:99], targets[:99]).second_stage_ is None
    # fit_profile gives the mapper its screen; 120 frames: the ridge stage is on
    mapper = EyeballGazeMapper(min_open_ratio=0.0)
    profile = fit_profile(rows, targets, Screen(1920, 1080, 344, 194, 600), mapper=mapper)
    assert mapper.get_params()["screen"]["width_mm"] == 344
    assert mapper.second_stage_ is not None
    path = profile.save(tmp_path / "me.json")
    assert (tmp_path / "me.landmarks.safetensors").is_file()
    loaded = CalibrationProfile.load(path)
    assert isinstance(loaded.mapper, EyeballGazeMapper)
    assert np.array_equal(loaded.predict(rows), profile.predict(rows))
    assert loaded.mapper.calibration_ == mapper.calibration_
    # without its second stage too
    small = fit_profile(rows[:20], targets[:20], SCREEN, mapper=EyeballGazeMapper())
    again = CalibrationProfile.load(small.save(tmp_path / "small.json"))
    assert again.mapper.second_stage_ is None
    assert np.array_equal(again.predict(rows), small.predict(rows))


def test_estimator_contract_and_errors():
    mapper = EyeballGazeMapper(screen=SCREEN)
    assert mapper.inputs == "landmarks" and mapper.input_size == len(INPUT_NAMES) == 22
    with pytest.raises(NotFittedError):
        mapper.predict(np.zeros((1, 22)))
    assert clone(mapper).get_params() == mapper.get_params()
    with pytest.raises(InputError, match="calibration must be one of"):
        EyeballGazeMapper(screen=SCREEN, calibration="magic").fit(
            synthetic_rows(calibration_targets(9), mapper), calibration_targets(9))
    with pytest.raises(InputError, match="rows of 22"):
        mapper.fit(np.zeros((3, 14)), np.zeros((3, 2)))
    fitted = EyeballGazeMapper(screen=SCREEN).fit(synthetic_rows(calibration_targets(9), mapper),
                                                  calibration_targets(9))
    nan_row = np.full((1, 22), np.nan)
    assert np.isnan(fitted.predict(nan_row)).all()


def test_frame_input_reads_a_face():
    face = FaceLandmarks.from_points(_face((1.0, 0.5)), (400, 400))
    row = EyeballGazeMapper().frame_input(face)
    assert row.shape == (22,) and np.isfinite(row).all()
    assert np.allclose(row[[0, 1, 4, 5]], [1.0, 0.5, 1.0, 0.5])


def _lid_rows(targets, mapper, lid_per_deg, eyelid_rest=-0.14):
    """Rows whose irises follow the targets horizontally only (vertical iris displacement 0,
    as MediaPipe's iris barely moves vertically in small images) while both upper lids drop in
    proportion to the vertical angle: ``lid = rest + lid_per_deg * angle`` (corner distances).
    """
    rows = synthetic_rows(targets, mapper)
    rows[:, [1, 5]] = 0.0                          # no vertical iris signal
    geometry = mapper.geometry()
    wanted = np.degrees(np.arctan(geometry.px_to_camera(targets) / geometry.distance_mm))
    lid = eyelid_rest + lid_per_deg * wanted[:, 1]
    # features: h = the lid's height, v = 0, open = 0.25 -> upper_lid_heights = h
    rows[:, 8 + 2], rows[:, 8 + 6] = lid, lid
    rows[:, 8 + 3], rows[:, 8 + 7] = 0.25, 0.25
    return rows


def test_upper_lid_heights_from_features():
    from gazelearn.webcam.features import upper_lid_heights

    row = np.zeros((1, 14))
    row[0, :4] = [0.4, 0.5, 0.02, 0.3]     # iris half way down a 0.3 opening, 0.02 below
    row[0, 4:8] = [0.6, 0.25, -0.05, 0.2]
    assert np.allclose(upper_lid_heights(row), [[0.02 - 0.15, -0.05 - 0.05]])
    with pytest.raises(InputError, match="14 landmark features"):
        upper_lid_heights(np.zeros((2, 13)))


def test_the_eyelid_term_recovers_vertical_gaze_the_iris_misses():
    # the lids drop 1/90 corner distance (1/3 mm) per deg of vertical gaze
    plain = EyeballGazeMapper(screen=SCREEN, second_stage="none", eyelid=False,
                              prior_weight=0.0)
    layout, test = calibration_targets(9, SCREEN), calibration_targets(16, SCREEN)
    rows, test_rows = _lid_rows(layout, plain, 1 / 90), _lid_rows(test, plain, 1 / 90)
    plain.fit(rows, layout)
    assert np.abs(plain.predict(test_rows)[:, 1] - test[:, 1]).mean() > 150   # no vertical
    exact = EyeballGazeMapper(screen=SCREEN, second_stage="none", prior_weight=0.0,
                              eyelid_prior_weight=0.0).fit(rows, layout)
    assert np.abs(exact.predict(test_rows)[:, 1] - test[:, 1]).max() < 1e-6
    # the lids are vertical only: x is what the plain geometry gives (zeroing the vertical
    # iris displacement moved the horizontal angle a little, the same for both)
    assert np.allclose(exact.predict(test_rows)[:, 0], plain.predict(test_rows)[:, 0])
    # the mapper reads a lid height as deg((lid - rest) * 30 mm / 6 mm reach) = 5 / 90 rad per
    # deg of gaze here, so the gains must sum to 90 / (5 * 57.3) = pi / 10, shared equally
    assert np.isclose(exact.eyelid_coef_.sum(), math.pi / 10, rtol=1e-6)
    assert np.isclose(exact.eyelid_coef_[0], exact.eyelid_coef_[1])
    assert np.allclose(exact.eyelid_reference_, np.median(rows[:, [10, 14]], axis=0))
    # the default penalty shrinks the gains, and still removes most of the vertical error
    default = EyeballGazeMapper(screen=SCREEN, second_stage="none").fit(rows, layout)
    error = np.abs(default.predict(test_rows)[:, 1] - test[:, 1]).mean()
    assert error < 0.5 * np.abs(plain.predict(test_rows)[:, 1] - test[:, 1]).mean()
    # fewer than 5 points: no eyelid gains (eye_head is not fitted)
    few = EyeballGazeMapper(screen=SCREEN, second_stage="none").fit(rows[:4], layout[:4])
    assert few.calibration_ == "scale" and not few.eyelid_coef_.any()


def test_eyelid_gains_round_trip_and_files_without_them_still_load(tmp_path):
    layout = calibration_targets(9, SCREEN)
    mapper = EyeballGazeMapper(screen=SCREEN, second_stage="none")
    rows = _lid_rows(layout, mapper, 1 / 90)
    mapper.fit(rows, layout)
    assert mapper.eyelid_coef_.min() > 0.05
    loaded = CalibrationProfile.load(fit_profile(rows, layout, SCREEN, mapper=mapper)
                                     .save(tmp_path / "lid.json"))
    assert np.array_equal(loaded.mapper.eyelid_coef_, mapper.eyelid_coef_)
    assert np.array_equal(loaded.predict(rows), mapper.predict(rows))
    # a file of the geometry before the eyelid term: no eyelid arrays, no eyelid effect
    old = EyeballGazeMapper(screen=SCREEN, second_stage="none", eyelid=False).fit(rows, layout)
    state = old.__gazelearn_state__()
    del state["eyelid_coef_"], state["eyelid_reference_"]
    restored = EyeballGazeMapper(screen=SCREEN)
    restored.__gazelearn_restore__(state)
    assert not restored.eyelid_coef_.any()
    assert np.array_equal(restored.predict(rows), old.predict(rows))
    state["eyelid_coef_"] = np.zeros(3)
    with pytest.raises(InputError, match="eyelid_coef_ must be a finite float array"):
        EyeballGazeMapper(screen=SCREEN).__gazelearn_restore__(state)
