#!/usr/bin/env python
"""Peak memory of reading every text format gazelearn reads, against the file's size.

Writes one realistic file per format (default one hour at 500 Hz; GazeBase at its 1000 Hz),
then measures, each in a fresh process, the peak RSS of ``gazelearn.io.read_all(path)`` and of
``gazelearn info PATH``, minus the interpreter-and-imports baseline (reported separately), as a
multiple of the file size (issue 14: at most 3x); and of ``gazelearn events detect PATH
--method ivt`` with a screen given (``--measures detect``; its baseline is a child that
imports what the command imports, the peak that of the whole command); ``--measures quality``:
``read_all`` then what ``info`` computes of each recording in one process, the peak after the
read alone beside it. Formats: generic CSV
and TSV, EyeLink ASC (calibration block, messages, the tracker's fixation and saccade events
between the samples; also binocular at 2000 Hz with half-millisecond times, and split into
20 trials), SMI BeGaze, Tobii Pro Lab, Gazepoint, Pupil Labs and a public data-set
layout (GazeBase).
Lund 2013's ``.mat`` is binary and left out.

Usage::

    .venv/bin/python benchmarks/format_memory.py                  # every format, 1 h at 500 Hz
    .venv/bin/python benchmarks/format_memory.py --formats eyelink smi --hours 0.1
    .venv/bin/python benchmarks/format_memory.py --formats smi --measures info detect

Prints a table and writes ``benchmarks/results/format_memory.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

# one measuring child for both scripts
from io_speed import SCREEN_OPTIONS, _run_measured, child_env, measure_info, write_report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "format_memory.json"
PM_FILES = ROOT.parent / "shared" / "data" / "pymovements-files"


def _signal(n: int, seed: int) -> dict[str, np.ndarray]:
    """Positions in px (a bounded random walk), pupil, and a 2 % lost mask."""
    rng = np.random.default_rng(seed)
    return {"x": np.round(160 + np.cumsum(rng.normal(0, 2, n)) % 1600, 1),
            "y": np.round(90 + np.cumsum(rng.normal(0, 2, n)) % 900, 1),
            "pupil": np.round(rng.normal(1000, 50, n), 1), "lost": rng.random(n) < 0.02}


def _write(path: Path, preamble: str, lines: pl.Series) -> None:
    """Write ``preamble`` then one line per value (polars writes them, no Python loop)."""
    part = path.with_name(path.name + ".part")
    with open(part, "w") as handle:
        handle.write(preamble)
        handle.flush()
        pl.DataFrame({"l": lines}).write_csv(handle, include_header=False,
                                             quote_style="never")
    part.rename(path)


def _text(values: np.ndarray, lost: np.ndarray | None = None, empty: str = "") -> pl.Series:
    series = pl.Series(values).cast(pl.String)
    if lost is not None:
        series = pl.select(pl.when(pl.Series(lost)).then(pl.lit(empty)).otherwise(series)
                           ).to_series()
    return series


def _join(columns: list, delimiter: str) -> pl.Series:
    frame = pl.DataFrame({f"c{i}": c if isinstance(c, pl.Series) else pl.Series([c] * 0)
                          for i, c in enumerate(columns) if isinstance(c, pl.Series)})
    exprs = [pl.col(f"c{i}") if isinstance(c, pl.Series) else pl.lit(str(c))
             for i, c in enumerate(columns)]
    return frame.select(pl.concat_str(exprs, separator=delimiter)).to_series()


def csv_file(path: Path, n: int, rate: float, seed: int = 0, delimiter: str = ",") -> None:
    """gazelearn's generic layout from another program: ``time,x,y,pupil``, time in ms."""
    s = _signal(n, seed)
    time_ms = _text(np.round(np.arange(n) * 1000.0 / rate, 3))
    cols = [time_ms, _text(s["x"], s["lost"]), _text(s["y"], s["lost"]),
            _text(s["pupil"], s["lost"])]
    name = "timestamp" if delimiter == "\t" else "time"
    _write(path, delimiter.join([name, "x", "y", "pupil"]) + "\n", _join(cols, delimiter))


def tsv_file(path: Path, n: int, rate: float, seed: int = 0) -> None:
    csv_file(path, n, rate, seed, delimiter="\t")


