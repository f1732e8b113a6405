#!/usr/bin/env python
"""Speed and memory of the text readers: CPU seconds and peak RSS of one ``read()``.

Generates gaze CSVs (``time,x,y,pupil``, time in ms, about 2 % of samples lost as empty fields)
of a given length and rate, then measures, each in a fresh Python process so that the numbers
do not mix:

* ``read``: ``gazelearn.io.read(path)`` alone (CPU time of the read, and the peak RSS of the
  process, which includes the interpreter and the imports: ``baseline_rss_mb`` is that part);
* ``info``: ``gazelearn info PATH`` through the real command line (CPU time of the whole process,
  start-up included).

* ``detect``: ``gazelearn events detect PATH --method ivt --output OUT`` through the console
  script (CPU user + system and peak RSS of that one child, from ``os.wait4``; samples/s);
  ``--method deep`` (or any other method) measures that method instead;
* ``remodnav``: REMoDNaV's classifier alone (``peers.remodnav_predict``) on the same recording,
  read by gazelearn; imports and reading are not timed;
* ``pm-read``: pymovements' ``gaze.from_csv`` on the same file (CPU of the read, peak RSS);
* ``floor``: what any polars-based ``info`` costs before it does anything of its own: a fresh
  process that imports numpy and polars and parses the file with one bare ``pl.read_csv`` into
  typed Float64 columns (``cpu_s``), and the same process without the parse
  (``import_cpu_s``); CPU user + system of that child, from ``os.wait4``.

``remodnav`` and ``pm-read`` need the peers in ``benchmarks/.venv-peers`` (benchmarks/README.md).
Every measurement runs ``--repeat`` times (default 3) and reports the median.

Every case is one entry of ``CASES`` and every measurement one function of ``MEASURES``
(``name -> function(path) -> dict``); a new measurement is one more function in ``MEASURES``.

Usage::

    .venv/bin/python benchmarks/io_speed.py                       # 1 h at 500 Hz, 3 h at 1000 Hz
    .venv/bin/python benchmarks/io_speed.py --cases 1h-500hz      # one case
    .venv/bin/python benchmarks/io_speed.py --measures read       # one measurement
    .venv/bin/python benchmarks/io_speed.py --src /tmp/old/src    # another checkout's code
    .venv/bin/python benchmarks/io_speed.py --cases 1h-500hz --measures detect --method deep \
        --output benchmarks/results/io_speed_deep.json              # the deep detector

Prints a table and writes ``benchmarks/results/io_speed.json``. The generated files are kept in
``--data`` (default: a folder in the system's temporary folder) and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

import _report

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


def child_env(src: Path | None = None) -> dict:
    """The environment of a measured child process (no progress bars; ``src`` first on the path)."""
    env = dict(os.environ, CI="1")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def measure_read(path: Path, src: Path | None = None) -> dict:
    """CPU time, wall time and peak RSS of ``gazelearn.io.read(path)`` in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _READ_CHILD, str(path)], capture_output=True,
                         text=True, env=child_env(src), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


_INFO_CHILD = r"""
import json, resource, sys
from gazelearn.cli.main import app
import gazelearn.io, gazelearn.metrics.quality, numpy, polars  # info imports them anyway
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.argv = ["gazelearn", "info", sys.argv[1]]
code = 0
try:
    app()
except SystemExit as stop:
    code = stop.code or 0
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"exit_code": code, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mb": usage.ru_maxrss / 1024, "baseline_rss_mb": baseline / 1024}),
      file=sys.stderr)
"""


