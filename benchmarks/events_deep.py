"""The deep event detector, cross-validated by subject on Lund 2013 and GazeCom together.

Folds hold whole subjects out (Lund and GazeCom subjects are distinct people): each fold trains
one `DeepDetector` on the training subjects' recordings of both datasets (GazeCom thinned to
every ``--gazecom-stride``-th training file to keep training in minutes on a CPU) and labels
every recording of the held-out subjects. Scores are the same as in ``events_lund.py``: binary
kappa and event F1 per class, pooled per Lund stimulus type, and sample F1 on GazeCom.

Every held-out recording is labelled twice from the same network scores: the network alone
(``postprocess=False``) and with the shared post-processing (the default of ``predict``); both
with ``stimulus="dynamic"`` (every class possible, as in the issue's table). ``--features``,
``--depth``, ``--window-s``, ``--augment``, ``--simulated``, ``--architecture``, ``--pso-weight``
and ``--recombined`` choose the configuration (``DeepDetector``'s parameters of the same
names). Each held-out recording is also labelled post-processed with ``stimulus="auto"``, as
``events detect`` does by default (Lund's images static: no pursuit), scored as
``results_stimulus_auto``; ``--from-models DIR`` labels with the folds' models of an earlier
``--save-models DIR`` instead of training.

Usage::

    .venv/bin/python benchmarks/events_deep.py --threads 1      # 4 folds, ~15-30 min on 2 cores
    .venv/bin/python benchmarks/events_deep.py --folds 2 --epochs 5 --gazecom-limit 40  # quick
    .venv/bin/python benchmarks/events_deep.py --features context --depth 9 --window-s 4 \
        --output benchmarks/results/events_deep_context.json

Writes ``benchmarks/results/events_deep.json`` and, beside it, every held-out recording's
labels (``NAME_predictions.npz``: both label sets, the recordings' sources, datasets, subjects
and stimulus types; see :func:`save_predictions`), so that scores and confidence intervals
(``events_deep_ci.py``) are recomputed without training again.
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
from gazelearn.detection.deep import DeepDetector  # noqa: E402
from gazelearn.labels import Label  # noqa: E402
from gazelearn.splits import group_kfold  # noqa: E402


def cross_validated_predictions(recordings, subjects, datasets, folds: int, epochs: int,
                                gazecom_stride: int, seed: int, threads: int | None = None,
                                log=print, models: Path | None = None,
                                from_models: Path | None = None, pso_bias: float = 0.0,
                                shifts: dict[str, float] | None = None, **params):
    """Labels for every recording from a model that never saw its subject: the network's
    alone and post-processed (``predictions``, ``raw``, both ``stimulus="dynamic"``), and
    post-processed with ``stimulus="auto"`` as ``events detect`` applies it (``auto``: no
    pursuit on Lund's images), with the folds' details; with ``models``, each fold's detector
    is saved there (``fold{k}.safetensors``, its held-out subjects in the fold details): a
    model that never saw them, to fine-tune on them. With ``from_models`` the folds' detectors
    are loaded from such a folder instead of trained (their held-out subjects checked).
    ``pso_bias`` is added to the PSO logit of every fold's trained network (its output layer's
    bias) before labelling: what a PSO loss weight does, without training again; ``shifts``
    (class name -> shift) does the same for any class."""
    from gazelearn.detection.deep_inference import labels_from_scores

    predictions: list[np.ndarray | None] = [None] * len(recordings)
    raw: list[np.ndarray | None] = [None] * len(recordings)
    auto: list[np.ndarray | None] = [None] * len(recordings)
    fold_info = []
    for fold, (train_idx, test_idx) in enumerate(group_kfold(subjects, folds, seed=seed)):
        train_idx = [i for k, i in enumerate(sorted(train_idx))
                     if datasets[i] != "gazecom-dev" or k % gazecom_stride == 0]
        held_out = sorted({subjects[i] for i in test_idx})
        start = time.perf_counter()
        if from_models is not None:
            detector = _fold_model(from_models / f"fold{fold}.safetensors", held_out, threads)
        else:
            detector = DeepDetector(epochs=epochs, seed=seed, num_threads=threads,
                                    progress=False, **params)
            detector.fit([recordings[i] for i in train_idx],
                         groups=[subjects[i] for i in train_idx])
        trained = time.perf_counter() - start
        for name, shift in {"pso": pso_bias, **(shifts or {})}.items():
            if shift:
                detector = detector.with_logit_shift(name, shift)
        if models is not None and from_models is None:
            detector.save(models / f"fold{fold}.safetensors",
                          training_data={"held_out_subjects": sorted({subjects[i]
                                                                      for i in test_idx})})
        for i in test_idx:
            scores = detector._scores(recordings[i], probabilities=False)
            for out, post, stimulus in ((predictions, True, "dynamic"),
                                        (raw, False, "dynamic"), (auto, True, "auto")):
                out[i] = labels_from_scores(scores, recordings[i], postprocess=post,
                                            stimulus=stimulus,
                                            model_rate=detector.sampling_rate)
        seconds = time.perf_counter() - start
        fold_info.append({"fold": fold, "train_recordings": len(train_idx),
                          "test_recordings": len(test_idx), "seconds": round(seconds, 1),
                          "training_seconds": round(trained, 1),
                          "held_out_subjects": held_out,
                          "windows": detector.training_summary_["windows"],
                          "best_epoch": detector.training_summary_["best_epoch"]})
        log(f"fold {fold}: trained on {len(train_idx)}, labelled {len(test_idx)} "
            f"in {seconds:.0f} s")
    return predictions, raw, auto, fold_info


def _fold_model(path: Path, held_out: list[str], threads: int | None) -> DeepDetector:
    """A fold's saved detector, refused unless it was saved for these held-out subjects."""
    from gazelearn.learn.modelfile import read_model_info

    saved = read_model_info(path).get("training_data", {}).get("held_out_subjects")
    if saved != held_out:
        raise SystemExit(f"{path}: saved for held-out subjects {saved}, this fold holds out "
                         f"{held_out} (other folds or data)")
    return DeepDetector.pretrained(path, num_threads=threads)


