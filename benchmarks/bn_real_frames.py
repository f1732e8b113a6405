#!/usr/bin/env python
"""BN calibration on real frames, what AdaBN-style work suggests (issue 16, item 3).

The protocol of ``benchmarks/gaze_models.py --part e`` (its :func:`webcam_left_eye`): the 599
pairs of ``webcam-crops-dev`` (frame i+1 with dot i), left-eye Haar crops 45 x 45 RGB, cut into
6 "measurements" of 100 frames; train on m0-m3 (400 frames); in each of m4 and m5 frames 0-15
are the calibration pool and frames 16-99 are scored (167 frames), the same frames for every
cell. Two networks per variant and seed: the baseline (random batches, ``calibration="none"``)
and the BN model (every batch from one measurement, ``calibration="bn"``).

Calibrations compared on each network (the labels of the pool are not used by any BN cell):

* ``uncalibrated``: eval mode, the training's running statistics;
* ``per_measurement_bn``: the scored frames' own batch statistics (part e's row 1);
* ``adabn``: the statistics of **every** BN layer re-estimated from the 16 calibration frames
  plus the unlabelled scored frames of the measurement (Li et al. 2016, "Revisiting batch
  normalization for practical domain adaptation"), stored as a profile, then eval mode;
* ``profile_k16``: the stored profile from the 16 calibration frames only (the real-time form).

Variants (``--variants``), each the same recipe otherwise (``resnet``, 40 epochs, batch 32):

* ``default``: part e's network and augmentation;
* ``small``: a smaller, less over-fitted network (stem 12, blocks 16 and 32 channels: 7 k
  parameters against 40 k);
* ``strong_aug``: stronger brightness / contrast / shift augmentation (0.3 / 0.5 / 4 px
  against 0.1 / 0.2 / 2 px): the measurements differ in lighting and pose;
* ``per_image``: every crop standardised on its own (per channel, mean 0.5, sd 0.15 after),
  which removes a crop's brightness and contrast without any calibration: the fair baseline;
* ``aug_per_image``: stronger augmentation and per-image standardisation (the default
  network);
* ``small_aug_per_image``: the three together;
* ``groups25``: the BN model's training batches drawn from 25-frame stretches (16 groups)
  instead of the 4 measurements, so the network sees more batch statistics to rely on.

Inputs (``--input``; every variant applies to each):

* ``haar`` (default): the left-eye Haar crops above;
* ``mediapipe-left``: the MediaPipe-normalised left-eye crop, 64 x 36 gray
  (``eye_crop(frame, face, "left", gray=True)``, what ``CropGazeModel()`` feeds its network);
* ``mediapipe-both``: both eyes' normalised crops as two channels (``CropGazeModel(eyes="both")``).

The MediaPipe landmarks come from ``webcam_calibration.load_webcam(path, mirror=True)`` (the
frames' landmarks averaged with their mirror's, cached in /tmp). Pairs whose frame has no face
are dropped (their count per measurement is printed and stored); the measurements stay the
same pair ranges (m4 = pairs 400-499, ...), so a measurement's 16 calibration frames are its
first 16 frames with a face and the rest of them are scored.

Usage::

    .venv/bin/python benchmarks/bn_real_frames.py --variants default small   # ~2 CPU min each
    .venv/bin/python benchmarks/bn_real_frames.py --input mediapipe-both --variants default

Writes ``benchmarks/results/bn_real_frames.json`` (variants merge into it; a MediaPipe input's
cells are keyed ``INPUT/VARIANT``) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gaze_models import errors, webcam_left_eye  # noqa: E402
from gazelearn.appearance import GazeRegressor  # noqa: E402
from gazelearn.appearance.augment import Augment  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "bn_real_frames.json"
SCREEN = (1920.0, 1080.0)
N_POOL = 16
SMALL = {"stem": 12, "channels": (16, 32)}
STRONG = {"brightness": 0.3, "contrast": 0.5, "shift": 4}
VARIANTS = {
    "default": {},
    "small": {"architecture_options": SMALL},
    "strong_aug": {"augment": STRONG},
    "per_image": {"per_image": True},
    "aug_per_image": {"augment": STRONG, "per_image": True},
    "small_aug_per_image": {"architecture_options": SMALL, "augment": STRONG, "per_image": True},
    "groups25": {"train_group_size": 25},
}
INPUTS = {
    "haar": "left-eye Haar crop 45x45 RGB (gaze_models.webcam_left_eye)",
    "mediapipe-left": "MediaPipe-normalised left-eye crop 64x36 gray, eye_crop(frame, face, "
                      "'left', gray=True), landmarks of load_webcam(mirror=True)",
    "mediapipe-both": "MediaPipe-normalised crops of both eyes 64x36 gray as two channels "
                      "(CropGazeModel(eyes='both')), landmarks of load_webcam(mirror=True)",
}


class _StrongAugmentRegressor(GazeRegressor):
    """:class:`GazeRegressor` whose training augmentation is :data:`STRONG` (benchmark only)."""

    def _forward(self, data):
        augment = Augment(seed=self.seed, **STRONG)
        mean, scale = torch.as_tensor(self.x_mean_), torch.as_tensor(self.x_scale_)

        def forward(module, batch):
            xb, yb = batch
            if module.training:
                xb = augment(xb)
            return module((xb - mean) / scale), yb

        return forward


def per_image(x: np.ndarray) -> np.ndarray:
    """Each crop ``(c, h, w)`` standardised per channel, then ``0.5 + 0.15 z`` (about [0, 1],
    the range the augmentation expects)."""
    x = x.astype(np.float32)
    mean = x.mean(axis=(2, 3), keepdims=True)
    sd = np.maximum(x.std(axis=(2, 3), keepdims=True), 1e-3)
    return 0.5 + 0.15 * (x - mean) / sd


def mediapipe_crops(faces, images, targets, eyes: tuple[str, ...]):
    """Normalised gray eye crops of the lag-paired frames that have a face.

    ``faces``, ``images`` and ``targets`` are :func:`webcam_calibration.load_webcam`'s (pair
    ``i``: frame ``i + 1``, dot ``i``; a face is ``None`` where MediaPipe found none). Returns
    ``x`` float32 ``(n, len(eyes), 36, 64)`` in [0, 1], their targets ``(n, 2)`` and the pair
    index of every row (the pairs without a face are left out).
    """
    from gazelearn.appearance.data import images_to_array
    from gazelearn.webcam import eye_crop

    kept = np.array([i for i, face in enumerate(faces) if face is not None], dtype=int)
    if len(kept) == 0:
        raise ValueError("no frame has a face: nothing to crop")
    crops = np.stack([np.stack([eye_crop(images[i], faces[i], eye, gray=True) for eye in eyes],
                               axis=-1) for i in kept])
    return images_to_array(crops), np.asarray(targets, dtype=np.float64)[kept], kept


def load_input(name: str):
    """``x``, ``y``, the pair index of every row and the number of pairs (with or without a
    face) for the input ``name`` (:data:`INPUTS`)."""
    if name == "haar":
        x, y = webcam_left_eye(lag=1)
        return x, y, np.arange(len(y)), len(y)
    from webcam_calibration import DEFAULT_DATA, load_webcam

    data = load_webcam(DEFAULT_DATA, mirror=True)
    eyes = ("left", "right") if name == "mediapipe-both" else ("left",)
    return (*mediapipe_crops(data["faces"], data["images"], data["targets"], eyes),
            len(data["targets"]))


def evaluate(model: GazeRegressor, x, y, groups) -> dict:
    """The four calibrations of the module on the test measurements (see the module)."""
    cells: dict[str, list] = {}
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        pool, scored = rows[:N_POOL], rows[N_POOL:]
        model.reset_calibration()
        cells.setdefault("uncalibrated", []).append(model.predict(x[scored]))
        cells.setdefault("per_measurement_bn", []).append(
            model.predict(x[scored], groups=np.full(len(scored), g)))
        model.calibrate(x[rows], bn=True, affine=False)   # pool + the unlabelled scored frames
        cells.setdefault("adabn", []).append(model.predict(x[scored]))
        model.calibrate(x[pool], bn=True, affine=False)
        cells.setdefault("profile_k16", []).append(model.predict(x[scored]))
        model.reset_calibration()
    truth = np.concatenate([y[np.flatnonzero(groups == g)[N_POOL:]] for g in np.unique(groups)])
    from gazelearn.screen import Screen

    return {name: errors(truth, np.concatenate(parts), Screen(*map(int, SCREEN)))
            for name, parts in cells.items()}


def run_variant(name: str, seeds, epochs: int, x, y, groups, train, test) -> dict:
    options = dict(VARIANTS[name])
    strong = options.pop("augment", None) is not None
    if options.pop("per_image", False):
        x = per_image(x)
    group_size = options.pop("train_group_size", None)
    train_groups = groups if group_size is None else np.array(
        [f"g{i // group_size}" for i in range(len(groups))])
    cls = _StrongAugmentRegressor if strong else GazeRegressor
    out: dict = {"per_seed": {}, "train_seconds": {}}
    for seed in seeds:
        seed_cells = {}
        for calibration in ("none", "bn"):
            t0 = time.process_time()
            model = cls("resnet", epochs=epochs, calibration=calibration, screen_size=SCREEN,
                        num_threads=1, progress=False, seed=seed, **options)
            model.fit(x[train], y[train], groups=train_groups[train])
            out["train_seconds"][f"seed{seed}/{calibration}"] = time.process_time() - t0
            tag = "baseline" if calibration == "none" else "bn_model"
            seed_cells[tag] = evaluate(model, x[test], y[test], groups[test])
            print(f"{name} seed {seed} {tag}: " + ", ".join(
                f"{k} {v['pct']:.1f} %" for k, v in seed_cells[tag].items()), flush=True)
        out["per_seed"][str(seed)] = seed_cells
    out["parameters"] = sum(p.numel() for p in model.network_.parameters())
    out["mean_over_seeds"] = {
        tag: {cell: {key: float(np.mean([s[tag][cell][key] for s in out["per_seed"].values()]))
                     for key in ("pct", "px")} for cell in seed_cells[tag]}
        for tag in seed_cells}
    for tag, cells in out["mean_over_seeds"].items():
        base = cells["uncalibrated"]["pct"]
        out.setdefault("gain_vs_uncalibrated", {})[tag] = {
            cell: 1 - v["pct"] / base for cell, v in cells.items() if cell != "uncalibrated"}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--input", choices=list(INPUTS), default="haar",
                        help="the eye crops fed to the networks (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from gazelearn.io.atomic import atomic_write

    torch.set_num_threads(1)
    x, y, pairs, n_pairs = load_input(args.input)
    groups = np.array([f"m{i // 100}" for i in pairs])
    every = np.array([f"m{i // 100}" for i in range(n_pairs)])
    dropped = {g: int(np.sum(every == g) - np.sum(groups == g)) for g in np.unique(every)}
    train = np.isin(groups, ["m0", "m1", "m2", "m3"])
    test = ~train
    n_scored = int(sum(max(np.sum(groups == g) - N_POOL, 0) for g in np.unique(groups[test])))
    print(f"input {args.input}: {len(y)} pairs, {int(train.sum())} train, {n_scored} scored; "
          f"dropped without a face: {dropped}", flush=True)
    results = json.loads(args.output.read_text()) if args.output.is_file() else {}
    results.setdefault("variants", {})
    for name in args.variants:
        result = run_variant(name, args.seeds, args.epochs, x, y, groups, train, test)
        flag = "" if args.input == "haar" else f"--input {args.input} "
        result["command"] = (f".venv/bin/python benchmarks/bn_real_frames.py {flag}--variants "
                             f"{name} --seeds {' '.join(map(str, args.seeds))} "
                             f"--epochs {args.epochs}")
        result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
        result["input"] = INPUTS[args.input]
        result["pairs"] = {"train": int(train.sum()), "scored": n_scored,
                           "dropped_without_face": dropped}
        # another length is another cell (strong augmentation may need longer training)
        key = name if args.epochs == 40 else f"{name}_epochs{args.epochs}"
        results["variants"][key if args.input == "haar" else f"{args.input}/{key}"] = result
        results["protocol"] = (
            "gaze_models.py part e: webcam-crops-dev frame i+1 with dot i, left-eye crop 45x45 "
            "RGB (or each cell's 'input'), m0..m5 = pairs 0-99, ..., 500-598 (pairs without a "
            "face dropped for the MediaPipe inputs); train m0-m3; in m4 and m5 the first 16 "
            "frames calibrate (labels unused), the rest are scored (167 frames with every "
            "frame); resnet, batch 32, one thread; train_seconds are CPU seconds")
        with atomic_write(args.output, "w") as handle:   # the project's one way to write
            handle.write(json.dumps(results, indent=1) + "\n")
        for tag, cells in result["mean_over_seeds"].items():
            print(f"{name:20s} {tag:9s} " + "  ".join(
                f"{cell} {v['pct']:.1f} % / {v['px']:.0f}" for cell, v in cells.items()))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
