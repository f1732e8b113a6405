"""Fine-tuning the deep detector on a user's few labelled recordings: the gain, held out.

A user has a trained detector and labels two or three recordings of their own; how much does
fine-tuning on them (``DeepDetector.fine_tune``, ``gazelearn events train``'s default) help on
their other recordings? Measured without leaks: the base models are the fold models of the
subject-held-out cross-validation (``events_deep.py --save-models DIR``), so the base never
saw any recording of the fold's held-out subjects. Within one fold and one Lund stimulus kind
(img, dots, video), the recordings of the held-out subjects are split by subject: two or three
recordings of some subjects fine-tune, the recordings of the others are the test. Every
rotation of the subjects that gives 2-3 fine-tuning recordings and a non-empty test is one
split (at most ``--max-splits`` per fold and kind).

Each configuration (epochs, learning rate, frozen layers, validation split, augmentation,
simulated recordings; one changed at a time from a centre, plus training from scratch on the
same recordings) is scored on the test recordings with ``predict``'s defaults (shared
post-processing, ``stimulus="auto"``: img static), against the base model on the same test
recordings: binary kappa and event F1 per class (Hooge et al. 2018), pooled per stimulus kind
over the splits, and their mean over the cells (kind x class) as the one number configurations
are ranked by.

Usage::

    .venv/bin/python benchmarks/events_deep.py --threads 1 --features context --depth 9 \\
        --window-s 4 --augment 1 --simulated 10 --epochs 15 \\
        --output benchmarks/results/events_deep_default.json --save-models /tmp/folds
    .venv/bin/python benchmarks/events_finetune.py --models /tmp/folds

Writes ``benchmarks/results/events_finetune.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import events_lund  # noqa: E402
import gazelearn  # noqa: E402
from _report import report_header  # noqa: E402
from gazelearn.detection.deep import FINE_TUNING, DeepDetector  # noqa: E402
from gazelearn.learn.modelfile import read_model_info  # noqa: E402

#: The classes scored (blink is not an eye movement the coders agree on, undefined no class).
CLASSES = ("fixation", "saccade", "pso", "pursuit")
#: The centre of the one-at-a-time search, and each change from it.
CENTRE = {"epochs": 10, "lr": 1e-3, "freeze": 0, "validation": False, "augment": 0,
          "simulated": 0}
CHANGES = [{"epochs": 3}, {"epochs": 5}, {"epochs": 20}, {"lr": 3e-4}, {"lr": 3e-3},
           {"freeze": 1}, {"freeze": 5}, {"freeze": 10}, {"validation": True},
           {"augment": 1}, {"simulated": 5}]


def splits_of(subjects: Sequence[str], kinds: Sequence[str], held_out: Sequence[set[str]],
              max_splits: int) -> list[dict]:
    """Fine-tuning / test splits of the Lund recordings, by fold and stimulus kind.

    Examples
    --------
    >>> subjects = ["A", "A", "B", "C", "D"]
    >>> [(s["tune"], s["test"]) for s in splits_of(subjects, ["dots"] * 5, [set("ABCD")], 9)]
    [([0, 1], [2, 3, 4]), ([2, 3], [0, 1, 4]), ([3, 4], [0, 1, 2]), ([0, 1, 4], [2, 3])]
    """
    out = []
    for fold, fold_subjects in enumerate(held_out):
        for kind in sorted(set(kinds)):
            index = [i for i, (s, k) in enumerate(zip(subjects, kinds, strict=True))
                     if k == kind and s in fold_subjects]
            people = sorted({subjects[i] for i in index})
            seen = set()
            for first in range(len(people)):
                tune_people: list[str] = []
                for person in people[first:] + people[:first]:
                    count = sum(subjects[i] in tune_people for i in index)
                    extra = sum(subjects[i] == person for i in index)
                    if count >= 2 or count + extra > 3:
                        break
                    tune_people.append(person)
                tune = [i for i in index if subjects[i] in tune_people]
                test = [i for i in index if subjects[i] not in tune_people]
                key = tuple(tune)
                if 2 <= len(tune) <= 3 and test and key not in seen:
                    seen.add(key)
                    out.append({"fold": fold, "kind": kind, "tune": tune, "test": test})
                if sum(s["fold"] == fold and s["kind"] == kind for s in out) >= max_splits:
                    break
    return out


def gazecom_splits(subjects: Sequence[str], held_out: Sequence[set[str]], max_splits: int,
                   n_tune: int = 3, max_test: int = 24) -> list[dict]:
    """Splits of the GazeCom recordings: ``n_tune`` recordings (videos) of one held-out subject
    fine-tune, up to ``max_test`` recordings of the fold's other held-out subjects test.

    Examples
    --------
    >>> subjects = ["A"] * 4 + ["B"] * 2 + ["C"] * 2
    >>> [(s["tune"], s["test"]) for s in gazecom_splits(subjects, [set("ABC")], 2)]
    [([0, 1, 2], [4, 5, 6, 7]), ([4, 5], [0, 1, 2, 3, 6, 7])]
    """
    out = []
    for fold, fold_subjects in enumerate(held_out):
        people = sorted({s for s in subjects if s in fold_subjects})
        for person in people[:max_splits]:
            tune = [i for i, s in enumerate(subjects) if s == person][:n_tune]
            test = [i for i, s in enumerate(subjects) if s in fold_subjects and s != person]
            if len(tune) >= 2 and test:
                out.append({"fold": fold, "kind": "gazecom", "tune": tune,
                            "test": test[:max_test]})
    return out


def score(recordings, splits, predictions) -> dict:
    """Pooled kappa and event F1 per kind and class over the splits' test recordings, and the
    mean over the cells (``mean_kappa``, ``mean_event_f1``)."""
    result = {}
    for kind in sorted({s["kind"] for s in splits}):
        pairs = [(recordings[i], predictions[n][k]) for n, s in enumerate(splits)
                 if s["kind"] == kind for k, i in enumerate(s["test"])]
        group = events_lund.score_group([r for r, _ in pairs], [p for _, p in pairs])
        result[kind] = {name: {"kappa": c["kappa"], "event_f1": c["event_f1"]}
                        for name, c in group["classes"].items() if name in CLASSES}
    cells = [cell for kind in result.values() for cell in kind.values()]
    return {"cells": result, "mean_kappa": float(np.mean([c["kappa"] for c in cells])),
            "mean_event_f1": float(np.mean([c["event_f1"] for c in cells]))}


def _options(text: str | None) -> dict:
    """``"epochs=3,lr=0.0003"`` -> ``{"epochs": 3, "lr": 0.0003}`` (types of ``CENTRE``)."""
    out = {}
    for item in (text or "").split(","):
        if item:
            key, value = item.split("=", 1)
            kind = type(CENTRE[key])
            out[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=events_lund.DATA)
    parser.add_argument("--models", type=Path, required=True,
                        help="events_deep.py --save-models folder (fold0.safetensors, ...)")
    parser.add_argument("--max-splits", type=int, default=2,
                        help="splits per fold and stimulus kind")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=events_lund.SEED)
    parser.add_argument("--gazecom", action="store_true",
                        help="fine-tune and test on GazeCom's held-out subjects instead (a "
                        "tracker, rate and coders other than Lund's)")
    parser.add_argument("--centre", default=None,
                        help="another centre, KEY=VALUE,... (e.g. epochs=3)")
    parser.add_argument("--changes", nargs="*", default=None,
                        help="other changes from the centre, each KEY=VALUE,... (default: "
                        "CHANGES)")
    parser.add_argument("--no-scratch", action="store_true",
                        help="leave out training from scratch (the slowest configuration)")
    parser.add_argument("--only", nargs="*", default=None,
                        help="configuration names to run (default: all)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "events_finetune.json")
    args = parser.parse_args(argv)
    started, cpu_started = time.perf_counter(), time.process_time()
    dataset = "gazecom-dev" if args.gazecom else "lund2013-dev"
    if args.gazecom:
        recordings, _ = events_lund.load_gazecom(args.data / dataset, None)
        kinds = ["gazecom"] * len(recordings)
    else:
        recordings, kinds = events_lund.load_lund(args.data / dataset)
    subjects = [str(r.meta.subject) for r in recordings]
    models = sorted(args.models.glob("fold*.safetensors"))
    if not models:
        raise SystemExit(f"no fold*.safetensors in {args.models}")
    held_out = [{s.split(":", 1)[1] for s in read_model_info(m)["training_data"]
                 ["held_out_subjects"] if s.startswith(f"{dataset}:")} for m in models]
    splits = (gazecom_splits(subjects, held_out, args.max_splits) if args.gazecom
              else splits_of(subjects, kinds, held_out, args.max_splits))
    print(f"{len(splits)} splits: " + ", ".join(
        f"fold {s['fold']} {s['kind']} {len(s['tune'])}+{len(s['test'])}" for s in splits))
    bases = [DeepDetector.pretrained(m, num_threads=args.threads) for m in models]

    def run(name: str, tune) -> dict:
        start = time.process_time()
        predictions, epochs = [], []
        for split in splits:
            detector = tune(bases[split["fold"]], [recordings[i] for i in split["tune"]])
            if detector is not bases[split["fold"]]:
                epochs.append(detector.training_summary_["best_epoch"])
            predictions.append([detector.predict(recordings[i]) for i in split["test"]])
        result = {"name": name, **score(recordings, splits, predictions),
                  "cpu_s": round(time.process_time() - start, 1), "best_epochs": epochs}
        print(f"{name:<28} mean kappa {result['mean_kappa']:.3f}  mean event F1 "
              f"{result['mean_event_f1']:.3f}  ({result['cpu_s']:.0f} s CPU)", flush=True)
        return result

    centre = {**CENTRE, **_options(args.centre)}
    changes = CHANGES if args.changes is None else [_options(c) for c in args.changes]
    configs = {"base (no fine-tuning)": None, "centre": {}}
    configs.update({", ".join(f"{k}={v}" for k, v in change.items()): change
                    for change in changes})
    if not args.no_scratch:
        configs["from scratch (30 epochs)"] = "scratch"
    results = []
    for name, change in configs.items():
        if args.only is not None and name not in args.only:
            continue
        if change is None:
            results.append(run(name, lambda base, recs: base))
        elif change == "scratch":
            def scratch(base, recs):
                params = {k: v for k, v in base.get_params().items()
                          if k in DeepDetector._network_params}
                return DeepDetector(**params, epochs=30, seed=args.seed,
                                    num_threads=args.threads, progress=False).fit(recs)
            results.append({**run(name, scratch), "config": "DeepDetector(epochs=30).fit"})
        else:
            config = {**centre, **change}
            results.append({**run(name, lambda base, recs, c=config: base.fine_tune(
                recs, progress=False, seed=args.seed, **c)), "config": config})
    base = next((r for r in results if r["name"] == "base (no fine-tuning)"), None)
    tuned = [r for r in results if "config" in r and isinstance(r["config"], dict)]
    best = max(tuned, key=lambda r: r["mean_kappa"]) if tuned else None
    if base and best:
        print(f"\nbest: {best['name']} ({best['config']}): mean kappa {base['mean_kappa']:.3f} "
              f"-> {best['mean_kappa']:.3f}, event F1 {base['mean_event_f1']:.3f} -> "
              f"{best['mean_event_f1']:.3f}; defaults now {FINE_TUNING}")
        for kind, cells in best["cells"].items():
            print(f"  {kind:<6}" + "  ".join(
                f"{c} k {base['cells'][kind][c]['kappa']:.2f}->{v['kappa']:.2f} "
                f"evF1 {base['cells'][kind][c]['event_f1']:.2f}->{v['event_f1']:.2f}"
                for c, v in cells.items()))
    record = {
        **report_header(__file__, benchmark="events_finetune"),
        "seed": args.seed, "threads": args.threads, "gazelearn": gazelearn.__version__,
        "centre": centre,
        "models": [str(m) for m in models], "held_out_subjects": [sorted(h) for h in held_out],
        "splits": [{**s, "tune": [Path(str(recordings[i].meta.source)).name for i in s["tune"]],
                    "test": [Path(str(recordings[i].meta.source)).name for i in s["test"]]}
                   for s in splits],
        "prediction": "predict() defaults: shared post-processing, stimulus auto",
        "defaults": FINE_TUNING, "best": best["name"] if best else None,
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
        "results": results,
    }
    events_lund.write_record(args.output, record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
