#!/usr/bin/env python
"""The eyeball geometry blended with eye-crop CNNs after a large calibration (issue 16).

The issue's second goal is the error after 9 points plus 30 s of smooth pursuit, a calibration
of several hundred labelled frames; its stand-in on ``webcam-crops-dev`` is all 479 pool frames
(``benchmarks/webcam_calibration.py``: frame i+1 paired with dot i, pool = the first 479
pairs, test = the last 120 pairs, landmarks averaged with the mirror's as ``track`` does by
default). With that many frames :class:`gazelearn.webcam.HybridGazeMapper` trains ``networks``
CNNs on the eye crops beside the geometry and blends them per axis.

Everything it chooses is chosen **on the pool only**: each of 4 contiguous quarters is held
out in turn, the mapper is fitted on the other three (the geometry and each CNN), and the
held-out errors of the geometry, of the CNNs' mean and of every per-axis blend weight
(0, 0.1, ..., 1 on x and on y) are measured on the held-out frames MediaPipe does not call
blinks (``track`` loses those). The weights with the lowest pool error are the
default (:data:`gazelearn.webcam.hybrid_mapper.DEFAULT_WEIGHTS`); the test is then reported
once, for the mapper fitted on the whole pool with those weights. ``--eyes`` compares the
CNNs' inputs (``left``, ``right``, ``both``: two channels); ``--networks`` and ``--epochs``
the CNNs' number and training (by default the mapper's). The JSON keeps each quarter's
held-out error (``by_fold_px``: at the best weights, at the default weights, the geometry, the
CNNs), the fits' CPU and wall seconds; ``--predictions`` also saves the held-out predictions
(geometry, the CNNs' mean and every network's own) to compare variants frame by frame or
seed subsets of one run (training is deterministic: seed s gives the same network whatever
``--networks`` is).

``--rescore-geometry NPZ`` blends the CNN predictions saved by ``--predictions`` (pool folds
and test) with the geometry refitted under other parameters on the same folds
(``--geometry-alpha``: the penalty of its ridge stage, which acts from 100 frames, and
``none``: no ridge stage); the CNNs do not depend on the geometry, so no network is trained
again, and the weights are chosen on the pool as above.

With ``--cli`` it also runs ``gazelearn track --calibrate`` on the file with its defaults,
as a user would (calibrated on the first 80 % of the targets, validated on the last 20 %);
with ``--latency`` it times ``Tracker.step`` with the fitted profile on one core.

Usage::

    .venv/bin/python benchmarks/webcam_hybrid.py --eyes left both   # ~12 / ~22 min of CPU
    .venv/bin/python benchmarks/webcam_hybrid.py --eyes --cli --latency   # the defaults only
    .venv/bin/python benchmarks/webcam_hybrid.py --networks 5 --output /tmp/n5.json \
        --predictions /tmp/n5   # a variant, its held-out predictions in /tmp/n5.both.npz
    .venv/bin/python benchmarks/webcam_hybrid.py --rescore-geometry /tmp/n5.both.npz \
        --output /tmp/rescore.json   # geometry variants on the saved networks' predictions
    .venv/bin/python benchmarks/webcam_hybrid.py --eyes --latency --cores 1 2 --epochs 5 \
        --output /tmp/latency.json   # latency only: the networks' size, not their epochs, sets it

Prints the tables and writes ``benchmarks/results/webcam_hybrid.json``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _report import report_header, write_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
import webcam_calibration as wc  # noqa: E402
import webcam_geometry as wg  # noqa: E402

DEFAULT_OUTPUT = wc.REPO / "benchmarks" / "results" / "webcam_hybrid.json"
GRID = np.round(np.arange(0, 1.01, 0.1), 2)


def rows_with_crops(data: dict, eyes: str) -> np.ndarray:
    """The mapper's rows (geometry part, then crop pixels) of the lag-paired frames."""
    from gazelearn.webcam import HybridGazeMapper

    mapper = HybridGazeMapper(eyes=eyes)
    crops = mapper._crops()
    out = []
    for face, frame, geometry in zip(data["faces"], data["images"], data["rows"], strict=True):
        pixels = (crops.frame_input(face, frame) if face is not None
                  else np.full(crops.input_size, np.nan))
        out.append(np.concatenate([geometry, pixels]))
    return np.array(out)


def mapper(eyes: str, networks: int, epochs: int, weights=None):
    from gazelearn.screen import Screen
    from gazelearn.webcam import HybridGazeMapper
    from gazelearn.webcam.hybrid_mapper import DEFAULT_WEIGHTS

    return HybridGazeMapper(screen=Screen(*wg.SCREEN).to_dict(), eyes=eyes, networks=networks,
                            epochs=epochs, weights=DEFAULT_WEIGHTS if weights is None
                            else weights)


