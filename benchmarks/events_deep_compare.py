"""One change of the deep detector against the baseline: the rule of issue 15 applied to two
``events_deep_ci.py`` records of the same subject-held-out folds.

A change is kept when it raises the mean kappa over the cells (the 11 Lund cells that have a
coder-vs-coder number, and GazeCom fixation, saccade and pursuit) and loses no cell by more
than its interval: no cell's estimate below the lower end of the baseline's 95 % bootstrap
interval. Event F1 is compared beside it.

Usage::

    .venv/bin/python benchmarks/events_deep_compare.py BASELINE_CI.json CANDIDATE_CI.json \
        --set "post-processed" --output benchmarks/results/events_deep_compare_NAME.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import events_lund  # noqa: E402
from _report import report_header  # noqa: E402
from events_deep_ci import HUMAN, KINDS  # noqa: E402

GAZECOM_CELLS = [("gazecom", name) for name in ("fixation", "saccade", "pursuit")]


def cells() -> list[tuple[str, str]]:
    """The compared cells: Lund (stimulus, class) pairs with a coder number, then GazeCom's."""
    lund = [(kind, name) for name, values in HUMAN.items()
            for kind, value in zip(KINDS, values, strict=True) if value is not None]
    return lund + GAZECOM_CELLS


def compare(baseline: dict, candidate: dict) -> dict:
    """Per-cell estimates, the mean over cells of kappa and event F1, and the verdict.

    Examples
    --------
    >>> base = {"img": {"fixation": {"kappa": [.5, .4, .6], "event_f1": [.8, .7, .9]}}}
    >>> new = {"img": {"fixation": {"kappa": [.45, .3, .5], "event_f1": [.8, .7, .9]}}}
    >>> result = compare(base, new)
    >>> result["cells"]["img fixation"]["below_baseline_interval"], result["keep"]
    (False, False)
    """
    out, lost = {}, []
    for group, name in cells():
        if name not in baseline.get(group, {}) or name not in candidate.get(group, {}):
            continue
        b, c = baseline[group][name], candidate[group][name]
        below = c["kappa"][0] < b["kappa"][1]
        out[f"{group} {name}"] = {"kappa": [b["kappa"][0], c["kappa"][0]],
                                  "event_f1": [b["event_f1"][0], c["event_f1"][0]],
                                  "baseline_kappa_interval": b["kappa"][1:],
                                  "below_baseline_interval": below}
        if below:
            lost.append(f"{group} {name}")
    mean = {metric: [round(sum(cell[metric][k] for cell in out.values()) / len(out), 4)
                     for k in (0, 1)] for metric in ("kappa", "event_f1")}
    return {"cells": out, "mean": mean, "cells_below_interval": lost,
            "keep": mean["kappa"][1] > mean["kappa"][0] and not lost}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--set", default="post-processed",
                        help="which label set of the records (post-processed, network alone, "
                             "post-processed, stimulus auto)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    records = [json.loads(path.read_text()) for path in (args.baseline, args.candidate)]
    result = compare(*(r["results"][args.set] for r in records))
    print(f"{'cell':<18} {'kappa':>13} {'event F1':>13}   baseline kappa interval")
    for cell, r in result["cells"].items():
        flag = "  LOST" if r["below_baseline_interval"] else ""
        print(f"{cell:<18} {r['kappa'][0]:.2f} -> {r['kappa'][1]:.2f}  "
              f"{r['event_f1'][0]:.2f} -> {r['event_f1'][1]:.2f}   "
              f"[{r['baseline_kappa_interval'][0]:.2f}, {r['baseline_kappa_interval'][1]:.2f}]"
              f"{flag}")
    m = result["mean"]
    print(f"mean over {len(result['cells'])} cells: kappa {m['kappa'][0]:.3f} -> "
          f"{m['kappa'][1]:.3f}, event F1 {m['event_f1'][0]:.3f} -> {m['event_f1'][1]:.3f}; "
          f"{'keep' if result['keep'] else 'do not keep'}")
    if args.output:
        events_lund.write_record(args.output, {
            **report_header(__file__, benchmark="events_deep_compare"),
            "baseline": str(args.baseline), "candidate": str(args.candidate),
            "set": args.set, **result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