def measure_info(path: Path, src: Path | None = None) -> dict:
    """CPU time (user + system, start-up included), peak RSS and the RSS of the imports
    (``baseline_rss_mb``) of ``gazelearn info PATH`` in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _INFO_CHILD, str(path)], capture_output=True,
                         text=True, env=child_env(src))
    return json.loads(out.stderr.strip().splitlines()[-1])


#: The screen given on the command line: the generated files have none, and I-VT needs degrees.
SCREEN_OPTIONS = ["--screen-px", "1920", "1080", "--screen-mm", "531", "299",
                  "--distance-mm", "600"]


def _run_measured(command: list[str], env: dict) -> tuple[int, float, float, str]:
    """Run ``command``; its exit code, CPU s (user + system) and peak RSS (MB), and stderr.

    ``os.wait4`` gives the resource usage of exactly that child (start-up included), unlike
    ``RUSAGE_CHILDREN``, which adds up every child this process ever waited for.
    """
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env)
    stderr = process.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    return (process.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            stderr)


def measure_detect(path: Path, src: Path | None = None, method: str = "ivt") -> dict:
    """``gazelearn events detect PATH --method METHOD --output OUT``: the whole command's CPU
    (user + system, start-up, read, detection and writing included), peak RSS, samples/s."""
    gazelearn = Path(sys.executable).with_name("gazelearn")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "events.csv"
        code, cpu, peak, stderr = _run_measured(
            [str(gazelearn), "events", "detect", str(path), "--method", method, "--output",
             str(out), *SCREEN_OPTIONS], child_env(src))
        if code != 0:
            raise RuntimeError(f"events detect failed ({code}): {stderr.strip()}")
        events = sum(1 for _ in out.open()) - 1
    samples = _rows(path)
    return {"exit_code": code, "method": method, "cpu_s": cpu, "peak_rss_mb": peak,
            "samples": samples, "events": events, "samples_per_s": samples / cpu}


# Runs in the child: REMoDNaV's classifier alone (preproc + classification), on the recording
# gazelearn read; reading and imports are outside the timed part.
_REMODNAV_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
import gazelearn.io as gio
from gazelearn import Screen
import peers
peers.enable_peer_path()
import remodnav, scipy.signal  # imported before the clock starts
rec = gio.read(sys.argv[1], screen=Screen(1920, 1080, 531.0, 299.0, 600.0))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
labels = peers.remodnav_predict(rec)
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"samples": len(rec), "cpu_s": cpu, "samples_per_s": len(rec) / cpu,
                  "peak_rss_mb": peak / 1024, "rss_before_mb": before / 1024,
                  "version": remodnav.__version__}))
"""


