"""Each detector says which event classes it can label, and labels no other."""

import numpy as np
import pytest

from gazelearn.demo.signal_steps import simulate_viewers
from gazelearn.detection import create_detector
from gazelearn.labels import LABELS


@pytest.fixture(scope="module")
def recordings():
    # viewers of both kinds: fixations, saccades, PSOs, pursuit and blinks, all in the truth
    data = list(simulate_viewers(1, 2, 6.0, seed=3))
    truth = set(np.unique(np.concatenate([r.labels for r in data])).tolist())
    assert {1, 2, 3, 4, 5} <= truth
    return data


@pytest.mark.parametrize("name, expected", [
    ("ivt", {"fixation", "saccade", "blink"}),
    ("idt", {"fixation", "saccade", "blink"}),
    ("ivdt", {"fixation", "saccade", "pursuit", "blink"}),
    ("nh", {"fixation", "saccade", "pso", "blink"}),
])
def test_classic_detectors_label_only_their_classes(recordings, name, expected):
    detector = create_detector(name)
    assert set(detector.output_classes) == expected
    found = {LABELS[c] for r in recordings for c in np.unique(detector.predict(r)) if c}
    # what it declares is what it does: fixations and saccades always, the rest when present
    assert found <= expected and {"fixation", "saccade"} <= found
    assert expected - {"blink"} <= found


def test_learned_detector_reports_its_trained_classes():
    deep = create_detector("deep")
    assert set(deep.output_classes) >= {"fixation", "saccade", "pso", "pursuit"}
    untrained = type(deep)()
    assert untrained.output_classes == LABELS[1:]  # not fitted: every class possible
