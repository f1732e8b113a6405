"""The eyeball-geometry cells of ``benchmarks/webcam_calibration.py`` (issue 16).

Run through ``webcam_calibration.py`` (which loads the frames, pairs them with ``--frame-lag 1``
and splits pool and test); this module holds

* :func:`calibration_sets`: 5, 9, 13, 16 points x 1 and x 3 frames (nearest pool dots to the
  layouts of :func:`gazelearn.webcam.calibration_targets`), and all 479 pool frames;
* :func:`choose_defaults`: the mapper's defaults chosen **on the pool only**, with contiguous
  folds (the hidden test is later frames): each of 4 contiguous quarters of the pool is held
  out in turn, the calibration frames are picked from the other three, the error is measured
  on the held quarter;
* :func:`cue_cells`: pool cross-validation (the same folds) of the vertical cues tried for
  the eyelid term (upper lid from the features = the default, the upper lid's mid points in
  head coordinates, the lid aperture, the iris relative to the lid, the lower lid, the face's
  height in the crop), of per-eye models combined by their calibration residuals, and of
  landmarks from frames upscaled before MediaPipe;
* :func:`geometry_cells`: the test errors of every calibration kind, reported once;
* :func:`latency`: per-frame latency of the mapper and of the whole ``Tracker.step``, on one
  core, and what MediaPipe's options cost (:func:`mediapipe_options`).

Errors are in px, % of screen and degrees; degrees assume a 15.6-inch 1920 x 1080 laptop panel
(344 x 194 mm) at 600 mm, because the data set does not say (the mapper's own defaults).
"""

from __future__ import annotations

import itertools
import time

import numpy as np

SCREEN = (1920, 1080)
#: the assumed physical screen of the degrees (and of the geometry's defaults)
SCREEN_MM = (344.0, 194.0, 600.0)
POINTS = (5, 9, 13, 16)
KINDS = ("none", "offset", "scale", "eye_head", "affine")
#: the pool cells that choose the eyelid settings (mean over them; 9 x 3 is the goal's)
CHOICE_CELLS = ((5, 1), (9, 1), (13, 1), (16, 1), (5, 3), (9, 3), (13, 3), (16, 3))


def nearest_frames(pool_targets, layout: np.ndarray, per_point: int = 1) -> np.ndarray:
    """Indices of the pool frames nearest each layout point, each frame used once.

    Greedy in the order of distance, not of the layout: the closest (point, frame) pair is
    settled first, so a point never takes a frame nearer another point still waiting for it;
    every point is served ``per_point`` times. NaN targets (no face) are never chosen.
    """
    targets = np.asarray(pool_targets, dtype=np.float64)
    grid = np.repeat(layout, per_point, axis=0)
    distance = np.hypot(*(targets[None, :, :] - grid[:, None, :]).transpose(2, 0, 1))
    distance[:, ~np.isfinite(targets).all(axis=1)] = np.inf
    chosen = np.full(len(grid), -1)
    for _ in range(len(grid)):
        point, frame = np.unravel_index(np.argmin(distance), distance.shape)
        chosen[point] = frame
        distance[point, :] = np.inf     # this point is served
        distance[:, frame] = np.inf     # and this frame is used
    return chosen


def calibration_sets(pool_targets) -> dict[str, np.ndarray]:
    """``{"k5x1": idx, "k5x3": idx, ..., "all": idx}``: indices into ``pool_targets``.

    Each frame keeps its own dot as its target (the file's truth; the dots are tens of px from
    the layout points, ``dots_from_layout_px``), so every frame is its own point here and the
    mapper's median per point is not exercised by this file (it has no repeated dots).
    """
    from gazelearn.webcam import calibration_targets

    sets = {}
    for k, per in itertools.product(POINTS, (1, 3)):
        sets[f"k{k}x{per}"] = nearest_frames(pool_targets, calibration_targets(k, SCREEN), per)
    sets["all"] = np.flatnonzero(np.isfinite(pool_targets).all(axis=1))
    return sets


