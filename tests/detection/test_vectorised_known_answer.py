"""Known answers for the vectorised event path (issue 14): the old per-run/per-event loops,
kept here as references, against the vectorised code on simulated recordings.

Every comparison is exact (``array_equal`` / ``frame.equals``): the vectorised code must give
the same events, bit for bit, not merely close ones.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from gazelearn import Events
from gazelearn.detection import create_detector
from gazelearn.detection.postprocess import label_lost_samples, remove_short_events
from gazelearn.events import _first_last_valid, _run_max, label_runs
from gazelearn.labels import LABELS, Label
from gazelearn.preprocess import savgol_derivative
from gazelearn.simulate import simulate_recording


# ---------------------------------------------------------------- the old loops, as references
def _run_max_loop(values, starts, stops):
    result = np.full(len(starts), np.nan)
    for i, (start, stop) in enumerate(zip(starts, stops, strict=True)):
        segment = values[start:stop]
        segment = segment[np.isfinite(segment)]
        if segment.size:
            result[i] = segment.max()
    return result


def _first_last_valid_loop(valid, starts, stops):
    index = np.arange(len(valid))
    cumulative = np.cumsum(valid)
    first = np.full(len(starts), -1)
    last = np.full(len(starts), -1)
    valid_index = index[valid]
    for i, (start, stop) in enumerate(zip(starts, stops, strict=True)):
        before = cumulative[start - 1] if start > 0 else 0
        count = cumulative[stop - 1] - before
        if count > 0:
            first[i] = valid_index[before]
            last[i] = valid_index[before + count - 1]
    return first, last


def _label_lost_loop(labels, valid, rate, min_blink_s=0.05, max_blink_s=0.5):
    labels = labels.copy()
    lost = ~np.asarray(valid, dtype=bool)
    starts, stops, codes = label_runs(lost.astype(np.int8))
    for start, stop, is_lost in zip(starts, stops, codes, strict=True):
        if is_lost:
            duration = (stop - start) / rate
            labels[start:stop] = (Label.BLINK if min_blink_s <= duration <= max_blink_s
                                  else Label.UNDEFINED)
    return labels


def _remove_short_loop(labels, label, min_samples, replacement=Label.UNDEFINED, between=None):
    labels = labels.copy()
    starts, stops, codes = label_runs(labels)
    short = (codes == label) & ((stops - starts) < min_samples)
    if between is not None:
        before = np.concatenate(([-1], codes[:-1]))
        after = np.concatenate((codes[1:], [-1]))
        short &= (before == between) & (after == between)
    for start, stop in zip(starts[short], stops[short], strict=True):
        labels[start:stop] = replacement
    return labels


def _recordings():
    """Simulated recordings at several rates, with lost runs of every length, one with inf."""
    out = []
    for seed, rate in ((1, 500.0), (2, 1000.0), (3, 250.0), (4, 2000.0)):
        rec = simulate_recording(20.0, rate, seed=seed)
        rng = np.random.default_rng(seed)
        x, y = rec.x.copy(), rec.y.copy()
        for _ in range(30):  # lost runs from 1 sample to ~0.8 s, and at both ends
            start = int(rng.integers(0, len(x)))
            x[start:start + int(rng.integers(1, int(0.8 * rate)))] = np.nan
        x[:3] = np.nan
        x[-5:] = np.nan
        y[np.isnan(x)] = np.nan
        out.append(replace(rec, x=x, y=y))
    with_inf = out[0].x.copy()
    with_inf[[100, 2000, 2001]] = np.inf
    out.append(replace(out[0], x=with_inf))
    return out


RECORDINGS = _recordings()


@pytest.mark.parametrize("rec", RECORDINGS, ids=lambda r: f"{r.sampling_rate:g}Hz")
def test_run_measures_match_the_loops(rec):
    labels = create_detector("ivt").predict(rec)
    starts, stops, codes = label_runs(labels)
    speed = np.hypot(np.gradient(rec.x), np.gradient(rec.y))  # NaN at lost samples
    speed[::97] = np.inf
    assert np.array_equal(_run_max(speed, starts, stops), _run_max_loop(speed, starts, stops),
                          equal_nan=True)
    keep = codes != Label.UNDEFINED  # the runs Events keeps: not contiguous any more
    assert np.array_equal(_run_max(speed, starts[keep], stops[keep]),
                          _run_max_loop(speed, starts[keep], stops[keep]), equal_nan=True)
    for got, want in zip(_first_last_valid(rec.valid, starts, stops),
                         _first_last_valid_loop(rec.valid, starts, stops), strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.mark.parametrize("rec", RECORDINGS, ids=lambda r: f"{r.sampling_rate:g}Hz")
def test_postprocessing_matches_the_loops(rec):
    rng = np.random.default_rng(0)
    labels = rng.choice([1, 1, 1, 1, 2, 2], size=len(rec)).astype(np.int8)
    rate = rec.sampling_rate
    assert np.array_equal(label_lost_samples(labels, rec.valid, rate),
                          _label_lost_loop(labels, rec.valid, rate))
    for min_samples in (1, 2, 3, 20):
        assert np.array_equal(remove_short_events(labels, 1, min_samples),
                              _remove_short_loop(labels, 1, min_samples))
        assert np.array_equal(remove_short_events(labels, 1, min_samples, 2, between=2),
                              _remove_short_loop(labels, 1, min_samples, 2, between=2))


@pytest.mark.parametrize("rec", RECORDINGS, ids=lambda r: f"{r.sampling_rate:g}Hz")
def test_ivt_detect_gives_the_events_of_its_labels(rec):
    """IVT.detect shares its velocity with the events' peak velocities: same table as the
    general path (labels, then Events.from_labels computing the speed itself)."""
    detector = create_detector("ivt")
    labels = detector.predict(rec)
    general = Events.from_labels(rec, labels)
    assert detector.detect(rec).frame.equals(general.frame)
    # ... and the same as the old per-event loops computed them
    starts, stops, codes = label_runs(labels)
    keep = codes != Label.UNDEFINED
    frame = general.frame
    assert frame["onset_index"].to_list() == starts[keep].tolist()
    assert frame["type"].to_list() == [LABELS[c] for c in codes[keep]]
    if not np.isinf(rec.x).any():
        from gazelearn.preprocess import speed_deg

        peak = _run_max_loop(speed_deg(rec), starts[keep], stops[keep])
        assert np.array_equal(frame["peak_velocity"].to_numpy(), peak, equal_nan=True)
        first, last = _first_last_valid_loop(rec.valid, starts[keep], stops[keep])
        ok = first >= 0
        amplitude = np.full(len(first), np.nan)
        amplitude[ok] = rec.screen.angular_distance(rec.x[first[ok]], rec.y[first[ok]],
                                                    rec.x[last[ok]], rec.y[last[ok]])
        assert np.array_equal(frame["amplitude"].to_numpy(), amplitude, equal_nan=True)


def test_ivt_detect_with_another_window_computes_the_events_speed():
    rec = RECORDINGS[0]
    detector = create_detector("ivt", window_s=0.03)
    assert detector.detect(rec).frame.equals(
        Events.from_labels(rec, detector.predict(rec)).frame)


def test_to_frame_label_names_match_the_list():
    rec = RECORDINGS[1].with_labels(create_detector("ivt").predict(RECORDINGS[1]))
    column = rec.to_frame()["label"]
    assert column.dtype == pl.String
    assert column.to_list() == [LABELS[c] for c in rec.labels]


@pytest.mark.parametrize(("rate", "window_s", "deriv"), [(500.0, 0.02, 1), (1000.0, 0.02, 1),
                                                         (250.0, 0.05, 2), (60.0, 0.1, 0)])
def test_savgol_convolution_matches_scipy(rate, window_s, deriv):
    """The numpy convolution on the hot path gives scipy's savgol_filter(mode="interp")."""
    from scipy.signal import savgol_filter

    from gazelearn.preprocess import _savgol_window

    values = np.cumsum(np.random.default_rng(7).normal(0, 1, 5000))
    length = _savgol_window(window_s, rate, 2)
    want = savgol_filter(values, length, 2, deriv=deriv, delta=1.0 / rate, mode="interp")
    got = savgol_derivative(values, rate, deriv, window_s)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * np.abs(want).max())


