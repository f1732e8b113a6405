"""I-VDT: velocity and dispersion thresholds, separating smooth pursuit from fixations."""

from __future__ import annotations

from gazelearn.detection import kernels
from gazelearn.detection.base import Detector
from gazelearn.detection.registry import register_detector

_DEFAULTS = kernels.ivdt.__kwdefaults__  # the function's defaults are the detector's


@register_detector("ivdt")
class IVDT(Detector):
    """Pursuit-aware classification by velocity, then dispersion (I-VDT).

    Saccades are samples above ``saccade_threshold`` deg/s. In every stretch between saccades,
    I-DT finds fixations (dispersion under ``max_dispersion`` for at least ``min_fixation_s``);
    the remaining slow movement is smooth pursuit. The algorithm is
    :func:`gazelearn.detection.kernels.ivdt`.

    Komogortsev, O. V. & Karpov, A. (2013). Automated classification and scoring of smooth
    pursuit eye movements in the presence of fixations and saccades. Behavior Research Methods,
    45(1), 203-215.

    Examples
    --------
    >>> import numpy as np
    >>> from gazelearn.simulate import simulate_recording, SubjectParameters
    >>> rec = simulate_recording(20.0, 500.0, SubjectParameters(pursuit_probability=0.5), seed=2)
    >>> labels = IVDT().predict(rec)
    >>> truth = rec.labels == 4
    >>> float(np.mean(labels[truth] == 4)) > 0.5
    True
    """

    _kernel = staticmethod(kernels.ivdt)

    def __init__(self, saccade_threshold: float = _DEFAULTS["saccade_threshold"],
                 max_dispersion: float = _DEFAULTS["max_dispersion"],
                 min_fixation_s: float = _DEFAULTS["min_fixation_s"],
                 window_s: float = _DEFAULTS["window_s"],
                 min_pursuit_s: float = _DEFAULTS["min_pursuit_s"]) -> None:
        self.saccade_threshold = saccade_threshold
        self.max_dispersion = max_dispersion
        self.min_fixation_s = min_fixation_s
        self.window_s = window_s
        self.min_pursuit_s = min_pursuit_s
