"""The gaze mapper protocol: what turns one frame's face into a point on the screen.

A :class:`~gazelearn.webcam.CalibrationProfile` holds one :class:`GazeMapper`, and everything
that runs frames through it -- :meth:`gazelearn.webcam.Tracker.step` (``gazelearn track`` and the
browser app's live gaze), the calibration of ``gazelearn track --calibrate`` and of the browser
app -- asks the mapper for its input with :func:`frame_input` instead of assuming one. Two
mappers implement it:

* :class:`~gazelearn.webcam.LandmarkGazeRegressor` (``inputs = "landmarks"``): the 14
  :data:`~gazelearn.webcam.FEATURE_NAMES` of the face;
* :class:`~gazelearn.webcam.crop_model.CropGazeModel` (``inputs = "crops"``): the flattened
  grayscale eye crops.

Examples
--------
>>> import numpy as np
>>> from gazelearn.webcam import LandmarkGazeRegressor
>>> mapper = LandmarkGazeRegressor()
>>> isinstance(mapper, GazeMapper), mapper.inputs, mapper.input_size
(True, 'landmarks', 14)
>>> frame_input(mapper, None, np.zeros((8, 8, 3), np.uint8)).shape  # no face: a NaN row
(14,)
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from gazelearn.webcam.landmarks import FaceLandmarks


@runtime_checkable
class GazeMapper(Protocol):
    """A scikit-learn style regressor from per-frame input rows to screen px.

    Attributes
    ----------
    inputs : str
        What a row holds: ``"landmarks"`` (landmark features; calibration rejects outlier frames
        on them) or ``"crops"`` (eye-crop pixels).
    input_size : int
        Length of one row (known before :meth:`fit`: a frame without a face is a NaN row).
    """

    inputs: str

    @property
    def input_size(self) -> int: ...

    def frame_input(self, face: FaceLandmarks, frame: np.ndarray) -> np.ndarray:
        """The row of one frame whose face was found (1-D, float64, ``input_size`` long)."""
        ...

    def fit(self, X, y) -> GazeMapper:
        """Fit on ``(n, input_size)`` rows (NaN rows left out) and ``(n, 2)`` targets in px."""
        ...

    def predict(self, X) -> np.ndarray:
        """``(n, 2)`` screen px; NaN rows give NaN points."""
        ...


def frame_input(mapper: GazeMapper, face: FaceLandmarks | None, frame: np.ndarray
                ) -> np.ndarray:
    """The row ``mapper`` reads from one frame: :meth:`GazeMapper.frame_input`, or NaN without
    a face (a lost sample)."""
    if face is None:
        return np.full(mapper.input_size, np.nan)
    return np.asarray(mapper.frame_input(face, frame), dtype=np.float64)
