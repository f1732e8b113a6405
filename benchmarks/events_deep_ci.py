"""Confidence intervals of the deep detector's kappa and event F1, per cell, by bootstrap.

Each cell (Lund stimulus kind x class; GazeCom x class) is scored as in ``events_lund.py``:
binary (one-vs-rest) Cohen's kappa of the samples and event-level F1 (Hooge et al. 2018
matching), pooled over the recordings of the cell. The 95 % interval is the percentile
bootstrap over recordings (``--by subject``: over subjects), resampled with replacement
(``gazelearn.metrics.bootstrap_ci``); per recording only the 2 x 2 sample counts and the event
hits, misses and false alarms are kept, so every resample is a sum of those.

The sources of the predictions:

* ``--predictions NPZ``: the labels ``events_deep.py`` saves of its subject-held-out
  cross-validation (``..._predictions.npz``): Lund per kind and GazeCom, the network alone and
  post-processed. No training here.
* ``--shipped-gazecom``: the shipped model on the 217 GazeCom files it was not trained on
  (held-out recordings, not held-out subjects: GazeCom's subjects watched every video).
* ``--shipped-lund``: the shipped model on lund2013-dev per stimulus kind: its training data
  (``tools/train_default_detector.py`` uses all of it), so only a sanity check.

``--model FILE`` scores another model file (``tools/train_default_detector.py --output``, a
candidate default; trained on the same files) instead of the shipped one. ``--model A --model
B`` (two or more) scores their ensemble: the mean of the models' class probabilities (softmax
of each network's logits, each with its own features and chunks), then the arg-max and the
shared post-processing as ``predict``'s defaults (:func:`ensemble_labels`).

Cells below the human coder-vs-coder level of the issue (the double-coded Lund files) are
named in the table.

Usage::

    .venv/bin/python benchmarks/events_deep_ci.py \\
        --predictions benchmarks/results/events_deep_default_predictions.npz
    .venv/bin/python benchmarks/events_deep_ci.py --shipped-gazecom \\
        --output benchmarks/results/events_deep_ci_gazecom.json
    .venv/bin/python benchmarks/events_deep_ci.py --shipped-gazecom \\
        --model /tmp/candidate/deep_detector.safetensors --output /tmp/candidate/ci_gazecom.json
    .venv/bin/python benchmarks/events_deep_ci.py --shipped-gazecom \\
        --model src/gazelearn/models/deep_detector.safetensors \\
        --model /tmp/candidate/deep_detector.safetensors --output /tmp/candidate/ci_ensemble.json

Writes ``benchmarks/results/events_deep_ci.json``.
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
from gazelearn.detection.matching import event_scores  # noqa: E402
from gazelearn.labels import LABELS  # noqa: E402
from gazelearn.metrics import bootstrap_ci  # noqa: E402

CLASSES = ("fixation", "saccade", "pso", "pursuit")
#: Human coder vs coder on the double-coded Lund files (the issue's table): img, dots, video.
HUMAN = {"fixation": (.84, .65, .65), "saccade": (.91, .81, .87), "pso": (.76, .62, .65),
         "pursuit": (None, .70, .66)}
REMODNAV = {"fixation": (.53, .41, .42), "saccade": (.77, .75, .78), "pso": (.58, .40, .48)}
KINDS = ("img", "dots", "video")


def counts(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Per class of ``CLASSES``: both, truth only, prediction only, neither (samples), and
    event hits, misses, false alarms: ``(classes, 7)`` integers of one recording.

    Examples
    --------
    >>> c = counts(np.array([1, 1, 2, 2, 1]), np.array([1, 2, 2, 2, 1]))
    >>> c[0].tolist()  # fixation: 2 both, 1 truth only, 0 pred only, 2 neither; 2 events hit
    [2, 1, 0, 2, 2, 0, 0]
    """
    truth, pred = np.asarray(truth), np.asarray(pred)
    events = event_scores(truth, pred, [LABELS.index(c) for c in CLASSES])
    rows = []
    for name in CLASSES:
        t, p = truth == LABELS.index(name), pred == LABELS.index(name)
        match = events[name]
        rows.append([np.sum(t & p), np.sum(t & ~p), np.sum(~t & p), np.sum(~t & ~p),
                     match.hits, match.misses, match.false_alarms])
    return np.array(rows, dtype=np.int64)


def kappa(c: np.ndarray) -> float:
    """Binary Cohen's kappa from summed counts (both, truth only, prediction only, neither).

    Examples
    --------
    >>> round(kappa(np.array([2, 1, 0, 2])), 3)
    0.615
    """
    a, b, c_, d = (float(v) for v in c[:4])
    n = a + b + c_ + d
    observed = (a + d) / n
    expected = ((a + b) * (a + c_) + (c_ + d) * (b + d)) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else float("nan")


