#!/usr/bin/env python
"""Against the geometry's per-frame landmark noise (issue 16, step 1): what each candidate does.

Same data, pairing (frame i+1 with dot i), pool (479 pairs) and test (the last 120 pairs) as
``benchmarks/webcam_calibration.py --geometry-only``; every choice by pool cross-validation
(:func:`webcam_error._cv`: 4 contiguous folds, the 5-16-point x 1 / x 3 layouts and all other
folds, held-out blink frames left out as ``track`` loses them); the test is reported once per
kept change (``test``). Candidates:

(a) **test-time augmentation in the landmark stage**: MediaPipe (static image mode) on the
    frame and on its horizontal mirror, landmarks mirrored back with
    :data:`gazelearn.webcam.symmetry.MIRROR_INDEX` and averaged (``FaceLandmarker(mirror=
    True)``); also with a rescaled copy (the frame upscaled to 240 or 480 px first, itself
    and its mirror); and the mirrored calibration with plain live frames (what a tracker that
    cannot afford two passes per frame would see);
(b) **an ensemble** of the eyeball geometry and the landmark regressor (ridge on the 14
    features, alpha 1): fixed weights of the regressor 0.1-0.5, or weights from each model's
    leave-one-out error inside the calibration frames (inverse mean squared error); and the
    geometry's ridge stage on its residuals with a strong penalty (alpha 10-1000) at any size;
(c) **a robust calibration**: refit without the calibration frames whose residual (px, per
    axis) is beyond 2.5 / 3 / 4 scaled median absolute deviations of the first fit.

With ``--latency``: ``Tracker.step`` on one core (video mode, one face) with and without the
mirror pass (:func:`latency`).

Usage::

    .venv/bin/python benchmarks/webcam_noise.py [--latency]    # 2-4 min; landmarks cached

Prints the tables and writes ``benchmarks/results/webcam_noise.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _report import report_header, write_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
import webcam_calibration as wc  # noqa: E402
import webcam_error as we  # noqa: E402
import webcam_geometry as wg  # noqa: E402

DEFAULT_OUTPUT = wc.REPO / "benchmarks" / "results" / "webcam_noise.json"
REGRESSOR_WEIGHTS = (0.1, 0.2, 0.3, 0.5)
STAGE_ALPHAS = (10.0, 100.0, 1000.0)
MAD_LIMITS = (2.5, 3.0, 4.0)


# ---------------------------------------------------------------------------- (a) TTA
def landmark_sets(path: Path, frames: list) -> dict[str, np.ndarray]:
    """Landmark points ``(n, 478, 3)`` (NaN without a face) of each pass and combination."""
    from gazelearn.webcam import FaceLandmarker

    def points(faces):
        return np.array([f.points if f is not None else np.full((478, 3), np.nan)
                         for f in faces])

    plain = points(wc.cached_faces(path, frames, FaceLandmarker))
    mirror = points(wc.cached_faces(path, frames, FaceLandmarker, mirror=True))
    sets = {"plain (default)": plain, "mirror": mirror}
    for side in (240, 480):
        scaled = points(wc.cached_faces(path, frames, FaceLandmarker, min_side=side))
        scaled_mirror = points(wc.cached_faces(path, frames, FaceLandmarker, min_side=side,
                                               mirror=True))
        sets[f"mirror + {side} px copy and its mirror"] = (mirror + scaled_mirror) / 2
        sets[f"mirror + {side} px copy"] = (2 * mirror + scaled) / 3
    return sets


def rows_of(points: np.ndarray, size) -> np.ndarray:
    """The geometry's rows (lag-paired) of landmark points."""
    from gazelearn.webcam import FaceLandmarks

    faces = [FaceLandmarks.from_points(p, size) if np.isfinite(p).all() else None
             for p in points]
    return we._rows(faces)[wc.LAG:]


def tta(sets: dict, size, targets, pool, blink) -> tuple[dict, dict]:
    rows = {name: rows_of(points, size) for name, points in sets.items()}
    out = {name: we._cv(r, targets, pool, blink) for name, r in rows.items()}
    plain, mirror = rows["plain (default)"], rows["mirror"]
    out["mirrored calibration, plain live frames"] = _cross(mirror, plain, targets, pool, blink)
    return out, rows