def _defaults() -> dict:
    from gazelearn.webcam import HybridGazeMapper

    return HybridGazeMapper().get_params()


HYBRID_DEFAULTS = _defaults()


def _default_weights() -> list[float]:
    return [float(w) for w in HYBRID_DEFAULTS["weights"]]


def pool_predictions(rows, targets, pool, eyes, networks, epochs) -> dict:
    """Held-out predictions of the geometry and of the CNNs' mean, 4 contiguous folds."""
    geometry = np.full((len(targets), 2), np.nan)
    cnn = np.full((len(targets), 2), np.nan)
    fold = np.full(len(targets), -1)
    each = np.full((networks, len(targets), 2), np.nan)  # every network's own prediction
    seconds, wall = [], []
    for k, held in enumerate(np.array_split(pool, 4)):
        rest = np.setdiff1d(pool, held)
        t0, w0 = time.process_time(), time.perf_counter()
        fitted = mapper(eyes, networks, epochs).set_params(min_frames=1).fit(rows[rest],
                                                                             targets[rest])
        seconds.append(time.process_time() - t0)
        wall.append(time.perf_counter() - w0)
        geometry[held] = fitted.geometry_.predict(rows[held, :fitted.landmark_columns])
        cnn[held] = fitted._networks_mean(rows[held])
        fold[held] = k
        for i, network in enumerate(fitted.networks_):
            each[i, held] = network.predict(rows[held, fitted.landmark_columns:])
        print(f"  {eyes}: fold from pair {held[0]}: {seconds[-1]:.0f} s CPU, {wall[-1]:.0f} s "
              "wall", flush=True)
    return {"geometry": geometry, "cnn": cnn, "fold": fold, "networks": each,
            "fit_cpu_s": seconds,
            "fit_wall_s": wall}


def _mean_px(pred, true) -> float:
    return float(np.nanmean(np.hypot(*(pred - true).T)))


def choose_weights(pred: dict, targets, pool, blink) -> dict:
    """Pool error of every per-axis blend (frames MediaPipe calls blinks left out, as
    ``track`` loses them: ``webcam_error._cv``'s rule); the best pair."""
    pool = pool[~blink[pool]]
    geometry, cnn, true = pred["geometry"][pool], pred["cnn"][pool], targets[pool]
    table = {}
    for wx in GRID:
        for wy in GRID:
            w = np.array([wx, wy])
            table[f"{wx:.1f},{wy:.1f}"] = _mean_px((1 - w) * geometry + w * cnn, true)
    best = min(table, key=table.get)
    fold = pred["fold"][pool]

    def by_fold(w) -> list[float]:  # the fold-to-fold spread of a blend's held-out error
        blend = (1 - np.asarray(w)) * geometry + np.asarray(w) * cnn
        return [_mean_px(blend[fold == k], true[fold == k]) for k in range(4)]

    return {"pool_px": table, "best": [float(v) for v in best.split(",")],
            "best_pool_px": table[best], "geometry_pool_px": table["0.0,0.0"],
            "cnn_pool_px": table["1.0,1.0"],
            "by_fold_px": {"best": by_fold([float(v) for v in best.split(",")]),
                           "default_weights": by_fold(_default_weights()),
                           "geometry": by_fold([0.0, 0.0]), "cnn": by_fold([1.0, 1.0])},
            "error_correlation_x_y": [float(np.corrcoef((geometry - true)[:, a],
                                                        (cnn - true)[:, a])[0, 1])
                                      for a in (0, 1)]}


