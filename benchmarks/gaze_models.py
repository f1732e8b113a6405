"""Gaze CNNs and calibration: synthetic measurement experiment, ETRA 2021 eye_left, webcam crops,
latency. Prints tables and writes ``benchmarks/results/gaze_models.json`` (parts merge into it).

Parts (``--part a b c d``):

a  synthetic eyes (``--persons`` x 3 measurements x 100 frames, seed 0): baseline (random
   batches) vs per-measurement BN vs stored BN profile (k frames) vs few-point affine (k points)
   and combinations, for unfamiliar people (split by person) and unfamiliar measurements (split
   by measurement). In each test measurement the first 16 frames are the calibration pool
   (first k of them used) and frames 16..99 are evaluated, the same frames for every method.
b  ETRA 2021 ``eye_left`` (200 images): random 85/15 split (seed 0) and 5-fold CV, MAE in px.
c  ``webcam-crops-dev``: first 480 rows train, last 120 test, with the rows paired as given
   (lag 0, 9-channel stack only) and with frame i+1 paired with target i (lag 1): one eye
   (left crop) vs two eyes (6-channel stack; separate-branch ``multi``) vs two eyes + face
   (9-channel stack; separate-branch ``multi``), error and training seconds of each.
d  single-frame latency on one thread.
e  BN calibration on real frames (issue 16): ``webcam-crops-dev`` (frame i+1 with target i, the
   left-eye crop 45x45 RGB) cut into 6 measurements of about 100 consecutive frames; train on
   measurements 0-3, then in each of measurements 4 and 5 ("an unfamiliar measurement") the
   first 16 frames are the calibration pool (first k = 5, 9, 16 used) and frames 16.. are
   scored, the same frames for every method (the protocol of part a). Baseline (random
   batches) vs BN model (batches of one measurement) with per-measurement BN, a stored BN
   profile, the affine and both, over ``--seeds``; and a BN model pre-trained on synthetic eyes
   made to look like the crops (45x45 RGB, eye 75 % of the width, rendered at a third of the
   resolution and upscaled, not mirrored), calibrated as it is and after fine-tuning on
   measurements 0-3.
f  ``gaze train`` configurations for the defaults (issue 16): architecture, epochs, early
   stopping on a held-out part (the later rows), refit, augmentation, crops, batch size on
   ``webcam-crops-dev``: the lag found by ``detect_frame_lag`` on rows 0-479 only, train on the
   pairs whose targets are rows 0-479, test on the later ones (as the hidden test: early rows
   train, later frames test).
g  the same configurations on ETRA 2021 ``eye_left``: random 85/15 split (seed 0, as the
   tutorial); the held-out part for early stopping is random training images.

Example: .venv/bin/python benchmarks/gaze_models.py --part a --persons 24 --epochs 12
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from gazelearn.appearance import AffineCalibration, GazeRegressor, load_gaze_data
from gazelearn.metrics import error_deg, error_pct_normalized, error_px

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "benchmarks" / "results" / "gaze_models.json"
KS = (5, 9, 16)


def errors(true_px, pred_px, screen) -> dict:
    out = {"pct": float(np.mean(error_pct_normalized(true_px, pred_px, screen))),
           "px": float(np.mean(error_px(true_px, pred_px)))}
    if getattr(screen, "has_geometry", False):
        out["deg"] = float(np.mean(error_deg(true_px, pred_px, screen)))
    return out


def calibration_frames(groups: np.ndarray, n_pool: int = 16) -> np.ndarray:
    """Position of each frame within its measurement (frames come in recording order)."""
    position = np.zeros(len(groups), dtype=int)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        position[rows] = np.arange(len(rows))
    return position


def evaluate_synthetic(base: GazeRegressor, bnm: GazeRegressor, images, targets, groups,
                       screen) -> dict:
    position = calibration_frames(groups)
    evaluate = position >= 16
    results: dict[str, list] = {}

    def add(name, pred, rows):
        results.setdefault(name, []).append((targets[rows], pred))

    for g in np.unique(groups):
        rows = np.flatnonzero((groups == g) & evaluate)
        pool = np.flatnonzero(groups == g)[:16]
        x = images[rows]
        for model, tag in ((base, "baseline"), (bnm, "bn_model")):
            model.reset_calibration()
            add(f"{tag}", model.predict(x), rows)
        add("per_measurement_bn", bnm.predict(x, groups=np.full(len(rows), g)), rows)
        base.reset_calibration()
        add("baseline_batch_bn", base.predict(x, groups=np.full(len(rows), g)), rows)
        for k in KS:
            cal = pool[:k]
            for model, tag in ((base, "baseline"), (bnm, "bn_model")):
                model.calibrate(images[cal], targets[cal], bn=False, affine=True)
                add(f"{tag}+affine_k{k}", model.predict(x), rows)
                model.calibrate(images[cal], bn=True, affine=False)
                add(f"{tag}+profile_k{k}", model.predict(x), rows)
                model.calibrate(images[cal], targets[cal], bn=True, affine=True)
                add(f"{tag}+profile+affine_k{k}", model.predict(x), rows)
            # affine on top of per-measurement BN outputs (batch statistics of the test frames)
            bnm.reset_calibration()
            out_all = bnm.predict(images[np.concatenate([cal, rows])],
                                  groups=np.full(len(cal) + len(rows), g))
            fix = AffineCalibration(alpha=1e-3).fit(out_all[:k] / screen_size(screen),
                                                    targets[cal] / screen_size(screen))
            add(f"per_measurement_bn+affine_k{k}",
                fix.transform(out_all[k:] / screen_size(screen)) * screen_size(screen), rows)
        base.reset_calibration()
        bnm.reset_calibration()
    summary = {}
    for name, parts in results.items():
        true = np.concatenate([p[0] for p in parts])
        pred = np.concatenate([p[1] for p in parts])
        summary[name] = errors(true, pred, screen)
    return summary


def screen_size(screen) -> np.ndarray:
    return np.array([screen.width_px, screen.height_px], float)


def part_a(args) -> dict:
    from gazelearn.simulate.eyes import simulate_eye_dataset

    start = time.perf_counter()
    data = simulate_eye_dataset(args.persons, 3, 100, seed=0)
    images = data.images
    targets, groups, person = data.targets_px, data.measurement.astype(str), data.person
    screen = data.screen
    rng = np.random.default_rng(0)
    persons = rng.permutation(args.persons)
    n_test = max(2, args.persons // 4)
    test_persons = persons[:n_test]
    splits = {
        "unfamiliar_people": np.isin(person, test_persons),
        "unfamiliar_measurements": np.array([m.endswith("_m2") for m in groups]),
    }
    out = {"data": f"simulate_eye_dataset({args.persons}, 3, 100, seed=0), 64x36 grayscale",
           "model": args.model, "epochs": args.epochs, "seed": 0,
           "test_persons": sorted(int(p) for p in test_persons),
           "protocol": "per test measurement: frames 0..15 calibration pool (first k used), "
                       "frames 16..99 evaluated; errors are means over evaluated frames"}
    for split, test in splits.items():
        train = ~test
        models = {}
        for calibration in ("none", "bn"):
            t0 = time.perf_counter()
            models[calibration] = GazeRegressor(
                args.model, epochs=args.epochs, calibration=calibration,
                screen_size=(screen.width_px, screen.height_px), num_threads=1,
                progress=False, seed=0).fit(images[train], targets[train], groups=groups[train])
            seconds = time.perf_counter() - t0
            out.setdefault("train_seconds", {})[f"{split}/{calibration}"] = seconds
            print(f"{split}: trained calibration={calibration} in {seconds:.0f} s", flush=True)
        result = evaluate_synthetic(models["none"], models["bn"], images[test], targets[test],
                                    groups[test], screen)
        out[split] = result
        print_table(split, result)
    out["seconds"] = time.perf_counter() - start
    return out


def print_table(title: str, result: dict) -> None:
    print(f"\n{title}\n{'method':38s} {'% screen':>9s} {'px':>8s} {'deg':>6s}")
    for name, e in result.items():
        print(f"{name:38s} {e['pct']:9.2f} {e['px']:8.1f} {e.get('deg', float('nan')):6.2f}")


def mae_px(true, pred) -> float:
    return float(np.mean(np.abs(np.asarray(true) - np.asarray(pred))))


def part_b(args) -> dict:
    from sklearn.model_selection import KFold

    from gazelearn.splits import random_split

    data = load_gaze_data(DATA / "etra2021" / "eye_left")
    x, y = data.images, data.targets_px
    size = (1366.0, 768.0)
    out = {"data": "etra2021/eye_left (200 images, resized to 43x43, the most common size)",
           "screen_px": size, "epochs": args.epochs_b, "seed": 0}
    for model in args.models_b:
        split = random_split(len(x), test_size=0.15, seed=0)
        train, test = np.asarray(split[0]), np.asarray(split[1])
        t0 = time.perf_counter()
        reg = GazeRegressor(model, epochs=args.epochs_b, batch_size=16, screen_size=size,
                            num_threads=1, progress=False, seed=0).fit(x[train], y[train])
        seconds = time.perf_counter() - t0
        pred = reg.predict(x[test])
        entry = {"holdout_85_15": {"mae_px": mae_px(y[test], pred),
                                   "euclid_px": float(np.mean(error_px(y[test], pred))),
                                   "n_test": int(len(test)), "seconds": seconds}}
        folds, fold_seconds = [], []
        for tr, te in KFold(5, shuffle=True, random_state=0).split(x):
            t0 = time.perf_counter()
            reg = GazeRegressor(model, epochs=args.epochs_b, batch_size=16, screen_size=size,
                                num_threads=1, progress=False, seed=0).fit(x[tr], y[tr])
            fold_seconds.append(time.perf_counter() - t0)
            folds.append(mae_px(y[te], reg.predict(x[te])))
        entry["cv5_mae_px"] = {"mean": float(np.mean(folds)), "folds": folds,
                               "seconds_per_fold": fold_seconds}
        # what predicting the training mean would score (a floor for "learned anything")
        entry["mean_predictor_mae_px"] = mae_px(y[test], np.tile(y[train].mean(0), (len(test), 1)))
        out[model] = entry
        print(f"ETRA eye_left {model}: holdout MAE {entry['holdout_85_15']['mae_px']:.1f} px, "
              f"5-fold MAE {entry['cv5_mae_px']['mean']:.1f} px "
              f"(mean predictor {entry['mean_predictor_mae_px']:.1f} px)", flush=True)
    return out


# (name, network, model options, crops, image size): the part (c) comparison on webcam crops
WEBCAM_VARIANTS = (
    ("stack_9ch", "resnet", None, ("face", "left", "right"), 45),
    ("one_eye_left", "resnet", None, ("left",), 45),
    ("two_eyes_stack_6ch", "resnet", None, ("left", "right"), 45),
    ("two_eyes_multi", "multi", {"inputs": ["left", "right"]}, ("left", "right"), 64),
    ("two_eyes_face_multi", "multi", {"inputs": ["face", "left", "right"]},
     ("face", "left", "right"), 64),
)


def part_c(args) -> dict:
    from gazelearn.appearance.data import MULTI_SIZE, crop_names

    path = DATA / "webcam-crops-dev" / "eye_data.csv"
    data = {45: load_gaze_data(path), 64: load_gaze_data(path, size=MULTI_SIZE)}
    names = crop_names(data[45].columns)
    y = data[45].targets_px
    size = (1920.0, 1080.0)
    out = {"data": "webcam-crops-dev/eye_data.csv: face 190x190, left and right eye 45x45 RGB "
                   "crops; resnet variants: crops resized to 45x45 and stacked as channels; "
                   "multi variants: crops resized to 64x64 (MULTI_SIZE), shared eye branch "
                   "(right eye mirrored) + face branch, features concatenated, dense head",
           "split": "rows 0..479 train, 480..599 test (lag 1: frame i+1 with target i, so "
                    "479 train rows)", "epochs": args.epochs_c, "seed": 0,
           "threads": 1, "seconds": "training time of each model (fit only, one thread)"}

    def run(name, model, options, crops, side, lag):
        channels = np.concatenate([np.arange(3) + 3 * names.index(c) for c in crops])
        x = data[side].images[:, channels]
        xs, ys = (x, y) if lag == 0 else (x[1:], y[:-1])
        train, test = np.arange(0, 480 - lag), np.arange(480 - lag, len(ys))
        t0 = time.perf_counter()
        reg = GazeRegressor(model, options, epochs=args.epochs_c, batch_size=32,
                            screen_size=size, num_threads=1, progress=False,
                            seed=0).fit(xs[train], ys[train])
        seconds = time.perf_counter() - t0
        pred = reg.predict(xs[test])
        mean_pred = np.tile(ys[train].mean(0), (len(test), 1))
        result = {"model": model, "model_options": options, "crops": list(crops),
                  "input": f"{len(channels)}x{side}x{side}",
                  "px": float(np.mean(error_px(ys[test], pred))),
                  "pct": float(np.mean(error_pct_normalized(ys[test], pred, size))),
                  "mean_predictor_px": float(np.mean(error_px(ys[test], mean_pred))),
                  "seconds": seconds,
                  "parameters": int(sum(p.numel() for p in reg.network_.parameters())),
                  "n_train": int(len(train)), "n_test": int(len(test))}
        print(f"webcam lag {lag} {name}: {result['px']:.0f} px, {result['pct']:.1f} %, "
              f"{seconds:.0f} s", flush=True)
        return result

    stack = WEBCAM_VARIANTS[0]
    out["lag0"] = run(*stack, lag=0)
    out["lag1"] = {name: run(name, *rest, lag=1) for name, *rest in WEBCAM_VARIANTS}
    return out


def part_d(args) -> dict:
    from gazelearn.appearance.models import resnet_small, tutorial_cnn

    torch.set_num_threads(1)
    out = {"threads": 1, "input": "1x1x36x64", "statistic": "median of 300 runs, ms"}
    for name, net in (("tutorial", tutorial_cnn(1)), ("resnet", resnet_small(1))):
        net.eval()
        x = torch.randn(1, 1, 36, 64)
        times = []
        with torch.inference_mode():
            for _ in range(30):
                net(x)
            for _ in range(300):
                t0 = time.perf_counter()
                net(x)
                times.append(time.perf_counter() - t0)
        out[name] = {"ms": 1000 * float(np.median(times)),
                     "parameters": int(sum(p.numel() for p in net.parameters()))}
        print(f"latency {name}: {out[name]}")
    return out


def webcam_left_eye(lag: int = 1):
    """``webcam-crops-dev``'s left-eye crops (45x45 RGB) paired with ``lag``, in row order."""
    from gazelearn.appearance.data import crop_names
    from gazelearn.appearance.lag import lag_pairs

    data = load_gaze_data(DATA / "webcam-crops-dev" / "eye_data.csv")
    left = crop_names(data.columns).index("left")
    image_rows, target_rows = lag_pairs(len(data), lag)
    return data.images[image_rows][:, 3 * left:3 * left + 3], data.targets_px[target_rows]


