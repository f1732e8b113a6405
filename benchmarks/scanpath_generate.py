#!/usr/bin/env python
"""Scanpath generation on the ETRA 2021 ``animals`` data (57 free-viewing recordings, one image).

1. **Next-point LSTM** (the tutorial's model: 20 points -> the next; two LSTM layers of 128; L1
   loss; Adam; batch 128; 30 epochs by default) on a split *by recording*
   (``gazelearn.splits.train_test_by_group``, 20 % of recordings held out, seed 0: 45 / 12, the
   split ``gazelearn scanpath train-generator`` uses), its test MAE (px, mean of x and y, the
   tutorial's measure) beside the "next = last point" baseline. For contrast, also the
   tutorial's own protocol: a random 85/15 split of *windows* (leaky: windows of one recording
   on both sides), same network and epochs.
2. **Generator** (fixation-level mixture-density LSTM, ``ScanpathGenerator``) trained on the 45
   training recordings; 45 scanpaths sampled (lengths drawn from the training recordings) for
   each of several sampling seeds; realism against the 12 held-out recordings
   (``gazelearn.scanpath.realism.realism_scores``) beside two references: the 45 *real*
   training recordings (what a perfect generator would score) and an *independent-fixations*
   baseline (fixation positions, durations and gaps drawn independently from the training
   fixations: right marginals, no sequence). A larger classifier two-sample test compares 57
   generated with all 57 real recordings; its reference is real vs real (random halves).

Usage::

    .venv/bin/python benchmarks/scanpath_generate.py            # ~3-5 minutes on one thread
    .venv/bin/python benchmarks/scanpath_generate.py --epochs 5 --seeds 1   # quick look

Prints tables and writes ``benchmarks/results/scanpath_generate.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from _report import report_header, write_report
from gazelearn.io import expand_paths, read
from gazelearn.metrics import mae
from gazelearn.recording import Metadata
from gazelearn.scanpath.fixseq import fixation_sequences, render_fixations
from gazelearn.scanpath.generate import ScanpathGenerator
from gazelearn.scanpath.nextpoint import NextPointPredictor, last_point_baseline, point_sequences
from gazelearn.scanpath.realism import realism_scores, two_sample_test
from gazelearn.splits import random_split, train_test_by_group

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "etra2021" / "animals"
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "scanpath_generate.json"
TUTORIAL = {"test_mae_px": "about 57-64 (epochs 27-29: 60.5, 56.9, 64.4)",
            "protocol": "random 85/15 split of 20-point windows (train_test_split, "
                        "random_state=42), 30 epochs, batch 128, L1 loss, LSTM(128)-LSTM(128)-"
                        "Dense(64)-Dense(2) on raw pixel coordinates"}
SHOWN = ("duration_ks", "amplitude_ks", "amplitude_wasserstein_px", "heatmap_cc", "heatmap_kl",
         "dtw_px", "fixations_per_recording", "c2st_balanced_accuracy")




def independent_fixations(train, n: int, extent, seed: int):
    """Baseline: every fixation drawn independently from the pooled training fixations."""
    rng = np.random.default_rng(seed)
    seqs = [s for s in fixation_sequences(train) if len(s)]
    pts = np.concatenate([s.points() for s in seqs])
    durations = np.concatenate([s.duration for s in seqs])
    gaps = np.concatenate([s.gaps for s in seqs])
    jitter = float(np.nanmedian(np.concatenate([s.jitter for s in seqs])))
    rate = float(np.median([r.sampling_rate for r in train]))
    lengths = rng.choice([len(r) for r in train], size=n)
    out = []
    for i, length in enumerate(lengths):
        k = 60  # more than enough fixations for the longest recording
        pick = rng.integers(0, len(pts), k)
        x = np.clip(pts[pick, 0], 0, extent[0] - 1)
        y = np.clip(pts[pick, 1], 0, extent[1] - 1)
        out.append(render_fixations(x, y, rng.choice(durations, k), rng.choice(gaps, k - 1),
                                    rate, int(length), jitter, extent, rng,
                                    Metadata(source="independent", trial=f"iid_{i}")))
    return out


def next_point(train, test, recs, args) -> dict:
    """The tutorial's LSTM under the recording-wise split and under the leaky window split."""
    out = {}
    start = time.perf_counter()
    model = NextPointPredictor(epochs=args.epochs, seed=args.seed, num_threads=1,
                               progress=False).fit(train)
    out["recording_split"] = {**model.evaluate(test), "train_seconds":
                              round(time.perf_counter() - start, 1),
                              "best_epoch": model.best_epoch_,
                              "val_mae_by_epoch": [round(h.get("val_mae", np.nan), 2)
                                                   for h in model.history_]}
    # the tutorial's protocol: every window of every recording, random 85/15 split of windows
    X, y, _ = point_sequences(recs, 20)
    tr, te = random_split(len(X), test_size=0.15, seed=42)
    start = time.perf_counter()
    leaky = NextPointPredictor(epochs=args.epochs, seed=args.seed, num_threads=1,
                               validation_fraction=0.0, progress=False).fit(X[tr], y[tr])
    predicted = leaky.predict(X[te])
    out["leaky_window_split"] = {"mae_px": mae(y[te], predicted),
                                 "baseline_mae_px": last_point_baseline(X[te], y[te]),
                                 "windows": int(len(te)),
                                 "train_seconds": round(time.perf_counter() - start, 1),
                                 "note": "windows of one recording on both sides (leaky)"}
    return out