def errors(pred, true) -> dict:
    """Mean (and median) Euclidean error in px, % of screen and degrees."""
    from gazelearn.metrics import gaze_error
    from gazelearn.screen import Screen

    ok = np.isfinite(pred).all(axis=1)
    e = gaze_error(np.asarray(true)[ok], np.asarray(pred)[ok], Screen(*SCREEN, *SCREEN_MM))
    delta = np.abs(np.asarray(pred)[ok] - np.asarray(true)[ok])
    return {"px": e["px"].mean, "pct": e["pct_normalized"].mean, "deg": e["deg"].mean,
            "median_px": e["px"].median, "x_px": float(delta[:, 0].mean()),
            "y_px": float(delta[:, 1].mean()), "n": int(ok.sum())}


def mapper(**params):
    from gazelearn.screen import Screen
    from gazelearn.webcam.geometry_mapper import EyeballGazeMapper

    return EyeballGazeMapper(screen=Screen(*SCREEN).to_dict(), **params)


def pool_cv(rows, targets, pool, fit_predict, selection, per_point: int = 1,
            folds: int = 4) -> np.ndarray:
    """Pool errors ``(n, 2)`` (px, prediction - target) of ``fit_predict(chosen, held)``.

    Each of ``folds`` contiguous blocks of the pool is held out in turn; the calibration
    frames are the ``selection``-point layout's nearest frames among the other blocks
    (``per_point`` each), or all of them (``selection="all"``).
    """
    from gazelearn.webcam import calibration_targets

    errs = []
    for held in np.array_split(pool, folds):
        rest = np.setdiff1d(pool, held)
        chosen = rest if selection == "all" else rest[nearest_frames(
            targets[rest], calibration_targets(selection, SCREEN), per_point)]
        errs.append(fit_predict(chosen, held) - targets[held])
    return np.concatenate(errs)


def _mapper_fit_predict(rows, targets, **params):
    def fit_predict(chosen, held):
        return mapper(**params).fit(rows[chosen], targets[chosen]).predict(rows[held])
    return fit_predict


def _pool_summary(err: np.ndarray) -> dict:
    return {"px": float(np.hypot(*err.T).mean()), "x_px": float(np.abs(err[:, 0]).mean()),
            "y_px": float(np.abs(err[:, 1]).mean())}


def choose_defaults(rows, targets, pool, folds: int = 4) -> dict:
    """Cross-validated pool error of each candidate setting (contiguous folds, see module)."""
    grid = {"iris_reach_mm": (10.4, 8.0, 6.0, 4.0),
            "prior_weight": (1.0, 10.0, 100.0, 300.0, 1000.0)}
    out: dict = {"folds": folds, "by_setting": {}, "second_stage": {}}

    def cv(params, selection, per_point, reference=False):
        from gazelearn.webcam import LandmarkGazeRegressor

        if reference:   # the landmark regressor that was the default (ridge, alpha 1)
            def fit_predict(chosen, held):
                model = LandmarkGazeRegressor().fit(rows[chosen, 8:], targets[chosen])
                return model.predict(rows[held, 8:])
        else:
            fit_predict = _mapper_fit_predict(rows, targets, **params)
        err = pool_cv(rows, targets, pool, fit_predict, selection, per_point, folds)
        return float(np.hypot(*err.T).mean())

    for reach, prior in itertools.product(grid["iris_reach_mm"], grid["prior_weight"]):
        for kind in KINDS[1:]:
            params = {"iris_reach_mm": reach, "prior_weight": prior, "calibration": kind,
                      "second_stage": "none"}
            key = f"reach{reach}_prior{prior}_{kind}"
            out["by_setting"][key] = {f"k{k}x3": cv(params, k, 3) for k in POINTS}
            out["by_setting"][key]["k9x1"] = cv(params, 9, 1)
    # the eyelid term (eye_head): off, or on with its gains' penalty; with the gain penalty
    out["eyelid"] = {}
    for prior in (100.0, 300.0, 1000.0):
        for lid in (None, 1.0, 10.0, 100.0, 1000.0):
            params = {"prior_weight": prior, "second_stage": "none", "eyelid": lid is not None,
                      **({} if lid is None else {"eyelid_prior_weight": lid})}
            key = f"prior{prior}_" + ("no_eyelid" if lid is None else f"eyelid_prior{lid}")
            cells = {f"k{k}x{per}": cv(params, k, per) for k, per in CHOICE_CELLS}
            cells["k_all"] = cv(params, "all", 1)
            cells["mean_of_choice_cells"] = float(np.mean(
                [cells[f"k{k}x{per}"] for k, per in CHOICE_CELLS]))
            out["eyelid"][key] = cells
    out["eyelid_best"] = min(out["eyelid"],
                             key=lambda k: out["eyelid"][k]["mean_of_choice_cells"])
    # the second stage: with how many frames does a ridge on the residuals help?
    for stage, (k, per) in itertools.product(("none", "ridge"), ((9, 3), (13, 3), (16, 3),
                                                                  ("all", 1))):
        params = {"second_stage": stage}
        out["second_stage"][f"{stage}_k{k}x{per}"] = cv(params, k, per)
    out["reference_ridge_alpha1"] = {f"k{k}x{per}": cv({}, k, per, reference=True)
                                     for k, per in ((9, 1), (5, 3), (9, 3), (13, 3), (16, 3),
                                                    ("all", 1))}
    out["defaults"] = {f"k{k}x{per}": cv({}, k, per) for k, per in
                       ((9, 1), (5, 3), (9, 3), (13, 3), (16, 3), ("all", 1))}
    return out


