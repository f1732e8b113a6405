"""Calibration: target layouts, outlier rejection, validation and the per-user profile.

A calibration shows targets (a 9-, 16- or 25-point grid, or a smoothly moving target), keeps a
few frames per target, drops outlier frames, fits a gaze mapper
(:class:`~gazelearn.webcam.mapper.GazeMapper`: the :class:`LandmarkGazeRegressor` by default, or
the eye-crop CNN of :mod:`gazelearn.webcam.crop_model`), and then
*validates on new targets* the person has not been calibrated on: accuracy is the mean
Euclidean error, precision the RMS of sample-to-sample distances (RMS-S2S) -- both from
:mod:`gazelearn.metrics` -- in px, % of the screen and, when the screen's size in mm and the
viewing distance are known, degrees. The result is a :class:`CalibrationProfile`: a JSON file
naming the mapper's model file beside it.

Examples
--------
>>> import numpy as np
>>> calibration_targets(9, (1000, 500), margin=0.1).tolist()[:4]
[[100.0, 50.0], [500.0, 50.0], [900.0, 50.0], [100.0, 250.0]]
>>> values = np.array([[0.0], [0.1], [-0.1], [0.05], [9.0]])
>>> reject_outliers(values, groups=np.zeros(5)).tolist()
[True, True, True, True, False]
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gazelearn.errors import InputError
from gazelearn.io.atomic import atomic_write
from gazelearn.metrics import gaze_error, rms_s2s
from gazelearn.screen import Screen
from gazelearn.webcam.mapper import GazeMapper
from gazelearn.webcam.regressor import LandmarkGazeRegressor

_PROFILE_FORMAT = "gazelearn-calibration-profile"
# 2: the mapper in a model file beside the JSON (1: the landmark regressor's arrays in the JSON)
_PROFILE_VERSION = 2


def calibration_targets(n_points: int = 9, screen=(1920, 1080), margin: float = 0.1,
                        seed: int | None = None) -> np.ndarray:
    """Calibration targets ``(n_points, 2)`` in px: 5, 9 (3 x 3), 13, 16 (4 x 4) or 25 (5 x 5).

    The grid spans the screen less ``margin`` (a fraction of width and height) on every side;
    5 points are its 4 corners and centre, 13 the 3 x 3 grid and the centres of its 4 cells
    (the layouts of commercial trackers' calibrations). With a ``seed`` the order is shuffled
    reproducibly (row by row otherwise).

    Examples
    --------
    >>> calibration_targets(5, (1000, 500)).tolist()
    [[100.0, 50.0], [900.0, 50.0], [500.0, 250.0], [100.0, 450.0], [900.0, 450.0]]
    >>> calibration_targets(13).shape
    (13, 2)
    """
    side = {5: 3, 9: 3, 13: 3, 16: 4, 25: 5}.get(int(n_points))
    if side is None:
        raise InputError(f"n_points must be 9, 16 or 25 (grids), 5 or 13, got {n_points!r}")
    if not 0 <= margin < 0.5:
        raise InputError(f"margin must be in [0, 0.5), got {margin!r}")
    width, height = Screen.coerce(screen).size_px
    xs = np.linspace(margin * width, (1 - margin) * width, side)
    ys = np.linspace(margin * height, (1 - margin) * height, side)
    grid = np.array([[x, y] for y in ys for x in xs])
    if n_points == 5:   # corners and centre
        grid = grid[[0, 2, 4, 6, 8]]
    elif n_points == 13:  # and the centres of the 4 cells, in reading order
        cells = [[(xs[i] + xs[i + 1]) / 2, (ys[j] + ys[j + 1]) / 2] for j in (0, 1) for i in (0, 1)]
        grid = np.array(sorted([*grid.tolist(), *cells], key=lambda p: (p[1], p[0])))
    if seed is not None:
        grid = grid[np.random.default_rng(seed).permutation(len(grid))]
    return grid


def validation_targets(n_points: int = 5, screen=(1920, 1080), margin: float = 0.1,
                       seed: int = 0, avoid=None, min_distance: float = 0.08) -> np.ndarray:
    """New targets for validation, away from the calibration targets.

    Uniformly random positions inside the margins, each at least ``min_distance`` (a fraction
    of the screen diagonal) from every point of ``avoid`` and from each other.

    Examples
    --------
    >>> grid = calibration_targets(9, (1920, 1080))
    >>> new = validation_targets(4, (1920, 1080), avoid=grid, seed=1)
    >>> new.shape, bool(np.min(np.hypot(*(new[:, None] - grid[None]).T)) > 0.08 * 2202)
    ((4, 2), True)
    """
    width, height = Screen.coerce(screen).size_px
    rng = np.random.default_rng(seed)
    taken = [] if avoid is None else [np.asarray(p, np.float64) for p in np.asarray(avoid)]
    limit = min_distance * math.hypot(width, height)
    chosen: list[np.ndarray] = []
    for _ in range(10_000):
        if len(chosen) == n_points:
            break
        point = np.array([rng.uniform(margin * width, (1 - margin) * width),
                          rng.uniform(margin * height, (1 - margin) * height)])
        if all(math.hypot(*(point - other)) >= limit for other in taken + chosen):
            chosen.append(point)
    if len(chosen) < n_points:
        raise InputError(f"cannot place {n_points} validation targets {min_distance:.0%} of the "
                         "diagonal apart; ask for fewer or a smaller min_distance")
    return np.array(chosen)


def moving_target_path(duration_s: float = 20.0, rate_hz: float = 30.0, screen=(1920, 1080),
                       margin: float = 0.1, cycles: tuple[float, float] = (3.0, 2.0)
                       ) -> tuple[np.ndarray, np.ndarray]:
    """A smooth moving target (a Lissajous figure) for pursuit calibration.

    Returns ``time`` (s) and ``(n, 2)`` positions in px; the target sweeps the screen less the
    margins ``cycles`` times along x and y.

    Examples
    --------
    >>> t, xy = moving_target_path(10.0, 30.0, (1000, 500))
    >>> len(t), bool(xy[:, 0].min() >= 100 and xy[:, 0].max() <= 900)
    (300, True)
    """
    width, height = Screen.coerce(screen).size_px
    if duration_s <= 0 or rate_hz <= 0:
        raise InputError("duration_s and rate_hz must be positive")
    t = np.arange(int(round(duration_s * rate_hz))) / rate_hz
    phase = 2 * np.pi * t / duration_s
    half_w, half_h = (0.5 - margin) * width, (0.5 - margin) * height
    x = width / 2 + half_w * np.sin(cycles[0] * phase)
    y = height / 2 + half_h * np.sin(cycles[1] * phase + np.pi / 2)
    return t, np.column_stack([x, y])


def target_groups(targets) -> np.ndarray:
    """One integer id per distinct target position (in order of first appearance)."""
    targets = np.asarray(targets, dtype=np.float64)
    _, first, inverse = np.unique(targets, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse.reshape(-1)]


def require_face_coverage(features, targets, min_share: float = 0.8, min_targets: int = 3,
                          source=None) -> int:
    """Refuse calibration frames where too few targets have a face: the number that have one.

    A target counts when at least one of its frames has a usable input (a finite row of
    ``features``); a profile fitted on a few targets extrapolates to the rest of the screen
    without saying so.

    Parameters
    ----------
    features : array_like, shape (n, k)
        The mapper's input per frame (NaN rows: no face).
    targets : array_like, shape (n, 2)
        The target shown at each frame.
    min_share : float
        Smallest share of the targets that must have a face.
    min_targets : int
        Smallest number of targets with a face (3, as the server's calibration asks: fewer
        cannot place a 2-D mapping).
    source : str or Path, optional
        Where the frames come from, for the error.

    Raises
    ------
    InputError
        Fewer than ``min_share`` of the targets, or fewer than ``min_targets``, have a face.

    Examples
    --------
    >>> import numpy as np
    >>> targets = np.repeat(calibration_targets(9, (1920, 1080)), 2, axis=0)
    >>> features = np.ones((18, 3))
    >>> require_face_coverage(features, targets)
    9
    >>> features[:8] = np.nan  # no face on the first four targets
    >>> require_face_coverage(features, targets)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gazelearn.errors.InputError: a face was found on 5 of 9 calibration targets (10 of 18 ...
    """
    features = np.asarray(features, dtype=np.float64).reshape(len(targets), -1)
    groups = target_groups(targets)
    found = np.isfinite(features).all(axis=1)
    n_targets = int(len(np.unique(groups)))
    with_face = int(len(np.unique(groups[found])))
    if with_face < min_targets or with_face < min_share * n_targets:
        raise InputError(f"a face was found on {with_face} of {n_targets} calibration targets "
                         f"({int(found.sum())} of {len(found)} frames); at least "
                         f"{min_share * 100:.0f} % of the targets and {min_targets} targets are "
                         "needed (is the face in view?)", source=source)
    return with_face


def reject_outliers(values, groups=None, threshold: float = 3.5) -> np.ndarray:
    """Boolean mask of the frames to keep, per target, by median absolute deviation.

    Within each group (target) each frame's distance to the group's median vector (values
    scaled by their overall standard deviation) is compared with the median of those
    distances: a frame whose distance exceeds ``threshold`` times the scaled MAD
    (``1.4826 * MAD``, at least 5 % of the overall spread) is dropped. Rows with NaN are
    dropped; groups of fewer than 3 frames are kept whole.

    Parameters
    ----------
    values : array_like, shape (n, k)
        Per-frame features or predictions.
    groups : array_like, optional
        Target id per frame (all one group when None).
    threshold : float
        Robust z-score limit (3.5 as in Iglewicz and Hoaglin 1993).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    groups = np.zeros(len(values)) if groups is None else np.asarray(groups)
    if len(groups) != len(values):
        raise InputError(f"groups has {len(groups)} values for {len(values)} frames")
    keep = np.isfinite(values).all(axis=1)
    if not keep.any():
        return keep
    spread = np.nanstd(values[keep], axis=0)
    spread = np.where(spread > 1e-12, spread, 1.0)
    scaled = values / spread
    for group in np.unique(groups):
        index = np.flatnonzero((groups == group) & keep)
        if len(index) < 3:
            continue
        centre = np.median(scaled[index], axis=0)
        distance = np.linalg.norm(scaled[index] - centre, axis=1)
        mad = 1.4826 * np.median(np.abs(distance - np.median(distance)))
        mad = max(mad, 0.05)
        keep[index] = (distance - np.median(distance)) / mad <= threshold
    return keep


@dataclass
class ValidationReport:
    """Accuracy and precision of a calibration on new targets.

    ``accuracy_*`` are mean Euclidean errors over all validation frames (per-target offsets
    included); ``precision_*`` the mean over targets of the RMS-S2S of the frames on that
    target (NaN with one frame per target). ``*_pct`` are % of the screen in normalised
    coordinates (:func:`gazelearn.metrics.error_pct_normalized`); degrees need a
    :class:`~gazelearn.screen.Screen`.
    """

    n_targets: int
    n_samples: int
    accuracy_px: float
    accuracy_pct: float
    precision_px: float
    precision_pct: float
    accuracy_deg: float | None = None
    precision_deg: float | None = None
    median_px: float = float("nan")

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, values: dict) -> ValidationReport:
        return cls(**{k: (float("nan") if v is None and k not in ("accuracy_deg",
                                                                    "precision_deg") else v)
                      for k, v in values.items()})

    def describe(self) -> str:
        """One line for the CLI."""
        text = (f"accuracy {self.accuracy_px:.1f} px ({self.accuracy_pct:.2f} % of screen)")
        if self.accuracy_deg is not None:
            text += f", {self.accuracy_deg:.2f} deg"
        if math.isfinite(self.precision_px):
            text += f"; precision (RMS-S2S) {self.precision_px:.1f} px"
            if self.precision_deg is not None:
                text += f", {self.precision_deg:.3f} deg"
        return text + f" over {self.n_targets} targets, {self.n_samples} frames"


def validate(predictions, targets, screen, groups=None) -> ValidationReport:
    """Accuracy and precision of ``(n, 2)`` predictions against the ``(n, 2)`` targets shown.

    Frames without a prediction (NaN) are left out.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.repeat([[100.0, 100.0], [500.0, 300.0]], 3, axis=0)
    >>> pred = truth + [[3, 4], [0, 0], [3, 4], [0, 5], [0, 0], [0, 5]]
    >>> report = validate(pred, truth, (1000, 500))
    >>> report.accuracy_px, report.precision_px, report.n_targets
    (3.3333333333333335, 5.0, 2)
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    ok = np.isfinite(predictions).all(axis=1) & np.isfinite(targets).all(axis=1)
    groups = target_groups(targets) if groups is None else np.asarray(groups)
    predictions, targets, groups = predictions[ok], targets[ok], groups[ok]
    if not len(predictions):
        raise InputError("validation has no frame with a gaze prediction (no face found?)")
    screen = Screen.coerce(screen)
    errors = gaze_error(targets, predictions, screen)
    precisions_px, precisions_deg = [], []
    for group in np.unique(groups):
        xy = predictions[groups == group]
        if len(xy) > 1:
            precisions_px.append(rms_s2s(xy))
            if screen.has_geometry:
                precisions_deg.append(rms_s2s(xy, screen))
    precision_px = float(np.mean(precisions_px)) if precisions_px else float("nan")
    return ValidationReport(
        n_targets=int(len(np.unique(groups))), n_samples=int(len(predictions)),
        accuracy_px=errors["px"].mean, accuracy_pct=errors["pct_normalized"].mean,
        precision_px=precision_px,
        # RMS-S2S relative to the screen diagonal, like error_pct_diagonal
        precision_pct=100.0 * precision_px / screen.diagonal_px,
        accuracy_deg=errors["deg"].mean if "deg" in errors else None,
        precision_deg=float(np.mean(precisions_deg)) if precisions_deg else None,
        median_px=errors["px"].median,
    )


@dataclass
class CalibrationProfile:
    """A person's calibration: the fitted gaze mapper, the screen and the validation report.

    ``mapper`` is a :class:`~gazelearn.webcam.mapper.GazeMapper`: a
    :class:`LandmarkGazeRegressor` or a :class:`~gazelearn.webcam.crop_model.CropGazeModel`.
    :meth:`save` writes a small JSON file (screen, validation report, ``meta``: user, date,
    number of targets, outlier threshold, ...) and, beside it, the mapper as a gazelearn model
    file (``NAME.landmarks.safetensors`` or ``NAME.cnn.safetensors``, see
    :mod:`gazelearn.webcam.model_files`), which the JSON names; :meth:`load` reads both, and
    also the version-1 profiles whose JSON held the landmark regressor's arrays.
    """

    mapper: GazeMapper
    screen: Screen
    validation: ValidationReport | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # (width, height) is accepted at this public boundary: a pixel-only screen
        self.screen = Screen.coerce(self.screen)

    @property
    def screen_px(self) -> tuple[int, int]:
        """The screen's resolution ``(width, height)`` in px."""
        return self.screen.size_px

    @property
    def regressor(self) -> GazeMapper:
        """The mapper, by its former name."""
        return self.mapper

    def predict(self, features) -> np.ndarray:
        """Screen px from the mapper's input rows (NaN rows stay NaN)."""
        return self.mapper.predict(features)

    def to_dict(self, path: str | Path) -> dict:
        """The JSON of the profile saved at ``path`` (it names the mapper's model file)."""
        from gazelearn.webcam.model_files import mapper_path

        return {"format": _PROFILE_FORMAT, "version": _PROFILE_VERSION,
                "screen_px": list(self.screen_px),
                "screen": self.screen.to_dict(),
                "validation": None if self.validation is None else self.validation.to_dict(),
                "meta": self.meta,
                "regressor": {"kind": self.mapper.inputs,
                              "model_file": mapper_path(self.mapper, path).name}}

    @classmethod
    def from_dict(cls, state: dict, source: str | Path) -> CalibrationProfile:
        """Rebuild from the JSON of the profile at ``source`` (its mapper file is beside it)."""
        from gazelearn.webcam.model_files import (
            LEGACY_REGRESSOR_FORMAT,
            load_mapper,
            read_legacy_regressor,
        )

        if not isinstance(state, dict) or state.get("format") != _PROFILE_FORMAT:
            raise InputError("not a gazelearn calibration profile", source=source)
        if int(state.get("version", 1)) > _PROFILE_VERSION:
            raise InputError(f"calibration profile version {state.get('version')} is newer "
                             f"than this gazelearn reads ({_PROFILE_VERSION}); upgrade gazelearn",
                             source=source)
        try:
            entry = state["regressor"]
            if entry.get("format") == LEGACY_REGRESSOR_FORMAT:  # version 1: arrays in the JSON
                mapper = read_legacy_regressor(entry, source=source)
            else:
                path = Path(source).with_name(entry["model_file"])
                if not path.is_file():
                    raise InputError(f"the profile's gaze model {path.name} is missing (it is "
                                     "kept next to the profile)", source=source)
                # version-1 CNN profiles kept the crop settings here, not in the model file
                mapper = load_mapper(path, **{k: (tuple(v) if k == "size" else v)
                                              for k, v in entry.items() if k in ("eyes", "size")})
            # profiles that knew only the resolution stored "screen": null beside "screen_px"
            return cls(mapper=mapper,
                       screen=Screen(*(int(v) for v in state["screen_px"]))
                       if state.get("screen") is None else Screen.from_dict(state["screen"]),
                       validation=None if state.get("validation") is None
                       else ValidationReport.from_dict(state["validation"]),
                       meta=dict(state.get("meta") or {}))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InputError(f"broken calibration profile: {error}", source=source) from None

    def save(self, path: str | Path) -> Path:
        """Write the mapper's model file, then the profile's JSON naming it (both atomically)."""
        from gazelearn.webcam.model_files import mapper_path, save_mapper

        path = Path(path)
        state = self.to_dict(path)
        save_mapper(self.mapper, mapper_path(self.mapper, path))  # first: the JSON points to it
        with atomic_write(path, "w") as handle:
            json.dump(state, handle, indent=1)
        return path

    @classmethod
    def load(cls, path: str | Path) -> CalibrationProfile:
        """Read a profile written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise InputError("calibration profile not found", source=path)
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read the calibration profile: {error}",
                             source=path) from None
        return cls.from_dict(state, source=path)


def fit_profile(features, targets, screen, *, validation_features=None,
                validation_targets=None, mapper: GazeMapper | None = None,
                outlier_threshold: float | None = 3.5, meta: dict | None = None
                ) -> CalibrationProfile:
    """Fit a :class:`CalibrationProfile` from calibration frames, validated on new targets.

    Parameters
    ----------
    features : array_like, shape (n, k)
        The mapper's input row per calibration frame
        (:func:`~gazelearn.webcam.mapper.frame_input`; NaN rows: no face).
    targets : array_like, shape (n, 2)
        The target shown at each frame, in px.
    screen : Screen or (int, int)
        The screen (degrees in the report need its size in mm and the viewing distance).
    validation_features, validation_targets : array_like, optional
        Frames on new targets for the validation report.
    mapper : GazeMapper, optional
        Unfitted mapper (a :class:`LandmarkGazeRegressor`, ridge with ``alpha=1``, by default;
        ``gazelearn track --calibrate`` and the browser app pass an
        :class:`~gazelearn.webcam.EyeballGazeMapper`, which gets ``screen`` when it has none);
        it is fitted in place.
    outlier_threshold : float or None
        MAD threshold of :func:`reject_outliers` on the features per target; None keeps all.
        Only landmark features are judged: eye-crop pixels say nothing of that kind, so a
        crops mapper keeps all frames.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> targets = np.repeat(calibration_targets(9, (1920, 1080)), 5, axis=0)
    >>> features = targets / 1000 + rng.normal(0, 1e-3, (45, 2))
    >>> features[7] += 0.5  # a frame where the landmarks slipped
    >>> profile = fit_profile(features, targets, (1920, 1080), validation_features=features[8:],
    ...                       validation_targets=targets[8:])
    >>> profile.validation.accuracy_px < 20, profile.meta["n_frames_used"]
    (True, 44)
    """
    features = np.asarray(features, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if features.ndim != 2 or targets.shape != (len(features), 2):
        raise InputError(f"expected features (n, k) and targets (n, 2), got {features.shape} "
                         f"and {targets.shape}")
    groups = target_groups(targets)
    keep = np.isfinite(features).all(axis=1)
    model = LandmarkGazeRegressor() if mapper is None else mapper
    # outlier frames are judged on landmark features (a blend's: its landmark columns)
    columns = getattr(model, "landmark_columns", None)
    if model.inputs != "landmarks" and columns is None:
        outlier_threshold = None
    if outlier_threshold is not None:
        keep &= reject_outliers(features[:, :columns], groups, outlier_threshold)
    screen = Screen.coerce(screen)
    # a geometric mapper projects onto the screen: it takes the profile's when it has none
    params = model.get_params() if hasattr(model, "get_params") else {}
    if "screen" in params and params["screen"] is None:
        model.set_params(screen=screen.to_dict())
    model.fit(features[keep], targets[keep])
    report = None
    if validation_features is not None and validation_targets is not None:
        report = validate(model.predict(validation_features), validation_targets, screen)
    info = {"created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "n_targets": int(len(np.unique(groups))), "n_frames": int(len(features)),
            "n_frames_used": int(keep.sum()), "outlier_threshold": outlier_threshold}
    info.update(meta or {})
    return CalibrationProfile(model, screen, report, info)
