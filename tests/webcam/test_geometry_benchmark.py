"""benchmarks/webcam_geometry.py's helpers against known answers (no real data, about 1 s)."""

from __future__ import annotations

import numpy as np


def test_one_eye_rows_copy_that_eye_into_both(geometry):
    rows = np.arange(22, dtype=float)[None]
    right, left = geometry._one_eye_rows(rows, 0), geometry._one_eye_rows(rows, 1)
    assert right[0, :8].tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert right[0, 8:16].tolist() == [8, 9, 10, 11, 8, 9, 10, 11]
    assert left[0, :8].tolist() == [4, 5, 6, 7, 4, 5, 6, 7]
    assert left[0, 8:16].tolist() == [12, 13, 14, 15, 12, 13, 14, 15]
    assert np.array_equal(right[0, 16:], rows[0, 16:])


def test_pool_cv_holds_out_contiguous_blocks(geometry):
    targets = np.column_stack([np.linspace(0, 1900, 40), np.full(40, 500.0)])
    pool = np.arange(40)
    seen = []

    def fit_predict(chosen, held):
        seen.append((chosen, held))
        assert not set(chosen) & set(held)
        return targets[held] + [3.0, 4.0]      # every prediction 5 px off
    err = geometry.pool_cv(np.zeros((40, 22)), targets, pool, fit_predict, "all", folds=4)
    assert np.allclose(np.hypot(*err.T), 5.0) and len(err) == 40
    assert [h.tolist() for _, h in seen] == [list(range(i, i + 10)) for i in (0, 10, 20, 30)]


def test_iris_darkness_finds_a_dark_disc_below_the_corner_line(geometry, level_face):
    face = level_face    # right eye corners 60 px apart on y = 200; left eye to the right
    frame = np.full((400, 400, 3), 200, np.uint8)
    yy, xx = np.mgrid[:400, :400]
    frame[np.hypot(xx - 140, yy - 209) <= 6] = 20     # right iris: 9 px = 0.15 corners down
    frame[np.hypot(xx - 266, yy - 200) <= 6] = 20     # left iris: 6 px = 0.1 corners right
    dark = geometry.iris_darkness([frame], [face], percentile=20.0)
    assert np.allclose(dark[0], [0.15, 0.0, 0.0, 0.1], atol=0.01)
    assert np.isnan(geometry.iris_darkness([frame], [None])).all()
