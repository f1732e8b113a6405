#!/usr/bin/env python
"""The cost of ``tests/test_readme_commands.py``: every command of README.md and docs/*.md.

Runs the test file once in a fresh pytest process (``-s``, so each command prints its CPU
seconds: this process's and its children's) and records the whole run's CPU (user + system of
the child, ``os.wait4``) and wall time, the outcome counts and the CPU of each command. The
budget (issue 18) is 90 s of the 10-minute suite on the project's 2-core machine.

Usage::

    .venv/bin/python benchmarks/readme_commands.py

Writes ``benchmarks/results/readme_commands.json``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from _report import report_header, write_report

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "benchmarks" / "results" / "readme_commands.json"
COMMAND = [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider",
           "tests/test_readme_commands.py"]
PER_COMMAND = re.compile(r"^([\w.-]+\.md:\d+): ([\d.]+) s CPU", re.MULTILINE)
SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|error)")


def main() -> int:
    started = time.perf_counter()
    process = subprocess.Popen(COMMAND, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    commands = {name: float(cpu) for name, cpu in PER_COMMAND.findall(output)}
    last = [line for line in output.splitlines() if re.search(r" in [\d.]+s", line)]
    counts = {kind: int(n) for n, kind in SUMMARY.findall(last[-1])} if last else {}
    result = {
        **report_header(__file__, []),
        "runs": " ".join(["pytest", *COMMAND[3:]]),
        "exit_code": os.waitstatus_to_exitcode(status),
        "outcomes": counts,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "wall_seconds": round(wall, 1),
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "commands_run": len(commands),
        "commands_cpu_seconds": round(sum(commands.values()), 1),
        "per_command_cpu_seconds": commands,
        "budget_seconds": 90,
    }
    write_report(OUTPUT, result)
    slowest = sorted(commands.items(), key=lambda kv: -kv[1])[:5]
    print(f"exit {result['exit_code']}, {counts}; {result['cpu_seconds']} s CPU, "
          f"{result['wall_seconds']} s wall; {len(commands)} commands "
          f"{result['commands_cpu_seconds']} s CPU; slowest {slowest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
