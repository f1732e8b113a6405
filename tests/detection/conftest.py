"""Fixtures shared by the deep detector's tests."""

import pytest

from gazelearn.detection.deep import DeepDetector
from gazelearn.simulate import simulate_population


@pytest.fixture(scope="module")
def gru_model():
    """A small tcn-gru (coarse BiGRU beside a 3-layer TCN, context features), barely trained."""
    data = simulate_population(n_subjects=3, recordings_per_subject=1, duration_s=6.0, seed=4)
    detector = DeepDetector(architecture="tcn-gru", features="context", depth=3, window_s=2.0,
                            conv_channels=8, hidden=6, epochs=1, seed=0, num_threads=1,
                            progress=False)
    return detector.fit(list(data), groups=data.column("subject"))