def rescore_geometry(saved: Path, data: dict, alphas: list[str]) -> dict:
    """The geometry with each ridge-stage penalty in ``alphas`` (``none``: no ridge stage)
    refitted on the saved run's folds and blended with its saved CNN predictions: pool error
    of every weight pair, the best, per quarter, and the test at the pool's best."""
    needed = ("pool", "test", "targets", "fold", "cnn", "test_cnn")
    try:
        z = np.load(saved)
        missing = [k for k in needed if k not in z.files]
    except (OSError, ValueError, EOFError) as error:
        raise SystemExit(f"error: {saved}: not a --predictions file of this script "
                         f"({error})") from None
    if missing:
        raise SystemExit(f"error: {saved}: not a --predictions file of this script (no "
                         f"{', '.join(missing)})")
    pool, test, targets, fold = z["pool"], z["test"], z["targets"], z["fold"]
    rows = data["rows"]
    if len(rows) != len(targets) or not np.allclose(data["targets"], targets):
        raise SystemExit(f"error: {saved} was saved from other data than --data")
    blink = wc.blink_flags(data)
    out = {}
    for alpha in alphas:
        params = {"second_stage": "none"} if alpha == "none" else {"alpha": float(alpha)}
        held = np.full((len(targets), 2), np.nan)
        for k in range(4):
            part = pool[fold[pool] == k]
            rest = np.setdiff1d(pool, part)
            held[part] = wg.mapper(**params).fit(rows[rest], targets[rest]).predict(rows[part])
        chosen = choose_weights({"geometry": held, "cnn": z["cnn"], "fold": fold}, targets,
                                pool, blink)
        whole = wg.mapper(**params).fit(rows[pool], targets[pool])
        geometry = whole.predict(rows[test])
        w = np.asarray(chosen["best"])
        out[f"alpha_{alpha}"] = {
            "geometry_params": params,
            "pool": {k: v for k, v in chosen.items() if k != "pool_px"},
            "test": {"geometry": wg.errors(geometry, targets[test]),
                     "blend": wg.errors((1 - w) * geometry + w * z["test_cnn"],
                                        targets[test])}}
        entry = out[f"alpha_{alpha}"]
        print(f"geometry {params}: pool geometry {chosen['geometry_pool_px']:.1f} px, best "
              f"blend {chosen['best']} {chosen['best_pool_px']:.1f} px (quarters "
              + " / ".join(f"{v:.1f}" for v in chosen["by_fold_px"]["best"])
              + f"); test geometry {entry['test']['geometry']['px']:.1f} px, blend "
              f"{entry['test']['blend']['px']:.1f} px / {entry['test']['blend']['pct']:.2f} %",
              flush=True)
    return out


def test_cells(rows, targets, pool, test, eyes, networks, epochs, weights) -> tuple:
    """The mapper fitted on the pool: its test errors, itself, and the test predictions of
    its geometry and of its CNNs' mean (kept by ``--predictions``)."""
    t0, w0 = time.process_time(), time.perf_counter()
    fitted = mapper(eyes, networks, epochs, tuple(weights)).fit(rows[pool], targets[pool])
    fit_s, fit_wall = time.process_time() - t0, time.perf_counter() - w0
    true = targets[test]
    geometry = fitted.geometry_.predict(rows[test, :fitted.landmark_columns])
    # weights (0, 0) train no CNN (a run with very few epochs)
    cnn = (fitted._networks_mean(rows[test]) if fitted.networks_
           else np.full((len(test), 2), np.nan))
    blend = fitted.predict(rows[test])
    out = {"fit_cpu_s": fit_s, "fit_wall_s": fit_wall, "weights": list(weights)}
    for name, pred in (("geometry", geometry), ("cnn_mean", cnn), ("blend", blend)):
        out[name] = wg.errors(pred, true)
    return out, fitted, {"test_geometry": geometry, "test_cnn": cnn}


def run_cli(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        profile = Path(folder) / "p.json"
        command = [str(wc.REPO / ".venv" / "bin" / "gazelearn"), "track", "--calibrate",
                   str(path), "--profile", str(profile), "--screen-px", "1920", "1080"]
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        return {"command": " ".join(["gazelearn", *command[1:5], "p.json", *command[6:]]),
                "exit_code": done.returncode, "output": lines,
                "wall_s": time.perf_counter() - t0}


def latency(fitted, data, test, cores: int = 1) -> dict:
    """``Tracker.step`` with the fitted blend (landmarks with the mirror's, as calibrated), on
    ``cores`` cores (the process and MediaPipe's threads pinned before the tracker starts):
    the test frames twice over, after 5 warm-up frames (the ONNX graph is built on the first),
    ms; the load average before and after (the machine is shared)."""
    import os

    from gazelearn.screen import Screen
    from gazelearn.webcam import CalibrationProfile, Tracker

    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(sorted(cpus)[:cores]))
    load_before = os.getloadavg()
    profile = CalibrationProfile(fitted, Screen(*wg.SCREEN), meta={"mirror": True})
    frames = [data["images"][i] for i in test] * 2
    times = []
    try:
        with Tracker(profile, filter="none") as tracker:
            for frame in frames[:5]:
                tracker.step(0.0, frame)
            for k, frame in enumerate(frames):
                t0 = time.perf_counter()
                tracker.step(k / 30, frame)
                times.append((time.perf_counter() - t0) * 1e3)
    finally:
        os.sched_setaffinity(0, cpus)
    return {"median_ms": float(np.median(times)), "p95_ms": float(np.percentile(times, 95)),
            "frames": len(times), "mirror": True, "cores": cores,
            "load_average_before": list(load_before), "load_average_after": list(os.getloadavg())}


