"""Heat maps and map comparisons against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn import InputError, Recording
from gazelearn.report.scanpath_results import overlay
from gazelearn.scanpath import (
    auc_judd,
    blur_sigma_cells,
    cc,
    fixation_map,
    heatmap,
    kl_divergence,
    nss,
    similarity,
)
from gazelearn.simulate import simulate_recording

from ._shared import SCREEN, fixation_table


def test_single_fixation_is_a_gaussian_of_the_right_width_at_the_right_cell():
    # grid of 256 x 192 over 1024 x 768 px: 4 px per cell; cell 128 covers x in [512, 516)
    events = fixation_table([514.0], [386.0])
    density = heatmap(events, SCREEN, grid=(256, 192), sigma_deg=1.0, source="fixations")
    row, col = np.unravel_index(np.argmax(density), density.shape)
    assert (row, col) == (96, 128)
    sigma_cells = 1.0 * SCREEN.pixels_per_degree / 4.0  # 30.72 px per degree -> 7.68 cells
    assert sigma_cells == pytest.approx(7.681, abs=1e-3)
    cols = np.arange(256) - 128
    rows = np.arange(192) - 96
    var_x = float(np.sum(density.sum(axis=0) * cols**2))
    var_y = float(np.sum(density.sum(axis=1) * rows**2))
    assert np.sqrt(var_x) == pytest.approx(sigma_cells, rel=0.01)
    assert np.sqrt(var_y) == pytest.approx(sigma_cells, rel=0.01)
    # the profile through the peak follows exp(-d^2 / 2 sigma^2)
    profile = density[96, 128:128 + 16] / density[96, 128]
    expected = np.exp(-np.arange(16) ** 2 / (2 * sigma_cells**2))
    np.testing.assert_allclose(profile, expected, atol=2e-3)
    assert density.sum() == pytest.approx(1.0)


def test_blur_width_scales_with_the_grid_on_each_axis():
    sy, sx = blur_sigma_cells(SCREEN, (64, 24), sigma_deg=2.0)
    ppd = SCREEN.pixels_per_degree
    assert sx == pytest.approx(2 * ppd * 64 / 1024)
    assert sy == pytest.approx(2 * ppd * 24 / 768)
    with pytest.raises(InputError, match="not both"):
        blur_sigma_cells(SCREEN, (64, 48), sigma_deg=1.0, sigma_px=3.0)


def test_duration_weighting_doubles_a_fixation_mass():
    events = fixation_table([300.0, 700.0], [300.0, 500.0], duration=[0.2, 0.4])
    raw = heatmap(events, SCREEN, grid=(64, 48), source="fixations", weight="duration",
                  normalize=None)
    left, right = raw[:, :32].sum(), raw[:, 32:].sum()
    assert right == pytest.approx(2 * left, rel=1e-6)
    assert raw.sum() == pytest.approx(0.6, rel=1e-6)
    counted = heatmap(events, SCREEN, grid=(64, 48), source="fixations", normalize=None)
    assert counted[:, 32:].sum() == pytest.approx(counted[:, :32].sum(), rel=1e-6)
    # without blur the map holds the durations in the two cells
    cells = fixation_map(events, SCREEN, grid=(64, 48), weight="duration")
    assert cells[300 * 48 // 768, 300 * 64 // 1024] == pytest.approx(0.2)
    assert cells[500 * 48 // 768, 700 * 64 // 1024] == pytest.approx(0.4)


def test_normalisation():
    rec = simulate_recording(duration_s=2.0, seed=3)
    assert heatmap(rec, grid=(40, 30)).sum() == pytest.approx(1.0)
    assert heatmap(rec, grid=(40, 30), normalize="max").max() == pytest.approx(1.0)
    raw = heatmap(rec, grid=(40, 30), normalize=None)
    assert raw.max() > 1.0
    np.testing.assert_allclose(heatmap(rec, grid=(40, 30)), raw / raw.sum())
    with pytest.raises(InputError, match="normalize"):
        heatmap(rec, grid=(40, 30), normalize="l2")


def test_grid_none_means_one_cell_per_screen_pixel():
    events = fixation_table([10.0], [20.0])
    density = heatmap(events, SCREEN, grid=None, sigma_deg=0.0, source="fixations")
    assert density.shape == (768, 1024)
    assert density[20, 10] == 1.0


def test_lost_samples_are_ignored():
    x = np.array([100.0, 110, np.nan, 500, np.nan, 700])
    y = np.array([100.0, 120, np.nan, 300, np.nan, 400])
    time = np.arange(6) / 100
    with_lost = Recording(time, x, y, screen=SCREEN)
    keep = ~np.isnan(x)
    without = Recording(time[keep], x[keep], y[keep], screen=SCREEN)
    np.testing.assert_array_equal(heatmap(with_lost, grid=(32, 24)),
                                  heatmap(without, grid=(32, 24)))


def test_deterministic_and_fixations_detected_from_samples():
    rec = simulate_recording(duration_s=3.0, seed=5)
    a = heatmap(rec, grid=(32, 18), source="fixations", weight="duration")
    b = heatmap(rec, grid=(32, 18), source="fixations", weight="duration")
    np.testing.assert_array_equal(a, b)
    truth = heatmap(rec, grid=(32, 18), source="fixations", weight="duration",
                    detector="labels")
    assert cc(a, truth) > 0.9


def test_recordings_without_a_screen_need_explicit_pixel_options():
    rec = Recording(np.arange(3) / 100, [100.0, 200.0, 300.0], [100.0, 100.0, 100.0])
    with pytest.raises(InputError, match="sigma_px"):
        heatmap(rec, grid=(32, 24), extent=(1024, 768))
    with pytest.raises(InputError, match="extent"):
        heatmap(rec, grid=(32, 24), sigma_px=20.0)
    ppd = SCREEN.pixels_per_degree
    px = heatmap(rec, grid=(32, 24), sigma_px=ppd, extent=(1024, 768))
    deg = heatmap(Recording(rec.time, rec.x, rec.y, screen=SCREEN), grid=(32, 24))
    np.testing.assert_allclose(px, deg)
    with pytest.raises(InputError, match="dispersion_px"):
        heatmap(rec, grid=(32, 24), sigma_px=20.0, extent=(1024, 768), source="fixations")


def test_bad_input_is_refused_clearly():
    events = fixation_table([100.0], [100.0])
    with pytest.raises(InputError, match="no gaze samples"):
        heatmap(events, SCREEN)
    with pytest.raises(InputError, match="source"):
        heatmap(events, SCREEN, source="saccades")
    with pytest.raises(InputError, match="grid"):
        heatmap(events, SCREEN, grid=(0, 10), source="fixations")
    off = fixation_table([5000.0], [100.0])
    with pytest.raises(InputError, match="no gaze point falls on the screen"):
        heatmap(off, SCREEN, source="fixations")
    with pytest.raises(InputError, match="Recording or Events"):
        heatmap(np.zeros((3, 2)), SCREEN)


def test_overlay_draws_on_the_stimulus():
    density = heatmap(fixation_table([512.0], [384.0]), SCREEN, grid=(32, 24),
                      source="fixations")
    fig = overlay(density, np.zeros((768, 1024, 3), dtype=np.uint8), title="test")
    assert fig.axes[0].get_title() == "test"
    assert fig.axes[0].get_xlim() == (0.0, 1024.0)


# ------------------------------------------------------------------ comparisons
@pytest.fixture
def blob():
    yy, xx = np.mgrid[0:30, 0:40]
    return np.exp(-((xx - 15) ** 2 + (yy - 12) ** 2) / 30.0)


def test_cc(blob):
    assert cc(blob, blob) == pytest.approx(1.0)
    assert cc(blob, 3 * blob + 2) == pytest.approx(1.0)
    shifted = np.roll(blob, 4, axis=1)
    assert 0 < cc(blob, shifted) < 1
    assert cc([[1, 2, 3, 4]], [[4, 3, 2, 1]]) == pytest.approx(-1.0)
    # hand: a = (1, 2, 3), b = (1, 3, 2): centred (-1, 0, 1), (-1, 1, 0) -> 1 / 2
    assert cc([[1, 2, 3]], [[1, 3, 2]]) == pytest.approx(0.5)
    with pytest.raises(InputError, match="constant"):
        cc(np.ones((2, 2)), blob[:2, :2])
    with pytest.raises(InputError, match="same shape"):
        cc(blob, blob[:, :5])


def test_kl_divergence(blob):
    assert kl_divergence(blob, blob) == pytest.approx(0.0, abs=1e-12)
    assert kl_divergence(blob, 5 * blob) == pytest.approx(0.0, abs=1e-12)
    expected = 0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)
    assert kl_divergence([[1, 1]], [[1, 3]]) == pytest.approx(expected, rel=1e-9)
    assert kl_divergence(blob, np.roll(blob, 5, axis=0)) > 0
    with pytest.raises(InputError, match="negative"):
        kl_divergence([[1.0, -1.0]], [[1.0, 1.0]])


def test_similarity(blob):
    assert similarity(blob, blob) == pytest.approx(1.0)
    # (0.25, 0.75) vs (0.5, 0.5): min = 0.25 + 0.5
    assert similarity([[1, 3]], [[1, 1]]) == pytest.approx(0.75)
    assert similarity([[1, 0]], [[0, 1]]) == 0.0
    assert 0 < similarity(blob, np.roll(blob, 4, axis=1)) < 1


def test_nss_hand_computed():
    saliency = np.array([[1.0, 2.0], [3.0, 6.0]])  # mean 3, population sd sqrt(3.5)
    fixations = np.array([[0, 1], [0, 1]])
    expected = ((2 - 3) / np.sqrt(3.5) + (6 - 3) / np.sqrt(3.5)) / 2
    assert nss(saliency, fixations) == pytest.approx(expected)
    # counts above 1 do not weigh a cell more
    assert nss(saliency, fixations * 5) == pytest.approx(expected)
    with pytest.raises(InputError, match="no fixated cell"):
        nss(saliency, np.zeros((2, 2)))


def test_auc_judd_hand_computed():
    assert auc_judd([[0.9, 0.1, 0.2, 0.8]], [[1, 0, 0, 1]]) == pytest.approx(1.0)
    # thresholds 0.9 and 0.2: (tp, fp) = (0.5, 0), (1, 0.5) -> area 0.875
    assert auc_judd([[0.9, 0.1, 0.2, 0.8]], [[1, 0, 1, 0]]) == pytest.approx(0.875)
    # a saliency map made from the fixations themselves ranks them first
    events = fixation_table([200.0, 800.0, 500.0], [200.0, 500.0, 100.0])
    fix = fixation_map(events, SCREEN, grid=(32, 24))
    sal = heatmap(events, SCREEN, grid=(32, 24), source="fixations")
    assert auc_judd(sal, fix) > 0.99
    assert nss(sal, fix) > 3
    with pytest.raises(InputError, match="every cell"):
        auc_judd([[1.0, 2.0]], [[1, 1]])
