"""The CNN path of the webcam tracker: normalised eye crops -> a gaze CNN -> screen px.

:class:`CropGazeModel` is the other :class:`~gazelearn.webcam.mapper.GazeMapper` of a
:class:`~gazelearn.webcam.CalibrationProfile`, beside the
:class:`~gazelearn.webcam.LandmarkGazeRegressor`: the tracker asks it for one row per frame
(:meth:`~CropGazeModel.frame_input`: the flattened grayscale crops of the eyes, cut by
:func:`~gazelearn.webcam.crops.eye_crop`) and for screen points from those rows. Behind it is a
:class:`~gazelearn.appearance.GazeRegressor`, either

* trained on the person's own calibration frames (``CropGazeModel()``: a per-person CNN; with a
  100-dot measurement from the collection page this is as accurate as the landmark regressor on
  ``webcam-crops-dev``, see docs/results.md), or
* pre-trained on other people (``CropGazeModel(pretrained)``) and calibrated to the person with
  a stored batch-normalisation profile plus an affine correction from the calibration frames.

A profile keeps the network in a gazelearn model file next to its JSON (``NAME.cnn.safetensors``,
with the crop settings; see :mod:`gazelearn.webcam.model_files`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> rows = rng.uniform(0, 255, (12, 36 * 64)); targets = rng.uniform(0, 1000, (12, 2))
>>> model = CropGazeModel(epochs=1, screen_size=(1000, 1000)).fit(rows, targets)
>>> rows[3] = np.nan  # no face in that frame
>>> points = model.predict(rows)
>>> points.shape, bool(np.isnan(points[3]).all()), bool(np.isfinite(points[4]).all())
((12, 2), True, True)
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from gazelearn.errors import InputError
from gazelearn.webcam.crops import EYE_CROP_SIZE, eye_crop

EYE_CHOICES = ("left", "right", "both")


class CropGazeModel(RegressorMixin, BaseEstimator):
    """Gaze from normalised eye crops with a gaze CNN, fitted or calibrated per person.

    Parameters
    ----------
    pretrained : GazeRegressor, optional
        A network trained on other people, to calibrate (BN profile + affine) on a copy: fit
        leaves it as it is, and :func:`sklearn.base.clone` keeps it (it is an input, like a
        file, not state to learn again). Without it :meth:`fit` trains a new ``resnet`` on the
        calibration frames.
    eyes : {"left", "right", "both"}
        Which crops are the input; ``both`` stacks them as two channels.
    size : (width, height)
        Crop size (the default is what the gaze models are built for).
    epochs, seed, screen_size
        Training of a new network (``screen_size`` in px normalises the targets; by default
        the range of the calibration targets).

    Attributes
    ----------
    model_ : GazeRegressor
        The network trained (or the copy of ``pretrained`` calibrated) by :meth:`fit`.
    n_features_in_ : int
        Length of the rows fitted on (:attr:`input_size`).
    """

    #: what a frame's row holds (the :class:`~gazelearn.webcam.mapper.GazeMapper` protocol)
    inputs = "crops"

    def __init__(self, pretrained: Any = None, eyes: str = "left", size=EYE_CROP_SIZE,
                 epochs: int = 40, seed: int = 0,
                 screen_size: tuple[float, float] | None = None) -> None:
        self.pretrained = pretrained
        self.eyes = eyes
        self.size = size
        self.epochs = epochs
        self.seed = seed
        self.screen_size = screen_size

    def __sklearn_clone__(self) -> CropGazeModel:
        # the pre-trained network is an input that fit never changes, not learned state: a
        # clone shares it instead of getting an untrained network from its parameters
        params = {k: clone(v, safe=False) for k, v in self.get_params(deep=False).items()
                  if k != "pretrained"}
        return type(self)(pretrained=self.pretrained, **params)

    def _eye_names(self) -> tuple[str, ...]:
        if self.eyes not in EYE_CHOICES:
            raise InputError(f"eyes must be one of {', '.join(EYE_CHOICES)}, got "
                             f"{self.eyes!r}")
        return ("left", "right") if self.eyes == "both" else (self.eyes,)

    @property
    def _size(self) -> tuple[int, int]:
        return tuple(int(v) for v in self.size)

    @property
    def input_size(self) -> int:
        """Length of one frame's row: pixels of every crop."""
        width, height = self._size
        return len(self._eye_names()) * width * height

    def frame_input(self, face, frame) -> np.ndarray:
        """One frame's row: the grayscale crops of the chosen eyes, flattened."""
        crops = [eye_crop(frame, face, eye, self._size, gray=True) for eye in self._eye_names()]
        return np.stack(crops, axis=-1).astype(np.float64).ravel()

    def images(self, rows) -> np.ndarray:
        """Rows back to images ``(n, height, width)`` (``(n, height, width, 2)`` for both)."""
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.input_size:
            raise InputError(f"expected rows of {self.input_size} crop pixels, got "
                             f"{rows.shape}")
        width, height = self._size
        shape = (len(rows), height, width) + ((2,) if self.eyes == "both" else ())
        return rows.reshape(shape).astype(np.float32)

    def fit(self, X, y, groups=None) -> CropGazeModel:
        """Train a new network on the calibration rows ``X`` and their targets ``y`` (px), or
        calibrate a copy of the pre-trained one; ``groups`` is accepted and ignored."""
        from gazelearn.appearance import GazeRegressor

        self._eye_names()  # parameters first: a bad ``eyes`` is named before the data
        rows = np.asarray(X, dtype=np.float64)
        targets = np.asarray(y, dtype=np.float64)
        keep = np.isfinite(rows).all(axis=1)
        if keep.sum() < 4:
            raise InputError(f"the CNN path needs at least 4 calibration frames with a face, "
                             f"got {int(keep.sum())}")
        images, targets = self.images(rows[keep]), targets[keep]
        if self.pretrained is not None:
            model = copy.deepcopy(self.pretrained)
            model.calibrate(images, targets, bn=True, affine=True)
        else:
            size = self.screen_size or tuple(float(v) for v in np.ceil(targets.max(axis=0)))
            model = GazeRegressor("resnet", epochs=self.epochs, screen_size=size,
                                  seed=self.seed, num_threads=1, progress=False)
            model.fit(images, targets)
        self.model_ = model
        self.n_features_in_ = rows.shape[1]
        return self

    def predict(self, X) -> np.ndarray:
        """Screen px ``(n, 2)``; rows without a face (NaN) stay NaN."""
        check_is_fitted(self, "model_")
        rows = np.asarray(X, dtype=np.float64).reshape(-1, self.input_size)
        out = np.full((len(rows), 2), np.nan)
        keep = np.isfinite(rows).all(axis=1)
        if keep.any():
            out[keep] = self.model_.predict(self.images(rows[keep]))
        return out
