#!/usr/bin/env python
"""What is left of the eyeball geometry's error, and what was tried against it (issue 16).

Same data, pairing, pool (479 pairs) and test (the last 120 pairs) as
``benchmarks/webcam_calibration.py --geometry-only`` (its :func:`load_webcam`, MediaPipe's
landmarks cached in ``/tmp``). Four parts:

1. **Breakdown** of the default mapper's test error after the 9 x 3 calibration and with all
   479 pool frames: per axis, the constant bias (the mean error vector: a drift between the
   calibration and the test, which the one-point drift check removes in use) against what
   varies from frame to frame, the slope of the targets on the predictions (gain), the frames
   MediaPipe calls blinks, the worst frames; on the pool, how much of the error is shared by
   frames of nearby dots (a smooth bias over the screen) and how much is each frame's own
   (noise), and whether a frame's gaze leans toward the previous dot (a frame taken during the
   saccade).
2. **Smoothing as ``gazelearn track`` runs it** (:class:`gazelearn.webcam.Tracker`, its
   default One Euro filter with the fixation-aware reset at 150 px, blinks lost) over the test
   frames as a time series, stamped 1 s apart as recorded and 33 ms apart, beside no filter, the
   filter without the reset and the Kalman filter.
3. **Robust calibration**: calibration frames whose lids are less open than a share of the
   calibration's median left out (``EyeballGazeMapper(min_open_ratio=...)``), chosen by pool
   cross-validation (:func:`webcam_geometry.pool_cv`'s 4 contiguous folds; held-out frames
   scored as ``track`` scores them, blinks lost).
4. **Image cues of the iris centre** (pool cross-validation): the darkness-weighted centroid
   of the eye opening (MediaPipe's lid contour) near MediaPipe's iris ring, on the frame
   upsampled 4 x, in place of MediaPipe's iris point, averaged with it, or as an extra vertical
   cue beside the lids; and the rows of two MediaPipe passes (the crop and the crop upscaled to
   480 px) averaged.

With ``--latency``, :func:`webcam_geometry.latency` (``Tracker.step`` per frame on one core, the
new default mapper) is measured and stored too.

Usage::

    .venv/bin/python benchmarks/webcam_error.py [--latency]   # about 1-3 min

Prints the tables and writes ``benchmarks/results/webcam_error.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from _report import report_header, write_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
import webcam_calibration as wc  # noqa: E402
import webcam_geometry as wg  # noqa: E402

DEFAULT_OUTPUT = wc.REPO / "benchmarks" / "results" / "webcam_error.json"
#: the cells of the breakdown: the goal's 9 x 3 and the stand-in for 9 points + pursuit
BREAKDOWN_SETS = ("k9x3", "all")
#: MediaPipe's eye contour (16 points per eye, the person's right and left)
EYE_CONTOUR = {"right": (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160,
                         161, 246),
               "left": (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387,
                        388, 466)}
OPEN_RATIOS = (0.0, 0.7, 0.75, 0.8, 0.85, 0.9)


def _px(err: np.ndarray) -> float:
    err = err[np.isfinite(err).all(axis=1)]
    return float(np.hypot(*err.T).mean())


# ---------------------------------------------------------------------------- 1. breakdown
def breakdown(rows, targets, pool, test, blink) -> dict:
    """The default mapper's test error taken apart (see the module)."""
    sets = wg.calibration_sets(targets[pool])
    out: dict = {}
    for name in BREAKDOWN_SETS:
        index = pool[sets[name]]
        pred = wg.mapper().fit(rows[index], targets[index]).predict(rows[test])
        err = pred - targets[test]
        seen = ~blink[test]
        e = err[seen]
        bias = e.mean(axis=0)
        worst = np.argsort(np.hypot(*err.T))[::-1][:10]
        out[name] = {
            "px_all_frames": _px(err), "px_without_blinks": _px(e),
            "n_all": int(len(err)), "n_blinks": int((~seen).sum()),
            "px_of_blink_frames": _px(err[~seen]) if (~seen).any() else None,
            "mean_abs_px": np.abs(e).mean(axis=0).tolist(),
            "bias_px": bias.tolist(), "bias_length_px": float(np.hypot(*bias)),
            "px_without_the_constant_bias": _px(e - bias),
            "sd_px": e.std(axis=0).tolist(),
            "slope_target_on_prediction": [float(np.polyfit(pred[seen, a], targets[test][seen, a],
                                                            1)[0]) for a in range(2)],
            "lag1_residual_correlation": [float(np.corrcoef(e[:-1, a], e[1:, a])[0, 1])
                                          for a in range(2)],
            "worst_frames": [{"pair": int(test[i]), "px": float(np.hypot(*err[i])),
                              "blink": bool(blink[test][i])} for i in worst]}
    # the pool (4 contiguous folds, all other folds calibrate): shared bias vs each frame's own
    err = wg.pool_cv(rows, targets, pool, wg._mapper_fit_predict(rows, targets), "all")
    seen = ~blink[pool] & np.isfinite(err).all(axis=1)
    err, where = err[seen], targets[pool][seen]
    distance = np.hypot(*(where[:, None] - where[None]).transpose(2, 0, 1))
    near = np.triu(distance < 60, 1)
    i, j = np.nonzero(near)
    far_i, far_j = np.nonzero(np.triu(distance > 600, 1))
    pred = err + where
    previous = np.roll(targets, 1, axis=0)[pool][seen]
    leans = [np.linalg.lstsq(np.column_stack([where[:, a], previous[:, a], np.ones(len(err))]),
                             pred[:, a], rcond=None)[0][:2].tolist() for a in range(2)]
    out["pool"] = {
        "px": _px(err), "sd_px": err.std(axis=0).tolist(),
        "frame_own_sd_px_from_pairs_under_60px": ((err[i] - err[j]).std(axis=0)
                                                  / np.sqrt(2)).tolist(),
        "pairs_under_60px": int(len(i)),
        "sd_px_from_pairs_over_600px": ((err[far_i] - err[far_j]).std(axis=0)
                                        / np.sqrt(2)).tolist(),
        "prediction_on_target_and_previous_target": leans,
        "note": "pool_cv 'all' (4 contiguous folds), blink frames left out; a bias shared by "
                "nearby dots cancels in the differences of pairs under 60 px apart"}
    return out


