"""Event-detection accuracy on hand-labelled real data: gazelearn's detectors beside the peers.

Datasets (read from ``../shared/data`` beside the repository, never copied):

* ``lund2013-dev`` (29 recordings, one human coder each), grouped by stimulus type
  (``recording.meta.extra["stimulus_type"]``: img, dots, video). Scores as in Andersson et al.
  (2017): binary one-vs-rest Cohen's kappa per class on samples pooled over the recordings of a
  group, plus event-level F1 (Hooge et al. 2018 matching).
* ``gazecom-dev`` (290 recordings): sample-level F1 per class (fixation, saccade, pursuit,
  blink) for comparison with OEMC's published numbers, and the same kappas and event F1.

Methods: gazelearn's classic detectors (``ivt``, ``idt``, ``nh``, ``ivdt``) and the peers
(``remodnav``, ``pm-ivt``, ``pm-idt``; see ``benchmarks/peers.py``). Classic methods need no
cross-validation; :func:`evaluate_method` takes ``folds`` for learned methods.

Usage::

    .venv/bin/python benchmarks/events_lund.py                       # everything
    .venv/bin/python benchmarks/events_lund.py --method ivt --method remodnav --gazecom-limit 20
    .venv/bin/python benchmarks/events_lund.py --postprocessing      # what the shared rules do
    .venv/bin/python benchmarks/events_lund.py --postprocessing --ablation  # one rule at a time

Writes ``benchmarks/results/events_lund.json`` and prints one table per dataset.

``--postprocessing`` runs gazelearn's methods (and ``deep``, the shipped model) four ways --
the algorithm alone or with the shared post-processing
(:class:`gazelearn.detection.postprocess.PostProcessing` defaults), each with ``stimulus``
dynamic (every class) or auto (the readers' ``stimulus_kind``: Lund img static) -- and writes
``benchmarks/results/events_postprocess.json``. The shipped deep model was trained on all of
lund2013-dev and every 4th gazecom-dev file: its Lund numbers are on training data (only the
differences between the ways mean something), and its GazeCom numbers use the other files only.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import gazelearn  # noqa: E402
import peers  # noqa: E402
from _report import report_header  # noqa: E402
from gazelearn.detection import create_detector  # noqa: E402
from gazelearn.detection.evaluate import evaluate_labels  # noqa: E402
from gazelearn.recording import Recording  # noqa: E402

REPO = HERE.parent
DATA = REPO.parent / "shared" / "data"
SEED = 0
GAZELEARN_METHODS = ("ivt", "idt", "nh", "ivdt")
ALL_METHODS = GAZELEARN_METHODS + tuple(peers.PEER_METHODS)
CLASSES = ("fixation", "saccade", "pso", "pursuit", "blink")

PredictFn = Callable[[Recording], np.ndarray]
Folds = Sequence[tuple[Sequence[int], Sequence[int]]]


# ---------------------------------------------------------------------------- methods
#: The ways ``--postprocessing`` compares: name -> ``predict`` keywords.
VARIANTS = {
    "raw, dynamic": {"postprocess": False, "stimulus": "dynamic"},
    "raw, auto": {"postprocess": False, "stimulus": "auto"},
    "post, dynamic": {"postprocess": True, "stimulus": "dynamic"},
    "post, auto": {"postprocess": True, "stimulus": "auto"},
}


def method_predictor(name: str, **predict_options) -> tuple[PredictFn | None, str | None]:
    """``(predict_fn, None)`` for a method name, or ``(None, reason)`` when unavailable.

    ``predict_options`` (``postprocess``, ``stimulus``) go to gazelearn detectors' ``predict``.
    """
    if name in GAZELEARN_METHODS or name == "deep":
        detector = create_detector(name)
        return (lambda recording: detector.predict(recording, **predict_options)), None
    if name in peers.PEER_METHODS:
        return peers.peer_predictor(name)
    return None, f"unknown method {name!r}; expected one of {', '.join(ALL_METHODS)}"


def leave_one_recording_out(recordings: Sequence[Recording]) -> list[tuple[list[int], list[int]]]:
    """Folds for learned methods: each recording is the test set once."""
    n = len(recordings)
    return [([j for j in range(n) if j != i], [i]) for i in range(n)]


def predict_all(predict_fn, recordings: Sequence[Recording], folds: Folds | None = None
                ) -> list[np.ndarray]:
    """Per-sample predictions for every recording.

    Without ``folds``, ``predict_fn(recording) -> labels`` (a classic detector). With ``folds``
    (``(train_idx, test_idx)`` pairs that together test every recording once), ``predict_fn`` is
    a trainer: ``predict_fn(train_recordings)`` returns the fitted ``recording -> labels``
    function, and each recording is predicted by the model of the fold that held it out.
    """
    if folds is None:
        return [np.asarray(predict_fn(rec), dtype=np.int8) for rec in recordings]
    predictions: list[np.ndarray | None] = [None] * len(recordings)
    for train_idx, test_idx in folds:
        if set(train_idx) & set(test_idx):
            raise ValueError("a fold has the same recording in train and test")
        fitted = predict_fn([recordings[i] for i in train_idx])
        for i in test_idx:
            if predictions[i] is not None:
                raise ValueError(f"recording {i} is in the test set of two folds")
            predictions[i] = np.asarray(fitted(recordings[i]), dtype=np.int8)
    missing = [i for i, p in enumerate(predictions) if p is None]
    if missing:
        raise ValueError(f"recordings {missing[:5]} are in no test fold")
    return predictions  # type: ignore[return-value]


def _rate_of(recordings: Sequence[Recording]) -> float | None:
    rates = {rec.sampling_rate for rec in recordings}
    return rates.pop() if len(rates) == 1 else None


def score_group(recordings: Sequence[Recording], predictions: Sequence[np.ndarray]) -> dict:
    """Pooled scores of one group: per-class binary kappa, sample F1 and event F1."""
    scores = evaluate_labels([(rec.labels, pred) for rec, pred in
                              zip(recordings, predictions, strict=True)], _rate_of(recordings))
    truth_classes = {name for rec in recordings for name in rec.label_shares()}
    result = {"n_recordings": len(recordings), "n_samples": scores.n_samples,
              "accuracy": scores.accuracy, "kappa": scores.kappa, "classes": {}}
    for name in CLASSES:
        if name not in truth_classes:
            continue  # a class the human coder never used (no PSO in GazeCom, ...)
        event = scores.events.get(name)
        result["classes"][name] = {
            "kappa": scores.kappa_per_class.get(name, 0.0),
            "sample_f1": scores.f1_per_class.get(name, 0.0),
            "event_f1": event.f1 if event else 0.0,
            "event_hits": event.hits if event else 0,
            "event_misses": event.misses if event else 0,
            "event_false_alarms": event.false_alarms if event else 0,
        }
    return result


def evaluate_method(name: str, predict_fn, recordings: Sequence[Recording],
                    folds: Folds | None = None, groups: Sequence[str] | None = None) -> dict:
    """Run one method on ``recordings`` and score it per group and over all.

    Parameters
    ----------
    name : str
        Method name (for the record).
    predict_fn : callable
        ``recording -> labels``; or, with ``folds``, a trainer (see :func:`predict_all`).
    recordings : sequence of Recording
        With reference labels.
    folds : sequence of (train_idx, test_idx), optional
        For learned methods (leave-one-recording-out, grouped CV); None for classic ones.
    groups : sequence of str, optional
        One group name per recording (stimulus type); scores are pooled within each group.

    Returns
    -------
    dict
        ``{"method", "seconds", "groups": {group: scores}, "all": scores}``.
    """
    start = time.perf_counter()
    predictions = predict_all(predict_fn, recordings, folds)
    seconds = time.perf_counter() - start
    result = {"method": name, "seconds": seconds, "cross_validated": folds is not None,
              "groups": {}}
    if groups is not None:
        for group in sorted(set(groups)):
            index = [i for i, g in enumerate(groups) if g == group]
            result["groups"][group] = score_group([recordings[i] for i in index],
                                                  [predictions[i] for i in index])
    result["all"] = score_group(recordings, predictions)
    return result


# ---------------------------------------------------------------------------- data
def load_lund(path: Path) -> tuple[list[Recording], list[str]]:
    from gazelearn.io import read_dataset

    recordings = list(read_dataset(path, format="lund2013"))
    return recordings, [rec.meta.extra.get("stimulus_type", "unknown") for rec in recordings]


def load_gazecom(path: Path, limit: int | None, seed: int = SEED
                 ) -> tuple[list[Recording], list[str]]:
    """GazeCom recordings; with ``limit``, a seeded random subset of that many files."""
    from gazelearn.io import expand_paths, read

    files = expand_paths(path, format="gazecom")
    if limit is not None and limit < len(files):
        chosen = np.random.default_rng(seed).choice(len(files), size=limit, replace=False)
        files = [files[i] for i in sorted(chosen)]
    recordings = [read(f, format="gazecom") for f in files]
    return recordings, [rec.meta.stimulus or "unknown" for rec in recordings]


# ---------------------------------------------------------------------------- output
def _fmt(value) -> str:
    return "  -  " if value is None or not np.isfinite(value) else f"{value:.2f}"


def format_table(results: list[dict], group: str, metrics: Sequence[str] = ("kappa", "event_f1"),
                 classes: Sequence[str] = CLASSES) -> str:
    """A plain-text table for one group: a row per method, per class the chosen metrics."""
    def block(result: dict) -> dict:
        return result["all"] if group == "all" else result["groups"].get(group, {})

    present = [c for c in classes if any(c in block(r).get("classes", {}) for r in results)]
    short = {"kappa": "k", "event_f1": "evF1", "sample_f1": "F1"}
    header = f"{'method':<10}" + "".join(f"{c[:5] + ' ' + short.get(m, m):>12}"
                                         for c in present for m in metrics)
    n = block(results[0]).get("n_recordings", 0) if results else 0
    lines = [f"[{group}: {n} recordings]", header, "-" * len(header)]
    for r in results:
        cells = [f"{_fmt(block(r).get('classes', {}).get(c, {}).get(m)):>12}"
                 for c in present for m in metrics]
        lines.append(f"{r['method']:<10}" + "".join(cells))
    return "\n".join(lines)


def versions(methods: Sequence[str]) -> dict:
    found = {"gazelearn": gazelearn.__version__, "numpy": np.__version__,
             "python": platform.python_version()}
    for module in sorted({peers.PEER_METHODS[m] for m in methods if m in peers.PEER_METHODS}):
        found[module] = peers.peer_status(module)[0]
    return found


def run(datasets: dict[str, tuple[list[Recording], list[str]]], methods: Sequence[str],
        log=print) -> tuple[dict, dict[str, str]]:
    """Evaluate every available method on every dataset; returns results and skipped methods."""
    skipped: dict[str, str] = {}
    predictors = {}
    for name in methods:
        fn, reason = method_predictor(name)
        if fn is None:
            skipped[name] = reason or "unavailable"
            log(f"skipping {name}: {reason}")
        else:
            predictors[name] = fn
    results: dict[str, list[dict]] = {}
    for dataset, (recordings, groups) in datasets.items():
        results[dataset] = []
        for name, fn in predictors.items():
            result = evaluate_method(name, fn, recordings, folds=None, groups=groups)
            log(f"{dataset}: {name} done in {result['seconds']:.1f} s")
            results[dataset].append(result)
    return results, skipped


def gazecom_unseen_by_deep(path: Path) -> tuple[list[Recording], list[str]]:
    """The gazecom-dev files the shipped deep model was not trained on (all but every 4th)."""
    from gazelearn.io import expand_paths, read

    files = [f for i, f in enumerate(expand_paths(path, format="gazecom")) if i % 4]
    recordings = [read(f, format="gazecom") for f in files]
    return recordings, [rec.meta.stimulus or "unknown" for rec in recordings]


def _cells(result: dict, dataset: str) -> dict:
    """``{"img fixation kappa": value, ...}``: every group x class x (kappa, event F1)."""
    groups = ["img", "dots", "video", "all"] if dataset == "lund2013-dev" else ["all"]
    cells = {}
    for group in groups:
        block = result["all"] if group == "all" else result["groups"].get(group, {})
        for name, scores in block.get("classes", {}).items():
            for metric in ("kappa", "event_f1"):
                cells[f"{group} {name} {metric}"] = scores[metric]
    return cells


def ablation_variants() -> dict[str, dict]:
    """The default rules and, for each rule, the defaults with that one rule changed."""
    from dataclasses import replace

    from gazelearn.detection.postprocess import DEFAULT_POSTPROCESSING as rules

    changed = {"none": False, "default": rules,
               "edge off": replace(rules, edge_s=0.0), "gap off": replace(rules, merge_gap_s=0.0),
               "blink rule off": replace(rules, blink_reach_s=None),
               "min saccade 0": replace(rules, min_saccade_s=0.0),
               "min saccade 10 ms": replace(rules, min_saccade_s=0.01),
               "min fixation 0": replace(rules, min_fixation_s=0.0),
               "min fixation 60 ms": replace(rules, min_fixation_s=0.06),
               "min pursuit 0": replace(rules, min_pursuit_s=0.0),
               "min pursuit 80 ms": replace(rules, min_pursuit_s=0.08)}
    return {name: {"postprocess": value, "stimulus": "auto"} for name, value in changed.items()}


def compare_postprocessing(data: Path, methods: Sequence[str], output: Path, log=print,
                           variants: dict[str, dict] | None = None) -> dict:
    """Every method in every way of ``variants`` (default :data:`VARIANTS`) on both data sets
    (see the module notes)."""
    variants = VARIANTS if variants is None else variants
    lund = load_lund(data / "lund2013-dev")
    gazecom = load_gazecom(data / "gazecom-dev", None)
    unseen = gazecom_unseen_by_deep(data / "gazecom-dev")
    started = time.perf_counter()
    results: dict = {}
    for name in methods:
        results[name] = {}
        sets = {"lund2013-dev": lund, "gazecom-dev": unseen if name == "deep" else gazecom}
        for variant, options in variants.items():
            fn, _ = method_predictor(name, **options)
            for dataset, (recordings, groups) in sets.items():
                result = evaluate_method(name, fn, recordings, groups=groups)
                results[name].setdefault(dataset, {})[variant] = {
                    "seconds": result["seconds"], "n_recordings": len(recordings),
                    "cells": _cells(result, dataset)}
                log(f"{name} {variant} {dataset}: {result['seconds']:.1f} s")
    lines = []
    for dataset in ("lund2013-dev", "gazecom-dev") if variants is VARIANTS else ():
        lines.append(f"\n== {dataset}: kappa / event F1 per cell, raw -> post-processed "
                     "(stimulus dynamic), and post-processed with stimulus auto")
        for name in methods:
            ways = results[name][dataset]
            for cell, raw in ways["raw, dynamic"]["cells"].items():
                post = ways["post, dynamic"]["cells"][cell]
                auto = ways["post, auto"]["cells"][cell]
                if max(raw, post, auto) == 0:
                    continue
                lines.append(f"{name:<6}{cell:<28}{raw:6.3f} -> {post:6.3f}   auto {auto:6.3f}")
    if variants is not VARIANTS:  # the ablation: one line per way, the cells side by side
        for name in methods:
            for variant in variants:
                cells = {ds: results[name][ds][variant]["cells"] for ds in results[name]}
                lines.append(f"{name} {variant:<20}" + " ".join(
                    f"{ds[:4]}:{cell}={value:.2f}" for ds, block in cells.items()
                    for cell, value in block.items() if "blink" not in cell))
    print("\n".join(lines))
    record = {
        **report_header(__file__, benchmark="events_postprocess"),
        "seed": SEED,
        "data": {"lund2013-dev": "all 29 (deep: its training data)",
                 "gazecom-dev": "all 290; deep: the 217 files it was not trained on"},
        "postprocessing": __import__("gazelearn.detection.postprocess", fromlist=["x"])
        .DEFAULT_POSTPROCESSING.options(),
        "variants": {name: {k: repr(v) for k, v in options.items()}
                     for name, options in variants.items()},
        "versions": versions(methods),
        "seconds": time.perf_counter() - started,
        "results": results,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(record, indent=1, default=float) + "\n")
    print(f"\nwrote {output}")
    return record


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", action="append", choices=(*ALL_METHODS, "deep"),
                        help="method to run (repeatable; default all)")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--gazecom-limit", type=int, default=None,
                        help="a seeded random subset of N GazeCom recordings (default all 290)")
    parser.add_argument("--skip-gazecom", action="store_true")
    parser.add_argument("--output", type=Path, default=None,
                        help="default results/events_lund.json (results/events_postprocess.json "
                        "with --postprocessing)")
    parser.add_argument("--postprocessing", action="store_true",
                        help="compare the algorithms alone and with the shared post-processing "
                        "and stimulus rule (gazelearn's methods and deep)")
    parser.add_argument("--ablation", action="store_true",
                        help="with --postprocessing: the defaults with one rule changed at a time "
                        "(stimulus auto; writes results/events_postprocess_ablation.json)")
    args = parser.parse_args(argv)
    if args.postprocessing and args.ablation:
        chosen = args.method or ["deep", "ivdt"]
        compare_postprocessing(args.data, chosen, args.output or HERE / "results"
                               / "events_postprocess_ablation.json",
                               variants=ablation_variants())
        return 0
    if args.postprocessing:
        chosen = [m for m in args.method or [*GAZELEARN_METHODS, "deep"]
                  if m in GAZELEARN_METHODS or m == "deep"]
        compare_postprocessing(args.data, chosen, args.output
                               or HERE / "results" / "events_postprocess.json")
        return 0
    args.output = args.output or HERE / "results" / "events_lund.json"
    methods = args.method or list(ALL_METHODS)
    started = time.perf_counter()
    datasets = {}
    lund_path = args.data / "lund2013-dev"
    gazecom_path = args.data / "gazecom-dev"
    datasets["lund2013-dev"] = load_lund(lund_path)
    if not args.skip_gazecom:
        datasets["gazecom-dev"] = load_gazecom(gazecom_path, args.gazecom_limit)
    results, skipped = run(datasets, methods)
    for dataset, dataset_results in results.items():
        print(f"\n== {dataset} ({len(datasets[dataset][0])} recordings): binary kappa (k) "
              "and event F1 per class")
        groups = ["img", "dots", "video", "all"] if dataset == "lund2013-dev" else ["all"]
        for group in groups:
            print(format_table(dataset_results, group))
            print()
        if dataset == "gazecom-dev":
            print(f"== {dataset}: sample-level F1 per class (compare OEMC)")
            print(format_table(dataset_results, "all", metrics=("sample_f1",)))
    for name, reason in skipped.items():
        print(f"NOTE: {name} was not run: {reason}")
    record = {
        **report_header(__file__, benchmark="events_lund"),
        "seed": SEED,
        "data": {"lund2013-dev": str(lund_path.resolve()),
                 **({} if args.skip_gazecom else
                    {"gazecom-dev": str(gazecom_path.resolve()),
                     "gazecom_limit": args.gazecom_limit,
                     "gazecom_files": [Path(r.meta.source).name
                                       for r in datasets["gazecom-dev"][0]]
                     if args.gazecom_limit else "all"})},
        "versions": versions(methods),
        "methods": methods,
        "skipped": skipped,
        "seconds": time.perf_counter() - started,
        "results": results,
    }
    write_record(args.output, record)
    return 0


def write_record(path: Path, record: dict) -> None:
    """Write a benchmark's JSON record (numpy numbers as floats), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, default=float) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
