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