# ---------------------------------------------------------------------------- 2. smoothing
SMOOTHERS = (("one_euro", True), ("none", False), ("one_euro", False), ("kalman", True))


def smoothing(rows, targets, pool, test, blink) -> dict:
    """The test frames through ``Tracker`` as a time series with each filter (see module)."""
    from gazelearn.webcam import CalibrationProfile, Tracker

    sets = wg.calibration_sets(targets[pool])
    out: dict = {}
    for name in BREAKDOWN_SETS:
        index = pool[sets[name]]
        profile = CalibrationProfile(wg.mapper().fit(rows[index], targets[index]), wc.SCREEN)
        cells = {}
        for (kind, aware), step in ((s, dt) for s in SMOOTHERS for dt in (1.0, 1 / 30)):
            tracker = Tracker(profile, filter=kind, fixation_aware=aware)
            rec = tracker.track_features(rows[test], np.arange(len(test)) * step,
                                         blink=blink[test])
            err = np.column_stack([rec.x, rec.y]) - targets[test]
            key = f"{kind}{'_fixation_aware' if aware else ''}_dt{step:.3f}"
            cells[key] = {"px": _px(err), "n": int(np.isfinite(err).all(axis=1).sum())}
        cells["default_is"] = "one_euro_fixation_aware (gazelearn track --filter one_euro "\
                              "--fixation-aware --jump-px 150)"
        out[name] = cells
    return out


# ---------------------------------------------------------------------------- 3. robust fit
def _cv_of(fit, rows, targets, pool, blink, cells=(*wg.CHOICE_CELLS, ("all", 1))) -> dict:
    """Pool cross-validation (:func:`webcam_geometry.pool_cv`) of ``fit(chosen)`` -> a fitted
    mapper predicting ``rows``; held-out blink frames left out (``track`` loses them)."""
    def fit_predict(chosen, held):
        pred = fit(chosen).predict(rows[held])
        pred[blink[held]] = np.nan
        return pred

    out = {f"k{k}x{per}": _px(wg.pool_cv(rows, targets, pool, fit_predict, k, per))
           for k, per in cells}
    chosen = [out[f"k{k}x{p}"] for k, p in wg.CHOICE_CELLS if f"k{k}x{p}" in out]
    if len(chosen) == len(wg.CHOICE_CELLS):
        out["mean_of_choice_cells"] = float(np.mean(chosen))
    return out


def _cv(rows, targets, pool, blink, cells=(*wg.CHOICE_CELLS, ("all", 1)), **params) -> dict:
    """:func:`_cv_of` the mapper with ``params``."""
    return _cv_of(lambda chosen: wg.mapper(**params).fit(rows[chosen], targets[chosen]),
                  rows, targets, pool, blink, cells)


