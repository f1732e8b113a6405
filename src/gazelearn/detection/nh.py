"""Adaptive velocity thresholds with glissade (PSO) detection (Nyström & Holmqvist 2010)."""

from __future__ import annotations

import numpy as np

from gazelearn.detection.base import Detector, positions_in_degrees
from gazelearn.detection.postprocess import label_lost_samples, remove_short_events
from gazelearn.detection.registry import register_detector
from gazelearn.events import label_runs
from gazelearn.labels import Label
from gazelearn.preprocess import savgol_derivative
from gazelearn.recording import Recording


def adaptive_thresholds(speed: np.ndarray, initial: float = 100.0, tolerance: float = 1.0,
                        max_iterations: int = 100) -> tuple[float, float]:
    """The data-driven peak and onset thresholds of Nyström & Holmqvist (2010).

    Iterate ``PT = mean(v[v < PT]) + 6 sd(v[v < PT])`` from ``initial`` until it moves less
    than ``tolerance`` deg/s; the saccade onset threshold is ``mean + 3 sd`` of the same samples.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> noise = np.abs(rng.normal(0, 10, 10_000))
    >>> peak, onset = adaptive_thresholds(np.concatenate([noise, np.full(100, 300.0)]))
    >>> 40 < peak < 60 and 20 < onset < 40
    True
    """
    values = speed[np.isfinite(speed)]
    if values.size == 0:
        return initial, initial / 2
    peak = initial
    below = values
    for _ in range(max_iterations):
        below = values[values < peak]
        if below.size < 2:
            break
        new_peak = below.mean() + 6 * below.std()
        if abs(new_peak - peak) < tolerance:
            peak = new_peak
            break
        peak = new_peak
    below = values[values < peak]
    onset = below.mean() + 3 * below.std() if below.size > 1 else peak / 2
    return float(peak), float(onset)


@register_detector("nh")
class NH(Detector):
    """Adaptive-threshold saccade detection with post-saccadic oscillations (glissades).

    Velocity and acceleration come from a Savitzky-Golay filter. The peak threshold adapts to the
    noise of each recording; saccades extend from the peak backwards and forwards to the local
    velocity minima below the onset and offset thresholds (the offset threshold mixes the onset
    threshold with the local noise before the saccade); a PSO is a velocity excursion above the
    offset threshold within ``min_fixation_s`` after a saccade. Samples with physiologically
    impossible velocity or acceleration are labelled undefined (noise).

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

    def __init__(self, min_saccade_s: float = 0.01, min_fixation_s: float = 0.04,
                 max_velocity: float = 1000.0, max_acceleration: float = 100_000.0,
                 window_s: float = 0.02) -> None:
        self.min_saccade_s = min_saccade_s
        self.min_fixation_s = min_fixation_s
        self.max_velocity = max_velocity
        self.max_acceleration = max_acceleration
        self.window_s = window_s

    def predict(self, recording: Recording) -> np.ndarray:
        x_deg, y_deg = positions_in_degrees(recording, "the NH detector")
        rate = recording.sampling_rate
        vx = savgol_derivative(x_deg, rate, 1, self.window_s)
        vy = savgol_derivative(y_deg, rate, 1, self.window_s)
        ax = savgol_derivative(x_deg, rate, 2, self.window_s)
        ay = savgol_derivative(y_deg, rate, 2, self.window_s)
        speed = np.hypot(vx, vy)
        noise = (speed > self.max_velocity) | (np.hypot(ax, ay) > self.max_acceleration)
        usable = np.where(noise, np.nan, speed)
        peak_threshold, onset_threshold = adaptive_thresholds(usable)
        labels = self._label(usable, rate, peak_threshold, onset_threshold)
        labels[np.isnan(usable)] = Label.UNDEFINED
        labels = label_lost_samples(labels, recording.valid, rate)
        min_saccade = max(int(round(self.min_saccade_s * rate)), 1)
        labels = remove_short_events(labels, Label.SACCADE, min_saccade)
        min_fixation = max(int(round(self.min_fixation_s * rate)), 1)
        return remove_short_events(labels, Label.FIXATION, min_fixation)

    def _label(self, speed: np.ndarray, rate: float, peak_threshold: float,
               onset_threshold: float) -> np.ndarray:
        n = len(speed)
        labels = np.full(n, Label.FIXATION, dtype=np.int8)
        v = np.nan_to_num(speed, nan=0.0)
        above = (v > peak_threshold).astype(np.int8)
        starts, stops, codes = label_runs(above)
        noise_window = max(int(round(0.04 * rate)), 1)
        pso_window = max(int(round(self.min_fixation_s * rate)), 1)
        # velocity is falling (backwards) / rising (forwards) -> keep walking to the minimum
        last_end = 0
        for start, stop in zip(starts[codes == 1], stops[codes == 1], strict=True):
            if start < last_end:
                continue  # this peak lies inside the previous saccade or its PSO
            onset = start
            while onset > last_end and (v[onset - 1] > onset_threshold or
                                        v[onset - 1] < v[onset]) and v[onset - 1] > 0:
                onset -= 1
                if v[onset] <= onset_threshold and onset > 0 and v[onset - 1] >= v[onset]:
                    break
            before = v[max(onset - noise_window, 0):onset]
            local_noise = before.mean() + 3 * before.std() if before.size > 1 else onset_threshold
            offset_threshold = 0.7 * onset_threshold + 0.3 * local_noise
            offset = stop
            while offset < n and v[offset] > offset_threshold:
                offset += 1
            while offset < n - 1 and v[offset + 1] < v[offset]:
                offset += 1
            labels[onset:offset] = Label.SACCADE
            # glissade: another excursion above the offset threshold shortly after
            window = v[offset:min(offset + pso_window, n)]
            excursions = np.flatnonzero(window > offset_threshold)
            end = offset
            if excursions.size:
                end = offset + int(excursions[-1]) + 1
                while end < n - 1 and v[end + 1] < v[end] and v[end] > onset_threshold / 2:
                    end += 1
                labels[offset:end] = Label.PSO
            last_end = max(offset, end)
        return labels
