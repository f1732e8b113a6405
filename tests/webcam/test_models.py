"""Regressor, calibration, outlier rejection and profiles (no MediaPipe needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from gazelearn.errors import InputError
from gazelearn.metrics import error_px
from gazelearn.screen import Screen
from gazelearn.webcam import (
    CalibrationProfile,
    LandmarkGazeRegressor,
    calibration_targets,
    fit_profile,
    moving_target_path,
    reject_outliers,
    validate,
    validation_targets,
)


def test_regressor_recovers_a_linear_mapping_exactly():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 14))
    W = rng.normal(scale=100, size=(14, 2))
    y = X @ W + [960, 540]
    model = LandmarkGazeRegressor(alpha=0.0).fit(X, y)
    assert np.allclose(model.predict(X), y, atol=1e-8)
    X_new = rng.normal(size=(10, 14))
    assert np.allclose(model.predict(X_new), X_new @ W + [960, 540], atol=1e-8)
    assert model.score(X, y) == pytest.approx(1.0)


def test_rbf_regressor_fits_a_nonlinear_mapping_better():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(200, 2))
    y = np.c_[np.sin(2 * X[:, 0]) * 500 + 960, X[:, 1] ** 2 * 400 + 300]
    X_test = rng.uniform(-0.9, 0.9, size=(100, 2))
    y_test = np.c_[np.sin(2 * X_test[:, 0]) * 500 + 960, X_test[:, 1] ** 2 * 400 + 300]
    linear = LandmarkGazeRegressor(alpha=1e-3).fit(X, y)
    rbf = LandmarkGazeRegressor(alpha=1e-3, kernel="rbf", kernel_alpha=0.01).fit(X, y)
    assert error_px(y_test, rbf.predict(X_test)).mean() < \
        0.5 * error_px(y_test, linear.predict(X_test)).mean()


def test_regressor_model_file_round_trip_and_nan_rows(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 5))
    y = rng.uniform(0, 1000, size=(30, 2))
    for kernel in ("linear", "rbf"):
        model = LandmarkGazeRegressor(kernel=kernel).fit(X, y)
        loaded = LandmarkGazeRegressor.load(model.save(tmp_path / f"{kernel}.safetensors"))
        assert np.allclose(loaded.predict(X), model.predict(X))
        assert np.array_equal(loaded.predict(X), model.predict(X))
        assert loaded.get_params() == model.get_params()
    X_nan = X.copy()
    X_nan[2] = np.nan
    assert np.isnan(model.predict(X_nan)[2]).all() and np.isfinite(model.predict(X_nan)[3]).all()
    with pytest.raises(NotFittedError, match="not fitted"):
        LandmarkGazeRegressor().predict(X)
    with pytest.raises(InputError, match="kernel"):
        LandmarkGazeRegressor(kernel="poly").fit(X, y)


@pytest.mark.parametrize("n", [9, 16, 25])
def test_calibration_layouts(n):
    grid = calibration_targets(n, (1920, 1080), margin=0.1)
    assert grid.shape == (n, 2)
    assert grid[:, 0].min() == pytest.approx(192) and grid[:, 0].max() == pytest.approx(1728)
    assert grid[:, 1].min() == pytest.approx(108) and grid[:, 1].max() == pytest.approx(972)
    shuffled = calibration_targets(n, (1920, 1080), seed=4)
    assert sorted(map(tuple, shuffled)) == sorted(map(tuple, grid))
    assert not np.array_equal(shuffled, grid)
    assert np.array_equal(shuffled, calibration_targets(n, (1920, 1080), seed=4))


def test_bad_layouts_and_new_validation_targets():
    with pytest.raises(InputError, match="9, 16 or 25"):
        calibration_targets(10)
    grid = calibration_targets(9, (1920, 1080))
    new = validation_targets(5, (1920, 1080), avoid=grid, seed=0)
    distance = np.hypot(*(new[:, None] - grid[None]).T)
    assert distance.min() > 0.08 * np.hypot(1920, 1080)
    t, path = moving_target_path(5.0, 30.0, (1920, 1080))
    assert len(t) == 150 and np.all(np.hypot(*np.diff(path, axis=0).T) < 200)


def test_outlier_rejection_drops_a_planted_outlier():
    rng = np.random.default_rng(5)
    targets = np.repeat(calibration_targets(9, (1920, 1080)), 8, axis=0)
    groups = np.repeat(np.arange(9), 8)
    features = np.c_[targets / 1000, targets[:, :1] / 500] + rng.normal(0, 0.01, (72, 3))
    features[13] += [0.4, -0.3, 0.2]  # the head moved in one frame
    features[40] = np.nan  # no face
    keep = reject_outliers(features, groups)
    assert not keep[13] and not keep[40]
    assert keep.sum() >= 72 - 2 - 4  # at most a few clean frames go


def test_profile_fit_validate_save_load(tmp_path):
    rng = np.random.default_rng(6)
    screen = Screen(1920, 1080, 530.0, 300.0, 600.0)
    W = rng.normal(size=(2, 2))

    def frames(points, per_target):
        targets = np.repeat(points, per_target, axis=0)
        # features linear in the target, so a fitted ridge inverts them
        features = np.c_[targets / 1000, (targets / 1000) @ W]
        features += rng.normal(0, 2e-3, features.shape)
        return features, targets

    cal_features, cal_targets = frames(calibration_targets(9, screen, seed=0), 10)
    val_points = validation_targets(4, screen, avoid=calibration_targets(9, screen), seed=1)
    val_features, val_targets = frames(val_points, 10)
    cal_features[5] += 3.0  # planted outlier
    profile = fit_profile(cal_features, cal_targets, screen, validation_features=val_features,
                          validation_targets=val_targets,
                          mapper=LandmarkGazeRegressor(alpha=1e-3),
                          meta={"user": "test"})
    assert profile.meta["n_frames_used"] <= 89
    report = profile.validation
    assert report.n_targets == 4 and report.n_samples == 40
    assert report.accuracy_px < 10 and report.precision_px < 10
    assert report.accuracy_deg is not None and report.accuracy_deg < 0.5
    assert report.precision_deg is not None and "deg" in report.describe()
    loaded = CalibrationProfile.load(profile.save(tmp_path / "me.json"))
    assert loaded.screen == screen and loaded.meta["user"] == "test"
    assert loaded.validation.accuracy_px == pytest.approx(report.accuracy_px)
    assert np.allclose(loaded.predict(val_features), profile.predict(val_features))


def test_validate_uses_the_metrics_and_handles_single_frames():
    truth = np.array([[100.0, 100.0], [800.0, 500.0]])
    report = validate(truth + [[3, 4], [6, 8]], truth, (1920, 1080))
    assert report.accuracy_px == pytest.approx(7.5)
    assert np.isnan(report.precision_px)
    assert report.accuracy_deg is None
    with pytest.raises(InputError, match="no frame"):
        validate(np.full((2, 2), np.nan), truth, (1920, 1080))


def test_profile_load_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        CalibrationProfile.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(InputError, match="not a gazelearn calibration profile"):
        CalibrationProfile.load(bad)


# ---------------------------------------------------------------------------- model files
DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_regressor_goes_through_save_model(tmp_path, kernel):
    from gazelearn.learn import load_model, read_model_info, save_model

    rng = np.random.default_rng(7)
    X = rng.normal(size=(25, 14))
    model = LandmarkGazeRegressor(alpha=0.3, kernel=kernel).fit(X, rng.uniform(0, 900, (25, 2)))
    path = save_model(model, tmp_path / "ridge.safetensors")
    info = read_model_info(path)
    assert info["estimator"] == "gazelearn.webcam.regressor.LandmarkGazeRegressor"
    assert "coef_" in json.dumps(info["state"]) and "[[" not in json.dumps(info["state"])
    again = load_model(path)
    assert type(again) is LandmarkGazeRegressor and again.get_params() == model.get_params()
    assert np.array_equal(again.predict(X), model.predict(X))
    assert (again.X_fit_ is None) == (kernel == "linear")
    with pytest.raises(InputError, match="not fitted"):
        save_model(LandmarkGazeRegressor(), tmp_path / "unfitted.safetensors")


def test_the_regressor_is_registered_without_importing_torch_with_the_tracker():
    code = ("import sys, gazelearn.webcam, gazelearn.webcam.calibration; "
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "False"


def test_legacy_json_regressor_and_profile_still_load(tmp_path):
    # written by LandmarkGazeRegressor.save and CalibrationProfile.save before model files
    expected = json.loads((DATA / "legacy_expected.json").read_text())
    probe = np.array(expected["probe"])
    ridge = LandmarkGazeRegressor.load(DATA / "legacy_ridge.json")
    assert ridge.get_params()["alpha"] == 0.5 and ridge.X_fit_ is None
    assert np.allclose(ridge.predict(probe), expected["ridge"], rtol=0, atol=1e-9)
    profile = CalibrationProfile.load(DATA / "legacy_profile.json")
    assert profile.mapper.kernel == "rbf" and profile.meta["user"] == "legacy"
    assert profile.screen == Screen(1920, 1080, 530.0, 300.0, 600.0)
    assert profile.validation.n_targets == 6 and np.isnan(profile.validation.precision_px)
    assert np.allclose(profile.predict(probe), expected["profile"], rtol=0, atol=1e-9)
    # saved again, it is a version-2 profile whose mapper is a model file
    again = CalibrationProfile.load(profile.save(tmp_path / "me.json"))
    assert json.loads((tmp_path / "me.json").read_text())["version"] == 2
    assert np.array_equal(again.predict(probe), profile.predict(probe))


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_profile_json_names_the_mappers_model_file(tmp_path, kernel):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(30, 14))
    mapper = LandmarkGazeRegressor(kernel=kernel).fit(X, rng.uniform(0, 1000, (30, 2)))
    path = CalibrationProfile(mapper, (1280, 720), meta={"user": "b"}).save(tmp_path / "b.json")
    state = json.loads(path.read_text())
    assert state["regressor"] == {"kind": "landmarks", "model_file": "b.landmarks.safetensors"}
    assert state["screen_px"] == [1280, 720] and state["meta"] == {"user": "b"}
    loaded = CalibrationProfile.load(path)
    assert isinstance(loaded.mapper, LandmarkGazeRegressor)
    assert np.array_equal(loaded.predict(X), mapper.predict(X))
    (tmp_path / "b.landmarks.safetensors").unlink()
    with pytest.raises(InputError, match="is missing"):
        CalibrationProfile.load(path)
