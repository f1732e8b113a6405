"""Frames -> :class:`~gazelearn.recording.Recording`: the webcam gaze pipeline without a browser.

:class:`Tracker` runs, per frame, the landmarker, the landmark features, the calibrated
regressor of a :class:`~gazelearn.webcam.calibration.CalibrationProfile` and a smoothing filter.
Frames without a face or with closed eyes give NaN positions (lost samples), and blinks are
labelled ``blink`` in the recording's labels, so every analysis in gazelearn (event detection,
heat maps, metrics) takes the output as it takes a file from a tracker.

:func:`read_video` and :func:`camera_frames` read frames with OpenCV.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from gazelearn.errors import InputError
from gazelearn.labels import Label
from gazelearn.recording import Metadata, Recording
from gazelearn.webcam.calibration import CalibrationProfile
from gazelearn.webcam.features import landmark_features
from gazelearn.webcam.filters import GazeFilter, make_filter


class Tracker:
    """Webcam frames to gaze samples on the screen.

    Parameters
    ----------
    profile : CalibrationProfile
        The person's calibration (regressor and screen).
    landmarker : FaceLandmarker, optional
        A landmarker to reuse; a video-mode one is made (and closed) when None.
    filter : str or GazeFilter
        ``"one_euro"`` (default), ``"kalman"``, ``"none"``, or a filter instance.
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
    """

    def __init__(self, profile: CalibrationProfile, landmarker=None,
                 filter: str | GazeFilter = "one_euro", fixation_aware: bool = True,
                 jump_px: float = 150.0, filter_options: dict | None = None) -> None:
        self.profile = profile
        self.landmarker = landmarker
        self.filter = filter
        self.fixation_aware = fixation_aware
        self.jump_px = jump_px
        self.filter_options = filter_options

    def _make_filter(self) -> GazeFilter:
        if isinstance(self.filter, GazeFilter):
            self.filter.reset()
            return self.filter
        return make_filter(self.filter, fixation_aware=self.fixation_aware,
                           jump_px=self.jump_px, **(self.filter_options or {}))

    def track_features(self, features, timestamps, blink=None, meta: Metadata | None = None
                       ) -> Recording:
        """A recording from per-frame landmark features (NaN rows: no face)."""
        features = np.asarray(features, dtype=np.float64)
        time = np.asarray(timestamps, dtype=np.float64)
        if features.ndim != 2 or len(features) != len(time):
            raise InputError(f"expected one feature row per timestamp, got {features.shape} and "
                             f"{time.shape}")
        blink = np.zeros(len(time), bool) if blink is None else np.asarray(blink, dtype=bool)
        raw = self.profile.predict(features) if len(features) else np.empty((0, 2))
        raw[blink] = np.nan
        gaze_filter = self._make_filter()
        xy = np.array([gaze_filter.update(t, p) for t, p in zip(time, raw, strict=True)]
                      ).reshape(-1, 2)
        labels = np.where(blink, int(Label.BLINK), int(Label.UNDEFINED)).astype(np.int8)
        return Recording(time, xy[:, 0], xy[:, 1], labels=labels, screen=self.profile.screen,
                         meta=meta or Metadata(format="webcam"))

    def _detect_all(self, frames: Iterable) -> tuple[np.ndarray, np.ndarray]:
        from gazelearn.webcam.landmarks import FaceLandmarker

        own = self.landmarker is None
        landmarker = FaceLandmarker(static_image_mode=False) if own else self.landmarker
        n_features = self.profile.regressor.n_features_in_
        # the CNN path's model cuts its own eye crops; the landmark regressor takes features
        frame_features = getattr(self.profile.regressor, "frame_features", None)
        rows, blinks = [], []
        try:
            for frame in frames:
                face = landmarker.detect(frame)
                blinks.append(bool(face is not None and face.blink))
                if face is None:
                    rows.append(np.full(n_features, np.nan))
                else:
                    rows.append(frame_features(face, frame) if frame_features
                                else landmark_features(face))
        finally:
            if own:
                landmarker.close()
        return (np.array(rows, dtype=np.float64).reshape(len(rows), n_features),
                np.array(blinks, dtype=bool))

    def _finish(self, features, blinks, time, source) -> Recording:
        n = len(features)
        found = np.isfinite(features).all(axis=1)
        meta = Metadata(source=source, format="webcam", extra={
            "face_found_fraction": float(found.mean()) if n else 0.0,
            "blink_fraction": float(blinks.mean()) if n else 0.0,
            "filter": self.filter if isinstance(self.filter, str) else type(self.filter).__name__,
        })
        return self.track_features(features, time, blinks, meta)

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
        features, blinks = self._detect_all(frames)
        n = len(features)
        if timestamps is None:
            if fps <= 0:
                raise InputError(f"fps must be positive, got {fps!r}")
            time = np.arange(n) / float(fps)
        else:
            time = np.asarray(timestamps, dtype=np.float64)
            if len(time) != n:
                raise InputError(f"{len(time)} timestamps for {n} frames")
        return self._finish(features, blinks, time, source)

    def process_timed(self, pairs: Iterable[tuple[float, np.ndarray]],
                      source: str | None = None) -> Recording:
        """Like :meth:`process` for ``(time_s, frame)`` pairs, as :func:`read_video` and
        :func:`camera_frames` yield them."""
        stamps: list[float] = []

        def frames():
            for stamp, frame in pairs:
                stamps.append(float(stamp))
                yield frame

        features, blinks = self._detect_all(frames())
        return self._finish(features, blinks, np.array(stamps, dtype=np.float64), source)


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
        raise InputError(f"cannot open camera {index}", source=f"--camera {index}")
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