def save_predictions(path: Path, recordings, datasets, subjects, groups, predictions, raw,
                     auto=None) -> Path:
    """The cross-validated labels of every recording, in one compressed ``.npz``: ``labels``
    and ``labels_raw`` (int8, all recordings end to end), with ``auto`` also ``labels_auto``
    (post-processed with ``stimulus="auto"``), ``offsets`` (recording ``i`` is
    ``offsets[i]:offsets[i + 1]``), ``source`` (file name), ``dataset``, ``subject``,
    ``group`` (Lund stimulus type or GazeCom video). No signal is stored, only labels."""
    offsets = np.cumsum([0] + [len(r) for r in recordings])
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {} if auto is None else {"labels_auto": np.concatenate(auto).astype(np.int8)}
    np.savez_compressed(
        path, labels=np.concatenate(predictions).astype(np.int8),
        labels_raw=np.concatenate(raw).astype(np.int8), offsets=offsets, **extra,
        source=np.array([Path(str(r.meta.source)).name for r in recordings]),
        dataset=np.array(datasets), subject=np.array(subjects), group=np.array(groups))
    return path


def score_all(lund, lund_types, gazecom, predictions) -> dict:
    """Scores of one set of predictions: Lund per stimulus type and over all, GazeCom."""
    results = {
        "lund2013-dev": {"method": "deep", "cross_validated": True, "groups": {}},
        "gazecom-dev": {"method": "deep", "cross_validated": True, "groups": {}},
    }
    n_lund = len(lund)
    for group in sorted(set(lund_types)):
        index = [i for i, t in enumerate(lund_types) if t == group]
        results["lund2013-dev"]["groups"][group] = events_lund.score_group(
            [lund[i] for i in index], [predictions[i] for i in index])
    results["lund2013-dev"]["all"] = events_lund.score_group(lund, predictions[:n_lund])
    results["gazecom-dev"]["all"] = events_lund.score_group(gazecom, predictions[n_lund:])
    # GazeCom's coders had no PSO class: also score with predicted PSO counted as saccade
    merged = [np.where(p == Label.PSO, Label.SACCADE, p) for p in predictions[n_lund:]]
    results["gazecom-dev (pso as saccade)"] = {
        "method": "deep", "cross_validated": True, "groups": {},
        "all": events_lund.score_group(gazecom, merged)}
    return results


