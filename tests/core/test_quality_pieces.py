"""Data quality and timing taken in pieces (issue 14: bounded memory) give the numbers of one
pass over every sample, bit for bit: the references below are the one-pass formulas."""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn import Recording, Screen
from gazelearn.labels import Label
from gazelearn.metrics.quality import BLOCK, data_quality, pooled_std
from gazelearn.metrics.regression import rms_steps

N = 2 * BLOCK + 12_345  # three pieces, the last one short
SCREEN = Screen(1920, 1080, 531.0, 299.0, 600.0)


def _signal(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = 960 + np.cumsum(rng.normal(0, 3, N))
    y = 540 + np.cumsum(rng.normal(0, 3, N))
    lost = rng.random(N) < 0.03
    x[lost], y[lost] = np.nan, np.nan
    x[rng.integers(0, N, 20)] = np.inf  # infinite values a reader let through
    return x, y


def _fixation_runs(seed: int = 1) -> np.ndarray:
    """Labels: runs of fixation and saccade, one fixation longer than a piece."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 400, N // 50)
    labels = np.repeat(np.arange(lengths.size) % 2, lengths)[:N]
    labels = np.concatenate([labels, np.zeros(max(N - labels.size, 0), dtype=labels.dtype)])
    labels[1000:1000 + BLOCK + 50] = 0  # a fixation across a piece boundary
    return np.where(labels == 0, int(Label.FIXATION), int(Label.SACCADE)).astype(np.int8)


def _one_pass_pooled(x, y, starts, stops) -> float:
    """The one-pass form: every sample's segment number, then bincount over all samples."""
    edges = np.bincount(starts, minlength=len(x) + 1) - np.bincount(stops, minlength=len(x) + 1)
    inside = np.cumsum(edges[:-1]) > 0
    begun = np.zeros(len(x), dtype=np.int64)
    begun[starts] = 1
    member = np.where(inside, np.cumsum(begun) - 1, -1)
    keep = (member >= 0) & np.isfinite(x) & np.isfinite(y)
    group, gx, gy = member[keep], x[keep], y[keep]
    safe = np.maximum(np.bincount(group, minlength=len(starts)), 1)
    mean_x = np.bincount(group, gx, minlength=len(starts)) / safe
    mean_y = np.bincount(group, gy, minlength=len(starts)) / safe
    return float(np.sqrt(((gx - mean_x[group]) ** 2 + (gy - mean_y[group]) ** 2).sum()
                         / keep.sum()))


def _one_pass_whole(x, y) -> float:
    keep = np.isfinite(x) & np.isfinite(y)
    gx, gy = x[keep], y[keep]
    m = keep.sum()
    gx = gx - np.cumsum(gx)[-1] / m
    gy = gy - np.cumsum(gy)[-1] / m
    return float(np.sqrt((gx * gx + gy * gy).sum() / m))


def _one_pass_rms(x, y, screen=None) -> float:
    if screen is None:
        squared = np.diff(x) ** 2 + np.diff(y) ** 2
    else:
        squared = screen.step_angles(x, y) ** 2
    return float(np.sqrt(np.mean(squared[np.isfinite(squared)])))


def test_pooled_std_over_fixations_in_pieces_is_one_pass():
    x, y = _signal()
    fixation = _fixation_runs() == Label.FIXATION
    edges = np.diff(np.concatenate(([0], fixation.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    assert (stops - starts).max() > BLOCK  # one segment is longer than a piece
    masked_x, masked_y = np.where(fixation, x, np.nan), np.where(fixation, y, np.nan)
    expected = _one_pass_pooled(masked_x, masked_y, starts, stops)
    assert pooled_std(x, y, (starts, stops)) == expected
    assert pooled_std(x, y, (starts, stops), keep=fixation) == expected
    deg = SCREEN.px_to_deg(np.where(np.isinf(x), np.nan, x), y)
    assert pooled_std(x, y, (starts, stops), keep=np.isfinite(x) & np.isfinite(y),
                      transform=SCREEN.px_to_deg) == _one_pass_pooled(*deg, starts, stops)


def test_pooled_std_of_every_sample_in_pieces_is_one_pass():
    x, y = _signal(2)
    assert pooled_std(x, y) == _one_pass_whole(x, y)
    valid = np.isfinite(x) & np.isfinite(y)
    deg = SCREEN.px_to_deg(np.where(valid, x, np.nan), np.where(valid, y, np.nan))
    assert pooled_std(x, y, keep=valid, transform=SCREEN.px_to_deg) == _one_pass_whole(*deg)


def test_rms_steps_with_a_mask_is_the_masked_one_pass():
    x, y = _signal(3)
    keep = (_fixation_runs(4) == Label.FIXATION) & np.isfinite(x) & np.isfinite(y)
    masked_x, masked_y = np.where(keep, x, np.nan), np.where(keep, y, np.nan)
    assert rms_steps(x, y, keep=keep) == _one_pass_rms(masked_x, masked_y)
    assert rms_steps(x, y) == _one_pass_rms(x, y)
    # degrees: an infinite pixel is a finite angle, so only the mask leaves it out
    assert rms_steps(x, y, SCREEN, keep=keep) == _one_pass_rms(masked_x, masked_y, SCREEN)


def test_data_quality_jitter_and_timing_in_pieces():
    rng = np.random.default_rng(5)
    steps = np.full(N - 1, 0.002) + rng.normal(0, 1e-5, N - 1)
    steps[[10, BLOCK, BLOCK + 1, N - 5]] = 0.0  # duplicated timestamps, one at a piece edge
    steps[[500, 2 * BLOCK + 3]] = 0.05  # two gaps
    time = np.concatenate(([0.0], np.cumsum(steps)))
    x, y = _signal(6)
    rec = Recording(time, x, y, labels=_fixation_runs(), screen=SCREEN)
    diffs = np.diff(time)
    timing = rec.timing()
    assert (timing.n_duplicates, timing.n_gaps) == (4, 2)
    assert rec.median_interval() == np.median(diffs[diffs > 0])
    assert timing.longest_gap_s == diffs.max()
    q = data_quality(rec)
    nominal = np.median(diffs[diffs > 0])
    assert q["interval_ms"] == round(1e3 * nominal, 6)
    assert q["jitter_std_ms"] == round(1e3 * float(np.std(diffs)), 6)
    assert q["jitter_max_ms"] == round(1e3 * float(np.abs(diffs - nominal).max()), 6)
    valid = np.isfinite(x) & np.isfinite(y)
    vx, vy = x[valid], y[valid]
    outside = (vx < 0) | (vx > 1920) | (vy < 0) | (vy > 1080)
    assert q["out_of_screen"] == float(np.mean(outside))
    assert q["nonfinite_values"] == np.count_nonzero(np.isinf(rec.x)) > 0
    counts = np.bincount(rec.labels, minlength=3)
    assert rec.label_shares()["saccade"] == counts[Label.SACCADE] / N


@pytest.mark.parametrize("n", [0, 1, 2])
def test_short_recordings_keep_their_nan_measures(n):
    rec = Recording(np.arange(n) / 500.0, np.zeros(n), np.zeros(n))
    q = data_quality(rec)
    if n < 2:  # no step, no interval
        assert np.isnan(q["rms_s2s_px"]) and np.isnan(q["interval_ms"])
        assert np.isnan(q["jitter_std_ms"]) and np.isnan(q["jitter_max_ms"])
    else:
        assert (q["rms_s2s_px"], q["std_px"]) == (0.0, 0.0)
        assert (q["interval_ms"], q["jitter_std_ms"], q["jitter_max_ms"]) == (2.0, 0.0, 0.0)
