"""Landmark features -> screen pixels: ridge or kernel ridge regression, fitted per person.

This is the default gaze model after a calibration, the way WebGazer (Papoutsaki et al. 2016)
and EyeTrax map eye features to the screen: no pretrained network, a few seconds of looking at
known targets. Features are standardised with the calibration's mean and standard deviation,
then either

* ``kernel="linear"``: ridge regression, ``W = (X'X + alpha I)^-1 X'y`` on centred data, or
* ``kernel="rbf"``: kernel ridge regression with ``k(a, b) = exp(-gamma |a - b|^2)``,
  ``gamma = 1 / n_features`` by default, on top of the linear fit's residuals (so it
  extrapolates like the linear model away from the calibration points).

It follows scikit-learn's estimator contract (``fit``, ``predict``, ``score`` = R^2, parameters
unchanged, learned state ending in ``_``) and saves like every learned object of gazelearn with
:func:`gazelearn.learn.save_model` (:meth:`save`, :meth:`load`; its arrays as safetensors
tensors, no pickles; :mod:`gazelearn.webcam.model_files` also reads the JSON files written
before). As a :class:`~gazelearn.webcam.mapper.GazeMapper` it reads the
:data:`~gazelearn.webcam.FEATURE_NAMES` of each frame's face (:meth:`frame_input`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(30, 4))
>>> true = np.array([[100.0, 0], [0, 50], [20, 20], [0, 0]])
>>> y = X @ true + [960, 540]
>>> model = LandmarkGazeRegressor(alpha=1e-9).fit(X, y)
>>> bool(np.allclose(model.predict(X), y, atol=1e-4))
True
>>> import os, tempfile
>>> path = model.save(os.path.join(tempfile.mkdtemp(), "ridge.safetensors"))
>>> bool((LandmarkGazeRegressor.load(path).predict(X) == model.predict(X)).all())
True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from gazelearn.errors import InputError
from gazelearn.webcam.features import FEATURE_NAMES, landmark_features

_KINDS = ("linear", "rbf")
#: the learned attributes (what a model file stores)
FITTED = ("n_features_in_", "mean_", "scale_", "coef_", "intercept_", "X_fit_", "dual_coef_")


def _check_xy(features, targets=None) -> tuple[np.ndarray, np.ndarray | None]:
    X = np.asarray(features, dtype=np.float64)
    if X.ndim != 2:
        raise InputError(f"features must be a 2-D array (samples, features), got shape {X.shape}")
    if targets is None:
        return X, None
    y = np.asarray(targets, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != 2 or len(y) != len(X):
        raise InputError(f"targets must be ({len(X)}, 2) screen x, y in px, got shape {y.shape}")
    return X, y


class LandmarkGazeRegressor(RegressorMixin, BaseEstimator):
    """Ridge / kernel ridge regression from landmark features to screen pixels.

    Parameters
    ----------
    alpha : float
        Ridge penalty on the standardised features (larger: smoother, more biased).
    kernel : {"linear", "rbf"}
        Linear ridge, or an RBF kernel ridge correction on top of it.
    gamma : float, optional
        RBF width; ``1 / n_features`` when None.
    kernel_alpha : float
        Penalty of the kernel part.

    Attributes
    ----------
    mean_, scale_ : numpy.ndarray
        Feature standardisation learned in :meth:`fit`.
    coef_ : numpy.ndarray
        ``(n_features, 2)`` linear weights on standardised features.
    intercept_ : numpy.ndarray
        ``(2,)`` intercept in px.
    X_fit_, dual_coef_ : numpy.ndarray or None
        Standardised training features and dual weights of the RBF part (``None`` for linear).
    n_features_in_ : int
    """

    #: what a frame's row holds (the :class:`~gazelearn.webcam.mapper.GazeMapper` protocol)
    inputs = "landmarks"
    #: length of :meth:`frame_input`'s row
    input_size = len(FEATURE_NAMES)

    def __init__(self, alpha: float = 1.0, kernel: str = "linear", gamma: float | None = None,
                 kernel_alpha: float = 1.0) -> None:
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.kernel_alpha = kernel_alpha

    def frame_input(self, face, frame=None) -> np.ndarray:
        """One frame's row: :func:`~gazelearn.webcam.landmark_features` of its face."""
        return landmark_features(face)

    # ------------------------------------------------------------------ fitting
    def _gamma(self) -> float:
        return float(self.gamma) if self.gamma is not None else 1.0 / self.n_features_in_

    def _rbf(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        sq = (A**2).sum(1)[:, None] + (B**2).sum(1)[None, :] - 2.0 * A @ B.T
        return np.exp(-self._gamma() * np.maximum(sq, 0.0))

    def fit(self, X, y, groups=None) -> LandmarkGazeRegressor:
        """Fit on ``(n, n_features)`` features ``X`` and ``(n, 2)`` screen targets ``y`` in px.

        Rows with a NaN feature or target (frames without a face) are left out; ``groups`` is
        accepted for the common ``fit(X, y, groups)`` interface and ignored.
        """
        if self.kernel not in _KINDS:
            raise InputError(f"kernel must be one of {', '.join(_KINDS)}, got {self.kernel!r}")
        if self.alpha < 0 or self.kernel_alpha <= 0:
            raise InputError("alpha must be >= 0 and kernel_alpha > 0")
        X, y = _check_xy(X, y)
        keep = np.isfinite(X).all(axis=1) & np.isfinite(y).all(axis=1)
        X, y = X[keep], y[keep]
        if len(X) < 2:
            raise InputError(f"calibration needs at least 2 usable samples, got {len(X)}")
        self.n_features_in_ = X.shape[1]
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 1e-12, scale, 1.0)
        Z = (X - self.mean_) / self.scale_
        y_mean = y.mean(axis=0)
        gram = Z.T @ Z + self.alpha * np.eye(Z.shape[1])
        self.coef_ = np.linalg.lstsq(gram, Z.T @ (y - y_mean), rcond=None)[0]
        self.intercept_ = y_mean
        self.X_fit_, self.dual_coef_ = None, None
        if self.kernel == "rbf":
            residual = y - (Z @ self.coef_ + self.intercept_)
            K = self._rbf(Z, Z)
            self.X_fit_ = Z
            self.dual_coef_ = np.linalg.solve(K + self.kernel_alpha * np.eye(len(Z)), residual)
        return self

    def predict(self, X) -> np.ndarray:
        """``(n, 2)`` screen positions in px; NaN rows for NaN features."""
        check_is_fitted(self, "coef_")
        X, _ = _check_xy(X)
        if X.shape[1] != self.n_features_in_:
            raise InputError(f"expected {self.n_features_in_} features, got {X.shape[1]}")
        out = np.full((len(X), 2), np.nan)
        ok = np.isfinite(X).all(axis=1)
        if ok.any():
            Z = (X[ok] - self.mean_) / self.scale_
            pred = Z @ self.coef_ + self.intercept_
            if self.dual_coef_ is not None:
                pred = pred + self._rbf(Z, self.X_fit_) @ self.dual_coef_
            out[ok] = pred
        return out

    # ------------------------------------------------------------------ persistence
    def __gazelearn_state__(self) -> dict:
        # the learned arrays, stored by save_model as safetensors tensors (None for linear)
        check_is_fitted(self, "coef_")
        return {name: getattr(self, name) for name in FITTED}

    def __gazelearn_restore__(self, state: dict) -> None:
        n = state.get("n_features_in_")
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise InputError(f"the stored n_features_in_ must be a positive whole number, got "
                             f"{n!r}")
        n = int(n)
        fit = state.get("X_fit_")
        m = fit.shape[0] if isinstance(fit, np.ndarray) and fit.ndim == 2 else None
        # the shapes predict() multiplies together: a file's arrays must agree with them
        shapes = {"mean_": (n,), "scale_": (n,), "coef_": (n, 2), "intercept_": (2,),
                  "X_fit_": (m, n), "dual_coef_": (m, 2)}
        for name, shape in shapes.items():
            value = state.get(name)
            if value is None and name in ("X_fit_", "dual_coef_"):
                continue
            if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or \
                    value.shape != shape or not np.isfinite(value).all():
                raise InputError(f"the stored {name} must be a finite float array of shape "
                                 f"{shape}")
        if (state["X_fit_"] is None) != (state.get("dual_coef_") is None):
            raise InputError("the stored X_fit_ and dual_coef_ must be both present or absent")
        if not (state["scale_"] > 0).all():
            raise InputError("the stored scale_ holds values that are not positive")
        for name in FITTED:
            setattr(self, name, state.get(name))
        self.n_features_in_ = n

    def save(self, path: str | Path) -> Path:
        """Write the fitted regressor with :func:`gazelearn.learn.save_model`."""
        from gazelearn.webcam.model_files import save_mapper

        return save_mapper(self, path)

    @classmethod
    def load(cls, path: str | Path) -> LandmarkGazeRegressor:
        """Read a regressor written by :meth:`save` (or a legacy JSON one)."""
        from gazelearn.webcam.model_files import load_mapper

        model = load_mapper(path)
        if not isinstance(model, cls):
            raise InputError(f"holds a {type(model).__name__}, not a {cls.__name__}",
                             source=path)
        return model
