"""Face landmarks from webcam frames: MediaPipe Face Mesh with iris refinement.

:class:`FaceLandmarker` turns an RGB frame into :class:`FaceLandmarks`: the 478 MediaPipe points
(468 face-mesh points and 10 iris points, 468-477) in pixels, the eye aspect ratio of each eye
and a blink flag. It returns ``None`` when there is no face (and says why in
:attr:`FaceLandmarker.last_status`); with several faces it keeps the largest.

Eyes are named from the person's point of view, as MediaPipe does: in a non-mirrored camera
image the person's *right* eye is on the image's left.

The eye aspect ratio (EAR) is Soukupová and Čech's (2016) blink measure,
``(|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|)`` over six eye-contour points: about 0.25-0.35 for an
open eye, below about 0.2 for a closed one.

Examples
--------
>>> import numpy as np
>>> points = np.zeros((478, 3))
>>> right = EYES["right"]
>>> points[list(right.ear_points), :2] = [[0, 0], [1, -0.3], [2, -0.3], [3, 0], [2, 0.3],
...                                       [1, 0.3]]
>>> round(eye_aspect_ratio(points, "right"), 3)
0.2
"""

from __future__ import annotations

import contextlib
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gazelearn.errors import InputError

#: Number of points of MediaPipe Face Mesh with iris refinement.
N_LANDMARKS = 478


@dataclass(frozen=True)
class EyeIndices:
    """MediaPipe indices of one eye's key points.

    ``outer``/``inner`` are the eye corners (temporal, nasal), ``upper``/``lower`` the mid points
    of the lids, ``iris`` the iris centre and ``iris_ring`` its four boundary points;
    ``ear_points`` are the six points p1..p6 of the eye aspect ratio.
    """

    outer: int
    inner: int
    upper: int
    lower: int
    iris: int
    iris_ring: tuple[int, int, int, int]
    ear_points: tuple[int, int, int, int, int, int]


#: The person's right eye (image left) and left eye (image right).
EYES: dict[str, EyeIndices] = {
    "right": EyeIndices(outer=33, inner=133, upper=159, lower=145, iris=468,
                        iris_ring=(469, 470, 471, 472),
                        ear_points=(33, 160, 158, 133, 153, 144)),
    "left": EyeIndices(outer=263, inner=362, upper=386, lower=374, iris=473,
                       iris_ring=(474, 475, 476, 477),
                       ear_points=(362, 385, 387, 263, 373, 380)),
}

#: Mid-line points used for head pose: forehead top, chin, nose tip.
FOREHEAD, CHIN, NOSE_TIP = 10, 152, 1


def _eye(eye: str) -> EyeIndices:
    try:
        return EYES[eye]
    except KeyError:
        raise InputError(f"eye must be 'left' or 'right', got {eye!r}") from None


def eye_aspect_ratio(points: np.ndarray, eye: str) -> float:
    """Eye aspect ratio (EAR) of one eye from landmark points ``(478, 2 or 3)``.

    Uses the image-plane (x, y) coordinates only.
    """
    p = np.asarray(points, dtype=np.float64)[list(_eye(eye).ear_points), :2]
    width = np.linalg.norm(p[0] - p[3])
    if width <= 0:
        return float("nan")
    return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width))


