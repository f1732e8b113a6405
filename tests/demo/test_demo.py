"""`gazelearn demo --quick`: the whole tour runs, writes one self-contained report and numbers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gazelearn.demo import STEPS, run_demo
from gazelearn.demo.gaze_steps import face_video
from gazelearn.demo.signal_steps import simulate_viewers
from gazelearn.errors import InputError


@pytest.fixture(scope="module")
def quick_tour(tmp_path_factory) -> tuple[Path, dict]:
    output = tmp_path_factory.mktemp("demo")
    completed = subprocess.run([sys.executable, "-m", "gazelearn", "demo", "--quick",
                                "--output", str(output)], capture_output=True, text=True,
                               timeout=240)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return output, json.loads((output / "results.json").read_text())


def test_quick_tour_runs_every_synthetic_step_and_writes_one_self_contained_report(quick_tour):
    output, results = quick_tour
    assert {s.name for s in STEPS if not s.real} <= set(results)
    html = (output / "report.html").read_text()
    inline = re.findall(r'src="data:image/png;base64,', html)
    assert len(inline) >= 5  # plots inline
    # the same plots as files, for the README and slides
    assert sorted(p.name for p in (output / "figures").glob("*.png")) == sorted(
        Path(f).name for f in results["figures"])
    assert len(results["figures"]) == len(inline)
    assert "http://" not in html and "https://" not in html  # nothing fetched when opened
    # the run time is reported; a bound on wall-clock time would fail whenever other jobs
    # share the cores, so none is asserted
    assert results["total_seconds"] > 0


def test_quick_tour_numbers_reflect_the_simulated_truth(quick_tour):
    _, results = quick_tour
    detectors = {row["detector"]: row for row in results["events"]["detectors"]}
    # saccades of the simulator are large and fast: every velocity detector must find them
    assert detectors["ivt"]["kappa saccade"] > 0.6
    assert detectors["ivdt"]["kappa pursuit"] > detectors["ivt"]["kappa pursuit"]
    # the two kinds of viewers differ by construction; people are held out
    assert results["scanpaths"]["accuracy"] >= 0.75
    # people differ in their simulated traits: identification far above chance
    assert results["biometrics"]["rank1"] >= 2 * results["biometrics"]["chance_rank1"]
    assert results["tracking"]["faces_found"] >= 0.8 * results["tracking"]["frames"]


def test_viewer_kinds_differ_in_their_traits():
    data = simulate_viewers(2, 1, 20.0, seed=1)
    kinds = data.column("kind")
    from gazelearn import Events

    mean_fixation = {}
    for rec, kind in zip(data, kinds, strict=True):
        fix = Events.from_labels(rec).frame.filter(type="fixation")["duration"].mean()
        mean_fixation.setdefault(kind, []).append(fix)
    assert min(mean_fixation["dweller"]) > max(mean_fixation["scanner"])


def test_face_video_moves_the_face():
    frames = face_video(8)
    assert frames.shape == (8, 240, 320, 3)
    assert abs(frames[0].astype(int) - frames[2].astype(int)).mean() > 1


def test_bad_options_are_named(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="--output must be a folder"):
        run_demo(tmp_path / "file", quick=True)
    with pytest.raises(InputError, match="--real"):
        run_demo(tmp_path / "out", quick=True, real=tmp_path / "missing")
    with pytest.raises(InputError, match="unknown demo step"):
        run_demo(tmp_path / "out", quick=True, only=["nonsense"])
    assert not (tmp_path / "out").exists()  # nothing written for a bad call


def test_real_steps_report_real_numbers(shared_data, tmp_path):
    results = run_demo(tmp_path, quick=True, real=shared_data, progress=False,
                       only=["real_events", "real_scanpaths", "real_gaze"])
    detectors = {row["detector"]: row for row in results["real_events"]["detectors"]}
    assert results["real_events"]["recordings"] == 3
    assert detectors["ivt"]["kappa saccade"] > 0.5  # saccades agree with the human coder
    assert results["real_scanpaths"]["recordings"] == 72
    assert results["real_scanpaths"]["accuracy"] > 0.25  # above chance, participants held out
    assert results["real_gaze"]["n_test"] == 30
    assert "population" not in results  # synthetic steps are not run for real-only choices
