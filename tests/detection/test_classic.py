"""Classic detectors on signals whose events are known exactly."""

import numpy as np
import pytest

from gazelearn import InputError, Recording, Screen
from gazelearn.detection import available_detectors, create_detector
from gazelearn.detection.idt import dispersion_fixations
from gazelearn.detection.nh import adaptive_thresholds
from gazelearn.detection.postprocess import (
    label_lost_samples,
    merge_close_fixations,
    remove_short_events,
)
from gazelearn.labels import Label
from gazelearn.simulate import SubjectParameters, simulate_recording

SCREEN = Screen(1024, 768, 380.0, 300.0, 670.0)
RATE = 500.0


def step_recording(noise=0.0, seed=0):
    """Fixation 200 ms, 10-deg saccade over 30 ms (smooth), fixation 200 ms; in pixels."""
    rng = np.random.default_rng(seed)
    profile = np.linspace(0, 1, 16)[1:]
    profile = 10 * profile**3 - 15 * profile**4 + 6 * profile**5
    x_deg = np.concatenate([np.full(100, -5.0), -5.0 + 10.0 * profile, np.full(100, 5.0)])
    x_deg = x_deg + rng.normal(0, noise, len(x_deg))
    x, y = SCREEN.deg_to_px(x_deg, np.zeros_like(x_deg))
    truth = np.array([1] * 100 + [2] * 15 + [1] * 100)
    return Recording(np.arange(len(x)) / RATE, x, y, labels=truth, screen=SCREEN)


def test_registry_has_the_classic_detectors():
    assert {"ivt", "idt", "nh", "ivdt"} <= set(available_detectors())
    with pytest.raises(InputError, match="unknown detection method 'foo'"):
        create_detector("foo")
    with pytest.raises(InputError, match="bad option"):
        create_detector("ivt", nonsense=1)


@pytest.mark.parametrize("method", ["ivt", "nh", "ivdt"])
def test_velocity_detectors_find_the_one_saccade(method):
    rec = step_recording(noise=0.01)
    events = create_detector(method).detect(rec)
    saccades = events.of_type("saccade").frame
    assert saccades.height == 1
    # onset and offset within 5 samples (10 ms) of the truth: the 11-sample velocity filter
    # smears the edges, and NH walks back to the local velocity minimum
    assert abs(saccades["onset_index"][0] - 100) <= 5
    assert abs(saccades["offset_index"][0] - 115) <= 5
    assert saccades["amplitude"][0] == pytest.approx(10.0, abs=0.5)
    assert events.of_type("fixation").frame.height == 2


def test_idt_finds_the_two_fixations():
    rec = step_recording(noise=0.01)
    fixations = create_detector("idt").detect(rec).of_type("fixation").frame
    assert fixations.height == 2
    assert fixations["mean_x"][0] < 512 < fixations["mean_x"][1]


def test_dispersion_rule_by_hand():
    x = np.array([0, 0.1, 0.2, 0.1, 5, 5.1, 5.0, 5.2, np.nan, 5.1])
    mask = dispersion_fixations(x, np.zeros(10), min_samples=3, max_dispersion=0.5)
    assert mask.tolist() == [True] * 4 + [True] * 4 + [False, False]


def test_ivt_threshold_is_respected():
    rec = step_recording()
    strict = create_detector("ivt", threshold=1e6).predict(rec)
    assert not (strict == Label.SACCADE).any()


def test_lost_samples_become_blink_or_undefined():
    labels = np.ones(300, dtype=np.int8)
    valid = np.ones(300, dtype=bool)
    valid[10:15] = False  # 10 ms: noise
    valid[100:200] = False  # 200 ms: blink
    out = label_lost_samples(labels, valid, RATE)
    assert set(out[10:15]) == {Label.UNDEFINED} and set(out[100:200]) == {Label.BLINK}
    assert out[50] == Label.FIXATION


def test_short_events_and_merging():
    labels = np.array([1, 1, 1, 2, 1, 1, 1], dtype=np.int8)
    assert remove_short_events(labels, 2, 2).tolist() == [1, 1, 1, 0, 1, 1, 1]
    x = np.array([0, 0, 0, 0.2, 0.1, 0.1, 0.1])
    merged = merge_close_fixations(labels, x, np.zeros(7), max_gap_samples=1, max_distance=0.5)
    assert merged.tolist() == [1] * 7
    far = merge_close_fixations(labels, x * 100, np.zeros(7), 1, 0.5)
    assert far.tolist() == labels.tolist()


def test_adaptive_threshold_follows_the_noise():
    rng = np.random.default_rng(1)
    quiet, _ = adaptive_thresholds(np.abs(rng.normal(0, 5, 5000)))
    noisy, _ = adaptive_thresholds(np.abs(rng.normal(0, 20, 5000)))
    assert noisy > 3 * quiet


def test_pursuit_aware_detector_finds_pursuit_ivt_does_not():
    # 20 deg/s pursuit leaves the 1.35-deg dispersion window within 70 ms, shorter than the
    # 100 ms minimum fixation, so I-VDT can tell it from a fixation
    params = SubjectParameters(pursuit_probability=0.6, pursuit_speed=20.0, blink_rate_hz=0,
                               dropout_rate_hz=0)
    rec = simulate_recording(30.0, RATE, params, seed=5)
    truth = rec.labels == Label.PURSUIT
    ivdt = create_detector("ivdt").predict(rec)
    ivt = create_detector("ivt").predict(rec)
    assert np.mean(ivdt[truth] == Label.PURSUIT) > 0.5
    assert not (ivt == Label.PURSUIT).any()


@pytest.mark.parametrize("method", ["ivt", "idt", "nh", "ivdt"])
def test_pixels_without_screen_is_a_clear_error(method):
    rec = step_recording()
    rec.screen = None
    with pytest.raises(InputError, match=r"screen=Screen\("):
        create_detector(method).predict(rec)


@pytest.mark.parametrize("method", ["ivt", "idt", "nh", "ivdt"])
@pytest.mark.parametrize("rate", [30.0, 2000.0])
def test_any_rate_gives_one_label_per_sample(method, rate):
    rec = simulate_recording(3.0, rate, seed=2)
    labels = create_detector(method).predict(rec)
    assert labels.shape == (len(rec),) and labels.dtype == np.int8


@pytest.mark.parametrize("method", ["ivt", "idt", "nh", "ivdt"])
def test_all_nan_recording_is_all_undefined(method):
    # 2 s of loss is looking away, not a blink
    rec = Recording(np.arange(1000) / RATE, np.full(1000, np.nan), np.full(1000, np.nan),
                    screen=SCREEN)
    labels = create_detector(method).predict(rec)
    assert set(labels.tolist()) == {Label.UNDEFINED}
