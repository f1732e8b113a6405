"""Known-answer tests of gazelearn.preprocess."""

from __future__ import annotations

import numpy as np
import pytest

import gazelearn.preprocess as pp
import gazelearn.windows as win
from gazelearn import Dataset, InputError, Metadata, Recording, Screen

SCREEN = Screen(1024, 768, 380.0, 300.0, 670.0)





# ---------------------------------------------------------------------------- derivatives
def test_ramp_gives_constant_velocity_everywhere():
    t = np.arange(300) / 500.0
    vx, vy = pp.velocity(3.0 + 40.0 * t, -7.0 * t, 500.0)
    np.testing.assert_allclose(vx, 40.0, atol=1e-9)
    np.testing.assert_allclose(vy, -7.0, atol=1e-9)


def _exact_savgol(length: int, order: int, deriv: int, pos: int) -> np.ndarray:
    """Savitzky-Golay "dot" weights in exact rational arithmetic (normal equations)."""
    import math
    from fractions import Fraction

    a = [[Fraction(i) ** k for k in range(order + 1)] for i in range(length)]
    m = [[sum(r[p] * r[q] for r in a) for q in range(order + 1)] + [Fraction(int(p == q))
         for q in range(order + 1)] for p in range(order + 1)]
    for c in range(order + 1):  # Gauss-Jordan on [M | I]
        m[c] = [v / m[c][c] for v in m[c]]
        for r in range(order + 1):
            if r != c:
                m[r] = [u - m[r][c] * v for u, v in zip(m[r], m[c], strict=True)]
    inverse = [row[order + 1:] for row in m]
    d = [Fraction(math.perm(k, deriv)) * Fraction(pos) ** (k - deriv) if k >= deriv else 0
         for k in range(order + 1)]
    coef = [sum(d[p] * inverse[p][q] for p in range(order + 1)) for q in range(order + 1)]
    return np.array([float(sum(coef[q] * a[i][q] for q in range(order + 1)))
                     for i in range(length)])


@pytest.mark.parametrize("length, order", [(3, 1), (5, 2), (7, 2), (11, 3), (21, 2), (41, 2),
                                           (9, 0)])
