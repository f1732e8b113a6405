#!/usr/bin/env python
"""The ETRA 2021 tutorial's classic comparison, run through gazelearn's learning core.

Which of four pictures (bus, kot = cat, nap = text, rab = rabbits) was a participant looking at?
Decision tree, random forest, MLP and 1-D CNN classify 100-sample velocity windows of the
tutorial's ``paths`` data (72 recordings: 18 participants x 4 pictures) under

(a) the tutorial's **leaky** random window split (``gazelearn.splits.random_split``: windows of
    one recording, and so of one person, land in training and test), and
(b) group k-fold by participant (``gazelearn.splits.group_kfold``: 6 folds of 3 held-out
    participants), scored per window and per recording (mean window probability).

Every model is trained the same way under both splits: class weights ``"balanced"`` (longer
recordings give more windows, so classes are unbalanced at window level), and the networks stop
early on whole participants held out of the *training* part, never on the test part. The only
difference between (a) and (b) is the test split. Extra runs repeat (a) and (b) with the
tutorial's own window step of 1 sample (overlapping windows; (a') is the protocol behind its
published numbers), and in (a') also train the networks the tutorial's way (10 epochs, no
validation set, no early stopping: ``*_fixed_epochs``).

Usage::

    .venv/bin/python benchmarks/classic_paths.py                 # full run, writes the JSON
    .venv/bin/python benchmarks/classic_paths.py --tutorial-step 0   # skip the step-1 runs

Prints a table and writes ``benchmarks/results/classic_paths.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from _report import report_header, write_report
from gazelearn.learn import create
from gazelearn.metrics import accuracy, bootstrap_ci, cohen_kappa
from gazelearn.splits import check_leakage, group_kfold, random_split
from gazelearn.windows import WindowSet, make_windows

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "etra2021" / "paths"
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "classic_paths.json"
MODELS = ("tree", "forest", "mlp", "conv1d")
NEURAL = frozenset({"mlp", "conv1d"})
FEATURES = ("vx", "vy")
#: What the tutorial notebook (kasprowski/etra2021, paths.ipynb) reports for its leaky split.
TUTORIAL = {"tree": {"accuracy": 0.41, "kappa": 0.10}, "conv1d": {"accuracy": 0.98, "kappa": 0.97},
            "protocol": "windows of 100 samples with step 1 (19,535 windows), raw per-sample "
                        "differences of x, y as velocity, train_test_split(test_size=0.25, "
                        "random_state=42); CNN trained 10 epochs with the test part as "
                        "validation data"}


@dataclass
class Settings:
    """Everything that shapes a run (recorded in the JSON)."""

    length: int = 100
    step: int = 100
    seed: int = 0
    folds: int = 6
    test_size: float = 0.25
    repeats: int = 5
    epochs: int = 200
    patience: int = 20
    batch_size: int = 32
    n_estimators: int = 200
    validation_fraction: float = 0.2
    tutorial_step: int = 1            # extra leaky run with the tutorial's step; 0 skips it
    tutorial_epochs: int = 10
    tutorial_patience: int = 3
    tutorial_batch_size: int = 128
    tutorial_fixed_epochs: tuple[str, ...] = ("mlp", "conv1d")  # also trained the tutorial's way
    tutorial_by_participant: bool = True   # (b) with the tutorial's step too
    n_boot: int = 1000
    n_jobs: int = 1                   # forest jobs
    num_threads: int = 1              # torch threads: 2 threads on 2 busy cores ran 10x slower
    models: tuple[str, ...] = field(default=MODELS)


# ---------------------------------------------------------------------------- pieces
def windows(dataset, length: int, step: int) -> WindowSet:
    """Velocity windows (px/s: the files carry no screen geometry) labelled by stimulus."""
    return make_windows(dataset, length, step, features=FEATURES, targets="stimulus",
                        groups="subject", velocity_unit="px")


FIXED = "_fixed_epochs"


def make_model(name: str, settings: Settings, *, epochs: int, patience: int, batch_size: int):
    """One registered estimator with the benchmark's seed and class weights.

    ``<net>_fixed_epochs`` trains like the tutorial: all ``epochs``, no validation set, no early
    stopping (the best checkpoint then follows the training loss, i.e. usually the last epoch).
    """
    if name.endswith(FIXED) and name[:-len(FIXED)] in NEURAL:
        return create(name[:-len(FIXED)], epochs=epochs, patience=None, batch_size=batch_size,
                      class_weight="balanced", validation_fraction=0.0, seed=settings.seed,
                      num_threads=settings.num_threads, progress=False)
    if name == "tree":
        return create("tree", class_weight="balanced", random_state=settings.seed)
    if name == "forest":
        return create("forest", n_estimators=settings.n_estimators, class_weight="balanced",
                      random_state=settings.seed, n_jobs=settings.n_jobs)
    if name in NEURAL:
        return create(name, epochs=epochs, patience=patience, batch_size=batch_size,
                      class_weight="balanced", validation_fraction=settings.validation_fraction,
                      seed=settings.seed, num_threads=settings.num_threads, progress=False)
    raise ValueError(f"unknown model {name!r}")


def fit_proba(model, ws: WindowSet, train, test, classes) -> tuple[np.ndarray, dict]:
    """Fit on ``train`` (participants as groups for the networks' validation split) and return
    the test windows' class probabilities in the order of ``classes``, plus training facts."""
    start = time.perf_counter()
    model.fit(ws.X[train], ws.y[train], groups=ws.groups[train])
    seconds = time.perf_counter() - start
    proba = np.zeros((len(test), len(classes)))
    columns = np.searchsorted(classes, model.classes_)
    proba[:, columns] = model.predict_proba(ws.X[test])
    facts: dict[str, Any] = {"seconds": seconds}
    if hasattr(model, "best_epoch_"):
        facts.update(best_epoch=int(model.best_epoch_) + 1, epochs_run=len(model.history_),
                     n_validation_windows=int(model.n_validation_))
    return proba, facts


def scores(y_true, y_pred) -> dict[str, float]:
    return {"accuracy": float(accuracy(y_true, y_pred)),
            "kappa": float(cohen_kappa(y_true, y_pred))}


def majority(ws: WindowSet, train, test) -> np.ndarray:
    values, counts = np.unique(ws.y[train], return_counts=True)
    return np.full(len(test), values[np.argmax(counts)])


def _mean_sd(values: list[float]) -> dict[str, float]:
    return {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1))
            if len(values) > 1 else 0.0, "runs": [float(v) for v in values]}