#: MediaPipe's three middle points of each upper lid (right eye, left eye)
UPPER_LID_MIDDLE = ((160, 159, 158), (387, 386, 385))
LOWER_LID_MIDDLE = ((144, 145, 153), (373, 374, 380))


def _cue_mapper_class(n_extra: int = 2):
    """The mapper with its eyelid term reading ``n_extra`` extra columns (cues tried in its
    place; each gets its own vertical gain)."""
    from gazelearn.webcam.geometry_mapper import EyeballGazeMapper

    class CueMapper(EyeballGazeMapper):
        input_size = EyeballGazeMapper.input_size + n_extra

        def _lid_raw(self, X):
            return X[:, EyeballGazeMapper.input_size:]

    return CueMapper


def iris_darkness(frames, faces, percentile: float = 20.0) -> np.ndarray:
    """Each eye's darkness centroid in its normalised grey eye crop (``eye_crop``: corners
    level, 70 % of the 64 px width apart), ``(n, 4)``: y right, y left, x right, x left, in
    corner distances from the crop's centre. Pixels darker than the crop's ``percentile`` are
    weighted by how much darker: the iris and pupil, a pixel estimate of the iris's position
    beside MediaPipe's iris point."""
    from gazelearn.webcam import eye_crop

    out = np.full((len(faces), 4), np.nan)
    for i, (face, frame) in enumerate(zip(faces, frames, strict=True)):
        if face is None:
            continue
        for e, eye in enumerate(("right", "left")):
            crop = eye_crop(frame, face, eye, gray=True).astype(np.float64)
            weight = np.clip(np.percentile(crop, percentile) - crop, 0.0, None)
            total = weight.sum()
            if total <= 0:
                continue
            # crop_transform puts the corners' midpoint at (width / 2, height / 2)
            ys = np.arange(crop.shape[0]) - crop.shape[0] / 2
            xs = np.arange(crop.shape[1]) - crop.shape[1] / 2
            corner_px = 0.7 * crop.shape[1]
            out[i, e] = weight.sum(axis=1) @ ys / total / corner_px
            out[i, 2 + e] = weight.sum(axis=0) @ xs / total / corner_px
    return out


def cue_columns(rows, faces) -> dict[str, np.ndarray]:
    """Vertical cues of each eye, ``(n, 2)`` (right, left), in eye widths (corner distances).

    ``upper_lid``: the default (:func:`gazelearn.webcam.features.upper_lid_heights`, 2-D, the
    lid's mid point from the corner line); ``upper_lid_head``: the mean of the lid's three
    middle points in head coordinates (MediaPipe's 3-D mesh), from the corners' midpoint;
    ``aperture``: the lids' opening; ``iris_below_lid``: the iris centre below the upper lid;
    ``lower_lid``: the lower lid's mid point; ``face_y``: the eyes' height in the frame.
    """
    from gazelearn.webcam.features import upper_lid_heights
    from gazelearn.webcam.headpose import face_axes
    from gazelearn.webcam.landmarks import EYES

    f = rows[:, 8:]
    eyes = f[:, :8].reshape(-1, 2, 4)           # u, v, h, open per eye
    out = {"upper_lid": upper_lid_heights(np.nan_to_num(f)),
           "aperture": eyes[:, :, 3], "iris_below_lid": eyes[:, :, 1] * eyes[:, :, 3],
           "lower_lid": eyes[:, :, 2] + (1 - eyes[:, :, 1]) * eyes[:, :, 3],
           "face_y": np.repeat(f[:, 10:11], 2, axis=1)}
    head = np.full((len(rows), 2), np.nan)
    for i, face in enumerate(faces):
        if face is None:
            continue
        points, axes = face.points, face_axes(face.points)
        for e, name in enumerate(("right", "left")):
            corners = points[[EYES[name].outer, EYES[name].inner]]
            width = np.linalg.norm(corners[0] - corners[1])
            lid = points[list(UPPER_LID_MIDDLE[e])].mean(axis=0) - corners.mean(axis=0)
            head[i, e] = (axes.T @ lid)[1] / width
    out["upper_lid_head"] = head
    out["upper_lid"][~np.isfinite(rows).all(axis=1)] = np.nan
    return out


