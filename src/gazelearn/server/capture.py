"""How the browser app captures calibration frames: target layouts, the fixation wait, the
moving target, and face-position advice.

* :func:`calibration_layout`: 5, 9 or 13 points (and the 16 and 25 grids) of
  :func:`gazelearn.webcam.calibration_targets`: 5 = the four corners of the 3 x 3 grid and its
  centre; 13 = the 3 x 3 grid and the centres of its four cells (the layouts of EyeLink's
  HV5 / HV13 and Tobii's 5- and 13-point calibrations).
* :class:`FixationGate`: a calibration frame is kept only once the eyes have settled on the
  target: the iris position in the eye (``u``, ``v`` of both eyes,
  :func:`gazelearn.webcam.features.iris_position`) stayed within :data:`FIXATION_DISPERSION`
  for ``fixation_s`` (0.3 s); a target on which that never happens has its frames kept after
  ``max_wait_s`` anyway (a person with unsteady landmarks still calibrates, flagged).
* :class:`PursuitPath`: the smooth-pursuit calibration: a Lissajous path
  (:func:`gazelearn.webcam.moving_target_path`) sampled at 60 Hz; the page moves the target
  along it and each frame is labelled with the path at its capture time; frames of the first
  ``settle_s`` (the eyes catching up with the target) are dropped.
* :func:`face_advice`: what the page tells the person before calibration, from the landmarks.

Examples
--------
>>> calibration_layout(5, (1000, 500)).tolist()
[[100.0, 50.0], [900.0, 50.0], [500.0, 250.0], [100.0, 450.0], [900.0, 450.0]]
>>> len(calibration_layout(13, (1000, 500)))
13
>>> path = PursuitPath(10.0, (1000, 500), settle_s=1.0)
>>> path.target(0.5) is None, [round(v) for v in path.target(2.5)]   # settling, then on the path
(True, [100, 50])
>>> face_advice(None)["advice"], face_advice({"size": 0.05, "yaw": 0.0, "pitch": 0.0,
...                                           "x": 0.5, "y": 0.5})["advice"]
('no face', 'move closer')
"""

from __future__ import annotations

import math

import numpy as np

from gazelearn.errors import InputError
from gazelearn.screen import Screen
from gazelearn.webcam.calibration import calibration_targets, moving_target_path

#: Calibration layouts the app offers (the page's choice: 5, 9 or 13; 16 and 25 for scripts).
LAYOUTS = (5, 9, 13, 16, 25)

#: Largest spread (max - min) of the iris position in the eye, in units of the eye's width
#: (u) and lid opening (v), over the fixation window: about a tenth of the range the iris
#: covers when the gaze sweeps a laptop screen, and two to three times MediaPipe's frame-to-frame
#: iris jitter on a 640 x 480 webcam picture.
FIXATION_DISPERSION = 0.04

#: Face-position advice thresholds. ``size`` is the distance between the outer eye corners (about
#: 90 mm) as a fraction of the frame width (:func:`gazelearn.webcam.headpose.face_position`): at
#: 60 cm a laptop webcam (60-78 degrees wide) shows them 9-13 % of its width apart. Below 7 %
#: (45 px of a 640 px picture, the iris then about 6 px across; beyond about 0.8-1.1 m):
#: "move closer"; above 30 % (nearer than about 25 cm, the head soon leaves the picture):
#: "move back".
FACE_MIN_SIZE = 0.07
FACE_MAX_SIZE = 0.30
#: Head turned (yaw) or tilted (pitch) beyond these degrees: "face the camera".
FACE_MAX_YAW = 15.0
FACE_MAX_PITCH = 20.0
#: Eyes further than this fraction of the frame from its centre: "centre your face".
FACE_MAX_OFFSET = 0.25


def calibration_layout(n_points: int, screen, seed: int | None = None) -> np.ndarray:
    """Calibration targets ``(n_points, 2)`` in px for 5, 9, 13, 16 or 25 points
    (:func:`gazelearn.webcam.calibration_targets`; an error naming the message's ``points``
    field otherwise). ``seed`` shuffles the order reproducibly (row by row otherwise)."""
    if int(n_points) not in LAYOUTS:
        raise InputError(f"points must be one of {', '.join(map(str, LAYOUTS))}, got {n_points}",
                         field="points")
    return calibration_targets(int(n_points), screen, seed=seed)


def eye_signal(face) -> np.ndarray:
    """``[u, v]`` of the right and left iris (:func:`~gazelearn.webcam.features.iris_position`):
    what moves when the eyes do, whatever gaze mapper the calibration fits."""
    from gazelearn.webcam.features import iris_position

    return np.concatenate([iris_position(face.points, eye)[:2] for eye in ("right", "left")])


