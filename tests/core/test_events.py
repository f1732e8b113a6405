import numpy as np
import polars as pl
import pytest

from gazelearn import Events, InputError, Recording, Screen
from gazelearn.events import label_runs

LUND = Screen(1024, 768, 380.0, 300.0, 670.0)


def test_label_runs():
    starts, stops, codes = label_runs(np.array([1, 1, 2, 2, 2, 0, 1]))
    assert starts.tolist() == [0, 2, 5, 6]
    assert stops.tolist() == [2, 5, 6, 7]
    assert codes.tolist() == [1, 2, 0, 1]


def test_samples_to_events_and_back_is_exact(rng):
    n = 400
    labels = np.repeat(rng.integers(0, 6, 40), 10)
    rec = Recording(np.arange(n) / 500.0, rng.uniform(0, 1024, n), rng.uniform(0, 768, n),
                    labels=labels, screen=LUND)
    events = Events.from_labels(rec)
    np.testing.assert_array_equal(events.to_labels(rec.time), labels)
    assert (events.frame["type"] != "undefined").all()


def test_event_measures_known_saccade():
    # a saccade moving 100 px right in 10 samples at 500 Hz, between two fixations
    rate = 500.0
    x = np.concatenate([np.full(20, 412.0), np.linspace(412.0, 512.0, 11)[1:], np.full(20, 512.0)])
    labels = np.array([1] * 20 + [2] * 10 + [1] * 20)
    rec = Recording(np.arange(50) / rate, x, np.full(50, 384.0), labels=labels, screen=LUND)
    events = Events.from_labels(rec)
    saccade = events.of_type("saccade").frame.row(0, named=True)
    assert saccade["onset"] == pytest.approx(20 / rate)
    assert saccade["duration"] == pytest.approx(10 / rate)
    expected_amplitude = float(LUND.angular_distance(422.0, 384.0, 512.0, 384.0))
    assert saccade["amplitude"] == pytest.approx(expected_amplitude)
    # 10 px per sample = 5000 px/s; near the centre about 5000 / 31.5 deg/s
    assert 120 < saccade["peak_velocity"] < 175
    first = events.frame.row(0, named=True)
    assert first["mean_x"] == pytest.approx(412.0) and first["amplitude"] == pytest.approx(0.0)


def test_measures_ignore_positions_that_are_not_finite():
    # the known saccade above, with an inf sample in each fixation and at the saccade's start
    rate = 500.0
    ramp = np.linspace(412.0, 512.0, 11)[1:]
    x = np.concatenate([np.full(20, 412.0), ramp, np.full(20, 512.0)])
    y = np.full(50, 384.0)
    labels = np.array([1] * 20 + [2] * 10 + [1] * 20)
    x[5], y[20], x[49] = np.inf, -np.inf, np.inf

    def events(x, y):
        rec = Recording(np.arange(50) / rate, x, y, labels=labels, screen=LUND)
        return Events.from_labels(rec).frame

    frame = events(x, y)
    for column in ("mean_x", "mean_y", "amplitude", "peak_velocity"):
        assert np.isfinite(frame[column].to_numpy()).all(), column
    assert frame["mean_x"].to_list() == pytest.approx([412.0, np.mean(ramp[1:]), 512.0])
    assert frame["mean_y"].to_list() == pytest.approx([384.0] * 3)
    # from the first finite saccade sample (x 432) to the last; fixations do not move
    assert frame["amplitude"].to_list() == pytest.approx(
        [0.0, float(LUND.angular_distance(432.0, 384.0, 512.0, 384.0)), 0.0])
    assert 120 < frame["peak_velocity"][1] < 175
    # an inf sample is exactly a lost sample
    lost = events(np.where(np.isinf(x), np.nan, x), np.where(np.isinf(y), np.nan, y))
    assert frame.equals(lost)


def test_measures_without_screen_are_nan_not_wrong():
    rec = Recording(np.arange(4) / 100.0, np.zeros(4), np.zeros(4), labels=[1, 1, 2, 2])
    frame = Events.from_labels(rec).frame
    assert frame["amplitude"].is_nan().all() and frame["peak_velocity"].is_nan().all()


def test_events_table_validation():
    with pytest.raises(InputError, match="'offset'"):
        Events(pl.DataFrame({"type": ["fixation"], "onset": [0.0]}))
    with pytest.raises(InputError, match="unknown event label 'blinkk'"):
        Events(pl.DataFrame({"type": ["blinkk"], "onset": [0.0], "offset": [1.0]}))
    with pytest.raises(InputError, match="ends before"):
        Events(pl.DataFrame({"type": ["fixation"], "onset": [1.0], "offset": [0.5]}))
    events = Events(pl.DataFrame({"type": ["fixation"], "onset": [0.0], "offset": [0.25]}))
    assert events.frame["duration"].to_list() == [0.25]


def test_no_labels_is_a_clear_error():
    rec = Recording(np.arange(3.0), np.zeros(3), np.zeros(3))
    with pytest.raises(InputError, match="no per-sample labels"):
        Events.from_labels(rec)