# ---------------------------------------------------------------------------- protocols
def run_leaky(ws: WindowSet, settings: Settings, *, repeats: int, epochs: int, patience: int,
              batch_size: int, log=print, label: str = "leaky",
              models: tuple[str, ...] | None = None) -> dict[str, Any]:
    """(a) random window split, repeated with seeds ``seed .. seed + repeats - 1``. LEAKY."""
    classes = np.unique(ws.y)
    models = settings.models if models is None else models
    per_model: dict[str, dict[str, list]] = {m: {"accuracy": [], "kappa": [], "facts": []}
                                             for m in ("majority", *models)}
    leaks = []
    for r in range(repeats):
        split_seed = settings.seed + r
        train, test = random_split(len(ws), test_size=settings.test_size, seed=split_seed)
        by_rec = check_leakage(ws.recording[train], ws.recording[test])
        by_person = check_leakage(ws.groups[train], ws.groups[test])
        leaks.append({"split_seed": split_seed, "n_train": len(train), "n_test": len(test),
                      "test_windows_from_recordings_in_training":
                          by_rec.n_test_leaked / len(test),
                      "test_windows_from_participants_in_training":
                          by_person.n_test_leaked / len(test)})
        s = scores(ws.y[test], majority(ws, train, test))
        per_model["majority"]["accuracy"].append(s["accuracy"])
        per_model["majority"]["kappa"].append(s["kappa"])
        for name in models:
            model = make_model(name, settings, epochs=epochs, patience=patience,
                               batch_size=batch_size)
            proba, facts = fit_proba(model, ws, train, test, classes)
            s = scores(ws.y[test], classes[proba.argmax(1)])
            per_model[name]["accuracy"].append(s["accuracy"])
            per_model[name]["kappa"].append(s["kappa"])
            per_model[name]["facts"].append(facts)
            log(f"  {label} repeat {r}: {name:7s} acc {s['accuracy']:.3f} kappa {s['kappa']:.3f} "
                f"({facts['seconds']:.1f} s)")
    models = {}
    for name, values in per_model.items():
        entry: dict[str, Any] = {"window": {"accuracy": _mean_sd(values["accuracy"]),
                                            "kappa": _mean_sd(values["kappa"])}}
        if values["facts"]:
            entry["train_seconds"] = float(sum(f["seconds"] for f in values["facts"]))
            entry["runs"] = values["facts"]
        models[name] = entry
    return {"split": f"random_split(n_windows, test_size={settings.test_size}, seed=seed+r), "
                     f"r = 0..{repeats - 1} -- LEAKY: windows of one recording/person on both "
                     "sides",
            "leaky": True, "repeats": repeats, "leakage": leaks, "models": models}