def measure_remodnav(path: Path, src: Path | None = None) -> dict:
    """CPU time of REMoDNaV's classifier alone (``benchmarks/peers.remodnav_predict``: its
    ``preproc`` and ``__call__``) on the recording, in a fresh process; needs the peers."""
    out = subprocess.run([sys.executable, "-c", _REMODNAV_CHILD, str(path),
                          str(ROOT / "benchmarks")], capture_output=True, text=True,
                         env=child_env(src))
    if out.returncode != 0:
        raise RuntimeError(f"REMoDNaV failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# Runs in the child: pymovements' reader on the same file (time in ms, pixel x/y), CPU of the
# read alone and the process's peak RSS (interpreter and imports included, as for ``read``).
_PM_READ_CHILD = r"""
import json, resource, sys, time
sys.path.append(sys.argv[2])
import pymovements as pm
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
gaze = pm.gaze.from_csv(sys.argv[1], time_column="time", time_unit="ms",
                        pixel_columns=["x", "y"])
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"samples": gaze.samples.height, "cpu_s": cpu, "peak_rss_mb": peak / 1024,
                  "baseline_rss_mb": baseline / 1024, "version": pm.__version__}))
"""


def measure_pm_read(path: Path, src: Path | None = None) -> dict:
    """pymovements 0.28's ``gaze.from_csv`` on the same file, in a fresh process (the peer
    side of ``read``); needs the peers."""
    out = subprocess.run([sys.executable, "-c", _PM_READ_CHILD, str(path),
                          str(ROOT / "benchmarks" / ".venv-peers")], capture_output=True,
                         text=True, env=child_env(src))
    if out.returncode != 0:
        raise RuntimeError(f"pymovements failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rows(path: Path) -> int:
    for name, (hours, rate) in CASES.items():
        if path.stem == name:
            return int(round(hours * 3600 * rate))
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


#: measurement name -> function(path, src) -> dict of numbers
_FLOOR_CHILD = r"""
import sys
import numpy, polars as pl
if len(sys.argv) > 1:
    frame = pl.read_csv(sys.argv[1], schema_overrides={c: pl.Float64 for c in
                                                       ("time", "x", "y", "pupil")})
    columns = [frame[c].to_numpy() for c in frame.columns]
"""


def measure_floor(path: Path, src: Path | None = None) -> dict:
    """CPU (user + system) of a fresh process that imports numpy and polars and parses ``path``
    with one bare ``pl.read_csv`` (``cpu_s``), and of the imports alone (``import_cpu_s``)."""
    env = child_env(src)
    code, cpu, peak, stderr = _run_measured([sys.executable, "-c", _FLOOR_CHILD, str(path)], env)
    if code:
        raise RuntimeError(stderr)
    _, imports, _, _ = _run_measured([sys.executable, "-c", _FLOOR_CHILD], env)
    return {"cpu_s": cpu, "import_cpu_s": imports, "peak_rss_mb": peak}


MEASURES = {"read": measure_read, "info": measure_info, "detect": measure_detect,
            "remodnav": measure_remodnav, "pm-read": measure_pm_read, "floor": measure_floor}


def _median_of(measure, path: Path, src: Path | None, repeat: int) -> dict:
    """``measure`` run ``repeat`` times: the median of every number (the machine is shared:
    one run can be slowed by others), the CPU times of all runs in ``cpu_runs``."""
    runs = [measure(path, src) for _ in range(max(repeat, 1))]
    result = {key: (float(np.median([run[key] for run in runs]))
                    if isinstance(value, float) else value)
              for key, value in runs[0].items()}
    result["cpu_runs"] = [round(run["cpu_s"], 3) for run in runs]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--measures", nargs="*", default=list(MEASURES), choices=list(MEASURES))
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) /
                        "gazelearn-io-speed")
    parser.add_argument("--src", type=Path, default=None,
                        help="Put this folder first on PYTHONPATH (measure other code).")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--repeat", type=int, default=3,
                        help="Runs per measurement; every number is the median (default 3).")
    parser.add_argument("--method", default="ivt",
                        help="The detection method of the detect measure (default ivt).")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--generate"]:  # the child that writes one file
        generate(Path(argv[1]), float(argv[2]), float(argv[3]))
        return 0
    args = parser.parse_args(argv)
    measures = dict(MEASURES, detect=partial(measure_detect, method=args.method))
    rows = []
    for name in args.cases:
        hours, rate = CASES[name]
        path = args.data / f"{name}.csv"
        if not path.exists():
            # in a child: a measured child forked from this process starts with this
            # process's pages, and ru_maxrss counts them (the writing's gigabytes here)
            subprocess.run([sys.executable, __file__, "--generate", str(path), str(hours),
                            str(rate)], check=True)
        size_mb = path.stat().st_size / 2**20
        for measure in args.measures:
            try:
                result = _median_of(measures[measure], path, args.src, args.repeat)
            except (RuntimeError, subprocess.CalledProcessError) as error:
                # a missing peer, or a failing run: say so and measure the rest
                print(f"{name:<10} {measure:<8} skipped: {str(error).strip()[-300:]}",
                      flush=True)
                continue
            peak = result["peak_rss_mb"]
            rows.append({"case": name, "measure": measure, "file_mb": round(size_mb, 1),
                         "rows": int(round(hours * 3600 * rate)),
                         **{k: round(v, 3) if isinstance(v, float) else v
                            for k, v in result.items()},
                         "peak_over_file": round(peak / size_mb, 2)})
            row = rows[-1]
            rate_text = (f"  {row['samples_per_s'] / 1e6:5.2f} M samples/s"
                         if "samples_per_s" in row else "")
            print(f"{name:<10} {measure:<8} {row['file_mb']:>7.1f} MB  cpu {row['cpu_s']:>7.2f} s"
                  f"  peak {peak:>8.1f} MB  ({row['peak_over_file']:.2f} x file){rate_text}",
                  flush=True)
    # rows of cases and measures not run this time stay as they were (several runs, e.g. the
    # slow REMoDNaV measurement on one case only, build up one results file)
    def key(row: dict) -> tuple:
        return row["case"], row["measure"], row.get("method", "ivt")

    done = {key(row) for row in rows}
    if args.output.is_file():
        kept = json.loads(args.output.read_text()).get("results", [])
        rows = [row for row in kept if key(row) not in done] + rows
    write_report(args.output, "io_speed", rows)
    return 0


def write_report(path: Path, benchmark: str, rows: list[dict], **extra) -> None:
    """Write the benchmark's JSON report: the common header (``_report``), ``extra``, results."""
    script = Path(sys.argv[0]) if sys.argv[0].endswith(".py") else Path(__file__)
    _report.write_report(path, _report.report_header(str(script), benchmark=benchmark, **extra,
                                                     results=rows))


if __name__ == "__main__":
    sys.exit(main())
