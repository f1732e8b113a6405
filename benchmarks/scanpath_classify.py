#!/usr/bin/env python
"""Scanpath classification on real data with group splits only: every model, two tasks.

(a) **paths** (ETRA 2021 tutorial, 72 recordings = 18 participants x 4 pictures): which picture
    (bus, kot = cat, nap = text, rab = rabbits) was viewed? Leave participants out
    (``gazelearn.scanpath.evaluate.cross_validate``, stratified group 6-fold: 3 participants per
    test fold). The tutorial's leaky random window split is quoted beside it from
    ``benchmarks/results/classic_paths.json`` (same data, same learning core) rather than
    recomputed.
(b) **radio** (611 recordings of 31 persons viewing chest radiographs): is the viewer a
    specialist (S), resident (R) or layman (L)? Expertise belongs to the person, so persons are
    left out (stratified group 6-fold). The best model's accuracy and kappa get a 95 % bootstrap
    interval resampling persons (``gazelearn.metrics.bootstrap_ci`` with groups).

Every model goes through ``ScanpathClassifier`` exactly as ``gazelearn scanpath cv`` runs it:
window models (tree, forest, knn, svm, mlp, conv1d, lstm) on velocity windows in px/s (neither
data set has a screen geometry) with the recording's label = the mean window probability; the
heat-map CNN on one heat map per recording; ``multi`` on both. One torch thread, small networks,
early stopping on participants held out of the *training* part.

Usage::

    .venv/bin/python benchmarks/scanpath_classify.py            # both tasks, writes the JSON
    .venv/bin/python benchmarks/scanpath_classify.py --tasks paths --models tree,forest
    .venv/bin/python benchmarks/scanpath_classify.py --tasks radio --update   # keep paths

Prints a table and writes ``benchmarks/results/scanpath_classify.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from _report import report_header, write_report
from gazelearn.metrics import accuracy, bootstrap_ci, cohen_kappa
from gazelearn.scanpath.classify import MODELS
from gazelearn.scanpath.evaluate import cross_validate

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "scanpath_classify.json"
CLASSIC = REPO / "benchmarks" / "results" / "classic_paths.json"
#: The tutorial's own numbers for radio (random 75/25 split of recordings: persons on both sides).
RADIO_TUTORIAL = {"tree": {"accuracy": 0.40, "kappa": 0.07},
                  "heatmap-cnn": {"accuracy": 0.70, "kappa": 0.5},
                  "protocol": "random 75/25 split of recordings, the same persons on both sides"}
#: Shared settings: windows of 100 samples (1.7 s at 59 Hz) every 25, a 32 x 24 heat map.
SETTINGS: dict[str, Any] = {"window": 100, "step": 25, "features": ["vx", "vy"],
                            "grid": [32, 24], "epochs": 25, "patience": 5, "batch_size": 64,
                            "lr": 1e-3, "validation_fraction": 0.2, "class_weight": "balanced",
                            "num_threads": 1}
#: Per task: radio has 8 times the recordings, so windows overlap less to fit the time budget.
TASK_SETTINGS: dict[str, dict[str, Any]] = {"paths": {}, "radio": {"step": 50}}


def read_task(task: str):
    """Recordings, labels and groups (participants) of one task, read with format auto."""
    from gazelearn.io import read_dataset

    if task == "paths":
        dataset = read_dataset(DATA / "etra2021" / "paths", format="auto")
        names = [Path(rec.meta.source).stem for rec in dataset]
        labels = [n.split("_")[0] for n in names]          # IMG_P.csv
        groups = [n.split("_")[1] for n in names]
    else:
        dataset = read_dataset(DATA / "radio" / "recordings", format="auto")
        names = [Path(rec.meta.source).name for rec in dataset]
        labels = [n.split("_")[0] for n in names]          # CLASS_PERSON_IMAGE_N
        groups = [n.split("_")[1] for n in names]
    return list(dataset), np.asarray(labels), np.asarray(groups)


def majority(labels: np.ndarray, groups: np.ndarray, folds: list[np.ndarray]) -> dict[str, float]:
    """Always the most frequent class of the training part."""
    pred = np.empty(len(labels), dtype=labels.dtype)
    for k in np.unique(folds):
        values, counts = np.unique(labels[folds != k], return_counts=True)
        pred[folds == k] = values[np.argmax(counts)]
    return {"accuracy": float(accuracy(labels, pred)), "kappa": float(cohen_kappa(labels, pred))}


def run_task(task: str, models: list[str], folds: int, seed: int, n_boot: int,
             log=print) -> dict[str, Any]:
    recordings, labels, groups = read_task(task)
    values, counts = np.unique(labels, return_counts=True)
    log(f"{task}: {len(recordings)} recordings, {len(np.unique(groups))} participants, classes "
        f"{dict(zip(values.tolist(), counts.tolist(), strict=True))}")
    options = {k: (tuple(v) if isinstance(v, list) else v)
               for k, v in {**SETTINGS, **TASK_SETTINGS[task]}.items()}
    results: dict[str, Any] = {}
    fold_of = None
    for name in models:
        start = time.perf_counter()
        cv = cross_validate(recordings, labels, groups, model=name, folds=folds, seed=seed,
                            progress=False, **options)
        seconds = time.perf_counter() - start
        fold_of = cv.fold
        rec, win = cv.recording, cv.window
        results[name] = {
            "recording": {"accuracy": rec["accuracy"], "kappa": rec["kappa"],
                          "per_class": rec["per_class"],
                          "confusion": {"labels": rec["labels"], "matrix": rec["confusion"]}},
            "window": {"accuracy": win["accuracy"], "kappa": win["kappa"],
                       "n": int(len(cv.window_true))},
            "seconds": round(seconds, 1), "folds": cv.folds,
            "_pred": cv.recording_pred}
        log(f"  {task} {name:12s} recording acc {rec['accuracy']:.3f} kappa {rec['kappa']:.3f}"
            f" | window acc {win['accuracy']:.3f} kappa {win['kappa']:.3f} ({seconds:.0f} s)")
    best = max(results, key=lambda m: results[m]["recording"]["kappa"])
    pred = results[best]["_pred"]
    ci_acc = bootstrap_ci(accuracy, labels, pred, groups=groups, n_boot=n_boot, seed=seed)
    ci_kappa = bootstrap_ci(cohen_kappa, labels, pred, groups=groups, n_boot=n_boot, seed=seed)
    for entry in results.values():
        entry.pop("_pred")
    out = {"settings": TASK_SETTINGS[task], "recordings": len(recordings),
           "participants": int(len(np.unique(groups))),
           "class_counts": dict(zip(values.tolist(), counts.tolist(), strict=True)),
           "split": cv.split, "leaky": False,
           "majority": majority(labels, groups, fold_of), "models": results,
           "best": {"model": best,
                    "accuracy_ci95_by_participant": [ci_acc.low, ci_acc.high],
                    "kappa_ci95_by_participant": [ci_kappa.low, ci_kappa.high],
                    "n_boot": n_boot, "selected_by": "highest recording kappa (selection on "
                    "the same folds: optimistic by the choice among models)"}}
    return out


def leaky_reference() -> dict[str, Any] | None:
    """The tutorial's leaky window split from classic_paths.json (same data and models)."""
    if not CLASSIC.is_file():
        return None
    classic = json.loads(CLASSIC.read_text())
    out: dict[str, Any] = {"source": str(CLASSIC.relative_to(REPO)),
                           "command": classic.get("command")}
    for key in ("a_leaky_random", "a_leaky_random_tutorial_step"):
        protocol = classic.get("protocols", {}).get(key)
        if protocol:
            out[key] = {"split": protocol["split"], "models": {
                m: {"window_accuracy": e["window"]["accuracy"]["mean"],
                    "window_kappa": e["window"]["kappa"]["mean"]}
                for m, e in protocol["models"].items()}}
    return out


