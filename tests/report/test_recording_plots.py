"""`gazelearn plot` and gazelearn.report.recording_plots on a recording with known events.

The synthetic recording: four fixations at known positions and durations joined by linear
30-ms saccades whose first and last samples are the fixations' positions, so every saccade's
amplitude is the jump between two fixations and its peak speed (px/s) the ramp's slope.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import gazelearn.report
from gazelearn import Recording, Screen
from gazelearn.cli.main import app
from gazelearn.errors import InputError
from gazelearn.events import Events
from gazelearn.io import read_all, write_recording
from gazelearn.metrics import quality_per_trial
from gazelearn.report.recording_plots import (
    fixation_heatmap,
    fixation_scanpath,
    main_sequence,
    main_sequence_band,
    quality_bars,
    saccade_measures,
    trace,
)

runner = CliRunner()
RATE = 500.0
SCREEN = Screen(1920, 1080, 531.0, 299.0, 600.0)
#: (x px, y px, duration s) of each fixation, in order; the longest is the second
FIXATIONS = [(300.0, 300.0, 0.2), (900.0, 400.0, 0.5), (1500.0, 800.0, 0.3),
             (600.0, 900.0, 0.25)]
RAMP = 15  # samples of each saccade: 28 ms from its first to its last sample


def synthetic(screen: Screen | None = SCREEN) -> Recording:
    x, y, labels = [], [], []
    for i, (fx, fy, duration) in enumerate(FIXATIONS):
        n = int(round(duration * RATE))
        if i:  # the saccade from the previous fixation: a straight ramp, ends included
            px, py, _ = FIXATIONS[i - 1]
            x += list(np.linspace(px, fx, RAMP))
            y += list(np.linspace(py, fy, RAMP))
            labels += [2] * RAMP
        x += [fx] * n
        y += [fy] * n
        labels += [1] * n
    time = np.arange(len(x)) / RATE
    return Recording(time, np.array(x), np.array(y), labels=np.array(labels), screen=screen)


def jumps() -> np.ndarray:
    xy = np.array([(fx, fy) for fx, fy, _ in FIXATIONS])
    return np.hypot(*np.diff(xy, axis=0).T)


@pytest.fixture
def recording_file(tmp_path: Path) -> Path:
    path = tmp_path / "rec.csv"
    write_recording(synthetic(), path)  # with its screen in the JSON sidecar
    return path


def plot(*args: str):
    return runner.invoke(app, ["plot", *map(str, args)])


# ---------------------------------------------------------------------------- the figures
def test_trace_has_a_legend_entry_per_event_class_and_degrees():
    fig = trace(synthetic())
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["fixation", "saccade"]
    assert fig.axes[0].get_ylabel() == "x (deg)" and fig.axes[1].get_xlabel() == "time (s)"
    assert trace(synthetic(Screen(1920, 1080))).axes[0].get_ylabel() == "x (px)"


def test_scanpath_circles_are_the_fixations_in_order():
    events = Events.from_labels(synthetic())
    fig = fixation_scanpath(events, SCREEN)
    circles = fig.axes[0].collections[-1]
    assert circles.get_offsets().tolist() == [[fx, fy] for fx, fy, _ in FIXATIONS]
    sizes = circles.get_sizes()  # area proportional to duration, the longest the largest
    assert np.argmax(sizes) == 1
    assert sizes[0] / sizes[1] == pytest.approx(0.2 / 0.5, rel=0.02)
    assert [t.get_text() for t in fig.axes[0].texts] == ["1", "2", "3", "4"]
    assert fig.axes[0].get_ylim() == (1080.0, 0.0)  # screen pixels, y down


def test_heatmap_peaks_at_the_longest_fixation_and_integrates_to_the_fixation_time():
    fig = fixation_heatmap(Events.from_labels(synthetic()), SCREEN)
    density = np.asarray(fig.axes[0].images[-1].get_array())
    row, col = np.unravel_index(np.argmax(density), density.shape)
    assert abs(col * 4 + 2 - 900) <= 4 and abs(row * 4 + 2 - 400) <= 4
    assert fig.axes[1].get_ylabel() == "fixation time (ms/deg²)"
    # ms per deg² times the cell area in deg² sums to the fixations' total duration (ms)
    cell_deg2 = 16 / SCREEN.pixels_per_degree ** 2
    total_ms = 1000 * sum(d for _, _, d in FIXATIONS)
    assert density.sum() * cell_deg2 == pytest.approx(total_ms, rel=0.01)


def test_heatmap_without_geometry_blurs_a_stated_pixel_width():
    fig = fixation_heatmap(Events.from_labels(synthetic(None)), Screen(1920, 1080))
    assert fig.axes[1].get_ylabel() == "fixation time (ms per 100 × 100 px)"
    with pytest.raises(InputError, match="sigma_deg needs the screen geometry"):
        fixation_heatmap(Events.from_labels(synthetic(None)), Screen(1920, 1080), sigma_deg=1)


def test_main_sequence_points_are_the_saccades_amplitude_and_peak_velocity():
    rec = synthetic()
    saccades = Events.from_labels(rec).of_type("saccade").frame
    fig = main_sequence(*saccade_measures(rec, Events.from_labels(rec)))
    points = fig.axes[0].collections[0].get_offsets()
    expected = np.c_[saccades["amplitude"].to_numpy(), saccades["peak_velocity"].to_numpy()]
    assert np.allclose(points, expected) and len(points) == 3
    assert fig.axes[0].get_xscale() == fig.axes[0].get_yscale() == "log"
    _, low, high = main_sequence_band(expected[:, 0])
    above, below = int((expected[:, 1] > high).sum()), int((expected[:, 1] < low).sum())
    label = fig.axes[0].get_legend().get_texts()[1].get_text()
    assert label.endswith(f"{above} above, {below} below")


def test_main_sequence_in_pixels_knows_the_ramps():
    rec = synthetic(None)
    amplitude, peak, unit = saccade_measures(rec, Events.from_labels(rec))
    assert unit == "px"
    assert np.allclose(amplitude, jumps())
    # a linear ramp: the Savitzky-Golay speed inside it is its slope
    assert np.allclose(peak, jumps() / ((RAMP - 1) / RATE), rtol=1e-6)
    fig = main_sequence(amplitude, peak, unit)
    assert fig.axes[0].get_xlabel() == "amplitude (px)" and not fig.axes[0].collections[1:]


def test_main_sequence_band_is_the_law():
    centre, low, high = main_sequence_band([9.07])
    assert centre[0] == pytest.approx(461.6 * (1 - np.exp(-1)))
    assert low[0] == pytest.approx(0.71 * centre[0]) and high[0] == pytest.approx(1.29 * centre[0])


def test_quality_bars_are_the_rows_figures():
    recordings = [synthetic().select(np.arange(0, 300)), synthetic().select(np.arange(300, 600))]
    recordings[1].x[:30] = np.nan  # 10 % lost in the second trial
    rows = quality_per_trial(recordings)
    fig = quality_bars(rows, names=["a", "b"])
    assert [p.get_height() for p in fig.axes[0].patches] == [100 * r["loss"] for r in rows]
    assert [p.get_height() for p in fig.axes[1].patches] == [r["rms_s2s_deg"] for r in rows]
    assert fig.axes[0].patches[1].get_height() == pytest.approx(10.0)


# ---------------------------------------------------------------------------- the command
@pytest.mark.parametrize("kind", ["trace", "scanpath", "heatmap", "main-sequence", "quality"])
def test_every_kind_writes_png_svg_and_html(recording_file, tmp_path, kind):
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".html", b"<!DOCTYPE")):
        out = tmp_path / f"{kind}{suffix}"
        result = plot(recording_file, "--kind", kind, "--output", out)
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(magic)
    page = (tmp_path / f"{kind}.html").read_text()
    assert "<figure><svg" in page and "<figcaption>Figure 1." in page
    assert "<img" not in page  # the figure is inline SVG (a heat map embeds its raster)
    if kind != "quality":
        assert "events: the recording&#x27;s own labels" in page


def test_svg_scanpath_has_one_circle_per_fixation(recording_file, tmp_path):
    out = tmp_path / "scan.svg"
    assert plot(recording_file, "--kind", "scanpath", "--output", out).exit_code == 0
    root = ET.parse(out).getroot()
    group = next(g for g in root.iter("{http://www.w3.org/2000/svg}g")
                 if g.get("id") == "fixations")
    # one marker per fixation: a <path> each (their sizes differ), or <use> of one shape
    markers = [e for e in group.iter() if e.tag.rsplit("}", 1)[-1] in ("path", "use")]
    assert len(markers) == len(FIXATIONS)


def test_stimulus_is_stretched_over_the_screen(recording_file, tmp_path, monkeypatch):
    image = tmp_path / "stim.png"
    Image.new("RGB", (480, 270), (200, 10, 10)).save(image)  # a quarter of the screen's size
    figures = []
    monkeypatch.setattr(gazelearn.report, "save_figure",
                        lambda fig, path: figures.append(fig) or Path(path))
    for kind in ("scanpath", "heatmap"):
        result = plot(recording_file, "--kind", kind, "--stimulus", image, "--output",
                      tmp_path / f"{kind}.png")
        assert result.exit_code == 0, result.output
    for fig in figures:
        assert fig.axes[0].images[0].get_extent() == [0, 1920, 1080, 0]


def test_detected_events_are_named_in_the_caption(tmp_path, monkeypatch):
    path = tmp_path / "unlabelled.csv"
    write_recording(Recording(*(lambda r: (r.time, r.x, r.y))(synthetic()), screen=SCREEN), path)
    figures = []
    monkeypatch.setattr(gazelearn.report, "save_figure",
                        lambda fig, out: figures.append(fig) or Path(out))
    assert plot(path, "--kind", "scanpath", "--output", tmp_path / "a.png").exit_code == 0
    caption = figures[-1].texts[-1].get_text().replace("\n", " ")
    assert "events: detected with nh (the recording has no labels)" in caption
    assert plot(path, "--kind", "trace", "--method", "ivt", "--output",
                tmp_path / "b.png").exit_code == 0
    assert figures[-1].texts[-1].get_text() == "events: detected with ivt."


def test_quality_bars_equal_info_json(recording_file, tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(gazelearn.report, "save_figure",
                        lambda fig, out: figures.append(fig) or Path(out))
    assert plot(recording_file, "--kind", "quality", "--output", tmp_path / "q.png"
                ).exit_code == 0
    info = json.loads(runner.invoke(app, ["info", str(recording_file), "--json"]).stdout)
    quality = info[0]["quality"]
    loss, precision = figures[0].axes[:2]
    assert [p.get_height() for p in loss.patches] == [100 * quality["loss"]]
    assert [p.get_height() for p in precision.patches] == [quality["rms_s2s_deg"]]


def test_quality_per_trial_of_an_eyelink_file_equals_info_json(shared_data, tmp_path,
                                                               monkeypatch):
    path = shared_data / "pymovements-files" / "eyelink_monocular_example.asc"
    figures = []
    monkeypatch.setattr(gazelearn.report, "save_figure",
                        lambda fig, out: figures.append(fig) or Path(out))
    assert plot(path, "--kind", "quality", "--output", tmp_path / "q.png").exit_code == 0
    info = json.loads(runner.invoke(app, ["info", str(path), "--json"]).stdout)
    assert len(info) == len(read_all(path)) > 1  # one bar per trial
    loss, precision = figures[0].axes[:2]
    assert [p.get_height() for p in loss.patches] == [100 * i["quality"]["loss"] for i in info]
    assert [p.get_height() for p in precision.patches] == [
        0.0 if i["quality"]["rms_s2s_px"] is None else i["quality"]["rms_s2s_px"] for i in info]
    assert [t.get_text() for t in precision.get_xticklabels()] == [
        str(i["metadata"]["trial"]) for i in info]


# ---------------------------------------------------------------------------- bad input
def test_unknown_kind_is_one_line():
    result = subprocess.run([sys.executable, "-m", "gazelearn", "plot", "x.csv", "--kind",
                             "bogus", "--output", "x.png"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--kind" in lines[0] and "bogus" in lines[0]


def one_line_error(result, *words):
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert all(word in lines[0] for word in words), lines[0]


def test_bad_input_ends_in_one_line_and_leaves_no_file(recording_file, tmp_path):
    one_line_error(plot(recording_file, "--kind", "trace", "--output", tmp_path / "f.txt"),
                   "--output", ".png, .svg, .pdf or .html")
    one_line_error(plot(recording_file, "--kind", "scanpath", "--stimulus",
                        tmp_path / "missing.png", "--output", tmp_path / "f.png"),
                   "--stimulus", "missing.png", "no such image file")
    one_line_error(plot(recording_file, "--kind", "trace", "--stimulus", recording_file,
                        "--output", tmp_path / "f.png"), "--stimulus goes with")
    saccades_only = tmp_path / "saccades.csv"
    rec = synthetic()
    write_recording(Recording(rec.time, rec.x, rec.y, labels=np.full(len(rec), 2),
                              screen=SCREEN), saccades_only)
    for kind in ("scanpath", "heatmap"):
        one_line_error(plot(saccades_only, "--kind", kind, "--output", tmp_path / "f.png"),
                       "saccades.csv", "no fixations")
    assert not list(tmp_path.glob("f.*"))  # nothing written, not even a temporary file
    assert not list(tmp_path.glob(".*tmp*"))
