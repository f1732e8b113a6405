"""The classic detection algorithms as plain functions: recording and parameters in, labels out.

Each function here is the one implementation of a classic detector; the scikit-learn estimators
(:class:`~gazelearn.detection.ivt.IVT`, ``IDT``, ``IVDT``, ``NH``) call it with their parameters,
and ``gazelearn events detect`` calls it directly. This module imports neither scikit-learn nor
scipy (about 1.5 s of CPU at start-up together), so the command starts in a fraction of that.

:data:`KERNELS` names the function of each classic method; the detector registry lists these
names (lazily: a class is imported only when asked for) and each class registers under the name
of its function. A function's keyword defaults are its detector's defaults.

Every function returns a :class:`Detected`: the per-sample labels and, when the function
computed it with the events' window (:data:`~gazelearn.events.EVENTS_WINDOW_S`) on finite
positions, the angular speed that :meth:`Events.from_labels <gazelearn.Events.from_labels>`
would compute again for the peak velocities (``None`` otherwise).

Examples
--------
>>> from gazelearn.simulate import simulate_recording
>>> rec = simulate_recording(5.0, 500.0, seed=1)
>>> found = KERNELS["ivt"](rec, threshold=30.0)
>>> len(found.labels) == len(rec), found.speed is not None
(True, True)
>>> sorted(detect("ivt", rec).counts())[:2]
['blink', 'fixation']
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from gazelearn.detection.postprocess import (
    PostProcessing,
    label_lost_samples,
    postprocess_labels,
    remove_short_events,
)
from gazelearn.errors import InputError
from gazelearn.events import EVENTS_WINDOW_S, Events, finite_or_lost, label_runs
from gazelearn.labels import Label
from gazelearn.preprocess import savgol_derivative, velocity
from gazelearn.recording import Recording


class Detected(NamedTuple):
    """What a detection function returns."""

    labels: np.ndarray
    """One ``int8`` label code per sample."""
    speed: np.ndarray | None
    """The events' speed in deg/s when computed on the way (see the module notes), else None."""

    def events(self, recording: Recording) -> Events:
        """The events table of ``recording`` with these labels (and this speed)."""
        return Events.from_labels(recording, self.labels, speed=self.speed)


def positions_in_degrees(recording: Recording, purpose: str) -> tuple[np.ndarray, np.ndarray]:
    """The recording's gaze in degrees, or a clear error naming the missing options."""
    if len(recording) < 2:
        raise InputError(f"{purpose} needs at least 2 samples, the recording has "
                         f"{len(recording)}", source=recording.meta.source)
    recording.require_screen(purpose)
    return recording.position_deg()


def _speed_reusable(recording: Recording, window_s: float) -> bool:
    """Whether a speed of ``window_s`` is exactly the one the events table would compute."""
    return window_s == EVENTS_WINDOW_S and finite_or_lost(recording)