def robust_calibration(rows, targets, pool, blink) -> dict:
    """Pool CV of ``min_open_ratio`` (0 keeps every frame) and of the ridge stage at ~360."""
    out = {f"min_open_ratio_{r:g}": _cv(rows, targets, pool, blink, min_open_ratio=r)
           for r in OPEN_RATIOS}
    out["best"] = min(out, key=lambda k: out[k]["mean_of_choice_cells"])
    out["second_stage_none"] = _cv(rows, targets, pool, blink, cells=(("all", 1),),
                                   second_stage="none")
    return out


# ---------------------------------------------------------------------------- 4. iris cues
def image_iris(gray: np.ndarray, points: np.ndarray, eye: str, percentile: float = 50.0,
               scale: int = 4, disk: float = 1.5) -> np.ndarray | None:
    """The darkness-weighted centroid (px) of one eye's opening near MediaPipe's iris.

    The eye's region (MediaPipe's 16 lid-contour points) is cut from the grey frame, upsampled
    ``scale`` times (bicubic); pixels inside the lid contour and within ``disk`` iris radii
    (the ring points' mean distance) of MediaPipe's iris centre (``disk=0``: the whole
    opening) are weighted by how much darker they are than the region's ``percentile``.
    None when the opening is too small or nothing is darker.
    """
    import cv2

    from gazelearn.webcam.landmarks import EYES

    e = EYES[eye]
    contour = points[list(EYE_CONTOUR[eye]), :2]
    centre = points[e.iris, :2]
    radius = float(np.mean(np.linalg.norm(points[list(e.iris_ring), :2] - centre, axis=1)))
    x0, y0 = np.maximum(np.floor(contour.min(axis=0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(contour.max(axis=0)).astype(int) + 2, gray.shape[::-1])
    if x1 - x0 < 3 or y1 - y0 < 2:
        return None
    roi = cv2.resize(gray[y0:y1, x0:x1], ((x1 - x0) * scale, (y1 - y0) * scale),
                     interpolation=cv2.INTER_CUBIC)
    mask = np.zeros(roi.shape, np.uint8)
    scaled = ((contour - [x0, y0] + 0.5) * scale - 0.5) * 16
    cv2.fillPoly(mask, [np.round(scaled).astype(np.int32)], 1, shift=4)
    yy, xx = np.mgrid[0:roi.shape[0], 0:roi.shape[1]]
    ox, oy = (xx + 0.5) / scale - 0.5 + x0, (yy + 0.5) / scale - 0.5 + y0
    inside = mask.astype(bool)
    if disk:
        inside &= (ox - centre[0]) ** 2 + (oy - centre[1]) ** 2 <= (disk * radius) ** 2
    if inside.sum() < 4:
        return None
    weight = np.clip(np.percentile(roi[inside], percentile) - roi, 0.0, None) * inside
    total = weight.sum()
    if total <= 0:
        return None
    return np.array([(weight * ox).sum() / total, (weight * oy).sum() / total])


def refined_faces(faces, frames, mix: float = 1.0, **options) -> list:
    """The faces with each iris centre moved ``mix`` of the way to :func:`image_iris`."""
    import cv2

    from gazelearn.webcam.landmarks import EYES

    out = []
    for face, frame in zip(faces, frames, strict=True):
        if face is None:
            out.append(None)
            continue
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
        points = face.points.copy()
        for eye in ("right", "left"):
            found = image_iris(gray, face.points, eye, **options)
            if found is not None:
                i = EYES[eye].iris
                points[i, :2] = (1 - mix) * points[i, :2] + mix * found
        out.append(dataclasses.replace(face, points=points))
    return out


def _rows(faces) -> np.ndarray:
    model = wg.mapper()
    return np.array([model.frame_input(f) if f is not None else np.full(model.input_size, np.nan)
                     for f in faces])


def iris_cues(data: dict, pool, blink, upscaled) -> dict:
    """Pool CV of the image iris centre (in place, averaged, as an extra vertical cue) and of
    two MediaPipe passes averaged."""
    from gazelearn.webcam.features import iris_position, upper_lid_heights

    rows, targets = data["rows"], data["targets"]
    out: dict = {"mediapipe_iris (default)": _cv(rows, targets, pool, blink)}
    lids = upper_lid_heights(np.nan_to_num(rows[:, 8:]))

    def with_cue(cue):   # the eyelid term reading the lids and the image iris's height
        extended = np.column_stack([rows, cue])
        cue_mapper = wg._cue_mapper_class(cue.shape[1])
        return _cv_of(lambda chosen: cue_mapper(screen=wg.mapper().screen, second_stage="none")
                      .fit(extended[chosen], targets[chosen]), extended, targets, pool, blink)

    for options in ({"percentile": 50.0}, {"percentile": 70.0, "disk": 0.0}):
        label = "_".join(f"{k}{v:g}" for k, v in options.items())
        t0 = time.perf_counter()
        faces = refined_faces(data["faces"], data["images"], **options)
        ms = 1000 * (time.perf_counter() - t0) / len(faces)
        refined = _rows(faces)
        for reach in (6.0, 10.0, 14.0):
            out[f"image_iris_{label}_reach{reach:g}"] = _cv(refined, targets, pool, blink,
                                                            iris_reach_mm=reach)
        out[f"image_iris_{label}_reach6"]["ms_per_frame"] = ms
        out[f"mean_of_both_{label}"] = _cv(_rows(refined_faces(
            data["faces"], data["images"], mix=0.5, **options)), targets, pool, blink)
        height = np.array([[iris_position(f.points, e)[2] for e in ("right", "left")]
                           if f is not None else [np.nan, np.nan] for f in faces])
        out[f"lids+image_iris_height_{label}"] = with_cue(np.column_stack([lids, height]))
        print(f"image iris {label}: {ms:.2f} ms per frame", flush=True)
    both = np.where(np.isfinite(upscaled), (rows + upscaled) / 2, rows)
    out["two_mediapipe_passes_averaged (crop, crop at 480 px)"] = _cv(both, targets, pool, blink)
    return out


# ---------------------------------------------------------------------------- report
def report(result: dict) -> str:
    lines = []
    for name in BREAKDOWN_SETS:
        b = result["breakdown"][name]
        lines.append(f"{name}: {b['px_all_frames']:.1f} px all, {b['px_without_blinks']:.1f} "
                     f"without {b['n_blinks']} blinks ({b['px_of_blink_frames']}); bias "
                     f"{np.round(b['bias_px'], 1).tolist()} -> "
                     f"{b['px_without_the_constant_bias']:.1f}"
                     f"; |x|,|y| {np.round(b['mean_abs_px'], 1).tolist()}; slope "
                     f"{np.round(b['slope_target_on_prediction'], 3).tolist()}")
        lines.append("  smoothing: " + ", ".join(
            f"{k} {v['px']:.1f}" for k, v in result["smoothing"][name].items()
            if isinstance(v, dict)))
    pool = result["breakdown"]["pool"]
    lines.append(f"pool: {pool['px']:.1f} px, sd {np.round(pool['sd_px'], 1).tolist()}, "
                 "frame's own sd "
                 f"{np.round(pool['frame_own_sd_px_from_pairs_under_60px'], 1).tolist()}")
    for part in ("robust_calibration", "iris_cues"):
        for key, cells in result[part].items():
            if isinstance(cells, dict):
                lines.append(f"{part} {key:60s} " + " ".join(
                    f"{c}={v:.1f}" for c, v in cells.items() if isinstance(v, float)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=wc.DEFAULT_DATA, help="eye_data.csv")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--latency", action="store_true",
                        help="also Tracker.step's latency (webcam_geometry.latency)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: data not found: {args.data}", file=sys.stderr)
        return 1

    started = time.perf_counter()
    data = wc.load_webcam(args.data)
    rows, targets = data["rows"], data["targets"]
    pool, test = wc.pool_and_test(data)
    blink = wc.blink_flags(data)
    result = {
        "breakdown": breakdown(rows, targets, pool, test, blink),
        "smoothing": smoothing(rows, targets, pool, test, blink),
        "robust_calibration": robust_calibration(rows, targets, pool, blink),
        "iris_cues": iris_cues(data, pool, blink, wc.upscaled_rows(args.data,
                                                                   data["all_frames"])),
    }
    if args.latency:
        result["latency"] = wg.latency(data["faces"], data["images"], rows, targets, pool)
    output = {
        **report_header(__file__, argv),
        "data": {"path": str(args.data), "frames": data["frames"],
                 "faces_found": data["faces_found"],
                 "blink_frames_pool_test": [int(blink[pool].sum()), int(blink[test].sum())]},
        "protocol": "as webcam_calibration.py --geometry-only: frame i+1 with dot i, pool = "
                    "pairs 0..478, test = the last 120 pairs; pool CV: 4 contiguous folds, "
                    "held-out blink frames left out (track loses them)",
        **result,
        "seconds": time.perf_counter() - started,
    }
    write_report(args.output, output, indent=1)
    print(report(result))
    if args.latency:
        print("latency ms (median, p95): " + ", ".join(
            f"{k} {v['median']:.1f} / {v['p95']:.1f}" for k, v in result["latency"].items()
            if isinstance(v, dict) and "p95" in v)
            + f"; load {result['latency']['load_average_before']}")
    print(f"\n{output['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
