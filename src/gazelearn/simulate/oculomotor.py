"""An oculomotor signal simulator with exact per-sample labels.

The signal is built in degrees of visual angle as a sequence of segments:

* **fixations** — gamma-distributed durations, slow drift (a random walk) and tremor;
* **saccades** — amplitude drawn per subject, duration from the main sequence
  ``D = d0 + slope * A`` (Carpenter 1988: about 2.2 ms/deg + 21 ms) and a minimum-jerk position
  profile, whose peak velocity ``1.875 A / D`` then follows the familiar saturating main sequence;
* **post-saccadic oscillations** — a damped oscillation after some saccades (Nyström & Holmqvist
  2010 describe PSOs of 10-40 ms);
* **smooth pursuit** — constant-velocity segments of 5-25 deg/s;
* **blinks** — lost samples (NaN) labelled ``blink``;
* **tracker noise and data loss** — white noise of a chosen RMS and short dropouts.

Each :class:`SubjectParameters` describes one simulated person, so populations of distinct people
can be generated (:func:`simulate_population`) for biometrics and pre-training.

Examples
--------
>>> rec = simulate_recording(duration_s=3.0, sampling_rate=250.0, seed=0)
>>> sorted(rec.label_shares())[:3]
['blink', 'fixation', 'pso']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from gazelearn.labels import Label
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

#: A typical lab set-up (a 24" 1920x1080 monitor at 60 cm).
DEFAULT_SCREEN = Screen(1920, 1080, 531.0, 299.0, 600.0)


@dataclass(frozen=True)
class SubjectParameters:
    """Oculomotor traits of one simulated person (all angles in degrees, times in seconds)."""

    fixation_mean_s: float = 0.25
    fixation_shape: float = 3.0
    saccade_amplitude_mean: float = 6.0
    saccade_duration_intercept_s: float = 0.021
    saccade_duration_slope_s: float = 0.0022
    pso_probability: float = 0.6
    pso_amplitude: float = 0.35
    pso_frequency_hz: float = 25.0
    pso_duration_s: float = 0.024
    drift_speed: float = 0.3
    tremor_rms: float = 0.01
    pursuit_probability: float = 0.1
    pursuit_speed: float = 12.0
    blink_rate_hz: float = 0.25
    noise_rms: float = 0.03
    dropout_rate_hz: float = 0.2

    def to_dict(self) -> dict:
        return asdict(self)


def random_subject(rng: np.random.Generator) -> SubjectParameters:
    """Draw one person's traits; different draws give reliably different people."""
    return SubjectParameters(
        fixation_mean_s=rng.uniform(0.18, 0.35),
        fixation_shape=rng.uniform(2.0, 5.0),
        saccade_amplitude_mean=rng.uniform(3.0, 10.0),
        saccade_duration_intercept_s=rng.uniform(0.017, 0.026),
        saccade_duration_slope_s=rng.uniform(0.0017, 0.0028),
        pso_probability=rng.uniform(0.3, 0.9),
        pso_amplitude=rng.uniform(0.15, 0.6),
        pso_frequency_hz=rng.uniform(18.0, 32.0),
        pso_duration_s=rng.uniform(0.016, 0.036),
        drift_speed=rng.uniform(0.1, 0.6),
        tremor_rms=rng.uniform(0.005, 0.02),
        pursuit_probability=rng.uniform(0.0, 0.2),
        pursuit_speed=rng.uniform(6.0, 20.0),
        blink_rate_hz=rng.uniform(0.1, 0.5),
        noise_rms=rng.uniform(0.015, 0.06),
        dropout_rate_hz=rng.uniform(0.0, 0.3),
    )


def _minimum_jerk(n: int) -> np.ndarray:
    """Normalised minimum-jerk position profile from 0 to 1 over ``n`` samples (excl. start)."""
    tau = np.arange(1, n + 1) / n
    return 10 * tau**3 - 15 * tau**4 + 6 * tau**5