# ---------------------------------------------------------------------------- I-VT
def ivt(recording: Recording, *, threshold: float = 30.0, window_s: float = 0.02,
        min_fixation_s: float = 0.04) -> Detected:
    """I-VT (Salvucci & Goldberg 2000); see :class:`~gazelearn.detection.ivt.IVT`.

    Examples
    --------
    >>> from gazelearn.simulate import simulate_recording
    >>> labels = ivt(simulate_recording(2.0, 500.0, seed=1)).labels
    >>> sorted(set(labels.tolist())) <= [0, 1, 2, 5]
    True
    """
    x_deg, y_deg = positions_in_degrees(recording, "I-VT")
    rate = recording.sampling_rate
    # velocity(), one axis at a time: each position dropped once differentiated (the peak
    # memory of `events detect` is here)
    vx = savgol_derivative(x_deg, rate, 1, window_s)
    del x_deg
    vy = savgol_derivative(y_deg, rate, 1, window_s)
    del y_deg
    if _speed_reusable(recording, window_s):  # the events table's speed: made once, here
        speed = np.hypot(vx, vy)
        del vx, vy
        compared, limit = speed, threshold
    else:  # squared speed against the squared threshold, in place: no square root
        speed, compared, limit = None, np.multiply(vx, vx, out=vx), threshold * threshold
        compared += np.multiply(vy, vy, out=vy)
        del vy
    labels = (compared > limit).astype(np.int8)
    labels += Label.FIXATION  # 1 fixation, 2 saccade (NaN compares False -> fixation)
    labels[np.isnan(compared)] = Label.UNDEFINED
    del compared
    labels = label_lost_samples(labels, recording.valid, rate)
    min_samples = max(int(round(min_fixation_s * rate)), 1)
    # a brief dip below the threshold inside a saccade belongs to the saccade; other too
    # short fixations are undefined
    labels = remove_short_events(labels, Label.FIXATION, min_samples, Label.SACCADE,
                                 between=Label.SACCADE)
    labels = remove_short_events(labels, Label.FIXATION, min_samples)
    return Detected(labels, speed)


# ---------------------------------------------------------------------------- I-DT
def dispersion_fixations(x: np.ndarray, y: np.ndarray, min_samples: int,
                         max_dispersion: float) -> np.ndarray:
    """Boolean mask of fixation samples by the I-DT rule.

    A window of ``min_samples`` whose dispersion ``(max x - min x) + (max y - min y)`` is at
    most ``max_dispersion`` starts a fixation, which grows while the dispersion stays under the
    threshold. Windows containing NaN never qualify. Window dispersions are computed for all
    start positions at once; the growth of each fixation is one vectorised running max/min.

    Examples
    --------
    >>> x = np.array([0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 5.1])
    >>> dispersion_fixations(x, np.zeros(7), 3, 0.5).astype(int).tolist()
    [1, 1, 1, 1, 1, 1, 1]
    >>> dispersion_fixations(x, np.zeros(7), 4, 0.5).astype(int).tolist()
    [0, 0, 0, 1, 1, 1, 1]
    """
    n = len(x)
    fixation = np.zeros(n, dtype=bool)
    if n < min_samples or min_samples < 1:
        return fixation
    windows_x = np.lib.stride_tricks.sliding_window_view(x, min_samples)
    windows_y = np.lib.stride_tricks.sliding_window_view(y, min_samples)
    with np.errstate(invalid="ignore"):
        dispersion = (windows_x.max(axis=1) - windows_x.min(axis=1)
                      + windows_y.max(axis=1) - windows_y.min(axis=1))
    candidates = np.flatnonzero(dispersion <= max_dispersion)  # NaN compares False
    position = 0
    cursor = 0
    while cursor < len(candidates):
        start = candidates[cursor]
        if start < position:
            cursor = np.searchsorted(candidates, position)
            continue
        length = _fixation_length(x[start:], y[start:], max_dispersion, 4 * min_samples)
        fixation[start:start + length] = True
        position = start + length
        cursor = np.searchsorted(candidates, position)
    return fixation


def _fixation_length(x: np.ndarray, y: np.ndarray, max_dispersion: float, chunk: int) -> int:
    """How many samples from the start stay within ``max_dispersion``.

    Looks ahead in doubling chunks, so a fixation costs time in proportion to its length, not
    to the rest of the recording.
    """
    while True:
        part_x, part_y = x[:chunk], y[:chunk]
        spread = (np.maximum.accumulate(part_x) - np.minimum.accumulate(part_x)
                  + np.maximum.accumulate(part_y) - np.minimum.accumulate(part_y))
        bad = ~(spread <= max_dispersion)  # True at the first NaN or over-threshold sample
        if bad.any():
            return int(np.argmax(bad))
        if chunk >= len(x):
            return len(x)
        chunk *= 2


