import math

import numpy as np
import pytest

from gazelearn import InputError, Screen
from gazelearn.errors import MissingScreenError

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


# ---------------------------------------------------------------------------- pixel-only screens
PIXELS = Screen(1920, 1080)


def test_a_pixel_only_screen_converts_pixels_and_normalised_coordinates():
    assert PIXELS.size_px == (1920, 1080) and PIXELS.diagonal_px == pytest.approx(2202.907, 1e-6)
    assert not PIXELS.has_geometry
    assert PIXELS.missing_geometry == ("width_mm", "height_mm", "distance_mm")
    x, y = PIXELS.norm_to_px([0.5, 1.0], [0.25, 0.0])
    assert x.tolist() == [960.0, 1920.0] and y.tolist() == [270.0, 0.0]
    xn, yn = PIXELS.px_to_norm(x, y)
    assert xn.tolist() == [0.5, 1.0] and yn.tolist() == [0.25, 0.0]
    assert LUND.has_geometry and LUND.missing_geometry == ()


@pytest.mark.parametrize("convert", [
    lambda s: s.px_to_deg(10.0, 10.0),
    lambda s: s.px_to_deg(10.0, 10.0, exact=False),
    lambda s: s.deg_to_px(1.0, 1.0),
    lambda s: s.deg_to_px(1.0, 1.0, exact=False),
    lambda s: s.pixels_per_degree,
    lambda s: s.size_deg,
    lambda s: s.angular_distance(0, 0, 10, 10),
], ids=["px_to_deg", "px_to_deg_approx", "deg_to_px", "deg_to_px_approx",
        "pixels_per_degree", "size_deg", "angular_distance"])
def test_every_degree_conversion_needs_the_geometry(convert):
    with pytest.raises(MissingScreenError) as error:
        convert(PIXELS)
    message = str(error.value)
    assert "width_mm" in error.value.missing and "screen=Screen(1920, 1080" in message
    assert "--" not in message  # the Python API, never command-line options
    # only what is missing is named
    with pytest.raises(MissingScreenError) as error:
        convert(Screen(1920, 1080, 531.0, 299.0))
    assert error.value.missing == ("distance_mm",)


def test_missing_distance_only():
    screen = Screen(1024, 768, 380.0, 300.0)
    assert screen.mm_per_px == pytest.approx((380 / 1024, 300 / 768))
    assert screen.missing_geometry == ("distance_mm",)
    with pytest.raises(MissingScreenError, match="distance_mm") as error:
        screen.px_to_deg(0.0, 0.0)
    assert error.value.missing == ("distance_mm",)
    assert screen.require_geometry("mm", ("width_mm", "height_mm")) is screen
    with pytest.raises(MissingScreenError) as error:
        _ = PIXELS.mm_per_px
    assert error.value.missing == ("width_mm", "height_mm")


def test_values_given_are_still_checked():
    with pytest.raises(InputError, match="width_px"):
        Screen(4, 768)
    with pytest.raises(InputError, match="distance_mm"):
        Screen(1024, 768, distance_mm=0.67)
    with pytest.raises(InputError, match="height_mm"):
        Screen(1024, 768, 380.0, float("inf"))


def test_coerce_takes_a_screen_a_pair_five_numbers_or_a_dict():
    assert Screen.coerce(LUND) is LUND
    assert Screen.coerce((1920, 1080)) == PIXELS
    assert Screen.coerce(np.array([1920, 1080])) == PIXELS
    assert Screen.coerce([1024, 768, 380.0, 300.0, 670.0]) == LUND
    assert Screen.coerce(LUND.to_dict()) == LUND
    for bad in ("big", 5, (1, 2, 3), None):
        with pytest.raises(InputError, match="screen"):
            Screen.coerce(bad)
    with pytest.raises(InputError, match="width_px"):
        Screen.coerce((4, 4))


def test_pixel_only_dict_round_trip():
    assert PIXELS.to_dict()["distance_mm"] is None
    assert Screen.from_dict(PIXELS.to_dict()) == PIXELS
    assert PIXELS.describe() == "1920 x 1080 px (size in mm and viewing distance unknown)"


def test_recording_require_screen_raises_the_typed_error():
    from gazelearn import Recording

    rec = Recording([0.0, 0.01], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(MissingScreenError) as error:
        rec.require_screen("I-VT")
    assert error.value.missing == () and "--" not in str(error.value)
    rec.screen = PIXELS
    assert rec.require_screen("heat maps", geometry=False) is PIXELS
    assert not rec.has_geometry
    with pytest.raises(MissingScreenError, match="I-VT needs the screen's width_mm") as error:
        rec.require_screen("I-VT")
    assert error.value.missing == ("width_mm", "height_mm", "distance_mm")
    with pytest.raises(MissingScreenError):
        rec.position_deg()
