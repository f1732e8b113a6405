"""The eyeball-geometry gaze mapper: few calibrated parameters on top of :mod:`~.eyeball`.

:class:`EyeballGazeMapper` is the default gaze mapper of ``gazelearn track --calibrate`` and of
the browser app's calibration. Each frame's row (:meth:`~EyeballGazeMapper.frame_input`) holds
both eyes' :func:`~gazelearn.webcam.eyeball.eye_measurements` (8 numbers, mm) and the 14
:data:`~gazelearn.webcam.FEATURE_NAMES` (head pose, face size, iris in the eye frame). Without
any fitting the eyeball model gives a first estimate; a calibration then fits only what differs
between people (and between set-ups), per axis, in degrees of visual angle:

``angle = kappa + g_eye * eye_part + g_head * head_part (+ g_lid . lid_part, vertical)``

The vertical angle has a second eye cue, the **upper eyelids**: the lid rides on the globe and
drops as the eye looks down (lid-eye coordination, Becker and Fuchs 1988), and in a small
webcam image it moves several times as far as MediaPipe's iris point does. Each eye's
upper-lid height (:func:`~gazelearn.webcam.features.upper_lid_heights`, relative to the eye
corners and to the calibration's median lid) is read as an angle on the same eyeball
(:data:`~gazelearn.webcam.eyeball.EYE_WIDTH_MM` over the iris reach) and gets one calibrated
gain per eye (``g_lid``, shrunk toward 0 by ``eyelid_prior_weight``: without evidence the lid
adds nothing). It is fitted with ``eye_head`` (5 points on); ``eyelid=False`` turns it off.

* ``offset``: ``kappa`` only, the angle kappa between the optical and the visual axis (and the
  camera's unknown tilt): 2 parameters, posed from one point;
* ``scale``: ``kappa`` and the eye gain ``g_eye`` (how far the landmarks' iris moves per degree
  differs between faces and lids): 4 parameters;
* ``eye_head``: ``kappa``, ``g_eye`` and the head gain ``g_head``: 6 parameters, + the 2
  eyelid gains;
* ``affine``: a full 2-D affine map of the eye and head parts' sum: 6 parameters;
* ``auto`` (default): ``offset`` from 1-2 targets, ``scale`` from 3-4, ``eye_head`` from 5 on.

Gains are shrunk toward the model's 1 (``prior_weight``, a ridge penalty toward the
person-independent geometry, so 5-9 points are well posed). The fit uses each target's
*median* frame (a bad frame does not decide a point), and leaves out frames whose eyes are less
open than ``min_open_ratio`` of the calibration's median opening (squints and half blinks: the
lids then cover the iris and the eyelid cue reads them as a look down). The viewing distance
follows the face's size relative to the calibration's median face (a face 10 % larger is 10 %
nearer). With many
calibration frames (``second_stage_min_frames``, 100 by default) a ridge regression on the 14
landmark features (:class:`~gazelearn.webcam.LandmarkGazeRegressor`) corrects what the geometry
leaves (its residuals in px). :meth:`~EyeballGazeMapper.recalibrate_offset` is the drift check:
one point re-fits ``kappa`` and leaves the rest.

Examples
--------
Rows of a synthetic face whose eyes follow the targets exactly (the mapper's own geometry, eye
gain 0.8, kappa 3 deg): the calibration recovers them.

>>> import numpy as np
>>> from gazelearn.screen import Screen
>>> from gazelearn.webcam.calibration import calibration_targets
>>> mapper = EyeballGazeMapper(screen=(1920, 1080), second_stage="none", prior_weight=0.0)
>>> targets = calibration_targets(9, (1920, 1080))
>>> rows = synthetic_rows(targets, mapper, eye_gain=0.8, kappa=(3.0, -2.0))
>>> mapper.fit(rows, targets).calibration_
'eye_head'
>>> bool(np.abs(mapper.predict(rows) - targets).max() < 1.0)
True
>>> np.round(mapper.offset_, 2).tolist()        # kappa, as the visual axis would need it
[-3.0, 2.0]
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from gazelearn.errors import InputError
from gazelearn.screen import Screen
from gazelearn.webcam.eyeball import (
    DEFAULT_CAMERA_MM,
    EYE_WIDTH_MM,
    EYEBALL_DEPTH_MM,
    FACE_WIDTH_MM,
    MEASUREMENT_NAMES,
    ScreenGeometry,
    eye_measurements,
    gaze_angles,
)
from gazelearn.webcam.features import FEATURE_NAMES, landmark_features, upper_lid_heights
from gazelearn.webcam.headpose import rotation_matrix
from gazelearn.webcam.regressor import LandmarkGazeRegressor

#: Names of the columns of :meth:`EyeballGazeMapper.frame_input`.
INPUT_NAMES: tuple[str, ...] = (
    *(f"{eye}_{name}" for eye in ("right", "left") for name in MEASUREMENT_NAMES),
    *FEATURE_NAMES,
)
_N_EYE = 2 * len(MEASUREMENT_NAMES)
_POSE = slice(_N_EYE + FEATURE_NAMES.index("yaw"), _N_EYE + FEATURE_NAMES.index("roll") + 1)
_SIZE = _N_EYE + FEATURE_NAMES.index("face_size")
CALIBRATIONS = ("auto", "none", "offset", "scale", "eye_head", "affine")
SECOND_STAGES = ("auto", "none", "ridge", "rbf")
#: the learned attributes (what a model file stores besides the second stage)
FITTED = ("n_features_in_", "offset_", "eye_coef_", "head_coef_", "reference_size_",
          "eyelid_coef_", "eyelid_reference_")


class EyeballGazeMapper(RegressorMixin, BaseEstimator):
    """Eyeball geometry with a few-parameter calibration (and an optional ridge stage).

    Parameters
    ----------
    screen : (int, int) or dict, optional
        The screen: ``(width_px, height_px)`` or :meth:`Screen.to_dict` (with its size in mm
        and viewing distance when known). None: 1920 x 1080 until
        :func:`~gazelearn.webcam.fit_profile` sets the profile's screen.
    camera_mm : (float, float)
        The camera relative to the centre of the screen's top edge (mm, x right, y down).
    calibration : {"auto", "none", "offset", "scale", "eye_head", "affine"}
        What :meth:`fit` fits (see the module).
    prior_weight : float
        Ridge penalty pulling the gains toward 1 (per target, in deg^2 per unit gain^2); 300
        was best of 1, 10, 100, 300, 1000 on the pool of ``webcam-crops-dev`` with the eyelid
        term (100 without it; docs/results.md).
    second_stage : {"auto", "none", "ridge", "rbf"}
        The landmark regressor on the geometry's residuals: ``auto`` = ridge when the
        calibration has at least ``second_stage_min_frames`` usable frames.
    second_stage_min_frames : int
        On the pool the ridge stage made 27-48 frames worse and about 360 better; 100 lies
        between (not measured finer).
    alpha : float
        Ridge penalty of the second stage.
    iris_reach_mm : float
        Iris centre to eyeball centre. MediaPipe's iris points move about half as far as an
        anatomical 10.4 mm reach predicts; 6 mm was chosen on the calibration pool of
        ``webcam-crops-dev`` (docs/results.md).
    eyeball_depth_mm, face_width_mm : float
        See :func:`~gazelearn.webcam.eyeball.eye_measurements`.
    distance_from_face : bool
        Scale the viewing distance by the calibration's median face size over the frame's.
    eyelid : bool
        Fit the upper eyelids' vertical gains with ``eye_head`` (see the module).
    eyelid_prior_weight : float
        Ridge penalty pulling the eyelid gains toward 0 (same units as ``prior_weight``); 100
        was best of 1, 10, 100, 1000 on the pool (weaker penalties overfit 5 points).
    min_open_ratio : float
        Calibration frames whose mean lid opening (the features' ``open``, both eyes) is below
        this share of the calibration's median are left out; 0 keeps all. 0.75 was best of
        0, 0.7, 0.75, 0.8, 0.85, 0.9 on the pool of ``webcam-crops-dev`` (docs/results.md).

    Attributes
    ----------
    calibration_ : str
        The calibration fitted (``auto`` resolved).
    offset_ : numpy.ndarray
        ``(2,)`` kappa (deg).
    eye_coef_, head_coef_ : numpy.ndarray
        ``(2, 2)`` gains of the eye and head parts (identity: the uncalibrated model).
    reference_size_ : float
        The calibration's median face size (outer eye corners / frame width).
    eyelid_coef_ : numpy.ndarray
        ``(2,)`` vertical gains of the right and left upper lid (deg per deg; 0 without them).
    eyelid_reference_ : numpy.ndarray
        ``(2,)`` the calibration's median upper-lid heights (corner distances).
    second_stage_ : LandmarkGazeRegressor or None
    """

    #: what a frame's row holds (the :class:`~gazelearn.webcam.mapper.GazeMapper` protocol)
    inputs = "landmarks"
    #: length of :meth:`frame_input`'s row
    input_size = len(INPUT_NAMES)

    def __init__(self, screen=None, camera_mm: tuple[float, float] = DEFAULT_CAMERA_MM,
                 calibration: str = "auto", prior_weight: float = 300.0,
                 second_stage: str = "auto", second_stage_min_frames: int = 100,
                 alpha: float = 1.0, iris_reach_mm: float = 6.0,
                 eyeball_depth_mm: float = EYEBALL_DEPTH_MM,
                 face_width_mm: float = FACE_WIDTH_MM, distance_from_face: bool = True,
                 eyelid: bool = True, eyelid_prior_weight: float = 100.0,
                 min_open_ratio: float = 0.75) -> None:
        self.screen = screen
        self.camera_mm = camera_mm
        self.calibration = calibration
        self.prior_weight = prior_weight
        self.second_stage = second_stage
        self.second_stage_min_frames = second_stage_min_frames
        self.alpha = alpha
        self.iris_reach_mm = iris_reach_mm
        self.eyeball_depth_mm = eyeball_depth_mm
        self.face_width_mm = face_width_mm
        self.distance_from_face = distance_from_face
        self.eyelid = eyelid
        self.eyelid_prior_weight = eyelid_prior_weight
        self.min_open_ratio = min_open_ratio

    # ------------------------------------------------------------------ geometry
    def geometry(self) -> ScreenGeometry:
        """The screen and camera this mapper projects onto."""
        screen = Screen(1920, 1080) if self.screen is None else Screen.coerce(self.screen)
        camera = tuple(float(v) for v in self.camera_mm)
        if len(camera) != 2 or not all(math.isfinite(v) for v in camera):
            raise InputError(f"camera_mm must be two finite numbers, got {self.camera_mm!r}")
        return ScreenGeometry(screen, camera)

    def frame_input(self, face, frame=None) -> np.ndarray:
        """One frame's row: both eyes' measurements (mm) and the landmark features."""
        measured = eye_measurements(face.points, face.image_size,
                                    eyeball_depth_mm=self.eyeball_depth_mm,
                                    face_width_mm=self.face_width_mm)
        return np.concatenate([measured.ravel(), landmark_features(face)])

    def _parts(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Eye part, head part (deg), eye position (mm) and face size of each row (both eyes
        averaged: a cyclopean eye)."""
        measured = X[:, :_N_EYE].reshape(-1, 2, len(MEASUREMENT_NAMES))
        pose = X[:, _POSE] * 10.0  # the features hold degrees / 10
        rotation = np.array([rotation_matrix(*p) for p in pose]).reshape(-1, 1, 3, 3)
        eye, head = gaze_angles(measured, rotation, self.iris_reach_mm)
        return eye.mean(axis=1), head.mean(axis=1), measured[:, :, 2:].mean(axis=1), X[:, _SIZE]

    def _lid_raw(self, X: np.ndarray) -> np.ndarray:
        return upper_lid_heights(X[:, _N_EYE:])

    def _lid(self, X: np.ndarray) -> np.ndarray:
        """Each eye's upper-lid height relative to the calibration's, as an angle (deg) on an
        eyeball of the iris's reach."""
        height_mm = (self._lid_raw(X) - self.eyelid_reference_) * EYE_WIDTH_MM
        return np.degrees(height_mm / self.iris_reach_mm)

    def _angles(self, X: np.ndarray, eye: np.ndarray, head: np.ndarray) -> np.ndarray:
        """The calibrated visual axis (deg) of rows with their eye and head parts."""
        angles = self.offset_ + eye @ self.eye_coef_.T + head @ self.head_coef_.T
        if np.any(self.eyelid_coef_):
            angles[:, 1] += self._lid(X) @ self.eyelid_coef_
        return angles

    def _distance(self, size: np.ndarray, geometry: ScreenGeometry) -> np.ndarray:
        if not self.distance_from_face:
            return np.full(len(size), geometry.distance_mm)
        return geometry.distance_mm * self.reference_size_ / size

    def _to_screen(self, angles, eye_mm, distance, geometry) -> np.ndarray:
        tangent = np.tan(np.radians(angles))
        return geometry.camera_to_px(eye_mm + distance[:, None] * tangent)

    def _to_angles(self, xy, eye_mm, distance, geometry) -> np.ndarray:
        offset = geometry.px_to_camera(xy) - eye_mm
        return np.degrees(np.arctan(offset / distance[:, None]))

    def _geometric(self, X: np.ndarray) -> np.ndarray:
        geometry = self.geometry()
        eye, head, eye_mm, size = self._parts(X)
        angles = self._angles(X, eye, head)
        return self._to_screen(angles, eye_mm, self._distance(size, geometry), geometry)

    # ------------------------------------------------------------------ fitting
    def _check(self, X, y=None) -> tuple[np.ndarray, np.ndarray | None]:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.input_size:
            raise InputError(f"expected rows of {self.input_size} values (frame_input), got "
                             f"shape {X.shape}")
        if y is None:
            return X, None
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (len(X), 2):
            raise InputError(f"targets must be ({len(X)}, 2) screen x, y in px, got shape "
                             f"{y.shape}")
        return X, y

    def _resolve(self, n_targets: int) -> str:
        if self.calibration not in CALIBRATIONS:
            raise InputError(f"calibration must be one of {', '.join(CALIBRATIONS)}, got "
                             f"{self.calibration!r}")
        if self.calibration != "auto":
            return self.calibration
        return "offset" if n_targets < 3 else "scale" if n_targets < 5 else "eye_head"

    def fit(self, X, y, groups=None) -> EyeballGazeMapper:
        """Calibrate on ``(n, input_size)`` rows and ``(n, 2)`` targets in px.

        Rows with a NaN value or target are left out, and rows whose eyes are less open than
        ``min_open_ratio`` of the median row; rows sharing a target are one point (its median
        frame). ``groups`` is accepted for the ``fit(X, y, groups)`` interface and
        ignored.
        """
        X, y = self._check(X, y)
        if self.second_stage not in SECOND_STAGES:
            raise InputError(f"second_stage must be one of {', '.join(SECOND_STAGES)}, got "
                             f"{self.second_stage!r}")
        for name in ("prior_weight", "eyelid_prior_weight"):
            if not getattr(self, name) >= 0:
                raise InputError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 <= self.min_open_ratio < 1:
            raise InputError(f"min_open_ratio must be in [0, 1), got {self.min_open_ratio!r}")
        keep = np.isfinite(X).all(axis=1) & np.isfinite(y).all(axis=1)
        X, y = X[keep], y[keep]
        keep = _open_enough(X, self.min_open_ratio)
        X, y = X[keep], y[keep]
        if len(X) < 1:
            raise InputError("calibration needs at least 1 usable frame, got 0")
        geometry = self.geometry()
        self.n_features_in_ = X.shape[1]
        eye, head, eye_mm, size = self._parts(X)
        self.reference_size_ = float(np.median(size))
        self.eyelid_reference_ = np.median(self._lid_raw(X), axis=0)
        wanted = self._to_angles(y, eye_mm, self._distance(size, geometry), geometry)
        # one point per target: the median frame's parts, so one bad frame does not decide it
        _, point = np.unique(y, axis=0, return_inverse=True)
        point = point.reshape(-1)
        medians = [np.array([np.median(v[point == p], axis=0) for p in range(point.max() + 1)])
                   for v in (eye, head, wanted, self._lid(X))]
        self.calibration_ = self._resolve(len(medians[0]))
        lid = medians[3] if self.eyelid and self.calibration_ == "eye_head" else None
        self.offset_, self.eye_coef_, self.head_coef_, self.eyelid_coef_ = _fit_angles(
            self.calibration_, *medians[:3], self.prior_weight, lid, self.eyelid_prior_weight)
        self.second_stage_ = None
        kind = self.second_stage
        if kind == "auto":
            kind = "ridge" if len(X) >= self.second_stage_min_frames else "none"
        if kind != "none" and len(X) >= 2:
            residual = y - self._geometric(X)
            self.second_stage_ = LandmarkGazeRegressor(
                alpha=self.alpha, kernel="linear" if kind == "ridge" else "rbf").fit(
                X[:, _N_EYE:], residual)
        return self

    def predict(self, X) -> np.ndarray:
        """``(n, 2)`` screen positions in px; NaN rows for rows with a NaN."""
        check_is_fitted(self, "offset_")
        X, _ = self._check(X)
        out = np.full((len(X), 2), np.nan)
        ok = np.isfinite(X).all(axis=1)
        if ok.any():
            pred = self._geometric(X[ok])
            if self.second_stage_ is not None:
                pred = pred + self.second_stage_.predict(X[ok, _N_EYE:])
            out[ok] = pred
        return out

    def recalibrate_offset(self, X, target) -> np.ndarray:
        """Drift check: re-fit kappa from frames of one known point; returns the change (deg).

        The median of the frames' angles is moved onto ``target`` (px); gains and the second
        stage stay. Frames without a face are ignored.
        """
        check_is_fitted(self, "offset_")
        X, _ = self._check(X)
        X = X[np.isfinite(X).all(axis=1)]
        if not len(X):
            raise InputError("the drift check has no frame with a face")
        geometry = self.geometry()
        target = np.broadcast_to(np.asarray(target, dtype=np.float64), (len(X), 2))
        if self.second_stage_ is not None:  # what the geometry itself must reach
            target = target - self.second_stage_.predict(X[:, _N_EYE:])
        eye, head, eye_mm, size = self._parts(X)
        distance = self._distance(size, geometry)
        now = self._angles(X, eye, head)
        change = np.median(self._to_angles(target, eye_mm, distance, geometry) - now, axis=0)
        self.offset_ = self.offset_ + change
        return change

    # ------------------------------------------------------------------ persistence
    def __gazelearn_state__(self) -> dict:
        check_is_fitted(self, "offset_")
        state = {name: getattr(self, name) for name in FITTED}
        state["calibration_"] = self.calibration_
        state["second_stage_"] = (None if self.second_stage_ is None else
                                  {"params": self.second_stage_.get_params(),
                                   "state": self.second_stage_.__gazelearn_state__()})
        return state

    def __gazelearn_restore__(self, state: dict) -> None:
        state = dict(state)
        for name in ("eyelid_coef_", "eyelid_reference_"):
            # files written before the eyelid cue existed: no eyelid term, as they were fitted
            state.setdefault(name, np.zeros(2))
        shapes = {"offset_": (2,), "eye_coef_": (2, 2), "head_coef_": (2, 2),
                  "eyelid_coef_": (2,), "eyelid_reference_": (2,)}
        for name, shape in shapes.items():
            value = state.get(name)
            if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or \
                    value.shape != shape or not np.isfinite(value).all():
                raise InputError(f"the stored {name} must be a finite float array of shape "
                                 f"{shape}")
        size = state.get("reference_size_")
        if isinstance(size, bool) or not isinstance(size, int | float) or \
                not math.isfinite(size) or size <= 0:
            raise InputError(f"the stored reference_size_ must be a positive number, got "
                             f"{size!r}")
        if state.get("n_features_in_") != self.input_size:
            raise InputError(f"the stored n_features_in_ must be {self.input_size}")
        if state.get("calibration_") not in CALIBRATIONS[1:]:
            raise InputError(f"the stored calibration_ must be one of "
                             f"{', '.join(CALIBRATIONS[1:])}")
        for name in (*FITTED, "calibration_"):
            setattr(self, name, state[name])
        self.reference_size_ = float(size)
        second = state.get("second_stage_")
        self.second_stage_ = None
        if second is not None:
            model = LandmarkGazeRegressor(**second["params"])
            model.__gazelearn_restore__(second["state"])
            if model.n_features_in_ != len(FEATURE_NAMES):
                raise InputError(f"the stored second stage must read {len(FEATURE_NAMES)} "
                                 "features")
            self.second_stage_ = model

    def save(self, path: str | Path) -> Path:
        """Write the fitted mapper with :func:`gazelearn.learn.save_model`."""
        from gazelearn.webcam.model_files import save_mapper

        return save_mapper(self, path)


def _open_enough(X: np.ndarray, ratio: float) -> np.ndarray:
    """Rows whose mean lid opening (both eyes' ``open`` feature) is at least ``ratio`` times
    the median row's: a squint or the start of a blink moves the lids, and with them the eyelid
    cue and MediaPipe's iris point, without any gaze change."""
    opening = X[:, [_N_EYE + FEATURE_NAMES.index(f"{eye}_open") for eye in ("right", "left")]]
    opening = opening.mean(axis=1)
    if not len(X) or ratio <= 0:
        return np.ones(len(X), bool)
    return opening >= ratio * np.median(opening)


def _fit_angles(kind: str, eye: np.ndarray, head: np.ndarray, wanted: np.ndarray,
                prior_weight: float, lid: np.ndarray | None = None,
                lid_prior_weight: float = 0.0
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``offset, eye_coef, head_coef, eyelid_coef`` of one calibration kind, by ridge toward
    gain 1 (the eyelid gains, fitted only with ``lid``, toward 0)."""
    identity = np.eye(2)
    no_lid = np.zeros(2)
    if kind == "none":
        return np.zeros(2), identity.copy(), identity.copy(), no_lid
    if kind == "offset":
        return np.median(wanted - eye - head, axis=0), identity.copy(), identity.copy(), no_lid
    n = len(eye)
    offset, eye_coef, head_coef = np.zeros(2), identity.copy(), identity.copy()
    if kind == "affine":
        total = eye + head
        design = np.column_stack([total, np.ones(n)])
        prior = np.sqrt(prior_weight) * np.column_stack([np.eye(2), np.zeros(2)])
        for axis in range(2):
            rhs = np.concatenate([wanted[:, axis], np.sqrt(prior_weight) * identity[axis]])
            w = np.linalg.lstsq(np.vstack([design, prior]), rhs, rcond=None)[0]
            eye_coef[axis], head_coef[axis], offset[axis] = w[:2], w[:2], w[2]
        return offset, eye_coef, head_coef, no_lid
    lid_coef = no_lid.copy() if lid is None else np.zeros(lid.shape[1])
    for axis in range(2):
        columns = [eye[:, axis]] + ([head[:, axis]] if kind == "eye_head" else [])
        k = len(columns)
        weights, means = [prior_weight] * k, [1.0] * k
        if axis == 1 and lid is not None:   # the eyelids: vertical only, toward no effect
            columns += list(lid.T)
            weights = weights + [lid_prior_weight] * lid.shape[1]
            means = means + [0.0] * lid.shape[1]
        rhs = wanted[:, axis] - (0.0 if kind == "eye_head" else head[:, axis])
        design = np.column_stack([*columns, np.ones(n)])
        root = np.sqrt(np.asarray(weights))
        prior = np.column_stack([np.diag(root), np.zeros(len(columns))])
        w = np.linalg.lstsq(np.vstack([design, prior]), np.concatenate([rhs, root * means]),
                            rcond=None)[0]
        eye_coef[axis, axis] = w[0]
        if kind == "eye_head":
            head_coef[axis, axis] = w[1]
        if len(columns) > k:
            lid_coef = w[k:-1]
        offset[axis] = w[-1]
    return offset, eye_coef, head_coef, lid_coef


def synthetic_rows(targets, mapper: EyeballGazeMapper, eye_gain: float = 1.0,
                   kappa: tuple[float, float] = (0.0, 0.0), face_size: float = 0.3
                   ) -> np.ndarray:
    """Rows of a level, still head whose eyes look at ``targets`` through ``mapper``'s geometry
    with the given eye gain and kappa: the known answer of the tests and examples."""
    targets = np.asarray(targets, dtype=np.float64)
    geometry = mapper.geometry()
    n = len(targets)
    eye_mm = np.zeros((n, 2))
    wanted = np.degrees(np.arctan((geometry.px_to_camera(targets) - eye_mm)
                                  / geometry.distance_mm))
    optical = (wanted + np.asarray(kappa, np.float64)) / eye_gain
    # invert gaze_angles for a level head: the displacement on the reach sphere
    direction = np.tan(np.radians(optical))
    unit = np.column_stack([direction, np.ones(n)])
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    rows = np.zeros((n, len(INPUT_NAMES)))
    for eye in range(2):
        rows[:, 4 * eye:4 * eye + 2] = unit[:, :2] * mapper.iris_reach_mm
    rows[:, _SIZE] = face_size
    return rows
