"""A small synthetic population shared by the biometrics tests (simulated once per session)."""

from __future__ import annotations

import functools

from gazelearn.simulate import simulate_population

N_PERSONS = 12


@functools.cache
def population():
    """12 simulated persons x 2 recordings ("sessions" 0 and 1) of 20 s at 100 Hz."""
    return simulate_population(n_subjects=N_PERSONS, recordings_per_subject=2, duration_s=20.0,
                               sampling_rate=100.0, seed=0)


def small_model(**options):
    from gazelearn.biometrics import EyeMovementEmbedder

    settings = dict(embedding_dim=16, epochs=12, persons_per_batch=8, windows_per_person=4,
                    architecture_options={"channels": (16, 32)}, lr=3e-3, num_threads=1,
                    progress=False, seed=0)
    settings.update(options)
    return EyeMovementEmbedder(**settings)
