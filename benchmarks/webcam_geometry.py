"""The eyeball-geometry cells of ``benchmarks/webcam_calibration.py`` (issue 16).

Run through ``webcam_calibration.py`` (which loads the frames, pairs them with ``--frame-lag 1``
and splits pool and test); this module holds

* :func:`calibration_sets`: 5, 9, 13, 16 points x 1 and x 3 frames (nearest pool dots to the
  layouts of :func:`gazelearn.webcam.calibration_targets`), and all 479 pool frames;
* :func:`choose_defaults`: the mapper's defaults chosen **on the pool only**, with contiguous
  folds (the hidden test is later frames): each of 4 contiguous quarters of the pool is held
  out in turn, the calibration frames are picked from the other three, the error is measured
  on the held quarter;
* :func:`geometry_cells`: the test errors of every calibration kind, reported once;
* :func:`latency`: per-frame latency of the mapper and of the whole ``Tracker.step``.

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
    return {"px": e["px"].mean, "pct": e["pct_normalized"].mean, "deg": e["deg"].mean,
            "median_px": e["px"].median, "n": int(ok.sum())}


def mapper(**params):
    from gazelearn.screen import Screen
    from gazelearn.webcam.geometry_mapper import EyeballGazeMapper

    return EyeballGazeMapper(screen=Screen(*SCREEN).to_dict(), **params)


def choose_defaults(rows, targets, pool, folds: int = 4) -> dict:
    """Cross-validated pool error of each candidate setting (contiguous folds, see module)."""
    grid = {"iris_reach_mm": (10.4, 8.0, 6.0, 4.0), "prior_weight": (1.0, 10.0, 100.0)}
    out: dict = {"folds": folds, "by_setting": {}, "second_stage": {}}
    blocks = np.array_split(pool, folds)

    def cv(params, selection, per_point, reference=False):
        from gazelearn.webcam import LandmarkGazeRegressor, calibration_targets

        errs = []
        for held in blocks:
            rest = np.setdiff1d(pool, held)
            chosen = rest if selection == "all" else rest[nearest_frames(
                targets[rest], calibration_targets(selection, SCREEN), per_point)]
            if reference:   # the landmark regressor that was the default (ridge, alpha 1)
                model = LandmarkGazeRegressor().fit(rows[chosen, 8:], targets[chosen])
                pred = model.predict(rows[held, 8:])
            else:
                model = mapper(**params).fit(rows[chosen], targets[chosen])
                pred = model.predict(rows[held])
            errs.append(np.hypot(*(pred - targets[held]).T))
        return float(np.mean(np.concatenate(errs)))

    for reach, prior in itertools.product(grid["iris_reach_mm"], grid["prior_weight"]):
        for kind in KINDS[1:]:
            params = {"iris_reach_mm": reach, "prior_weight": prior, "calibration": kind,
                      "second_stage": "none"}
            key = f"reach{reach}_prior{prior}_{kind}"
            out["by_setting"][key] = {f"k{k}x3": cv(params, k, 3) for k in POINTS}
            out["by_setting"][key]["k9x1"] = cv(params, 9, 1)
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


def geometry_cells(rows, targets, pool, test) -> dict:
    """Test errors of the geometry model (every kind, +ridge) on every calibration set."""
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
        model = mapper(second_stage="ridge").fit(rows[index], y)
        cells["auto+ridge"] = errors(model.predict(rows[test]), targets[test])
        model = mapper().fit(rows[index], y)   # the defaults: what track --calibrate fits
        cells["default"] = {**errors(model.predict(rows[test]), targets[test]),
                            "calibration": model.calibration_,
                            "second_stage": model.second_stage_ is not None}
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
    """Milliseconds per frame: the mapper alone (frame_input + predict) and ``Tracker.step``
    (MediaPipe in video mode + mapper + filter) on the 190 x 190 face crops."""
    from gazelearn.webcam import CalibrationProfile, FaceLandmarker, Tracker

    model = mapper().fit(rows[pool], targets[pool])
    faces = [f for f in faces if f is not None]
    model.predict(model.frame_input(faces[0])[None])
    mapper_ms = []
    for _ in range(repeat):
        for face in faces:
            t0 = time.perf_counter()
            model.predict(model.frame_input(face)[None])
            mapper_ms.append(1000 * (time.perf_counter() - t0))
    step_ms = []
    with FaceLandmarker(static_image_mode=False) as marker:
        tracker = Tracker(CalibrationProfile(model, SCREEN), landmarker=marker)
        tracker.step(0.0, frames[0])
        for i, frame in enumerate(frames):
            t0 = time.perf_counter()
            tracker.step(i / 30.0, frame)
            step_ms.append(1000 * (time.perf_counter() - t0))
    return {"mapper_ms": _summary(mapper_ms), "tracker_step_ms": _summary(step_ms),
            "frames": len(frames), "note": "190 x 190 face crops; the shared 2-core machine"}


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