def test_savgol_coefficients_equal_scipys(length, order):
    # numpy's least squares instead of importing scipy.signal (issue 14): the same weights
    from scipy.signal import savgol_coeffs

    for deriv in range(order + 1):
        for delta in (1.0, 1 / 500, 1 / 2000):
            for pos in (None, 0, 1, length // 2, length - 1, length / 3):
                for use in ("conv", "dot"):
                    want = savgol_coeffs(length, order, deriv, delta, pos, use)
                    got = pp.savgol_coeffs(length, order, deriv, delta, pos, use)
                    np.testing.assert_allclose(got, want, rtol=0,
                                               atol=1e-12 * np.abs(want).max())


@pytest.mark.parametrize("length, order, deriv, pos", [(5, 2, 1, 0), (21, 2, 2, 20),
                                                       (41, 3, 0, 0), (41, 3, 2, 1),
                                                       (41, 4, 1, 0), (81, 4, 0, 80),
                                                       (81, 4, 2, 40)])
def test_savgol_coefficients_equal_the_exact_rational_weights(length, order, deriv, pos):
    # where scipy itself is off (order 3 over 41 samples: 2e-12 relative at an edge; order 4
    # over 81: 1e-9), the scaled Vandermonde fit stays at rounding error
    exact = _exact_savgol(length, order, deriv, pos)
    got = pp.savgol_coeffs(length, order, deriv, pos=pos, use="dot")
    np.testing.assert_allclose(got, exact, rtol=0, atol=1e-13 * np.abs(exact).max())


def test_savgol_coefficients_by_hand_and_bad_arguments():
    # 5 points, order 2: the classic (-3, 12, 17, 12, -3) / 35 smoothing weights
    np.testing.assert_allclose(pp.savgol_coeffs(5, 2), np.array([-3, 12, 17, 12, -3]) / 35,
                               rtol=0, atol=1e-15)
    # first derivative, order 1 or 2: (-2, -1, 0, 1, 2) / 10 per sample, over delta seconds
    np.testing.assert_allclose(pp.savgol_coeffs(5, 2, 1, delta=0.5, use="dot"),
                               np.array([-2, -1, 0, 1, 2]) / 10 / 0.5, rtol=0, atol=1e-15)
    for args in ((3, 3), (5, -1), (5, 2, -1)):
        with pytest.raises(InputError):
            pp.savgol_coeffs(*args)
    with pytest.raises(InputError, match="use"):
        pp.savgol_coeffs(5, 2, use="valid")


def test_sine_gives_cosine():
    rate, f = 1000.0, 2.0
    t = np.arange(2000) / rate
    vx, _ = pp.velocity(np.sin(2 * np.pi * f * t), np.zeros_like(t), rate)
    expected = 2 * np.pi * f * np.cos(2 * np.pi * f * t)
    np.testing.assert_allclose(vx, expected, atol=0.01 * 2 * np.pi * f)


def test_quadratic_gives_constant_acceleration():
    t = np.arange(100) / 250.0
    ax, ay = pp.acceleration(5.0 * t**2 + t, np.ones_like(t), 250.0)
    np.testing.assert_allclose(ax, 10.0, atol=1e-6)
    np.testing.assert_allclose(ay, 0.0, atol=1e-6)


def test_velocity_is_nan_only_near_gaps():
    rate = 100.0  # 20 ms -> 3 samples -> window of 5 (order + 2 minimum, odd)
    x = np.arange(40.0)
    x[20] = np.nan
    vx = pp.savgol_derivative(x, rate)
    assert np.isnan(vx[18:23]).all()
    np.testing.assert_allclose(np.delete(vx, range(18, 23)), 100.0)


def test_all_nan_and_short_signals():
    assert np.isnan(pp.savgol_derivative(np.full(10, np.nan), 100.0)).all()
    assert pp.savgol_derivative(np.zeros(0), 100.0).shape == (0,)
    assert np.isnan(pp.savgol_derivative([1.0], 100.0)).all()
    np.testing.assert_allclose(pp.savgol_derivative([0.0, 2.0], 10.0), [20.0, 20.0])
    np.testing.assert_allclose(pp.savgol_derivative([0.0, 1.0, 2.0], 10.0), 10.0)
    np.testing.assert_allclose(pp.savgol_derivative([0.0, 1.0, 4.0], 1.0, deriv=2), 2.0)
    np.testing.assert_allclose(pp.savgol_derivative([3.0, 4.0], 1.0, deriv=0), [3.0, 4.0])
    # a window much longer than the signal shrinks to fit
    np.testing.assert_allclose(pp.savgol_derivative(np.arange(6.0), 1.0, window_s=50.0), 1.0)


@pytest.mark.parametrize("kwargs", [dict(sampling_rate=0.0), dict(sampling_rate=np.nan),
                                    dict(sampling_rate=10.0, deriv=3),
                                    dict(sampling_rate=10.0, window_s=0.0)])
def test_derivative_rejects_bad_arguments(kwargs):
    with pytest.raises(InputError):
        pp.savgol_derivative(np.zeros(10), **kwargs)


def test_recording_velocities():
    t = np.arange(50) / 100.0
    rec = Recording(t, 512.0 + 100.0 * t, np.full(50, 384.0), screen=SCREEN)
    vx_px, vy_px = pp.velocity_px(rec)
    np.testing.assert_allclose(vx_px, 100.0, atol=1e-9)
    np.testing.assert_allclose(vy_px, 0.0, atol=1e-9)
    vx, vy = pp.velocity_deg(rec)
    x_deg, _ = SCREEN.px_to_deg(rec.x, rec.y)
    np.testing.assert_allclose(vx, np.gradient(x_deg, t), rtol=1e-3)
    # at the centre, d(atan(u))/du = 1: 100 px/s is 100 * mm_x / distance rad/s
    expected = np.degrees(100.0 * SCREEN.mm_per_px[0] / SCREEN.distance_mm)
    assert vx[0] == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(pp.speed_deg(rec), np.hypot(vx, vy))
    with pytest.raises(InputError, match="screen"):
        pp.velocity_deg(Recording(t, t, t))
    one = Recording([0.0], [1.0], [1.0], screen=SCREEN)
    assert np.isnan(pp.velocity_deg(one)[0]).all() and np.isnan(pp.velocity_px(one)[0]).all()


# ---------------------------------------------------------------------------- smoothing
def test_savgol_smoothing_keeps_lines_and_reduces_noise(rng):
    line = np.linspace(0, 10, 200)
    np.testing.assert_allclose(pp.smooth(line, 100.0, window_s=0.1), line, atol=1e-9)
    noisy = line + rng.normal(0, 1, 200)
    smoothed = pp.smooth(noisy, 100.0, window_s=0.1)
    assert np.std(smoothed - line) < 0.6 * np.std(noisy - line)
    noisy[50] = np.nan
    smoothed = pp.smooth(noisy, 100.0, window_s=0.1)
    assert np.isnan(smoothed[50]) and np.isfinite(np.delete(smoothed, 50)).all()
    assert smoothed[49] == noisy[49]  # window touches the gap: raw value kept


def test_median_smoothing_removes_spikes_and_keeps_gaps():
    x = np.array([1.0, 1, 1, 50, 1, 1, np.nan, 1, 1])
    out = pp.smooth(x, 100.0, method="median", window_s=0.03)
    np.testing.assert_array_equal(out, [1, 1, 1, 1, 1, 1, np.nan, 1, 1])
    with pytest.raises(InputError, match="method"):
        pp.smooth(x, 100.0, method="mean")
    with pytest.raises(InputError, match="sampling_rate"):
        pp.smooth(x)


def test_smooth_recording():
    rec = Recording(np.arange(20) / 100.0, np.arange(20.0), np.zeros(20))
    out = pp.smooth(rec, method="median")
    assert isinstance(out, Recording)
    np.testing.assert_allclose(out.x, rec.x)


# ---------------------------------------------------------------------------- gaps
def test_interpolate_gaps_hand_made():
    x = np.array([np.nan, 1.0, np.nan, 3.0, np.nan, np.nan, 9.0, np.nan])
    out = pp.interpolate_gaps(x, max_gap_s=0.01, sampling_rate=100.0)
    np.testing.assert_array_equal(out, [np.nan, 1, 2, 3, np.nan, np.nan, 9, np.nan])
    out = pp.interpolate_gaps(x, max_gap_s=0.02, sampling_rate=100.0)
    np.testing.assert_allclose(out, [np.nan, 1, 2, 3, 5, 7, 9, np.nan])
    assert np.isnan(x[2])  # input untouched


def test_interpolate_gaps_with_time_and_channels():
    time = np.array([0.0, 0.1, 0.2, 0.4, 0.5])
    values = np.array([[0.0, 0.0], [np.nan, 1.0], [2.0, np.nan], [4.0, np.nan], [5.0, 10.0]])
    out = pp.interpolate_gaps(values, max_gap_s=0.1, time=time)
    np.testing.assert_allclose(out[:, 0], [0, 1, 2, 4, 5])
    assert np.isnan(out[2:4, 1]).all()  # 0.4 s - 0.1 s - 0.1 s interval = 0.3 s of no data
    out = pp.interpolate_gaps(values, max_gap_s=0.3, time=time)
    np.testing.assert_allclose(out[:, 1], [0, 1, 3.25, 7.75, 10])  # linear in time


def test_interpolate_gaps_recording_and_errors():
    x = np.array([0.0, np.nan, 2.0, 3.0])
    rec = Recording(np.arange(4) / 10.0, x, x * 2, pupil=x * 3, labels=[1, 5, 1, 1])
    out = pp.interpolate_gaps(rec, max_gap_s=0.1)
    np.testing.assert_allclose(out.x, [0, 1, 2, 3])
    np.testing.assert_allclose(out.y, [0, 2, 4, 6])
    np.testing.assert_allclose(out.pupil, [0, 3, 6, 9])
    np.testing.assert_array_equal(out.labels, rec.labels)
    with pytest.raises(InputError):
        pp.interpolate_gaps(x, max_gap_s=-1.0, sampling_rate=10.0)
    with pytest.raises(InputError):
        pp.interpolate_gaps(x, max_gap_s=0.1)
    with pytest.raises(InputError):
        pp.interpolate_gaps(x, max_gap_s=0.1, time=[0.0, 1.0])


# ---------------------------------------------------------------------------- resampling
def test_resample_linear_signal_up_and_down():
    t = np.arange(101) / 100.0
    rec = Recording(t, 10.0 * t, -3.0 * t + 1, pupil=np.full(101, 4.0), screen=SCREEN,
                    meta=Metadata(subject="s1"))
    up = pp.resample(rec, 250.0)
    assert len(up) == 251 and up.sampling_rate == pytest.approx(250.0)
    np.testing.assert_allclose(up.x, 10.0 * up.time, atol=1e-9)
    np.testing.assert_allclose(up.y, -3.0 * up.time + 1, atol=1e-9)
    np.testing.assert_allclose(up.pupil, 4.0)
    assert up.screen == SCREEN and up.meta.subject == "s1"
    down = pp.resample(rec, 50.0)
    assert len(down) == 51
    np.testing.assert_allclose(down.x, 10.0 * down.time, atol=1e-9)


def test_resample_never_bridges_gaps():
    t = np.concatenate([np.arange(10), np.arange(15, 20)]) / 100.0  # 50 ms hole in time
    x = np.arange(15.0)
    x[3] = np.nan  # one lost sample
    rec = Recording(t, x, np.zeros(15), labels=[1] * 10 + [2] * 5)
    out = pp.resample(rec, 200.0)
    lost = np.isnan(out.x)
    assert lost[(out.time > 0.02 + 1e-9) & (out.time < 0.04 - 1e-9)].all()
    assert lost[(out.time > 0.09 + 1e-9) & (out.time < 0.15 - 1e-9)].all()
    assert not lost[out.time < 0.02 + 1e-9].any()
    assert out.x[np.isclose(out.time, 0.165)][0] == pytest.approx(11.5)
    # labels: nearest original sample
    assert out.labels[np.isclose(out.time, 0.115)][0] == 1
    assert out.labels[np.isclose(out.time, 0.13)][0] == 2
    # a missing single timestamp (2 intervals) is still interpolated
    t2 = np.delete(np.arange(10) / 100.0, 4)
    out2 = pp.resample(Recording(t2, t2 * 100, t2), 100.0)
    np.testing.assert_allclose(out2.x, np.arange(10.0), atol=1e-9)
    with pytest.raises(InputError):
        pp.resample(rec, 0.0)


# ---------------------------------------------------------------------------- windows
@pytest.mark.parametrize(("n", "length", "step", "pad", "starts"), [
    (10, 4, 4, False, [0, 4]),
    (10, 4, 4, True, [0, 4, 8]),
    (10, 4, 2, False, [0, 2, 4, 6]),
    (10, 4, 2, True, [0, 2, 4, 6]),
    (11, 4, 2, True, [0, 2, 4, 6, 8]),
    (3, 4, 1, False, []),
    (3, 4, 1, True, [0]),
    (0, 4, 1, True, []),
    (10, 3, 5, True, [0, 5]),
])
def test_sliding_window_counts(n, length, step, pad, starts):
    values = np.arange(2.0 * n).reshape(n, 2)
    windows, got, mask = win.sliding_windows(values, length, step, pad)
    assert got.tolist() == starts
    assert windows.shape == (len(starts), length, 2) and mask.shape == (len(starts), length)
    for w, s, m in zip(windows, got, mask, strict=True):
        real = min(length, n - s)
        assert m.sum() == real
        np.testing.assert_array_equal(w[:real], values[s:s + real])
        assert np.isnan(w[real:]).all()


def test_sliding_windows_errors_and_fill():
    windows, _, mask = win.sliding_windows(np.arange(5), 3, pad=True, fill=0)
    assert windows.dtype.kind == "i" and windows[1, :, 0].tolist() == [3, 4, 0]
    for length, step in [(0, 1), (3, 0), (2.5, 1)]:
        with pytest.raises(InputError):
            win.sliding_windows(np.arange(5.0), length, step)
    with pytest.raises(InputError):
        win.sliding_windows(np.zeros((2, 2, 2)), 1)


def _dataset():
    recs = []
    for i, (n, subject) in enumerate([(100, "a"), (60, "a"), (45, "b")]):
        t = np.arange(n) / 100.0
        x = 512.0 + 50.0 * t
        if i == 1:
            x[10:40] = np.nan
        recs.append(Recording(t, x, np.full(n, 384.0), labels=np.full(n, 1 + i % 2),
                              screen=SCREEN, meta=Metadata(subject=subject, trial=str(i))))
    return Dataset(recs).with_column("task", ["read", "search", "read"])


def test_make_windows_from_dataset():
    data = _dataset()
    ws = win.make_windows(data, length=20, features=("vx", "vy", "x"), targets="task",
                         groups="subject")
    assert ws.channels == ("vx", "vy", "x", "valid") and ws.velocity_unit == "deg/s"
    assert ws.X.dtype == np.float32 and ws.X.shape == (5 + 3 + 2, 20, 4)
    assert ws.recording.tolist() == [0] * 5 + [1] * 3 + [2] * 2
    assert ws.groups.tolist() == ["a"] * 8 + ["b"] * 2
    assert ws.y.tolist() == ["read"] * 5 + ["search"] * 3 + ["read"] * 2
    assert ws.start.tolist() == [0, 20, 40, 60, 80, 0, 20, 40, 0, 20]
    assert ws.sample_labels.shape == (10, 20) and set(ws.sample_labels[5].tolist()) == {2}
    assert not np.isnan(ws.X).any()
    expected = np.degrees(50.0 * SCREEN.mm_per_px[0] / SCREEN.distance_mm)
    np.testing.assert_allclose(ws.X[0, :, 0], expected, rtol=1e-3)
    # lost samples: zero-filled, flagged invalid
    assert ws.X[5, 10:, 3].sum() == 0 and ws.X[5, :8, 3].all()
    assert (ws.X[6, :, :3] == 0).all()


def test_make_windows_padding_drop_and_units():
    data = _dataset()
    ws = win.make_windows(data, length=40, step=40, features=("x", "y"), pad=True,
                         fill_nan=False, max_lost=0.5)
    # rec0: 0, 40, 80(pad); rec1: 0 (30/40 lost -> dropped), 40 (pad, 20 real, 0 lost); rec2: 0, 40
    assert ws.recording.tolist() == [0, 0, 0, 1, 2, 2]
    assert ws.start.tolist() == [0, 40, 80, 40, 0, 40]
    assert ws.mask[2].sum() == 20 and np.isnan(ws.X[2, 20:]).all()
    assert (ws.sample_labels[2, 20:] == -1).all() and (ws.sample_labels[2, :20] == 1).all()
    assert ws.groups.tolist() == [0, 0, 0, 1, 2, 2]  # default: the recording
    assert ws.velocity_unit == "" and ws.y is None
    px = win.make_windows(list(data), 10, features=("speed",), velocity_unit="px")
    assert px.velocity_unit == "px/s"
    np.testing.assert_allclose(px.X[0, :, 0], 50.0, rtol=1e-6)
    sub = ws.subset(np.array([0, 3]))
    assert len(sub) == 2 and sub.recording.tolist() == [0, 1]


def test_make_windows_errors():
    data = _dataset()
    no_screen = Recording(np.arange(30) / 100.0, np.zeros(30), np.zeros(30))
    with pytest.raises(InputError, match="screen"):
        win.make_windows([data[0], no_screen], 10)
    assert win.make_windows([data[0], no_screen], 10, velocity_unit="px").velocity_unit == "px/s"
    with pytest.raises(InputError, match="features"):
        win.make_windows(data, 10, features=("vz",))
    with pytest.raises(InputError, match="pupil"):
        win.make_windows(data, 10, features=("pupil",))
    with pytest.raises(InputError, match="length"):
        win.make_windows(data, 0)
    with pytest.raises(InputError, match="targets"):
        win.make_windows(data, 10, targets=[1, 2])
    with pytest.raises(InputError, match="column"):
        win.make_windows(data, 10, groups="nope")
    with pytest.raises(InputError, match="column"):
        win.make_windows(list(data), 10, groups="nope")
    assert set(win.make_windows(list(data), 10, groups="subject").groups.tolist()) == {"a", "b"}
    empty = win.make_windows(data, 1000)
    assert empty.X.shape == (0, 1000, 3) and empty.sample_labels.shape == (0, 1000)


@pytest.mark.parametrize("n", [5, 30, 1000, 70_000])
def test_savgol_interior_in_pieces_is_bit_for_bit_one_convolution(monkeypatch, n):
    import gazelearn.preprocess as preprocess

    values = np.cumsum(np.random.default_rng(n).normal(size=n))
    for length in (3, 11, 21):
        if length > n:
            continue
        monkeypatch.setattr(preprocess, "_CONVOLVE_PIECE", 10**9)  # one np.convolve
        whole = preprocess._savgol_interp(values, length, 2, 1, 0.002)
        for piece in (1, 7, 4096):
            monkeypatch.setattr(preprocess, "_CONVOLVE_PIECE", piece)
            assert np.array_equal(preprocess._savgol_interp(values, length, 2, 1, 0.002), whole)


def test_lost_runs_are_filled_from_their_good_neighbours_as_from_every_good_sample():
    from gazelearn.preprocess import _nan_runs_filled

    rng = np.random.default_rng(5)
    for n in (2, 3, 50, 5000):
        values = np.cumsum(rng.normal(size=n))
        values[rng.random(n) < 0.3] = np.nan
        values[:1] = np.nan  # a lost start and end: held at the nearest good value
        values[-1:] = np.nan
        good = ~np.isnan(values)
        if not good.any():
            continue
        want = values.copy()
        want[~good] = np.interp(np.flatnonzero(~good), np.flatnonzero(good), values[good])
        assert np.array_equal(_nan_runs_filled(values), want)