@dataclass(frozen=True)
class FaceLandmarks:
    """The landmarks of one face in one frame.

    Attributes
    ----------
    points : numpy.ndarray
        ``(478, 3)`` x, y in pixels of the frame and z (relative depth, MediaPipe's z scaled by
        the frame width like x, so all three share one unit; smaller is nearer the camera).
    image_size : tuple of int
        ``(width, height)`` of the frame.
    ear : tuple of float
        Eye aspect ratio of the (right, left) eye.
    blink : bool
        True when the mean EAR is below the landmarker's ``blink_threshold``.
    """

    points: np.ndarray
    image_size: tuple[int, int]
    ear: tuple[float, float]
    blink: bool

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Face box ``(x_min, y_min, x_max, y_max)`` over the mesh points, in pixels."""
        xy = self.points[:, :2]
        return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()),
                float(xy[:, 1].max()))

    @property
    def area(self) -> float:
        """Area of :attr:`bbox` in square pixels."""
        x0, y0, x1, y1 = self.bbox
        return (x1 - x0) * (y1 - y0)

    def iris(self, eye: str) -> np.ndarray:
        """Iris centre ``(x, y)`` of one eye in pixels."""
        return self.points[_eye(eye).iris, :2].copy()

    def corners(self, eye: str) -> np.ndarray:
        """``(2, 2)`` outer and inner corner of one eye in pixels."""
        e = _eye(eye)
        return self.points[[e.outer, e.inner], :2].copy()

    @classmethod
    def from_points(cls, points, image_size: tuple[int, int],
                    blink_threshold: float = 0.2) -> FaceLandmarks:
        """Build from a ``(478, 2 or 3)`` array in pixels (z = 0 when missing)."""
        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or points.shape[0] != N_LANDMARKS or points.shape[1] not in (2, 3):
            raise InputError(f"expected ({N_LANDMARKS}, 2 or 3) landmark points, got shape "
                             f"{points.shape}")
        if points.shape[1] == 2:
            points = np.column_stack([points, np.zeros(len(points))])
        ear = (eye_aspect_ratio(points, "right"), eye_aspect_ratio(points, "left"))
        mean_ear = float(np.nanmean(ear)) if np.isfinite(ear).any() else math.nan
        return cls(points, (int(image_size[0]), int(image_size[1])), ear,
                   bool(mean_ear < blink_threshold))


def as_rgb_frame(frame) -> np.ndarray:
    """Check and convert a frame to a contiguous ``(h, w, 3)`` uint8 RGB array.

    Grayscale ``(h, w)`` is repeated to three channels and RGBA loses its alpha.
    """
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise InputError(f"expected an RGB frame (h, w, 3), got shape {frame.shape}")
    if frame.dtype != np.uint8:
        raise InputError(f"expected a uint8 frame, got {frame.dtype}")
    return np.ascontiguousarray(frame[:, :, :3])


class FaceLandmarker:
    """MediaPipe Face Mesh (with iris) as frame -> :class:`FaceLandmarks` or ``None``.

    Parameters
    ----------
    static_image_mode : bool
        ``False`` (video): detect once and track the face between frames, which is faster;
        ``True``: run the detector on every frame (independent images).
    max_num_faces : int
        Faces MediaPipe looks for; the largest is returned.
    min_detection_confidence, min_tracking_confidence : float
        MediaPipe's thresholds.
    blink_threshold : float
        Mean eye aspect ratio below which the frame counts as a blink.
    min_side : int
        Frames whose shorter side is smaller are upscaled to it before detection (small face
        crops), and the points scaled back. 0 turns it off.
    mirror : bool
        Test-time augmentation: MediaPipe also runs on the horizontally mirrored frame (a
        second graph, so video-mode tracking holds for both), its landmarks are mirrored back
        (:func:`~gazelearn.webcam.symmetry.mirror_points`) and averaged with the frame's.
        The mirror pass runs in a worker thread beside the frame's own (MediaPipe releases the
        GIL): with a second core free it adds little latency, on one core it about doubles
        MediaPipe's time (``Tracker.step`` p95 7-12 -> 14-17 ms, docs/results.md). On
        ``webcam-crops-dev`` it took 4 % off the geometry's error on the calibration pool and
        15 % on the later frames after 9 x 3 points (docs/results.md). A frame whose mirror
        shows no face keeps its own landmarks.

    Attributes
    ----------
    last_status : str
        ``"face"``, ``"no_face"`` or ``"blink"`` for the last frame processed.
    last_n_faces : int
        Number of faces MediaPipe found in the last frame.

    Notes
    -----
    Needs ``mediapipe`` (0.10.21 works offline: its face-detection, face-mesh and iris models
    ship inside the wheel). Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, static_image_mode: bool = False, max_num_faces: int = 3,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 blink_threshold: float = 0.2, min_side: int = 0,
                 mirror: bool = False) -> None:
        self.static_image_mode = static_image_mode
        self.max_num_faces = max_num_faces
        self.min_detection_confidence = min_detection_confidence
        self.min_tracking_confidence = min_tracking_confidence
        self.blink_threshold = blink_threshold
        self.min_side = min_side
        self.mirror = mirror
        self.last_status = "none"
        self.last_n_faces = 0
        from gazelearn.webcam.native_logs import quiet_native_logs

        quiet_native_logs()  # MediaPipe's C++ log lines, unless GAZELEARN_VERBOSE (--verbose)
        try:
            from mediapipe.python.solutions import face_mesh
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise InputError(f"the webcam pipeline needs mediapipe==0.10.21 ({error})") from None
        options = {"static_image_mode": static_image_mode, "max_num_faces": max_num_faces,
                   "refine_landmarks": True,
                   "min_detection_confidence": min_detection_confidence,
                   "min_tracking_confidence": min_tracking_confidence}
        self._mesh = face_mesh.FaceMesh(**options)
        # the mirrored frames are a stream of their own: one graph each keeps video-mode
        # tracking from mixing the two
        self._mirror_mesh = face_mesh.FaceMesh(**options) if mirror else None
        # MediaPipe releases the GIL while its graph runs, so the mirror pass runs beside the
        # frame's own pass in this one worker (each graph stays on one thread at a time)
        self._mirror_worker = (ThreadPoolExecutor(1, thread_name_prefix="gazelearn-mirror")
                               if mirror else None)

    def _faces(self, mesh, frame: np.ndarray, scale: float) -> list[np.ndarray]:
        """``(478, 3)`` points (px of the unscaled frame) of every face ``mesh`` finds."""
        proc_h, proc_w = frame.shape[:2]
        faces = mesh.process(frame).multi_face_landmarks or []
        points = [np.array([[p.x * proc_w, p.y * proc_h, p.z * proc_w] for p in face.landmark],
                           dtype=np.float64) / scale for face in faces]
        # refine_landmarks is always on, so every face has the 478 points
        return [p for p in points if len(p) == N_LANDMARKS]

    def detect(self, frame) -> FaceLandmarks | None:
        """Landmarks of the largest face in an RGB uint8 frame, or ``None`` without a face."""
        frame = as_rgb_frame(frame)
        height, width = frame.shape[:2]
        scale = 1.0
        if self.min_side and min(height, width) < self.min_side:
            import cv2

            scale = self.min_side / min(height, width)
            frame = cv2.resize(frame, (round(width * scale), round(height * scale)),
                               interpolation=cv2.INTER_CUBIC)
        mirror_pass = (None if self._mirror_mesh is None else self._mirror_worker.submit(
            self._mirror_faces, frame, scale))
        faces = self._faces(self._mesh, frame, scale)
        # the mirror pass is always collected, so its graph never runs into the next frame
        mirrored = [] if mirror_pass is None else mirror_pass.result()
        self.last_n_faces = len(faces)
        if not faces:
            self.last_status = "no_face"
            return None
        best = max((FaceLandmarks.from_points(p, (width, height), self.blink_threshold)
                    for p in faces), key=lambda face: face.area)
        if self._mirror_mesh is not None:
            best = self._with_mirror(best, mirrored)
        self.last_status = "blink" if best.blink else "face"
        return best

    def _mirror_faces(self, frame: np.ndarray, scale: float) -> list[np.ndarray]:
        """The faces of the mirrored frame, mirrored back to the frame's points."""
        from gazelearn.webcam.symmetry import mirror_points

        mirrored = np.ascontiguousarray(frame[:, ::-1])
        width = frame.shape[1] / scale
        return [mirror_points(p, width) for p in self._faces(self._mirror_mesh, mirrored, scale)]

    def _with_mirror(self, face: FaceLandmarks, found: list[np.ndarray]) -> FaceLandmarks:
        """``face`` averaged with the mirror pass's face nearest it (itself without one)."""
        if not found:
            return face
        centre = face.points[:, :2].mean(axis=0)
        other = min(found, key=lambda p: float(np.linalg.norm(p[:, :2].mean(axis=0) - centre)))
        return FaceLandmarks.from_points((face.points + other) / 2, face.image_size,
                                         self.blink_threshold)

    __call__ = detect

    def close(self) -> None:
        """Release MediaPipe's graphs."""
        if self._mirror_worker is not None:
            self._mirror_worker.shutdown(wait=True)
        for mesh in (self._mesh, self._mirror_mesh):
            if mesh is not None:
                with contextlib.suppress(Exception):
                    mesh.close()

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "images" if self.static_image_mode else "video"
        mirror = ", mirror=True" if self.mirror else ""
        return f"FaceLandmarker(mode={mode!r}, max_num_faces={self.max_num_faces}{mirror})"


def time_per_frame(landmarker: FaceLandmarker, frames, repeat: int = 1) -> float:
    """Mean wall-clock milliseconds of :meth:`FaceLandmarker.detect` over ``frames``."""
    import time

    frames = list(frames)
    if not frames:
        raise InputError("time_per_frame needs at least one frame")
    landmarker.detect(frames[0])  # warm-up
    start = time.perf_counter()
    for _ in range(repeat):
        for frame in frames:
            landmarker.detect(frame)
    return 1000.0 * (time.perf_counter() - start) / (repeat * len(frames))