def realistic_synthetic(n_persons: int, seed: int = 0):
    """Synthetic eyes made to look like the webcam's Haar crops: 45x45 RGB, eye 75 % of the
    width, rendered at a third of the resolution and upscaled (blur), not mirrored."""
    import torch.nn.functional as F

    from gazelearn.appearance.data import images_to_array
    from gazelearn.simulate.eyes import simulate_eye_dataset

    data = simulate_eye_dataset(n_persons, 3, 100, image_size=(45, 45), color=True, seed=seed,
                                eye_fraction=0.75)
    x = torch.as_tensor(images_to_array(data.images))
    x = F.interpolate(F.interpolate(x, size=(15, 15), mode="area"), size=(45, 45),
                      mode="bilinear", align_corners=False)
    return torch.flip(x, dims=(3,)).numpy(), data.targets_px, data.measurement.astype(str)


def part_e(args) -> dict:
    from gazelearn.screen import Screen

    screen = Screen(1920, 1080)
    size = (1920.0, 1080.0)
    x, y = webcam_left_eye(lag=1)
    groups = np.array([f"m{i // 100}" for i in range(len(y))])
    train = np.isin(groups, ["m0", "m1", "m2", "m3"])
    test = ~train
    out = {"data": "webcam-crops-dev/eye_data.csv, frame i+1 with target i (599 pairs), left-eye "
                   "crop 45x45 RGB; measurements m0..m5 = pairs 0-99, 100-199, ..., 500-598",
           "split": "train on m0-m3 (400 frames); test m4 and m5: frames 0-15 of each are the "
                    "calibration pool (first k used), frames 16.. scored (84 + 83 frames)",
           "model": "resnet", "epochs": args.epochs_e, "seeds": args.seeds, "threads": 1}
    runs = []
    seconds = {}
    for seed in args.seeds:
        models = {}
        for calibration in ("none", "bn"):
            t0 = time.perf_counter()
            models[calibration] = GazeRegressor(
                "resnet", epochs=args.epochs_e, calibration=calibration, screen_size=size,
                num_threads=1, progress=False, seed=seed).fit(x[train], y[train],
                                                              groups=groups[train])
            seconds[f"seed{seed}/{calibration}"] = time.perf_counter() - t0
        runs.append(evaluate_synthetic(models["none"], models["bn"], x[test], y[test],
                                       groups[test], screen))
        print(f"seed {seed}: baseline {runs[-1]['baseline']['px']:.0f} px, per-measurement BN "
              f"{runs[-1]['per_measurement_bn']['px']:.0f} px", flush=True)
    out["train_seconds"] = seconds
    out["per_seed"] = runs
    out["mean_over_seeds"] = {name: {key: float(np.mean([r[name][key] for r in runs]))
                                     for key in runs[0][name]} for name in runs[0]}
    print_table("real frames, unfamiliar measurement (mean over seeds)", out["mean_over_seeds"])
    # pre-training on synthetic eyes, then calibrating / fine-tuning on the person
    t0 = time.perf_counter()
    sx, sy, sg = realistic_synthetic(args.persons_e)
    pre = GazeRegressor("resnet", epochs=args.epochs_pre, calibration="bn",
                        screen_size=size, num_threads=1, progress=False,
                        seed=0).fit(sx, sy, groups=sg)
    seconds["pretrain"] = time.perf_counter() - t0
    baseline = GazeRegressor("resnet", epochs=args.epochs_e, screen_size=size, num_threads=1,
                             progress=False, seed=0).fit(x[train], y[train])
    out["pretrained_as_is"] = evaluate_synthetic(baseline, pre, x[test], y[test], groups[test],
                                                 screen)
    t0 = time.perf_counter()
    tuned = pre.set_params(warm_start=True, epochs=args.epochs_e)
    tuned.fit(x[train], y[train], groups=groups[train])
    seconds["fine_tune"] = time.perf_counter() - t0
    out["pretrained_fine_tuned"] = evaluate_synthetic(baseline, tuned, x[test], y[test],
                                                      groups[test], screen)
    out["pretraining"] = (f"realistic_synthetic({args.persons_e}): simulate_eye_dataset("
                          f"{args.persons_e}, 3, 100, image_size=(45, 45), color=True, "
                          f"eye_fraction=0.75, seed=0), area-downsampled to 15x15, bilinear "
                          f"back to 45x45, flipped left-right; {args.epochs_pre} epochs, "
                          f"calibration='bn'; fine-tuning: warm_start, {args.epochs_e} epochs "
                          f"on m0-m3, calibration='bn'")
    print_table("pre-trained on synthetic, as is", out["pretrained_as_is"])
    print_table("pre-trained on synthetic, fine-tuned", out["pretrained_fine_tuned"])
    return out


