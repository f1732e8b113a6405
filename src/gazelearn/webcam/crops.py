"""Normalised eye and face crops from landmarks.

An eye crop is cut by one similarity transform (rotation, scale, shift): it rotates the frame
so the two eye corners are level, scales it so the corner-to-corner distance spans
``corner_fraction`` of the crop width, and centres the crop on the corners' mid-point. Every
crop therefore has the same size (64 x 36 by default, the input of gazelearn's gaze models) and
the eye the same place and scale in it, whatever the head's distance and roll. The face crop
does the same with the outer corners of both eyes.

Examples
--------
>>> import numpy as np
>>> corners = np.array([[100.0, 120.0], [140.0, 110.0]])    # a tilted eye
>>> M = crop_transform(corners, size=(64, 36), corner_fraction=0.625)
>>> mapped = np.c_[corners, np.ones(2)] @ M.T
>>> np.round(mapped, 6).tolist()    # level, centred, 40 px apart
[[12.0, 18.0], [52.0, 18.0]]
"""

from __future__ import annotations

import math

import numpy as np

from gazelearn.errors import InputError
from gazelearn.webcam.landmarks import EYES, FaceLandmarks, as_rgb_frame

#: Crop size ``(width, height)`` gazelearn's eye-image gaze models expect.
EYE_CROP_SIZE = (64, 36)


def _size(size) -> tuple[int, int]:
    width, height = (int(v) for v in size)
    if width < 2 or height < 2:
        raise InputError(f"crop size must be at least 2 x 2 pixels, got {size!r}")
    return width, height


def crop_transform(corners, size=EYE_CROP_SIZE, corner_fraction: float = 0.7,
                   center_offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The 2 x 3 affine matrix mapping frame pixels to crop pixels.

    Parameters
    ----------
    corners : array_like, shape (2, 2)
        The two reference points (eye corners) in frame pixels; the first ends up on the left.
    size : (int, int)
        Crop ``(width, height)``.
    corner_fraction : float
        Share of the crop width between the two reference points.
    center_offset : (float, float)
        Shift of the crop centre from the points' mid-point, in units of their distance
        (``(0, 0.4)`` moves the crop down, towards the mouth).
    """
    corners = np.asarray(corners, dtype=np.float64)
    if corners.shape != (2, 2):
        raise InputError(f"expected two (x, y) corner points, got shape {corners.shape}")
    width, height = _size(size)
    if not 0 < corner_fraction <= 1.5:
        raise InputError(f"corner_fraction must be in (0, 1.5], got {corner_fraction!r}")
    delta = corners[1] - corners[0]
    distance = math.hypot(*delta)
    if distance == 0 or not np.isfinite(distance):
        raise InputError("the two corner points coincide; cannot normalise the crop")
    angle = math.atan2(delta[1], delta[0])
    scale = corner_fraction * width / distance
    cos, sin = scale * math.cos(-angle), scale * math.sin(-angle)
    rotation = np.array([[cos, -sin], [sin, cos]])
    unit_x, unit_y = delta / distance, np.array([-delta[1], delta[0]]) / distance
    centre = corners.mean(axis=0) + distance * (center_offset[0] * unit_x
                                                + center_offset[1] * unit_y)
    shift = np.array([width / 2.0, height / 2.0]) - rotation @ centre
    return np.column_stack([rotation, shift])


def warp(frame, matrix: np.ndarray, size, gray: bool = False) -> np.ndarray:
    """Apply a 2 x 3 affine ``matrix`` (frame -> crop) with bilinear sampling."""
    import cv2

    frame = as_rgb_frame(frame)
    width, height = _size(size)
    crop = cv2.warpAffine(frame, np.asarray(matrix, dtype=np.float64), (width, height),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if gray:
        crop = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    return crop


def eye_crop(frame, landmarks: FaceLandmarks, eye: str = "left", size=EYE_CROP_SIZE,
             gray: bool = False, corner_fraction: float = 0.7) -> np.ndarray:
    """A normalised crop of one eye: ``(height, width, 3)`` RGB, or ``(height, width)`` gray.

    The corner on the image's left comes first, so both eyes are cut the same way round.
    """
    if eye not in EYES:
        raise InputError(f"eye must be 'left' or 'right', got {eye!r}")
    corners = landmarks.corners(eye)
    corners = corners[np.argsort(corners[:, 0])]
    return warp(frame, crop_transform(corners, size, corner_fraction), size, gray)


def eye_crops(frame, landmarks: FaceLandmarks, size=EYE_CROP_SIZE, gray: bool = False,
              corner_fraction: float = 0.7) -> dict[str, np.ndarray]:
    """Both eyes' crops, ``{"left": ..., "right": ...}`` (the person's left and right)."""
    return {eye: eye_crop(frame, landmarks, eye, size, gray, corner_fraction)
            for eye in ("left", "right")}


def face_crop(frame, landmarks: FaceLandmarks, size=(224, 224), gray: bool = False,
              corner_fraction: float = 0.45) -> np.ndarray:
    """A normalised face crop: outer eye corners level, ``corner_fraction`` of the width apart,
    centred a little below the eyes so forehead to chin fit in."""
    corners = np.array([landmarks.points[EYES["right"].outer, :2],
                        landmarks.points[EYES["left"].outer, :2]])
    corners = corners[np.argsort(corners[:, 0])]
    matrix = crop_transform(corners, size, corner_fraction, center_offset=(0.0, 0.45))
    return warp(frame, matrix, size, gray)
