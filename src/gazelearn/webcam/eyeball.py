"""A person-independent eyeball model: face landmarks -> gaze direction -> point on the screen.

No fitting at all: MediaPipe's 3-D face mesh, its iris points and the head pose
(:func:`~gazelearn.webcam.headpose.face_axes`) give each eye's optical axis, which is
intersected with the screen plane. This is the model-based gaze estimation of the eye-tracking
literature (Hansen and Ji 2010, "In the eye of the beholder", section 4; Wood and Bulling 2014,
"EyeTab"), reduced to what a webcam's landmarks support:

1. **Scale.** Millimetres per pixel at the face from the 3-D distance of the outer eye corners
   (MediaPipe points 33 and 263; adults about 90 mm apart, ``face_width_mm``).
2. **Eyeball centre.** A fixed offset behind the midpoint of the eye's two corners *in head
   coordinates* (``eyeball_depth_mm`` along the head's z axis, which points into the head);
   it is where the gaze ray starts.
3. **Optical axis.** From the eyeball centre through the iris centre (MediaPipe's iris point).
   The iris centre lies ``d = sqrt(R^2 - r^2)`` in front of the centre (eyeball radius ``R``
   about 12 mm, iris radius ``r`` about 5.9 mm), so its displacement ``(dx, dy)`` in head
   coordinates gives the axis ``(dx, dy, -sqrt(d^2 - dx^2 - dy^2)) / d`` in the head, which
   the head's rotation turns into camera axes (x right, y down, z away from the camera).
4. **Screen plane.** The camera sits in the screen's plane (a laptop's or a monitor's webcam),
   ``camera_mm`` from the top edge's centre (default 10 mm above it); the eyes are
   ``distance_mm`` in front of it (the :class:`~gazelearn.screen.Screen`'s viewing distance, or
   600 mm), shifted by where the face is in the frame. The camera's image x runs to the
   person's left, which is the screen's left as the person sees it.

The measurements of one frame are :func:`eye_measurements` (millimetres, independent of the
screen); :func:`gaze_angles` turns them and the head's rotation into horizontal and vertical
angles of each eye (an eye part and a head part) and
:func:`angles_to_screen` / :func:`screen_to_angles` convert angles and screen px both ways (the
calibration of :class:`~gazelearn.webcam.geometry_mapper.EyeballGazeMapper` fits angle
offsets -- angle kappa -- and gains between them).

Examples
--------
A level synthetic face whose irises sit at the corners' midpoints looks along the camera's
axis, so the gaze meets the screen plane at the camera, 10 mm above the top edge's centre:

>>> import numpy as np
>>> points = np.zeros((478, 3))
>>> points[[33, 133, 362, 263]] = [[55, 100, 0], [85, 100, 0], [115, 100, 0], [145, 100, 0]]
>>> points[10], points[152] = [100, 40, 0], [100, 200, 0]   # forehead, chin: a level head
>>> points[[468, 473]] = [[70, 100, -3], [130, 100, -3]]    # irises at the corner midpoints
>>> m = eye_measurements(points, (200, 200))
>>> np.round(m[:, :2], 6).tolist()                           # iris displacements (mm): none
[[0.0, 0.0], [0.0, 0.0]]
>>> eye, head = gaze_angles(m, np.eye(3))
>>> geometry = ScreenGeometry(Screen(1920, 1080, 344, 194, 600), camera_mm=(0.0, -10.0))
>>> np.round(angles_to_screen((eye + head)[:1], np.zeros((1, 2)), geometry), 1)
array([[960. , -55.7]])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gazelearn.errors import InputError
from gazelearn.screen import Screen
from gazelearn.webcam.headpose import face_axes
from gazelearn.webcam.landmarks import EYES

#: Adult outer-canthal (outer eye corner) distance in mm: the scale of a face's landmarks.
FACE_WIDTH_MM = 90.0
#: Eyeball radius and iris radius (mm), population means (Bekerman et al. 2014; Hansen & Ji 2010).
EYEBALL_RADIUS_MM = 12.0
IRIS_RADIUS_MM = 5.9
#: Adult palpebral fissure length (eye corner to eye corner, mm): the scale of the eyelid
#: heights, which the landmark features give in units of the corner distance.
EYE_WIDTH_MM = 30.0
#: Default depth of the eyeball centre behind the eye corners' midpoint (mm, head coordinates).
EYEBALL_DEPTH_MM = 8.0
#: Physical screen assumed when the Screen has no size in mm: a 15.6-inch 16:9 laptop panel.
DEFAULT_SCREEN_MM = (344.0, 194.0)
#: Viewing distance assumed without one (mm).
DEFAULT_DISTANCE_MM = 600.0
#: The camera's position relative to the centre of the screen's top edge (x right, y down, mm).
DEFAULT_CAMERA_MM = (0.0, -10.0)
#: Columns of one eye in :func:`eye_measurements`.
MEASUREMENT_NAMES = ("iris_dx_mm", "iris_dy_mm", "eye_x_mm", "eye_y_mm")
_EYE_ORDER = ("right", "left")


def eye_measurements(points, image_size: tuple[int, int], *,
                     eyeball_depth_mm: float = EYEBALL_DEPTH_MM,
                     face_width_mm: float = FACE_WIDTH_MM) -> np.ndarray:
    """Each eye's iris displacement in the head and eyeball position, in millimetres.

    Parameters
    ----------
    points : array_like, shape (478, 3)
        :attr:`~gazelearn.webcam.FaceLandmarks.points`.
    image_size : (int, int)
        The frame's width and height (px).
    eyeball_depth_mm : float
        Depth of the eyeball centre behind the corners' midpoint, along the head's z axis.
    face_width_mm : float
        The outer eye corners' distance, the scale of the face.

    Returns
    -------
    numpy.ndarray
        ``(2, 4)``: rows right eye, left eye (the person's); columns
        :data:`MEASUREMENT_NAMES`: the iris centre's displacement from the corners' midpoint
        in head coordinates (mm; x toward the person's left eye, y toward the chin), and the
        eyeball centre's position relative to the frame's centre (mm at the face, camera x and
        y). NaN when the face is degenerate.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3 or len(points) < 478:
        raise InputError(f"eye measurements need (478, 3) landmark points, got {points.shape}")
    if face_width_mm <= 0:
        raise InputError(f"face_width_mm must be positive, got {face_width_mm!r}")
    width_px = float(np.linalg.norm(points[EYES["left"].outer] - points[EYES["right"].outer]))
    if not math.isfinite(width_px) or width_px <= 0:
        return np.full((2, 4), np.nan)
    px_per_mm = width_px / face_width_mm
    try:
        axes = face_axes(points)
    except InputError:
        return np.full((2, 4), np.nan)
    frame_centre = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
    out = np.empty((2, 4))
    for row, eye in enumerate(_EYE_ORDER):
        e = EYES[eye]
        middle = (points[e.outer] + points[e.inner]) / 2.0
        # head coordinates: the corners' midpoint and the eyeball centre behind it share x, y
        out[row, :2] = (axes.T @ (points[e.iris] - middle))[:2] / px_per_mm
        centre = middle + axes[:, 2] * eyeball_depth_mm * px_per_mm
        out[row, 2:] = (centre[:2] - frame_centre) / px_per_mm
    return out


def _angles(direction: np.ndarray) -> np.ndarray:
    # horizontal and vertical angle (deg) of directions pointing toward the camera (-z)
    return np.degrees(np.arctan2(direction[..., :2], -direction[..., 2:3]))


def gaze_angles(measurements, rotation, iris_reach_mm: float | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """The optical axis of each eye in camera angles, split into its eye and head parts.

    Parameters
    ----------
    measurements : array_like, shape (..., 4)
        :func:`eye_measurements`' columns (only the first two are used).
    rotation : array_like, shape (..., 3, 3)
        The head's rotation (:func:`~gazelearn.webcam.headpose.face_axes`; broadcast over
        the eyes).
    iris_reach_mm : float, optional
        The iris centre's distance from the eyeball centre: ``sqrt(R^2 - r^2)`` of
        :data:`EYEBALL_RADIUS_MM` and :data:`IRIS_RADIUS_MM` (10.4 mm) when None.

    Returns
    -------
    eye, head : numpy.ndarray
        ``(..., 2)`` angles (degrees; positive toward the image's right and bottom; 0, 0 along
        the camera's axis, toward it): ``head`` is where the head faces, ``eye`` what the eye's
        rotation in the head adds, so ``eye + head`` is the optical axis. Displacements longer
        than 95 % of the reach are clipped to it (a landmark slip, not an eye turned 70 deg).
    """
    m = np.asarray(measurements, dtype=np.float64)
    rotation = np.asarray(rotation, dtype=np.float64)
    reach = (math.sqrt(EYEBALL_RADIUS_MM**2 - IRIS_RADIUS_MM**2) if iris_reach_mm is None
             else float(iris_reach_mm))
    if reach <= 0:
        raise InputError(f"iris_reach_mm must be positive, got {iris_reach_mm!r}")
    d = m[..., :2] / reach
    norm = np.linalg.norm(d, axis=-1, keepdims=True)
    d = np.where(norm > 0.95, d * 0.95 / np.maximum(norm, 1e-12), d)
    # the eye looks out of the face: along the head's -z axis when the iris is centred
    in_head = np.concatenate([d, -np.sqrt(1.0 - (d**2).sum(axis=-1, keepdims=True))], axis=-1)
    in_camera = np.einsum("...ij,...j->...i", rotation, in_head)
    head = _angles(-rotation[..., :, 2])
    return _angles(in_camera) - head, np.broadcast_to(head, in_camera.shape[:-1] + (2,)).copy()


@dataclass(frozen=True)
class ScreenGeometry:
    """Where the screen is relative to the camera, in millimetres.

    Parameters
    ----------
    screen : Screen
        Its resolution; its size in mm and viewing distance when known
        (:data:`DEFAULT_SCREEN_MM` and :data:`DEFAULT_DISTANCE_MM` otherwise).
    camera_mm : (float, float)
        The camera relative to the centre of the screen's top edge (screen axes: x right,
        y down), e.g. ``(0, -10)``: 10 mm above it.
    """

    screen: Screen
    camera_mm: tuple[float, float] = DEFAULT_CAMERA_MM

    @property
    def size_mm(self) -> tuple[float, float]:
        s = self.screen
        if s.width_mm is not None and s.height_mm is not None:
            return float(s.width_mm), float(s.height_mm)
        return DEFAULT_SCREEN_MM

    @property
    def distance_mm(self) -> float:
        d = self.screen.distance_mm
        return float(d) if d is not None else DEFAULT_DISTANCE_MM

    def camera_to_px(self, xy_mm: np.ndarray) -> np.ndarray:
        """Points in the camera's plane (camera axes, mm) -> screen px."""
        w_mm, h_mm = self.size_mm
        w_px, h_px = self.screen.size_px
        xy_mm = np.asarray(xy_mm, dtype=np.float64)
        # the camera's x runs to the person's left = the screen's left; y runs down on both
        sx = w_mm / 2.0 + self.camera_mm[0] - xy_mm[..., 0]
        sy = self.camera_mm[1] + xy_mm[..., 1]
        return np.stack([sx * w_px / w_mm, sy * h_px / h_mm], axis=-1)

    def px_to_camera(self, xy_px: np.ndarray) -> np.ndarray:
        """Screen px -> points in the camera's plane (camera axes, mm)."""
        w_mm, h_mm = self.size_mm
        w_px, h_px = self.screen.size_px
        xy_px = np.asarray(xy_px, dtype=np.float64)
        sx, sy = xy_px[..., 0] * w_mm / w_px, xy_px[..., 1] * h_mm / h_px
        return np.stack([w_mm / 2.0 + self.camera_mm[0] - sx, sy - self.camera_mm[1]], axis=-1)


def angles_to_screen(angles, eye_mm, geometry: ScreenGeometry) -> np.ndarray:
    """Screen px where gaze at ``angles`` (degrees, ``(n, 2)``) from eyes at ``eye_mm``
    (``(n, 2)``, camera axes, ``geometry.distance_mm`` in front of the camera) meets the
    screen plane."""
    tangent = np.tan(np.radians(np.asarray(angles, dtype=np.float64)))
    return geometry.camera_to_px(np.asarray(eye_mm, np.float64) + geometry.distance_mm * tangent)


def screen_to_angles(xy_px, eye_mm, geometry: ScreenGeometry) -> np.ndarray:
    """The inverse of :func:`angles_to_screen`: the angles (degrees) from eyes at ``eye_mm``
    to screen points ``xy_px``."""
    offset = geometry.px_to_camera(xy_px) - np.asarray(eye_mm, np.float64)
    return np.degrees(np.arctan(offset / geometry.distance_mm))