def event_f1(c: np.ndarray) -> float:
    """Event F1 ``2H / (2H + M + FA)`` from summed hits, misses and false alarms."""
    hits, misses, false_alarms = (float(v) for v in c[4:7])
    return 2 * hits / (2 * hits + misses + false_alarms) if hits else 0.0


def cell_intervals(per_recording: np.ndarray, groups: Sequence[str], n_boot: int, seed: int
                   ) -> dict:
    """Kappa and event F1 with 95 % bootstrap intervals for every class: ``per_recording``
    is ``(recordings, classes, 7)``; resampling whole ``groups``."""
    index = np.arange(len(per_recording))
    out = {}
    for k, name in enumerate(CLASSES):
        cells = per_recording[:, k, :]
        if cells[:, 0].sum() + cells[:, 1].sum() == 0:
            continue  # the coders never used this class here (no pursuit in img, ...)
        result = {}
        for metric, fn in (("kappa", kappa), ("event_f1", event_f1)):
            ci = bootstrap_ci(lambda i, fn=fn, c=cells: fn(c[i].sum(axis=0)), index, groups=groups,
                              n_boot=n_boot, seed=seed)
            result[metric] = [round(ci.estimate, 3), round(ci.low, 3), round(ci.high, 3)]
        out[name] = result
    return out


def from_predictions(path: Path, data: Path, key: str) -> dict[str, tuple[list, list, list]]:
    """Per cell group: (truth labels, predictions, subjects) from an events_deep.py ``.npz``."""
    saved = np.load(path)
    offsets = saved["offsets"]
    labels = saved[key]
    lund, kinds = events_lund.load_lund(data / "lund2013-dev")
    gazecom, _ = events_lund.load_gazecom(data / "gazecom-dev", None)
    truth = {Path(str(r.meta.source)).name: r.labels for r in lund + gazecom}
    out: dict[str, tuple[list, list, list]] = {}
    for i, (source, dataset, subject, group) in enumerate(zip(
            saved["source"], saved["dataset"], saved["subject"], saved["group"], strict=True)):
        cell = str(group) if dataset == "lund2013-dev" else "gazecom"
        pred = labels[offsets[i]:offsets[i + 1]]
        reference = truth[str(source)]
        if len(reference) != len(pred):
            raise SystemExit(f"{source}: {len(pred)} predictions for {len(reference)} samples")
        entry = out.setdefault(cell, ([], [], []))
        entry[0].append(reference)
        entry[1].append(pred)
        entry[2].append(str(subject))
    return out


def ensemble_labels(runners: Sequence, recording) -> np.ndarray:
    """Label codes of the mean of the runners' class probabilities, then the arg-max and the
    shared post-processing as ``predict``'s defaults (one runner: its ``predict``)."""
    from gazelearn.detection.deep_inference import labels_from_scores

    if len(runners) == 1:
        return runners[0].predict(recording)
    rates = {runner.sampling_rate for runner in runners}
    if len(rates) != 1:
        raise SystemExit(f"the ensemble's models work at different rates: {sorted(rates)} Hz")
    mean = np.mean([runner.scores(recording, probabilities=True) for runner in runners], axis=0)
    return labels_from_scores(mean, recording, model_rate=rates.pop())


def _runners(models: Path | Sequence[Path] | None) -> list:
    """One ONNX Runtime runner per model file (none given: the shipped model), one thread."""
    from gazelearn.detection.deep_inference import load_runner

    if models is None or isinstance(models, (str, Path)):
        models = [models]
    return [load_runner(model, num_threads=1) for model in models]


def shipped_gazecom(data: Path, models: Path | Sequence[Path] | None = None
                    ) -> dict[str, tuple[list, list, list]]:
    """The labels (``predict``'s defaults) of the shipped model, or of the model files
    ``models`` (two or more: their ensemble), of the GazeCom files it never saw."""
    runners = _runners(models)
    recordings, _ = events_lund.gazecom_unseen_by_deep(data / "gazecom-dev")
    return {"gazecom": ([r.labels for r in recordings],
                        [ensemble_labels(runners, r) for r in recordings],
                        [str(r.meta.subject) for r in recordings])}


def shipped_lund(data: Path, models: Path | Sequence[Path] | None = None
                 ) -> dict[str, tuple[list, list, list]]:
    """The labels (``predict``'s defaults) of the shipped model, or of ``models`` (two or more:
    their ensemble), of lund2013-dev per stimulus kind (the default models' training data: a
    sanity check)."""
    runners = _runners(models)
    recordings, kinds = events_lund.load_lund(data / "lund2013-dev")
    out: dict[str, tuple[list, list, list]] = {}
    for recording, kind in zip(recordings, kinds, strict=True):
        entry = out.setdefault(kind, ([], [], []))
        entry[0].append(recording.labels)
        entry[1].append(ensemble_labels(runners, recording))
        entry[2].append(str(recording.meta.subject))
    return {kind: out[kind] for kind in KINDS if kind in out}