def _one_eye_rows(rows, eye: int) -> np.ndarray:
    """Rows whose both eyes are ``eye`` (0 right, 1 left): the geometry of that eye alone."""
    one = np.array(rows, dtype=np.float64)
    one[:, 4 - 4 * eye:8 - 4 * eye] = rows[:, 4 * eye:4 * eye + 4]
    one[:, 12 - 4 * eye:16 - 4 * eye] = rows[:, 8 + 4 * eye:12 + 4 * eye]
    return one


def _per_eye_fit_predict(rows, targets, combine: str):
    """Each eye's own mapper; predictions averaged (``mean``) or weighted per axis by the
    inverse of each eye's leave-one-out calibration error (``residuals``)."""
    per_eye = [_one_eye_rows(rows, e) for e in range(2)]

    def fit_predict(chosen, held):
        preds, weights = [], []
        for one in per_eye:
            preds.append(mapper(second_stage="none").fit(one[chosen], targets[chosen])
                         .predict(one[held]))
            if combine == "residuals":
                loo = [mapper(second_stage="none").fit(one[np.delete(chosen, j)],
                                                       targets[np.delete(chosen, j)])
                       .predict(one[chosen[j:j + 1]])[0] - targets[chosen[j]]
                       for j in range(len(chosen))]
                weights.append(1.0 / np.mean(np.square(loo), axis=0))
            else:
                weights.append(np.ones(2))
        weights = np.array(weights) / np.sum(weights, axis=0)
        return preds[0] * weights[0] + preds[1] * weights[1]
    return fit_predict


def cue_cells(rows, targets, pool, faces, frames=None, upscaled_rows=None,
              folds: int = 4) -> dict:
    """Pool cross-validation (:func:`pool_cv`) of the vertical cues and per-eye models tried
    (the defaults otherwise); px and the mean absolute x and y errors. With ``frames``, the
    iris darkness centroid (:func:`iris_darkness`) in place of the lids and beside them."""
    cells = ((5, 1), (9, 1), (13, 1), (16, 1), (5, 3), (9, 3), (13, 3), (16, 3), ("all", 1))

    def run(fit_predict, which=cells):
        out = {f"k{k}x{per}": _pool_summary(pool_cv(rows, targets, pool, fit_predict, k, per,
                                                    folds)) for k, per in which}
        chosen = [out[f"k{k}x{per}"]["px"] for k, per in CHOICE_CELLS if f"k{k}x{per}" in out]
        if len(chosen) == len(CHOICE_CELLS):
            out["mean_of_choice_cells"] = float(np.mean(chosen))
        return out

    def with_columns(cue):
        extended = np.column_stack([rows, cue])
        CueMapper = _cue_mapper_class(cue.shape[1])

        def fit_predict(chosen, held):
            model = CueMapper(screen=mapper().screen, second_stage="none")
            return model.fit(extended[chosen], targets[chosen]).predict(extended[held])
        return fit_predict

    out: dict = {"folds": folds, "default": run(_mapper_fit_predict(rows, targets)),
                 "no_eyelid": run(_mapper_fit_predict(rows, targets, eyelid=False))}
    columns = cue_columns(rows, faces)
    for name, cue in columns.items():
        out[f"cue_{name}"] = run(with_columns(cue))
    if frames is not None:
        for percentile in (5.0, 10.0, 20.0, 35.0):
            dark = iris_darkness(frames, faces, percentile)
            out[f"cue_iris_darkness_p{percentile:g}"] = run(with_columns(dark[:, :2]))
            out[f"cue_upper_lid+iris_darkness_p{percentile:g}"] = run(with_columns(
                np.column_stack([columns["upper_lid"], dark[:, :2]])))
    small = ((5, 3), (9, 3), (16, 3))
    for combine in ("mean", "residuals"):
        out[f"per_eye_{combine}"] = run(_per_eye_fit_predict(rows, targets, combine), small)
    if upscaled_rows is not None:   # MediaPipe on frames upscaled to 480 px (min_side)
        def fit_predict(chosen, held):
            return mapper().fit(upscaled_rows[chosen], targets[chosen]).predict(
                upscaled_rows[held])
        usable = pool[np.isfinite(upscaled_rows[pool]).all(axis=1)]
        out["landmarks_upscaled_480"] = {
            f"k{k}x{per}": _pool_summary(pool_cv(upscaled_rows, targets, usable, fit_predict,
                                                 k, per, folds)) for k, per in cells}
    return out


