#!/usr/bin/env python
"""Webcam gaze after a 9- and a 16-point calibration: landmark regressor vs eye CNN.

Issue 8 asks for the accuracy of both webcam paths on ``../shared/data/webcam-crops-dev`` (600
face crops of one person at random dots on a 1920 x 1080 screen) after a 9- and a 16-point
calibration. The protocol is the one of ``gazelearn track --calibrate ... --frame-lag 1`` and of
``benchmarks/gaze_models.py`` part (c): the frame of row ``i + 1`` belongs to the dot of row
``i`` (599 pairs); the first 479 pairs (rows 0-479) are the **calibration pool**, the last 120
pairs the **test** set, the same 120 frames for every method.

Which k pool frames make a calibration?

* ``grid``: what a calibration screen shows. For each point of
  ``calibration_targets(k, (1920, 1080))`` (a 3 x 3 or 4 x 4 grid, 10 % margins) the pool frame
  whose target is nearest and not yet taken (:func:`grid_frames`); the pool holds random dots,
  so the chosen targets are only near the grid (their distance is reported).
* ``grid_kKx3``: the same with the 3 nearest frames of every grid point (3 k frames): a
  calibration keeps several frames per dot, and this file has one frame per dot, so whether
  the errors come from too few points or from one noisy frame per point shows here.
* ``random``: ``--draws`` random sets of k pool frames (seeded), mean and standard deviation.
* ``all``: all 479 pool frames (the reference, the setting of the earlier results).

1. **Landmark path**: MediaPipe landmarks (static image mode) -> the 14 landmark features ->
   :class:`~gazelearn.webcam.LandmarkGazeRegressor`, ridge and RBF kernel ridge. Penalties are
   chosen **from the calibration frames only** (:func:`select_params`: leave-one-out inside the
   k frames; 10 contiguous folds for the 479), never from the test rows; ``alpha = 1`` (the
   ``track`` default) is reported beside. Floor: predicting the mean of the calibration targets.
2. **CNN path**: ``GazeRegressor("resnet", calibration="bn")`` pre-trained on synthetic eyes
   (``simulate_eye_dataset``: other "people", 64 x 36 grayscale like ``eye_crop(..., gray=True)``,
   eye corners 70 % of the crop width like ``eye_crop``'s ``corner_fraction``), then calibrated on
   the k MediaPipe-normalised left-eye crops of the person: stored BN profile + affine
   correction (the real-time form), affine only, BN profile only, and no calibration. The
   simulator renders a mirrored (selfie) view; when the calibration pool says the webcam frames
   are not mirrored (the left iris moves left in the image as the target moves right) the crops
   are flipped left-right to look like the synthetic eyes. As a sanity check the pre-trained
   network is also calibrated the same way on two *synthetic* persons it never saw. Reference:
   the same CNN trained from scratch on the person's 479 pool crops (not a calibration: what the
   data itself supports; ``--scratch-seeds`` training seeds).

Errors are on the 120 test frames: mean and median Euclidean error in px and % of screen
(:func:`gazelearn.metrics.error_pct_normalized`, via :func:`gazelearn.webcam.validate`). Every
dot is shown for one frame, so precision (RMS sample-to-sample distance on one target) is not
defined for this data and is not reported.

3. **Eyeball geometry** (issue 16, :mod:`webcam_geometry`):
   :class:`~gazelearn.webcam.EyeballGazeMapper` uncalibrated and with each calibration kind,
   with its ridge stage, for 5, 9, 13 and 16 points x 1 and x 3 frames and all 479; its
   defaults chosen on the pool (contiguous folds); the one-point drift check; per-frame
   latency. MediaPipe's landmarks of the 600 frames are cached in ``/tmp``.

Usage::

    .venv/bin/python benchmarks/webcam_calibration.py          # about 6 min on one core
    .venv/bin/python benchmarks/webcam_calibration.py --geometry-only   # about 2 min

Prints tables and writes ``benchmarks/results/webcam_calibration.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _report import report_header, write_report

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
DEFAULT_DATA = REPO.parent / "shared" / "data" / "webcam-crops-dev" / "eye_data.csv"
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "webcam_calibration.json"
SCREEN = (1920, 1080)
POOL_ROWS = 480      # rows 0..479: with lag 1, the 479 pairs of the calibration pool
N_TEST = 120         # the last 120 pairs
LAG = 1
KS = (9, 16)
#: Ridge penalties and kernel penalties the calibration-only model selection chooses from.
ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)
KERNEL_ALPHAS = (0.1, 1.0, 10.0)
#: Frames per grid point of the ``grid_kKx3`` calibrations.
PER_POINT = 3


# ---------------------------------------------------------------------------- selection
def grid_frames(pool_targets, k: int, screen=SCREEN, per_point: int = 1) -> np.ndarray:
    """Pool frames standing in for a ``k``-point grid calibration.

    Each grid point (:func:`gazelearn.webcam.calibration_targets`) takes the pool frame whose
    target is nearest to it among the frames not yet taken; the closest (grid point, frame) pair
    is settled first, so a grid point never takes a frame that is nearer another grid point
    still waiting for it (greedy in the order of distance, not of the grid).

    Parameters
    ----------
    pool_targets : array_like, shape (n, 2)
        Targets (px) of the pool frames; NaN rows (no face) are never chosen.
    k : int
        9, 16 or 25.
    per_point : int
        Frames per grid point (a calibration that keeps several frames per dot): every grid
        point is served ``per_point`` times, each time by another frame.

    Returns
    -------
    numpy.ndarray
        ``k * per_point`` indices into ``pool_targets``, in grid order.

    Examples
    --------
    >>> from gazelearn.webcam import calibration_targets
    >>> pool = np.vstack([[960.0, 575.0], calibration_targets(9)[::-1] + 15])  # grid reversed
    >>> grid_frames(pool, 9).tolist()      # frame 0 is 35 px off the centre, frame 5 21 px
    [9, 8, 7, 6, 5, 4, 3, 2, 1]
    """
    from gazelearn.webcam import calibration_targets
    from webcam_geometry import nearest_frames

    targets = np.asarray(pool_targets, dtype=np.float64)
    if np.isfinite(targets).all(axis=1).sum() < k * per_point:
        raise ValueError(f"the pool has fewer than {k * per_point} usable frames")
    return nearest_frames(targets, calibration_targets(k, screen), per_point)


def random_frames(n_pool: int, k: int, draws: int, seed: int) -> list[np.ndarray]:
    """``draws`` sorted random sets of ``k`` distinct indices of ``range(n_pool)``."""
    rng = np.random.default_rng(seed)
    return [np.sort(rng.choice(n_pool, size=k, replace=False)) for _ in range(draws)]


def calibration_sets(pool_targets, draws: int, seed: int) -> dict[str, list[np.ndarray]]:
    """``{"grid_k9": [idx], "grid_k9x3": [idx], "random_k9": [idx, ...], ..., "all": [idx]}``.

    Indices into the pool; ``random_kK`` holds ``draws`` sets.
    """
    usable = np.flatnonzero(np.isfinite(pool_targets).all(axis=1))
    sets: dict[str, list[np.ndarray]] = {}
    for k in KS:
        sets[f"grid_k{k}"] = [grid_frames(pool_targets, k)]
        sets[f"grid_k{k}x{PER_POINT}"] = [grid_frames(pool_targets, k, per_point=PER_POINT)]
        sets[f"random_k{k}"] = [usable[i] for i in random_frames(len(usable), k, draws,
                                                                 seed + k)]
    sets["all"] = [usable]
    return sets


# ---------------------------------------------------------------------------- data
def pool_and_test(data: dict) -> tuple[np.ndarray, np.ndarray]:
    """The calibration pool (pairs 0..POOL_ROWS - LAG - 1) and the test (the last N_TEST
    pairs) of :func:`load_webcam`'s data, each without the frames where no face was found."""
    n = len(data["targets"])
    pool, test = np.arange(POOL_ROWS - LAG), np.arange(n - N_TEST, n)
    return pool[data["found"][pool]], test[data["found"][test]]


