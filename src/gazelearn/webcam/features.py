"""Landmark features for calibration-based gaze regression (no pretrained network).

Per eye, the iris centre is expressed in the eye's own frame, so it does not depend on where the
face is in the image or how large it is:

* ``u``: position along the corner-to-corner line, 0 at the corner on the image's left, 1 at
  the other corner (horizontal gaze);
* ``v``: position between the lids, 0 at the upper lid, 1 at the lower lid (vertical gaze);
* ``h``: signed distance from the corner line, in units of the corner distance (vertical gaze,
  not affected by how wide the lids open);
* ``open``: the lid opening in units of the corner distance (the upper lid follows gaze down).

To these come the head pose (yaw, pitch, roll in degrees / 10, see
:mod:`gazelearn.webcam.headpose`) and the face position and size in the frame: together they let
a ridge regression separate eye rotation from head motion, as in EyeTrax and WebGazer.

Examples
--------
>>> import numpy as np
>>> points = np.zeros((478, 3))
>>> r = EYES["right"]
>>> points[[r.outer, r.inner, r.upper, r.lower, r.iris], :2] = [
...     [0, 0], [10, 0], [5, -2], [5, 2], [7.5, 1]]
>>> np.round(iris_position(points, "right"), 3).tolist()
[0.75, 0.75, 0.1, 0.4]
>>> len(FEATURE_NAMES)
14
"""

from __future__ import annotations

import numpy as np

from gazelearn.errors import InputError
from gazelearn.webcam.headpose import face_position, head_pose
from gazelearn.webcam.landmarks import EYES, FaceLandmarks

_EYE_PARTS = ("u", "v", "h", "open")

#: Names of the columns :func:`landmark_features` returns, in order.
FEATURE_NAMES: tuple[str, ...] = (
    *(f"{eye}_{part}" for eye in ("right", "left") for part in _EYE_PARTS),
    "yaw", "pitch", "roll", "face_x", "face_y", "face_size",
)


def iris_position(points, eye: str) -> np.ndarray:
    """``[u, v, h, open]`` of one eye's iris centre (see the module) from ``(478, 2|3)`` points.

    NaN when the eye is degenerate (corners or lids coincide).
    """
    if eye not in EYES:
        raise InputError(f"eye must be 'left' or 'right', got {eye!r}")
    points = np.asarray(points, dtype=np.float64)[:, :2]
    e = EYES[eye]
    a, b = points[e.outer], points[e.inner]
    if a[0] > b[0]:  # the corner on the image's left first, for both eyes
        a, b = b, a
    axis = b - a
    length = float(np.hypot(*axis))
    if length == 0:
        return np.full(4, np.nan)
    unit = axis / length
    normal = np.array([-unit[1], unit[0]])  # points down the image for a level eye
    iris, upper, lower = points[e.iris], points[e.upper], points[e.lower]
    u = float((iris - a) @ unit) / length
    opening = float((lower - upper) @ normal)
    v = float((iris - upper) @ normal) / opening if opening > 1e-9 else np.nan
    h = float((iris - a) @ normal) / length
    return np.array([u, v, h, opening / length])


def upper_lid_heights(features) -> np.ndarray:
    """Each eye's upper-lid height from rows of :data:`FEATURE_NAMES`: ``(n, 2)`` (right, left).

    The signed distance of the upper lid's mid point from the corner line, in units of the
    corner distance (negative: above the line), ``h - v * open`` of :func:`iris_position`'s
    columns. The upper lid rides on the globe (lid-globe synergy: it drops when the eye looks
    down, about as far as the cornea moves), so it is a second, larger vertical gaze cue
    beside the iris, which in small webcam images moves only a pixel or two.

    Examples
    --------
    >>> row = np.zeros(14)
    >>> row[:4] = [0.5, 0.6, 0.05, 0.25]     # right eye: iris 60 % of the way down the lids
    >>> row[4:8] = [0.5, 0.5, 0.0, 0.2]
    >>> np.round(upper_lid_heights(row[None]), 3).tolist()
    [[-0.1, -0.1]]
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[1] != len(FEATURE_NAMES):
        raise InputError(f"upper-lid heights need rows of {len(FEATURE_NAMES)} landmark "
                         f"features, got shape {features.shape}")
    eyes = features[:, :8].reshape(-1, 2, len(_EYE_PARTS))
    return eyes[:, :, 2] - eyes[:, :, 1] * eyes[:, :, 3]


def landmark_features(landmarks: FaceLandmarks) -> np.ndarray:
    """The :data:`FEATURE_NAMES` vector of one face (float64, length 14)."""
    points = landmarks.points
    pose = head_pose(points) / 10.0
    return np.concatenate([iris_position(points, "right"), iris_position(points, "left"),
                           pose, face_position(points, landmarks.image_size)])


def features_from_frames(frames, landmarker) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Landmark features of a sequence of frames.

    Returns
    -------
    features : numpy.ndarray
        ``(n, 14)``; rows of NaN where no face was found.
    found : numpy.ndarray
        Boolean, a face was found.
    blink : numpy.ndarray
        Boolean, the eyes were closed.
    """
    rows, found, blink = [], [], []
    for frame in frames:
        face = landmarker.detect(frame)
        found.append(face is not None)
        blink.append(bool(face is not None and face.blink))
        rows.append(np.full(len(FEATURE_NAMES), np.nan) if face is None
                    else landmark_features(face))
    features = np.array(rows, dtype=np.float64).reshape(-1, len(FEATURE_NAMES))
    return features, np.array(found, dtype=bool), np.array(blink, dtype=bool)