def run_by_participant(ws: WindowSet, settings: Settings, log=print, *, epochs: int | None = None,
                       patience: int | None = None, batch_size: int | None = None,
                       label: str = "by participant") -> dict[str, Any]:
    """(b) group k-fold by participant; window- and recording-level (mean probability) scores."""
    classes = np.unique(ws.y)
    folds = group_kfold(ws.groups, n_splits=settings.folds, seed=settings.seed)
    for train, test in folds:  # group_kfold checks this too; say it where it matters
        assert not check_leakage(ws.groups[train], ws.groups[test]).leaky
    recordings = np.unique(ws.recording)
    rec_label = np.array([ws.y[ws.recording == r][0] for r in recordings])
    rec_person = np.array([ws.groups[ws.recording == r][0] for r in recordings])
    models: dict[str, Any] = {}
    oof_major = np.empty(len(ws), dtype=ws.y.dtype)
    for train, test in folds:
        oof_major[test] = majority(ws, train, test)
    models["majority"] = {"window": scores(ws.y, oof_major),
                          "recording": {"accuracy": 0.25, "kappa": 0.0,
                                        "note": "4 balanced classes: chance"}}
    for name in settings.models:
        oof = np.zeros((len(ws), len(classes)))
        facts = []
        for k, (train, test) in enumerate(folds):
            model = make_model(name, settings, epochs=epochs or settings.epochs,
                               patience=patience or settings.patience,
                               batch_size=batch_size or settings.batch_size)
            oof[test], fold_facts = fit_proba(model, ws, train, test, classes)
            fold_facts["fold"] = k
            fold_facts["test_participants"] = sorted(np.unique(ws.groups[test]).tolist())
            fold_facts["fold_window_accuracy"] = float(accuracy(
                ws.y[test], classes[oof[test].argmax(1)]))
            facts.append(fold_facts)
            log(f"  {label} fold {k}: {name:7s} window acc "
                f"{fold_facts['fold_window_accuracy']:.3f} ({fold_facts['seconds']:.1f} s)")
        rec_proba = np.stack([oof[ws.recording == r].mean(0) for r in recordings])
        rec_pred = classes[rec_proba.argmax(1)]
        ci = bootstrap_ci(accuracy, rec_label, rec_pred, groups=rec_person,
                          n_boot=settings.n_boot, seed=settings.seed)
        models[name] = {
            "window": scores(ws.y, classes[oof.argmax(1)]),
            "recording": {**scores(rec_label, rec_pred),
                          "accuracy_ci95_by_participant": [ci.low, ci.high]},
            "recording_confusion": {
                "classes": classes.tolist(),
                "matrix": [[int(np.sum((rec_label == a) & (rec_pred == b))) for b in classes]
                           for a in classes]},
            "train_seconds": float(sum(f["seconds"] for f in facts)), "folds": facts}
    return {"split": f"group_kfold(subject, n_splits={settings.folds}, seed=seed): "
                     f"{len(np.unique(ws.groups)) // settings.folds} participants per test fold; "
                     "no participant on both sides",
            "leaky": False, "n_recordings": int(len(recordings)), "models": models}


def describe(ws: WindowSet, step: int) -> dict[str, Any]:
    values, counts = np.unique(ws.y, return_counts=True)
    return {"step": step, "n_windows": int(len(ws)), "channels": list(ws.channels),
            "velocity_unit": ws.velocity_unit,
            "class_counts": {str(v): int(c) for v, c in zip(values, counts, strict=True)}}


def run(dataset, settings: Settings, log=print) -> dict[str, Any]:
    """The whole comparison on a dataset with ``subject`` and ``stimulus`` metadata."""
    result: dict[str, Any] = {"protocols": {}}
    ws = windows(dataset, settings.length, settings.step)
    result["windows"] = describe(ws, settings.step)
    log(f"{len(ws)} windows of {settings.length} samples, step {settings.step} "
        f"({ws.velocity_unit}); classes {result['windows']['class_counts']}")
    result["protocols"]["a_leaky_random"] = run_leaky(
        ws, settings, repeats=settings.repeats, epochs=settings.epochs,
        patience=settings.patience, batch_size=settings.batch_size, log=log,
        label=f"(a) step {settings.step}")
    result["protocols"]["b_by_participant"] = run_by_participant(ws, settings, log=log)
    if settings.tutorial_step:
        tws = windows(dataset, settings.length, settings.tutorial_step)
        result["tutorial_windows"] = describe(tws, settings.tutorial_step)
        log(f"{len(tws)} windows with the tutorial's step {settings.tutorial_step}")
        result["protocols"]["a_leaky_random_tutorial_step"] = run_leaky(
            tws, settings, repeats=1, epochs=settings.tutorial_epochs,
            patience=settings.tutorial_patience, batch_size=settings.tutorial_batch_size, log=log,
            label=f"(a') step {settings.tutorial_step}",
            models=(*settings.models, *(f"{m}{FIXED}" for m in settings.tutorial_fixed_epochs)))
        if settings.tutorial_by_participant:
            result["protocols"]["b_by_participant_tutorial_step"] = run_by_participant(
                tws, settings, log=log, epochs=settings.tutorial_epochs,
                patience=settings.tutorial_patience, batch_size=settings.tutorial_batch_size,
                label=f"(b') step {settings.tutorial_step}")
    return result


