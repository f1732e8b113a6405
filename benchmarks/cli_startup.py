#!/usr/bin/env python
"""Start-up CPU of the console script: ``gazelearn --version`` and ``gazelearn --help``.

Each command runs ``--repeat`` times (default 5) in a fresh process; the CPU is user + system
of that one child (``os.wait4``, the interpreter's start-up and every import included), as
``io_speed.py`` measures its commands. Reports the best (the least disturbed by the shared
machine: the target is about the code, not the neighbours), the median and every run, and which
heavy modules each command imported (it should be none).

Usage::

    .venv/bin/python benchmarks/cli_startup.py      # -> benchmarks/results/cli_startup.json
    .venv/bin/python benchmarks/cli_startup.py --src /tmp/old/src   # another checkout's code

The target (issue 14): under 0.3 s of CPU for both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from io_speed import _run_measured, child_env, write_report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "cli_startup.json"
COMMANDS = {"--version": ["--version"], "--help": ["--help"]}
TARGET_S = 0.3
HEAVY = ("numpy", "polars", "torch", "sklearn", "scipy", "matplotlib", "mediapipe",
         "rich.markdown", "markdown_it", "pygments")

# the console script's main() in a child that then names the heavy modules it imported
_IMPORTS_CHILD = r"""
import sys
from gazelearn.cli.main import main
sys.argv = ["gazelearn", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stderr.write(repr(sorted(m for m in HEAVY if m in sys.modules)) + "\n")
"""


def heavy_imports(args: list[str], src: Path | None = None) -> list[str]:
    """The heavy modules (``HEAVY``) ``gazelearn ARGS`` imports."""
    code = f"HEAVY = {HEAVY!r}\n" + _IMPORTS_CHILD
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=child_env(src), check=True)
    return json.loads(out.stderr.strip().splitlines()[-1].replace("'", '"'))


def measure(args: list[str], repeat: int, src: Path | None = None) -> dict:
    """CPU s of ``repeat`` fresh runs of ``gazelearn ARGS``: best, median, all."""
    gazelearn = Path(sys.executable).with_name("gazelearn")
    runs = []
    for _ in range(repeat):
        code, cpu, _, stderr = _run_measured([str(gazelearn), *args], child_env(src))
        if code != 0:
            raise RuntimeError(f"gazelearn {' '.join(args)} failed: {stderr.strip()[-300:]}")
        runs.append(round(cpu, 3))
    return {"best_cpu_s": min(runs), "median_cpu_s": statistics.median(runs), "cpu_runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--src", type=Path, default=None,
                        help="Put this folder first on PYTHONPATH (measure other code).")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = []
    for name, command in COMMANDS.items():
        row = {"command": f"gazelearn {name}", **measure(command, args.repeat, args.src),
               "heavy_imports": heavy_imports(command, args.src), "target_cpu_s": TARGET_S}
        row["met"] = row["best_cpu_s"] < TARGET_S
        rows.append(row)
        print(f"{row['command']:<20} best {row['best_cpu_s']:.3f} s  median "
              f"{row['median_cpu_s']:.3f} s  runs {row['cpu_runs']}  heavy imports "
              f"{row['heavy_imports'] or 'none'}  ({'met' if row['met'] else 'NOT met'})",
              flush=True)
    write_report(args.output, "cli_startup", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
