"""Training-data augmentation of the deep detector (gazeNet's lesson: more labelled signals).

Zemblys, Niehorster & Holmqvist (2019) reached human-level agreement on Lund 2013 by training
on many altered copies of the hand-labelled recordings. :func:`augment_recording` makes one:
the recording at another sampling rate (250-1000 Hz, resampled before any feature is computed,
as a tracker at that rate would have recorded it) with white noise added in degrees (0-0.05
deg RMS per axis, from a tracker's precision range). The features are in degrees, so the
screen geometry (px vs deg) does not change them and needs no augmentation of its own.
:func:`simulated_recordings` adds signals of the oculomotor simulator (exact labels).

Examples
--------
>>> import numpy as np
>>> from gazelearn.simulate import simulate_recording
>>> rec = simulate_recording(2.0, 500.0, seed=1)
>>> copy = augment_recording(rec, np.random.default_rng(0))
>>> 250 <= round(copy.sampling_rate) <= 1000 and len(copy.labels) == len(copy)
True
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gazelearn.preprocess import resample
from gazelearn.recording import Recording

#: Sampling rates of the augmented copies (Hz).
RATES_HZ = (250.0, 300.0, 500.0, 1000.0)
#: Largest added noise, RMS per axis in degrees.
MAX_NOISE_DEG = 0.05


def augment_recording(recording: Recording, rng: np.random.Generator) -> Recording:
    """One altered copy of a labelled recording: another rate, more noise (see the module).

    The labels follow the resampling (nearest original sample); lost samples stay lost.
    """
    rate = float(rng.choice(RATES_HZ))
    copy = recording if abs(rate - recording.sampling_rate) < 1.0 else resample(recording, rate)
    noise = float(rng.uniform(0.0, MAX_NOISE_DEG))
    if noise > 0:
        x_deg, y_deg = copy.position_deg()
        x_deg = x_deg + rng.normal(0.0, noise, len(copy))
        y_deg = y_deg + rng.normal(0.0, noise, len(copy))
        x, y = copy.screen.deg_to_px(x_deg, y_deg)
        copy = replace(copy, x=np.asarray(x, dtype=np.float64), y=np.asarray(y, dtype=np.float64))
    return copy


def simulated_recordings(n: int, seed: int, duration_s: float = 20.0) -> list[Recording]:
    """``n`` simulator recordings of ``duration_s`` at 500 Hz, each of a distinct person."""
    if n <= 0:
        return []
    from gazelearn.simulate import simulate_population

    data = simulate_population(n_subjects=n, recordings_per_subject=1, duration_s=duration_s,
                               seed=10_000 + seed)
    return list(data)
