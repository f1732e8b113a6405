"""Feature vectors: recurrence, coverage and fixation/saccade statistics with known answers."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gazelearn import Dataset, Events, InputError, Metadata, Recording
from gazelearn.scanpath import (
    FEATURE_NAMES,
    coverage,
    feature_table,
    recording_features,
    recurrence_measures,
)
from gazelearn.simulate import simulate_population, simulate_recording

from ._shared import SCREEN


def test_recurrence_of_alternating_places():
    # A B A B: pairs (0, 2) and (1, 3) recur, R = 2 of 6 pairs; both on the diagonal k = 2,
    # one line of length 2 -> DET 100; no horizontal or vertical line -> LAM 0;
    # CORM = 100 * (2 + 2) / ((4 - 1) * 2)
    m = recurrence_measures([0, 100, 1, 101], [0, 0, 1, 0], radius=5)
    assert m["recurrence_rate"] == pytest.approx(100 * 2 * 2 / 12)
    assert m["determinism"] == pytest.approx(100.0)
    assert m["laminarity"] == pytest.approx(0.0)
    assert m["corm"] == pytest.approx(100 * 4 / 6)


def test_recurrence_of_one_place_refixated():
    # A A A: all 3 pairs recur (REC 100). Diagonal k=1 holds (0,1), (1,2): a line of 2 -> D = 2;
    # k=2 holds (0,2) alone. Row 0 holds (0,1), (0,2): H = 2; column 2 holds (0,2), (1,2): V = 2.
    m = recurrence_measures([50, 51, 50], [50, 50, 52], radius=5)
    assert m["recurrence_rate"] == pytest.approx(100.0)
    assert m["determinism"] == pytest.approx(100 * 2 / 3)
    assert m["laminarity"] == pytest.approx(100 * (2 + 2) / (2 * 3))
    assert m["corm"] == pytest.approx(100 * (1 + 2 + 1) / (2 * 3))


def test_recurrence_line_length_and_degenerate_cases():
    # A B C A B C: the returns (0,3), (1,4), (2,5) form one diagonal line of 3
    x = [0, 100, 200, 0, 100, 200]
    m = recurrence_measures(x, np.zeros(6), radius=1)
    assert m["determinism"] == pytest.approx(100.0)
    assert recurrence_measures(x, np.zeros(6), radius=1, min_line=4)["determinism"] == 0.0
    none = recurrence_measures([0, 100, 200], [0, 0, 0], radius=1)
    assert none["recurrence_rate"] == 0.0 and np.isnan(none["determinism"])
    assert np.isnan(recurrence_measures([1.0], [1.0], radius=1)["recurrence_rate"])
    # NaN positions are dropped
    m_nan = recurrence_measures([0, np.nan, 100, 1, 101], [0, 0, 0, 1, 0], radius=5)
    assert m_nan == recurrence_measures([0, 100, 1, 101], [0, 0, 1, 0], radius=5)
    with pytest.raises(InputError, match="radius"):
        recurrence_measures([0, 1], [0, 1], radius=-1)


def test_coverage_hand_computed():
    # 1000 x 500 px area; 5 x 5 cells of 200 x 100 px
    x = [10, 150, 250, 990, 990, np.nan, 2000]
    y = [10, 90, 10, 490, 480, 10, 10]
    result = coverage(x, y, (1000, 500), grid_sizes=(1, 2, 5))
    # cells 5x5: (0,0) twice, (0,1), (4,4) twice -> 3 of 25; 2x2: (0,0) and (1,1) -> 2 of 4
    assert result == {"coverage1": 1.0, "coverage2": 0.5, "coverage5": 3 / 25}
    with pytest.raises(InputError, match="grid sizes"):
        coverage(x, y, (1000, 500), grid_sizes=(0,))


def _known_recording():
    """1 s at 100 Hz, 10 % lost, with an events table of 3 fixations and 2 saccades."""
    n = 100
    x = np.full(n, 200.0)
    y = np.full(n, 300.0)
    x[40:], x[70:] = 500.0, 500.0
    y[70:] = 700.0
    x[90:] = np.nan
    y[90:] = np.nan
    rec = Recording(np.arange(n) / 100.0, x, y, screen=SCREEN)
    events = Events(pl.DataFrame({
        "type": ["fixation", "saccade", "fixation", "saccade", "fixation"],
        "onset": [0.0, 0.35, 0.40, 0.65, 0.70],
        "offset": [0.35, 0.40, 0.65, 0.70, 0.90],
        "amplitude": [np.nan, 9.0, np.nan, 13.0, np.nan],
        "peak_velocity": [np.nan, 300.0, np.nan, 400.0, np.nan],
        "mean_x": [200.0, 350.0, 500.0, 500.0, 500.0],
        "mean_y": [300.0, 300.0, 300.0, 500.0, 700.0],
    }))
    return rec, events


def test_features_from_given_events():
    rec, events = _known_recording()
    f = recording_features(rec, events, recurrence_radius_deg=1.0)
    assert list(f) == list(FEATURE_NAMES)
    assert f["duration_s"] == pytest.approx(1.0)
    assert f["lost_fraction"] == pytest.approx(0.1)
    assert f["fixation_count"] == 3 and f["fixation_rate"] == pytest.approx(3.0)
    durations = np.array([0.35, 0.25, 0.20])
    assert f["fixation_duration_mean"] == pytest.approx(durations.mean())
    assert f["fixation_duration_median"] == pytest.approx(0.25)
    assert f["fixation_duration_std"] == pytest.approx(durations.std())
    assert f["saccade_count"] == 2
    assert f["saccade_amplitude_mean"] == pytest.approx(11.0)
    assert f["saccade_amplitude_median"] == pytest.approx(11.0)
    assert f["saccade_amplitude_max"] == pytest.approx(13.0)
    assert f["saccade_peak_velocity_mean"] == pytest.approx(350.0)
    assert f["scanpath_length_px"] == pytest.approx(300.0 + 400.0)
    expected_deg = (SCREEN.angular_distance(200, 300, 500, 300)
                    + SCREEN.angular_distance(500, 300, 500, 700))
    assert f["scanpath_length_deg"] == pytest.approx(float(expected_deg))
    gx, gy = rec.x[:90], rec.y[:90]
    assert f["gaze_mean_x"] == pytest.approx(gx.mean())
    assert f["gaze_mean_y"] == pytest.approx(gy.mean())
    assert f["gaze_dispersion_px"] == pytest.approx(np.sqrt(gx.var() + gy.var()))
    # 5 x 5 over 1024 x 768: (200,300) -> (col 0, row 1); (500,300) -> (2, 1); (500,700) -> (2, 4)
    assert f["coverage5"] == pytest.approx(3 / 25)
    assert f["recurrence_rate"] == 0.0 and np.isnan(f["corm"])


def test_recurrence_radius_in_degrees_uses_pixels_per_degree():
    rec, events = _known_recording()
    # fixations 300 and 400 px apart: about 9.8 and 13 degrees
    few = recording_features(rec, events, recurrence_radius_deg=10.0)
    assert few["recurrence_rate"] == pytest.approx(100 * 2 * 1 / 6)
    px = recording_features(rec, events, recurrence_radius_px=10.0 * SCREEN.pixels_per_degree)
    assert px["recurrence_rate"] == few["recurrence_rate"]
    with pytest.raises(InputError, match="not both"):
        recording_features(rec, events, recurrence_radius_deg=1.0, recurrence_radius_px=3.0)


def test_features_of_a_simulated_recording_are_plausible_and_deterministic():
    rec = simulate_recording(duration_s=10.0, seed=11)
    detected = recording_features(rec)
    again = recording_features(rec)
    assert detected.keys() == again.keys()
    assert all(a == b or (np.isnan(a) and np.isnan(b))
               for a, b in zip(detected.values(), again.values(), strict=True))
    truth = recording_features(rec, detector="labels")
    assert abs(detected["fixation_count"] - truth["fixation_count"]) <= 0.3 * truth[
        "fixation_count"]
    assert 2.0 < truth["saccade_amplitude_mean"] < 12.0
    assert 0.1 < truth["fixation_duration_mean"] < 0.5
    assert detected["saccade_peak_velocity_mean"] > 50
    for name in ("ivt", "nh"):
        assert recording_features(rec, detector=name)["fixation_count"] > 5


def test_recordings_without_a_screen():
    rec = simulate_recording(duration_s=4.0, seed=2)
    bare = Recording(rec.time, rec.x, rec.y, labels=rec.labels)
    with pytest.raises(InputError, match=r"screen=Screen\(.*dispersion_px"):
        recording_features(bare, extent=(1920, 1080), recurrence_radius_px=50)
    with pytest.raises(InputError, match="recurrence_radius_px"):
        recording_features(bare, dispersion_px=40, extent=(1920, 1080))
    with pytest.raises(InputError, match="extent"):
        recording_features(bare, dispersion_px=40, recurrence_radius_px=50)
    with pytest.raises(InputError, match="idt"):
        recording_features(bare, detector="ivt", dispersion_px=40, extent=(1920, 1080),
                           recurrence_radius_px=50)
    f = recording_features(bare, dispersion_px=1.0 * SCREEN.pixels_per_degree * 1.2,
                           extent=(1920, 1080), recurrence_radius_px=50)
    assert f["fixation_count"] > 3 and np.isnan(f["saccade_amplitude_mean"])
    assert np.isnan(f["scanpath_length_deg"]) and f["scanpath_length_px"] > 0
    # given a screen, the same recording is measured in degrees
    g = recording_features(bare, screen=rec.screen)
    assert g["saccade_amplitude_mean"] > 1
    labelled = recording_features(bare, detector="labels", extent=(1920, 1080),
                                  recurrence_radius_px=50)
    assert labelled["fixation_count"] > 3


def test_feature_table_keeps_metadata():
    data = simulate_population(n_subjects=2, recordings_per_subject=2, duration_s=3.0, seed=1)
    table = feature_table(data)
    assert table.height == 4
    assert table["subject"].to_list() == ["s00", "s00", "s01", "s01"]
    assert table.columns[-len(FEATURE_NAMES):] == list(FEATURE_NAMES)
    assert table.select(FEATURE_NAMES).dtypes == [pl.Float64] * len(FEATURE_NAMES)
    first = recording_features(data[0])
    assert table.row(0, named=True)["fixation_count"] == first["fixation_count"]
    custom = feature_table(list(data)[:1], coverage_grids=(3,))
    assert "coverage3" in custom.columns and "coverage5" not in custom.columns
    empty = feature_table(Dataset([]))
    assert empty.height == 0 and "corm" in empty.columns
    with pytest.raises(InputError, match="2 events tables for 4"):
        feature_table(data, events=[Events.empty(), Events.empty()])
    clash = data.with_column("corm", ["a"] * 4)
    with pytest.raises(InputError, match="corm"):
        feature_table(clash)


def test_feature_table_with_given_events():
    rec, events = _known_recording()
    rec.meta = Metadata(subject="p1")
    table = feature_table([rec], events=[events])
    assert table["subject"].to_list() == ["p1"]
    assert table["saccade_amplitude_max"].to_list() == [13.0]


@pytest.mark.real_data
def test_radio_recordings_without_a_screen(shared_data):
    from gazelearn.io.radio import read_radio

    folder = shared_data / "radio" / "recordings"
    if not folder.is_dir():
        pytest.skip("radio recordings not found")
    paths = sorted(folder.iterdir())[:3]
    recordings = [read_radio(p, fixation_labels=True) for p in paths]
    table = feature_table(recordings, detector="labels", extent=(1280, 1024),
                          recurrence_radius_px=64)
    assert table.height == 3
    assert (table["fixation_count"] > 0).all()
    assert table["coverage5"].is_between(0, 1).all()





def _naive_rqa(x, y, radius, min_line):
    """Loop-by-loop RQA straight from the definitions, to check the vectorised version."""
    n = len(x)
    r = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(i + 1, n):
            r[i, j] = np.hypot(x[i] - x[j], y[i] - y[j]) <= radius

    def on_lines(lines):
        total = 0
        for line in lines:
            run = 0
            for value in [*line, False]:
                if value:
                    run += 1
                else:
                    total += run if run >= min_line else 0
                    run = 0
        return total

    recurrent = r.sum()
    diagonal = on_lines([np.diagonal(r, k) for k in range(1, n)])
    lam = on_lines(r) + on_lines(r.T)
    lags = sum(j - i for i in range(n) for j in range(n) if r[i, j])
    return [100 * 2 * recurrent / (n * (n - 1)), 100 * diagonal / recurrent,
            100 * lam / (2 * recurrent), 100 * lags / ((n - 1) * recurrent)]


@pytest.mark.parametrize("seed", range(4))
def test_recurrence_matches_the_definitions_on_random_sequences(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, 40) * 100.0
    y = rng.integers(0, 3, 40) * 100.0
    min_line = 2 + seed % 2
    measures = recurrence_measures(x, y, radius=10, min_line=min_line)
    np.testing.assert_allclose(list(measures.values()), _naive_rqa(x, y, 10, min_line))
