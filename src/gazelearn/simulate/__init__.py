"""Synthetic data with exact ground truth: eye-movement signals (and, later, eye images).

Examples
--------
>>> from gazelearn.simulate import simulate_recording
>>> rec = simulate_recording(duration_s=2.0, sampling_rate=500.0, seed=1)
>>> len(rec), rec.sampling_rate
(1000, 500.0)
"""

from gazelearn.simulate.eyes import (
    EyeDataset,
    EyeSimulator,
    PersonParameters,
    SessionParameters,
    random_person,
    random_session,
    read_eye_dataset,
    simulate_eye_dataset,
    write_eye_dataset,
)
from gazelearn.simulate.oculomotor import (
    DEFAULT_SCREEN,
    SubjectParameters,
    random_subject,
    simulate_population,
    simulate_recording,
)

__all__ = [
    "DEFAULT_SCREEN",
    "EyeDataset",
    "EyeSimulator",
    "PersonParameters",
    "SessionParameters",
    "random_person",
    "random_session",
    "read_eye_dataset",
    "simulate_eye_dataset",
    "write_eye_dataset",
    "SubjectParameters",
    "random_subject",
    "simulate_population",
    "simulate_recording",
]