# (name, GazeRegressor arguments, crops, lag): the configurations of parts f and g; "lag": None
# is the lag detect_frame_lag finds; "defaults" is gaze train's TRAIN_DEFAULTS
def _configurations() -> list[tuple[str, dict, str]]:
    from gazelearn.cli.gaze_commands import TRAIN_DEFAULTS as D

    early = {"validation_fraction": 0.15, "patience": 10}
    return [
        ("before: resnet, 20 epochs, all crops, rows as given", {"epochs": 20}, "all", 0),
        ("resnet, 20 epochs", {"epochs": 20}, "left", None),
        ("resnet, 40 epochs", {"epochs": 40}, "left", None),
        ("resnet, 60 epochs", {"epochs": 60}, "left", None),
        ("resnet, <=60 epochs, early stopping (15 % held out, patience 10)",
         {"epochs": 60, **early}, "left", None),
        ("resnet, <=60 epochs, early stopping, refit", {"epochs": 60, **early, "refit": True},
         "left", None),
        ("resnet, <=60 epochs, early stopping, refit, batch 16",
         {"epochs": 60, **early, "refit": True, "batch_size": 16}, "left", None),
        ("resnet, <=60 epochs, early stopping, refit, no augmentation",
         {"epochs": 60, **early, "refit": True, "augment": False}, "left", None),
        ("tutorial CNN, <=60 epochs, early stopping, refit",
         {"architecture": "tutorial", "epochs": 60, **early, "refit": True}, "left", None),
        ("resnet, <=60 epochs, early stopping, refit, all crops (9 channels)",
         {"epochs": 60, **early, "refit": True}, "all", None),
        ("defaults of gaze train", {"architecture": D["model"], "epochs": D["epochs"],
                                    "validation_fraction": D["validation"],
                                    "patience": D["patience"] or None, "refit": D["refit"],
                                    "augment": D["augment"]}, D["crops"], None),
        # early stopping on the held-out error fights the cosine schedule (the error falls
        # most in the last, low-rate epochs): held out for the report and the best epoch only
        ("resnet, 60 epochs, 15 % held out (best epoch, no early stopping), refit",
         {"epochs": 60, "validation_fraction": 0.15, "refit": True}, "left", None),
        # the best cell of bn_real_frames.py: each crop standardised on its own (benchmark-side)
        ("defaults of gaze train, each crop standardised on its own",
         {"architecture": D["model"], "epochs": D["epochs"], "validation_fraction":
          D["validation"], "patience": D["patience"] or None, "refit": D["refit"],
          "augment": D["augment"], "per_image": True}, D["crops"], None),
    ]