def idt(recording: Recording, *, max_dispersion: float = 1.0,
        min_duration_s: float = 0.1) -> Detected:
    """I-DT (Salvucci & Goldberg 2000); see :class:`~gazelearn.detection.idt.IDT`."""
    x_deg, y_deg = positions_in_degrees(recording, "I-DT")
    rate = recording.sampling_rate
    min_samples = max(int(round(min_duration_s * rate)), 2)
    fixation = dispersion_fixations(x_deg, y_deg, min_samples, max_dispersion)
    labels = np.where(fixation, Label.FIXATION, Label.SACCADE).astype(np.int8)
    return Detected(label_lost_samples(labels, recording.valid, rate), None)


# ---------------------------------------------------------------------------- I-VDT
def ivdt(recording: Recording, *, saccade_threshold: float = 70.0,
         max_dispersion: float = 1.35, min_fixation_s: float = 0.1, window_s: float = 0.02,
         min_pursuit_s: float = 0.04) -> Detected:
    """I-VDT (Komogortsev & Karpov 2013); see :class:`~gazelearn.detection.ivdt.IVDT`."""
    x_deg, y_deg = positions_in_degrees(recording, "I-VDT")
    rate = recording.sampling_rate
    vx, vy = velocity(x_deg, y_deg, rate, window_s)
    speed = np.hypot(vx, vy)
    saccade = speed > saccade_threshold
    labels = np.where(saccade, Label.SACCADE, Label.PURSUIT).astype(np.int8)
    min_samples = max(int(round(min_fixation_s * rate)), 2)
    starts, stops, codes = label_runs(saccade.astype(np.int8))
    for start, stop in zip(starts[codes == 0], stops[codes == 0], strict=True):
        fixation = dispersion_fixations(x_deg[start:stop], y_deg[start:stop], min_samples,
                                        max_dispersion)
        labels[start:stop][fixation] = Label.FIXATION
    labels[np.isnan(speed)] = Label.UNDEFINED
    labels = label_lost_samples(labels, recording.valid, rate)
    min_pursuit = max(int(round(min_pursuit_s * rate)), 1)
    labels = remove_short_events(labels, Label.PURSUIT, min_pursuit, Label.FIXATION)
    return Detected(labels, speed if _speed_reusable(recording, window_s) else None)


# ---------------------------------------------------------------------------- NH
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


def nh(recording: Recording, *, min_saccade_s: float = 0.01, min_fixation_s: float = 0.04,
       max_velocity: float = 1000.0, max_acceleration: float = 100_000.0,
       window_s: float = 0.02) -> Detected:
    """Nyström & Holmqvist (2010); see :class:`~gazelearn.detection.nh.NH`."""
    x_deg, y_deg = positions_in_degrees(recording, "the NH detector")
    rate = recording.sampling_rate
    vx = savgol_derivative(x_deg, rate, 1, window_s)
    vy = savgol_derivative(y_deg, rate, 1, window_s)
    ax = savgol_derivative(x_deg, rate, 2, window_s)
    ay = savgol_derivative(y_deg, rate, 2, window_s)
    speed = np.hypot(vx, vy)
    noise = (speed > max_velocity) | (np.hypot(ax, ay) > max_acceleration)
    usable = np.where(noise, np.nan, speed)
    peak_threshold, onset_threshold = adaptive_thresholds(usable)
    labels = _nh_labels(usable, rate, peak_threshold, onset_threshold, min_fixation_s)
    labels[np.isnan(usable)] = Label.UNDEFINED
    labels = label_lost_samples(labels, recording.valid, rate)
    min_saccade = max(int(round(min_saccade_s * rate)), 1)
    labels = remove_short_events(labels, Label.SACCADE, min_saccade)
    min_fixation = max(int(round(min_fixation_s * rate)), 1)
    labels = remove_short_events(labels, Label.FIXATION, min_fixation)
    return Detected(labels, speed if _speed_reusable(recording, window_s) else None)


