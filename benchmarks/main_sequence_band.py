#!/usr/bin/env python
"""How many hand-labelled saccades fall inside the expected band of ``gazelearn plot
--kind main-sequence``.

The band (:func:`gazelearn.report.main_sequence_band`) is ``V = 461.6 (1 - exp(-A / 9.07))``
deg/s times ``1 -+ 0.29``: the main-sequence law fitted to the normative peak velocities of
Hopf et al. (2018) (reflexive saccades to 5-30 deg targets, 220 Hz video-oculography) with two
of their standard deviations around it. This script checks it against saccades that human
coders labelled in real recordings: Lund 2013 (500 Hz tower-mounted tracker, image and video
viewing, dot following; 29 recordings) and GazeCom (250 Hz, free viewing of videos; 290
recordings). Every saccade's amplitude and peak velocity are those ``gazelearn plot`` draws
(:func:`gazelearn.report.saccade_measures`: the events table's ``amplitude`` and
``peak_velocity`` of the coder's labels). Nothing is learned; no seed is involved.

Usage::

    .venv/bin/python benchmarks/main_sequence_band.py            # both data sets
    .venv/bin/python benchmarks/main_sequence_band.py --gazecom-limit 60

Prints a table and writes ``benchmarks/results/main_sequence_band.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _report import report_header, write_report
from gazelearn.events import Events
from gazelearn.io import read
from gazelearn.report import main_sequence_band, saccade_measures

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "main_sequence_band.json"
#: Amplitude bins (deg) of the table.
BINS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, np.inf)


def saccades(files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude (deg) and peak velocity (deg/s) of every labelled saccade of the files."""
    amplitudes, peaks = [], []
    for path in files:
        recording = read(path)
        amplitude, peak, unit = saccade_measures(recording, Events.from_labels(recording))
        if unit != "deg":
            raise SystemExit(f"{path}: no screen geometry, cannot measure in degrees")
        amplitudes.append(amplitude)
        peaks.append(peak)
    a, v = np.concatenate(amplitudes), np.concatenate(peaks)
    keep = np.isfinite(a) & np.isfinite(v) & (a > 0) & (v > 0)
    return a[keep], v[keep]


def shares(a: np.ndarray, v: np.ndarray) -> dict:
    """Saccades inside, above and below the band, overall and per amplitude bin."""
    _, low, high = main_sequence_band(a)
    above, below = v > high, v < low
    rows = []
    for left, right in zip(BINS[:-1], BINS[1:], strict=True):
        part = (a >= left) & (a < right)
        n = int(part.sum())
        rows.append({"amplitude_deg": [left, None if np.isinf(right) else right], "saccades": n,
                     "inside": float(np.mean(~(above | below)[part])) if n else None,
                     "above": float(np.mean(above[part])) if n else None,
                     "below": float(np.mean(below[part])) if n else None,
                     "median_ratio_to_law": float(np.median(v[part] / main_sequence_band(
                         a[part])[0])) if n else None})
    return {"saccades": int(a.size), "inside": float(np.mean(~(above | below))),
            "above": float(np.mean(above)), "below": float(np.mean(below)),
            "median_ratio_to_law": float(np.median(v / main_sequence_band(a)[0])),
            "by_amplitude": rows}


def table(results: dict) -> str:
    lines = [f"{'data':<10} {'amplitude deg':>14} {'n':>6} {'inside':>7} {'above':>7} "
             f"{'below':>7} {'median V/law':>13}"]
    for name, result in results.items():
        for row in [*result["by_amplitude"], {**result, "amplitude_deg": ["all", ""]}]:
            left, right = row["amplitude_deg"]
            span = f"{left}-{right if right is not None else ''}"
            if row["saccades"] == 0:
                continue
            lines.append(f"{name:<10} {span:>14} {row['saccades']:>6} {row['inside']:>7.1%} "
                         f"{row['above']:>7.1%} {row['below']:>7.1%} "
                         f"{row['median_ratio_to_law']:>13.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--gazecom-limit", type=int, default=0,
                        help="Use only the first N GazeCom files (0: all).")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    lund = sorted((args.data / "lund2013-dev").glob("*/*.mat"))
    gazecom = sorted((args.data / "gazecom-dev").glob("*/*.csv"))
    if args.gazecom_limit:
        gazecom = gazecom[:args.gazecom_limit]
    results, files = {}, {}
    for name, paths in (("lund2013", lund), ("gazecom", gazecom)):
        if not paths:
            print(f"{name}: no files under {args.data}; skipped")
            continue
        results[name] = shares(*saccades(paths))
        files[name] = len(paths)
    output = {
        **report_header(__file__, argv),
        "task": "share of hand-labelled saccades inside gazelearn plot's main-sequence band",
        "band": {"law": "V = vmax (1 - exp(-A / c)) * (1 -+ spread)", "vmax_deg_s": 461.6,
                 "c_deg": 9.07, "spread": 0.29,
                 "source": "least-squares fit to Hopf et al. 2018 (PLoS ONE 13: e0204008) "
                           "horizontal means 213/352/455 deg/s at 5/15/30 deg; spread = 2 SD"},
        "data": {name: {"files": n, "labels": "human coder, per sample"}
                 for name, n in files.items()},
        "results": results,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(table(results))
    print(f"\n{output['seconds']} s")
    write_report(args.output, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