def geometry_cells(rows, targets, pool, test, mirror_rows=None) -> dict:
    """Test errors of the geometry model (every kind, +ridge) on every calibration set; with
    ``mirror_rows`` (the rows of ``track --tta``'s mirrored landmarks) the defaults on them
    too (``default_tta``)."""
    sets = calibration_sets(targets[pool])
    from gazelearn.webcam import calibration_targets

    out: dict = {}
    for name, chosen in sets.items():
        index = pool[chosen]
        y = targets[index]
        cells = {}
        for kind in KINDS:
            model = mapper(calibration=kind, second_stage="none").fit(rows[index], y)
            cells[kind] = errors(model.predict(rows[test]), targets[test])
        model = mapper(calibration="eye_head", second_stage="none", eyelid=False,
                       prior_weight=100.0).fit(rows[index], y)
        # the geometry of e5e70de (its eye_head row): no eyelid term, gain penalty 100
        cells["eye_head_no_eyelid_prior100"] = errors(model.predict(rows[test]), targets[test])
        model = mapper(second_stage="ridge").fit(rows[index], y)
        cells["auto+ridge"] = errors(model.predict(rows[test]), targets[test])
        model = mapper().fit(rows[index], y)   # the defaults: what track --calibrate fits
        cells["default"] = {**errors(model.predict(rows[test]), targets[test]),
                            "calibration": model.calibration_,
                            "second_stage": model.second_stage_ is not None}
        if mirror_rows is not None:
            model = mapper().fit(mirror_rows[index], y)
            cells["default_tta"] = errors(model.predict(mirror_rows[test]), targets[test])
        out[name] = cells
        if name != "all":
            k = int(name[1:].split("x")[0])
            grid = np.repeat(calibration_targets(k, SCREEN), int(name.split("x")[1]), axis=0)
            out[name]["dots_from_layout_px"] = float(np.hypot(*(y - grid).T).mean())
    return out


def drift_check(rows, targets, pool, test) -> dict:
    """The one-point drift check: a 9 x 3 calibration, then the test frames shifted by a known
    head-set-up change (their kappa offset + 2 deg horizontally, - 2 deg vertically, as
    after the laptop lid moved), corrected from 3 test frames nearest the screen centre."""
    sets = calibration_sets(targets[pool])
    index = pool[sets["k9x3"]]
    model = mapper().fit(rows[index], targets[index])
    before = errors(model.predict(rows[test]), targets[test])
    shifted = mapper().fit(rows[index], targets[index])
    shifted.offset_ = shifted.offset_ + [2.0, -2.0]
    moved = errors(shifted.predict(rows[test]), targets[test])
    centre = test[np.argsort(np.hypot(*(targets[test] - np.array(SCREEN) / 2).T))[:3]]
    change = shifted.recalibrate_offset(rows[centre], targets[centre])
    rest = np.setdiff1d(test, centre)
    after = errors(shifted.predict(rows[rest]), targets[rest])
    return {"calibrated": before, "after_drift_of_2_deg": moved,
            "after_one_point_recalibration": after, "offset_change_deg": change.tolist(),
            "recalibration_frames": centre.tolist()}


