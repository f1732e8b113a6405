"""scikit-learn objects in model files: skops bytes with type checks, identical predictions."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from gazelearn import InputError
from gazelearn.learn import create, load_model, save_model
from gazelearn.learn.registry import entries

from .helpers import windows

# every registered scikit-learn baseline, classification and regression: a new one is tested too
BASELINES = [(e.name, e.task) for e in entries()
             if e.factory.__module__ == "gazelearn.learn.baselines"]


def _fit(name, task):
    X, y, groups = windows()
    target = np.array(["a", "b"])[y] if task == "classification" else X[:, :, 0].mean(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return create(name, task=task).fit(X, target, groups=groups), X


def test_every_baseline_is_listed():
    assert len(BASELINES) == 10


@pytest.mark.parametrize(("name", "task"), BASELINES)
def test_save_load_gives_identical_predictions(tmp_path, name, task):
    model, X = _fit(name, task)
    again = load_model(save_model(model, tmp_path / f"{name}-{task}.safetensors"))
    assert type(again) is type(model) and again.get_params() == model.get_params()
    assert np.array_equal(model.predict(X), again.predict(X))
    for method in ("predict_proba", "decision_function"):
        if hasattr(model, method):
            try:
                expected = getattr(model, method)(X)
            except AttributeError:  # SVC without probability=True
                continue
            assert np.array_equal(expected, getattr(again, method)(X))
    assert again.input_shape_ == model.input_shape_


def test_the_fitted_estimator_is_stored_as_skops_bytes(tmp_path):
    model, _ = _fit("forest", "classification")
    path = save_model(model, tmp_path / "forest.safetensors")
    arrays = load_file(str(path))
    assert list(arrays) == ["state.fitted"] and arrays["state.fitted"].dtype == np.uint8
    config = load_model(path).model_info_
    assert config["format_version"] == 2 and config["state"] == {
        "__dict__": {"fitted": {"__skops__": "state.fitted"}}}


def _swap_skops(path, data):
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:
        metadata = handle.metadata()
    save_file({"state.fitted": np.frombuffer(data, np.uint8).copy()}, str(path), metadata)


def test_types_outside_the_allow_list_are_refused(tmp_path):
    import os

    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    model, _ = _fit("tree", "classification")
    path = save_model(model, tmp_path / "tree.safetensors")
    # a file whose skops bytes hold a function to call (os.system stands for any code)
    _swap_skops(path, skops.io.dumps(FunctionTransformer(os.system)))
    with pytest.raises(InputError, match="does not trust.*system"):
        load_model(path)


def test_old_hand_encoded_scikit_learn_state_is_a_clear_error(tmp_path):
    model, _ = _fit("tree", "classification")
    path = save_model(model, tmp_path / "tree")
    config = json.loads((path / "config.json").read_text())
    config["format_version"] = 1
    config["state"] = {"__dict__": {"tree_": {"__sktree__": {}}}}
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match="old format.*train and save"):
        load_model(path)
