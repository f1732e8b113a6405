#!/usr/bin/env python
"""What ``gazelearn scanpath cv`` prints with its defaults on the ETRA 2021 paths (issue 18).

``benchmarks/scanpath_classify.py`` measures every model with the benchmark's settings
(windows every 25 samples, at most 25 epochs, patience 5, batches of 64). A user who types the
README's command gets the command line's defaults instead (windows every 50 samples, at most 30
epochs, patience 10, batches of 32). This script runs that command as a user would, in a
temporary folder holding ``paths/`` (a link to the data) and ``labels.csv`` (recording, label =
the picture, group = the participant, from the file names ``IMG_P.csv``), and records what it
prints.

Usage::

    .venv/bin/python benchmarks/scanpath_cli.py                # --model multi
    .venv/bin/python benchmarks/scanpath_cli.py --model conv1d

Writes ``benchmarks/results/scanpath_cli.json`` (one entry per model; other models kept).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _report import report_header, write_report

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "scanpath_cli.json"
LEVEL = re.compile(r"(recording|window) level: accuracy ([0-9.]+), kappa (-?[0-9.]+)")


def write_labels(paths: Path, output: Path) -> int:
    """``labels.csv`` of the ETRA paths from their file names; returns the number of rows."""
    lines = ["recording,label,group"]
    for path in sorted(paths.glob("*.csv")):
        picture, participant = path.stem.split("_")
        lines.append(f"{path.name},{picture},{participant}")
    output.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def run(model: str, folds: int) -> dict:
    """Run the README's command in a scratch folder; the numbers it prints and its CPU time."""
    gazelearn = Path(sys.executable).parent / "gazelearn"
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "paths").symlink_to(DATA / "etra2021" / "paths")
        rows = write_labels(work / "paths", work / "labels.csv")
        command = (f"gazelearn scanpath cv paths/*.csv --labels labels.csv --model {model} "
                   f"--group-col group --folds {folds}")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(["bash", "-c", command], cwd=work, capture_output=True,
                              text=True, env={"PATH": f"{gazelearn.parent}:/usr/bin:/bin",
                                              "CI": "1", "HOME": scratch})
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"the command failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    levels = {m[1]: {"accuracy": float(m[2]), "kappa": float(m[3])}
              for m in LEVEL.finditer(done.stdout)}
    return {"command": command, "labels_rows": rows, **levels,
            "wall_seconds": round(wall, 1),
            "cpu_seconds": round(after.ru_utime + after.ru_stime
                                 - before.ru_utime - before.ru_stime, 1),
            "output": done.stdout}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="multi")
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if not (DATA / "etra2021" / "paths").is_dir():
        print(f"error: data folder not found: {DATA / 'etra2021' / 'paths'}", file=sys.stderr)
        return 1
    entry = run(args.model, args.folds)
    # models run one at a time build up one file: each entry keeps its own header
    entry.update(report_header(__file__, argv))
    models = {}
    if args.output.is_file():
        models = json.loads(args.output.read_text()).get("models", {})
    models[args.model] = entry
    result = {**report_header(__file__, argv),
              "data": str(DATA / "etra2021" / "paths"),
              "what": "gazelearn scanpath cv with the command line's defaults, as a user types "
                      "it (stratified group k-fold, participants held out)",
              "models": models}
    write_report(args.output, result)
    for level in ("recording", "window"):
        if level in entry:
            print(f"{args.model} {level} level: accuracy {entry[level]['accuracy']:.3f}, "
                  f"kappa {entry[level]['kappa']:.3f}")
    print(f"{entry['cpu_seconds']:.0f} s CPU, {entry['wall_seconds']:.0f} s wall; wrote "
          f"{args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