def blink_flags(data: dict) -> np.ndarray:
    """Whether the landmarker flagged each frame of :func:`load_webcam`'s data as a blink."""
    return np.array([f is not None and f.blink for f in data["faces"]])


def load_webcam(path: Path, lag: int = LAG, mirror: bool = False) -> dict:
    """Landmark features and normalised left-eye crops of every face crop, lag-paired.

    Returns ``features`` ``(n - lag, 14)`` (NaN rows without a face), ``crops``
    ``(n - lag, 36, 64)`` uint8, ``found`` (bool), ``targets`` ``(n - lag, 2)`` and
    ``faces_found`` over all ``n`` frames.
    """
    from PIL import Image

    from gazelearn.io.images import read_manifest
    from gazelearn.webcam import EYE_CROP_SIZE, FaceLandmarker, eye_crop, landmark_features
    from gazelearn.webcam.geometry_mapper import EyeballGazeMapper

    manifest = read_manifest(path)
    column = next(c for c in manifest.columns if "face" in c.lower())
    width, height = EYE_CROP_SIZE
    frames = []
    for image_path in manifest.images[column]:
        with Image.open(image_path) as image:
            frames.append(np.asarray(image.convert("RGB")))
    faces = cached_faces(path, frames, FaceLandmarker, mirror=mirror)
    geometry = EyeballGazeMapper()
    features, rows, crops, found = [], [], [], []
    for frame, face in zip(frames, faces, strict=True):
        found.append(face is not None)
        features.append(landmark_features(face) if face is not None else np.full(14, np.nan))
        rows.append(geometry.frame_input(face) if face is not None
                    else np.full(geometry.input_size, np.nan))
        crops.append(eye_crop(frame, face, "left", gray=True) if face is not None
                     else np.zeros((height, width), np.uint8))
    features, crops, found = np.array(features), np.array(crops), np.array(found)
    targets = manifest.targets
    # the image of row i + lag shows the eyes on the dot of row i
    return {"features": features[lag:], "rows": np.array(rows)[lag:], "crops": crops[lag:],
            "found": found[lag:], "targets": targets[:len(targets) - lag],
            "faces_found": int(found.sum()), "frames": int(len(found)), "image_column": column,
            "faces": faces[lag:], "images": frames[lag:], "all_frames": frames}