def _cross(fit_rows, live_rows, targets, pool, blink) -> dict:
    """Pool CV (as :func:`webcam_error._cv_of`) of the mapper fitted on ``fit_rows`` and
    predicting from ``live_rows`` of the same frames."""
    def fit_predict(chosen, held):
        pred = wg.mapper().fit(fit_rows[chosen], targets[chosen]).predict(live_rows[held])
        pred[blink[held]] = np.nan
        return pred

    cells = {f"k{k}x{per}": we._px(wg.pool_cv(fit_rows, targets, pool, fit_predict, k, per))
             for k, per in (*wg.CHOICE_CELLS, ("all", 1))}
    cells["mean_of_choice_cells"] = float(np.mean([cells[f"k{k}x{p}"]
                                                   for k, p in wg.CHOICE_CELLS]))
    return cells


# ---------------------------------------------------------------------------- (b) ensemble
class Ensemble:
    """The geometry and the landmark regressor, averaged with the regressor's ``weight``
    (``None``: from each model's leave-one-out error inside the calibration frames)."""

    def __init__(self, weight: float | None):
        self.weight = weight

    def fit(self, rows, targets):
        from gazelearn.webcam import LandmarkGazeRegressor

        ok = np.isfinite(rows).all(axis=1)
        rows, targets = rows[ok], targets[ok]
        self.geometry_ = wg.mapper().fit(rows, targets)
        self.regressor_ = LandmarkGazeRegressor().fit(rows[:, 8:], targets)
        self.weight_ = self.weight
        if self.weight is None:
            errors = np.zeros(2)
            for i in range(len(rows)):
                rest = np.arange(len(rows)) != i
                g = wg.mapper().fit(rows[rest], targets[rest]).predict(rows[i:i + 1])
                r = LandmarkGazeRegressor().fit(rows[rest, 8:], targets[rest]).predict(
                    rows[i:i + 1, 8:])
                errors += [np.sum((g - targets[i]) ** 2), np.sum((r - targets[i]) ** 2)]
            inverse = 1 / np.maximum(errors, 1e-9)
            self.weight_ = float(inverse[1] / inverse.sum())
        return self

    def predict(self, rows):
        out = np.full((len(rows), 2), np.nan)
        ok = np.isfinite(rows).all(axis=1)
        out[ok] = ((1 - self.weight_) * self.geometry_.predict(rows[ok])
                   + self.weight_ * self.regressor_.predict(rows[ok, 8:]))
        return out


def ensembles(rows, targets, pool, blink) -> dict:
    out = {}
    for weight in REGRESSOR_WEIGHTS:
        out[f"regressor weight {weight:g}"] = we._cv_of(
            lambda chosen, w=weight: Ensemble(w).fit(rows[chosen], targets[chosen]),
            rows, targets, pool, blink)
    out["weights from leave-one-out inside the calibration"] = we._cv_of(
        lambda chosen: Ensemble(None).fit(rows[chosen], targets[chosen]), rows, targets, pool,
        blink, cells=wg.CHOICE_CELLS)
    for alpha in STAGE_ALPHAS:
        out[f"ridge stage on the residuals at any size, alpha {alpha:g}"] = we._cv(
            rows, targets, pool, blink, second_stage="ridge", alpha=alpha)
    return out


# ---------------------------------------------------------------------------- (c) robust fit
class MadRefit:
    """The default mapper refitted without calibration frames whose residual on either axis is
    beyond ``limit`` scaled MADs (1.4826 x median absolute deviation) of the first fit."""

    def __init__(self, limit: float):
        self.limit = limit

    def fit(self, rows, targets):
        ok = np.isfinite(rows).all(axis=1)
        rows, targets = rows[ok], targets[ok]
        first = wg.mapper().fit(rows, targets)
        residual = first.predict(rows) - targets
        centre = np.median(residual, axis=0)
        mad = 1.4826 * np.median(np.abs(residual - centre), axis=0)
        keep = (np.abs(residual - centre) <= self.limit * np.maximum(mad, 1e-9)).all(axis=1)
        self.dropped_ = int((~keep).sum())
        self.model_ = wg.mapper().fit(rows[keep], targets[keep]) if keep.sum() >= 5 else first
        return self

    def predict(self, rows):
        return self.model_.predict(rows)


def robust(rows, targets, pool, blink) -> dict:
    return {f"refit without frames beyond {limit:g} MAD": we._cv_of(
        lambda chosen, lim=limit: MadRefit(lim).fit(rows[chosen], targets[chosen]),
        rows, targets, pool, blink) for limit in MAD_LIMITS}