def simulate_recording(
    duration_s: float = 10.0,
    sampling_rate: float = 500.0,
    subject: SubjectParameters | None = None,
    screen: Screen = DEFAULT_SCREEN,
    seed: int = 0,
    meta: Metadata | None = None,
) -> Recording:
    """Simulate one recording with exact per-sample labels.

    Parameters
    ----------
    duration_s : float
        Length of the recording.
    sampling_rate : float
        Samples per second (30 to 2000 Hz are sensible).
    subject : SubjectParameters, optional
        The person's traits; the defaults describe an average adult.
    screen : Screen
        Geometry used to convert degrees to pixels; gaze stays on the screen.
    seed : int
        Random seed; the same seed gives the same recording.
    meta : Metadata, optional
        Metadata to attach (``format`` is set to ``simulated``).

    Returns
    -------
    Recording
        Positions in px (NaN during blinks and dropouts) and labels.
    """
    rng = np.random.default_rng(seed)
    p = subject or SubjectParameters()
    n_total = max(int(round(duration_s * sampling_rate)), 1)
    dt = 1.0 / sampling_rate
    half_w, half_h = (0.45 * s for s in screen.size_deg)
    x_parts: list[np.ndarray] = []
    y_parts: list[np.ndarray] = []
    label_parts: list[np.ndarray] = []
    lost_parts: list[np.ndarray] = []
    position = np.array([rng.uniform(-half_w / 2, half_w / 2),
                         rng.uniform(-half_h / 2, half_h / 2)])
    n_done = 0

    def emit(xs, ys, label, lost=None):
        nonlocal n_done
        x_parts.append(np.asarray(xs, dtype=float))
        y_parts.append(np.asarray(ys, dtype=float))
        label_parts.append(np.full(len(xs), int(label), dtype=np.int8))
        lost_parts.append(np.zeros(len(xs), bool) if lost is None else lost)
        n_done += len(xs)

    while n_done < n_total:
        # fixation with drift (random walk) and tremor
        duration = rng.gamma(p.fixation_shape, p.fixation_mean_s / p.fixation_shape)
        n = max(int(duration * sampling_rate), 2)
        drift = np.cumsum(rng.normal(0, p.drift_speed * np.sqrt(dt), (n, 2)), axis=0)
        tremor = rng.normal(0, p.tremor_rms, (n, 2))
        fix = position + drift + tremor
        emit(fix[:, 0], fix[:, 1], Label.FIXATION)
        position = fix[-1] - tremor[-1]

        if rng.random() < p.blink_rate_hz * duration:
            n = max(int(rng.uniform(0.08, 0.2) * sampling_rate), 1)
            emit(np.full(n, position[0]), np.full(n, position[1]), Label.BLINK, np.ones(n, bool))

        if rng.random() < p.pursuit_probability:
            n = max(int(rng.uniform(0.3, 0.8) * sampling_rate), 2)
            angle = rng.uniform(0, 2 * np.pi)
            direction = np.array([np.cos(angle), np.sin(angle)])
            speed = p.pursuit_speed * rng.uniform(0.7, 1.3)
            path = position + np.outer(np.arange(1, n + 1) * dt * speed, direction)
            path += rng.normal(0, p.tremor_rms, (n, 2))
            path[:, 0] = np.clip(path[:, 0], -half_w, half_w)
            path[:, 1] = np.clip(path[:, 1], -half_h, half_h)
            emit(path[:, 0], path[:, 1], Label.PURSUIT)
            position = path[-1]
            continue

        # saccade to a new target on the screen
        amplitude = np.clip(rng.gamma(2.0, p.saccade_amplitude_mean / 2.0), 0.5, 30.0)
        for _ in range(20):
            angle = rng.uniform(0, 2 * np.pi)
            target = position + amplitude * np.array([np.cos(angle), np.sin(angle)])
            if abs(target[0]) <= half_w and abs(target[1]) <= half_h:
                break
        else:
            target = np.array([rng.uniform(-half_w, half_w), rng.uniform(-half_h, half_h)])
        amplitude = float(np.hypot(*(target - position)))
        duration = p.saccade_duration_intercept_s + p.saccade_duration_slope_s * amplitude
        n = max(int(round(duration * sampling_rate)), 1)
        profile = _minimum_jerk(n)[:, None]
        path = position + profile * (target - position)
        emit(path[:, 0], path[:, 1], Label.SACCADE)
        position = target

        if rng.random() < p.pso_probability:
            n = max(int(round(p.pso_duration_s * sampling_rate)), 1)
            t = np.arange(1, n + 1) * dt
            direction = (target - path[0]) / max(amplitude, 1e-9)
            wobble = p.pso_amplitude * np.sin(2 * np.pi * p.pso_frequency_hz * t) * np.exp(
                -t / (p.pso_duration_s / 3))
            pso = position + np.outer(wobble, direction)
            emit(pso[:, 0], pso[:, 1], Label.PSO)

    x_deg = np.concatenate(x_parts)[:n_total]
    y_deg = np.concatenate(y_parts)[:n_total]
    labels = np.concatenate(label_parts)[:n_total]
    lost = np.concatenate(lost_parts)[:n_total]
    x_deg = x_deg + rng.normal(0, p.noise_rms, n_total)
    y_deg = y_deg + rng.normal(0, p.noise_rms, n_total)
    # short tracker dropouts (labelled undefined: nobody can tell what the eye did)
    n_dropouts = rng.poisson(p.dropout_rate_hz * duration_s)
    for start in rng.integers(0, n_total, n_dropouts):
        stop = min(start + max(int(rng.uniform(0.004, 0.04) * sampling_rate), 1), n_total)
        if not lost[start:stop].any():
            lost[start:stop] = True
            labels[start:stop] = Label.UNDEFINED
    x_px, y_px = screen.deg_to_px(x_deg, y_deg)
    x_px[lost] = np.nan
    y_px[lost] = np.nan
    meta = meta or Metadata()
    meta.format = "simulated"
    meta.extra.setdefault("seed", seed)
    return Recording(np.arange(n_total) * dt, x_px, y_px, labels=labels, screen=screen, meta=meta)


def simulate_population(
    n_subjects: int = 5,
    recordings_per_subject: int = 2,
    duration_s: float = 10.0,
    sampling_rate: float = 500.0,
    screen: Screen = DEFAULT_SCREEN,
    seed: int = 0,
):
    """Simulate several distinct people, each with several recordings.

    Returns
    -------
    Dataset
        With metadata columns ``subject`` (``s00``, ``s01``, ...) and ``session``.

    Examples
    --------
    >>> data = simulate_population(n_subjects=3, recordings_per_subject=2, duration_s=1.0)
    >>> len(data), sorted(set(data.column("subject")))
    (6, ['s00', 's01', 's02'])
    """
    from gazelearn.dataset import Dataset

    rng = np.random.default_rng(seed)
    recordings = []
    for s in range(n_subjects):
        params = random_subject(rng)
        for r in range(recordings_per_subject):
            meta = Metadata(subject=f"s{s:02d}", session=str(r), trial=str(r))
            recordings.append(simulate_recording(duration_s, sampling_rate, params, screen,
                                                 seed=int(rng.integers(2**31)), meta=meta))
    return Dataset(recordings)
