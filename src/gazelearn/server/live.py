"""One browser connection's gaze pipeline: calibrate, validate, then live gaze and recording.

A :class:`LiveSession` belongs to one WebSocket. It owns a video-mode
:class:`~gazelearn.webcam.FaceLandmarker` (which tracks the face from frame to frame), keeps of
each calibration and validation frame the input its gaze mapper reads
(:func:`~gazelearn.webcam.frame_input`, as ``gazelearn track --calibrate`` does: the eyeball
geometry's eye measurements and landmark features by default, eye crops for the CNN), fits a
:class:`~gazelearn.webcam.CalibrationProfile` with :func:`~gazelearn.webcam.fit_profile`, and
then hands every live frame to
:meth:`gazelearn.webcam.Tracker.step` -- the per-frame pipeline of ``gazelearn track`` -- for a
filtered gaze point with validity and blink flags, whatever mapper the profile holds (a saved
CNN profile runs live too). A recorded stretch becomes a :class:`~gazelearn.Recording` of
exactly the samples shown live (:meth:`gazelearn.webcam.Tracker.recording`), with the person
and the session's screen (with its size in mm and the viewing distance when given), and a
heat map PNG (:func:`gazelearn.scanpath.heatmap`).

The calibrations (:mod:`gazelearn.server.capture`): 5, 9 or 13 points (16, 25) whose frames
are kept once the eyes rest on the target (``fixation_s``), optionally followed by a moving
target (``pursuit_s``) whose frames are labelled with its position at their capture time;
during live tracking a click adds a labelled frame (:meth:`LiveSession.click`: the mapper
is refitted on the calibration frames and the clicks, as WebGazer does; a profile
loaded without its frames moves its offset) and a drift check (:meth:`LiveSession.start_drift`,
:meth:`LiveSession.apply_drift`) moves the mapping by a constant offset from frames on one
target. The offset is in screen px, applied after the mapper and kept in the profile's meta
(``offset_px``). Gaze is answered in the px of the session's screen: a profile calibrated on
a screen of another size is scaled to it.

Examples
--------
The landmark regressor on stand-in features (the default mapper, the eyeball geometry, reads
real faces' rows):

>>> import numpy as np
>>> from gazelearn.webcam import LandmarkGazeRegressor
>>> session = LiveSession(screen=(1000, 500), mapper=LandmarkGazeRegressor())
>>> targets = session.start_calibration(9, n_validation=3)
>>> len(targets["calibration"]), len(targets["validation"])
(9, 3)
>>> rng = np.random.default_rng(0)
>>> for phase in ("calibration", "validation"):    # stand-in features, 4 frames a target
...     for index, (x, y) in enumerate(targets[phase]):
...         for _ in range(4):
...             noisy = np.array([x, y]) / 1e3 + rng.normal(0, 1e-4, 2)
...             session.add_features(phase, index, np.r_[noisy, np.zeros(12)])
>>> report = session.fit()
>>> report["accuracy_px"] < 10, report["n_targets"], report["accepted"]
(True, 3, True)
>>> gaze = session.gaze_from_features(0.0, np.r_[0.5, 0.25, np.zeros(12)])
>>> round(gaze["x"] / 10), round(gaze["y"] / 10), gaze["valid"]
(50, 25, True)
>>> session.start_drift((520, 250))                 # the person looks at (520, 250) ...
>>> for _ in range(5):
...     session.add_drift_features(np.r_[0.5, 0.25, np.zeros(12)])
>>> drift = session.apply_drift()                   # ... and the mapping moves by 20 px
>>> [round(v) for v in drift["offset_px"]], round(drift["error_px"])
([20, 0], 20)
>>> round(session.gaze_from_features(0.1, np.r_[0.5, 0.25, np.zeros(12)])["x"])
520
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
from gazelearn.server.capture import (
    FixationGate,
    PursuitPath,
    calibration_layout,
    eye_signal,
    face_advice,
    face_measures,
)
from gazelearn.webcam.calibration import CalibrationProfile, fit_profile, validation_targets
from gazelearn.webcam.geometry_mapper import EyeballGazeMapper
from gazelearn.webcam.mapper import GazeMapper, frame_input
from gazelearn.webcam.tracker import GazeSample, Tracker

PHASES = ("calibration", "validation")

#: A calibration is refused (not saved as the person's profile, flagged on the page) when its
#: mean validation error is above this % of the screen.
MAX_ERROR_PCT = 10.0

#: Clicks a loaded profile's offset is the median of (the newest ones).
CLICK_WINDOW = 20


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


def _point(value, name: str) -> np.ndarray:
    """A finite ``[x, y]`` in px (a click or a drift target), else :class:`InputError`."""
    try:
        xy = np.asarray([float(v) for v in value], np.float64)
        if xy.shape != (2,) or not np.isfinite(xy).all() or np.abs(xy).max() > 1e5:
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"{name} must be [x, y] in px, got {str(value)[:40]!r}",
                         field=name) from None
    return xy


def accepts(error_pct: float, max_error_pct: float) -> bool:
    """Is a calibration whose validation error is ``error_pct`` % of the screen good enough
    for the limit ``max_error_pct``? A limit of 100 (or more) accepts every calibration.

    Examples
    --------
    >>> accepts(9.5, 10), accepts(12.0, 10), accepts(140.0, 100)
    (True, False, True)
    """
    return max_error_pct >= 100 or error_pct <= max_error_pct


#: The gaze mappers a session can calibrate (``gazelearn server --gaze-model``).
GAZE_MODELS = ("geometry", "landmarks")
#: Usable calibration frames from which a ``geometry`` session also trains the eye-crop CNNs
#: (as ``gazelearn track --calibrate --appearance-frames``): a calibration with a pursuit.
APPEARANCE_FRAMES = 100
#: The CNNs train on at most this many of the calibration's frames, evenly spaced: the 479
#: measured (docs/results.md). A page sends up to the frame rate's 60 per second, so a 25-s
#: pursuit alone holds about 1500, most of them near copies of their neighbours, which would
#: triple the training time for little.
APPEARANCE_MAX_FRAMES = 480


def session_mapper(name: str = "geometry", appearance_frames: int = APPEARANCE_FRAMES
                   ) -> GazeMapper:
    """A new mapper by name: ``geometry`` the eyeball geometry, blended with eye-crop CNNs
    from ``appearance_frames`` usable calibration frames
    (:class:`~gazelearn.webcam.HybridGazeMapper`, as ``gazelearn track --calibrate``; 0: the
    :class:`~gazelearn.webcam.EyeballGazeMapper` alone), ``landmarks`` the landmark regressor.

    Examples
    --------
    >>> type(session_mapper()).__name__, type(session_mapper("landmarks")).__name__
    ('HybridGazeMapper', 'LandmarkGazeRegressor')
    >>> type(session_mapper("geometry", appearance_frames=0)).__name__
    'EyeballGazeMapper'
    """
    if isinstance(appearance_frames, bool) or not isinstance(appearance_frames, int) \
            or appearance_frames < 0:
        raise InputError(f"appearance_frames must be an integer >= 0, got "
                         f"{appearance_frames!r}")
    if name == "geometry" and appearance_frames:
        from gazelearn.webcam.hybrid_mapper import HybridGazeMapper

        return HybridGazeMapper(min_frames=appearance_frames,
                                max_frames=max(APPEARANCE_MAX_FRAMES, appearance_frames))
    if name == "geometry":
        return EyeballGazeMapper()
    if name == "landmarks":
        from gazelearn.webcam.regressor import LandmarkGazeRegressor

        return LandmarkGazeRegressor()
    raise InputError(f"gaze_model must be one of {', '.join(GAZE_MODELS)}, got {name!r}")


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
        What a calibration fits (a clone of it); by default :func:`session_mapper`'s: the
        eyeball geometry (the measured best after a 5-16-point calibration), blended with
        eye-crop CNNs when the calibration has at least 100 usable frames (a pursuit; the
        default of ``gazelearn track --calibrate``, docs/results.md); it takes the session's
        screen when the calibration is fitted.
    """

    def __init__(self, screen=(1920, 1080), filter: str = "one_euro",
                 profile: CalibrationProfile | None = None,
                 mapper: GazeMapper | None = None) -> None:
        self.screen = Screen.coerce(screen)
        self.filter_name = filter
        self.profile = profile
        self.mapper = session_mapper() if mapper is None else mapper
        self.targets: dict[str, np.ndarray] = {}
        # per phase: (target position in px, the mapper's input row) of each frame kept
        self.frames: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {p: [] for p in PHASES}
        self.clicks: list[tuple[np.ndarray, np.ndarray]] = []
        self.recording = False
        self.recorded: list[GazeSample] = []
        self.frames_per_target: int | None = None
        self.gate = FixationGate(0.0)
        self.pursuit: PursuitPath | None = None
        self.drift: dict | None = None
        self.changed = False  # clicks or a drift check moved the profile since it was saved
        self._kept: dict[tuple[str, int], int] = {}
        self._landmarker = None
        self._tracker: Tracker | None = None

    # ------------------------------------------------------------------ frames
    def _face_landmarker(self):
        # one video-mode landmarker per connection, for calibration and live frames alike
        if self._landmarker is None:
            from gazelearn.webcam.landmarks import FaceLandmarker

            # 3 faces, not 1 as gazelearn track's Tracker (stated reason, docs/results.md): the
            # server sees the frames the page sends at its own pace, and skips live frames
            # when it is behind, so a face jumps between the frames MediaPipe sees. With one
            # face its video mode tracks from the last frame and loses a jumped face (the
            # browser test's moving face: 25-26 of 36 frames with a face instead of 36; the
            # socket test's calibration 50 instead of 21 px); with more faces than in view it
            # re-runs its face detector on every frame, which costs latency (Tracker.step p95
            # 22 instead of 12 ms on one core). An image-mode pass on frames the tracking lost
            # was tried and made the socket test's calibration 166 px.
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

    def set_screen(self, screen_px) -> None:
        """A new size in px of the screen (the window went full screen or changed), keeping
        its size in mm and the viewing distance."""
        width, height = screen_pixels(screen_px)
        old = self.screen
        self.screen = Screen(width, height, old.width_mm, old.height_mm, old.distance_mm)

    # ------------------------------------------------------------------ calibration
    def start_calibration(self, n_points: int = 9, n_validation: int = 5,
                          seed: int | None = None, *, frames: int | None = None,
                          fixation_s: float = 0.0, max_wait_s: float = 2.0,
                          pursuit_s: float = 0.0, settle_s: float = 1.0,
                          screen=None) -> dict[str, list]:
        """New calibration and validation targets (px); forgets earlier calibration frames.

        Parameters
        ----------
        n_points : int
            5, 9, 13, 16 or 25 (:func:`~gazelearn.server.capture.calibration_layout`); 0 for
            a pursuit-only calibration.
        n_validation : int
            New targets for the validation report (0..25).
        frames : int, optional
            Frames kept per target; the frame answers say ``done`` when a target has them.
        fixation_s, max_wait_s : float
            Keep a target's frames only once the eyes rested on it for ``fixation_s`` (0:
            keep every frame), or after ``max_wait_s`` on it anyway
            (:class:`~gazelearn.server.capture.FixationGate`).
        pursuit_s, settle_s : float
            A moving target for ``pursuit_s`` seconds after the points (0: none); its frames
            of the first ``settle_s`` are dropped.
        screen : (int, int), optional
            The screen's size in px now (the page sends it once full screen is entered).
        """
        if screen is not None:
            self.set_screen(screen)
        if not 0 <= int(n_validation) <= 25:
            raise InputError(f"n_validation must be 0..25, got {n_validation!r}",
                             field="n_validation")
        if not 0 <= pursuit_s <= 120 or (pursuit_s and not 0 <= settle_s < pursuit_s):
            raise InputError(f"pursuit_s must be 0..120 s and settle_s shorter, got {pursuit_s}"
                             f" and {settle_s}", field="pursuit_s")
        if int(n_points) == 0 and not pursuit_s:
            raise InputError("points: 0 points need a pursuit (pursuit_s > 0)", field="points")
        grid = (calibration_layout(n_points, self.screen, seed=seed) if int(n_points)
                else np.empty((0, 2)))
        avoid = grid if len(grid) else None
        new = (validation_targets(int(n_validation), self.screen, avoid=avoid,
                                  seed=0 if seed is None else seed)
               if n_validation else np.empty((0, 2)))
        self.targets = {"calibration": grid, "validation": new}
        self.frames = {p: [] for p in PHASES}
        self.frames_per_target = None if frames is None else int(frames)
        self.gate = FixationGate(fixation_s, max_wait_s)
        self.pursuit = PursuitPath(pursuit_s, self.screen, settle_s) if pursuit_s else None
        self._kept = {}
        answer = {p: np.round(self.targets[p], 1).tolist() for p in PHASES}
        answer["screen"] = list(self.screen.size_px)
        if self.pursuit is not None:
            answer["pursuit"] = self.pursuit.to_message()
        return answer

    def _target(self, phase: str, target) -> np.ndarray:
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
        return points[int(target)]

    def _row(self, features) -> np.ndarray:
        return (np.full(self.mapper.input_size, np.nan) if features is None
                else np.asarray(features, np.float64))

    def add_features(self, phase: str, target: int, features: np.ndarray | None) -> None:
        """Keep one calibration or validation frame's features (None: no face)."""
        xy = self._target(phase, target)
        self.frames[phase].append((xy, self._row(features)))
        key = (phase, int(target))
        self._kept[key] = self._kept.get(key, 0) + 1

    def _arrays(self, phase: str) -> tuple[np.ndarray, np.ndarray]:
        pairs = self.frames[phase]
        if not pairs:
            return np.empty((0, self.mapper.input_size)), np.empty((0, 2))
        return np.array([f for _, f in pairs]), np.array([t for t, _ in pairs])

    def fit(self, meta: dict | None = None, max_error_pct: float | None = MAX_ERROR_PCT
            ) -> dict:
        """Fit the profile on the calibration frames; the validation report as a dict, with
        ``accepted`` (False when the mean error is above ``max_error_pct`` % of the screen,
        None without validation or limit; a limit of 100 accepts every calibration, even one
        whose points fall off the screen)."""
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
                  "face_found_fraction": float(found.mean()),
                  "n_points": len(self.targets["calibration"]),
                  "pursuit_frames": self._kept.get(("pursuit", 0), 0),
                  "fixation_s": self.gate.fixation_s, **(meta or {})})
        self.clicks = []
        report = self.report()
        accepted = None
        if report and max_error_pct is not None and report.get("accuracy_pct") is not None:
            accepted = bool(accepts(report["accuracy_pct"], max_error_pct))
        self.profile.meta["accepted"] = accepted
        self.changed = False
        return {**report, "accepted": accepted, "max_error_pct": max_error_pct}

    def report(self) -> dict:
        """The profile's validation report (a dict; empty without validation)."""
        if self.profile is None or self.profile.validation is None:
            return {}
        report = self.profile.validation
        values = {k: (_clean(v) if isinstance(v, float) else v)
                  for k, v in report.to_dict().items()}
        values["describe"] = report.describe()
        return values

    def _calibration_frame(self, phase: str, header: dict, face, row) -> dict:
        target = header.get("target", -1)
        self._target(phase, target)  # checked before anything is kept
        key = (phase, int(target))
        done = (self.frames_per_target is not None
                and self._kept.get(key, 0) >= self.frames_per_target)
        keep, waited = False, False
        if not done:
            t = header.get("t")
            signal = None if row is None else eye_signal(face)
            keep, waited = self.gate.admit(key, t if isinstance(t, (int, float)) else None,
                                           signal)
        if keep:
            self.add_features(phase, target, row)
        n_kept = self._kept.get(key, 0)
        return {"kept": keep, "waited": waited, "n_kept": n_kept,
                "done": self.frames_per_target is not None and n_kept >= self.frames_per_target}

    def _pursuit_frame(self, header: dict, row) -> dict:
        if self.pursuit is None:
            raise InputError("no pursuit in this calibration: ask for one (pursuit_s)",
                             field="phase")
        t = header.get("t")
        xy = self.pursuit.target(t if isinstance(t, (int, float)) else None)
        if xy is not None:
            self.frames["calibration"].append((xy, self._row(row)))
            self._kept["pursuit", 0] = self._kept.get(("pursuit", 0), 0) + 1
        return {"kept": xy is not None,
                "target": None if xy is None else np.round(xy, 1).tolist()}

    # ------------------------------------------------------------------ live gaze
    def _scale(self) -> np.ndarray:
        """Px of the session's screen per px of the profile's."""
        return (np.array(self.screen.size_px, np.float64)
                / np.array(self.profile.screen_px, np.float64))

    def _offset(self) -> np.ndarray:
        return np.asarray(self.profile.meta.get("offset_px", (0.0, 0.0)), np.float64)

    def _shown(self, sample: GazeSample) -> GazeSample:
        """The tracker's sample in the session's screen px, the offset applied (a constant
        offset commutes with the translation-equivariant filters)."""
        (ox, oy), (sx, sy) = self._offset(), self._scale()
        if ox == oy == 0 and sx == sy == 1:
            return sample
        return dataclasses.replace(sample, x=(sample.x + ox) * sx, y=(sample.y + oy) * sy,
                                   raw_x=(sample.raw_x + ox) * sx,
                                   raw_y=(sample.raw_y + oy) * sy)

    def _live(self, sample: GazeSample) -> dict:
        sample = self._shown(sample)
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
        (with ``target``, and ``t`` when the capture waits for a fixation), ``pursuit``
        (``t``: seconds since the target started moving), ``live`` (``t``), ``click``
        (``x``, ``y``: where the person clicked), ``drift`` (after :meth:`start_drift`) or
        ``preview`` (face-position advice)."""
        phase = header.get("phase", "live")
        if phase in ("live", "click", "drift"):
            tracker = self.tracker
            tracker.landmarker = self._face_landmarker()
            if phase == "live":
                t = header.get("t")
                if not isinstance(t, (int, float)) or not math.isfinite(t):
                    raise InputError("live frames need a time 't' in seconds", field="t")
                return {"type": "gaze", **self._live(tracker.step(float(t), frame))}
            face, row = tracker.observe(frame)
            usable = face is not None and not face.blink
            if phase == "click":
                return {"type": "click", "face": face is not None,
                        **self.click((header.get("x"), header.get("y")),
                                     row if usable else None)}
            self.add_drift_features(row if usable else None)
            return {"type": "frame", "face": face is not None, "kept": usable,
                    "n_kept": len(self.drift["rows"])}
        face = self.landmarks(frame)
        if phase == "preview":
            return {"type": "face", **face_advice(None if face is None else face_measures(face))}
        blink = bool(face is not None and face.blink)
        # a blink frame is kept as lost: closed eyes say nothing of the target
        row = None if face is None or blink else frame_input(self.mapper, face, frame)
        if phase == "pursuit":
            extra = self._pursuit_frame(header, row)
        else:
            extra = self._calibration_frame(phase, header, face, row)
        return {"type": "frame", "face": face is not None, "blink": blink, **extra}

    # ------------------------------------------------------------------ corrections
    def click(self, xy, features: np.ndarray | None) -> dict:
        """A frame labelled with the click at ``xy`` (session px) during live tracking.

        With this session's calibration frames and the landmark regressor, the profile is
        refitted on them and every click so far (its offset reset: the clicks carry the newest
        labels); otherwise (a loaded profile, the CNN) the offset becomes the median error of
        the last :data:`CLICK_WINDOW` clicks. A frame without a face is not kept.
        """
        target = _point(xy, "click")
        if features is None or not np.isfinite(features).all():
            return {"kept": False, "refit": None, "n_clicks": len(self.clicks)}
        row = np.asarray(features, np.float64)
        profile_xy = target / self._scale()
        self.clicks.append((profile_xy, row))
        cal_x, cal_y = self._arrays("calibration")
        if self.mapper.inputs == "landmarks" and self.profile.mapper.inputs == "landmarks" \
                and len(cal_x) and self.profile.screen_px == self.screen.size_px:
            old = self.profile
            self.profile = fit_profile(
                np.vstack([cal_x, [r for _, r in self.clicks]]),
                np.vstack([cal_y, [t for t, _ in self.clicks]]), self.screen,
                mapper=clone(self.mapper), meta={**old.meta, "offset_px": [0.0, 0.0],
                                                 "clicks": len(self.clicks)})
            self.profile.validation = old.validation
            refit = "mapper"
        else:
            recent = self.clicks[-CLICK_WINDOW:]
            raw = self.profile.predict(np.array([r for _, r in recent]))
            errors = np.array([t for t, _ in recent]) - raw
            self.profile.meta["offset_px"] = np.round(np.nanmedian(errors, axis=0), 2).tolist()
            refit = "offset"
        self.changed = True
        return {"kept": True, "refit": refit, "n_clicks": len(self.clicks),
                "offset_px": self._offset().tolist()}

    def start_drift(self, xy) -> None:
        """Begin a drift check on the target at ``xy`` (session px)."""
        if self.profile is None:
            raise InputError("no calibration yet: calibrate or load a profile first")
        self.drift = {"target": _point(xy, "target"), "rows": []}

    def add_drift_features(self, features: np.ndarray | None) -> None:
        """One frame of the drift check (None: no face; not kept)."""
        if self.drift is None:
            raise InputError("no drift check running: send {\"type\": \"drift\", \"target\": "
                             "[x, y]} first", field="phase")
        if features is not None and np.isfinite(features).all():
            self.drift["rows"].append(np.asarray(features, np.float64))

    def apply_drift(self, min_frames: int = 3) -> dict:
        """Move the mapping so the median gaze of the drift frames lands on their target:
        through the mapper's ``recalibrate_offset`` when it has one (``method: "mapper"``),
        else by a constant offset in px (``"offset"``); ``error_px`` is how far off it was
        (session px)."""
        if self.drift is None:
            raise InputError("no drift check running: send {\"type\": \"drift\", \"target\": "
                             "[x, y]} first")
        rows, target = self.drift["rows"], self.drift["target"]
        if len(rows) < min_frames:
            raise InputError(f"the drift check has {len(rows)} frames with a face; at least "
                             f"{min_frames} are needed")
        scale = self._scale()
        raw = np.nanmedian(self.profile.predict(np.array(rows)), axis=0)
        before = (raw + self._offset()) * scale
        refit = getattr(self.profile.mapper, "recalibrate_offset", None)
        if refit is not None:  # the mapper's own offset refit (the eyeball model's kappa)
            refit(np.array(rows), target / scale - self._offset())
            method = "mapper"
        else:  # a constant offset in px after the mapper
            self.profile.meta["offset_px"] = np.round(target / scale - raw, 2).tolist()
            method = "offset"
        self.drift = None
        self.changed = True
        return {"error_px": float(np.hypot(*(before - target))), "n_frames": len(rows),
                "offset_px": self._offset().tolist(), "method": method}

    # ------------------------------------------------------------------ recording
    def set_recording(self, on: bool) -> None:
        """Start (clearing the last one) or pause recording live samples."""
        if on and not self.recording:
            self.recorded = []
            if self._tracker is not None:
                self._tracker.reset()
        self.recording = bool(on)

    def finish(self, recording_path: Path, heatmap_path: Path | None,
               person: str | None = None) -> dict:
        """Write the recorded samples as a gazelearn recording (CSV with its JSON sidecar:
        the person, the session's screen with its geometry when known) and a heat map PNG."""
        from gazelearn.io import write_recording
        from gazelearn.recording import Metadata

        self.recording = False
        if not self.recorded:
            raise InputError("nothing recorded: press Record during live tracking first")
        start = self.recorded[0].t
        meta = Metadata(subject=person, session=Path(recording_path).stem, format="webcam",
                        source="gazelearn server",
                        extra={"filter": self.filter_name,
                               "calibration_accuracy_pct": self.report().get("accuracy_pct")})
        rec = dataclasses.replace(self.tracker.recording(
            [dataclasses.replace(s, t=s.t - start) for s in self.recorded], meta),
            screen=self.screen)
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