def eyelink_file(path: Path, n: int, rate: float, seed: int = 0, binocular: bool = False,
                 trials: int = 0) -> None:
    """An EyeLink ASC: pymovements' real header and calibration block, then samples with
    MSG lines every 2 s and the tracker's SFIX/EFIX/SSACC/ESACC every 250 ms between them.

    ``binocular``: both eyes on each sample line (``START``/``SAMPLES`` name LEFT RIGHT);
    above 1000 Hz times have half milliseconds (``2154556.5``); ``trials``: that many
    ``TRIALID k`` ... ``TRIAL_RESULT 0`` spans of equal length."""
    real = (PM_FILES / "eyelink_monocular_example.asc").read_text().splitlines()
    first = next(i for i, line in enumerate(real) if line[:1].isdigit())
    lines = [line.replace("RATE\t1000.00", f"RATE\t{rate:.2f}") for line in real[:first]]
    if binocular:
        lines = [line.replace("\tLEFT\t", "\tLEFT\tRIGHT\t") if line.startswith(
            ("START", "EVENTS", "SAMPLES")) else line.replace("RECCFG CR 1000 2 1 L",
                                                               f"RECCFG CR {rate:g} 2 1 LR")
            for line in lines]
    header = "\n".join(lines) + "\n"
    start = int(real[first].split("\t")[0])
    s = _signal(n, seed)
    step = 1000.0 / rate
    t = start + np.arange(n) * step  # half milliseconds at 2 kHz
    t = np.round(t).astype(np.int64) if step >= 1 else np.round(t, 1)
    x = _text(s["x"]).str.pad_start(7)
    y = _text(s["y"]).str.pad_start(7)
    p = _text(s["pupil"]).str.pad_start(7)
    lost = pl.Series(s["lost"])
    x = pl.select(pl.when(lost).then(pl.lit("      .")).otherwise(x)).to_series()
    y = pl.select(pl.when(lost).then(pl.lit("      .")).otherwise(y)).to_series()
    p = pl.select(pl.when(lost).then(pl.lit("    0.0")).otherwise(p)).to_series()
    if binocular:  # the right eye a little beside the left one
        xr = pl.select(pl.when(lost).then(pl.lit("      .")).otherwise(
            _text(np.round(s["x"] + 5, 1)).str.pad_start(7))).to_series()
        samples = _join([_text(t), x, y, p, xr, y, p, "....."], "\t")
    else:
        samples = _join([_text(t), x, y, p, "    0.0", "..."], "\t")
    order = np.arange(n, dtype=np.float64)
    every = max(int(rate // 4), 1)  # an event pair every 250 ms
    ev = np.arange(every, n, every)
    efix = pl.Series([f"EFIX L   {t[i - every + 1]}\t{t[i - 5]}\t{int((every - 5) * step)}\t"
                      f"  960.0\t  540.0\t    980" for i in ev])
    sfix = pl.Series([f"SFIX L   {t[i + 1]}" for i in ev])
    ssacc = pl.Series([f"SSACC L  {t[i - 4]}" for i in ev])
    esacc = pl.Series([f"ESACC L  {t[i - 4]}\t{t[i]}\t{int(4 * step)}\t  900.0\t  500.0\t"
                       f"  960.0\t  540.0\t   1.50\t    120" for i in ev])
    msg_at = np.arange(0, n, int(2 * rate))
    msg = pl.Series([f"MSG\t{t[i]} TRIAL_VAR frame {k}" for k, i in enumerate(msg_at)])
    keys = np.concatenate([order, ev - 4.5, ev - 4.4, ev + 0.4, ev + 0.6, msg_at - 0.1])
    parts = [samples, efix, ssacc, esacc, sfix, msg]
    if trials:
        bounds = np.linspace(0, n, trials + 1).astype(np.int64)
        parts.append(pl.Series([f"MSG\t{t[i]} TRIALID {k}" for k, i in
                                enumerate(bounds[:-1])]))
        parts.append(pl.Series([f"MSG\t{t[i - 1]} TRIAL_RESULT 0" for i in bounds[1:]]))
        keys = np.concatenate([keys, bounds[:-1] - 0.2, bounds[1:] - 0.3])
    lines = pl.concat(parts)
    lines = lines.gather(np.argsort(keys, kind="stable"))
    end = f"END\t{t[-1] + 1} \tSAMPLES\tEVENTS\tRES\t  38.54\t  31.12"
    _write(path, header, pl.concat([lines, pl.Series([end])]))


def smi_file(path: Path, n: int, rate: float, seed: int = 0) -> None:
    """SMI BeGaze samples export: ``##`` header, binocular POR columns, MSG rows each 2 s."""
    s = _signal(n, seed)
    header = ("## [BeGaze]\n## Converted from:\tC:\\data\\s1.idf\n"
              f"## Sample Rate:\t{rate:g}\n## Calibration Area:\t1920\t1080\n"
              "## Stimulus Dimension [mm]:\t531\t299\n## Head Distance [mm]:\t600\n##\n"
              "Time\tType\tTrial\tL POR X [px]\tL POR Y [px]\tR POR X [px]\tR POR Y [px]\t"
              "L Pupil Diameter [mm]\tR Pupil Diameter [mm]\n")
    t = 1_000_000 + np.round(np.arange(n) * 1e6 / rate).astype(np.int64)
    lx = _text(np.where(s["lost"], 0.0, s["x"]))
    ly = _text(np.where(s["lost"], 0.0, s["y"]))
    rx = _text(np.where(s["lost"], 0.0, s["x"] + 5))
    pupil = _text(np.round(s["pupil"] / 300, 2))
    samples = _join([_text(t), "SMP", "1", lx, ly, rx, ly, pupil, pupil], "\t")
    msg_at = np.arange(0, n, int(2 * rate))
    msg = pl.Series([f"{t[i] - 1}\tMSG\t1\t# Message: frame{k}.bmp" for k, i in
                     enumerate(msg_at)])
    keys = np.concatenate([np.arange(n, dtype=np.float64), msg_at - 0.5])
    _write(path, header, pl.concat([samples, msg]).gather(np.argsort(keys, kind="stable")))


def tobii_file(path: Path, n: int, rate: float, seed: int = 0) -> None:
    """Tobii Pro Lab TSV export (time in us, gaze point px, validity, movement type)."""
    s = _signal(n, seed)
    header = ("Recording timestamp\tSensor\tParticipant name\tRecording resolution width\t"
              "Recording resolution height\tGaze point X\tGaze point Y\tPupil diameter left\t"
              "Pupil diameter right\tValidity left\tValidity right\tEye movement type\tEvent\n")
    t = np.round(np.arange(n) * 1e6 / rate).astype(np.int64)
    gx = _text(np.round(s["x"]).astype(np.int64), s["lost"])
    gy = _text(np.round(s["y"]).astype(np.int64), s["lost"])
    pupil = _text(np.round(s["pupil"] / 300, 2), s["lost"])
    validity = pl.select(pl.when(pl.Series(s["lost"])).then(pl.lit("Invalid"))
                         .otherwise(pl.lit("Valid"))).to_series()
    kind = pl.select(pl.when(pl.Series(s["lost"])).then(pl.lit("EyesNotFound"))
                     .otherwise(pl.lit("Fixation"))).to_series()
    rows = _join([_text(t), "Eye Tracker", "P1", "1920", "1080", gx, gy, pupil, pupil,
                  validity, validity, kind, ""], "\t")
    _write(path, header, rows)


def gazepoint_file(path: Path, n: int, rate: float, seed: int = 0) -> None:
    """Gazepoint ``all_gaze.csv`` (normalised positions, validity flags)."""
    s = _signal(n, seed)
    header = ("MEDIA_ID,MEDIA_NAME,CNT,TIME(2024/01/02 10:11:12.131),TIMETICK(f=10000000),"
              "FPOGX,FPOGY,FPOGS,FPOGD,FPOGID,FPOGV,BPOGX,BPOGY,BPOGV,LPOGX,LPOGY,LPOGV,RPOGX,"
              "RPOGY,RPOGV,LPD,LPS,LPV,RPD,RPS,RPV,LPMM,LPMMV,RPMM,RPMMV\n")
    t = np.round(np.arange(n) / rate, 5)
    nx, ny = _text(np.round(s["x"] / 1920, 5)), _text(np.round(s["y"] / 1080, 5))
    valid = _text((~s["lost"]).astype(np.int64))
    pupil = _text(np.round(s["pupil"] / 300, 3))
    rows = _join(["0", "img.jpg", _text(np.arange(n)), _text(t),
                  _text(np.arange(n) * int(1e7 / rate)), nx, ny, "0", "0.1", "1", valid,
                  nx, ny, valid, nx, ny, valid, nx, ny, valid, "20", "1", valid, "22", "1",
                  valid, pupil, valid, pupil, valid], ",")
    _write(path, header, rows)


def pupil_labs_file(path: Path, n: int, rate: float, seed: int = 0) -> None:
    """Pupil Labs ``gaze_positions.csv`` (Pupil time in s, normalised positions, confidence)."""
    s = _signal(n, seed)
    header = "gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data\n"
    t = _text(np.round(1000.0 + np.arange(n) / rate, 6))
    confidence = _text(np.where(s["lost"], 0.2, 0.98))
    rows = _join([t, _text(np.arange(n) // 17), confidence, _text(np.round(s["x"] / 1920, 5)),
                  _text(np.round(1 - s["y"] / 1080, 5)), "1000.0-0"], ",")
    _write(path, header, rows)


def gazebase_file(path: Path, n: int, rate: float, seed: int = 0) -> None:
    """GazeBase's CSV layout (``n,x,y,val,dP,lab,xT,yT``; degrees, 1000 Hz in the data set)."""
    s = _signal(n, seed)
    x = _text(np.round((s["x"] - 960) / 40, 6), s["lost"], "NaN")
    y = _text(np.round((s["y"] - 540) / 40, 6), s["lost"], "NaN")
    rows = _join([_text(np.arange(n)), x, y, _text(s["lost"].astype(np.int64) * 4),
                  _text(np.round(s["pupil"] * 3).astype(np.int64)), "0", "NaN", "NaN"], ",")
    _write(path, "n,x,y,val,dP,lab,xT,yT\n", rows)


#: format name -> (generator(path, n, rate, seed), file name, rate override or None)
FORMATS: dict[str, tuple[Callable, str, float | None]] = {
    "csv": (csv_file, "gaze.csv", None),
    "tsv": (tsv_file, "gaze.tsv", None),
    "eyelink": (eyelink_file, "recording.asc", None),
    "eyelink-2khz-binocular": (partial(eyelink_file, binocular=True), "binocular_2khz.asc",
                               2000.0),
    "eyelink-20-trials": (partial(eyelink_file, trials=20), "trials.asc", None),
    "smi": (smi_file, "s1 Samples.txt", None),
    "tobii": (tobii_file, "export.tsv", None),
    "gazepoint": (gazepoint_file, "User 0_all_gaze.csv", None),
    "pupil-labs": (pupil_labs_file, "gaze_positions.csv", None),
    "gazebase": (gazebase_file, "S_1001_S1_TEX.csv", 1000.0),
}

_READ_CHILD = r"""
import json, resource, sys, time
import gazelearn.io as gio, numpy, polars
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
recs = gio.read_all(sys.argv[1])
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"samples": sum(len(r) for r in recs), "recordings": len(recs),
                  "reader": recs[0].meta.format, "cpu_s": cpu, "peak_rss_mb": peak / 1024,
                  "baseline_rss_mb": baseline / 1024}))
"""



def measure_read_all(path: Path) -> dict:
    """Peak RSS of ``read_all(path)`` in a fresh process, with the imports' baseline."""
    out = subprocess.run([sys.executable, "-c", _READ_CHILD, str(path)], capture_output=True,
                         text=True, env=child_env())
    if out.returncode:
        raise RuntimeError(f"read_all failed on {path}: {out.stderr.strip()[-400:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# read_all, then what info computes of each recording, in one process: whether the summary and
# the data quality raise the peak above the read's own (``read_peak_rss_mb``)
_QUALITY_CHILD = r"""
import json, resource, sys, time
import gazelearn.io as gio, gazelearn.metrics.quality, numpy, polars
from gazelearn.cli.data_commands import recording_info
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
recs = gio.read_all(sys.argv[1])
read_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
infos = [recording_info(rec) for rec in recs]
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"recordings": len(infos), "cpu_s": cpu, "peak_rss_mb": peak / 1024,
                  "read_peak_rss_mb": read_peak / 1024, "baseline_rss_mb": baseline / 1024}))
"""


def measure_quality(path: Path) -> dict:
    """Peak RSS of ``read_all`` then ``recording_info`` of each recording (what ``info``
    computes) in one fresh process, with the peak after the read alone; ``cpu_s`` is the
    summary's and quality's."""
    out = subprocess.run([sys.executable, "-c", _QUALITY_CHILD, str(path)], capture_output=True,
                         text=True, env=child_env())
    if out.returncode:
        raise RuntimeError(f"quality failed on {path}: {out.stderr.strip()[-400:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


#: What ``events detect --method ivt`` imports before it reads: the baseline of its peak.
_DETECT_BASELINE = ("from gazelearn.cli.main import app; import gazelearn.io, "
                    "gazelearn.detection.kernels, gazelearn.io.writers, numpy, polars")


def measure_detect_memory(path: Path) -> dict:
    """Peak RSS of ``gazelearn events detect PATH --method ivt --output OUT`` (a screen given:
    the generated files have no geometry, I-VT needs degrees), with the RSS of its imports."""
    env = child_env()
    code, _, baseline, stderr = _run_measured([sys.executable, "-c", _DETECT_BASELINE], env)
    if code:
        raise RuntimeError(f"baseline child failed: {stderr.strip()[-400:]}")
    with tempfile.TemporaryDirectory() as folder:
        command = [str(Path(sys.executable).with_name("gazelearn")), "events", "detect",
                   str(path), "--method", "ivt", "--output", str(Path(folder) / "events.csv"),
                   *SCREEN_OPTIONS]
        code, cpu, peak, stderr = _run_measured(command, env)
    if code:
        raise RuntimeError(f"events detect failed on {path}: {stderr.strip()[-400:]}")
    return {"exit_code": code, "cpu_s": cpu, "peak_rss_mb": peak, "baseline_rss_mb": baseline}


#: measurement name -> function(path) -> dict with peak_rss_mb, baseline_rss_mb and cpu_s
MEASURES: dict[str, Callable[[Path], dict]] = {
    "read_all": measure_read_all, "info": measure_info, "quality": measure_quality,
    "detect": measure_detect_memory}


def generate(name: str, folder: Path, hours: float, rate: float) -> Path:
    """The file of format ``name`` (written once, then reused)."""
    function, file_name, own_rate = FORMATS[name]
    rate = own_rate or rate
    path = folder / f"{hours:g}h-{rate:g}hz" / name / file_name
    if not path.exists():
        # in a child process: Linux carries a process's peak RSS into the children it starts,
        # so this process must stay small for the measured children's peaks to be theirs
        subprocess.run([sys.executable, __file__, "--generate", name, str(path),
                        str(int(round(hours * 3600 * rate))), str(rate)], check=True)
    return path


def run(formats: list[str], folder: Path, hours: float, rate: float,
        measures: tuple[str, ...] = ("read_all", "info")) -> list[dict]:
    """One row per format and measurement, ``over_file`` = (peak - baseline) / file size."""
    rows = []
    for name in formats:
        path = generate(name, folder, hours, rate)
        size = path.stat().st_size / 2**20
        for measure in measures:
            result = MEASURES[measure](path)
            over = (result["peak_rss_mb"] - result["baseline_rss_mb"]) / size
            rows.append({"format": name, "measure": measure, "file_mb": round(size, 1),
                         **{k: round(v, 3) if isinstance(v, float) else v
                            for k, v in result.items()}, "over_file": round(over, 2)})
            read = ""
            if "read_peak_rss_mb" in result:  # the quality measure: the read's peak beside it
                rows[-1]["read_over_file"] = round(
                    (result["read_peak_rss_mb"] - result["baseline_rss_mb"]) / size, 2)
                read = f", after the read alone {rows[-1]['read_over_file']:.2f} x"
            print(f"{name:<11} {measure:<8} {size:>7.1f} MB  peak {result['peak_rss_mb']:>7.1f} "
                  f"MB  baseline {result['baseline_rss_mb']:>5.1f} MB  -> {over:.2f} x file"
                  f"{read}  (cpu {result['cpu_s']:.2f} s)", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--generate"]:  # the child that writes one file
        name, path, n, rate = argv[1:5]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        FORMATS[name][0](Path(path), int(n), float(rate))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--formats", nargs="*", default=list(FORMATS), choices=list(FORMATS))
    parser.add_argument("--measures", nargs="*", default=["read_all", "info"],
                        choices=list(MEASURES))
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) /
                        "gazelearn-format-memory")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = run(args.formats, args.data, args.hours, args.rate, tuple(args.measures))
    write_report(args.output, "format_memory", rows, hours=args.hours, rate_hz=args.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
