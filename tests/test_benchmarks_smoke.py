"""The event benchmark core runs end to end on 2 simulated recordings, so it cannot rot."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_events_lund_core_on_simulated_recordings():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import events_lund
    finally:
        sys.path.remove(str(BENCHMARKS))
    from gazelearn.simulate import simulate_recording

    recordings = [simulate_recording(4.0, 500.0, seed=s) for s in (1, 2)]
    results, skipped = events_lund.run({"sim": (recordings, ["a", "b"])}, ["ivt", "nh"],
                                       log=lambda *_: None)
    assert not skipped and [r["method"] for r in results["sim"]] == ["ivt", "nh"]
    assert 0.5 < results["sim"][0]["all"]["classes"]["saccade"]["kappa"] <= 1.0
    assert "sacca k" in events_lund.format_table(results["sim"], "a")
    # learned methods: a trainer with leave-one-recording-out folds
    folds = events_lund.leave_one_recording_out(recordings)
    learned = events_lund.evaluate_method("fake", lambda train: (lambda rec: rec.labels),
                                          recordings, folds=folds)
    assert learned["all"]["accuracy"] == 1.0 and learned["cross_validated"]


def test_every_report_starts_with_the_same_header(tmp_path):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import _report
    finally:
        sys.path.remove(str(BENCHMARKS))
    import json

    import numpy as np

    header = _report.report_header(str(BENCHMARKS / "io_speed.py"), ["--cases", "1h 500hz"],
                                   task="t")
    assert list(header)[:5] == ["benchmark", "date", "command", "machine", "code"]
    assert header["benchmark"] == "io_speed" and header["task"] == "t"
    # pasted into a shell from the repository's root, the command reruns the benchmark
    assert header["command"] == ".venv/bin/python benchmarks/io_speed.py --cases '1h 500hz'"
    assert header["machine"]["cpus"] >= 1 and len(header["code"]["git_commit"] or "x" * 40) == 40
    _report.write_report(tmp_path / "out" / "r.json", {**header, "value": np.float32(0.5)})
    assert json.loads((tmp_path / "out" / "r.json").read_text())["value"] == 0.5
    # no script builds the header itself any more
    own = [path.name for path in BENCHMARKS.glob("*.py")
           if '"benchmark": "' in path.read_text() and path.name != "_report.py"]
    assert own == [], own
