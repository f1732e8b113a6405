#!/usr/bin/env python
"""Biometrics on real data: who is looking? Embeddings of velocity windows vs baselines.

(1) **gazecom-dev** (53 people, 6 videos, 250 Hz; the person is the file-name prefix).
    *Open set*: the embedding (triplet loss with semi-hard mining, and the softmax baseline) is
    trained on all recordings of ``--train-persons`` people (35); the other people (18) are
    enrolled with 3 videos (beach, breite_strasse, bridge_1) and probed with the other 3
    (bridge_2, bumblebee, doves). The network never sees the test people, nor the probe
    recordings. *Closed set*: the same test people and enroll/probe videos, but the embedding is
    trained on the 35 training people plus the enrollment recordings of the test people; the
    classic baseline (random forest on flattened windows, recording score = mean class
    probability) is closed set by nature: a classifier needs the persons at training time, so it
    is trained on the enrollment recordings of the test people.
(2) **paths** (ETRA 2021; 18 people x 4 pictures, about 60 Hz, about 3 s per recording, no
    screen geometry, so velocity in px/s). Closed set, rotated over the 4 pictures: embedding,
    softmax baseline and forest are trained on the 3 enrollment pictures of all 18 people (the
    enrollment recordings themselves), and probed with the 4th picture, which no model has seen.

Every model runs on ONE CPU thread. Chance: rank-1 = 1 / persons, rank-5 = 5 / persons,
EER = 50 %.

Usage::

    .venv/bin/python benchmarks/biometrics.py                    # both data sets (~25 min)
    .venv/bin/python benchmarks/biometrics.py --part paths       # paths only (~3 min)

Prints tables and writes ``benchmarks/results/biometrics.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from _report import report_header
from gazelearn.biometrics import EyeMovementEmbedder
from gazelearn.biometrics.protocol import (
    ProtocolSplit,
    classifier_scores,
    closed_set_split,
    evaluate_embedder,
    evaluate_scores,
    open_set_split,
)
from gazelearn.io import read_dataset
from gazelearn.learn import create

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "biometrics.json"
GAZECOM_ENROLL = ("beach", "breite_strasse", "bridge_1")
PATHS_PICTURES = ("bus", "kot", "nap", "rab")


def embedder(loss: str, args: argparse.Namespace, **options: Any) -> EyeMovementEmbedder:
    settings = dict(loss=loss, embedding_dim=args.embedding_dim, epochs=args.epochs,
                    window_s=args.window_s, step_s=args.step_s, lr=args.lr,
                    persons_per_batch=16, windows_per_person=4, batch_size=64, seed=args.seed,
                    num_threads=1, progress=False)
    settings.update(options)
    return EyeMovementEmbedder(**settings)


def run_embedder(name: str, model: EyeMovementEmbedder, data, train, enroll, probe,
                 persons: np.ndarray) -> dict[str, Any]:
    start = time.perf_counter()
    model.fit(data.subset(train), persons[train])
    fit_s = time.perf_counter() - start
    result = evaluate_embedder(model, data.subset(enroll), persons[enroll], data.subset(probe),
                               persons[probe])
    row = {"model": name, **result.to_dict(), "train_recordings": int(len(train)),
           "train_persons": int(len(set(persons[train]))),
           "train_windows": model.training_summary_["n_samples"], "fit_s": round(fit_s, 1),
           "final_loss": model.history_[-1]["loss"]}
    print_row(row)
    return row


def run_forest(data, enroll, probe, persons: np.ndarray, args: argparse.Namespace,
               spec_model: EyeMovementEmbedder) -> dict[str, Any]:
    """Random forest on flattened windows of the enrollment recordings (closed set)."""
    from gazelearn.biometrics.data import velocity_windows

    start = time.perf_counter()
    spec = spec_model.window_spec()
    train_ws = velocity_windows(data.subset(enroll), spec, persons[enroll])
    probe_ws = velocity_windows(data.subset(probe), spec)
    forest = create("forest", n_estimators=args.trees, random_state=args.seed, n_jobs=1)
    scores, classes = classifier_scores(forest, train_ws.X, train_ws.y, probe_ws.X,
                                        probe_ws.recording, len(probe))
    result = evaluate_scores(scores, persons[probe], classes)
    row = {"model": "forest (closed set)", **result.to_dict(),
           "train_recordings": int(len(enroll)), "train_persons": int(len(set(persons[enroll]))),
           "train_windows": int(len(train_ws)), "fit_s": round(time.perf_counter() - start, 1)}
    print_row(row)
    return row


def print_row(row: dict[str, Any]) -> None:
    print(f"  {row['model']:<28} rank-1 {100 * row['rank1']:5.1f} %  rank-5 "
          f"{100 * row['rank5']:5.1f} %  EER {100 * row['eer']:5.1f} %  FRR@1e-2 "
          f"{100 * row['frr_at_far_1e-2']:5.1f} %  (chance {100 * row['chance_rank1']:.1f} / "
          f"{100 * row['chance_rank5']:.1f} %; {row['n_probes']} probes, {row['n_persons']} "
          f"persons; fit {row['fit_s']} s)", flush=True)


def only_enrolled(split: ProtocolSplit, persons: np.ndarray) -> ProtocolSplit:
    """Drop probes of persons with no enrollment recording (they miss videos)."""
    enrolled = set(persons[split.enroll])
    probe = np.array([i for i in split.probe if persons[i] in enrolled], dtype=np.int64)
    enroll = np.array([i for i in split.enroll if persons[i] in set(persons[probe])],
                      dtype=np.int64)
    return ProtocolSplit(split.train, enroll, probe, split.description)


def gazecom(args: argparse.Namespace) -> dict[str, Any]:
    data = read_dataset(DATA / "gazecom-dev", format="gazecom")
    persons = np.asarray(data.column("subject")).astype(str)
    stimuli = np.asarray(data.column("stimulus")).astype(str)
    everyone = np.unique(persons)
    rng = np.random.default_rng(args.seed)
    train_persons = sorted(rng.choice(everyone, size=args.train_persons, replace=False))
    split = only_enrolled(open_set_split(persons, stimuli, train_persons, GAZECOM_ENROLL),
                          persons)
    print(f"gazecom-dev: {len(data)} recordings of {len(everyone)} persons; open set: train on "
          f"{len(train_persons)} persons ({len(split.train)} recordings), enroll "
          f"{len(set(persons[split.enroll]))} others with {', '.join(GAZECOM_ENROLL)} "
          f"({len(split.enroll)} recordings), probe with the other videos ({len(split.probe)})")
    rows = [run_embedder("triplet (open set)", embedder("triplet", args), data, split.train,
                         split.enroll, split.probe, persons),
            run_embedder("softmax (open set)", embedder("softmax", args), data, split.train,
                         split.enroll, split.probe, persons)]
    closed_train = np.concatenate([split.train, split.enroll])
    rows.append(run_embedder("triplet (closed set)", embedder("triplet", args), data,
                             closed_train, split.enroll, split.probe, persons))
    rows.append(run_forest(data, split.enroll, split.probe, persons, args,
                           embedder("triplet", args)))
    return {"data": str(DATA / "gazecom-dev"), "recordings": len(data),
            "persons": len(everyone), "train_persons": train_persons,
            "test_persons": sorted(set(persons[split.probe])),
            "enroll_stimuli": list(GAZECOM_ENROLL),
            "probe_stimuli": sorted(set(stimuli) - set(GAZECOM_ENROLL)),
            "protocol": split.description, "rows": rows}


def pretrain(args: argparse.Namespace) -> dict[str, Any]:
    """gazecom open set again, with the encoder pre-trained on synthetic people first."""
    import tempfile

    from gazelearn.learn.modelfile import save_model
    from gazelearn.screen import Screen
    from gazelearn.simulate import simulate_population

    data = read_dataset(DATA / "gazecom-dev", format="gazecom")
    persons = np.asarray(data.column("subject")).astype(str)
    stimuli = np.asarray(data.column("stimulus")).astype(str)
    rng = np.random.default_rng(args.seed)
    train_persons = sorted(rng.choice(np.unique(persons), size=args.train_persons,
                                      replace=False))
    split = only_enrolled(open_set_split(persons, stimuli, train_persons, GAZECOM_ENROLL),
                          persons)
    # GazeCom's geometry: 1280 x 720 px = 400 x 225 mm at 450 mm; 250 Hz, 20 s recordings
    screen = Screen(1280, 720, 400.0, 225.0, 450.0)
    start = time.perf_counter()
    synthetic = simulate_population(n_subjects=args.synthetic_persons, recordings_per_subject=6,
                                    duration_s=20.0, sampling_rate=250.0, screen=screen,
                                    seed=args.seed)
    simulate_s = time.perf_counter() - start
    synthetic_persons = np.asarray(synthetic.column("subject")).astype(str)
    print(f"pre-training on {args.synthetic_persons} synthetic persons x 6 recordings of 20 s "
          f"({simulate_s:.0f} s to simulate)", flush=True)
    start = time.perf_counter()
    base = embedder("triplet", args).fit(synthetic, synthetic_persons)
    pretrain_s = time.perf_counter() - start
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = save_model(base, Path(folder) / "synthetic.safetensors")
        result = evaluate_embedder(base, data.subset(split.enroll), persons[split.enroll],
                                   data.subset(split.probe), persons[split.probe])
        row = {"model": "triplet, synthetic people only", **result.to_dict(),
               "train_recordings": len(synthetic), "train_persons": args.synthetic_persons,
               "fit_s": round(pretrain_s, 1)}
        print_row(row)
        rows.append(row)
        rows.append(run_embedder("triplet, pre-trained + fine-tuned", embedder(
            "triplet", args, init_from=path), data, split.train, split.enroll, split.probe,
            persons))
    rows.append(run_embedder("triplet, from scratch", embedder("triplet", args), data,
                             split.train, split.enroll, split.probe, persons))
    return {"synthetic_persons": args.synthetic_persons, "synthetic_recordings": len(synthetic),
            "simulate_s": round(simulate_s, 1), "protocol": split.description,
            "test_persons": sorted(set(persons[split.probe])), "rows": rows}


def paths(args: argparse.Namespace) -> dict[str, Any]:
    data = read_dataset(DATA / "etra2021" / "paths", format="etra-paths")
    persons = np.asarray(data.column("subject")).astype(str)
    stimuli = np.asarray(data.column("stimulus")).astype(str)
    folds = []
    for probe_picture in PATHS_PICTURES:
        enroll_pictures = [p for p in PATHS_PICTURES if p != probe_picture]
        split = closed_set_split(persons, stimuli, enroll_pictures)
        print(f"paths: enroll {', '.join(enroll_pictures)} ({len(split.enroll)} recordings), "
              f"probe {probe_picture} ({len(split.probe)})")
        # ~3 s recordings: windows of 1 s with a 0.25 s step give about 9 per recording
        options = {"step_s": args.paths_step_s, "persons_per_batch": 18,
                   "epochs": args.paths_epochs}
        rows = [run_embedder("triplet (closed set)", embedder("triplet", args, **options),
                             data, split.train, split.enroll, split.probe, persons),
                run_embedder("softmax (closed set)", embedder("softmax", args, **options),
                             data, split.train, split.enroll, split.probe, persons),
                run_forest(data, split.enroll, split.probe, persons, args,
                           embedder("triplet", args, **options))]
        folds.append({"probe_picture": probe_picture, "enroll_pictures": enroll_pictures,
                      "rows": rows})
    summary = {}
    for name in [r["model"] for r in folds[0]["rows"]]:
        picked = [r for f in folds for r in f["rows"] if r["model"] == name]
        summary[name] = {key: float(np.mean([r[key] for r in picked])) for key in
                         ("rank1", "rank5", "eer", "frr_at_far_1e-2", "frr_at_far_1e-3",
                          "chance_rank1", "chance_rank5")}
    print("paths, mean over the 4 rotations:")
    for name, values in summary.items():
        print(f"  {name:<28} rank-1 {100 * values['rank1']:5.1f} %  rank-5 "
              f"{100 * values['rank5']:5.1f} %  EER {100 * values['eer']:5.1f} %")
    return {"data": str(DATA / "etra2021" / "paths"), "recordings": len(data),
            "persons": len(set(persons)), "protocol": "closed set, rotated: trained and "
            "enrolled on 3 pictures, probed on the 4th", "folds": folds, "mean": summary}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "gazecom", "paths", "pretrain"),
                        default="all")
    parser.add_argument("--synthetic-persons", type=int, default=60)
    parser.add_argument("--train-persons", type=int, default=35)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--paths-epochs", type=int, default=40)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--window-s", type=float, default=1.0)
    parser.add_argument("--step-s", type=float, default=0.5)
    parser.add_argument("--paths-step-s", type=float, default=0.25)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    started = time.perf_counter()
    results: dict[str, Any] = {
        **report_header(__file__, argv),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "chance": "rank-k = k / persons; EER = 0.5",
    }
    if args.part in ("all", "gazecom"):
        results["gazecom"] = gazecom(args)
    if args.part in ("all", "paths"):
        results["paths"] = paths(args)
    if args.part in ("all", "pretrain"):
        results["pretrain"] = pretrain(args)
    results["total_s"] = round(time.perf_counter() - started, 1)
    previous = {}
    if args.output.exists() and args.part != "all":
        previous = json.loads(args.output.read_text())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({**previous, **results}, indent=1) + "\n")
    print(f"wrote {args.output} ({results['total_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
