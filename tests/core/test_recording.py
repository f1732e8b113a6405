import numpy as np
import pytest

from gazelearn import InputError, Metadata, Recording, Screen


def make(n=10, rate=500.0, **kwargs):
    return Recording(np.arange(n) / rate, np.arange(n, dtype=float), np.zeros(n), **kwargs)


def test_sampling_rate_measured_from_timestamps():
    assert make(rate=250.0).sampling_rate == pytest.approx(250.0)


def test_duplicates_gaps_and_irregular_intervals_are_reported():
    time = np.array([0.0, 0.002, 0.002, 0.004, 0.010, 0.012, 0.0147])
    report = Recording(time, np.zeros(7), np.zeros(7)).timing()
    assert report.sampling_rate == pytest.approx(500.0)
    assert report.n_duplicates == 1
    assert report.n_gaps == 1 and report.longest_gap_s == pytest.approx(0.006)
    assert report.n_irregular == 1  # 2.7 ms against 2 ms
    assert not report.regular
    assert "1 duplicated" in report.describe()


def test_time_going_backwards_is_an_input_error_naming_the_sample():
    with pytest.raises(InputError, match="sample 2"):
        Recording([0.0, 0.1, 0.05], [0, 0, 0], [0, 0, 0], meta=Metadata(source="f.csv"))


def test_lengths_must_agree():
    with pytest.raises(InputError, match="x has 2 values, expected 3"):
        Recording([0.0, 0.1, 0.2], [0, 0], [0, 0, 0])


def test_lost_sample_is_nan_in_both_coordinates():
    rec = Recording([0.0, 0.1, 0.2], [1.0, np.nan, 3.0], [1.0, 2.0, 3.0])
    assert np.isnan(rec.y[1])
    assert rec.lost_fraction == pytest.approx(1 / 3)
    np.testing.assert_array_equal(rec.valid, [True, False, True])


def test_an_infinite_position_is_not_a_valid_sample():
    rec = Recording([0.0, 0.1, 0.2, 0.3], [1.0, np.inf, 3.0, 4.0], [1.0, 2.0, -np.inf, 3.0])
    np.testing.assert_array_equal(rec.valid, [True, False, False, True])
    assert rec.lost_fraction == pytest.approx(0.5)


def test_label_shares_and_unknown_codes():
    rec = make(n=4, labels=[1, 1, 2, 0])
    assert rec.label_shares() == {"undefined": 0.25, "fixation": 0.5, "saccade": 0.25}
    with pytest.raises(InputError, match="codes"):
        make(n=2, labels=[1, 9])


def test_degrees_need_a_screen_and_say_which_options():
    rec = make()
    with pytest.raises(InputError, match=r"screen=Screen\("):
        rec.position_deg()
    rec.screen = Screen(1024, 768, 380.0, 300.0, 670.0)
    x_deg, _ = rec.position_deg()
    assert x_deg[0] < 0


def test_select_keeps_everything_aligned():
    rec = make(n=6, labels=[1, 1, 2, 2, 1, 1], pupil=np.arange(6.0))
    part = rec.select(slice(2, 4))
    np.testing.assert_array_equal(part.labels, [2, 2])
    np.testing.assert_array_equal(part.pupil, [2.0, 3.0])
    assert len(part) == 2


def test_summary_and_frame():
    rec = make(n=5, labels=[1, 1, 1, 2, 2], meta=Metadata(subject="s1", source="a.csv"))
    summary = rec.summary()
    assert summary["samples"] == 5 and summary["subject"] == "s1"
    assert summary["labels"] == {"fixation": 0.6, "saccade": 0.4}
    assert rec.to_frame().columns == ["time", "x", "y", "label"]
    assert rec.duration == pytest.approx(5 / 500.0)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 100_001])
def test_positive_intervals_median_is_numpys(n):
    # the in-place median of the timing report and of the data quality (no copy of every
    # interval) is np.median's value exactly, duplicates and backward steps left out
    from gazelearn.recording import positive_intervals

    rng = np.random.default_rng(n)
    steps = rng.choice([0.0, -0.001, 0.002, 0.004], n) + rng.normal(0, 1e-4, n).round(5)
    positive, median = positive_intervals(steps.copy())
    want = steps[steps > 0]
    assert sorted(positive.tolist()) == sorted(want.tolist())
    if want.size:
        assert median == float(np.median(want))
    else:
        assert np.isnan(median)
