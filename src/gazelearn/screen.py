"""Screen geometry: pixels, millimetres, normalised coordinates and degrees of visual angle.

A :class:`Screen` always knows its resolution in pixels; its physical size (``width_mm``,
``height_mm``) and the viewing distance (``distance_mm``) are optional. Pixels, normalised
coordinates and "% of screen" work on any screen; millimetres and degrees need the physical
fields and raise :class:`~gazelearn.errors.MissingScreenError` (naming the missing fields) on a
pixel-only screen.

Degrees are measured from the screen centre, which is assumed to be straight ahead of the eye at
``distance_mm``. Two conversions are offered:

* the exact form, ``atan(offset_mm / distance_mm)`` per axis;
* the per-pixel approximation, ``offset_px / pixels_per_degree``, where ``pixels_per_degree`` is
  the value at the screen centre. It is what most papers use, and it overstates angles towards
  the screen edges (by about 1 % at 10 deg, 4 % at 20 deg).

Examples
--------
>>> screen = Screen(1024, 768, 380.0, 300.0, 670.0)  # the Lund 2013 set-up
>>> x_deg, y_deg = screen.px_to_deg(np.array([512.0 + 100]), np.array([384.0]))
>>> round(float(x_deg[0]), 3), float(y_deg[0])
(3.17, 0.0)
>>> screen.norm_to_px(np.array([0.5]), np.array([0.5]))
(array([512.]), array([384.]))
>>> browser = Screen(1920, 1080)  # pixels only: no degrees
>>> browser.has_geometry, browser.missing_geometry
(False, ('width_mm', 'height_mm', 'distance_mm'))
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from gazelearn.errors import InputError, MissingScreenError

# Limits of "a screen that could be real": below these the numbers are almost surely in the wrong
# unit (metres for millimetres) or swapped. They are generous on purpose.
_MIN_PX = 16
_MAX_PX = 200_000
_MIN_MM = 10.0
_MAX_MM = 20_000.0
_MIN_DISTANCE_MM = 50.0
_MAX_DISTANCE_MM = 50_000.0

#: The physical fields: what millimetres and degrees need besides the resolution.
GEOMETRY_FIELDS = ("width_mm", "height_mm", "distance_mm")

#: A complete screen, as the example in messages about missing geometry.
_EXAMPLE = "Screen(1920, 1080, 531, 299, 600)"

#: How to supply a screen, in the words of the Python API (the apps add their own options).
SCREEN_HINT = ("pass screen=Screen(width_px, height_px, width_mm, height_mm, distance_mm), e.g. "
               + _EXAMPLE)


def _and(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class Screen:
    """A screen: resolution, and (when known) physical size and viewing distance.

    Parameters
    ----------
    width_px, height_px : int
        Resolution in pixels.
    width_mm, height_mm : float, optional
        Physical size of the pixel area in millimetres (None when unknown).
    distance_mm : float, optional
        Eye-to-screen distance in millimetres (None when unknown).

    Raises
    ------
    InputError
        When a value given is not positive or the screen is too small or too large to be real
        (for example metres given where millimetres were expected).

    Examples
    --------
    >>> Screen(1920, 1080).norm_to_px([0.5], [0.25])
    (array([960.]), array([270.]))
    >>> Screen(1920, 1080).pixels_per_degree
    Traceback (most recent call last):
    ...
    gazelearn.errors.MissingScreenError: pixels per degree needs the screen's width_mm, ...
    """

    width_px: int
    height_px: int
    width_mm: float | None = None
    height_mm: float | None = None
    distance_mm: float | None = None

    def __post_init__(self) -> None:
        checks = [
            ("width_px", _MIN_PX, _MAX_PX, "pixels", int),
            ("height_px", _MIN_PX, _MAX_PX, "pixels", int),
            ("width_mm", _MIN_MM, _MAX_MM, "millimetres", float),
            ("height_mm", _MIN_MM, _MAX_MM, "millimetres", float),
            ("distance_mm", _MIN_DISTANCE_MM, _MAX_DISTANCE_MM, "millimetres", float),
        ]
        for name, low, high, unit, kind in checks:
            value = getattr(self, name)
            if value is None and name in GEOMETRY_FIELDS:
                continue  # unknown: the conversions that need it say so
            if isinstance(value, bool) or not isinstance(
                    value, int | float | np.integer | np.floating) or not math.isfinite(value):
                raise InputError(f"screen {name} must be a finite number, got {value!r}")
            if not low <= value <= high:
                raise InputError(
                    f"screen {name}={value} is not a real screen: expected {low}..{high} {unit}"
                )
            object.__setattr__(self, name, kind(value))

    # ------------------------------------------------------------------ construction
    @classmethod
    def coerce(cls, value, name: str = "screen") -> Screen:
        """A Screen from a Screen, its :meth:`to_dict`, or ``(width_px, height_px)`` (optionally
        followed by ``width_mm, height_mm, distance_mm``).

        The one place where public functions turn the plain values they accept into a Screen.

        Examples
        --------
        >>> Screen.coerce((1920, 1080))
        Screen(width_px=1920, height_px=1080, width_mm=None, height_mm=None, distance_mm=None)
        >>> Screen.coerce([1024, 768, 380, 300, 670]).pixels_per_degree > 30
        True
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls.from_dict(value)
        values = None
        if not isinstance(value, str | bytes):
            try:
                values = tuple(value)
            except TypeError:
                pass
        if values is None or len(values) not in (2, 5):
            raise InputError(f"{name} must be a Screen, its to_dict(), (width_px, height_px) or "
                             "(width_px, height_px, width_mm, height_mm, distance_mm), got "
                             f"{value!r}")
        return cls(*values)

    # ------------------------------------------------------------------ what is known
    @property
    def size_px(self) -> tuple[int, int]:
        """``(width_px, height_px)``."""
        return self.width_px, self.height_px

    @property
    def missing_geometry(self) -> tuple[str, ...]:
        """The physical fields that are unknown (empty when degrees can be computed)."""
        return tuple(name for name in GEOMETRY_FIELDS if getattr(self, name) is None)

    @property
    def has_geometry(self) -> bool:
        """True when size in mm and viewing distance are known (degrees can be computed)."""
        return not self.missing_geometry

    def require_geometry(self, purpose: str = "conversion to degrees",
                         needed: tuple[str, ...] = GEOMETRY_FIELDS,
                         source: str | None = None) -> Screen:
        """Return the screen, or raise :class:`~gazelearn.errors.MissingScreenError` when a
        physical field ``purpose`` needs is unknown.

        Examples
        --------
        >>> Screen(1024, 768, 380.0, 300.0).require_geometry("the I-VT detector")
        Traceback (most recent call last):
        ...
        gazelearn.errors.MissingScreenError: the I-VT detector needs the screen's distance_mm, ...
        """
        missing = tuple(name for name in needed if getattr(self, name) is None)
        if missing:
            raise MissingScreenError(
                f"{purpose} needs the screen's {_and(missing)}, which this {self.width_px} x "
                f"{self.height_px} px screen lacks: pass screen=Screen({self.width_px}, "
                f"{self.height_px}, width_mm, height_mm, distance_mm), e.g. {_EXAMPLE}",
                missing=missing, source=source)
        return self

    # ------------------------------------------------------------------ basic quantities
    @property
    def mm_per_px(self) -> tuple[float, float]:
        """Millimetres per pixel along x and y (needs ``width_mm`` and ``height_mm``)."""
        self.require_geometry("millimetres per pixel", ("width_mm", "height_mm"))
        return self.width_mm / self.width_px, self.height_mm / self.height_px

    @property
    def center_px(self) -> tuple[float, float]:
        """The screen centre in pixels."""
        return self.width_px / 2.0, self.height_px / 2.0

    @property
    def pixels_per_degree(self) -> float:
        """Pixels per degree at the screen centre (mean of x and y)."""
        self.require_geometry("pixels per degree")
        mm_x, mm_y = self.mm_per_px
        mm_per_deg = 2.0 * self.distance_mm * math.tan(math.radians(0.5))
        return 0.5 * (mm_per_deg / mm_x + mm_per_deg / mm_y)

    @property
    def size_deg(self) -> tuple[float, float]:
        """Full width and height of the screen in degrees of visual angle (exact form)."""
        self.require_geometry("the screen size in degrees")
        return (
            2.0 * math.degrees(math.atan(self.width_mm / 2.0 / self.distance_mm)),
            2.0 * math.degrees(math.atan(self.height_mm / 2.0 / self.distance_mm)),
        )

    @property
    def diagonal_px(self) -> float:
        """Screen diagonal in pixels (the denominator of "% of screen" errors)."""
        return math.hypot(self.width_px, self.height_px)

    # ------------------------------------------------------------------ conversions
    def px_to_deg(self, x, y, exact: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Pixels to degrees of visual angle from the screen centre.

        Parameters
        ----------
        x, y : array_like
            Positions in pixels (origin top-left, y down). NaN stays NaN.
        exact : bool
            ``True`` for the atan form, ``False`` for the per-pixel approximation.

        Raises
        ------
        MissingScreenError
            On a screen without ``width_mm``, ``height_mm`` or ``distance_mm``.
        """
        self.require_geometry("conversion to degrees")
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        cx, cy = self.center_px
        if not exact:
            ppd = self.pixels_per_degree
            return (x - cx) / ppd, (y - cy) / ppd
        mm_x, mm_y = self.mm_per_px
        return (
            np.degrees(np.arctan((x - cx) * mm_x / self.distance_mm)),
            np.degrees(np.arctan((y - cy) * mm_y / self.distance_mm)),
        )

    def deg_to_px(self, x_deg, y_deg, exact: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Degrees from the screen centre to pixels; the inverse of :meth:`px_to_deg`."""
        self.require_geometry("conversion from degrees")
        x_deg = np.asarray(x_deg, dtype=np.float64)
        y_deg = np.asarray(y_deg, dtype=np.float64)
        cx, cy = self.center_px
        if not exact:
            ppd = self.pixels_per_degree
            return x_deg * ppd + cx, y_deg * ppd + cy
        mm_x, mm_y = self.mm_per_px
        with np.errstate(invalid="ignore"):  # an infinite angle is a lost sample: NaN, no warning
            return (
                np.tan(np.radians(x_deg)) * self.distance_mm / mm_x + cx,
                np.tan(np.radians(y_deg)) * self.distance_mm / mm_y + cy,
            )

    def norm_to_px(self, x_norm, y_norm) -> tuple[np.ndarray, np.ndarray]:
        """Normalised coordinates (0..1 over the screen) to pixels."""
        return (
            np.asarray(x_norm, dtype=np.float64) * self.width_px,
            np.asarray(y_norm, dtype=np.float64) * self.height_px,
        )

    def px_to_norm(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Pixels to normalised coordinates (0..1 over the screen)."""
        return (
            np.asarray(x, dtype=np.float64) / self.width_px,
            np.asarray(y, dtype=np.float64) / self.height_px,
        )

    def angular_distance(self, x1, y1, x2, y2) -> np.ndarray:
        """Exact visual angle in degrees between two points given in pixels.

        Uses the angle between the two 3-D gaze vectors from the eye, so it is right anywhere on
        the screen, not only near the centre.

        Examples
        --------
        >>> s = Screen(1000, 1000, 1000.0, 1000.0, 500.0)
        >>> float(np.round(s.angular_distance(500, 500, 1000, 500), 6))
        45.0
        """
        self.require_geometry("the visual angle between two points")
        mm_x, mm_y = self.mm_per_px
        cx, cy = self.center_px
        ax = (np.asarray(x1, dtype=np.float64) - cx) * mm_x
        ay = (np.asarray(y1, dtype=np.float64) - cy) * mm_y
        bx = (np.asarray(x2, dtype=np.float64) - cx) * mm_x
        by = (np.asarray(y2, dtype=np.float64) - cy) * mm_y
        return _vector_angles(ax, ay, bx, by, self.distance_mm)

    def step_angles(self, x, y) -> np.ndarray:
        """Exact visual angle in degrees between consecutive points (``n - 1`` values).

        The same numbers as ``angular_distance(x[:-1], y[:-1], x[1:], y[1:])``, bit for bit,
        with each gaze vector computed once (an hour of samples is 1.8 M of them).

        Examples
        --------
        >>> s = Screen(1000, 1000, 1000.0, 1000.0, 500.0)
        >>> np.round(s.step_angles([500, 1000, 1000], [500, 500, 500]), 6).tolist()
        [45.0, 0.0]
        """
        self.require_geometry("the visual angle between two points")
        mm_x, mm_y = self.mm_per_px
        cx, cy = self.center_px
        vx = np.subtract(np.asarray(x, dtype=np.float64), cx)
        vx *= mm_x
        vy = np.subtract(np.asarray(y, dtype=np.float64), cy)
        vy *= mm_y
        return _vector_angles(vx[:-1], vy[:-1], vx[1:], vy[1:], self.distance_mm)

    def describe(self) -> str:
        """One line for people: resolution, and size and distance when known.

        Examples
        --------
        >>> Screen(1024, 768, 380.0, 300.0, 670.0).describe()
        '1024 x 768 px, 380 x 300 mm at 670 mm'
        >>> Screen(1920, 1080).describe()
        '1920 x 1080 px (size in mm and viewing distance unknown)'
        """
        text = f"{self.width_px} x {self.height_px} px"
        if self.has_geometry:
            return (text + f", {self.width_mm:g} x {self.height_mm:g} mm at "
                    f"{self.distance_mm:g} mm")
        known = [f"{name} {getattr(self, name):g}" for name in GEOMETRY_FIELDS
                 if getattr(self, name) is not None]
        return text + (f" ({', '.join(known)}; the rest unknown)" if known
                       else " (size in mm and viewing distance unknown)")

    def to_dict(self) -> dict:
        """The screen as a plain dictionary (for JSON and metadata tables); unknown fields are
        None."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Screen:
        """Rebuild a screen from :meth:`to_dict` output (every field present, unknown ones None).

        Examples
        --------
        >>> Screen.from_dict(Screen(1920, 1080).to_dict()) == Screen(1920, 1080)
        True
        """
        try:
            return cls(**{f.name: values[f.name] for f in fields(cls)})
        except KeyError as missing:
            raise InputError(f"screen description lacks {missing.args[0]!r}") from None


def screen_size(area) -> tuple[float, float]:
    """``(width_px, height_px)`` of a drawing area: a :class:`Screen` or any positive
    ``(width, height)`` pair (a stimulus image may be smaller than a real screen).

    Functions that need a screen take :meth:`Screen.coerce` instead; this is for plots.

    Examples
    --------
    >>> screen_size(Screen(1024, 768)), screen_size((10, 10))
    ((1024.0, 768.0), (10.0, 10.0))
    """
    if isinstance(area, Screen):
        return float(area.width_px), float(area.height_px)
    try:
        width, height = (float(v) for v in area)
    except (TypeError, ValueError):
        raise InputError(f"screen size must be a Screen or (width_px, height_px), got {area!r}"
                         ) from None
    if not (width > 0 and height > 0):
        raise InputError(f"screen size must be positive, got {area!r}")
    return width, height


def _vector_angles(ax, ay, bx, by, d: float) -> np.ndarray:
    """Degrees between the gaze vectors ``(ax, ay, d)`` and ``(bx, by, d)`` (mm from the eye):
    ``atan2(|a x b|, a . b)``, exact at any angle, with the eye-to-screen component ``d`` a
    scalar and the products done in place (the same operations, in the same order, as the
    three-component formula, so results are identical to it)."""
    ax, ay, bx, by = np.broadcast_arrays(ax, ay, bx, by)
    dot, cross, part = (np.empty(ax.shape) for _ in range(3))
    np.multiply(ax, bx, out=dot)
    dot += ay * by
    dot += d * d
    np.multiply(ay, d, out=cross)
    cross -= by * d  # ay*bz - az*by
    cross *= cross
    np.multiply(bx, d, out=part)
    part -= ax * d  # az*bx - ax*bz
    part *= part
    cross += part
    np.multiply(ax, by, out=part)
    part -= ay * bx  # ax*by - ay*bx
    part *= part
    cross += part
    np.sqrt(cross, out=cross)
    np.arctan2(cross, dot, out=cross)
    return np.degrees(cross, out=cross)[()]  # a scalar for scalar inputs, as before