# ---------------------------------------------------------------------------- test, latency
def test_cells(cases: dict, targets, pool, test) -> dict:
    """Test errors (px, % of screen, deg) of the mapper with ``params`` on each kind of rows
    (``cases``: name -> (rows, params))."""
    out = {}
    sets = wg.calibration_sets(targets[pool])
    for name, (rows, params) in cases.items():
        out[name] = {cell: wg.errors(wg.mapper(**params).fit(rows[pool[index]],
                                                             targets[pool[index]])
                                     .predict(rows[test]), targets[test])
                     for cell, index in sets.items()}
    return out


def latency(frames, rows, targets, pool) -> dict:
    """``Tracker.step`` ms per frame on one core, video mode, one face, with and without the
    mirror pass (the tracker's landmarker as ``Tracker(mirror=...)`` builds it)."""
    import os

    from gazelearn.webcam import CalibrationProfile, FaceLandmarker, Tracker

    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    load = os.getloadavg()
    out = {}
    try:
        profile = CalibrationProfile(wg.mapper().fit(rows[pool], targets[pool]), wg.SCREEN)
        for mirror in (False, True):
            ms = []
            with FaceLandmarker(static_image_mode=False, max_num_faces=1, mirror=mirror) as lm, \
                    Tracker(profile, landmarker=lm) as tracker:
                tracker.step(0.0, frames[0])
                for i, frame in enumerate(frames):
                    t0 = time.perf_counter()
                    tracker.step(i / 30.0, frame)
                    ms.append(1000 * (time.perf_counter() - t0))
            out["mirror" if mirror else "plain"] = wg._summary(ms)
    finally:
        os.sched_setaffinity(0, cpus)
    out["load_average_before"], out["load_average_after"] = list(load), list(os.getloadavg())
    return out


def report(result: dict) -> str:
    lines = []
    for part in ("tta", "ensemble_plain", "robust_plain", "ensemble_mirror", "robust_mirror"):
        for key, cells in result[part].items():
            lines.append(f"{part:15s} {key:58s} " + " ".join(
                f"{c}={v:.1f}" for c, v in cells.items() if isinstance(v, float)))
    for name, cells in result.get("test", {}).items():
        lines.append(f"test {name:30s} " + " ".join(
            f"{c}={v['px']:.0f}/{v['pct']:.1f}%" for c, v in cells.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=wc.DEFAULT_DATA, help="eye_data.csv")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--latency", action="store_true", help="also Tracker.step's latency")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: data not found: {args.data}", file=sys.stderr)
        return 1

    started = time.perf_counter()
    data = wc.load_webcam(args.data, mirror=False)
    targets, frames = data["targets"], data["all_frames"]
    pool, test = wc.pool_and_test(data)
    blink = wc.blink_flags(data)
    size = frames[0].shape[1::-1]
    result: dict = {}
    result["tta"], rows = tta(landmark_sets(args.data, frames), size, targets, pool, blink)
    plain, mirror = rows["plain (default)"], rows["mirror"]
    for name, r in (("plain", plain), ("mirror", mirror)):
        result[f"ensemble_{name}"] = ensembles(r, targets, pool, blink)
        result[f"robust_{name}"] = robust(r, targets, pool, blink)
    # the test once, for the change kept (the mirror); (b) and (c) changed no default
    result["test"] = test_cells({"plain": (plain, {}), "mirror": (mirror, {})}, targets, pool,
                                test)
    if args.latency:
        result["latency"] = latency(data["images"], plain, targets, pool)
    output = {
        **report_header(__file__, argv),
        "protocol": "as webcam_error.py: frame i+1 with dot i, pool = pairs 0..478, test = the "
                    "last 120 pairs; pool CV: 4 contiguous folds, held-out blink frames left "
                    "out; (b) and (c) on the plain and on the mirrored rows",
        **result, "seconds": time.perf_counter() - started}
    write_report(args.output, output, indent=1)
    print(report(result))
    if args.latency:
        print("Tracker.step ms (median / p95): " + ", ".join(
            f"{k} {v['median']:.1f} / {v['p95']:.1f}" for k, v in result["latency"].items()
            if isinstance(v, dict)))
    print(f"\n{output['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
