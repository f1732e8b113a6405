"""One browser connection's gaze pipeline: calibrate, validate, then live gaze and recording.

A :class:`LiveSession` belongs to one WebSocket. It owns a video-mode
:class:`~gazelearn.webcam.FaceLandmarker` (which tracks the face from frame to frame), keeps of
each calibration and validation frame the input its gaze mapper reads
(:func:`~gazelearn.webcam.frame_input`, as ``gazelearn track --calibrate`` does: landmark
features by default, eye crops for the CNN), fits a :class:`~gazelearn.webcam.CalibrationProfile`
with :func:`~gazelearn.webcam.fit_profile`, and then hands every live frame to
:meth:`gazelearn.webcam.Tracker.step` -- the per-frame pipeline of ``gazelearn track`` -- for a
filtered gaze point with validity and blink flags, whatever mapper the profile holds (a saved
CNN profile runs live too). A recorded stretch becomes a :class:`~gazelearn.Recording` of
exactly the samples shown live (:meth:`gazelearn.webcam.Tracker.recording`) and a heat map PNG
(:func:`gazelearn.scanpath.heatmap`).

Examples
--------
>>> import numpy as np
>>> session = LiveSession(screen=(1000, 500))
>>> targets = session.start_calibration(9, n_validation=3)
>>> len(targets["calibration"]), len(targets["validation"])
(9, 3)
>>> rng = np.random.default_rng(0)
>>> for phase, points in targets.items():          # stand-in features, 4 frames a target
...     for index, (x, y) in enumerate(points):
...         for _ in range(4):
...             noisy = np.array([x, y]) / 1e3 + rng.normal(0, 1e-4, 2)
...             session.add_features(phase, index, np.r_[noisy, np.zeros(12)])
>>> report = session.fit()
>>> report["accuracy_px"] < 10, report["n_targets"]
(True, 3)
>>> gaze = session.gaze_from_features(0.0, np.r_[0.5, 0.25, np.zeros(12)])
>>> round(gaze["x"] / 10), round(gaze["y"] / 10), gaze["valid"]
(50, 25, True)
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
from sklearn.base import clone

from gazelearn.errors import InputError
from gazelearn.io.writers import jsonable
from gazelearn.screen import Screen
from gazelearn.webcam.calibration import (
    CalibrationProfile,
    calibration_targets,
    fit_profile,
    validation_targets,
)
from gazelearn.webcam.mapper import GazeMapper, frame_input
from gazelearn.webcam.regressor import LandmarkGazeRegressor
from gazelearn.webcam.tracker import GazeSample, Tracker

PHASES = ("calibration", "validation")


def decode_jpeg(data: bytes) -> np.ndarray:
    """JPEG/PNG bytes to an RGB uint8 frame (OpenCV, about 1 ms for 640 x 480).

    The size is read from the header first (:func:`~gazelearn.server.storage.image_size`), so
    a decompression bomb is refused before OpenCV allocates anything.
    """
    import cv2

    from gazelearn.server.storage import image_size

    image_size(data, field="frame")
    frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise InputError("the frame is not a decodable JPEG or PNG image", field="frame")
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def screen_pixels(screen_px) -> tuple[int, int]:
    """The ``[width, height]`` in px a browser reports, checked (a measurement's record)."""
    try:
        values = [float(v) for v in screen_px]
        if len(values) != 2 or not all(math.isfinite(v) for v in values):
            raise ValueError
        width, height = (int(round(v)) for v in values)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"screen must be [width, height] in px, got {screen_px!r}",
                         field="screen") from None
    if not (0 < width <= 20000 and 0 < height <= 20000):
        raise InputError(f"screen size out of range: {width} x {height}", field="screen")
    return width, height


def make_screen(screen_px, screen_mm=None, distance_mm=None) -> Screen:
    """The browser's :class:`Screen`: pixels only, or with its size in mm and the viewing
    distance when both are given (then the report has degrees too)."""
    width, height = screen_pixels(screen_px)
    if screen_mm is None and distance_mm is None:
        return Screen(width, height)
    try:
        mm = [float(v) for v in screen_mm]
        distance = float(distance_mm)
    except (TypeError, ValueError):
        raise InputError("screen_mm must be [width, height] in mm and distance_mm a number, "
                         f"got {str(screen_mm)[:40]!r} and {str(distance_mm)[:40]!r}",
                         field="screen_mm") from None
    if len(mm) != 2 or not all(math.isfinite(v) and 0 < v <= 10_000 for v in [*mm, distance]):
        raise InputError("screen_mm and distance_mm must be positive finite sizes up to 10 m, "
                         f"got {str(screen_mm)[:40]} and {str(distance_mm)[:40]}",
                         field="screen_mm")
    return Screen(width, height, mm[0], mm[1], distance)