def _run_configurations(x_all, y_all, columns, train, test, size, split, lag_source,
                        names=None, save=None) -> dict:
    """Train every configuration on ``train`` and score it on ``test`` (px, % of screen).

    ``save(results)`` is called after each configuration (a long run keeps what it did)."""
    from gazelearn.appearance.data import crop_names
    from gazelearn.appearance.lag import detect_frame_lag, lag_pairs

    out = {}
    for number, (name, params, crops, lag) in enumerate(_configurations(), start=1):
        if names and str(number) not in names and name not in names:
            continue
        if columns is None and (name == "resnet, 20 epochs" or (
                crops == "all" and not name.startswith("before"))):
            continue  # one image column: "all crops" and "resnet, 20 epochs" repeat others
        if crops == "all" or columns is None:
            x = x_all
        else:
            i = crop_names(columns).index(crops)
            x = x_all[:, 3 * i:3 * i + 3]
        search = None
        if lag is None and lag_source:
            search = detect_frame_lag(x[train], y_all[train], screen_size=size)
            lag = search.lag
        lag = lag or 0
        image_rows, target_rows = lag_pairs(len(y_all), lag)
        # a pair belongs to the side of its target row
        tr = np.isin(target_rows, train)
        te = np.isin(target_rows, test)
        xs, ys = x[image_rows], y_all[target_rows]
        t0 = time.perf_counter()
        params = {"batch_size": 32, **params}
        if params.get("per_image"):
            from bn_real_frames import per_image

            xs = per_image(xs)
        reg = GazeRegressor(**{"architecture": "resnet", **{k: v for k, v in params.items()
                                                             if k != "per_image"}},
                            screen_size=size,
                            validation_split=split, num_threads=1, progress=False,
                            seed=0).fit(xs[tr], ys[tr])
        seconds = time.perf_counter() - t0
        pred = reg.predict(xs[te])
        out[name] = {"params": params, "crops": crops, "lag": lag,
                     "lag_search": search.to_dict() if search else None,
                     "px": float(np.mean(error_px(ys[te], pred))),
                     "pct": float(np.mean(error_pct_normalized(ys[te], pred, size))),
                     "mae_px": mae_px(ys[te], pred), "held_out": reg.validation_,
                     "epochs_run": len(reg.history_), "seconds": seconds,
                     "n_train": int(tr.sum()), "n_test": int(te.sum())}
        print(f"{name}: {out[name]['px']:.1f} px, {out[name]['pct']:.2f} %, MAE "
              f"{out[name]['mae_px']:.1f} px, {seconds:.0f} s", flush=True)
        if save is not None:
            save(out)
    return out


