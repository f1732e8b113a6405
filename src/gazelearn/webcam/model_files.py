"""What is learned where: the gaze mappers of a calibration profile in gazelearn model files.

Every learned part of the webcam tracker is written by :func:`gazelearn.learn.save_model` (one
safetensors file, JSON config in its header, rebuilt only from the allow-list of registered
classes), never by hand-rolled JSON:

* a :class:`~gazelearn.webcam.LandmarkGazeRegressor` is itself the model file (its standardisation,
  ridge weights and kernel part as tensors), and so is an
  :class:`~gazelearn.webcam.EyeballGazeMapper` (screen and camera as parameters, kappa and gains
  and its optional ridge stage as tensors), and a
  :class:`~gazelearn.webcam.hybrid_mapper.HybridGazeMapper` (its geometry and each CNN's
  parameters and tensors nested in one file);
* a :class:`~gazelearn.webcam.crop_model.CropGazeModel` is its network's model file (a
  :class:`~gazelearn.appearance.GazeRegressor` with its batch-normalisation and affine
  calibration), with the crop settings (``eyes``, ``size``) as the file's ``preprocessing``.

A :class:`~gazelearn.webcam.CalibrationProfile` stays a small JSON file (screen, validation
report, meta) that names its mapper's model file beside it (:func:`mapper_path`).

This module imports :mod:`gazelearn.learn` (and so torch); it is imported when a mapper is written
or read, so ``import gazelearn.webcam`` stays light. It registers the landmark regressor in the
model-file allow-list (:mod:`gazelearn.learn.registry` names it as a lazy entry).

**Legacy files.** Before this format a regressor was saved as JSON
(``{"format": "gazelearn-landmark-gaze-regressor", "version": 1, "params", "fitted"}``, alone or
as the ``regressor`` entry of a version-1 profile). :func:`load_mapper` and
:func:`read_legacy_regressor` still read them, so profiles on users' disks (the server's
collection folders, ``gazelearn track --calibrate`` outputs) keep working; nothing writes them.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from gazelearn.webcam import LandmarkGazeRegressor
>>> X = np.random.default_rng(0).normal(size=(20, 3)); y = X[:, :2] * 100 + 500
>>> model = LandmarkGazeRegressor(kernel="rbf").fit(X, y)
>>> path = save_mapper(model, os.path.join(tempfile.mkdtemp(), "me.landmarks.safetensors"))
>>> bool((load_mapper(path).predict(X) == model.predict(X)).all())
True
>>> mapper_path(model, "profiles/me.json").as_posix()
'profiles/me.landmarks.safetensors'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from gazelearn.errors import InputError
from gazelearn.learn.modelfile import load_model, save_model
from gazelearn.learn.registry import register_class
from gazelearn.webcam.crop_model import CropGazeModel
from gazelearn.webcam.geometry_mapper import EyeballGazeMapper
from gazelearn.webcam.hybrid_mapper import HybridGazeMapper
from gazelearn.webcam.mapper import GazeMapper
from gazelearn.webcam.regressor import FITTED, LandmarkGazeRegressor

register_class(LandmarkGazeRegressor)
register_class(EyeballGazeMapper)
register_class(HybridGazeMapper)

#: ``format`` of the JSON regressors written before model files (read, never written)
LEGACY_REGRESSOR_FORMAT = "gazelearn-landmark-gaze-regressor"

# the model file's name beside a profile, by the mapper's inputs (``me.cnn.safetensors`` was
# the CNN's name before, so profiles keep it)
_TAGS = {"landmarks": "landmarks", "crops": "cnn", "landmarks+crops": "hybrid"}
# the crop settings a CNN's model file keeps as preprocessing
_CROP_SETTINGS = ("eyes", "size")


def mapper_path(mapper: GazeMapper, profile_path: str | Path) -> Path:
    """Where the model file of ``mapper`` goes for the profile at ``profile_path``."""
    profile_path = Path(profile_path)
    return profile_path.with_name(f"{profile_path.stem}.{_TAGS[mapper.inputs]}.safetensors")


def save_mapper(mapper: GazeMapper, path: str | Path) -> Path:
    """Write a fitted gaze mapper as a gazelearn model file (atomically).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        ``mapper`` is not fitted.
    """
    if isinstance(mapper, CropGazeModel):
        check_is_fitted(mapper, "model_")
        settings = {"eyes": mapper.eyes, "size": list(mapper._size)}
        return save_model(mapper.model_, path, preprocessing=settings)
    check_is_fitted(mapper)
    return save_model(mapper, path)


def load_mapper(path: str | Path, **settings: Any) -> GazeMapper:
    """The gaze mapper in the model file (or legacy JSON regressor) at ``path``.

    ``settings`` (``eyes``, ``size``) stand in for crop settings a CNN's file lacks: version-1
    profiles kept them in their JSON.

    Raises
    ------
    InputError
        Not a model file of a gaze mapper (the message names what it holds).
    """
    from gazelearn.appearance import GazeRegressor

    legacy = _legacy_json(Path(path))
    if legacy is not None:
        return read_legacy_regressor(legacy, source=path)
    model = load_model(path)
    if isinstance(model, LandmarkGazeRegressor | EyeballGazeMapper | HybridGazeMapper):
        return model
    if not isinstance(model, GazeRegressor):
        raise InputError(f"holds a {type(model).__name__}, not a gaze mapper", source=path)
    stored = {k: model.preprocessing_[k] for k in _CROP_SETTINGS if k in model.preprocessing_}
    mapper = CropGazeModel(**{**stored, **settings})
    mapper.model_ = model
    mapper.n_features_in_ = mapper.input_size
    return mapper


def _legacy_json(path: Path) -> dict | None:
    # a safetensors file starts with its header's length (binary), a legacy file with "{"
    if not path.is_file():
        return None
    with open(path, "rb") as handle:
        if handle.read(1) != b"{":
            return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None  # a header length whose first byte happens to be "{"
    return state if isinstance(state, dict) and state.get("format") == \
        LEGACY_REGRESSOR_FORMAT else None


def read_legacy_regressor(state: dict, source: Any = None) -> LandmarkGazeRegressor:
    """Rebuild a regressor from the legacy JSON layout (``LandmarkGazeRegressor.to_dict`` of
    gazelearn before model files): ``params`` and the ``fitted`` arrays as nested lists.

    Examples
    --------
    >>> state = {"format": "gazelearn-landmark-gaze-regressor", "version": 1,
    ...          "params": {"alpha": 1.0, "kernel": "linear"},
    ...          "fitted": {"n_features_in_": 1, "mean_": [0.0], "scale_": [1.0],
    ...                     "coef_": [[2.0, 0.0]], "intercept_": [10.0, 20.0],
    ...                     "X_fit_": None, "dual_coef_": None}}
    >>> read_legacy_regressor(state).predict([[3.0]]).tolist()
    [[16.0, 20.0]]
    """
    if not isinstance(state, dict) or state.get("format") != LEGACY_REGRESSOR_FORMAT:
        raise InputError(f"not a saved {LEGACY_REGRESSOR_FORMAT}", source=source)
    try:
        model = LandmarkGazeRegressor(**state.get("params", {}))
        fitted = state.get("fitted")
        if fitted:
            model.__gazelearn_restore__({
                name: fitted[name] if name == "n_features_in_" or fitted.get(name) is None
                else np.asarray(fitted[name], np.float64) for name in FITTED})
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"broken legacy regressor: {error}", source=source) from None
    return model