def latency(faces, frames, rows, targets, pool, repeat: int = 3) -> dict:
    """Milliseconds per frame on one core (the process pinned to one CPU): the mapper alone
    (frame_input + predict) and ``Tracker.step`` (MediaPipe in video mode + mapper + filter)
    on the 190 x 190 face crops, with the tracker's own landmarker (one face) and with one
    looking for 3 faces; then :func:`mediapipe_options`. The load average is
    recorded before and after: the machine is shared."""
    import os

    from gazelearn.webcam import CalibrationProfile, FaceLandmarker, Tracker

    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    load_before = os.getloadavg()
    try:
        model = mapper().fit(rows[pool], targets[pool])
        faces = [f for f in faces if f is not None]
        model.predict(model.frame_input(faces[0])[None])
        mapper_ms = []
        for _ in range(repeat):
            for face in faces:
                t0 = time.perf_counter()
                model.predict(model.frame_input(face)[None])
                mapper_ms.append(1000 * (time.perf_counter() - t0))
        def steps(landmarker):
            ms = []
            with Tracker(CalibrationProfile(model, SCREEN), landmarker=landmarker) as tracker:
                tracker.step(0.0, frames[0])
                for i, frame in enumerate(frames):
                    t0 = time.perf_counter()
                    tracker.step(i / 30.0, frame)
                    ms.append(1000 * (time.perf_counter() - t0))
            return _summary(ms)

        step_ms = steps(None)   # the tracker's own landmarker: video mode, one face
        with FaceLandmarker(static_image_mode=False, max_num_faces=3) as marker:
            step_three = steps(marker)   # what the tracker used before (and the server uses)
        options = mediapipe_options(frames)
    finally:
        os.sched_setaffinity(0, cpus)
    return {"mapper_ms": _summary(mapper_ms), "tracker_step_ms": step_ms,
            "tracker_step_ms_max_num_faces_3": step_three, "mediapipe_options": options,
            "frames": len(frames), "cpus": 1,
            "load_average_before": list(load_before), "load_average_after":
            list(os.getloadavg()),
            "note": "190 x 190 face crops; one CPU of the shared 2-core machine"}


def mediapipe_options(frames, n: int = 300) -> dict:
    """Milliseconds per frame of MediaPipe Face Mesh alone under its options, on ``n`` frames:
    the 190 x 190 crops and the same crops pasted into a grey 640 x 480 frame (a webcam's
    size), in image mode (detector every frame) or video mode (tracking), with and without
    the iris refinement (``refine_landmarks``: the 10 iris points the geometry needs), and the
    640 x 480 frame halved to 320 x 240 before MediaPipe."""
    import cv2
    from mediapipe.python.solutions import face_mesh

    crops = [np.ascontiguousarray(f) for f in frames[:n]]
    big = []
    for crop in crops:
        canvas = np.full((480, 640, 3), 128, np.uint8)
        h, w = crop.shape[:2]
        canvas[145:145 + h, 225:225 + w] = crop
        big.append(canvas)
    out = {}
    for (size, images), static, refine in itertools.product(
            (("190", crops), ("640x480", big), ("640x480_to_320x240", big)),
            (False, True), (True, False)):
        with face_mesh.FaceMesh(static_image_mode=static, max_num_faces=1,
                                refine_landmarks=refine) as mesh:
            def prepare(image, size=size):   # the resize is part of the cost
                return (cv2.resize(image, (320, 240), interpolation=cv2.INTER_AREA)
                        if size == "640x480_to_320x240" else image)
            mesh.process(prepare(images[0]))
            ms, found = [], 0
            for image in images:
                t0 = time.perf_counter()
                found += mesh.process(prepare(image)).multi_face_landmarks is not None
                ms.append(1000 * (time.perf_counter() - t0))
        key = f"{size}_{'image' if static else 'video'}_{'iris' if refine else 'no_iris'}"
        out[key] = {**_summary(ms), "faces_found": found}
    return out


def _summary(values) -> dict:
    values = np.asarray(values)
    return {"mean": float(values.mean()), "median": float(np.median(values)),
            "p95": float(np.percentile(values, 95)), "n": int(len(values))}


def table(cells: dict) -> str:
    names = list(cells)
    methods = [m for m in cells["all"] if isinstance(cells["all"][m], dict)]
    lines = [f"{'geometry':14s} " + " ".join(f"{n:>20s}" for n in names)]
    for method in methods:
        lines.append(f"{method:14s} " + " ".join(
            f"{cells[n][method]['px']:6.0f} px {cells[n][method]['pct']:5.1f} %"
            f" {cells[n][method]['deg']:4.1f}d".rjust(20) for n in names))
    return "\n".join(lines)