def _saver(args, key: str, head: dict):
    """Merge ``head`` and each configuration's result into ``args.output`` under ``key``
    (configurations of earlier runs with other ``--configs`` stay)."""
    def save(results: dict) -> None:
        everything = json.loads(args.output.read_text()) if args.output.is_file() else {}
        entry = everything.get(key, {})
        entry.update(head)
        entry["results"] = {**entry.get("results", {}), **results}
        entry.setdefault("commands", {}).update({name: _command(args, key) for name in results})
        everything[key] = entry
        args.output.write_text(json.dumps(everything, indent=1) + "\n")
    return save


def _command(args, key: str) -> str:
    part = {"train_defaults_webcam": "f", "train_defaults_etra": "g"}[key]
    configs = " ".join(f"'{c}'" for c in args.configs or [])
    return (f"python benchmarks/gaze_models.py --part {part}"
            + (f" --configs {configs}" if configs else ""))


def part_f(args) -> dict:
    data = load_gaze_data(DATA / "webcam-crops-dev" / "eye_data.csv")
    rows = np.arange(len(data))
    out = {"data": "webcam-crops-dev/eye_data.csv (600 rows; crops 45x45 RGB)",
           "split": "pairs whose target row is 0-479 train, the later ones test; the lag is "
                    "found on rows 0-479 only; held-out part for early stopping: the last 15 % "
                    "of the training pairs", "seed": 0, "threads": 1, "screen_px": [1920, 1080]}
    out["results"] = _run_configurations(data.images, data.targets_px, data.columns,
                                         rows[:480], rows[480:], (1920.0, 1080.0), "last",
                                         True, args.configs,
                                         _saver(args, "train_defaults_webcam", out))
    return out


