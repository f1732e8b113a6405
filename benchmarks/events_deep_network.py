"""The deep detector's network time per hour of 500 Hz, by chunks per ONNX Runtime call.

The features of a simulated hour at 500 Hz (1 800 000 samples, ``simulate_recording(3600,
500)``, seed 0, ``context`` features) go through ``DeepRunner.network_scores`` (its chunks of
32 s plus margins, stitched) with ``batch`` chunks per ONNX Runtime call, for

* ``tcn``: the shipped model's ONNX graph (``load_runner()``);
* ``tcn-gru``: an untrained network of the size ``tools/train_default_detector.py
  --architecture tcn-gru`` trains (depth 9, 32 channels, GRU of 48 per direction, context
  features, weights drawn with seed 0; the time does not depend on the weights), exported by
  the project's own export path (``DeepDetector.runner``).

Each batch size is timed ``--repeats`` times, the batch sizes interleaved within a repeat (a
shared machine's load then touches all alike), after one untimed warm-up; the median wall and
CPU seconds (``time.process_time``: every thread of this process) are reported, with the load
average, and the largest difference of the scores from those of batch 1.

With ``--end-to-end`` it times the whole command instead, as ``io_speed.py --measures detect
--method deep`` does (CPU of a fresh process, user + system, median of ``--repeats``):
``gazelearn events detect`` on io_speed.py's hour of 500 Hz CSV with the shipped model, and
with ``--model`` a file holding that untrained tcn-gru (written by ``DeepDetector.save``, its
ONNX graph beside it), after one untimed run of each (ONNX graphs a checkout given by
``--src`` does not take from beside the file are exported then, into a temporary cache).

Usage::

    .venv/bin/python benchmarks/events_deep_network.py
    .venv/bin/python benchmarks/events_deep_network.py --model tcn-gru --batch 1 --batch 4 \
        --threads 1
    .venv/bin/python benchmarks/events_deep_network.py --end-to-end \
        --output benchmarks/results/events_deep_network_cli.json

Writes ``benchmarks/results/events_deep_network.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

from _report import report_header, write_report  # noqa: E402
from gazelearn.detection import deep_inference  # noqa: E402
from gazelearn.simulate import simulate_recording  # noqa: E402

SEED = 0
MODELS = ("tcn", "tcn-gru")


def untrained_tcn_gru(threads: int | None = None):
    """A tcn-gru ``DeepDetector`` of the size the default recipe trains, weights of seed 0."""
    import torch

    from gazelearn.detection.deep import DeepDetector

    # the options tools/train_default_detector.py --architecture tcn-gru trains with
    detector = DeepDetector(architecture="tcn-gru", features="context", depth=9, window_s=4.0,
                            seed=SEED, num_threads=threads)
    torch.manual_seed(SEED)
    detector.network_ = detector._build_network().eval()
    detector.classes_ = list(deep_inference.CLASSES)
    detector.history_, detector.best_epoch_, detector.training_summary_ = [], 0, {}
    return detector


def runner_for(model: str, threads: int | None) -> deep_inference.DeepRunner:
    """The runner of the shipped TCN, or of an untrained tcn-gru of the default size."""
    if model == "tcn":
        return deep_inference.load_runner(num_threads=threads)
    return untrained_tcn_gru(threads).runner()


def end_to_end(models: Sequence[str], repeats: int, data: Path, folder: Path,
               src: Path | None = None) -> dict:
    """CPU seconds of ``gazelearn events detect --method deep`` on one hour of 500 Hz CSV
    (``src``: the gazelearn of that source folder in the children)."""
    import io_speed

    path = io_speed.generate(data / "1h-500hz.csv", 1.0, 500.0)
    n = io_speed._rows(path)
    gazelearn = Path(sys.executable).with_name("gazelearn")
    env = {**io_speed.child_env(src), "GAZELEARN_CACHE": str(folder / "cache")}
    results = {}
    for model in models:
        extra = []
        if model == "tcn-gru":
            model_file = untrained_tcn_gru().save(folder / "tcn_gru_untrained.safetensors")
            extra = ["--model", str(model_file)]
        runs = []
        for run in range(repeats + 1):  # the first untimed
            code, cpu, peak, stderr = io_speed._run_measured(
                [str(gazelearn), "events", "detect", str(path), "--method", "deep", *extra,
                 "--output", str(folder / "events.csv"), *io_speed.SCREEN_OPTIONS], env)
            if code != 0:
                raise RuntimeError(f"events detect ({model}) failed: {stderr.strip()}")
            if run == 0:
                continue
            runs.append({"cpu_s": round(cpu, 3), "peak_rss_mb": round(peak, 1),
                         "load_1min": round(os.getloadavg()[0], 2)})
        cpu = statistics.median(r["cpu_s"] for r in runs)
        results[model] = {"runs": runs, "median_cpu_s": cpu, "samples": n,
                          "samples_per_cpu_second": n / cpu}
        print(f"{model:<9} cpu {cpu:6.2f} s  {n / cpu / 1e6:5.2f} M samples/s  runs "
              + " ".join(f"{r['cpu_s']:.2f}" for r in runs), flush=True)
    return {"data": str(path), "n_samples": n, "results": results}


def graph_ops(runner: deep_inference.DeepRunner) -> dict[str, int]:
    """How many nodes of each operator the runner's graph holds."""
    import onnx

    source = runner.onnx if isinstance(runner.onnx, bytes) else Path(runner.onnx).read_bytes()
    counts: dict[str, int] = {}
    for node in onnx.load_from_string(source).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


