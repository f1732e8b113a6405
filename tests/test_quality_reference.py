"""Known answers for the fast data-quality code: the same numbers as the straightforward formulas.

``data_quality``, ``rms_s2s`` / ``rms_steps`` and ``Screen.angular_distance`` /
``Screen.step_angles`` were rewritten for speed (issue 14: ``gazelearn info`` on an hour of
500 Hz). The reference functions below are the previous implementations, kept verbatim in
spirit: masked copies, an ``(n, 2)`` array, ``hypot`` per step, three-component gaze vectors and
per-sample segment numbers. New and old must agree to 1e-12 on simulated recordings.
"""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn import Recording, Screen
from gazelearn.labels import Label
from gazelearn.metrics import data_quality, rms_s2s
from gazelearn.metrics.quality import pooled_std
from gazelearn.simulate.oculomotor import simulate_recording

SCREEN = Screen(1920, 1080, 531.0, 299.0, 600.0)


def _angles_reference(screen, x1, y1, x2, y2):
    mm_x, mm_y = screen.mm_per_px
    cx, cy = screen.center_px

    def vectors(x, y):
        x = (np.asarray(x, dtype=np.float64) - cx) * mm_x
        y = (np.asarray(y, dtype=np.float64) - cy) * mm_y
        return x, y, np.full(np.broadcast(x, y).shape, screen.distance_mm)

    ax, ay, az = vectors(x1, y1)
    bx, by, bz = vectors(x2, y2)
    dot = ax * bx + ay * by + az * bz
    cross = np.sqrt((ay * bz - az * by) ** 2 + (az * bx - ax * bz) ** 2 + (ax * by - ay * bx) ** 2)
    return np.degrees(np.arctan2(cross, dot))


def _rms_reference(xy, screen=None):
    a, b = xy[:-1], xy[1:]
    step = (np.hypot(*(b - a).T) if screen is None
            else _angles_reference(screen, a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    step = step[np.isfinite(step)]
    return float(np.sqrt(np.mean(step**2))) if step.size else float("nan")


def _std_reference(x, y, starts, stops):
    total, count = 0.0, 0
    for start, stop in zip(starts, stops, strict=True):
        gx, gy = x[start:stop], y[start:stop]
        keep = np.isfinite(gx) & np.isfinite(gy)
        if keep.any():
            gx, gy = gx[keep], gy[keep]
            total += float(np.sum((gx - gx.mean()) ** 2 + (gy - gy.mean()) ** 2))
            count += int(keep.sum())
    return float(np.sqrt(total / count)) if count else float("nan")


def _quality_reference(rec, precision_on):
    valid = np.isfinite(rec.x) & np.isfinite(rec.y)
    if precision_on == "fixation":
        fixation = rec.labels == Label.FIXATION
        keep = valid & fixation
        edges = np.diff(np.concatenate(([0], fixation.astype(np.int8), [0])))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    else:
        keep = valid
        starts, stops = np.array([0]), np.array([len(rec)])
    x, y = np.where(keep, rec.x, np.nan), np.where(keep, rec.y, np.nan)
    xy = np.column_stack([x, y])
    x_deg, y_deg = rec.screen.px_to_deg(x, y)
    return {"rms_s2s_px": _rms_reference(xy), "std_px": _std_reference(x, y, starts, stops),
            "rms_s2s_deg": _rms_reference(xy, rec.screen),
            "std_deg": _std_reference(x_deg, y_deg, starts, stops)}


def _recording(seed: int, infinite: bool = False) -> Recording:
    rec = simulate_recording(duration_s=60.0, sampling_rate=500.0, screen=SCREEN, seed=seed)
    x, y = rec.x.copy(), rec.y.copy()
    rng = np.random.default_rng(seed)
    y[rng.random(len(y)) < 0.01] = np.nan  # one coordinate lost, the other not
    if infinite:
        x[rng.random(len(x)) < 0.001] = np.inf
    return Recording(rec.time, x, y, labels=rec.labels, screen=SCREEN, meta=rec.meta)


@pytest.mark.parametrize("precision_on", ["all", "fixation"])
@pytest.mark.parametrize(("seed", "infinite"), [(0, False), (1, True)])
def test_data_quality_matches_the_reference_formulas(seed, infinite, precision_on):
    rec = _recording(seed, infinite)
    got = data_quality(rec, precision_on=precision_on)
    want = _quality_reference(rec, precision_on)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=0), key
    assert got["nonfinite_values"] == int(np.isinf(rec.x).sum())


def test_step_angles_and_angular_distance_are_the_three_component_formula_bit_for_bit():
    rng = np.random.default_rng(3)
    x, y = rng.normal(960, 500, 20_000), rng.normal(540, 400, 20_000)
    x[::7], y[::11] = np.nan, np.inf
    want = _angles_reference(SCREEN, x[:-1], y[:-1], x[1:], y[1:])
    assert np.array_equal(SCREEN.step_angles(x, y), want, equal_nan=True)
    assert np.array_equal(SCREEN.angular_distance(x[:-1], y[:-1], x[1:], y[1:]), want,
                          equal_nan=True)
    # broadcasting and scalars as before
    assert np.array_equal(SCREEN.angular_distance(x, y, 100.0, 200.0),
                          _angles_reference(SCREEN, x, y, 100.0, 200.0), equal_nan=True)
    scalar = SCREEN.angular_distance(500, 500, 1000, 500)
    assert isinstance(scalar, np.floating)
    assert scalar == _angles_reference(SCREEN, 500, 500, 1000, 500)


def test_rms_s2s_and_pooled_std_match_the_reference():
    rec = _recording(2)
    xy = np.column_stack([rec.x, rec.y])
    assert rms_s2s(xy) == pytest.approx(_rms_reference(xy), rel=1e-12)
    assert rms_s2s(xy, SCREEN) == pytest.approx(_rms_reference(xy, SCREEN), rel=1e-12)
    whole = _std_reference(rec.x, rec.y, [0], [len(rec)])
    assert pooled_std(rec.x, rec.y) == pytest.approx(whole, rel=1e-12)
    assert np.isnan(pooled_std([np.nan], [1.0]))