def upscaled_rows(path: Path, frames: list, lag: int = LAG, min_side: int = 480,
                  mirror: bool = False) -> np.ndarray:
    """The geometry's rows (lag-paired) from landmarks of frames upscaled to ``min_side``
    (0: as they are), averaged with their mirror's with ``mirror`` (``track --tta``)."""
    from gazelearn.webcam import FaceLandmarker
    from gazelearn.webcam.geometry_mapper import EyeballGazeMapper

    geometry = EyeballGazeMapper()
    faces = cached_faces(path, frames, FaceLandmarker, min_side=min_side, mirror=mirror)
    rows = [geometry.frame_input(f) if f is not None else np.full(geometry.input_size, np.nan)
            for f in faces]
    return np.array(rows)[lag:]


def cached_faces(path: Path, frames: list, landmarker_class, min_side: int = 0,
                 mirror: bool = False) -> list:
    """MediaPipe landmarks (static image mode) of every frame, cached in /tmp by file content.

    The rows are about a second apart, so video-mode tracking between them would be wrong.
    The cache holds the points only; :class:`FaceLandmarks` are rebuilt from them.
    ``min_side``: frames upscaled to it before MediaPipe; ``mirror``: averaged with the
    mirrored frame's landmarks (:class:`FaceLandmarker`'s options).
    """
    import hashlib

    from gazelearn.webcam import FaceLandmarks

    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    upscale = (f"-side{min_side}" if min_side else "") + ("-mirror" if mirror else "")
    cache = Path("/tmp") / f"gazelearn-webcam-landmarks-{digest}-{len(frames)}{upscale}.npz"
    if cache.is_file():
        stored = np.load(cache)
        points, sizes = stored["points"], stored["sizes"]
    else:
        points = np.full((len(frames), 478, 3), np.nan)
        options = {"mirror": True} if mirror else {}
        with landmarker_class(static_image_mode=True, min_side=min_side, **options) as marker:
            for i, frame in enumerate(frames):
                face = marker.detect(frame)
                if face is not None:
                    points[i] = face.points
        sizes = np.array([frame.shape[1::-1] for frame in frames])
        np.savez(cache, points=points, sizes=sizes)
    return [None if not np.isfinite(p).all() else FaceLandmarks.from_points(p, tuple(size))
            for p, size in zip(points, sizes, strict=True)]


