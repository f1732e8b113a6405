"""Learners with one interface: neural estimators, scikit-learn baselines, registry, model files.

Examples
--------
>>> import numpy as np
>>> from gazelearn.learn import create
>>> X = np.random.default_rng(0).normal(size=(60, 8, 2)); y = (X[:, :, 0].mean(1) > 0).astype(int)
>>> scores = {name: create(name).fit(X, y).score(X, y) for name in ("tree", "lda")}
>>> sorted(scores)
['lda', 'tree']
"""

from gazelearn.learn.base import NeuralClassifier, NeuralEstimator, NeuralRegressor
from gazelearn.learn.baselines import (
                                       ForestClassifier,
                                       ForestRegressor,
                                       KNNClassifier,
                                       KNNRegressor,
                                       LDAClassifier,
                                       NaiveBayesClassifier,
                                       SVMClassifier,
                                       SVMRegressor,
                                       TreeClassifier,
                                       TreeRegressor,
)
from gazelearn.learn.modelfile import load_model, read_model_info, save_model
from gazelearn.learn.registry import available, create, register, register_class

__all__ = [
    "ForestClassifier",
    "ForestRegressor",
    "KNNClassifier",
    "KNNRegressor",
    "LDAClassifier",
    "NaiveBayesClassifier",
    "NeuralClassifier",
    "NeuralEstimator",
    "NeuralRegressor",
    "SVMClassifier",
    "SVMRegressor",
    "TreeClassifier",
    "TreeRegressor",
    "available",
    "create",
    "load_model",
    "read_model_info",
    "register",
    "register_class",
    "save_model",
]
