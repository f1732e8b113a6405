"""Frames -> gaze samples: the one per-frame pipeline of ``gazelearn track`` and the browser app.

:meth:`Tracker.step` turns one frame into a :class:`GazeSample`: the landmarker finds the face,
the profile's gaze mapper (:class:`~gazelearn.webcam.mapper.GazeMapper`: landmark regressor or
eye-crop CNN) says which input it reads from it (:func:`~gazelearn.webcam.mapper.frame_input`)
and maps that to screen px, and a smoothing filter gives the point shown. ``gazelearn track``
runs it over a video or a camera (:meth:`Tracker.process_timed`) and the browser app's live
session over every WebSocket frame (:class:`gazelearn.server.LiveSession`). Frames without a
face or with closed eyes give NaN positions (lost samples), and blinks are labelled ``blink``
in the recording's labels, so every analysis in gazelearn (event detection, heat maps, metrics)
takes the output as it takes a file from a tracker.

:func:`read_video` and :func:`camera_frames` read frames with OpenCV.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gazelearn.errors import InputError
from gazelearn.labels import Label
from gazelearn.recording import Metadata, Recording
from gazelearn.webcam.calibration import CalibrationProfile
from gazelearn.webcam.filters import GazeFilter, make_filter
from gazelearn.webcam.mapper import frame_input


@dataclass(frozen=True)
class GazeSample:
    """The gaze of one frame.

    Attributes
    ----------
    t : float
        Time in seconds.
    x, y : float
        The filtered point in screen px (NaN when not ``valid``).
    valid : bool
        A face was read, the eyes were open and the filter gave a point.
    face : bool
        A face was found and the mapper could read its input.
    blink : bool
        The eyes were closed.
    raw_x, raw_y : float
        The mapper's point before the filter (NaN without a face or during a blink).
    """

    t: float
    x: float
    y: float
    valid: bool
    face: bool = False
    blink: bool = False
    raw_x: float = math.nan
    raw_y: float = math.nan


class Tracker:
    """Webcam frames to gaze samples on the screen.

    Parameters
    ----------
    profile : CalibrationProfile
        The person's calibration (gaze mapper and screen).
    landmarker : FaceLandmarker, optional
        A landmarker to reuse (not closed by the tracker); when None a video-mode one
        tracking one face is made on the first frame and closed by :meth:`close` (or at the
        end of :meth:`process`). Keep ``max_num_faces=1`` in a landmarker for live tracking:
        with more, MediaPipe runs its face detector on every frame that shows fewer faces
        (p95 22 instead of 12 ms per 190 px frame on one core, docs/results.md).
    filter : str or GazeFilter
        ``"one_euro"`` (default), ``"kalman"``, ``"none"``, or a filter instance.
    mirror : bool, optional
        Test-time mirroring in the tracker's own landmarker (``FaceLandmarker(mirror=True)``:
        the frame and its mirror through MediaPipe, averaged). None (default): as the profile
        was calibrated (``profile.meta["mirror"]``, False when absent), because only both
        sides mirrored help (docs/results.md); it about doubles the landmark stage's time.
    fixation_aware : bool
        Reset the filter across jumps larger than ``jump_px`` (saccades).
    jump_px : float
        Jump threshold in px.
    filter_options : dict, optional
        Keyword arguments of the filter.

    Examples
    --------
    >>> import numpy as np
    >>> from gazelearn.webcam.regressor import LandmarkGazeRegressor
    >>> from gazelearn.webcam.features import FEATURE_NAMES
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, len(FEATURE_NAMES)))
    >>> model = LandmarkGazeRegressor().fit(X, rng.uniform(0, 1000, (20, 2)))
    >>> tracker = Tracker(CalibrationProfile(model, (1920, 1080)), filter="none")
    >>> rec = tracker.track_features(np.r_[X[:3], np.full((1, 14), np.nan)], np.arange(4) / 30,
    ...                              blink=[False, False, True, False])
    >>> len(rec), rec.valid.tolist(), rec.labels.tolist()
    (4, [True, True, False, False], [0, 0, 5, 0])
    >>> sample = tracker.step_row(0.5, X[0])      # one frame's mapper input at t = 0.5 s
    >>> sample.valid, bool(np.isclose(sample.x, rec.x[0]))
    (True, True)
    """

    def __init__(self, profile: CalibrationProfile, landmarker=None,
                 filter: str | GazeFilter = "one_euro", fixation_aware: bool = True,
                 jump_px: float = 150.0, filter_options: dict | None = None,
                 mirror: bool | None = None) -> None:
        self.profile = profile
        self.landmarker = landmarker
        self.filter = filter
        self.fixation_aware = fixation_aware
        self.jump_px = jump_px
        self.filter_options = filter_options
        self.mirror = mirror
        self._own_landmarker = None
        self._filter: GazeFilter | None = None

    # ------------------------------------------------------------------ one frame
    def reset(self) -> None:
        """Start a new stretch of frames: the filter forgets its state."""
        if isinstance(self.filter, GazeFilter):
            self.filter.reset()
            self._filter = self.filter
        else:
            self._filter = make_filter(self.filter, fixation_aware=self.fixation_aware,
                                       jump_px=self.jump_px, **(self.filter_options or {}))

    @property
    def uses_mirror(self) -> bool:
        """Whether the tracker's own landmarker mirrors (``mirror``, else the profile's)."""
        if self.mirror is not None:
            return bool(self.mirror)
        return bool((getattr(self.profile, "meta", None) or {}).get("mirror", False))

    def _landmarker(self):
        if self.landmarker is not None:
            return self.landmarker
        if self._own_landmarker is None:
            from gazelearn.webcam.landmarks import FaceLandmarker

            # one face: MediaPipe's video mode re-runs its face detector on every frame while
            # it tracks fewer faces than max_num_faces (p95 22 -> 12 ms on one core)
            self._own_landmarker = FaceLandmarker(static_image_mode=False, max_num_faces=1,
                                                  mirror=self.uses_mirror)
        return self._own_landmarker

    def observe(self, frame: np.ndarray):
        """The face of one RGB frame (None without one) and the mapper's input row of it
        (NaN without a face): what a calibration keeps of a frame."""
        face = self._landmarker().detect(frame)
        return face, frame_input(self.profile.mapper, face, frame)

    def step(self, t: float, frame: np.ndarray) -> GazeSample:
        """The gaze of one RGB uint8 frame at time ``t`` (s)."""
        face, row = self.observe(frame)
        return self.step_row(t, row, blink=bool(face is not None and face.blink))

    def step_row(self, t: float, row: np.ndarray | None, blink: bool = False) -> GazeSample:
        """Like :meth:`step` from the mapper's input row of the frame (None or NaN: no face)."""
        row = None if row is None else np.asarray(row, dtype=np.float64)
        face = row is not None and bool(np.isfinite(row).all())
        raw = (self.profile.predict(row[None])[0] if face and not blink
               else np.full(2, np.nan))
        return self._sample(t, raw, face, blink)

    def _sample(self, t: float, raw: np.ndarray, face: bool, blink: bool) -> GazeSample:
        if self._filter is None:
            self.reset()
        if blink:
            raw = np.full(2, np.nan)
        xy = self._filter.update(float(t), raw)
        valid = bool(face and not blink and np.isfinite(xy).all())
        return GazeSample(float(t), float(xy[0]), float(xy[1]), valid, bool(face), bool(blink),
                          float(raw[0]), float(raw[1]))

    def close(self) -> None:
        """Release the landmarker the tracker made (a given one is left open)."""
        if self._own_landmarker is not None:
            self._own_landmarker.close()
            self._own_landmarker = None

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ many frames
    def recording(self, samples: Sequence[GazeSample], meta: Metadata | None = None
                  ) -> Recording:
        """A :class:`~gazelearn.recording.Recording` of samples: x, y as filtered, labels
        ``blink`` where the eyes were closed, the profile's screen."""
        time = np.array([s.t for s in samples], dtype=np.float64)
        xy = np.array([(s.x, s.y) for s in samples], dtype=np.float64).reshape(-1, 2)
        labels = np.array([int(Label.BLINK) if s.blink else int(Label.UNDEFINED)
                           for s in samples], dtype=np.int8)
        return Recording(time, xy[:, 0], xy[:, 1], labels=labels, screen=self.profile.screen,
                         meta=meta or Metadata(format="webcam"))

    def track_features(self, features, timestamps, blink=None, meta: Metadata | None = None
                       ) -> Recording:
        """A recording from per-frame mapper input rows (NaN rows: no face), from a fresh
        filter; the rows are mapped in one batch."""
        features = np.asarray(features, dtype=np.float64)
        time = np.asarray(timestamps, dtype=np.float64)
        if features.ndim != 2 or len(features) != len(time):
            raise InputError(f"expected one feature row per timestamp, got {features.shape} and "
                             f"{time.shape}")
        blink = np.zeros(len(time), bool) if blink is None else np.asarray(blink, dtype=bool)
        raw = self.profile.predict(features) if len(features) else np.empty((0, 2))
        face = np.isfinite(features).all(axis=1)
        self.reset()
        return self.recording([self._sample(t, p, f, b) for t, p, f, b
                               in zip(time, raw, face, blink, strict=True)], meta)

    def process(self, frames: Iterable, timestamps=None, fps: float = 30.0,
                source: str | None = None) -> Recording:
        """Run the whole pipeline over RGB uint8 frames.

        Parameters
        ----------
        frames : iterable of numpy.ndarray
            ``(h, w, 3)`` RGB uint8 frames.
        timestamps : array_like, optional
            Seconds per frame; ``index / fps`` when None.
        fps : float
            Frame rate used without timestamps.
        source : str, optional
            Recorded as the recording's source.

        Returns
        -------
        Recording
            One sample per frame: x, y in screen px (NaN without face or during a blink),
            labels ``blink`` where the eyes were closed, the profile's screen, and metadata
            ``extra`` with ``face_found_fraction`` and ``blink_fraction``.
        """
        if timestamps is None:
            if fps <= 0:
                raise InputError(f"fps must be positive, got {fps!r}")
            pairs = ((index / float(fps), frame) for index, frame in enumerate(frames))
        else:
            time = np.asarray(timestamps, dtype=np.float64)
            frames = list(frames)
            if len(time) != len(frames):
                raise InputError(f"{len(time)} timestamps for {len(frames)} frames")
            pairs = zip(time, frames, strict=True)
        return self.process_timed(pairs, source)

    def process_timed(self, pairs: Iterable[tuple[float, np.ndarray]],
                      source: str | None = None) -> Recording:
        """Like :meth:`process` for ``(time_s, frame)`` pairs, as :func:`read_video` and
        :func:`camera_frames` yield them: :meth:`step` on every frame, from a fresh filter."""
        own = self.landmarker is None and self._own_landmarker is None
        self.reset()
        try:
            samples = [self.step(t, frame) for t, frame in pairs]
        finally:
            if own:  # a fresh video-mode landmarker per run, as the filter
                self.close()
        n = len(samples)
        meta = Metadata(source=source, format="webcam", extra={
            "face_found_fraction": float(np.mean([s.face for s in samples])) if n else 0.0,
            "blink_fraction": float(np.mean([s.blink for s in samples])) if n else 0.0,
            "filter": self.filter if isinstance(self.filter, str) else type(self.filter).__name__,
        })
        return self.recording(samples, meta)