# ---------------------------------------------------------------------------- landmark path
def _folds(n: int) -> list[np.ndarray]:
    """Leave-one-out up to 50 frames; 10 contiguous blocks (recording order) beyond."""
    if n <= 50:
        return [np.array([i]) for i in range(n)]
    return np.array_split(np.arange(n), 10)


def _cv_error(params: dict, X: np.ndarray, y: np.ndarray) -> float:
    from gazelearn.webcam import LandmarkGazeRegressor

    errors = []
    for held in _folds(len(X)):
        train = np.setdiff1d(np.arange(len(X)), held)
        pred = LandmarkGazeRegressor(**params).fit(X[train], y[train]).predict(X[held])
        errors.append(np.hypot(*(pred - y[held]).T))
    return float(np.mean(np.concatenate(errors)))


def select_params(X, y, kernel: str) -> tuple[dict, float]:
    """Penalties of a :class:`LandmarkGazeRegressor` chosen by cross-validation on ``X, y``.

    ``X, y`` are the calibration frames only. Returns the parameters with the lowest mean
    Euclidean cross-validation error (ties: the first, i.e. the smaller penalty) and that error.
    """
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    grid = ([{"alpha": a, "kernel": "linear"} for a in ALPHAS] if kernel == "linear" else
            [{"alpha": a, "kernel": "rbf", "kernel_alpha": ka}
             for a in ALPHAS for ka in KERNEL_ALPHAS])
    scores = [_cv_error(params, X, y) for params in grid]
    best = int(np.argmin(scores))
    return grid[best], scores[best]


def score(pred, true) -> dict:
    """Accuracy on the test frames (``validate``: px, % of screen, median px)."""
    from gazelearn.webcam import validate

    report = validate(pred, true, SCREEN)
    return {"px": report.accuracy_px, "pct": report.accuracy_pct, "median_px": report.median_px,
            "n": report.n_samples}


def landmark_path(features, targets, pool, test, sets) -> dict:
    """Every calibration set through the landmark regressors; errors on ``test``."""
    from gazelearn.webcam import LandmarkGazeRegressor

    Xt, yt = features[test], targets[test]
    out: dict = {}
    for name, draws in sets.items():
        runs: dict[str, list] = {}
        chosen_params: dict[str, list] = {}
        for rows in draws:
            X, y = features[pool[rows]], targets[pool[rows]]
            runs.setdefault("mean_of_calibration_targets", []).append(
                score(np.tile(y.mean(axis=0), (len(yt), 1)), yt))
            for kernel, label in (("linear", "ridge"), ("rbf", "kernel_ridge_rbf")):
                params, cv = select_params(X, y, kernel)
                model = LandmarkGazeRegressor(**params).fit(X, y)
                runs.setdefault(f"{label}_cv", []).append({**score(model.predict(Xt), yt),
                                                           "cv_px": cv})
                chosen_params.setdefault(f"{label}_cv", []).append(params)
                fixed = LandmarkGazeRegressor(alpha=1.0, kernel=kernel).fit(X, y)
                runs.setdefault(f"{label}_alpha1", []).append(score(fixed.predict(Xt), yt))
        out[name] = {method: summarise(values) for method, values in runs.items()}
        for method, params in chosen_params.items():
            out[name][method]["params"] = params if len(params) > 1 else params[0]
    return out


def summarise(values: list[dict]) -> dict:
    """One run as it is; several: mean (sd, median, min, max) of each error over the runs."""
    if len(values) == 1:
        return dict(values[0])
    out = {}
    for key in values[0]:
        column = np.array([v[key] for v in values], dtype=np.float64)
        out[key] = float(column.mean())
        if key in ("px", "pct"):
            out[f"{key}_sd"] = float(column.std(ddof=1))
            out[f"{key}_median"] = float(np.median(column))
            out[f"{key}_min"], out[f"{key}_max"] = float(column.min()), float(column.max())
    out["draws"] = len(values)
    return out


# ---------------------------------------------------------------------------- CNN path
def is_mirrored(features, targets) -> tuple[bool, float]:
    """Does the camera mirror? Correlation of the left iris's ``u`` with the target's x.

    In a non-mirrored image the iris moves to the image's left as the eyes turn to the screen's
    right (negative correlation); in a mirrored (selfie) view to the right.
    """
    from gazelearn.webcam import FEATURE_NAMES

    u = features[:, FEATURE_NAMES.index("left_u")]
    ok = np.isfinite(u) & np.isfinite(targets[:, 0])
    r = float(np.corrcoef(u[ok], targets[ok, 0])[0, 1])
    return r > 0, r


