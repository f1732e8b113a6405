"""`gazelearn demo --quick`: the whole tour runs, writes one self-contained report and numbers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
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
    # I-VT cannot label pursuit: no kappa (null, "n/a" in the report), where I-VDT scores
    assert detectors["ivt"]["kappa pursuit"] is None
    assert detectors["ivdt"]["kappa pursuit"] > 0.0
    # the two kinds of viewers differ by construction; people are held out
    assert results["scanpaths"]["accuracy"] >= 0.75
    # people differ in their simulated traits: identification far above chance
    assert results["biometrics"]["rank1"] >= 2 * results["biometrics"]["chance_rank1"]
    assert results["tracking"]["faces_found"] >= 0.8 * results["tracking"]["frames"]


def _tables(html: str) -> dict[str, list[dict[str, str]]]:
    """The report's tables by caption: one dict per row, header -> cell text."""
    found = {}
    for caption, head, body in re.findall(
            r"<table><caption>(.*?)</caption><thead>(.*?)</thead><tbody>(.*?)</tbody>", html):
        columns = re.findall(r"<th>(.*?)</th>", head)
        rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>",
                                                                                body)]
        found[caption] = [dict(zip(columns, row, strict=True)) for row in rows]
    return found


def test_quick_tour_tables_say_na_for_classes_a_detector_cannot_output(quick_tour):
    output, results = quick_tour
    tables = _tables((output / "report.html").read_text())
    caption = next(c for c in tables if c.startswith("Detectors against the simulator"))
    assert "2 decimals" in caption and "n/a" in caption  # the precision, said once
    assert all(re.fullmatch(r"\d+", row["k samples/s"]) for row in tables[caption])
    rows = {row["detector"]: row for row in tables[caption]}
    cannot = {"ivt": ("pso", "pursuit"), "idt": ("pso", "pursuit"), "nh": ("pursuit",),
              "ivdt": ("pso",), "deep": ()}
    for name, classes in cannot.items():
        for cls in ("fixation", "saccade", "pso", "pursuit"):
            cell = rows[name][f"kappa {cls}"]
            if cls in classes:
                assert cell == "n/a", (name, cls)
            else:  # a number with exactly 2 decimals, the one in results.json
                assert re.fullmatch(r"-?\d\.\d\d", cell), (name, cls, cell)
                value = {r["detector"]: r for r in results["events"]["detectors"]}[name]
                assert float(cell) == pytest.approx(value[f"kappa {cls}"], abs=0.005)
    gaze = next(rows for c, rows in tables.items() if c.startswith("Mean gaze error"))
    assert all(re.fullmatch(r"\d+", row["px"]) and re.fullmatch(r"\d+\.\d", row["% of screen"])
               for row in gaze)


def test_quick_tour_biometrics_table_has_readable_names(quick_tour):
    output, _ = quick_tour
    html = (output / "report.html").read_text()
    table = next(rows for c, rows in _tables(html).items() if c.startswith("Identification"))
    assert [row["measure"] for row in table] == [
        "rank-1 identification", "rank-5 identification", "equal error rate (EER)",
        "FRR at FAR 1 %", "FRR at FAR 0.1 %"]
    assert "frr_at_far" not in html and "n_genuine" not in html


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """The figures (objects, not pixels) and captions of a few steps, run in this process."""
    from gazelearn.demo.tour import DemoContext

    shown = []
    keep = DemoContext.figure

    def figure(self, fig, caption):
        shown.append((self.step, fig, caption))
        keep(self, fig, caption)

    class Gazer:  # stands in for the gaze CNN: the figures are tested here, not the training
        def __init__(self, *args, **options):
            self.shift = 40.0 if options.get("calibration") == "bn" else 90.0

        def fit(self, images, targets, groups=None):
            return self

        def predict(self, images, groups=None):
            return np.full((len(images), 2), 500.0) + self.shift

        def calibrate(self, *args, **options):
            self.shift /= 2

        def reset_calibration(self):
            pass

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DemoContext, "figure", figure)
        patch.setattr("gazelearn.appearance.GazeRegressor", Gazer)
        run_demo(tmp_path_factory.mktemp("drawn"), quick=True, progress=False,
                 only=["scanpaths", "eyes", "gaze"])
    return shown


def test_heat_maps_are_compared_on_one_colour_scale(drawn):
    (fig, caption), = [(f, c) for step, f, c in drawn if step == "scanpaths"]
    panels = [ax for ax in fig.axes if ax.images]
    assert sorted(ax.get_title() for ax in panels) == ["dweller", "scanner"]
    maps = [ax.images[-1].get_array() for ax in panels]
    scales = {ax.images[-1].get_clim() for ax in panels}
    assert scales == {(min(float(m.min()) for m in maps), max(float(m.max()) for m in maps))}
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and "%" in bars[0].get_ylabel()
    # each map is the mean share of a kind's gaze samples per cell, in %: it sums to 100
    assert [float(np.sum(m)) for m in maps] == pytest.approx([100.0, 100.0], rel=1e-6)
    assert "one colour scale" in caption


def test_captions_count_what_is_shown(drawn):
    (eyes, eyes_caption), = [(f, c) for step, f, c in drawn if step == "eyes"]
    assert eyes_caption.startswith(f"The first frame of each of the {len(eyes.axes)} persons")
    (gaze, gaze_caption), = [(f, c) for step, f, c in drawn if step == "gaze"]
    panels = [ax for ax in gaze.axes if ax.get_label() != "<colorbar>"]
    arrows = [[c for c in ax.collections if type(c).__name__ == "Quiver"][0].N for ax in panels]
    assert len(panels) == 3 and len(set(arrows)) == 1
    assert f"each of the {arrows[0]} targets" in gaze_caption
    assert len({ax.collections[-1].get_clim() for ax in panels}) == 1  # one colour scale


def test_eye_caption_says_how_many_of_how_many(monkeypatch, tmp_path):
    import gazelearn.simulate
    from gazelearn.demo import gaze_steps
    from gazelearn.demo.tour import DemoContext
    from gazelearn.report import Report

    real = gazelearn.simulate.simulate_eye_dataset
    monkeypatch.setattr(gazelearn.simulate, "simulate_eye_dataset",
                        lambda persons, measurements, frames, seed: real(11, 1, 1, seed=seed))
    shown = []
    monkeypatch.setattr(DemoContext, "figure", lambda self, fig, caption: shown.append(
        (fig, caption)))
    gaze_steps.eyes(DemoContext(tmp_path, quick=True, real=None, report=Report("t").section("s")))
    (fig, caption), = shown
    assert len(fig.axes) == 8
    assert caption.startswith("The first frame of each of the first 8 of the 11 persons")


def test_detection_figure_shows_the_truth_and_each_detector():
    from gazelearn.demo.signal_steps import detections_figure
    from gazelearn.simulate import simulate_recording

    rec = simulate_recording(6.0, 500.0, seed=2)
    fig = detections_figure(rec, names=("ivt", "ivdt"), seconds=2.0)
    strips = fig.axes[2:]
    assert [ax.get_yticklabels()[0].get_text() for ax in strips] == ["truth", "ivt", "ivdt"]
    assert fig.axes[0].get_xlim() == strips[-1].get_xlim()  # one time axis
    assert fig.axes[0].lines[0].get_xdata()[-1] < 2.0  # the first 2 s only
    ivt_classes = {c.get_label() for c in strips[1].collections}
    assert "pursuit" not in ivt_classes and "fixation" in ivt_classes


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