def print_results(results: dict, title: str) -> None:
    print(f"\n== lund2013-dev, deep detector, subject-held-out CV: {title}")
    for group in ["img", "dots", "video", "all"]:
        print(events_lund.format_table([results["lund2013-dev"]], group))
        print()
    print(f"== gazecom-dev: sample F1, kappa, event F1 ({title})")
    print(events_lund.format_table([results["gazecom-dev"]], "all",
                                   metrics=("sample_f1", "kappa", "event_f1")))
    print("== gazecom-dev, predicted PSO counted as saccade (GazeCom has no PSO class)")
    print(events_lund.format_table([results["gazecom-dev (pso as saccade)"]], "all",
                                   metrics=("sample_f1", "kappa", "event_f1")))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=events_lund.DATA)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--gazecom-limit", type=int, default=None)
    parser.add_argument("--gazecom-stride", type=int, default=4,
                        help="train on every Nth GazeCom training file (all are tested)")
    parser.add_argument("--seed", type=int, default=events_lund.SEED)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--features", default="velocity", choices=["velocity", "context"])
    parser.add_argument("--depth", type=int, default=7, help="dilated layers of the TCN")
    parser.add_argument("--window-s", type=float, default=1.0, help="training window (s)")
    parser.add_argument("--batch-size", type=int, default=32, help="windows per batch")
    parser.add_argument("--augment", type=int, default=0,
                        help="augmented copies per training recording")
    parser.add_argument("--simulated", type=int, default=0,
                        help="simulator recordings added to every fold's training data")
    parser.add_argument("--architecture", default="tcn", choices=["tcn", "tcn-gru", "gru"],
                        help="DeepDetector's architecture")
    parser.add_argument("--pso-weight", type=float, default=1.0,
                        help="factor on the PSO class's loss weight")
    parser.add_argument("--recombined", type=int, default=0,
                        help="recombined recordings per training subject (DeepDetector's)")
    parser.add_argument("--pso-bias", type=float, default=0.0,
                        help="added to the trained networks' PSO logit before labelling")
    parser.add_argument("--logit-shift", nargs="*", default=[], metavar="CLASS=SHIFT",
                        help="added to the trained networks' logit of CLASS before labelling")
    parser.add_argument("--from-models", type=Path, default=None,
                        help="label with the folds' models saved by --save-models (no training)")
    parser.add_argument("--output", type=Path,
                        default=HERE / "results" / "events_deep.json")
    parser.add_argument("--predictions", type=Path, default=None,
                        help="where the labels go (default: OUTPUT_predictions.npz)")
    parser.add_argument("--save-models", type=Path, default=None,
                        help="folder for each fold's model (fold0.safetensors, ...)")
    args = parser.parse_args(argv)
    shifts = {name: float(value) for name, value in
              (item.split("=", 1) for item in args.logit_shift)}
    cpu_started = time.process_time()
    started = time.perf_counter()
    lund, lund_types = events_lund.load_lund(args.data / "lund2013-dev")
    gazecom, gazecom_videos = events_lund.load_gazecom(args.data / "gazecom-dev",
                                                       args.gazecom_limit)
    recordings = lund + gazecom
    datasets = ["lund2013-dev"] * len(lund) + ["gazecom-dev"] * len(gazecom)
    subjects = [f"{d}:{r.meta.subject}" for d, r in zip(datasets, recordings, strict=True)]
    params = {"features": args.features, "depth": args.depth, "window_s": args.window_s,
              "batch_size": args.batch_size, "augment": args.augment,
              "simulated": args.simulated, "architecture": args.architecture,
              "pso_weight": args.pso_weight, "recombined": args.recombined}
    predictions, raw, auto, folds = cross_validated_predictions(
        recordings, subjects, datasets, args.folds, args.epochs, args.gazecom_stride, args.seed,
        args.threads, models=args.save_models, from_models=args.from_models,
        pso_bias=args.pso_bias, shifts=shifts, **params)
    predictions_path = save_predictions(
        args.predictions or args.output.with_name(f"{args.output.stem}_predictions.npz"),
        recordings, datasets, subjects, lund_types + gazecom_videos, predictions, raw, auto)
    results = score_all(lund, lund_types, gazecom, predictions)
    results_raw = score_all(lund, lund_types, gazecom, raw)
    results_auto = score_all(lund, lund_types, gazecom, auto)
    print_results(results_raw, "the network alone (postprocess=False)")
    print_results(results, "with the shared post-processing (predict's default)")
    print_results(results_auto, "post-processed, stimulus auto (Lund img static)")
    record = {
        **report_header(__file__, benchmark="events_deep"),
        "seed": args.seed, "folds": folds, "epochs": args.epochs, "params": params,
        "threads": args.threads, "stimulus": "dynamic",
        "gazecom_stride": args.gazecom_stride, "gazecom_limit": args.gazecom_limit,
        "split": "group k-fold by subject over Lund and GazeCom together",
        "gazelearn": gazelearn.__version__,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "predictions": str(predictions_path.relative_to(HERE.parent)
                           if predictions_path.is_relative_to(HERE.parent)
                           else predictions_path),
        "results": results,
        "results_network_alone": results_raw,
        "results_stimulus_auto": results_auto,
        "from_models": None if args.from_models is None else str(args.from_models),
        "pso_bias": args.pso_bias, "logit_shifts": shifts,
    }
    events_lund.write_record(args.output, record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
