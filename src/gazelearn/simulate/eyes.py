"""Synthetic eye images with exact gaze ground truth, organised as persons x measurements x frames.

The generator mirrors the real collection protocol (one person, one sitting: about 100 photos,
each taken while the person looks at a random dot on the screen) and the three levels of
variation a gaze model meets:

* **person** (:class:`PersonParameters`, fixed for a person): eye shape (width, lid heights and
  curvature, canthal tilt, lid crease), iris colour, radius and texture, skin tone, eyelashes,
  eyeball radius and the **angle kappa** between the optical axis (what the image shows) and the
  visual axis (what the person looks along) — a few degrees per axis, different for every person,
  invisible in any single image: the thing a per-person calibration has to learn;
* **measurement** (:class:`SessionParameters`, one sitting): head distance and position relative
  to the screen, head rotation, lighting (gain, gradient, ambient, light direction, hence pupil
  size and the glint position), camera blur and noise, the crop's placement;
* **frame**: the target dot, small head motion, landmark (crop) jitter, pupil size, blur, noise.

Geometry (millimetres, origin at the screen centre, x right, y down, z from the eye towards the
screen): the eye sits at ``(head_x, head_y, -distance)``; the **visual axis** points at the
target; the **optical axis** is the visual axis minus the person's kappa; the eye-in-head angle
is the optical axis minus the head rotation. The iris centre, seen by a camera above the screen,
moves on the image by ``R sin(angle)`` (``R`` the distance from the eye's centre of rotation to
the iris plane, with weak perspective for the camera distance) relative to the eye corners; the
iris is foreshortened by ``cos(angle)``; the upper lid follows vertical gaze (it lowers when the
eye looks down); the corneal reflection moves about half as much as the pupil. Images are mirrored
like a webcam preview: looking right moves the iris right in the image.

Examples
--------
>>> data = simulate_eye_dataset(n_persons=2, n_measurements=2, n_frames=5, seed=1)
>>> data.images.shape, data.images.dtype, data.targets_px.shape
((20, 36, 64), dtype('uint8'), (20, 2))
>>> sorted(set(data.measurement))
['p00_m0', 'p00_m1', 'p01_m0', 'p01_m1']
>>> data.kappa_deg.shape
(2, 2)
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.screen import Screen
from gazelearn.simulate.eyes_dataset import EyeDataset, read_eye_dataset, write_eye_dataset
from gazelearn.simulate.eyes_factors import (
    PersonParameters,
    SessionParameters,
    random_person,
    random_session,
)
from gazelearn.simulate.eyes_render import FrameParameters, render_eyes
from gazelearn.simulate.oculomotor import DEFAULT_SCREEN

__all__ = [
    "EyeDataset",
    "EyeSimulator",
    "FrameParameters",
    "PersonParameters",
    "SessionParameters",
    "random_person",
    "random_session",
    "read_eye_dataset",
    "render_eyes",
    "simulate_eye_dataset",
    "write_eye_dataset",
]

_STREAM_PERSON, _STREAM_SESSION, _STREAM_FRAMES = 1, 2, 3

# ---------------------------------------------------------------------------- geometry
def _angles(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical angle (rad) of direction vectors ``(n, 3)`` (Fick-like)."""
    h = np.arctan2(vectors[:, 0], vectors[:, 2])
    v = np.arctan2(vectors[:, 1], np.hypot(vectors[:, 0], vectors[:, 2]))
    return h, v


