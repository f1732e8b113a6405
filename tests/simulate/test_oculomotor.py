import numpy as np
import pytest

from gazelearn import Events
from gazelearn.labels import Label
from gazelearn.simulate import (
    SubjectParameters,
    random_subject,
    simulate_population,
    simulate_recording,
)


def test_same_seed_same_recording_other_seed_other_recording():
    a = simulate_recording(2.0, 500.0, seed=7)
    b = simulate_recording(2.0, 500.0, seed=7)
    c = simulate_recording(2.0, 500.0, seed=8)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x, equal_nan=True)


@pytest.mark.parametrize("rate", [30.0, 60.0, 250.0, 1000.0, 2000.0])
def test_any_rate_gives_the_requested_length_and_rate(rate):
    rec = simulate_recording(3.0, rate, seed=1)
    assert len(rec) == int(3.0 * rate)
    assert rec.sampling_rate == pytest.approx(rate)


def test_blinks_are_lost_and_lost_samples_are_blink_or_undefined():
    rec = simulate_recording(60.0, 500.0, seed=2)
    blink = rec.labels == Label.BLINK
    assert blink.any()
    assert np.isnan(rec.x[blink]).all()
    lost_labels = set(np.unique(rec.labels[~rec.valid]).tolist())
    assert lost_labels <= {Label.BLINK, Label.UNDEFINED}


def test_saccades_follow_the_main_sequence():
    params = SubjectParameters(pso_probability=0.0, blink_rate_hz=0.0, dropout_rate_hz=0.0,
                               pursuit_probability=0.0, noise_rms=0.0)
    rec = simulate_recording(120.0, 1000.0, params, seed=3)
    saccades = Events.from_labels(rec).of_type("saccade").frame[:-1]  # the last may be cut
    amplitude = saccades["amplitude"].to_numpy()
    duration = saccades["duration"].to_numpy()
    expected = params.saccade_duration_intercept_s + params.saccade_duration_slope_s * amplitude
    # durations are rounded to whole samples, and amplitudes measured in px are slightly
    # different from the degrees the simulator planned in
    assert np.median(np.abs(duration - expected)) < 0.002
    slope = np.polyfit(amplitude, duration, 1)[0]
    assert slope == pytest.approx(params.saccade_duration_slope_s, rel=0.15)
    # peak velocity grows with amplitude (main sequence)
    peak = saccades["peak_velocity"].to_numpy()
    assert np.corrcoef(amplitude, peak)[0, 1] > 0.9


def test_fixations_are_slow_and_saccades_fast():
    from gazelearn.preprocess import speed_deg

    rec = simulate_recording(30.0, 500.0, seed=4)
    speed = speed_deg(rec)
    fixation = np.nanmedian(speed[rec.labels == Label.FIXATION])
    saccade = np.nanmedian(speed[rec.labels == Label.SACCADE])
    assert fixation < 10 < 60 < saccade


def test_population_has_distinct_people():
    data = simulate_population(n_subjects=4, recordings_per_subject=2, duration_s=1.0, seed=5)
    assert len(data) == 8
    assert data.column("subject").tolist()[:4] == ["s00", "s00", "s01", "s01"]
    rng = np.random.default_rng(0)
    assert random_subject(rng) != random_subject(rng)
