"""Regenerate the synthetic recording bundled with the package (src/gazelearn/data/).

Run: .venv/bin/python tools/make_demo_recording.py
"""

from pathlib import Path

from gazelearn import Metadata
from gazelearn.simulate import DEFAULT_SCREEN, simulate_recording

OUT = Path(__file__).resolve().parents[1] / "src" / "gazelearn" / "data" / "demo_recording.csv"

if __name__ == "__main__":
    recording = simulate_recording(
        duration_s=10.0, sampling_rate=500.0, screen=DEFAULT_SCREEN, seed=2026,
        meta=Metadata(subject="demo", stimulus="none"),
    )
    recording.to_frame().write_csv(OUT, float_precision=4)
    print(f"wrote {OUT} ({len(recording)} samples)")
