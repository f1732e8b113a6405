"""Gaze from eye images: CNN models, the ``GazeRegressor`` estimator and user calibration.

* :mod:`~gazelearn.appearance.models` -- the ETRA 2021 tutorial's CNN and a small residual CNN;
* :mod:`~gazelearn.appearance.estimator` -- :class:`GazeRegressor` (scikit-learn contract);
* :mod:`~gazelearn.appearance.bn_calibration` -- per-measurement BN, stored BN profiles, affine;
* :mod:`~gazelearn.appearance.augment` -- brightness, contrast, shift, blur, noise;
* :mod:`~gazelearn.appearance.data` -- image folders, manifests, synthetic folders to arrays.

Examples
--------
>>> from gazelearn.appearance import GazeRegressor
>>> GazeRegressor("tutorial").get_params()["architecture"]
'tutorial'
"""

from gazelearn.appearance.augment import Augment
from gazelearn.appearance.bn_calibration import (
    AffineCalibration,
    batch_statistics,
    bn_profile,
    use_bn_profile,
)
from gazelearn.appearance.data import GazeData, load_gaze_data
from gazelearn.appearance.estimator import GazeRegressor
from gazelearn.appearance.models import resnet_small, tutorial_cnn

__all__ = [
    "AffineCalibration",
    "Augment",
    "GazeData",
    "GazeRegressor",
    "batch_statistics",
    "bn_profile",
    "load_gaze_data",
    "resnet_small",
    "tutorial_cnn",
    "use_bn_profile",
]