def misses(cells: dict) -> list[str]:
    """The Lund cells whose kappa is below the human coder-vs-coder level, in words."""
    out = []
    for kind_index, kind in enumerate(KINDS):
        for name, result in cells.get(kind, {}).items():
            if name not in HUMAN:
                continue  # n_recordings
            human = HUMAN[name][kind_index]
            if human is not None and result["kappa"][0] < human:
                above = " (its interval reaches it)" if result["kappa"][2] >= human else ""
                out.append(f"{kind} {name} {result['kappa'][0]:.2f} < {human:.2f}{above}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=events_lund.DATA)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", type=Path, help="events_deep.py's _predictions.npz")
    source.add_argument("--shipped-gazecom", action="store_true",
                        help="the shipped model on the GazeCom files it was not trained on")
    source.add_argument("--shipped-lund", action="store_true",
                        help="the shipped model on lund2013-dev (its training data)")
    parser.add_argument("--model", type=Path, action="append", default=None,
                        help="with --shipped-*: this model file instead of the shipped one; "
                             "given twice or more: the mean of their class probabilities")
    parser.add_argument("--by", choices=["recording", "subject"], default="recording")
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=events_lund.SEED)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "events_deep_ci.json")
    args = parser.parse_args(argv)
    if args.model is not None and args.predictions:
        parser.error("--model goes with --shipped-gazecom or --shipped-lund")
    for model in args.model or []:
        if not model.is_file():
            parser.error(f"--model {model}: no such file")
    started = time.process_time()
    sets = {}
    if args.predictions:
        with np.load(args.predictions) as saved:
            has_auto = "labels_auto" in saved.files  # saved by events_deep.py since issue 15
        for key, title in (("labels", "post-processed"), ("labels_raw", "network alone"),
                           ("labels_auto", "post-processed, stimulus auto")):
            if key != "labels_auto" or has_auto:
                sets[title] = from_predictions(args.predictions, args.data, key)
    else:
        # one title whichever the model (the record's "model" names it), so that
        # events_deep_compare.py --set post-processed compares two models' records
        load = shipped_gazecom if args.shipped_gazecom else shipped_lund
        sets["post-processed"] = load(args.data, args.model)
    results = {}
    for title, groups in sets.items():
        results[title] = {}
        print(f"\n== {title}: kappa [95 % CI] (event F1 [95 % CI]), bootstrap over {args.by}s")
        for cell, (truth, pred, subjects) in groups.items():
            per_recording = np.stack([counts(t, p) for t, p in zip(truth, pred, strict=True)])
            by = subjects if args.by == "subject" else None
            results[title][cell] = cell_intervals(per_recording, by, args.n_boot, args.seed)
            results[title][cell]["n_recordings"] = len(truth)
            for name, r in results[title][cell].items():
                if name == "n_recordings":
                    continue
                k, f = r["kappa"], r["event_f1"]
                print(f"{cell:<8} {name:<9} {k[0]:.2f} [{k[1]:.2f}, {k[2]:.2f}]  "
                      f"({f[0]:.2f} [{f[1]:.2f}, {f[2]:.2f}])  n={len(truth)}")
        below = misses(results[title])
        if below:
            print("below the human coders: " + "; ".join(below))
        results[title]["below_human"] = below
    record = {
        **report_header(__file__, benchmark="events_deep_ci"),
        "predictions": str(args.predictions) if args.predictions else (
            ("shipped model" if args.model is None else
             f"model {args.model[0]}" if len(args.model) == 1 else
             "ensemble (mean class probabilities) of " + ", ".join(map(str, args.model))) + (
                ", gazecom-dev files not used in its training (all but every 4th)"
                if args.shipped_gazecom else ", lund2013-dev (its training data)")),
        # one file: its path (as before); an ensemble: the list of paths
        "model": None if args.model is None else (
            str(args.model[0]) if len(args.model) == 1 else [str(m) for m in args.model]),
        "bootstrap": {"over": args.by, "n_boot": args.n_boot, "confidence": 0.95,
                      "seed": args.seed, "interval": "percentile"},
        "format": "[estimate, low, high]", "human_coder_vs_coder": HUMAN,
        "remodnav_published": REMODNAV, "gazelearn": gazelearn.__version__,
        "cpu_seconds": round(time.process_time() - started, 1), "results": results,
    }
    events_lund.write_record(args.output, record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
