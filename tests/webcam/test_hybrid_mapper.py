"""The geometry blended with eye-crop CNNs (HybridGazeMapper): known answers and round trips."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.base import clone

from gazelearn.errors import InputError
from gazelearn.webcam import HybridGazeMapper
from gazelearn.webcam.geometry_mapper import EyeballGazeMapper, synthetic_rows

SCREEN = (1920, 1080)
GEOMETRY = {"second_stage": "none", "prior_weight": 0.0}


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    targets = rng.uniform(0, SCREEN, (n, 2))
    rows = synthetic_rows(targets, EyeballGazeMapper(screen=SCREEN), eye_gain=0.8,
                          kappa=(2.0, -1.0))
    n_crop = HybridGazeMapper().input_size - rows.shape[1]
    # crops whose brightness follows the target: something a CNN can learn in an epoch
    crops = rng.uniform(0, 60, (n, n_crop)) + (targets[:, :1] / SCREEN[0]) * 190
    return np.hstack([rows, crops]), targets


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    return HybridGazeMapper(screen=SCREEN, geometry_params=GEOMETRY, networks=2, epochs=2,
                            min_frames=30).fit(X, y), X, y


def test_below_min_frames_it_is_the_geometry_and_cuts_no_crops(astronaut, landmarker):
    X, y = _data(20)
    mapper = HybridGazeMapper(screen=SCREEN, geometry_params=GEOMETRY, min_frames=30).fit(X, y)
    geometry = EyeballGazeMapper(screen=SCREEN, **GEOMETRY).fit(X[:, :22], y)
    assert mapper.networks_ == []
    np.testing.assert_allclose(mapper.predict(X), geometry.predict(X[:, :22]))
    np.testing.assert_allclose(mapper.predict(X), y, atol=1.0)  # the geometry's known answer
    face = landmarker.detect(astronaut)
    row = mapper.frame_input(face, astronaut)
    assert len(row) == mapper.input_size and not row[mapper.landmark_columns:].any()
    unfitted = HybridGazeMapper().frame_input(face, astronaut)  # a calibration cuts them
    assert unfitted[mapper.landmark_columns:].any()
    np.testing.assert_allclose(unfitted[:mapper.landmark_columns], row[:mapper.landmark_columns])


def test_each_axis_is_the_stated_blend(fitted):
    mapper, X, _ = fitted
    geometry = mapper.geometry_.predict(X[:, :mapper.landmark_columns])
    networks = np.mean([n.predict(X[:, mapper.landmark_columns:]) for n in mapper.networks_],
                       axis=0)
    w = np.asarray(mapper.weights)
    # the ONNX Runtime graph's mean against the torch networks one by one
    np.testing.assert_allclose(mapper.predict(X), (1 - w) * geometry + w * networks, atol=0.05)
    for weights, expected in (((0.0, 0.0), geometry), ((1.0, 1.0), networks)):
        other = copy.deepcopy(mapper).set_params(weights=weights)
        np.testing.assert_allclose(other.predict(X), expected, atol=0.05)


def test_no_face_rows_are_nan_and_the_drift_check_meets_its_target(fitted):
    mapper, X, _ = fitted
    X = X.copy()
    X[3] = np.nan
    out = mapper.predict(X)
    assert np.isnan(out[3]).all() and np.isfinite(np.delete(out, 3, axis=0)).all()
    moved = copy.deepcopy(mapper)
    moved.recalibrate_offset(X[:1], (900.0, 500.0))
    np.testing.assert_allclose(moved.predict(X[:1])[0], (900.0, 500.0), atol=1.0)


def test_model_file_round_trip_clone_and_copy(fitted, tmp_path):
    from gazelearn.webcam.model_files import load_mapper, save_mapper

    mapper, X, _ = fitted
    loaded = load_mapper(save_mapper(mapper, tmp_path / "me.hybrid.safetensors"))
    assert isinstance(loaded, HybridGazeMapper) and len(loaded.networks_) == 2
    np.testing.assert_allclose(loaded.predict(X), mapper.predict(X), atol=1e-3)
    assert clone(mapper).get_params() == mapper.get_params()
    assert not hasattr(copy.deepcopy(mapper), "_session")  # rebuilt, never copied


@pytest.mark.parametrize("params, message", [
    ({"weights": (0.5, 1.5)}, "weights must be two numbers in [0, 1]"),
    ({"networks": 0}, "networks must be an integer >= 1"),
    ({"geometry_params": {"screen": SCREEN}}, "must not hold 'screen'"),
    ({"max_frames": 50}, "max_frames must be None or an integer >= min_frames (100)"),
])
def test_bad_parameters_are_named(params, message):
    X, y = _data(10)
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")
                       .replace("(", r"\(").replace(")", r"\)")):
        HybridGazeMapper(**params).fit(X, y)


def test_rows_of_the_wrong_length_are_refused():
    with pytest.raises(InputError, match="expected rows of"):
        HybridGazeMapper().fit(np.zeros((5, 22)), np.zeros((5, 2)))


def test_max_frames_trains_the_cnns_on_evenly_spaced_frames_the_geometry_on_all(monkeypatch):
    from gazelearn.webcam.crop_model import CropGazeModel

    X, y = _data(40)
    X[[5, 6, 20]] = np.nan  # no face: never a training frame
    seen = []
    original = CropGazeModel.fit

    def spy(self, crops, targets, *args, **kwargs):
        seen.append(np.asarray(targets).copy())
        return original(self, crops, targets, *args, **kwargs)

    monkeypatch.setattr(CropGazeModel, "fit", spy)
    mapper = HybridGazeMapper(screen=SCREEN, geometry_params=GEOMETRY, networks=1, epochs=1,
                              min_frames=10, max_frames=13).fit(X, y)
    usable = np.delete(np.arange(40), [5, 6, 20])  # 37 frames, every 3rd of them kept: 13
    np.testing.assert_array_equal(seen[0], y[usable[::3]])
    full = EyeballGazeMapper(screen=SCREEN, **GEOMETRY).fit(X[usable, :22], y[usable])
    np.testing.assert_allclose(mapper.geometry_.predict(X[:3, :22]), full.predict(X[:3, :22]))


def test_the_blends_geometry_shrinks_its_ridge_stage_unless_told_otherwise():
    from gazelearn.webcam.hybrid_mapper import GEOMETRY_DEFAULTS

    assert GEOMETRY_DEFAULTS == {"alpha": 100.0}
    assert HybridGazeMapper()._geometry().alpha == 100.0
    assert EyeballGazeMapper().alpha == 1.0  # the geometry alone keeps its own default
    told = HybridGazeMapper(geometry_params={"alpha": 3.0, "eyelid": False})._geometry()
    assert told.alpha == 3.0 and told.eyelid is False
    other = HybridGazeMapper(geometry_params={"eyelid": False})._geometry()
    assert other.alpha == 100.0 and other.eyelid is False
