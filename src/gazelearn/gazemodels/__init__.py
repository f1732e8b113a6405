"""Gaze from eye images: CNN models, the ``GazeRegressor`` estimator and user calibration.

* :mod:`~gazelearn.gazemodels.models` -- the ETRA 2021 tutorial's CNN and a small residual CNN;
* :mod:`~gazelearn.gazemodels.estimator` -- :class:`GazeRegressor` (scikit-learn contract);
* :mod:`~gazelearn.gazemodels.calibration` -- per-measurement BN, stored BN profiles, affine;
* :mod:`~gazelearn.gazemodels.augment` -- brightness, contrast, shift, blur, noise;
* :mod:`~gazelearn.gazemodels.data` -- image folders, manifests, synthetic folders to arrays.

Examples
--------
>>> from gazelearn.gazemodels import GazeRegressor
>>> GazeRegressor("tutorial").get_params()["model"]
'tutorial'
"""

from gazelearn.gazemodels.augment import Augment
from gazelearn.gazemodels.calibration import (
    AffineCalibration,
    batch_statistics,
    bn_profile,
    use_bn_profile,
)
from gazelearn.gazemodels.data import GazeData, load_gaze_data
from gazelearn.gazemodels.estimator import GazeRegressor
from gazelearn.gazemodels.models import resnet_small, tutorial_cnn

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
