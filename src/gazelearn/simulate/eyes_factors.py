"""The random factors of the synthetic eye images: who (a person) and under which conditions.

:class:`PersonParameters` are fixed for a person (eye shape, colours, eyeball radius, the angle
kappa between optical and visual axis); :class:`SessionParameters` for one measurement (head pose,
lighting, camera, crop placement). :func:`random_person` and :func:`random_session` draw them.

Examples
--------
>>> person = random_person(np.random.default_rng(0), kappa_sd_deg=2.5)
>>> PersonParameters.from_dict(person.to_dict()) == person
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Self

import numpy as np

from gazelearn.errors import InputError
from gazelearn.screen import Screen

# Iris colours (RGB) and how common they are; skin from light to dark; hair colours.
_IRIS_PALETTE = np.array([[0.22, 0.13, 0.07], [0.36, 0.22, 0.11], [0.46, 0.35, 0.18],
                          [0.36, 0.43, 0.26], [0.36, 0.49, 0.64], [0.47, 0.50, 0.52]])
_IRIS_WEIGHTS = np.array([0.33, 0.25, 0.12, 0.08, 0.14, 0.08])
_SKIN_LIGHT = np.array([0.86, 0.69, 0.58])
_SKIN_DARK = np.array([0.36, 0.24, 0.18])
_HAIR_PALETTE = np.array([[0.08, 0.06, 0.05], [0.22, 0.15, 0.10], [0.45, 0.33, 0.20],
                          [0.70, 0.58, 0.40]])


class _DictFields:
    """``to_dict`` / ``from_dict`` of the parameter dataclasses (JSON in ``meta.json``)."""

    def to_dict(self) -> dict:
        """Plain dictionary (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Self:
        """Rebuild from :meth:`to_dict` output (lists become tuples); unknown names raise."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise InputError(f"unknown {cls.__name__} fields: {', '.join(unknown)}")

        def tuples(value):
            return tuple(tuples(v) for v in value) if isinstance(value, list) else value

        return cls(**{k: tuples(v) for k, v in values.items()})


@dataclass(frozen=True)
class PersonParameters(_DictFields):
    """Traits of one simulated person (lengths in mm, angles in degrees, colours RGB 0..1).

    ``kappa_h_deg`` / ``kappa_v_deg`` are the angle between the optical and the visual axis
    (optical = visual - kappa), horizontal (positive to the image's right) and vertical (positive
    down): the per-person offset a calibration must learn.
    """

    eye_width_mm: float = 29.0
    upper_lid_mm: float = 4.6
    lower_lid_mm: float = 3.6
    lid_power: float = 0.6
    upper_peak: float = 0.12
    lower_peak: float = -0.15
    canthal_tilt_deg: float = 4.0
    crease_mm: float = 4.0
    crease_depth: float = 0.25
    brow_mm: float = 11.0
    brow_darkness: float = 0.6
    lid_follow: float = 0.75
    iris_radius_mm: float = 5.9
    iris_rgb: tuple[float, float, float] = (0.36, 0.22, 0.11)
    iris_texture: tuple[tuple[float, float, float], ...] = (
        (11.0, 0.3, 0.10), (17.0, 1.1, 0.08), (29.0, 2.0, 0.06))
    limbus_darkness: float = 0.45
    pupil_mm: float = 2.2
    sclera_rgb: tuple[float, float, float] = (0.88, 0.85, 0.82)
    skin_rgb: tuple[float, float, float] = (0.80, 0.62, 0.52)
    hair_rgb: tuple[float, float, float] = (0.20, 0.14, 0.10)
    lash_mm: float = 1.1
    lash_darkness: float = 0.85
    eyeball_radius_mm: float = 12.0
    kappa_h_deg: float = 0.0
    kappa_v_deg: float = 0.0


@dataclass(frozen=True)
class SessionParameters(_DictFields):
    """Conditions of one measurement (one sitting): head pose, lighting, camera, crop.

    Head position is that of the eye, in mm from the screen centre (x right, y down);
    ``distance_mm`` is from the eye to the screen plane. Rotations in degrees.
    """

    distance_mm: float = 600.0
    head_x_mm: float = 0.0
    head_y_mm: float = 0.0
    head_yaw_deg: float = 0.0
    head_pitch_deg: float = 0.0
    head_roll_deg: float = 0.0
    gain: float = 1.0
    ambient: float = 0.0
    gradient_x: float = 0.0
    gradient_y: float = 0.0
    light_h_deg: float = 10.0
    light_v_deg: float = -20.0
    glint_strength: float = 0.9
    pupil_scale: float = 1.0
    blur_px: float = 0.5
    noise: float = 0.015
    crop_scale: float = 1.0
    crop_x_mm: float = 0.0
    crop_y_mm: float = 0.0


def random_person(rng: np.random.Generator, kappa_sd_deg: float = 2.5) -> PersonParameters:
    """Draw one person's traits.

    Examples
    --------
    >>> a = random_person(np.random.default_rng(0))
    >>> b = random_person(np.random.default_rng(1))
    >>> a != b, 24 < a.eye_width_mm < 34
    (True, True)
    """
    iris = _IRIS_PALETTE[rng.choice(len(_IRIS_PALETTE), p=_IRIS_WEIGHTS)]
    iris = np.clip(iris * rng.uniform(0.8, 1.2) + rng.normal(0, 0.02, 3), 0.03, 1.0)
    tone = rng.uniform(0.0, 1.0) ** 1.3
    skin = (1 - tone) * _SKIN_LIGHT + tone * _SKIN_DARK + rng.normal(0, 0.02, 3)
    hair = _HAIR_PALETTE[rng.integers(len(_HAIR_PALETTE))] * rng.uniform(0.8, 1.1)
    texture = tuple(
        (float(rng.integers(7, 36)), float(rng.uniform(0, 2 * np.pi)),
         float(rng.uniform(0.03, 0.12)))
        for _ in range(3)
    )
    upper = rng.uniform(4.2, 6.0)
    return PersonParameters(
        eye_width_mm=rng.uniform(26.0, 32.0),
        upper_lid_mm=upper,
        lower_lid_mm=rng.uniform(3.2, 4.6),
        lid_power=rng.uniform(0.45, 0.8),
        upper_peak=rng.uniform(-0.05, 0.3),
        lower_peak=rng.uniform(-0.3, 0.05),
        canthal_tilt_deg=rng.normal(4.0, 3.0),
        crease_mm=rng.uniform(1.5, 6.0),
        crease_depth=rng.uniform(0.1, 0.35),
        brow_mm=rng.uniform(9.0, 13.0),
        brow_darkness=rng.uniform(0.3, 0.8),
        lid_follow=rng.uniform(0.6, 0.9),
        iris_radius_mm=rng.uniform(5.5, 6.3),
        iris_rgb=tuple(float(v) for v in iris),
        iris_texture=texture,
        limbus_darkness=rng.uniform(0.25, 0.6),
        pupil_mm=rng.uniform(1.8, 2.6),
        sclera_rgb=tuple(float(v) for v in np.clip(
            np.array([0.80, 0.77, 0.74]) * rng.uniform(0.85, 1.05) + rng.normal(0, 0.015, 3),
            0, 1)),
        skin_rgb=tuple(float(v) for v in np.clip(skin, 0.05, 1.0)),
        hair_rgb=tuple(float(v) for v in np.clip(hair, 0.0, 1.0)),
        lash_mm=rng.uniform(0.7, 1.6),
        lash_darkness=rng.uniform(0.6, 0.95),
        eyeball_radius_mm=rng.uniform(11.5, 12.8),
        kappa_h_deg=rng.normal(0.0, kappa_sd_deg),
        kappa_v_deg=rng.normal(0.0, kappa_sd_deg),
    )


def random_session(rng: np.random.Generator, screen: Screen) -> SessionParameters:
    """Draw the conditions of one measurement for a screen.

    Examples
    --------
    >>> from gazelearn.simulate.oculomotor import DEFAULT_SCREEN
    >>> s = random_session(np.random.default_rng(0), DEFAULT_SCREEN)
    >>> 450 < s.distance_mm < 750
    True
    """
    gain = rng.uniform(0.6, 1.15)
    return SessionParameters(
        distance_mm=screen.distance_mm * rng.uniform(0.8, 1.2),
        head_x_mm=rng.normal(0.0, 0.08 * screen.width_mm),
        head_y_mm=rng.normal(0.0, 0.08 * screen.height_mm),
        head_yaw_deg=rng.normal(0.0, 4.0),
        head_pitch_deg=rng.normal(0.0, 4.0),
        head_roll_deg=rng.normal(0.0, 3.0),
        gain=gain,
        ambient=rng.uniform(-0.03, 0.06),
        gradient_x=rng.normal(0.0, 0.15),
        gradient_y=rng.normal(0.0, 0.1),
        light_h_deg=rng.uniform(-30.0, 30.0),
        light_v_deg=rng.uniform(-40.0, 5.0),
        glint_strength=rng.uniform(0.4, 1.0),
        pupil_scale=float(np.clip(1.25 - 0.35 * gain + rng.normal(0, 0.05), 0.6, 1.5)),
        blur_px=rng.uniform(0.3, 1.0),
        noise=rng.uniform(0.004, 0.02),
        crop_scale=rng.uniform(0.93, 1.07),
        crop_x_mm=rng.normal(0.0, 0.8),
        crop_y_mm=rng.normal(0.0, 0.8),
    )
