"""Head pose (yaw, pitch, roll) and face position/size from face landmarks.

The pose is a *geometric* estimate from MediaPipe's 3-D landmarks, with no camera model: the
face's x axis runs from the right to the left outer eye corner (33 -> 263), its y axis from the
forehead to the chin (10 -> 152, made orthogonal to x), z is their cross product. The rotation
matrix ``R = [x y z]`` (camera axes: x right, y down, z away from the camera) is split as
``R = Rz(roll) @ Ry(yaw) @ Rx(pitch)``. All angles are 0 for a face looking straight into the
camera with level eyes and a forehead-chin line parallel to the image; they are in degrees.
Because MediaPipe's depth is a relative, roughly-scaled estimate the angles are good for
features (the gaze regressor learns their effect during calibration) rather than for metric
head tracking; use :func:`cv2.solvePnP` with a calibrated camera for that.

Examples
--------
>>> import numpy as np
>>> points = np.zeros((478, 3))
>>> points[[33, 263, 10, 152]] = [[-1, 0, 0], [1, 0, 0], [0, -1, 0], [0, 1, 0]]
>>> R = rotation_matrix(yaw=20.0, pitch=-10.0, roll=5.0)
>>> np.round(head_pose(points @ R.T), 6).tolist()
[20.0, -10.0, 5.0]
"""

from __future__ import annotations

import math

import numpy as np

from gazelearn.errors import InputError
from gazelearn.webcam.landmarks import CHIN, EYES, FOREHEAD


def rotation_matrix(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """``Rz(roll) @ Ry(yaw) @ Rx(pitch)`` for angles in degrees (the inverse of
    :func:`head_pose`'s decomposition)."""
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def face_axes(points) -> np.ndarray:
    """The face's rotation matrix ``[x y z]`` (columns) from ``(478, 3)`` landmark points."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3 or points.shape[0] <= max(FOREHEAD, CHIN):
        raise InputError(f"head pose needs (478, 3) landmark points, got shape {points.shape}")
    x = points[EYES["left"].outer] - points[EYES["right"].outer]
    down = points[CHIN] - points[FOREHEAD]
    norm_x = np.linalg.norm(x)
    if norm_x == 0:
        raise InputError("head pose: the eye corners coincide")
    x = x / norm_x
    y = down - (down @ x) * x
    norm_y = np.linalg.norm(y)
    if norm_y == 0:
        raise InputError("head pose: the forehead-chin line is parallel to the eye line")
    y = y / norm_y
    return np.column_stack([x, y, np.cross(x, y)])


def head_pose(points) -> np.ndarray:
    """``[yaw, pitch, roll]`` in degrees from ``(478, 3)`` landmark points (see the module)."""
    r = face_axes(points)
    yaw = math.asin(float(np.clip(-r[2, 0], -1.0, 1.0)))
    pitch = math.atan2(r[2, 1], r[2, 2])
    roll = math.atan2(r[1, 0], r[0, 0])
    return np.degrees([yaw, pitch, roll])


def face_position(points, image_size: tuple[int, int]) -> np.ndarray:
    """``[x, y, size]``: the mid-point between the eyes as a fraction of the frame width and
    height, and the distance between the outer eye corners as a fraction of the frame width.

    Examples
    --------
    >>> import numpy as np
    >>> points = np.zeros((478, 3))
    >>> points[[33, 263]] = [[40, 50, 0], [60, 50, 0]]
    >>> face_position(points, (100, 100)).tolist()
    [0.5, 0.5, 0.2]
    """
    points = np.asarray(points, dtype=np.float64)
    width, height = image_size
    right, left = points[EYES["right"].outer, :2], points[EYES["left"].outer, :2]
    middle = (right + left) / 2.0
    return np.array([middle[0] / width, middle[1] / height,
                     np.linalg.norm(left - right) / width])
