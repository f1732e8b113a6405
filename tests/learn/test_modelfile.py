from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from gazelearn import InputError
from gazelearn.learn import (
    NeuralClassifier,
    NeuralRegressor,
    create,
    load_model,
    read_model_info,
    save_model,
)

from .helpers import windows

BASELINES = ["tree", "forest", "knn", "lda", "nb", "svm"]


def _same_predictions(a, b, X):
    assert np.array_equal(a.predict(X), b.predict(X))
    if hasattr(a, "predict_proba"):
        try:
            expected = a.predict_proba(X)
        except AttributeError:
            return
        assert np.array_equal(expected, b.predict_proba(X))


@pytest.mark.parametrize("layout", ["model.safetensors", "model_dir"])
def test_network_round_trip(tmp_path, layout):
    X, y, groups = windows()
    labels = np.array(["fixation", "saccade"])[y]
    clf = NeuralClassifier("conv1d", epochs=2, device="cpu",
                           architecture_options={"channels": (8, 8)}).fit(X, labels, groups)
    path = save_model(clf, tmp_path / layout,
                      preprocessing={"window_length": 16, "sampling_rate": 500.0})
    again = load_model(path)
    _same_predictions(clf, again, X)
    assert again.get_params() == clf.get_params()
    assert again.preprocessing_["window_length"] == 16
    assert again.preprocessing_["sampling_rate"] == 500.0
    np.testing.assert_array_equal(again.x_mean_, clf.x_mean_)
    info = read_model_info(path)
    assert info["name"] == "neural" and info["training_data"]["n_samples"] == len(X)
    assert info["training_data"]["class_counts"] == {"fixation": int((y == 0).sum()),
                                                     "saccade": int((y == 1).sum())}
    assert info["gazelearn_version"] and info["libraries"]["torch"]


def test_regressor_round_trip(tmp_path):
    X, _, _ = windows()
    target = np.stack([X[:, :, 0].mean(1), X[:, :, 1].mean(1)], axis=1) * 100
    reg = NeuralRegressor("gru", epochs=2, device="cpu").fit(X, target)
    again = load_model(save_model(reg, tmp_path / "reg.safetensors"))
    assert np.array_equal(reg.predict(X), again.predict(X))


@pytest.mark.parametrize("name", BASELINES)
def test_baseline_round_trip_without_pickle(tmp_path, name):
    X, y, groups = windows()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = create(name).fit(X, np.array(["a", "b"])[y], groups=groups)
    path = save_model(model, tmp_path / f"{name}.safetensors")
    again = load_model(path)
    _same_predictions(model, again, X)
    text = json.dumps(read_model_info(path))
    assert "pickle" not in text.lower()
    reg_names = {"tree", "forest", "knn", "svm"}
    if name in reg_names:
        reg = create(name, task="regression").fit(X, X[:, :, 0].mean(1))
        again = load_model(save_model(reg, tmp_path / f"{name}_reg"))
        assert np.array_equal(reg.predict(X), again.predict(X))


def test_unfitted_and_unknown_models_cannot_be_saved(tmp_path):
    with pytest.raises(InputError, match="not fitted"):
        save_model(create("tree"), tmp_path / "a.safetensors")
    from sklearn.tree import DecisionTreeClassifier

    with pytest.raises(InputError, match="only registered"):
        save_model(DecisionTreeClassifier().fit([[0], [1]], [0, 1]), tmp_path / "b.safetensors")


def _rewrite_config(path, **changes):
    config = json.loads((path / "config.json").read_text())
    config.update(changes)
    (path / "config.json").write_text(json.dumps(config))


def test_newer_or_unknown_versions_are_input_errors(tmp_path):
    X, y, _ = windows()
    path = save_model(create("tree").fit(X, y), tmp_path / "tree")
    _rewrite_config(path, gazelearn_version="99.0.0")
    with pytest.raises(InputError, match="newer than the installed"):
        load_model(path)
    _rewrite_config(path, gazelearn_version="banana")
    with pytest.raises(InputError, match="unknown gazelearn version"):
        load_model(path)
    _rewrite_config(path, gazelearn_version="0.0.1", format_version=7)
    with pytest.raises(InputError, match="format 7 is newer"):
        load_model(path)
    _rewrite_config(path, format_version=1, estimator="evil.module.Thing")
    with pytest.raises(InputError, match="does not know"):
        load_model(path)


def test_not_a_model_file(tmp_path):
    bogus = tmp_path / "x.safetensors"
    bogus.write_bytes(b"not safetensors at all")
    with pytest.raises(InputError, match="not a gazelearn model"):
        load_model(bogus)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.safetensors")
