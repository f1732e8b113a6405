"""MediaPipe Face Mesh's left-right symmetry: the mirror of every landmark, and test-time
mirroring (the frame and its horizontal mirror through MediaPipe, averaged).

MediaPipe's 478 points (468 mesh + 10 iris) come in symmetric pairs: the 28 points of the face's
mid line are their own mirror, the other mesh points below 248 pair in order with 248-467,
and each iris (centre, four ring points) pairs with the other one. The map was read from the
data (MediaPipe on the 600 frames of ``webcam-crops-dev`` and on their mirrors, each mirrored
landmark assigned to the nearest original one, mean 1.0 px apart in 190 px crops): it is an
involution and agrees with :data:`~gazelearn.webcam.landmarks.EYES` (33 <-> 263,
133 <-> 362, iris 468 <-> 473).

Why mirror: MediaPipe's landmarks jitter from frame to frame, and that noise -- not the
calibration -- is most of the webcam tracker's error (docs/results.md, issue 16). The mirrored
frame is a second, partly independent look at the same face; averaging the two estimates is
test-time augmentation (each landmark of the mirror pass mirrored back, its index swapped).

Examples
--------
>>> import numpy as np
>>> bool((MIRROR_INDEX[MIRROR_INDEX] == np.arange(478)).all())      # an involution
True
>>> int(MIRROR_INDEX[33]), int(MIRROR_INDEX[468]), int(MIRROR_INDEX[1])  # corner, iris, nose
(263, 473, 1)
>>> points = np.zeros((478, 3))
>>> points[33, :2], points[263, :2] = [40.0, 50.0], [150.0, 52.0]  # the eyes' outer corners
>>> back = mirror_points(points, width=190)                         # a mirror pass's points
>>> back[33, :2].tolist(), back[263, :2].tolist()
([40.0, 52.0], [150.0, 50.0])
"""

from __future__ import annotations

import numpy as np

from gazelearn.errors import InputError

#: The 28 points on the face's mid line (their own mirror).
MIDLINE = (0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 94, 151, 152, 164,
           168, 175, 195, 197, 199, 200)
#: Iris centre and ring of the person's right eye, and their mirrors in the left one.
_IRIS_PAIRS = ((468, 473), (469, 476), (470, 475), (471, 474), (472, 477))


def _mirror_index() -> np.ndarray:
    index = np.arange(478)
    side = [i for i in range(248) if i not in MIDLINE]   # in order onto 248..467
    index[side], index[248:468] = np.arange(248, 468), side
    for a, b in _IRIS_PAIRS:
        index[a], index[b] = b, a
    return index


#: ``MIRROR_INDEX[i]``: the landmark that is ``i``'s mirror image.
MIRROR_INDEX: np.ndarray = _mirror_index()
MIRROR_INDEX.flags.writeable = False


def mirror_points(points, width: float) -> np.ndarray:
    """Landmarks found in a horizontally mirrored frame, back in the frame's coordinates.

    Parameters
    ----------
    points : array_like, shape (478, 2 or 3)
        Pixels in the mirrored frame (x to the right of *its* left edge).
    width : float
        The frame's width in px: a point at ``x`` in the mirror is at ``width - x`` (pixel
        edges at integers, as MediaPipe's normalised coordinates times the width).

    Returns
    -------
    numpy.ndarray
        ``(478, 2 or 3)``: row ``i`` is the mirror pass's estimate of landmark ``i``.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[0] != len(MIRROR_INDEX):
        raise InputError(f"expected ({len(MIRROR_INDEX)}, 2 or 3) landmark points, got shape "
                         f"{points.shape}")
    back = points[MIRROR_INDEX].copy()
    back[:, 0] = width - back[:, 0]
    return back