def cnn_calibrations(model, images, targets, pool, test, sets) -> dict:
    """BN profile + affine, affine only, BN profile only and none, for every calibration set."""
    xt, yt = images[test], targets[test]
    model.reset_calibration()
    out: dict = {"no_calibration": score(model.predict(xt), yt)}
    variants = {"bn_profile+affine": {"bn": True, "affine": True},
                "affine_only": {"bn": False, "affine": True},
                "bn_profile_only": {"bn": True, "affine": False}}
    for name, draws in sets.items():
        runs: dict[str, list] = {}
        for rows in draws:
            x, y = images[pool[rows]], targets[pool[rows]]
            for label, options in variants.items():
                model.calibrate(x, y, **options)
                runs.setdefault(label, []).append(score(model.predict(xt), yt))
        out[name] = {method: summarise(values) for method, values in runs.items()}
    model.reset_calibration()
    return out


def synthetic_check(model, seed: int, draws: int) -> dict:
    """The pre-trained network calibrated on 2 synthetic persons it never saw (seed + 1)."""
    from gazelearn.simulate.eyes import simulate_eye_dataset

    data = simulate_eye_dataset(2, 1, 100, seed=seed + 1, eye_fraction=0.7)
    out: dict = {}
    for person in range(2):
        rows = np.flatnonzero(data.person == person)
        pool, test = rows[:60], rows[60:]
        targets = data.targets_px.astype(np.float64)
        sets = {f"grid_k{k}": [grid_frames(targets[pool], k)] for k in KS}
        for k in KS:
            sets[f"random_k{k}"] = random_frames(len(pool), k, draws, seed + k)
        out[f"person_{person}"] = cnn_calibrations(model, data.images, targets, pool, test,
                                                   sets)
    return out