def _mean(runs: list[dict]) -> dict:
    keys = [k for k in runs[0] if isinstance(runs[0][k], int | float)]
    return {k: {"mean": float(np.mean([r[k] for r in runs])),
                "sd": float(np.std([r[k] for r in runs]))} for k in keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=30, help="next-point LSTM epochs")
    parser.add_argument("--seeds", type=int, default=3, help="sampling seeds of the generator")
    parser.add_argument("--seed", type=int, default=0, help="split and training seed")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if not args.data.is_dir():
        print(f"data not found: {args.data}", file=sys.stderr)
        return 1
    paths = [p for p in expand_paths([args.data]) if p.suffix == ".csv"]
    recs = [read(p, format="etra-animals") for p in paths]
    stimulus = args.data / "animal-11.jpg"
    train_idx, test_idx = train_test_by_group(np.arange(len(recs)), test_size=0.2, seed=args.seed)
    train = [recs[i] for i in sorted(train_idx)]
    test = [recs[i] for i in sorted(test_idx)]
    print(f"{len(recs)} recordings: {len(train)} train / {len(test)} test (by recording)")
    began = time.perf_counter()

    np_scores = next_point(train, test, recs, args)
    rs, lk = np_scores["recording_split"], np_scores["leaky_window_split"]
    print(f"\nnext-point LSTM, {args.epochs} epochs     test MAE px   last-point MAE px")
    print(f"  split by recording (45/12)    {rs['mae_px']:10.1f}   {rs['baseline_mae_px']:10.1f}")
    print(f"  tutorial's leaky window split {lk['mae_px']:10.1f}   {lk['baseline_mae_px']:10.1f}")

    start = time.perf_counter()
    generator = ScanpathGenerator(stimulus=str(stimulus), seed=args.seed, num_threads=1,
                                  progress=False).fit(train)
    gen_info = {"train_seconds": round(time.perf_counter() - start, 1),
                "summary": generator.training_summary_, "test_nll": generator.nll(test),
                "train_nll": generator.nll(train), "extent": list(generator.extent_),
                "sampling_rate": generator.sampling_rate_, "jitter_px": generator.jitter_px_}
    extent = generator.extent_
    reference = realism_scores(train, test, extent, seed=args.seed)
    runs, iid_runs, c2st_all = [], [], []
    for s in range(args.seeds):
        fake = generator.sample(len(train), seed=s)
        runs.append(realism_scores(fake, test, extent, seed=args.seed))
        iid_runs.append(realism_scores(independent_fixations(train, len(train), extent, s), test,
                                       extent, seed=args.seed))
        many = generator.sample(len(recs), seed=100 + s)
        c2st_all.append(two_sample_test(recs, many, extent, seed=args.seed))
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(recs))
    half = len(recs) // 2
    c2st_real = two_sample_test([recs[i] for i in order[:half]],
                                [recs[i] for i in order[half:]], extent, seed=args.seed)
    generated, iid = _mean(runs), _mean(iid_runs)
    print(f"\nrealism vs the {len(test)} held-out recordings (generated: mean of {args.seeds} "
          "sampling seeds)")
    print(f"  {'measure':28s} {'generator':>10s} {'iid fix.':>10s} {'real train':>10s}")
    for key in SHOWN:
        print(f"  {key:28s} {generated[key]['mean']:10.3f} {iid[key]['mean']:10.3f} "
              f"{reference[key]:10.3f}")
    c2 = _mean(c2st_all)
    print(f"\nclassifier two-sample test, all {len(recs)} real vs {len(recs)} generated: "
          f"balanced accuracy {c2['balanced_accuracy']['mean']:.3f} (seed 0 CI "
          f"{c2st_all[0]['ci_low']:.2f}-{c2st_all[0]['ci_high']:.2f}); real half vs half "
          f"{c2st_real['balanced_accuracy']:.3f} (CI {c2st_real['ci_low']:.2f}-"
          f"{c2st_real['ci_high']:.2f})")
    print(f"\ngenerator NLL per fixation: train {gen_info['train_nll']:.3f}, "
          f"test {gen_info['test_nll']:.3f}; total {time.perf_counter() - began:.0f} s")

    output = {
        **report_header(__file__, argv),
        "data": {"path": str(args.data), "recordings": len(recs), "stimulus": stimulus.name,
                 "format": "etra-animals"},
        "split": {"method": "train_test_by_group over recordings, test_size 0.2",
                  "seed": args.seed, "train": [paths[i].stem for i in sorted(train_idx)],
                  "test": [paths[i].stem for i in sorted(test_idx)]},
        "next_point": {"epochs": args.epochs, "network": "LSTM(128)-LSTM(128)-linear, L1 "
                       "loss on standardised targets, Adam 1e-3, batch 128; best epoch on 20 % "
                       "of the training recordings", **np_scores, "tutorial": TUTORIAL},
        "generator": gen_info,
        "realism_vs_test": {"generated_mean_sd": generated, "generated_runs": runs,
                            "independent_fixations_mean_sd": iid,
                            "real_train_reference": reference,
                            "sampling_seeds": list(range(args.seeds)),
                            "fixations": "I-DT in pixels, dispersion 100 px, >= 0.1 s",
                            "heatmap": "64 x 48 grid, sigma 50 px, fixation counts"},
        "c2st_all": {"generated_vs_real": c2st_all, "real_half_vs_half": c2st_real,
                     "classifier": "forest (200 trees) on recording_features, stratified "
                                   "group 5-fold, balanced accuracy, bootstrap 95 % CI"},
        "seconds": round(time.perf_counter() - began, 1),
    }
    write_report(args.output, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
