#!/usr/bin/env python
"""Speed and memory of the text readers: CPU seconds and peak RSS of one ``read()``.

Generates gaze CSVs (``time,x,y,pupil``, time in ms, about 2 % of samples lost as empty fields)
of a given length and rate, then measures, each in a fresh Python process so that the numbers
do not mix:

* ``read``: ``gazelearn.io.read(path)`` alone (CPU time of the read, and the peak RSS of the
  process, which includes the interpreter and the imports: ``baseline_rss_mb`` is that part);
* ``info``: ``gazelearn info PATH`` through the real command line (CPU time of the whole process,
  start-up included).

Every case is one entry of ``CASES`` and every measurement one function of ``MEASURES``
(``name -> function(path) -> dict``); a new measurement (``events detect`` end to end, another
library's reader on the same file) is one more function added to ``MEASURES``.

Usage::

    .venv/bin/python benchmarks/io_speed.py                       # 1 h at 500 Hz, 3 h at 1000 Hz
    .venv/bin/python benchmarks/io_speed.py --cases 1h-500hz      # one case
    .venv/bin/python benchmarks/io_speed.py --measures read       # one measurement
    .venv/bin/python benchmarks/io_speed.py --src /tmp/old/src    # another checkout's code

Prints a table and writes ``benchmarks/results/io_speed.json``. The generated files are kept in
``--data`` (default: a folder in the system's temporary folder) and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "io_speed.json"

#: name -> (hours, sampling rate in Hz)
CASES = {"1h-500hz": (1.0, 500.0), "3h-1000hz": (3.0, 1000.0)}

# Runs in the child process: measures one read and prints JSON.
_READ_CHILD = r"""
import json, resource, sys, time
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import gazelearn.io as gio
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start_cpu, start_wall = time.process_time(), time.perf_counter()
rec = gio.read(sys.argv[1])
cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"samples": len(rec), "cpu_s": cpu, "wall_s": wall,
                  "peak_rss_mb": peak / 1024, "baseline_rss_mb": baseline / 1024,
                  "sampling_rate_hz": rec.sampling_rate}))
"""


def generate(path: Path, hours: float, rate: float, seed: int = 0) -> Path:
    """Write a gaze CSV of ``hours`` at ``rate`` Hz (time ms, x y px, pupil), once."""
    if path.exists():
        return path
    n = int(round(hours * 3600 * rate))
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".part")
    chunk = 1_000_000
    with open(temp, "w") as handle:
        handle.write("time,x,y,pupil\n")
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            time_ms = np.round((start + np.arange(m)) * 1000.0 / rate, 3)
            x = np.round(960 + np.cumsum(rng.normal(0, 2, m)) % 800, 1)
            y = np.round(540 + np.cumsum(rng.normal(0, 2, m)) % 600, 1)
            pupil = np.round(rng.normal(1000, 50, m), 1)
            lost = rng.random(m) < 0.02
            cells = [time_ms.astype(str), x.astype(str), y.astype(str), pupil.astype(str)]
            for column in cells[1:]:
                column[lost] = ""
            lines = np.char.add(np.char.add(np.char.add(np.char.add(cells[0], ","), cells[1]),
                                            ","), cells[2])
            lines = np.char.add(np.char.add(lines, ","), cells[3])
            handle.write("\n".join(lines.tolist()) + "\n")
    temp.rename(path)
    return path


def _env(src: Path | None) -> dict:
    env = dict(os.environ, CI="1")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def measure_read(path: Path, src: Path | None = None) -> dict:
    """CPU time, wall time and peak RSS of ``gazelearn.io.read(path)`` in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _READ_CHILD, str(path)], capture_output=True,
                         text=True, env=_env(src), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


_INFO_CHILD = r"""
import json, resource, sys, time
from gazelearn.cli.main import app
sys.argv = ["gazelearn", "info", sys.argv[1]]
code = 0
try:
    app()
except SystemExit as stop:
    code = stop.code or 0
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"exit_code": code, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mb": usage.ru_maxrss / 1024}), file=sys.stderr)
"""


def measure_info(path: Path, src: Path | None = None) -> dict:
    """CPU time (user + system, start-up included) and peak RSS of ``gazelearn info PATH``."""
    out = subprocess.run([sys.executable, "-c", _INFO_CHILD, str(path)], capture_output=True,
                         text=True, env=_env(src))
    return json.loads(out.stderr.strip().splitlines()[-1])


#: measurement name -> function(path, src) -> dict of numbers
MEASURES = {"read": measure_read, "info": measure_info}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--measures", nargs="*", default=list(MEASURES), choices=list(MEASURES))
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) /
                        "gazelearn-io-speed")
    parser.add_argument("--src", type=Path, default=None,
                        help="Put this folder first on PYTHONPATH (measure other code).")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = []
    for name in args.cases:
        hours, rate = CASES[name]
        path = generate(args.data / f"{name}.csv", hours, rate)
        size_mb = path.stat().st_size / 2**20
        for measure in args.measures:
            result = MEASURES[measure](path, args.src)
            peak = result["peak_rss_mb"]
            rows.append({"case": name, "measure": measure, "file_mb": round(size_mb, 1),
                         "rows": int(round(hours * 3600 * rate)),
                         **{k: round(v, 3) if isinstance(v, float) else v
                            for k, v in result.items()},
                         "peak_over_file": round(peak / size_mb, 2)})
            row = rows[-1]
            print(f"{name:<10} {measure:<5} {row['file_mb']:>7.1f} MB  cpu {row['cpu_s']:>7.2f} s"
                  f"  peak {peak:>8.1f} MB  ({row['peak_over_file']:.2f} x file)", flush=True)
    report = {"benchmark": "io_speed", "date": datetime.now(UTC).isoformat(timespec="seconds"),
              "command": " ".join([Path(sys.executable).name, *sys.argv]),
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform()},
              "results": rows}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
