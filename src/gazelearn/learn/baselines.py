"""scikit-learn baselines that take the same inputs as the networks (windows are flattened).

Each class *is* the scikit-learn estimator (same parameters, same defaults) with ``fit``,
``predict`` and friends flattening ``(n, length, channels)`` windows or images to
``(n, features)`` first, and ``fit`` accepting ``groups`` (ignored) like the neural estimators.
So a decision tree, an SVM and a 1-D CNN go through one comparison loop and one
``cross_validate``. Registered as ``tree``, ``forest``, ``knn``, ``lda``, ``nb`` and ``svm``
(tree, forest, knn and svm also with ``task="regression"``).

Kernel methods (svm, knn) are sensitive to feature scales; flattened gaze windows share units,
so they are used as they are. Put a ``StandardScaler`` in front (a Pipeline) where needed.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(60, 10, 2)); y = (X[:, :, 0].mean(1) > 0).astype(int)
>>> [type(m).__name__ for m in (TreeClassifier(max_depth=3).fit(X, y), LDAClassifier().fit(X, y))]
['TreeClassifier', 'LDAClassifier']
>>> TreeClassifier(max_depth=3).fit(X, y).predict(X[:4]).shape
(4,)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.sparse import issparse
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.validation import check_is_fitted

from gazelearn.errors import InputError
from gazelearn.learn.data import training_summary, unpack_windows
from gazelearn.learn.registry import register


def as_samples(X: Any) -> np.ndarray:
    """``X`` as a dense array of at least two dimensions, samples first.

    Sparse matrices and 1-D arrays are refused (as scikit-learn refuses them): a 1-D array could
    be one sample or one feature.
    """
    if issparse(X):
        raise InputError("sparse input is not supported: gaze windows are dense, pass "
                         "X.toarray()")
    X = np.asarray(X)
    if X.ndim < 2:
        raise InputError(f"X must be (n, features), (n, length, channels) or (n, C, H, W), got "
                         f"shape {X.shape}. Reshape your data: X.reshape(-1, 1) for one "
                         "feature, X.reshape(1, -1) for one sample")
    return X


def flatten(X: Any) -> np.ndarray:
    """``(n, ...)`` to ``(n, features)``."""
    X = as_samples(X)
    return X.reshape(len(X), -1) if X.ndim != 2 else X


class FlattenMixin:
    """Flatten inputs before the scikit-learn estimator sees them; accept ``groups`` in fit."""

    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> Any:
        """Fit on flattened ``X``; ``groups`` is accepted for a common interface and ignored."""
        X, y, groups = unpack_windows(X, y, groups)
        X = as_samples(X)
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        super().fit(flatten(X), y, **fit_params)
        self.training_summary_ = training_summary(X, np.asarray(y), groups)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for flattened ``X``."""
        return super().predict(flatten(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False  # windows are dense; flatten refuses sparse matrices
        return tags

    def __gazelearn_state__(self) -> dict[str, Any]:
        # the whole fitted estimator, which the model file stores with skops: nothing here reads
        # scikit-learn's private state (skops follows it release by release)
        check_is_fitted(self, "input_shape_")
        return {"fitted": self}

    def __gazelearn_restore__(self, state: dict[str, Any]) -> None:
        fitted = state["fitted"]
        if type(fitted) is not type(self):
            raise InputError(f"model file holds a {type(fitted).__name__}, expected a "
                             f"{type(self).__name__}")
        vars(self).update(vars(fitted))


class _ProbaMixin(FlattenMixin):
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities for flattened ``X``."""
        return super().predict_proba(flatten(X))


class _DecisionMixin(FlattenMixin):
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision scores for flattened ``X``."""
        return super().decision_function(flatten(X))


@register("tree", description="decision tree (scikit-learn), flattened windows")
class TreeClassifier(_ProbaMixin, DecisionTreeClassifier):
    """Decision tree classifier on flattened windows."""


@register("tree", task="regression", description="decision tree regressor, flattened windows")
class TreeRegressor(FlattenMixin, DecisionTreeRegressor):
    """Decision tree regressor on flattened windows."""


@register("forest", description="random forest (scikit-learn), flattened windows")
class ForestClassifier(_ProbaMixin, RandomForestClassifier):
    """Random forest classifier on flattened windows."""


@register("forest", task="regression", description="random forest regressor, flattened windows")
class ForestRegressor(FlattenMixin, RandomForestRegressor):
    """Random forest regressor on flattened windows."""


@register("knn", description="k nearest neighbours, flattened windows")
class KNNClassifier(_ProbaMixin, KNeighborsClassifier):
    """k-nearest-neighbour classifier on flattened windows."""


@register("knn", task="regression", description="k nearest neighbours regressor")
class KNNRegressor(FlattenMixin, KNeighborsRegressor):
    """k-nearest-neighbour regressor on flattened windows."""


@register("lda", description="linear discriminant analysis, flattened windows")
class LDAClassifier(_ProbaMixin, _DecisionMixin, LinearDiscriminantAnalysis):
    """Linear discriminant analysis on flattened windows."""


@register("nb", description="Gaussian naive Bayes, flattened windows")
class NaiveBayesClassifier(_ProbaMixin, GaussianNB):
    """Gaussian naive Bayes on flattened windows."""


@register("svm", description="support vector machine (RBF), flattened windows")
class SVMClassifier(_DecisionMixin, SVC):
    """Support vector classifier on flattened windows."""


@register("svm", task="regression", description="support vector regressor, flattened windows")
class SVMRegressor(FlattenMixin, SVR):
    """Support vector regressor on flattened windows."""
