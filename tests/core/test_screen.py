import math

import numpy as np
import pytest

from gazelearn import InputError, Screen

LUND = Screen(1024, 768, 380.0, 300.0, 670.0)


def test_centre_is_zero_degrees():
    x, y = LUND.px_to_deg(512.0, 384.0)
    assert float(x) == 0.0 and float(y) == 0.0


def test_exact_form_matches_hand_computation():
    # 100 px right of centre = 100 * 0.380/1024 m = 37.109375 mm at 670 mm
    x, _ = LUND.px_to_deg(612.0, 384.0)
    assert float(x) == pytest.approx(math.degrees(math.atan(37.109375 / 670.0)), abs=1e-12)


def test_approximation_uses_pixels_per_degree_at_centre():
    mm_per_deg = 2 * 670.0 * math.tan(math.radians(0.5))
    ppd = 0.5 * (mm_per_deg / (380 / 1024) + mm_per_deg / (300 / 768))
    assert LUND.pixels_per_degree == pytest.approx(ppd)
    x, _ = LUND.px_to_deg(512.0 + ppd, 384.0, exact=False)
    assert float(x) == pytest.approx(1.0)


def test_approximation_overstates_towards_the_edge():
    exact, _ = LUND.px_to_deg(1024.0, 384.0)
    approx, _ = LUND.px_to_deg(1024.0, 384.0, exact=False)
    assert approx > exact


@pytest.mark.parametrize("exact", [True, False])
def test_deg_px_round_trip(exact, rng):
    x = rng.uniform(0, 1024, 50)
    y = rng.uniform(0, 768, 50)
    xd, yd = LUND.px_to_deg(x, y, exact=exact)
    x2, y2 = LUND.deg_to_px(xd, yd, exact=exact)
    np.testing.assert_allclose(x2, x, atol=1e-9)
    np.testing.assert_allclose(y2, y, atol=1e-9)


def test_norm_round_trip_and_nan_passes_through():
    x, y = LUND.norm_to_px(np.array([0.25, np.nan]), np.array([1.0, 0.5]))
    np.testing.assert_array_equal(x, [256.0, np.nan])
    np.testing.assert_array_equal(y, [768.0, 384.0])
    xn, _ = LUND.px_to_norm(x, y)
    np.testing.assert_array_equal(xn, [0.25, np.nan])


def test_angular_distance_exact():
    screen = Screen(1000, 1000, 1000.0, 1000.0, 500.0)
    # centre to right edge: atan(500/500) = 45 deg; two symmetric points: 90 deg
    assert float(screen.angular_distance(500, 500, 1000, 500)) == pytest.approx(45.0)
    assert float(screen.angular_distance(0, 500, 1000, 500)) == pytest.approx(90.0)


def test_size_in_degrees():
    width, height = LUND.size_deg
    assert width == pytest.approx(2 * math.degrees(math.atan(190 / 670)))
    assert height == pytest.approx(2 * math.degrees(math.atan(150 / 670)))


@pytest.mark.parametrize(
    "args, field",
    [
        ((1024, 768, 0.38, 0.30, 670.0), "width_mm"),  # metres given for millimetres
        ((1024, 768, 380.0, 300.0, 0.67), "distance_mm"),
        ((4, 768, 380.0, 300.0, 670.0), "width_px"),
        ((1024, 768, float("nan"), 300.0, 670.0), "width_mm"),
    ],
)
def test_unreal_screens_are_refused_naming_the_field(args, field):
    with pytest.raises(InputError, match=field):
        Screen(*args)


def test_dict_round_trip():
    assert Screen.from_dict(LUND.to_dict()) == LUND
    with pytest.raises(InputError, match="distance_mm"):
        Screen.from_dict({"width_px": 1, "height_px": 1, "width_mm": 1, "height_mm": 1})
