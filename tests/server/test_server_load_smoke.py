"""benchmarks/server_load.py's pipeline timing and summary run on a few frames (cannot rot)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_pipeline_timing_and_summary_on_a_few_frames():
    pytest.importorskip("mediapipe")
    pytest.importorskip("skimage")
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import server_load
    finally:
        sys.path.remove(str(BENCHMARKS))
    timing = server_load.pipeline_latency(n_frames=6)
    assert timing["face_found"] == 6 and timing["ms"]["total"]["n"] == 6
    assert timing["ms"]["total"]["p50"] >= timing["ms"]["landmarks"]["p50"] > 0
    fake = [{"client": 0, "dropped": False, "error": None, "sent": 3, "answered": 2,
             "skipped": 1, "rate_limited": 0, "valid": 2, "latency_ms": [10.0, 40.0],
             "server_ms": [8.0, 30.0]}]
    summary = server_load.summarise(fake, fps=30.0)
    assert summary["dropped_sessions"] == 0 and summary["frames_skipped"] == 1
    assert summary["round_trip_ms"]["p50"] == 25.0 and summary["within_one_frame_fraction"] == 0.5
    text = server_load.table({"pipeline": timing, "load": summary,
                              "settings": {"fps": 30.0, "duration_s": 1}})
    assert "dropped sessions 0" in text