def _window_touches_add_at(lost, length):
    n = len(lost)
    half = length // 2
    after = length - 1 - half
    edges = np.diff(lost.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    delta = np.zeros(n + 1, dtype=np.int32)
    np.add.at(delta, np.clip(starts - after, 0, n), 1)
    np.add.at(delta, np.clip(stops + half, 0, n), -1)
    touched = np.cumsum(delta[:n]) > 0
    if starts.size and starts[0] < length:
        touched[:half] = True
    if stops.size and stops[-1] > n - length:
        touched[n - length + half + 1:] = True
    return touched


@pytest.mark.parametrize("n", [1, 2, 7, 100, 20_000])
@pytest.mark.parametrize("share", [0.0, 0.02, 0.5, 1.0])
def test_window_touches_matches_add_at(n, share):
    from gazelearn.preprocess import _window_touches

    rng = np.random.default_rng(n)
    lost = rng.random(n) < share
    for length in (1, 3, 11, 21):
        if length <= n:
            assert np.array_equal(_window_touches(lost, length),
                                  _window_touches_add_at(lost, length))


def _near_edges_loop(lost, edge):
    n = len(lost)
    near = np.zeros(n, dtype=bool)
    if edge <= 0:
        return near
    near[:edge] = True
    near[max(n - edge, 0):] = True
    for i in range(n):  # the definition: a lost sample within edge samples
        near[i] |= bool(lost[max(i - edge, 0):i + edge + 1].any())
    return near


def test_near_edges_matches_its_definition_also_on_recordings_shorter_than_the_window():
    from gazelearn.detection.postprocess import _near_edges

    rng = np.random.default_rng(7)
    for _ in range(2000):
        n, edge = int(rng.integers(0, 40)), int(rng.integers(0, 8))
        lost = rng.random(n) < rng.random() * 0.5
        assert np.array_equal(_near_edges(lost, edge), _near_edges_loop(lost, edge)), (
            lost.astype(int).tolist(), edge)


def test_run_medians_in_blocks_equal_one_median_per_run(monkeypatch):
    import gazelearn.events as events

    rng = np.random.default_rng(3)
    values = rng.normal(size=5000)
    values[rng.random(5000) < 0.1] = np.nan
    values[1000:1300] = np.nan  # a run with no finite value
    cuts = np.unique(np.r_[0, rng.integers(1, 5000, 300), 5000])
    starts, stops = cuts[:-1], cuts[1:]
    keep = rng.random(len(starts)) < 0.8  # gaps between runs, as undefined samples leave
    starts, stops = starts[keep], stops[keep]
    stops[-1] = 5000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmedian of the all-NaN run
        want = np.array([np.nanmedian(values[a:b]) for a, b in zip(starts, stops, strict=True)])
    whole = events._run_medians(values, starts, stops)
    np.testing.assert_allclose(whole, want, rtol=1e-12, atol=0)  # NaN where no finite value
    for block in (1, 37, 256):  # runs longer than a block, blocks of one run, of many
        monkeypatch.setattr(events, "MEDIAN_BLOCK", block)
        assert np.array_equal(events._run_medians(values, starts, stops), whole, equal_nan=True)
