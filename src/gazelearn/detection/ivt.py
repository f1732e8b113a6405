"""I-VT: the velocity-threshold identification of fixations and saccades."""

from __future__ import annotations

from gazelearn.detection import kernels
from gazelearn.detection.base import Detector
from gazelearn.detection.registry import register_detector

_DEFAULTS = kernels.ivt.__kwdefaults__  # the function's defaults are the detector's


@register_detector("ivt")
class IVT(Detector):
    """Velocity-threshold identification (I-VT).

    Samples faster than ``threshold`` deg/s are saccade samples, the rest fixation samples;
    runs of lost samples become blinks (50-500 ms) or undefined. Fixations shorter than
    ``min_fixation_s`` between two saccade runs join them (one saccade, not two); other short
    fixations become undefined. The algorithm is :func:`gazelearn.detection.kernels.ivt`.

    Salvucci, D. D. & Goldberg, J. H. (2000). Identifying fixations and saccades in eye-tracking
    protocols. Proceedings of ETRA 2000, 71-78.

    Parameters
    ----------
    threshold : float
        Velocity threshold in deg/s (30 is the usual value for 250-1000 Hz trackers).
    window_s : float
        Savitzky-Golay window for the velocity.
    min_fixation_s : float
        Shorter fixations are relabelled undefined.

    Examples
    --------
    >>> import numpy as np
    >>> from gazelearn.simulate import simulate_recording
    >>> rec = simulate_recording(5.0, 500.0, seed=1)
    >>> labels = IVT().predict(rec)
    >>> float(np.mean(labels == rec.labels)) > 0.8
    True
    """

    _kernel = staticmethod(kernels.ivt)

    def __init__(self, threshold: float = _DEFAULTS["threshold"],
                 window_s: float = _DEFAULTS["window_s"],
                 min_fixation_s: float = _DEFAULTS["min_fixation_s"]) -> None:
        self.threshold = threshold
        self.window_s = window_s
        self.min_fixation_s = min_fixation_s