def measure(runner: deep_inference.DeepRunner, features: np.ndarray, batches: Sequence[int],
            repeats: int) -> list[dict]:
    """Wall and CPU seconds of ``network_scores`` at each batch size (interleaved repeats)."""
    runs: dict[int, list[tuple[float, float, float]]] = {b: [] for b in batches}
    reference = None
    diffs: dict[int, float] = {}
    for b in batches:  # warm-up (untimed) and the scores' agreement with batch 1
        scores = replace(runner, batch=b).network_scores(features)
        if reference is None:
            reference = replace(runner, batch=1).network_scores(features) if b != 1 else scores
        diffs[b] = float(np.abs(scores - reference).max())
    for _ in range(repeats):
        for b in batches:
            batched = replace(runner, batch=b)
            wall, cpu = time.perf_counter(), time.process_time()
            batched.network_scores(features)
            runs[b].append((time.perf_counter() - wall, time.process_time() - cpu,
                            os.getloadavg()[0]))
    rows = []
    for b in batches:
        rows.append({"batch": b, "wall_s": [round(r[0], 4) for r in runs[b]],
                     "cpu_s": [round(r[1], 4) for r in runs[b]],
                     "load_1min": [round(r[2], 2) for r in runs[b]],
                     "median_wall_s": statistics.median(r[0] for r in runs[b]),
                     "median_cpu_s": statistics.median(r[1] for r in runs[b]),
                     "max_abs_diff_from_batch_1": diffs[b]})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", choices=MODELS,
                        help="network to time (repeatable; default both)")
    parser.add_argument("--batch", action="append", type=int,
                        help="chunks per ONNX Runtime call (repeatable; default 1 2 4 8)")
    parser.add_argument("--threads", type=int, default=None,
                        help="ONNX Runtime intra-op threads (default: its own, as events detect)")
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds of signal")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "results" /
                        "events_deep_network.json")
    parser.add_argument("--end-to-end", action="store_true",
                        help="time gazelearn events detect --method deep on 1 h of 500 Hz CSV")
    parser.add_argument("--data", type=Path, default=Path("/tmp/gazelearn-io-speed"),
                        help="--end-to-end: folder of io_speed.py's generated CSV")
    parser.add_argument("--src", type=Path, default=None,
                        help="--end-to-end: run the gazelearn of this src folder (another "
                             "checkout's)")
    args = parser.parse_args(argv)
    models, batches = args.model or list(MODELS), args.batch or [1, 2, 4, 8]
    if args.end_to_end:
        import tempfile

        report = report_header(__file__, argv, task="events detect --method deep end to end, "
                               "shipped TCN and an untrained tcn-gru of the default size")
        with tempfile.TemporaryDirectory() as folder:
            report.update(end_to_end(models, args.repeats, args.data, Path(folder),
                                     args.src))
        report["src"] = str(args.src) if args.src else None
        report["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
        write_report(args.output, report)
        return 0
    recording = simulate_recording(args.duration, 500.0, seed=SEED)
    features, _ = deep_inference.detector_features(recording, 500.0, "context")
    n = len(features)
    hours = n / 500.0 / 3600.0
    report = report_header(__file__, argv, task="deep detector network time by chunk batch",
                           data={"signal": f"simulate_recording({args.duration:g}, 500), seed "
                                           f"{SEED}", "samples": n})
    report.update(threads=args.threads, chunk_s=deep_inference.CHUNK_S, results={})
    print(f"{n} samples ({hours:.2f} h at 500 Hz); threads {args.threads or 'ORT default'}; "
          f"load {os.getloadavg()}")
    print(f"{'model':<9}{'batch':>6}{'wall s/h':>10}{'cpu s/h':>10}{'max diff':>10}   cpu runs")
    for model in models:
        runner = runner_for(model, args.threads)
        starts, length = deep_inference.chunk_plan(
            n, int(round(deep_inference.CHUNK_S * runner.sampling_rate)), runner.margin)
        rows = measure(runner, features, batches, args.repeats)
        for row in rows:
            row["wall_s_per_hour"] = row["median_wall_s"] / hours
            row["cpu_s_per_hour"] = row["median_cpu_s"] / hours
            print(f"{model:<9}{row['batch']:>6}{row['wall_s_per_hour']:>10.3f}"
                  f"{row['cpu_s_per_hour']:>10.3f}{row['max_abs_diff_from_batch_1']:>10.1e}   "
                  + " ".join(f"{c:.2f}" for c in row["cpu_s"]), flush=True)
        report["results"][model] = {"margin": runner.margin, "chunks": len(starts),
                                    "chunk_length": int(length), "ops": graph_ops(runner),
                                    "rows": rows}
    report["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    write_report(args.output, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