def part_g(args) -> dict:
    from gazelearn.splits import random_split

    data = load_gaze_data(DATA / "etra2021" / "eye_left")
    split = random_split(len(data), test_size=0.15, seed=0)
    out = {"data": "etra2021/eye_left (200 images, resized to 43x43)",
           "split": "random 85/15 (seed 0); held-out part for early stopping: 15 % random "
                    "training images", "seed": 0, "threads": 1, "screen_px": [1366, 768]}
    out["results"] = _run_configurations(data.images, data.targets_px, None,
                                         np.asarray(split[0]), np.asarray(split[1]),
                                         (1366.0, 768.0), "random", False, args.configs,
                                         _saver(args, "train_defaults_etra", out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", nargs="+", default=["a", "b", "c", "d"])
    parser.add_argument("--persons", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--epochs-b", type=int, default=60)
    parser.add_argument("--epochs-c", type=int, default=40)
    parser.add_argument("--epochs-e", type=int, default=40)
    parser.add_argument("--epochs-pre", type=int, default=8)
    parser.add_argument("--persons-e", type=int, default=12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--model", default="resnet")
    parser.add_argument("--models-b", nargs="+", default=["resnet", "tutorial"])
    parser.add_argument("--configs", nargs="*", default=None,
                        help="parts f, g: only these configurations (numbers from 1, or names)")
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    parts = {"a": part_a, "b": part_b, "c": part_c, "d": part_d, "e": part_e, "f": part_f,
             "g": part_g}
    names = {"a": "synthetic_measurements", "b": "etra2021_eye_left", "c": "webcam_crops",
             "d": "latency", "e": "bn_calibration_real_frames", "f": "train_defaults_webcam",
             "g": "train_defaults_etra"}
    for part in args.part:
        result = {**parts[part](args), "command": (
            "python benchmarks/gaze_models.py " + " ".join(
                f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
                for k, v in vars(args).items() if k not in ("part", "output"))
            + f" --part {part}")}
        # read just before writing: parts run in parallel processes merge into one file
        results = json.loads(args.output.read_text()) if args.output.is_file() else {}
        if part in "fg":  # merged configuration by configuration (see _saver)
            result = {**results.get(names[part], {}), **{k: v for k, v in result.items()
                                                         if k != "results"}}
        results[names[part]] = result
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