def _clean(value: float) -> float | None:
    return jsonable(value, finite=True, digits=2)


class LiveSession:
    """State of one connection (see the module docstring).

    Parameters
    ----------
    screen : Screen or (int, int)
        The browser's screen (viewport) the targets and gaze are in.
    filter : str
        ``one_euro``, ``kalman`` or ``none`` (fixation-aware for the first two).
    profile : CalibrationProfile, optional
        A saved calibration (landmark or CNN) to start live right away.
    mapper : GazeMapper, optional
        What a calibration fits (a clone of it); a :class:`~gazelearn.webcam.
        LandmarkGazeRegressor` by default.
    """

    def __init__(self, screen=(1920, 1080), filter: str = "one_euro",
                 profile: CalibrationProfile | None = None,
                 mapper: GazeMapper | None = None) -> None:
        self.screen = Screen.coerce(screen)
        self.filter_name = filter
        self.profile = profile
        self.mapper = LandmarkGazeRegressor() if mapper is None else mapper
        self.targets: dict[str, np.ndarray] = {}
        self.frames: dict[str, list[tuple[int, np.ndarray]]] = {p: [] for p in PHASES}
        self.recording = False
        self.recorded: list[GazeSample] = []
        self._landmarker = None
        self._tracker: Tracker | None = None

    # ------------------------------------------------------------------ frames
    def _face_landmarker(self):
        # one video-mode landmarker per connection, for calibration and live frames alike
        if self._landmarker is None:
            from gazelearn.webcam.landmarks import FaceLandmarker

            self._landmarker = FaceLandmarker(static_image_mode=False, max_num_faces=3)
        return self._landmarker

    def landmarks(self, frame: np.ndarray):
        """Face landmarks of one RGB frame (the session's video-mode landmarker)."""
        return self._face_landmarker().detect(frame)

    @property
    def tracker(self) -> Tracker:
        """The :class:`~gazelearn.webcam.Tracker` of the current profile (a new one, with a
        fresh fixation-aware filter, for each new profile)."""
        if self.profile is None:
            raise InputError("no calibration yet: calibrate or load a profile first")
        if self._tracker is None or self._tracker.profile is not self.profile:
            self._tracker = Tracker(self.profile, landmarker=self._landmarker,
                                    filter=self.filter_name)
        return self._tracker

    def warm_up(self) -> None:
        """Start MediaPipe now (about 2 s for the first session of a process) so the first
        frame is answered in time."""
        self.landmarks(np.full((64, 64, 3), 110, np.uint8))

    def close(self) -> None:
        """Release MediaPipe's graph."""
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    # ------------------------------------------------------------------ calibration
    def start_calibration(self, n_points: int = 9, n_validation: int = 5,
                          seed: int | None = None) -> dict[str, list]:
        """New calibration and validation targets (px); forgets earlier calibration frames."""
        if not 0 <= int(n_validation) <= 25:
            raise InputError(f"n_validation must be 0..25, got {n_validation!r}",
                             field="n_validation")
        grid = calibration_targets(n_points, self.screen, seed=seed)
        new = (validation_targets(int(n_validation), self.screen, avoid=grid,
                                  seed=0 if seed is None else seed)
               if n_validation else np.empty((0, 2)))
        self.targets = {"calibration": grid, "validation": new}
        self.frames = {p: [] for p in PHASES}
        return {p: np.round(self.targets[p], 1).tolist() for p in PHASES}

    def add_features(self, phase: str, target: int, features: np.ndarray | None) -> None:
        """Keep one calibration or validation frame's features (None: no face)."""
        if phase not in PHASES:
            raise InputError(f"phase must be one of {', '.join(PHASES)}, got {phase!r}",
                             field="phase")
        points = self.targets.get(phase)
        # a bool is an int to Python, "3" and 2.5 are not targets: refused, not coerced
        if isinstance(target, (bool, np.bool_)) or not isinstance(target, (int, np.integer)):
            raise InputError(f"target must be an integer index, got {str(target)[:30]!r}",
                             field="target")
        if points is None or not 0 <= int(target) < len(points):
            raise InputError(f"no {phase} target {target!r}: ask for targets first",
                             field="target")
        row = (np.full(self.mapper.input_size, np.nan) if features is None
               else np.asarray(features, np.float64))
        self.frames[phase].append((int(target), row))

    def _arrays(self, phase: str) -> tuple[np.ndarray, np.ndarray]:
        pairs = self.frames[phase]
        if not pairs:
            return np.empty((0, self.mapper.input_size)), np.empty((0, 2))
        index = np.array([t for t, _ in pairs])
        return np.array([f for _, f in pairs]), self.targets[phase][index]

    def fit(self, meta: dict | None = None) -> dict:
        """Fit the profile on the calibration frames; the validation report as a dict."""
        features, targets = self._arrays("calibration")
        found = np.isfinite(features).all(axis=1) if len(features) else np.zeros(0, bool)
        n_targets = len({tuple(t) for t in targets[found]})
        if n_targets < 3:
            raise InputError(f"a face was found on {n_targets} calibration targets; at least 3 "
                             "are needed (is the face in the camera's view?)")
        val_x, val_y = self._arrays("validation")
        has_validation = bool(len(val_x)) and np.isfinite(val_x).all(axis=1).any()
        self.profile = fit_profile(
            features, targets, self.screen,
            validation_features=val_x if has_validation else None,
            validation_targets=val_y if has_validation else None, mapper=clone(self.mapper),
            meta={"filter": self.filter_name, "source": "gazelearn server",
                  "face_found_fraction": float(found.mean()), **(meta or {})})
        return self.report()

    def report(self) -> dict:
        """The profile's validation report (a dict; empty without validation)."""
        if self.profile is None or self.profile.validation is None:
            return {}
        report = self.profile.validation
        values = {k: (_clean(v) if isinstance(v, float) else v)
                  for k, v in report.to_dict().items()}
        values["describe"] = report.describe()
        return values

    # ------------------------------------------------------------------ live gaze
    def _live(self, sample: GazeSample) -> dict:
        if self.recording:
            self.recorded.append(sample)
        ok = sample.valid
        return {"x": _clean(sample.x) if ok else None, "y": _clean(sample.y) if ok else None,
                "valid": ok, "blink": sample.blink, "face": sample.face}

    def gaze_from_features(self, t: float, features: np.ndarray | None, blink: bool = False
                           ) -> dict:
        """Filtered gaze at time ``t`` (s) of one live frame's mapper input (None: no face);
        recorded when recording is on."""
        return self._live(self.tracker.step_row(float(t), features, blink))

    def frame(self, header: dict, frame: np.ndarray) -> dict:
        """Process one frame by its header's ``phase``: ``calibration`` / ``validation``
        (with ``target``) or ``live`` (with ``t``, seconds)."""
        phase = header.get("phase", "live")
        if phase == "live":
            t = header.get("t")
            if not isinstance(t, (int, float)) or not math.isfinite(t):
                raise InputError("live frames need a time 't' in seconds", field="t")
            tracker = self.tracker
            tracker.landmarker = self._face_landmarker()
            return {"type": "gaze", **self._live(tracker.step(float(t), frame))}
        face = self.landmarks(frame)
        blink = bool(face is not None and face.blink)
        # a blink frame is kept as lost: closed eyes say nothing of the target
        self.add_features(phase, header.get("target", -1),
                          None if face is None or blink else frame_input(self.mapper, face, frame))
        return {"type": "frame", "face": face is not None, "blink": blink}

    def set_recording(self, on: bool) -> None:
        """Start (clearing the last one) or pause recording live samples."""
        if on and not self.recording:
            self.recorded = []
            if self._tracker is not None:
                self._tracker.reset()
        self.recording = bool(on)

    def finish(self, recording_path: Path, heatmap_path: Path | None) -> dict:
        """Write the recorded samples as a gazelearn recording (CSV) and a heat map PNG."""
        from gazelearn.io import write_recording
        from gazelearn.recording import Metadata

        self.recording = False
        if not self.recorded:
            raise InputError("nothing recorded: press Record during live tracking first")
        start = self.recorded[0].t
        rec = self.tracker.recording(
            [dataclasses.replace(s, t=s.t - start) for s in self.recorded],
            Metadata(format="webcam", source="gazelearn server"))
        write_recording(rec, recording_path)
        result = {"samples": len(rec), "valid": int(rec.valid.sum()),
                  "recording": recording_path, "heatmap": None}
        if heatmap_path is not None and rec.valid.any():
            result["heatmap"] = self._heatmap(rec, heatmap_path)
        return result

    def _heatmap(self, rec, path: Path) -> Path | None:
        from gazelearn.report.html import save_figure
        from gazelearn.report.spatial import heatmap as plot_heatmap
        from gazelearn.scanpath import heatmap

        width, height = self.screen.size_px
        try:
            density = heatmap(rec, screen=None, grid=(64, max(1, round(64 * height / width))),
                              sigma_px=0.03 * width, extent=(width, height), normalize="max")
        except InputError:  # every sample off the screen
            return None
        figure = plot_heatmap(density, screen_size=(width, height),
                              title=f"gaze heat map, {int(rec.valid.sum())} samples")
        save_figure(figure, path, dpi=80)
        return path
