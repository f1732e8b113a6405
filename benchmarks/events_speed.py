"""Event-detection speed: samples per second of each method on one long recording.

A simulated 30-minute 500 Hz recording (900 000 samples, ``simulate_recording(1800, 500)``, seed
0) is labelled by every method; each is timed 3 times (after one untimed warm-up on 10 s) and
the median is reported. Goal from the issue: gazelearn I-VT over 20 million samples/s.

Usage::

    .venv/bin/python benchmarks/events_speed.py                  # all methods
    .venv/bin/python benchmarks/events_speed.py --method ivt --repeats 5

Writes ``benchmarks/results/events_speed.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from events_lund import ALL_METHODS, method_predictor, versions  # noqa: E402
from gazelearn.simulate import simulate_recording  # noqa: E402

SEED = 0
GOAL_IVT = 20e6
GOAL_DEEP = 1e6
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", action="append", choices=SPEED_METHODS,
                        help="method to time (repeatable; default all)")
    parser.add_argument("--duration", type=float, default=1800.0, help="seconds of signal")
    parser.add_argument("--rate", type=float, default=500.0, help="sampling rate (Hz)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "events_speed.json")
    args = parser.parse_args(argv)
    methods = args.method or list(SPEED_METHODS)
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
        "benchmark": "events_speed",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "seed": SEED,
        "data": f"gazelearn.simulate.simulate_recording({args.duration:g}, {args.rate:g}, "
                f"seed={SEED})",
        "n_samples": n,
        "repeats": args.repeats,
        "statistic": "median",
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count()},
        "versions": versions([m for m in methods if m != "deep"]),
        "skipped": skipped,
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