def _penalty(text: str) -> str:
    """A ``--geometry-alpha`` value: a positive number or ``none``."""
    try:
        if text == "none" or float(text) > 0:
            return text
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected a positive number or 'none', got {text!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=wc.DEFAULT_DATA, help="eye_data.csv")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--eyes", nargs="*", default=["both"], choices=["left", "right", "both"],
                        help="the CNNs' inputs to compare (none: only --cli / --latency)")
    parser.add_argument("--networks", type=int, default=HYBRID_DEFAULTS["networks"])
    parser.add_argument("--epochs", type=int, default=HYBRID_DEFAULTS["epochs"])
    parser.add_argument("--predictions", type=Path, default=None,
                        help="also save the pool's held-out predictions (.npz, per --eyes)")
    parser.add_argument("--cli", action="store_true", help="also run track --calibrate")
    parser.add_argument("--latency", action="store_true", help="also time Tracker.step")
    parser.add_argument("--cores", type=int, nargs="+", default=[1],
                        help="cores Tracker.step may use, one latency run each (default 1)")
    parser.add_argument("--rescore-geometry", type=Path, default=None, metavar="NPZ",
                        help="re-blend a --predictions file's CNNs with geometry variants")
    parser.add_argument("--geometry-alpha", nargs="+", type=_penalty,
                        default=["1", "10", "100", "1000", "none"],
                        help="ridge-stage penalties for --rescore-geometry (none: no stage)")
    args = parser.parse_args(argv)
    if args.rescore_geometry is not None:
        data = wc.load_webcam(args.data, mirror=True)
        result = report_header("benchmarks/webcam_hybrid.py", argv, protocol={
            "rescored": str(args.rescore_geometry), "pool_cv": "the saved run's 4 quarters"},
            geometry=rescore_geometry(args.rescore_geometry, data, args.geometry_alpha))
        write_report(args.output, result)
        return 0
    import torch

    torch.set_num_threads(1)
    data = wc.load_webcam(args.data, mirror=True)
    pool, test = wc.pool_and_test(data)
    targets = data["targets"]
    result = report_header("benchmarks/webcam_hybrid.py", argv, protocol={
        "pairing": "frame i+1 with dot i", "pool": int(len(pool)), "test": int(len(test)),
        "landmarks": "frame and mirror averaged (track --tta, the default)",
        "pool_cv": "4 contiguous quarters, fitted on the other three",
        "networks": args.networks, "epochs": args.epochs}, eyes={})
    fitted = None
    for eyes in args.eyes:
        rows = rows_with_crops(data, eyes)
        pred = pool_predictions(rows, targets, pool, eyes, args.networks, args.epochs)
        chosen = choose_weights(pred, targets, pool, wc.blink_flags(data))
        cells, fitted, test_pred = test_cells(rows, targets, pool, test, eyes, args.networks,
                                              args.epochs, chosen["best"])
        entry = {"pool": {k: v for k, v in chosen.items() if k != "pool_px"},
                 "pool_px_by_weights": chosen["pool_px"], "pool_fit_cpu_s": pred["fit_cpu_s"],
                 "pool_fit_wall_s": pred["fit_wall_s"],
                 "test": cells}
        result["eyes"][eyes] = entry
        if args.predictions is not None:  # the test's too: a change of the geometry alone
            # (it never moves the CNNs) is then re-scored on the same networks
            np.savez(args.predictions.with_suffix(f".{eyes}.npz"), pool=pool, test=test,
                     targets=targets, blink=wc.blink_flags(data), **test_pred, **{
                         k: pred[k] for k in ("geometry", "cnn", "fold", "networks")})
        print(f"{eyes}: pool geometry {chosen['geometry_pool_px']:.1f} px, CNNs "
              f"{chosen['cnn_pool_px']:.1f} px, best blend {chosen['best']} "
              f"{chosen['best_pool_px']:.1f} px; test geometry "
              f"{cells['geometry']['px']:.1f} px / {cells['geometry']['pct']:.2f} %, CNNs "
              f"{cells['cnn_mean']['px']:.1f} px / {cells['cnn_mean']['pct']:.2f} %, blend "
              f"{cells['blend']['px']:.1f} px / {cells['blend']['pct']:.2f} % / "
              f"{cells['blend']['deg']:.2f} deg", flush=True)
    if args.latency:  # the last mapper fitted on the pool, else the default one
        if fitted is None:
            fitted = mapper(HYBRID_DEFAULTS["eyes"], args.networks, args.epochs)
            rows = rows_with_crops(data, fitted.eyes)
            fitted.fit(rows[pool], targets[pool])
        result["latency"] = {}
        for cores in args.cores:
            timed = result["latency"][f"{cores}_cores"] = latency(fitted, data, test, cores)
            print(f"Tracker.step with the blend on {cores} core(s): median "
                  f"{timed['median_ms']:.1f} ms, p95 {timed['p95_ms']:.1f} ms", flush=True)
    if args.cli:
        result["cli"] = run_cli(args.data)
        print("\n".join(result["cli"]["output"]))
    write_report(args.output, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
