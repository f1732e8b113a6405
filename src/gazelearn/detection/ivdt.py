"""I-VDT: velocity and dispersion thresholds, separating smooth pursuit from fixations."""

from __future__ import annotations

import numpy as np

from gazelearn.detection.base import Detector, positions_in_degrees
from gazelearn.detection.idt import dispersion_fixations
from gazelearn.detection.postprocess import label_lost_samples, remove_short_events
from gazelearn.detection.registry import register_detector
from gazelearn.events import label_runs
from gazelearn.labels import Label
from gazelearn.preprocess import velocity
from gazelearn.recording import Recording


@register_detector("ivdt")
class IVDT(Detector):
    """Pursuit-aware classification by velocity, then dispersion (I-VDT).

    Saccades are samples above ``saccade_threshold`` deg/s. In every stretch between saccades,
    I-DT finds fixations (dispersion under ``max_dispersion`` for at least ``min_fixation_s``);
    the remaining slow movement is smooth pursuit.

    Komogortsev, O. V. & Karpov, A. (2013). Automated classification and scoring of smooth
    pursuit eye movements in the presence of fixations and saccades. Behavior Research Methods,
    45(1), 203-215.

    Examples
    --------
    >>> from gazelearn.simulate import simulate_recording, SubjectParameters
    >>> rec = simulate_recording(20.0, 500.0, SubjectParameters(pursuit_probability=0.5), seed=2)
    >>> labels = IVDT().predict(rec)
    >>> truth = rec.labels == 4
    >>> float(np.mean(labels[truth] == 4)) > 0.5
    True
    """

    def __init__(self, saccade_threshold: float = 70.0, max_dispersion: float = 1.35,
                 min_fixation_s: float = 0.1, window_s: float = 0.02,
                 min_pursuit_s: float = 0.04) -> None:
        self.saccade_threshold = saccade_threshold
        self.max_dispersion = max_dispersion
        self.min_fixation_s = min_fixation_s
        self.window_s = window_s
        self.min_pursuit_s = min_pursuit_s

    def predict(self, recording: Recording) -> np.ndarray:
        x_deg, y_deg = positions_in_degrees(recording, "I-VDT")
        rate = recording.sampling_rate
        vx, vy = velocity(x_deg, y_deg, rate, self.window_s)
        speed = np.hypot(vx, vy)
        saccade = speed > self.saccade_threshold
        labels = np.where(saccade, Label.SACCADE, Label.PURSUIT).astype(np.int8)
        min_samples = max(int(round(self.min_fixation_s * rate)), 2)
        starts, stops, codes = label_runs(saccade.astype(np.int8))
        for start, stop in zip(starts[codes == 0], stops[codes == 0], strict=True):
            fixation = dispersion_fixations(x_deg[start:stop], y_deg[start:stop], min_samples,
                                            self.max_dispersion)
            labels[start:stop][fixation] = Label.FIXATION
        labels[np.isnan(speed)] = Label.UNDEFINED
        labels = label_lost_samples(labels, recording.valid, rate)
        min_pursuit = max(int(round(self.min_pursuit_s * rate)), 1)
        return remove_short_events(labels, Label.PURSUIT, min_pursuit, Label.FIXATION)