def _nh_labels(speed: np.ndarray, rate: float, peak_threshold: float, onset_threshold: float,
               min_fixation_s: float) -> np.ndarray:
    """Saccades grown from each velocity peak to the local minima, then their glissades."""
    n = len(speed)
    labels = np.full(n, Label.FIXATION, dtype=np.int8)
    v = np.nan_to_num(speed, nan=0.0)
    above = (v > peak_threshold).astype(np.int8)
    starts, stops, codes = label_runs(above)
    noise_window = max(int(round(0.04 * rate)), 1)
    pso_window = max(int(round(min_fixation_s * rate)), 1)
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


# ---------------------------------------------------------------------------- by name
#: The classic methods: name -> detection function (the detector registry lists these names).
KERNELS: dict[str, Callable[..., Detected]] = {"ivt": ivt, "idt": idt, "ivdt": ivdt, "nh": nh}
#: The event classes each classic method can label (names of :data:`gazelearn.labels.LABELS`;
#: lost data becomes blink in every method): a score of another class is not applicable
#: ("n/a" in reports), not 0. I-VT and I-DT know fixations and saccades only, I-VDT adds
#: smooth pursuit, NH post-saccadic oscillations.
OUTPUT_CLASSES: dict[str, tuple[str, ...]] = {
    "ivt": ("fixation", "saccade", "blink"),
    "idt": ("fixation", "saccade", "blink"),
    "ivdt": ("fixation", "saccade", "pursuit", "blink"),
    "nh": ("fixation", "saccade", "pso", "blink"),
}


def kernel(method: str, options: dict[str, Any] | None = None) -> Callable[..., Detected]:
    """The function of a classic ``method``, after checking that it takes ``options``.

    Raises
    ------
    InputError
        For an unknown method or an option the method does not take (the wording of
        :func:`~gazelearn.detection.create_detector`).

    Examples
    --------
    >>> kernel("ivt", {"threshold": 40.0}).__name__
    'ivt'
    >>> kernel("ivt", {"speed": 1})
    Traceback (most recent call last):
    ...
    gazelearn.errors.InputError: bad option for detector 'ivt': got an unexpected keyword ...
    """
    if method not in KERNELS:
        raise InputError(f"{method!r} is not a classic detection method; expected one of "
                         f"{', '.join(sorted(KERNELS))}")
    function = KERNELS[method]
    try:
        inspect.signature(function).bind(None, **(options or {}))
    except TypeError as error:
        raise InputError(f"bad option for detector {method!r}: {error}") from None
    return function


def run(function: Callable[..., Detected], recording: Recording, options: dict[str, Any],
        *, postprocess: PostProcessing | bool = True, stimulus: str | None = "auto"
        ) -> Detected:
    """A classic detection ``function`` with its ``options``, then the shared post-processing.

    ``postprocess`` and ``stimulus`` as in
    :func:`~gazelearn.detection.postprocess.postprocess_labels` (True: the default rules;
    False: the algorithm's labels as they are, pursuit still fixation on a static stimulus).

    Examples
    --------
    >>> from gazelearn.simulate import simulate_recording
    >>> rec = simulate_recording(5.0, 500.0, seed=1)
    >>> raw = run(ivt, rec, {}, postprocess=False).labels
    >>> bool((raw == ivt(rec).labels).all())
    True
    """
    found = function(recording, **options)
    labels = postprocess_labels(found.labels, recording, postprocess=postprocess,
                                stimulus=stimulus)
    return found if labels is found.labels else Detected(labels, found.speed)


def detect(method: str, recording: Recording, *, postprocess: PostProcessing | bool = True,
           stimulus: str | None = "auto", **options: Any) -> Events:
    """The events table of ``recording`` by the classic ``method`` with ``options``.

    The same as ``create_detector(method, **options).detect(recording)``, without importing
    scikit-learn.
    """
    return run(kernel(method, options), recording, options, postprocess=postprocess,
               stimulus=stimulus).events(recording)
