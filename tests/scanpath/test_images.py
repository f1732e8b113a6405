"""Scanpath images: known lines, intensities and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn import InputError, Recording
from gazelearn.scanpath import scanpath_image, scanpath_images
from gazelearn.scanpath.images import draw_segments
from gazelearn.simulate import simulate_population, simulate_recording

from ._shared import SCREEN, fixation_table


def test_horizontal_line_fills_its_row():
    # 100 x 50 image over a 1000 x 500 px area: 10 px per image pixel
    rec = Recording([0.0, 0.5], [55.0, 455.0], [205.0, 205.0])
    image = scanpath_image(rec, size=(100, 50), extent=(1000, 500))
    lit = np.argwhere(image > 0)
    assert set(lit[:, 0]) == {20}
    assert lit[:, 1].tolist() == list(range(5, 46))


def test_diagonal_line_passes_through_the_diagonal_pixels():
    image = draw_segments(np.zeros((10, 10)), [0.5], [0.5], [9.5], [9.5], [1.0])
    assert all(image[i, i] == 1.0 for i in range(10))
    # a 45-degree line sampled at half pixels lights only the diagonal
    assert int(image.sum()) == 10


def test_lost_samples_break_the_line():
    x = np.array([50.0, 250.0, np.nan, 650.0, 950.0])
    y = np.full(5, 250.0)
    image = scanpath_image(Recording(np.arange(5) / 10, x, y), size=(10, 5), extent=(1000, 500))
    assert image[2].tolist() == [1, 1, 1, 0, 0, 0, 1, 1, 1, 1]


def test_fixation_source_joins_fixation_centres():
    events = fixation_table([100.0, 900.0], [384.0, 384.0])
    image = scanpath_image(events, size=(32, 24), screen=SCREEN, source="fixations")
    assert image[12, 3:29].min() == 1.0
    assert image.sum() == pytest.approx(26.0)


def test_intensity_by_time_and_velocity():
    rec = Recording([0.0, 1.0, 1.1], [50.0, 450.0, 950.0], [250.0, 250.0, 250.0])
    by_time = scanpath_image(rec, size=(10, 5), extent=(1000, 500), intensity="time",
                             min_intensity=0.0)
    row = by_time[2]
    assert row[0] == 0.0 and row[9] == 1.0  # last point drawn at the end time
    assert row[2] == 0.0 and row[6] == pytest.approx(1.0 / 1.1)  # second segment starts at 1 s
    by_speed = scanpath_image(rec, size=(10, 5), extent=(1000, 500), intensity="velocity",
                              min_intensity=0.0)
    # segment speeds 4 and 50 px-image per second -> 4/50 and 1
    assert by_speed[2, 2] == pytest.approx(4.0 / 50.0)
    assert by_speed[2, 7] == pytest.approx(1.0)


def test_line_width_and_off_screen_points():
    rec = Recording([0.0, 0.1], [-5000.0, 500.0], [250.0, 250.0])
    thin = scanpath_image(rec, size=(10, 5), extent=(1000, 500))
    assert thin[2, :6].tolist() == [1.0] * 6 and thin[[0, 1, 3, 4]].sum() == 0
    thick = scanpath_image(rec, size=(10, 5), extent=(1000, 500), line_width=3)
    assert thick[1:4, :6].min() == 1.0 and thick[0].sum() == 0


def test_deterministic_on_simulated_data():
    rec = simulate_recording(duration_s=3.0, seed=9)
    a = scanpath_image(rec, size=(64, 36), intensity="velocity")
    b = scanpath_image(rec, size=(64, 36), intensity="velocity")
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and 0 < a.max() <= 1
    data = simulate_population(n_subjects=2, recordings_per_subject=1, duration_s=1.0)
    stack = scanpath_images(data, size=(16, 9), source="fixations")
    assert stack.shape == (2, 9, 16)
    assert scanpath_images([], size=(16, 9)).shape == (0, 9, 16)


def test_bad_options():
    rec = Recording([0.0, 0.1], [5.0, 10.0], [5.0, 10.0])
    with pytest.raises(InputError, match="extent"):
        scanpath_image(rec)
    with pytest.raises(InputError, match="intensity"):
        scanpath_image(rec, extent=(100, 100), intensity="speed")
    with pytest.raises(InputError, match="line_width"):
        scanpath_image(rec, extent=(100, 100), line_width=0)
    with pytest.raises(InputError, match="size"):
        scanpath_image(rec, size=(10,), extent=(100, 100))
    empty = Recording([0.0, 0.1], [np.nan, np.nan], [np.nan, np.nan])
    assert scanpath_image(empty, size=(4, 4), extent=(100, 100)).sum() == 0