def table(result: dict[str, Any]) -> str:
    lines = ["| task | model | recording accuracy | recording kappa | window accuracy "
             "| window kappa | seconds |", "|---|---|---|---|---|---|---|"]
    for task, entry in result["tasks"].items():
        maj = entry["majority"]
        lines.append(f"| {task} | majority | {maj['accuracy']:.2f} | {maj['kappa']:.2f} "
                     "| – | – | – |")
        for name, r in entry["models"].items():
            lines.append(f"| {task} | {name} | {r['recording']['accuracy']:.2f} | "
                         f"{r['recording']['kappa']:.2f} | {r['window']['accuracy']:.2f} | "
                         f"{r['window']['kappa']:.2f} | {r['seconds']:.0f} |")
        best = entry["best"]
        lines.append(f"| {task} | best = {best['model']}: 95 % CI by participant | "
                     f"[{best['accuracy_ci95_by_participant'][0]:.2f}, "
                     f"{best['accuracy_ci95_by_participant'][1]:.2f}] | "
                     f"[{best['kappa_ci95_by_participant'][0]:.2f}, "
                     f"{best['kappa_ci95_by_participant'][1]:.2f}] | | | |")
    return "\n".join(lines)




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="paths,radio")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--update", action="store_true",
                        help="keep the other tasks already in --output (each task records its "
                             "own command)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if not DATA.is_dir():
        print(f"error: data folder not found: {DATA}", file=sys.stderr)
        return 1

    started = time.perf_counter()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    tasks = {task: run_task(task, models, args.folds, args.seed, args.n_boot)
             for task in args.tasks.split(",")}
    total = time.perf_counter() - started
    header = report_header(__file__, argv)
    command = header["command"]
    for entry in tasks.values():
        entry["command"] = command
        entry["seconds"] = round(total, 1)
    if args.update and args.output.is_file():
        tasks = {**json.loads(args.output.read_text()).get("tasks", {}), **tasks}
    result = {
        **header,
        "data": {"paths": str(DATA / "etra2021" / "paths"),
                 "radio": str(DATA / "radio" / "recordings"), "format": "auto",
                 "screen": "none in either data set: velocities in px/s, heat-map area and blur "
                           "learned from the training gaze (see gazelearn.scanpath.classify)"},
        "seed": args.seed, "folds": args.folds, "settings": SETTINGS,
        "task_settings": "tasks.<task>.settings override settings",
        "model_defaults": "ScanpathClassifier defaults: forest 100 trees, knn k=15 and svm on "
                          "per-channel standardised windows, mlp 128-64, conv1d 32-64-64, lstm "
                          "bidirectional 32, heat-map CNN conv2d 16-32-32, multi conv1d 32-32 + "
                          "conv2d 16-32 branches",
        "tasks": tasks,
        "paths_leaky_reference": leaky_reference(),
        "radio_tutorial_reference": RADIO_TUTORIAL,
        "total_seconds": round(total, 1),
    }
    print()
    print(table(result))
    print(f"\nseed {args.seed}; total {total:.0f} s")
    write_report(args.output, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
