import numpy as np
import pytest

from gazelearn import InputError
from gazelearn.detection.matching import event_scores, match_events
from gazelearn.labels import Label


def test_hand_counted_hits_misses_and_false_alarms():
    #            fix     sac  fix    sac     fix  sac fix
    truth = np.array([1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 1, 1])
    pred = np.array([1, 1, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1])
    saccade = match_events(truth, pred, Label.SACCADE)
    # first true saccade hit (pred overlaps at sample 3); second missed; pred at 9 false alarm
    assert (saccade.hits, saccade.misses, saccade.false_alarms) == (1, 1, 1)
    assert saccade.f1 == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))
    assert saccade.onset_offsets.tolist() == [1] and saccade.offset_offsets.tolist() == [0]


def test_one_predicted_event_matches_only_one_true_event():
    truth = np.array([2, 2, 1, 2, 2])
    pred = np.array([2, 2, 2, 2, 2])
    score = match_events(truth, pred, Label.SACCADE)
    assert (score.hits, score.misses, score.false_alarms) == (1, 1, 0)


def test_perfect_agreement_and_pooling():
    labels = np.array([1, 1, 2, 3, 1, 1, 4, 4, 5, 0])
    scores = event_scores(labels, labels)
    assert set(scores) == {"fixation", "saccade", "pso", "pursuit", "blink"}
    assert all(s.f1 == 1.0 for s in scores.values())
    pooled = scores["fixation"] + scores["fixation"]
    assert pooled.hits == 4 and pooled.as_dict(500.0)["onset_offset_mean_ms"] == 0.0


def test_length_mismatch_is_an_input_error():
    with pytest.raises(InputError, match="same recording"):
        match_events(np.ones(3), np.ones(4), Label.FIXATION)
