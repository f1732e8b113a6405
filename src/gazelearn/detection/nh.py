"""Adaptive velocity thresholds with glissade (PSO) detection (Nyström & Holmqvist 2010)."""

from __future__ import annotations

from gazelearn.detection import kernels
from gazelearn.detection.base import Detector
from gazelearn.detection.kernels import adaptive_thresholds  # noqa: F401 (its old home)
from gazelearn.detection.registry import register_detector

_DEFAULTS = kernels.nh.__kwdefaults__  # the function's defaults are the detector's


@register_detector("nh")
class NH(Detector):
    """Adaptive-threshold saccade detection with post-saccadic oscillations (glissades).

    Velocity and acceleration come from a Savitzky-Golay filter. The peak threshold adapts to the
    noise of each recording; saccades extend from the peak backwards and forwards to the local
    velocity minima below the onset and offset thresholds (the offset threshold mixes the onset
    threshold with the local noise before the saccade); a PSO is a velocity excursion above the
    offset threshold within ``min_fixation_s`` after a saccade. Samples with physiologically
    impossible velocity or acceleration are labelled undefined (noise). The algorithm is
    :func:`gazelearn.detection.kernels.nh`.

    Nyström, M. & Holmqvist, K. (2010). An adaptive algorithm for fixation, saccade, and glissade
    detection in eyetracking data. Behavior Research Methods, 42(1), 188-204.

    Parameters
    ----------
    min_saccade_s, min_fixation_s : float
        Minimum durations (10 ms and 40 ms in the paper).
    max_velocity, max_acceleration : float
        Noise limits in deg/s and deg/s^2.
    window_s : float
        Savitzky-Golay window.

    Examples
    --------
    >>> from gazelearn.simulate import simulate_recording
    >>> rec = simulate_recording(10.0, 500.0, seed=1)
    >>> labels = NH().predict(rec)
    >>> bool((labels == 2).any()) and bool((labels == 1).any())
    True
    """

    _kernel = staticmethod(kernels.nh)

    def __init__(self, min_saccade_s: float = _DEFAULTS["min_saccade_s"],
                 min_fixation_s: float = _DEFAULTS["min_fixation_s"],
                 max_velocity: float = _DEFAULTS["max_velocity"],
                 max_acceleration: float = _DEFAULTS["max_acceleration"],
                 window_s: float = _DEFAULTS["window_s"]) -> None:
        self.min_saccade_s = min_saccade_s
        self.min_fixation_s = min_fixation_s
        self.max_velocity = max_velocity
        self.max_acceleration = max_acceleration
        self.window_s = window_s
