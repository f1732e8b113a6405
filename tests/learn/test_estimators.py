from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.model_selection import GroupKFold, cross_validate

from gazelearn import InputError
from gazelearn.learn import NeuralClassifier, NeuralRegressor, create
from gazelearn.learn.data import validation_split

from .helpers import windows

FAST = {"epochs": 2, "batch_size": 32, "device": "cpu"}


@pytest.mark.parametrize("name", ["mlp", "conv1d", "lstm", "gru"])
def test_networks_fit_windows(name):
    X, y, groups = windows()
    clf = create(name, **FAST).fit(X, y, groups=groups)
    assert clf.predict(X).shape == (len(X),)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(clf.classes_) == {0, 1} and len(clf.history_) == 2


def test_conv2d_on_images_and_regression():
    rng = np.random.default_rng(1)
    images = rng.normal(size=(40, 1, 12, 12)).astype(np.float32)
    target = images[:, 0, :6].mean(axis=(1, 2)) * 10
    reg = create("conv2d", task="regression", **FAST).fit(images, target)
    assert reg.predict(images).shape == (40,)
    two = np.stack([target, -target], axis=1)
    assert NeuralRegressor("mlp", **FAST).fit(images, two).predict(images).shape == (40, 2)


def test_network_learns_an_easy_problem():
    X, y, groups = windows()
    clf = NeuralClassifier("conv1d", epochs=15, lr=0.01, batch_size=32, device="cpu")
    assert clf.fit(X, y, groups=groups).score(X, y) > 0.9


def test_validation_split_is_by_group():
    groups = np.repeat(np.arange(10), 7)
    train, val = validation_split(len(groups), groups, 0.3, None, seed=0)
    assert len(val) and not set(groups[train]) & set(groups[val])
    train, val = validation_split(len(groups), groups, 0.3, [2, 5], seed=0)
    assert set(groups[val]) == {2, 5}
    train, val = validation_split(len(groups), None, 0.3, None, seed=0)
    assert len(val) == 0 and len(train) == len(groups)


def test_fit_records_validation_and_standardisation():
    X, y, groups = windows()
    X = X * 50 + 300  # pixels-like scale
    clf = NeuralClassifier("mlp", **FAST).fit(X, y, groups=groups)
    assert 0 < clf.n_validation_ < len(X)
    assert clf.x_mean_.shape == (1, 2) and np.all(clf.x_scale_ > 10)
    assert "val_accuracy" in clf.history_[0]
    no_groups = NeuralClassifier("mlp", **FAST).fit(X, y)
    assert no_groups.n_validation_ == 0 and "train_accuracy" in no_groups.history_[0]


def test_same_seed_gives_identical_loss_history():
    X, y, groups = windows()
    runs = [NeuralClassifier("conv1d", epochs=3, batch_size=16, seed=3, device="cpu")
            .fit(X, y, groups=groups) for _ in range(2)]
    first, second = ([h["loss"] for h in r.history_] for r in runs)
    assert first == second
    assert np.array_equal(runs[0].predict_proba(X), runs[1].predict_proba(X))
    other = NeuralClassifier("conv1d", epochs=3, batch_size=16, seed=4, device="cpu")
    assert [h["loss"] for h in other.fit(X, y, groups=groups).history_] != first


def test_fit_does_not_disturb_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    X, y, _ = windows()
    NeuralClassifier("mlp", **FAST).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_class_weights_change_the_loss():
    X, y, groups = windows()
    keep = np.flatnonzero((y == 1) | (np.arange(len(y)) % 4 == 0))  # few zeros: unbalanced
    X, y, groups = X[keep], y[keep], groups[keep]
    plain = NeuralClassifier("mlp", **FAST).fit(X, y, groups=groups)
    weighted = NeuralClassifier("mlp", class_weight="balanced", **FAST).fit(X, y, groups=groups)
    assert weighted.class_weights_[0] > weighted.class_weights_[1]
    assert plain.history_[0]["loss"] != weighted.history_[0]["loss"]
    by_dict = NeuralClassifier("mlp", class_weight={0: 5.0}, **FAST).fit(X, y, groups=groups)
    assert by_dict.class_weights_.tolist() == [5.0, 1.0]


def test_group_batch_sampler_option_needs_groups():
    X, y, groups = windows()
    clf = NeuralClassifier("mlp", batch_sampler="group", **FAST).fit(X, y, groups=groups)
    assert len(clf.history_) == 2
    with pytest.raises(InputError, match="needs groups"):
        NeuralClassifier("mlp", batch_sampler="group", **FAST).fit(X, y)


def test_bad_inputs_are_input_errors():
    X, y, groups = windows()
    with pytest.raises(InputError, match="shape"):
        NeuralClassifier("mlp", **FAST).fit(X[:, :, :, None, None], y)
    with pytest.raises(InputError, match="samples but y has"):
        NeuralClassifier("mlp", **FAST).fit(X, y[:-1])
    clf = NeuralClassifier("mlp", **FAST).fit(X, y)
    with pytest.raises(InputError, match="trained on samples of shape"):
        clf.predict(X[:, :8])
    with pytest.raises(InputError, match="conv2d needs images"):
        NeuralClassifier("conv2d", **FAST).fit(X, y)


def test_cross_validate_with_groups_over_neural_and_baselines():
    X, y, groups = windows()
    cv = GroupKFold(n_splits=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for name in ("tree", "forest", "knn", "lda", "nb", "svm", "mlp", "conv1d"):
            options = FAST if name in ("mlp", "conv1d") else {}
            result = cross_validate(create(name, **options), X, y, groups=groups, cv=cv,
                                    params={"groups": groups}, error_score="raise")
            assert result["test_score"].shape == (3,), name
            assert np.all(result["test_score"] >= 0)


def test_window_set_can_replace_x_y_groups():
    from types import SimpleNamespace

    X, y, groups = windows()
    clf = NeuralClassifier("mlp", **FAST).fit(SimpleNamespace(X=X, y=y, groups=groups))
    assert clf.n_validation_ > 0
    assert create("tree").fit(SimpleNamespace(X=X, y=y, groups=groups)).score(X, y) == 1.0
