"""Event-detection speed: samples per second of each method on one long recording.

A simulated 30-minute 500 Hz recording (900 000 samples, ``simulate_recording(1800, 500)``, seed
0) is labelled by every method; each is timed 3 times (after one untimed warm-up on 10 s) and
the median is reported. Goal from the issue: gazelearn I-VT over 20 million samples/s.

With ``--cli`` it measures end to end instead: ``gazelearn events detect FILE --method M
--output OUT`` on io_speed.py's one hour of 500 Hz CSV (1 800 000 rows, 2 % lost; generated
once), the CPU time (user + system) of the whole command in a fresh process (start-up, imports,
reading, detection, writing), the median of ``--repeats`` runs. Goal of issue 15: the deep
method at 0.5 M samples/s or more, at least 5x REMoDNaV's classifier alone (io_speed.py's
``remodnav`` measure).

Usage::

    .venv/bin/python benchmarks/events_speed.py                  # all methods
    .venv/bin/python benchmarks/events_speed.py --method ivt --repeats 5
    .venv/bin/python benchmarks/events_speed.py --cli --method deep --method ivt

Writes ``benchmarks/results/events_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _report import report_header, write_report  # noqa: E402
from events_lund import ALL_METHODS, method_predictor, versions  # noqa: E402
from gazelearn.simulate import simulate_recording  # noqa: E402

SEED = 0
GOAL_IVT = 20e6
GOAL_DEEP = 1e6
GOAL_DEEP_CLI = 0.5e6  # end to end, issue 15
SPEED_METHODS = (*ALL_METHODS, "deep")


def speed_predictor(name: str):
    """Like ``events_lund.method_predictor``, plus ``deep`` (the model bundled with gazelearn;
    fine for timing, never for accuracy on data it was trained on)."""
    if name == "deep":
        from gazelearn.detection import create_detector

        try:
            return create_detector("deep").predict, None
        except Exception as error:  # no bundled model in this checkout
            return None, str(error)
    return method_predictor(name)


def time_method(predict_fn, recording, repeats: int = 3) -> list[float]:
    """Wall-clock seconds of ``repeats`` runs of ``predict_fn(recording)``."""
    predict_fn(recording.select(slice(0, min(len(recording), 5000))))  # warm-up, untimed
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict_fn(recording)
        times.append(time.perf_counter() - start)
    return times


def measure_cli(methods: Sequence[str], repeats: int, data: Path) -> dict:
    """CPU seconds of ``gazelearn events detect`` per method on one hour of 500 Hz CSV."""
    import tempfile

    import io_speed

    path = io_speed.generate(data / "1h-500hz.csv", 1.0, 500.0)
    n = io_speed._rows(path)
    gazelearn = Path(sys.executable).with_name("gazelearn")
    results = {}
    for method in methods:
        runs = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                code, cpu, peak, stderr = io_speed._run_measured(
                    [str(gazelearn), "events", "detect", str(path), "--method", method,
                     "--output", str(Path(folder) / "events.csv"), *io_speed.SCREEN_OPTIONS],
                    io_speed.child_env())
                wall = time.perf_counter() - start
            if code != 0:
                raise RuntimeError(f"events detect --method {method} failed: {stderr.strip()}")
            runs.append({"cpu_s": cpu, "wall_s": wall, "peak_rss_mb": peak})
        cpu = statistics.median(r["cpu_s"] for r in runs)
        results[method] = {"runs": runs, "median_cpu_s": cpu, "samples": n,
                           "samples_per_cpu_second": n / cpu,
                           "median_wall_s": statistics.median(r["wall_s"] for r in runs)}
        print(f"{method:<10} cpu {cpu:7.2f} s  {n / cpu / 1e6:5.2f} M samples/s  "
              "runs " + " ".join(f"{r['cpu_s']:.2f}" for r in runs), flush=True)
    return {"data": str(path), "n_samples": n, "results": results}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", action="append", choices=SPEED_METHODS,
                        help="method to time (repeatable; default all)")
    parser.add_argument("--duration", type=float, default=1800.0, help="seconds of signal")
    parser.add_argument("--rate", type=float, default=500.0, help="sampling rate (Hz)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=None,
                        help="default results/events_speed.json (--cli: events_speed_cli.json)")
    parser.add_argument("--cli", action="store_true",
                        help="end to end: gazelearn events detect on 1 h of 500 Hz CSV")
    parser.add_argument("--data", type=Path, default=Path("/tmp/gazelearn-io-speed"),
                        help="--cli: folder of io_speed.py's generated CSV")
    args = parser.parse_args(argv)
    methods = args.method or list(SPEED_METHODS)
    if args.cli:
        return main_cli(args, methods)
    args.output = args.output or HERE / "results" / "events_speed.json"
    recording = simulate_recording(args.duration, args.rate, seed=SEED)
    n = len(recording)
    print(f"recording: {args.duration:.0f} s at {args.rate:.0f} Hz = {n} samples, "
          f"{recording.lost_fraction:.1%} lost")
    results, skipped = {}, {}
    print(f"{'method':<10}{'median s':>10}{'samples/s':>14}   runs")
    for name in methods:
        fn, reason = speed_predictor(name)
        if fn is None:
            skipped[name] = reason
            print(f"{name:<10}  skipped: {reason}")
            continue
        times = time_method(fn, recording, args.repeats)
        median = statistics.median(times)
        results[name] = {"seconds": times, "median_seconds": median,
                         "samples_per_second": n / median}
        print(f"{name:<10}{median:>10.3f}{n / median:>14,.0f}   "
              + " ".join(f"{t:.3f}" for t in times))
    if "ivt" in results:
        rate = results["ivt"]["samples_per_second"]
        verdict = "meets" if rate >= GOAL_IVT else "is below"
        print(f"gazelearn I-VT: {rate / 1e6:.1f} M samples/s {verdict} the 20 M samples/s goal")
    if "deep" in results:
        rate = results["deep"]["samples_per_second"]
        verdict = "meets" if rate >= GOAL_DEEP else "is below"
        print(f"gazelearn deep: {rate / 1e6:.2f} M samples/s {verdict} the 1 M samples/s goal")
    record = {
        **report_header(__file__, None if argv is None else list(argv)),
        "seed": SEED,
        "data": f"gazelearn.simulate.simulate_recording({args.duration:g}, {args.rate:g}, "
                f"seed={SEED})",
        "n_samples": n,
        "repeats": args.repeats,
        "statistic": "median",
        "versions": versions([m for m in methods if m != "deep"]),
        "skipped": skipped,
        "results": results,
    }
    write_report(args.output, record)
    return 0


def main_cli(args: argparse.Namespace, methods: Sequence[str]) -> int:
    """``--cli``: the end-to-end measure, with REMoDNaV's classifier from io_speed.json."""
    measured = measure_cli(methods, args.repeats, args.data)
    reference = None
    io_results = HERE / "results" / "io_speed.json"
    if io_results.is_file():
        rows = [r for r in json.loads(io_results.read_text())["results"]
                if r["case"] == "1h-500hz" and r["measure"] == "remodnav"]
        reference = rows[0] if rows else None
    if "deep" in measured["results"]:
        rate = measured["results"]["deep"]["samples_per_cpu_second"]
        verdict = "meets" if rate >= GOAL_DEEP_CLI else "is below"
        print(f"events detect --method deep: {rate / 1e6:.2f} M samples/s end to end {verdict} "
              "the 0.5 M samples/s goal")
        if reference:
            print(f"  {rate / reference['samples_per_s']:.1f}x REMoDNaV {reference['version']}'s "
                  f"classifier alone ({reference['samples_per_s'] / 1e3:.0f} k samples/s, "
                  "io_speed.json)")
    record = {
        **report_header(__file__, benchmark="events_speed --cli"),
        "statistic": "median CPU (user + system) of the whole command",
        "repeats": args.repeats,
        "remodnav_classifier_alone": reference,
        **measured,
    }
    write_report(args.output or HERE / "results" / "events_speed_cli.json", record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
