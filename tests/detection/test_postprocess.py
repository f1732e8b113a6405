"""The post-processing every detector shares (issue 15): minimum durations, merging, blinks,
edges and the stimulus rule, on label sequences whose answer is known by hand."""

from dataclasses import replace

import numpy as np
import pytest

from gazelearn import InputError, Recording, Screen
from gazelearn.detection import create_detector, kernels
from gazelearn.detection.postprocess import (
    DEFAULT_POSTPROCESSING,
    STIMULUS_KEY,
    PostProcessing,
    postprocess_labels,
    resolve_stimulus,
)
from gazelearn.events import label_runs
from gazelearn.labels import Label
from gazelearn.simulate import SubjectParameters, simulate_recording

SCREEN = Screen(1024, 768, 380.0, 300.0, 670.0)
F, S, P, SP, B, U = (Label.FIXATION, Label.SACCADE, Label.PSO, Label.PURSUIT, Label.BLINK,
                     Label.UNDEFINED)


def still(n, rate=500.0, noise=0.0, seed=0, lost=None):
    """A fixation of ``n`` samples at the screen centre (optionally noisy, with lost samples)."""
    rng = np.random.default_rng(seed)
    x, y = SCREEN.deg_to_px(rng.normal(0, noise, n), rng.normal(0, noise, n))
    if lost is not None:
        x[lost], y[lost] = np.nan, np.nan
    return Recording(np.arange(n) / rate, x, y, screen=SCREEN)


def runs(labels):
    starts, stops, codes = label_runs(labels)
    return [(int(c), int(b - a)) for a, b, c in zip(starts, stops, codes, strict=True)]


def seq(*parts):
    return np.concatenate([np.full(n, code, dtype=np.int8) for code, n in parts])


def test_short_events_merge_into_the_neighbours_they_split():
    rec = still(300)
    # a 10-ms pursuit inside a fixation, and a 2-ms fixation inside a saccade
    labels = seq((F, 100), (SP, 5), (F, 95), (S, 10), (F, 1), (S, 9), (F, 80))
    assert runs(DEFAULT_POSTPROCESSING.apply(labels, rec)) == [(F, 200), (S, 20), (F, 80)]


def test_a_short_event_between_two_classes_joins_the_longer():
    rec = still(300)
    labels = seq((F, 150), (SP, 10), (S, 2), (F, 138))  # 20-ms pursuit, 4-ms saccade
    out = DEFAULT_POSTPROCESSING.apply(labels, rec)
    # the pursuit joins the 150-sample fixation, then the saccade (too short) the fixation
    assert runs(out) == [(F, 300)]
    # with the minimums off nothing changes
    off = PostProcessing(min_fixation_s=0, min_saccade_s=0, min_pso_s=0, min_pursuit_s=0)
    assert runs(off.apply(labels, rec)) == runs(labels)


def test_minimums_are_durations_at_the_recordings_rate():
    labels = seq((F, 100), (S, 2), (F, 100))
    # 2 samples: 4 ms at 500 Hz (under 8 ms: merged), 8 ms at 250 Hz (kept)
    assert runs(DEFAULT_POSTPROCESSING.apply(labels, still(202, 500.0))) == [(F, 202)]
    assert runs(DEFAULT_POSTPROCESSING.apply(labels, still(202, 250.0))) == runs(labels)


def test_a_pso_follows_a_saccade_or_is_none():
    rec = still(300)
    labels = seq((F, 100), (S, 10), (P, 10), (F, 80), (P, 10), (F, 90))
    assert runs(DEFAULT_POSTPROCESSING.apply(labels, rec)) == [(F, 100), (S, 10), (P, 10),
                                                               (F, 180)]


def test_gaps_of_one_or_two_samples_join_events_of_one_class():
    rec = still(203)
    labels = seq((SP, 100), (U, 2), (SP, 101))
    assert runs(DEFAULT_POSTPROCESSING.apply(labels, rec)) == [(SP, 203)]
    wide = seq((SP, 100), (U, 3), (SP, 100))  # 6 ms: more than the 4-ms gap
    assert runs(DEFAULT_POSTPROCESSING.apply(wide, still(203))) == runs(wide)