class FixationGate:
    """Keeps a target's frames once the eyes rest on it (see the module docstring).

    Parameters
    ----------
    fixation_s : float
        How long the eye signal must stay within ``dispersion`` (0: every frame is kept).
    max_wait_s : float
        After this long on one target its frames are kept even without a fixation.
    dispersion : float
        Largest spread of the eye signal within the window.

    Examples
    --------
    >>> gate = FixationGate(0.3, max_wait_s=2.0)
    >>> still = np.array([0.5, 0.5, 0.5, 0.5])
    >>> [gate.admit(0, t / 30, still)[0] for t in range(12)]   # 0.3 s of a still eye first
    [False, False, False, False, False, False, False, False, False, True, True, True]
    >>> gate.admit(0, 0.4, still + 0.2)      # a saccade: not a fixation any more
    (False, False)
    """

    def __init__(self, fixation_s: float = 0.3, max_wait_s: float = 2.0,
                 dispersion: float = FIXATION_DISPERSION) -> None:
        self.fixation_s = float(fixation_s)
        self.max_wait_s = float(max_wait_s)
        self.dispersion = float(dispersion)
        self._history: dict = {}
        self._first: dict = {}

    def admit(self, key, t: float | None, signal: np.ndarray | None) -> tuple[bool, bool]:
        """``(keep, waited)`` for one frame of target ``key`` at time ``t`` (s) with the eye
        signal ``signal`` (None: no face or a blink). ``waited`` is True when the frame is kept
        only because ``max_wait_s`` passed."""
        if self.fixation_s <= 0:
            return True, False
        if t is None or not math.isfinite(t):
            raise InputError("calibration frames need their capture time 't' (s) when the "
                             "capture waits for a fixation", field="t")
        first = self._first.setdefault(key, t)
        history = self._history.setdefault(key, [])
        if signal is None or not np.isfinite(signal).all():
            history.clear()  # a lost face or a blink breaks the fixation
        else:
            history.append((t, np.asarray(signal, np.float64)))
            # keep the window, plus the newest frame at or before its start (it spans it)
            while len(history) > 1 and history[1][0] <= t - self.fixation_s:
                history.pop(0)
        stable = False
        if history and signal is not None and t - history[0][0] >= self.fixation_s - 1e-6:
            values = np.array([s for _, s in history])
            stable = bool(np.ptp(values, axis=0).max() <= self.dispersion)
        if stable:
            return True, False
        waited = t - first >= self.max_wait_s
        return waited, waited


class PursuitPath:
    """The moving target of a pursuit calibration (see the module docstring).

    Parameters
    ----------
    duration_s : float
        How long the target moves (the issue's 20-30 s).
    screen : Screen or (int, int)
        Where it moves (less a 10 % margin).
    settle_s : float
        Frames before this time are dropped: the eyes are still catching up with the target.
    rate_hz : float
        Samples of the path sent to the page (it interpolates linearly between them, as
        :meth:`target` does).
    """

    def __init__(self, duration_s: float, screen, settle_s: float = 1.0,
                 rate_hz: float = 60.0) -> None:
        self.duration_s = float(duration_s)
        self.settle_s = float(settle_s)
        self.rate_hz = float(rate_hz)
        self.time, self.xy = moving_target_path(self.duration_s, self.rate_hz,
                                                Screen.coerce(screen))

    def target(self, t: float | None) -> np.ndarray | None:
        """The target's position (px) at capture time ``t`` (s since the path started), or
        None when the frame is dropped (settling, after the end, no time)."""
        if t is None or not math.isfinite(t) or not self.settle_s <= t <= self.time[-1]:
            return None
        return np.array([np.interp(t, self.time, self.xy[:, 0]),
                         np.interp(t, self.time, self.xy[:, 1])])

    def to_message(self) -> dict:
        """What the page needs to move the target: the samples and their rate."""
        return {"duration_s": self.duration_s, "rate_hz": self.rate_hz,
                "settle_s": self.settle_s, "path": np.round(self.xy, 1).tolist()}


def face_measures(face) -> dict:
    """Size, position and head angles of a face (see the thresholds above)."""
    from gazelearn.webcam.headpose import face_position, head_pose

    x, y, size = face_position(face.points, face.image_size)
    yaw, pitch, _ = head_pose(face.points)
    return {"size": float(size), "x": float(x), "y": float(y), "yaw": float(yaw),
            "pitch": float(pitch)}


def face_advice(measures: dict | None) -> dict:
    """The measures of one preview frame (None: no face) with the advice the page shows:
    ``ok``, ``no face``, ``move closer``, ``move back``, ``face the camera`` or
    ``centre your face`` (the first that applies, in that order)."""
    if measures is None:
        return {"face": False, "advice": "no face"}
    if measures["size"] < FACE_MIN_SIZE:
        advice = "move closer"
    elif measures["size"] > FACE_MAX_SIZE:
        advice = "move back"
    elif abs(measures["yaw"]) > FACE_MAX_YAW or abs(measures["pitch"]) > FACE_MAX_PITCH:
        advice = "face the camera"
    elif max(abs(measures["x"] - 0.5), abs(measures["y"] - 0.5)) > FACE_MAX_OFFSET:
        advice = "centre your face"
    else:
        advice = "ok"
    return {"face": True, **{k: round(v, 3) for k, v in measures.items()}, "advice": advice}