def _sin2(h: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Image-plane displacement of a unit arm rotated by (h, v): ``(n, 2)``."""
    return np.stack([np.sin(h) * np.cos(v), np.sin(v)], axis=1)


class EyeSimulator:
    """Render eye images of simulated persons looking at dots on a screen.

    Parameters
    ----------
    image_size : (int, int)
        Width and height of the crops (64 x 36 like masked tutorial crops; 41 x 41 like ETRA
        2021's ``eye_left``).
    color : bool
        RGB images when true, grayscale otherwise.
    seed : int
        Everything random derives from it: persons from ``(seed, person)``, measurements from
        ``(seed, person, measurement)``, so person 3 is the same whatever the dataset size.
    screen : Screen, dict or tuple, optional
        Screen of the targets: a :class:`~gazelearn.screen.Screen`, its ``to_dict()``, or
        ``(width_px, height_px, width_mm, height_mm, distance_mm)``. Default: 1920x1080 px,
        531x299 mm at 600 mm.
    camera_mm : (float, float, float), optional
        Camera position from the screen centre (default: top centre of the screen, 15 mm above).
    side : {"left", "right"}
        Which eye; the nasal corner of the left eye is on the image's right (mirrored view).
    eye_fraction : float
        Share of the crop width taken by the eye, corner to corner (as a landmark cropper would
        place it); taller crops show more skin and the eyebrow.
    kappa_sd_deg : float
        Spread of the per-person kappa angle, per axis.
    noise, blur, jitter : bool
        Switch off sensor noise, blur or per-frame jitter (head motion, crop, pupil) for clean
        renders with exact geometry.

    Examples
    --------
    >>> sim = EyeSimulator(seed=3)
    >>> person, session = sim.person(0), sim.session(0, 0)
    >>> images, truth = sim.render(np.array([[100.0, 500.0], [1800.0, 500.0]]), person, session)
    >>> images.shape, bool(truth["iris_x_px"][0] < truth["iris_x_px"][1])
    ((2, 36, 64), True)
    """

    def __init__(self, image_size: tuple[int, int] = (64, 36), color: bool = False, seed: int = 0,
                 screen: Screen | dict | tuple | None = None,
                 camera_mm: tuple[float, float, float] | None = None,
                 side: str = "left", eye_fraction: float = 0.75, kappa_sd_deg: float = 2.5,
                 noise: bool = True, blur: bool = True, jitter: bool = True) -> None:
        self.image_size = image_size
        self.color = color
        self.seed = seed
        self.screen = screen
        self.camera_mm = camera_mm
        self.side = side
        self.eye_fraction = eye_fraction
        self.kappa_sd_deg = kappa_sd_deg
        self.noise = noise
        self.blur = blur
        self.jitter = jitter
        self._check()

    def _check(self) -> None:
        size = tuple(self.image_size)
        if len(size) != 2 or not all(isinstance(v, int | np.integer) and 8 <= v <= 1024
                                     for v in size):
            raise InputError(f"image size must be two integers 8..1024 (width, height), "
                             f"got {self.image_size!r}")
        if not isinstance(self.seed, int | np.integer) or self.seed < 0:
            raise InputError(f"seed must be a non-negative integer, got {self.seed!r}")
        # eye rotations come from the 3-D geometry: the screen needs its size and distance
        self._screen = (DEFAULT_SCREEN if self.screen is None else Screen.coerce(self.screen)
                        ).require_geometry("simulating eye images")
        if self.side not in ("left", "right"):
            raise InputError(f"side must be 'left' or 'right', got {self.side!r}")
        if not 0.2 <= self.eye_fraction <= 1.2:
            raise InputError(f"eye_fraction must be 0.2..1.2, got {self.eye_fraction}")
        if not 0.0 <= self.kappa_sd_deg <= 15.0:
            raise InputError(f"kappa_sd_deg must be 0..15, got {self.kappa_sd_deg}")

    # -------------------------------------------------------------- random factors
    @property
    def active_screen(self) -> Screen:
        """The screen in use (the default one when none was given)."""
        return self._screen

    @property
    def camera_position_mm(self) -> np.ndarray:
        """Camera position from the screen centre in mm."""
        if self.camera_mm is not None:
            return np.asarray(self.camera_mm, dtype=np.float64)
        return np.array([0.0, -self.active_screen.height_mm / 2.0 - 15.0, 0.0])

    def _rng(self, *stream: int) -> np.random.Generator:
        return np.random.default_rng([int(self.seed), *stream])

    def person(self, index: int) -> PersonParameters:
        """The traits of person ``index`` (deterministic for the simulator's seed)."""
        return random_person(self._rng(_STREAM_PERSON, index), self.kappa_sd_deg)

    def session(self, person: int, measurement: int) -> SessionParameters:
        """The conditions of measurement ``measurement`` of person ``person``."""
        return random_session(self._rng(_STREAM_SESSION, person, measurement), self.active_screen)

    def random_targets(self, n: int, rng: np.random.Generator, margin: float = 0.03
                       ) -> np.ndarray:
        """``n`` dots uniform over the screen (px), keeping ``margin`` of it free at the edges."""
        s = self.active_screen
        low = np.array([margin * s.width_px, margin * s.height_px])
        high = np.array([(1 - margin) * s.width_px, (1 - margin) * s.height_px])
        return np.round(rng.uniform(low, high, (n, 2)), 1)

    # -------------------------------------------------------------- rendering
    def frame_parameters(self, targets_px: np.ndarray, person: PersonParameters,
                         session: SessionParameters, rng: np.random.Generator | None = None
                         ) -> tuple[FrameParameters, pl.DataFrame]:
        """Geometry and appearance of each frame, plus its ground truth, without pixels.

        Parameters
        ----------
        targets_px : numpy.ndarray
            ``(n, 2)`` target dots in screen pixels.
        person, session : PersonParameters, SessionParameters
            Who, and under which conditions.
        rng : numpy.random.Generator, optional
            Source of the per-frame jitter (fixed when omitted).
        """
        targets = np.asarray(targets_px, dtype=np.float64).reshape(-1, 2)
        if not np.all(np.isfinite(targets)):
            raise InputError("targets must be finite pixel positions")
        rng = np.random.default_rng(0) if rng is None else rng
        n, p, s, screen = len(targets), person, session, self.active_screen
        j = 1.0 if self.jitter else 0.0

        def jit(sd: float, size=None) -> np.ndarray:
            return j * rng.normal(0.0, sd, n if size is None else (n, size))

        # World geometry: eye position, visual axis, optical axis, head rotation.
        mm_x, mm_y = screen.mm_per_px
        cx, cy = screen.center_px
        target_mm = np.stack([(targets[:, 0] - cx) * mm_x, (targets[:, 1] - cy) * mm_y,
                              np.zeros(n)], axis=1)
        eye = np.stack([s.head_x_mm + jit(3.0), s.head_y_mm + jit(3.0),
                        -s.distance_mm + jit(6.0)], axis=1)
        vis_h, vis_v = _angles(target_mm - eye)
        opt_h = vis_h - math.radians(p.kappa_h_deg)
        opt_v = vis_v - math.radians(p.kappa_v_deg)
        head_h = np.radians(s.head_yaw_deg + jit(0.6))
        head_v = np.radians(s.head_pitch_deg + jit(0.6))
        head_roll = np.radians(s.head_roll_deg + jit(0.5))
        to_camera = self.camera_position_mm[None, :] - eye
        cam_h, cam_v = _angles(to_camera)  # an eye aimed at the camera shows a centred iris
        camera_distance = np.linalg.norm(to_camera, axis=1)

        # Image plane (mm around the canthal midpoint): iris relative to the eye corners.
        arm = 0.83 * p.eyeball_radius_mm  # centre of rotation -> iris plane
        rel_h, rel_v = opt_h - cam_h, opt_v - cam_v
        head_rel_h, head_rel_v = head_h - cam_h, head_v - cam_v
        depth_iris = arm * np.cos(rel_h) * np.cos(rel_v)
        magnify = camera_distance / (camera_distance - depth_iris)
        socket = arm * _sin2(head_rel_h, head_rel_v) * (
            camera_distance / (camera_distance - 0.8 * arm))[:, None]
        iris_img = arm * _sin2(rel_h, rel_v) * magnify[:, None] - socket
        cornea_img = 0.55 * arm * _sin2(rel_h, rel_v) - socket
        light_h, light_v = math.radians(s.light_h_deg), math.radians(s.light_v_deg)
        glint_img = cornea_img + 7.8 * _sin2((light_h - cam_h) / 2.0, (light_v - cam_v) / 2.0)
        squash = np.cos(np.hypot(rel_h - head_rel_h, rel_v - head_rel_v))
        squash_dir = np.arctan2(iris_img[:, 1], iris_img[:, 0])

        # Into the eye's own frame (head roll plus the person's canthal tilt).
        nasal = 1.0 if self.side == "left" else -1.0
        roll = head_roll + nasal * math.radians(p.canthal_tilt_deg)
        cos_r, sin_r = np.cos(roll), np.sin(roll)

        def local(points: np.ndarray) -> np.ndarray:
            return np.stack([cos_r * points[:, 0] + sin_r * points[:, 1],
                             -sin_r * points[:, 0] + cos_r * points[:, 1]], axis=1)

        # Lids follow the vertical eye-in-head angle; upper lid lowers when looking down.
        eih_h, eih_v = opt_h - head_h, opt_v - head_v
        drop = arm * np.sin(eih_v)
        upper = np.clip(p.upper_lid_mm - p.lid_follow * drop + jit(0.15), 0.4,
                        p.upper_lid_mm + 3.0)
        lower = np.clip(p.lower_lid_mm + 0.25 * drop + jit(0.1), 1.2, p.lower_lid_mm + 2.0)

        width, height = (int(v) for v in self.image_size)
        scale = width * self.eye_fraction / p.eye_width_mm * s.crop_scale * (1 + jit(0.015))
        offset = np.stack([s.crop_x_mm + jit(0.25), s.crop_y_mm + jit(0.25)], axis=1)
        pupil = p.pupil_mm * s.pupil_scale * np.exp(jit(0.05))
        pupil = np.clip(pupil, 0.8, 0.8 * p.iris_radius_mm)
        # Farther heads give fewer camera pixels per eye: more blur after the crop is resized.
        distance_blur = s.blur_px * np.abs(eye[:, 2]) / screen.distance_mm
        blur = np.clip(distance_blur * np.exp(jit(0.15)), 0.0, None) if self.blur else 0.0

        def full(value) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()

        def rgb(value) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (n, 3)).copy()

        frames = FrameParameters(
            scale=full(scale), offset_mm=offset, roll_rad=full(roll), nasal=full(nasal),
            eye_width_mm=full(p.eye_width_mm), upper_lid_mm=upper, lower_lid_mm=lower,
            upper_rest_mm=full(p.upper_lid_mm), lid_power=full(p.lid_power),
            upper_peak=full(p.upper_peak), lower_peak=full(p.lower_peak),
            crease_mm=full(p.crease_mm), crease_depth=full(p.crease_depth),
            brow_mm=full(p.brow_mm), brow_darkness=full(p.brow_darkness),
            ball_radius_mm=full(p.eyeball_radius_mm), iris_center_mm=local(iris_img),
            iris_squash=squash, iris_squash_dir=squash_dir - roll,
            iris_radius_mm=full(p.iris_radius_mm), pupil_radius_mm=pupil,
            iris_rgb=rgb(p.iris_rgb), sclera_rgb=rgb(p.sclera_rgb), skin_rgb=rgb(p.skin_rgb),
            hair_rgb=rgb(p.hair_rgb),
            iris_texture=np.broadcast_to(np.asarray(p.iris_texture, float),
                                         (n, len(p.iris_texture), 3)).copy(),
            limbus_darkness=full(p.limbus_darkness), glint_mm=local(glint_img),
            glint_radius_mm=full(0.3), glint_strength=full(s.glint_strength),
            lash_mm=full(p.lash_mm), lash_darkness=full(p.lash_darkness),
            lid_shadow=full(0.35), gain=full(s.gain), ambient=full(s.ambient),
            gradient=rgb([s.gradient_x, s.gradient_y, 0.0])[:, :2],
            blur_px=full(blur), noise=full(s.noise if self.noise else 0.0),
        )
        iris_px = (iris_img + offset) * np.asarray(scale).reshape(-1, 1) + np.array(
            [width / 2.0 - 0.5, height / 2.0 - 0.5])
        truth = pl.DataFrame({
            "visual_h_deg": np.degrees(vis_h), "visual_v_deg": np.degrees(vis_v),
            "optical_h_deg": np.degrees(opt_h), "optical_v_deg": np.degrees(opt_v),
            "eye_in_head_h_deg": np.degrees(eih_h), "eye_in_head_v_deg": np.degrees(eih_v),
            "head_x_mm": eye[:, 0], "head_y_mm": eye[:, 1], "head_z_mm": eye[:, 2],
            "pupil_mm": pupil, "iris_x_px": iris_px[:, 0], "iris_y_px": iris_px[:, 1],
        })
        return frames, truth

    def render(self, targets_px: np.ndarray, person: PersonParameters,
               session: SessionParameters, rng: np.random.Generator | None = None
               ) -> tuple[np.ndarray, pl.DataFrame]:
        """Images of ``person`` in ``session`` looking at each target, and the ground truth.

        Returns
        -------
        images : numpy.ndarray
            uint8, ``(n, h, w)`` or ``(n, h, w, 3)``.
        truth : polars.DataFrame
            One row per frame (see :class:`EyeDataset`).
        """
        rng = np.random.default_rng(0) if rng is None else rng
        frames, truth = self.frame_parameters(targets_px, person, session, rng)
        return render_eyes(frames, self.image_size, self.color, rng), truth

    def simulate(self, n_persons: int, n_measurements: int = 1, n_frames: int = 100,
                 progress=None) -> EyeDataset:
        """Persons x measurements x frames of random dots; see :func:`simulate_eye_dataset`."""
        for name, value, high in [("n_persons", n_persons, 10_000),
                                  ("n_measurements", n_measurements, 1_000),
                                  ("n_frames", n_frames, 100_000)]:
            if not isinstance(value, int | np.integer) or not 1 <= value <= high:
                raise InputError(f"{name} must be an integer 1..{high}, got {value!r}")
        digits = max(2, len(str(n_persons - 1)))
        persons = [self.person(i) for i in range(n_persons)]
        sessions: dict[str, SessionParameters] = {}
        images, targets, who, which, truths = [], [], [], [], []
        for i, person in enumerate(persons):
            for m in range(n_measurements):
                key = f"p{i:0{digits}d}_m{m}"
                session = sessions[key] = self.session(i, m)
                rng = self._rng(_STREAM_FRAMES, i, m)
                dots = self.random_targets(n_frames, rng)
                frames, truth = self.render(dots, person, session, rng)
                images.append(frames)
                targets.append(dots)
                who.append(np.full(n_frames, i, dtype=np.int64))
                which.append(np.full(n_frames, key, dtype=object))
                truths.append(truth)
                if progress is not None:
                    progress(n_frames)
        return EyeDataset(
            images=np.concatenate(images), targets_px=np.concatenate(targets),
            person=np.concatenate(who), measurement=np.concatenate(which).astype(str),
            screen=self.active_screen, persons=persons, sessions=sessions,
            truth=pl.concat(truths), parameters=self.get_params(),
        )

    def get_params(self) -> dict:
        """Constructor arguments as a JSON-ready dictionary (the screen as a dict)."""
        return {
            "image_size": [int(v) for v in self.image_size], "color": bool(self.color),
            "seed": int(self.seed), "screen": self.active_screen.to_dict(),
            "camera_mm": [float(v) for v in self.camera_position_mm], "side": self.side,
            "eye_fraction": float(self.eye_fraction), "kappa_sd_deg": float(self.kappa_sd_deg),
            "noise": bool(self.noise), "blur": bool(self.blur), "jitter": bool(self.jitter),
        }


def simulate_eye_dataset(n_persons: int = 10, n_measurements: int = 2, n_frames: int = 100,
                         image_size: tuple[int, int] = (64, 36), color: bool = False,
                         seed: int = 0, screen: Screen | dict | tuple | None = None,
                         **options) -> EyeDataset:
    """Simulate ``n_persons`` x ``n_measurements`` x ``n_frames`` eye images at random dots.

    Parameters
    ----------
    n_persons, n_measurements, n_frames : int
        Size of the dataset; each measurement is one sitting with its own head pose and light.
    image_size : (int, int)
        (width, height) of the crops.
    color : bool
        RGB when true.
    seed : int
        Same seed, same dataset.
    screen : Screen, dict or tuple, optional
        Screen of the targets (default 1920x1080 px, 531x299 mm at 600 mm); see
        :class:`EyeSimulator`.
    **options
        Other :class:`EyeSimulator` arguments (``side``, ``eye_fraction``, ``kappa_sd_deg``,
        ``camera_mm``, ``noise``, ``blur``, ``jitter``).

    Examples
    --------
    >>> data = simulate_eye_dataset(1, 1, 4, image_size=(41, 41), color=True, seed=2)
    >>> data.images.shape, data.targets_norm.max() < 1.0
    ((4, 41, 41, 3), True)
    """
    simulator = EyeSimulator(image_size=tuple(image_size), color=color, seed=seed, screen=screen,
                             **options)
    return simulator.simulate(n_persons, n_measurements, n_frames)
