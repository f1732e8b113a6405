from __future__ import annotations

import pytest
from sklearn.base import clone

from gazelearn import InputError
from gazelearn.learn import NeuralClassifier, NeuralRegressor, available, create, register
from gazelearn.learn.baselines import TreeClassifier

REQUIRED = {"tree", "forest", "knn", "lda", "nb", "svm", "mlp", "conv1d", "conv2d", "lstm", "gru"}


def test_required_names_are_available():
    assert REQUIRED <= set(available())
    assert {"tree", "conv1d"} <= set(available("regression"))


def test_create_passes_options():
    tree = create("tree", max_depth=5)
    assert isinstance(tree, TreeClassifier) and tree.max_depth == 5
    net = create("conv1d", epochs=20)
    assert isinstance(net, NeuralClassifier)
    assert net.get_params()["architecture"] == "conv1d" and net.epochs == 20
    assert isinstance(create("gru", task="regression"), NeuralRegressor)


def test_constructor_args_stored_unchanged_and_cloneable():
    options = {"channels": (8, 8)}
    net = create("conv1d", architecture_options=options, epochs=3)
    assert net.get_params()["architecture_options"] is options
    copy = clone(net)
    assert copy.get_params()["epochs"] == 3 and copy is not net


def test_unknown_names_and_options_are_input_errors():
    with pytest.raises(InputError, match="unknown model 'nope'"):
        create("nope")
    with pytest.raises(InputError, match="no regression variant"):
        create("lda", task="regression")
    with pytest.raises(InputError, match="tree"):
        create("tree", not_an_option=1)


def test_register_decorator_adds_a_name():
    @register("always-tree-test")
    def factory(**params):
        """A test factory."""
        return TreeClassifier(**params)

    assert "always-tree-test" in available()
    assert create("always-tree-test", max_depth=2).max_depth == 2