def test_a_blink_needs_lost_data():
    labels = seq((F, 100), (B, 92), (F, 108))  # a 184-ms "blink" in a recording with no loss
    assert runs(DEFAULT_POSTPROCESSING.apply(labels, still(300))) == [(F, 300)]
    lost = still(300, lost=slice(110, 180))  # with lost samples inside, the blink stays
    assert runs(DEFAULT_POSTPROCESSING.apply(labels, lost)) == runs(labels)


def test_lost_samples_are_blink_or_undefined_whatever_the_detector_said():
    rec = still(300, lost=slice(100, 150))  # 100 ms lost
    out = DEFAULT_POSTPROCESSING.apply(np.full(300, F, dtype=np.int8), rec)
    assert runs(out) == [(F, 100), (B, 50), (F, 150)]


def test_saccades_from_the_filters_edges_are_removed():
    rec = still(200, lost=slice(100, 104))
    # saccades in the first 5 and the last 6 samples, and one of 10 samples beside lost data
    labels = seq((S, 5), (F, 85), (S, 10), (U, 4), (F, 90), (S, 6))
    out = PostProcessing(min_saccade_s=0).apply(labels, rec)
    assert Label.SACCADE not in out
    # beyond edge_s from the edges a saccade stays
    labels = seq((F, 40), (S, 10), (F, 150))
    assert runs(PostProcessing(min_saccade_s=0).apply(labels, still(200))) == runs(labels)


@pytest.mark.parametrize("rate", [500.0, 1000.0])
def test_nh_reports_no_saccade_in_a_pure_fixation_signal(rate):
    # the case: NH's edge saccades of a few deg/s at the first and last samples
    rec = still(int(2 * rate), rate, noise=0.01, seed=0)
    raw = create_detector("nh").predict(rec, postprocess=False)
    assert Label.SACCADE in raw  # the algorithm alone does report them
    events = create_detector("nh").detect(rec)
    assert events.counts() == {"fixation": 1}


def test_the_stimulus_decides_whether_pursuit_is_possible():
    rec = simulate_recording(8.0, 500.0, SubjectParameters(pursuit_probability=0.5), seed=4)
    ivdt = create_detector("ivdt")
    assert Label.PURSUIT in ivdt.predict(rec)
    static = ivdt.predict(rec, stimulus="static")
    assert Label.PURSUIT not in static
    # auto reads the recording's metadata
    rec.meta.extra[STIMULUS_KEY] = "static"
    np.testing.assert_array_equal(ivdt.predict(rec), static)
    assert Label.PURSUIT in ivdt.predict(rec, stimulus="dynamic")
    # without post-processing the stimulus rule still holds
    assert Label.PURSUIT not in ivdt.predict(rec, postprocess=False)


def test_every_classic_detector_applies_the_same_rules():
    rec = simulate_recording(6.0, 500.0, SubjectParameters(pursuit_probability=0.3), seed=2)
    rules = PostProcessing(min_fixation_s=0.08)
    for method, function in kernels.KERNELS.items():
        raw = function(rec).labels
        np.testing.assert_array_equal(create_detector(method).predict(rec, postprocess=rules),
                                      rules.apply(raw, rec))
        out = create_detector(method).predict(rec, postprocess=rules)
        short = [n for code, n in runs(out) if code == F and n < 40]
        assert short == [], method


def test_bad_values_are_input_errors():
    rec = still(10)
    with pytest.raises(InputError, match="static, dynamic or auto"):
        resolve_stimulus(rec, "moving")
    rec.meta.extra[STIMULUS_KEY] = "video"
    with pytest.raises(InputError, match="stimulus_kind"):
        resolve_stimulus(rec)
    with pytest.raises(InputError, match="labels for"):
        DEFAULT_POSTPROCESSING.apply(np.ones(3, dtype=np.int8), still(10))
    with pytest.raises(InputError, match="postprocess must be"):
        postprocess_labels(np.ones(10, dtype=np.int8), still(10), postprocess="yes")


def test_input_labels_are_not_changed_and_all_lost_stays_undefined():
    labels = seq((F, 100), (SP, 5), (F, 95))
    before = labels.copy()
    DEFAULT_POSTPROCESSING.apply(labels, still(200))
    np.testing.assert_array_equal(labels, before)
    for n, expected in ((10, U), (200, B), (400, U)):  # 20, 400, 800 ms all lost
        lost = replace(still(n), x=np.full(n, np.nan), y=np.full(n, np.nan))
        out = DEFAULT_POSTPROCESSING.apply(np.full(n, F, dtype=np.int8), lost)
        assert set(out.tolist()) == {expected}