# ---------------------------------------------------------------------------- output
def _cell(value) -> str:
    if isinstance(value, dict) and "mean" in value:
        return f"{value['mean']:.2f} ± {value['sd']:.2f}" if len(value["runs"]) > 1 \
            else f"{value['mean']:.2f}"
    return "–" if value is None else f"{value:.2f}"


def table(result: dict[str, Any]) -> str:
    """A Markdown table of every protocol and model."""
    names = {"a_leaky_random": f"(a) leaky random split, step {result['windows']['step']}",
             "b_by_participant": f"(b) participants held out, step {result['windows']['step']}",
             "a_leaky_random_tutorial_step":
                 f"(a') leaky random split, step {result.get('tutorial_windows', {}).get('step')}",
             "b_by_participant_tutorial_step":
                 f"(b') participants held out, step "
                 f"{result.get('tutorial_windows', {}).get('step')}"}
    lines = ["| split | model | window accuracy | window kappa | recording accuracy "
             "| recording kappa | training time [s] |", "|---|---|---|---|---|---|---|"]
    for key, protocol in result["protocols"].items():
        for model, entry in protocol["models"].items():
            rec = entry.get("recording", {})
            ci = rec.get("accuracy_ci95_by_participant")
            rec_acc = _cell(rec.get("accuracy")) + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")
            seconds = entry.get("train_seconds")
            lines.append(f"| {names[key]} | {model} | {_cell(entry['window']['accuracy'])} | "
                         f"{_cell(entry['window']['kappa'])} | "
                         f"{rec_acc if rec else '–'} | {_cell(rec.get('kappa')) if rec else '–'} "
                         f"| {'–' if seconds is None else f'{seconds:.1f}'} |")
    return "\n".join(lines)




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the paths/ folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step", type=int, default=100, help="window step for (a) and (b)")
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5, help="random splits in (a)")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--tutorial-step", type=int, default=1,
                        help="extra (a') and (b') runs with this step (the tutorial's 1); "
                             "0 skips them")
    parser.add_argument("--tutorial-epochs", type=int, default=10)
    args = parser.parse_args(argv)

    from gazelearn.io import read_dataset

    if not args.data.is_dir():
        print(f"error: data folder not found: {args.data}", file=sys.stderr)
        return 1
    settings = Settings(seed=args.seed, step=args.step, folds=args.folds, repeats=args.repeats,
                        epochs=args.epochs, tutorial_step=args.tutorial_step,
                        tutorial_epochs=args.tutorial_epochs)
    started = time.perf_counter()
    dataset = read_dataset(args.data, format="etra-paths")
    result = run(dataset, settings)
    total = time.perf_counter() - started
    rate = float(np.median([rec.sampling_rate for rec in dataset]))
    output = {
        **report_header(__file__, argv),
        "task": "classify the picture viewed (bus, kot, nap, rab) from velocity windows",
        "data": {"path": str(args.data), "recordings": len(dataset),
                 "participants": len(set(dataset.column("subject"))),
                 "median_sampling_rate_hz": rate, "clock": "tracker (TS:) timestamps"},
        "seed": settings.seed,
        "window": {"length": settings.length, "step": settings.step, "features": list(FEATURES),
                   "velocity": "Savitzky-Golay derivative (order 2, 20 ms -> 5 samples at "
                               "~59 Hz) in px/s: the files have no screen geometry",
                   "lost_samples": "set to 0 plus a 'valid' channel (make_windows fill_nan)"},
        "settings": asdict(settings),
        "tutorial_reference": TUTORIAL,
        **result,
        "total_seconds": total,
    }
    print()
    print(table(result))
    print(f"\nseed {settings.seed}; total {total:.0f} s")
    write_report(args.output, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