def cnn_path(data: dict, pool, test, sets, args) -> dict:
    import torch

    from gazelearn.appearance import GazeRegressor
    from gazelearn.simulate.eyes import simulate_eye_dataset
    from gazelearn.webcam import EYE_CROP_SIZE

    torch.set_num_threads(1)
    mirrored, r = is_mirrored(data["features"][pool], data["targets"][pool])
    crops = data["crops"] if mirrored else data["crops"][:, :, ::-1].copy()
    out: dict = {"webcam_mirrored": mirrored, "left_u_vs_target_x_r_on_pool": r,
                 "crops": f"eye_crop(frame, landmarks, 'left', gray=True): {EYE_CROP_SIZE[0]}x"
                          f"{EYE_CROP_SIZE[1]} gray, corner_fraction 0.7"
                          + ("" if mirrored else ", flipped left-right (the webcam does not "
                             "mirror; the simulator renders a mirrored view)")}

    t0 = time.perf_counter()
    synthetic = simulate_eye_dataset(args.persons, args.measurements, args.frames,
                                     image_size=EYE_CROP_SIZE, seed=args.seed, eye_fraction=0.7)
    out["simulate_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pretrained = GazeRegressor("resnet", epochs=args.pretrain_epochs, calibration="bn",
                               screen_size=SCREEN, num_threads=1, progress=False,
                               seed=args.seed).fit(synthetic.images, synthetic.targets_px,
                                                   groups=synthetic.measurement)
    out["pretrain_seconds"] = time.perf_counter() - t0
    out["pretrain"] = {"data": f"simulate_eye_dataset({args.persons}, {args.measurements}, "
                               f"{args.frames}, image_size={EYE_CROP_SIZE}, seed={args.seed}, "
                               "eye_fraction=0.7)", "frames": int(len(synthetic)),
                       "model": "resnet", "calibration": "bn", "epochs": args.pretrain_epochs,
                       "final_loss": pretrained.history_[-1].get("loss")}
    print(f"pre-trained on {len(synthetic)} synthetic frames in {out['pretrain_seconds']:.0f} s",
          flush=True)
    t0 = time.perf_counter()
    out["synthetic_unseen_persons"] = synthetic_check(pretrained, args.seed, args.draws)
    out["webcam"] = cnn_calibrations(pretrained, crops, data["targets"], pool, test, sets)
    out["calibrate_seconds"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    runs = []
    # a few training seeds: the scratch model is compared with the landmark regressor's 145 px
    for seed in range(args.seed, args.seed + args.scratch_seeds):
        scratch = GazeRegressor("resnet", epochs=args.scratch_epochs, screen_size=SCREEN,
                                num_threads=1, progress=False, seed=seed).fit(
            crops[pool], data["targets"][pool])
        runs.append(score(scratch.predict(crops[test]), data["targets"][test]))
    out["scratch_seconds"] = time.perf_counter() - t0
    out["scratch_on_pool"] = {**summarise(runs), "per_seed_px": [r["px"] for r in runs],
                              "seeds": list(range(args.seed, args.seed + args.scratch_seeds)),
                              "epochs": args.scratch_epochs, "n_train": int(len(pool))}
    print(f"trained from scratch on the pool ({args.scratch_seeds} seeds) in "
          f"{out['scratch_seconds']:.0f} s", flush=True)
    return out


# ---------------------------------------------------------------------------- report
def _cell(entry: dict) -> str:
    text = f"{entry['px']:.0f} px / {entry['pct']:.1f} %"
    if "px_sd" in entry:
        text += f" (sd {entry['px_sd']:.0f})"
    return text


def table(result: dict) -> str:
    columns = [f"{kind}_k{k}{x}" for k in KS for kind, x in
               (("grid", ""), ("grid", f"x{PER_POINT}"), ("random", ""))] + ["all"]
    lines = [f"{'method':34s} " + " ".join(f"{c:>24s}" for c in columns)]
    landmark = result["landmark"]
    for method in landmark["all"]:
        lines.append(f"{'landmark ' + method:34s} "
                     + " ".join(f"{_cell(landmark[c][method]):>24s}" for c in columns))
    if "cnn" in result:
        webcam = result["cnn"]["webcam"]
        lines.append(f"{'cnn no_calibration':34s} {_cell(webcam['no_calibration']):>24s}")
        for method in webcam["all"]:
            lines.append(f"{'cnn ' + method:34s} "
                         + " ".join(f"{_cell(webcam[c][method]):>24s}" for c in columns))
        lines.append(f"{'cnn from scratch on the 479':34s} "
                     f"{_cell(result['cnn']['scratch_on_pool']):>24s}")
        for person, values in result["cnn"]["synthetic_unseen_persons"].items():
            lines.append(f"{'synthetic ' + person + ' bn+affine':34s} " + " ".join(
                f"{_cell(values[c]['bn_profile+affine']) if c in values else '-':>24s}"
                for c in columns))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="eye_data.csv")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON to write (default benchmarks/results/webcam_calibration.json, "
                        "with --geometry-only webcam_geometry.json)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=20, help="random k-frame sets per k")
    parser.add_argument("--persons", type=int, default=20, help="synthetic pre-training persons")
    parser.add_argument("--measurements", type=int, default=2)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--pretrain-epochs", type=int, default=10)
    parser.add_argument("--scratch-epochs", type=int, default=40)
    parser.add_argument("--scratch-seeds", type=int, default=3,
                        help="training seeds of the CNN trained on the person's pool")
    parser.add_argument("--no-cnn", action="store_true", help="landmark path only")
    parser.add_argument("--geometry-only", action="store_true",
                        help="only the eyeball-geometry cells of issue 16 (webcam_geometry.py)")
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = (DEFAULT_OUTPUT.with_name("webcam_geometry.json") if args.geometry_only
                       else DEFAULT_OUTPUT)

    import torch

    from gazelearn.webcam import calibration_targets

    torch.set_num_threads(1)
    if not args.data.is_file():
        print(f"error: data not found: {args.data}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    data = load_webcam(args.data)
    landmark_seconds = time.perf_counter() - started
    n_pairs = len(data["targets"])
    pool, test = pool_and_test(data)
    print(f"faces found in {data['faces_found']} of {data['frames']} frames; pool "
          f"{len(pool)}, test {len(test)} ({landmark_seconds:.0f} s)", flush=True)
    sets = calibration_sets(data["targets"][pool], args.draws, args.seed)
    grid_distance = {}
    for k in KS:
        for per_point, name in ((1, f"grid_k{k}"), (PER_POINT, f"grid_k{k}x{PER_POINT}")):
            chosen = data["targets"][pool[sets[name][0]]]
            grid = np.repeat(calibration_targets(k, SCREEN), per_point, axis=0)
            gap = np.hypot(*(chosen - grid).T)
            grid_distance[name] = {"mean_px": float(gap.mean()), "max_px": float(gap.max()),
                                   "pool_pairs": pool[sets[name][0]].tolist()}

    t0 = time.perf_counter()
    import webcam_geometry

    result: dict = {"geometry": {
        "defaults_chosen_on_pool": webcam_geometry.choose_defaults(data["rows"],
                                                                   data["targets"], pool),
        "cues_on_pool": webcam_geometry.cue_cells(
            data["rows"], data["targets"], pool, data["faces"], data["images"],
            upscaled_rows(args.data, data["all_frames"])),
        "test": webcam_geometry.geometry_cells(
            data["rows"], data["targets"], pool, test,
            mirror_rows=upscaled_rows(args.data, data["all_frames"], min_side=0, mirror=True)),
        "drift_check": webcam_geometry.drift_check(data["rows"], data["targets"], pool, test),
        "latency": webcam_geometry.latency(data["faces"], data["images"], data["rows"],
                                           data["targets"], pool),
        "degrees": "assume a 344 x 194 mm screen at 600 mm (the data set does not say)"}}
    timings = {"landmarks_and_crops_600_frames": landmark_seconds,
               "geometry": time.perf_counter() - t0}
    t0 = time.perf_counter()
    if not args.geometry_only:
        result["landmark"] = landmark_path(data["features"], data["targets"], pool, test, sets)
        timings["landmark_path"] = time.perf_counter() - t0
    if not args.no_cnn and not args.geometry_only:
        result["cnn"] = cnn_path(data, pool, test, sets, args)
        timings.update({k: result["cnn"].pop(k) for k in
                        ("simulate_seconds", "pretrain_seconds", "calibrate_seconds",
                         "scratch_seconds")})
    timings["total"] = time.perf_counter() - started
    output = {
        **report_header(__file__, argv),
        "data": {"path": str(args.data), "frames": data["frames"],
                 "faces_found": data["faces_found"], "image_column": data["image_column"],
                 "screen_px": list(SCREEN), "landmarker": "MediaPipe Face Mesh 0.10.21, "
                 "static_image_mode=True"},
        "protocol": {
            "pairing": f"frame of row i+{LAG} with the target of row i ({n_pairs} pairs)",
            "calibration_pool": f"pairs 0..{POOL_ROWS - LAG - 1} (rows 0..{POOL_ROWS - 1}), "
                                f"{len(pool)} with a face",
            "test": f"pairs {n_pairs - N_TEST}..{n_pairs - 1} (the last {N_TEST}), "
                    f"{len(test)} with a face",
            "selections": "grid_kK: nearest unused pool frame to each point of "
                          "calibration_targets(K, (1920, 1080)); grid_kKx3: the 3 nearest "
                          "unused frames of each point; random_kK: --draws random "
                          "K-frame sets (mean, sd over draws); all: the whole pool",
            "model_selection": f"ridge alpha in {list(ALPHAS)}; RBF alpha x kernel_alpha in "
                               f"{list(ALPHAS)} x {list(KERNEL_ALPHAS)}; leave-one-out inside "
                               "the calibration frames (10 contiguous folds for the whole "
                               "pool); *_alpha1: alpha 1, kernel_alpha 1 (the track default)",
            "errors": "mean and median Euclidean error on the test frames, px and % of screen "
                      "(error_pct_normalized); precision not defined: one frame per dot"},
        "grid_selection_distance": grid_distance,
        "seeds": {"seed": args.seed, "random_draws": "numpy default_rng(seed + k)",
                  "pretraining": "simulate_eye_dataset seed and GazeRegressor seed = seed",
                  "synthetic_check": "simulate_eye_dataset(2, 1, 100, seed=seed + 1)"},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        **result,
        "timings_seconds": timings,
    }
    write_report(args.output, output, indent=1)
    print()
    print(webcam_geometry.table(result["geometry"]["test"]))
    if "landmark" in result:
        print(table(result))
    print(f"\ntotal {timings['total']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
