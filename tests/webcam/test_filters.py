"""Smoothing filters on synthetic signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn.errors import InputError
from gazelearn.webcam import FixationAwareFilter, KalmanFilter, OneEuroFilter, make_filter, smooth

RATE = 30.0


def _stationary(n=300, noise=15.0, seed=0):
    t = np.arange(n) / RATE
    xy = np.array([800.0, 400.0]) + np.random.default_rng(seed).normal(0, noise, (n, 2))
    return t, xy


def _step(n=120, at=60, jump=600.0, noise=5.0, seed=1):
    t = np.arange(n) / RATE
    truth = np.where((np.arange(n) >= at)[:, None], [400.0 + jump, 500.0], [400.0, 500.0])
    return t, truth, truth + np.random.default_rng(seed).normal(0, noise, (n, 2))


@pytest.mark.parametrize("name,options", [("one_euro", {"min_cutoff": 0.5, "beta": 0.001}),
                                          ("kalman", {})])
def test_noise_reduction_on_a_stationary_signal(name, options):
    t, xy = _stationary()
    out = smooth(t, xy, name, **options)
    assert out[30:].std(axis=0).max() < xy[30:].std(axis=0).min() / 2
    assert np.abs(out[30:].mean(axis=0) - [800, 400]).max() < 5


@pytest.mark.parametrize("name", ["one_euro", "kalman"])
def test_fixation_aware_follows_a_saccade_at_once(name):
    t, truth, xy = _step()
    plain = smooth(t, xy, name)
    aware = smooth(t, xy, name, fixation_aware=True, jump_px=150)
    error_aware = np.hypot(*(aware - truth).T)
    error_plain = np.hypot(*(plain - truth).T)
    # no lag beyond one frame: right after the step the error is the noise level
    assert error_aware[60] < 30 and error_aware[61:].max() < 30
    assert error_plain[60] > 60  # the plain filter smears the saccade
    # and fixations stay smoothed
    assert aware[70:].std(axis=0).max() < xy[70:].std(axis=0).max()


def test_plain_filters_settle_within_a_bound_after_a_step():
    t, truth, xy = _step(noise=0.0)
    for gaze_filter in (OneEuroFilter(min_cutoff=1.0, beta=0.01), KalmanFilter()):
        out = smooth(t, xy, gaze_filter)
        error = np.hypot(*(out - truth).T)
        settled = np.flatnonzero(error[60:] < 0.05 * 600)[0]
        assert settled / RATE < 0.3  # within 300 ms


def test_nan_passes_through_and_resets():
    t, xy = _stationary(20)
    xy[5] = np.nan
    out = smooth(t, xy, "one_euro")
    assert np.isnan(out[5]).all() and np.isfinite(out[6]).all()
    assert out[6] == pytest.approx(xy[6])  # restarted from the raw sample


def test_jump_in_degrees_needs_a_screen_and_names_are_checked():
    from gazelearn.screen import Screen

    with pytest.raises(InputError, match="screen"):
        FixationAwareFilter(OneEuroFilter(), jump_deg=2.0)
    screen = Screen(1920, 1080, 530.0, 300.0, 600.0)
    f = make_filter("kalman", fixation_aware=True, jump_deg=2.0, screen=screen)
    f.update(0.0, [960, 540])
    f.update(1 / 30, [960 + 3 * screen.pixels_per_degree, 540])
    assert f.n_resets == 1
    with pytest.raises(InputError, match="unknown filter"):
        make_filter("median")
    assert make_filter("none").update(0.0, [1, 2]).tolist() == [1.0, 2.0]