def read_video(path: str | Path, max_frames: int | None = None
               ) -> Iterator[tuple[float, np.ndarray]]:
    """``(time_s, rgb_frame)`` pairs from a video file (OpenCV); time is ``index / fps``."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise InputError("video not found", source=path)
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InputError("cannot open the video (unknown codec or not a video)", source=path)
    return _frames(capture, max_frames, str(path))


def camera_frames(index: int = 0, max_frames: int | None = None
                  ) -> Iterator[tuple[float, np.ndarray]]:
    """``(time_s, rgb_frame)`` pairs from camera ``index`` until ``max_frames`` or Ctrl-C."""
    import cv2

    capture = cv2.VideoCapture(int(index))
    if not capture.isOpened():
        raise InputError(f"cannot open camera {index}")
    return _frames(capture, max_frames, f"camera {index}", live=True)


def _frames(capture, max_frames, name, live: bool = False) -> Iterator[tuple[float, np.ndarray]]:
    import time as clock

    import cv2

    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    start = clock.perf_counter()
    count = 0
    try:
        while max_frames is None or count < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            # a file's frames are evenly spaced at its frame rate; a camera's are stamped live
            stamp = clock.perf_counter() - start if live else count / fps
            yield float(stamp), cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            count += 1
    finally:
        capture.release()
    if count == 0:
        raise InputError("no frame could be read", source=name)
