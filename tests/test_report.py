"""Tests of gazelearn.report: the single-file HTML report, atomic saving, and the plot helpers."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from matplotlib.figure import Figure
from PIL import Image

import gazelearn
from gazelearn import InputError, Screen
from gazelearn.labels import LABELS
from gazelearn.metrics import eer_from_rates
from gazelearn.report import (
    LABEL_COLOURS,
    PNG_SIGNATURE,
    Report,
    cmc_curve,
    confusion_matrix,
    det_curve,
    error_vectors,
    figure_to_png_bytes,
    format_value,
    gaze_on_stimulus,
    heatmap,
    html,
    label_colour,
    learning_curves,
    roc_curve,
    save_figure,
    scanpath,
    signal_with_events,
)

IMG_SRC = re.compile(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _line_figure() -> Figure:
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1, 2], [2, 0, 1])
    return fig


def _full_report() -> Report:
    r = Report(
        "Event detection",
        subtitle="I-VT against the deep detector",
        command="gazelearn events evaluate --split subject",
        seed=42,
        data="lund2013, subject split",
        date=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC),
    )
    r.section("Data").text("Ten recordings.\n\nTwo paragraphs.")
    r.facts({"recordings": 10, "sampling rate (Hz)": 500.0})
    r.section("Results")
    r.table([{"method": "ivt", "f1": 0.812345, "n": 1200}, {"method": "cnn", "f1": 0.9}])
    r.figure(_line_figure(), caption="A line")
    r.section("Learning").figure(_line_figure())
    return r


# --------------------------------------------------------------------------------------------
# the report


def test_report_is_one_self_contained_file_with_png_images(tmp_path: Path) -> None:
    path = _full_report().save(tmp_path / "report.html")
    assert sorted(os.listdir(tmp_path)) == ["report.html"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    images = IMG_SRC.findall(text)
    assert len(images) == 2
    for encoded in images:
        png = base64.b64decode(encoded, validate=True)
        assert png.startswith(PNG_SIGNATURE)
    # nothing external: no scripts, stylesheets, or links to other files or hosts
    assert "<script" not in text
    assert "<link" not in text
    assert "http://" not in text and "https://" not in text
    assert re.findall(r'src="(?!data:)', text) == []


def test_report_structure_and_footer() -> None:
    text = _full_report().to_html()
    assert "<title>Event detection</title>" in text
    assert "<h1>Event detection</h1>" in text
    assert text.count("<h2>") == 3
    assert '<nav class="toc">' in text  # three sections get a table of contents
    assert "<p>Ten recordings.</p>" in text and "<p>Two paragraphs.</p>" in text
    assert "Figure 1. A line" in text
    footer = text[text.index("<footer>") :]
    assert gazelearn.__version__ in footer
    assert "2024-05-01T12:00:00+00:00" in footer
    assert "gazelearn events evaluate --split subject" in footer
    assert "<dd>42</dd>" in footer
    assert "lund2013, subject split" in footer


def test_footer_date_defaults_to_today() -> None:
    footer = Report("x").footer_facts()
    assert footer["date"].startswith(dt.date.today().isoformat())
    assert set(footer) == {"gazelearn", "date"}


def test_every_user_string_is_escaped() -> None:
    evil = "<script>alert('x')</script>"
    r = Report(evil, subtitle=evil, command=evil, data=evil, extra={evil: evil})
    r.section(evil).text(evil).note(evil).code(evil)
    r.table([{evil: evil}], caption=evil)
    r.facts({evil: evil}, caption=evil)
    r.figure(_line_figure(), caption=evil)
    text = r.to_html()
    assert "<script" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert f"<title>{'&lt;script&gt;'}" in text


def test_tables_contain_the_numbers() -> None:
    r = Report("t")
    r.table([{"name": "a", "accuracy": 0.912345, "count": 1234567}], caption="rows")
    r.table(pl.DataFrame({"subject": ["s1", "s2"], "error_deg": [1.25, 2.5]}))
    r.table({"accuracy": 0.75, "kappa": 0.5123456})
    r.table({"x": [1, 2], "y": [3.5, 4.5]})
    r.table({"fixation": {"precision": 0.91, "recall": 0.89}})
    text = r.to_html()
    for number in ["0.9123", "1234567", "1.25", "2.5", "0.75", "0.5123", "3.5", "4.5"]:
        assert f">{number}</td>" in text, number
    assert ">0.91</td>" in text and ">0.89</td>" in text
    assert '<td class="num">0.9123</td>' in text  # numbers right-aligned
    assert "<th>metric</th><th>value</th>" in text


def test_table_options_and_errors() -> None:
    r = Report("t")
    r.table([{"a": i, "b": i * 2} for i in range(5)], columns=["b"], max_rows=2)
    text = r.to_html()
    assert "<th>a</th>" not in text and "3 more row(s) not shown" in text
    with pytest.raises(InputError, match="no column"):
        Report("t").table([{"a": 1}], columns=["zzz"])
    with pytest.raises(InputError, match="expected a dict"):
        Report("t").table([1, 2])
    with pytest.raises(InputError, match="different lengths"):
        Report("t").table({"a": [1, 2], "b": [1]})
    with pytest.raises(InputError):
        Report("t").table(3.5)


def test_format_value() -> None:
    assert format_value(np.float32(0.5)) == "0.5"
    assert format_value(np.int64(7)) == "7"
    assert format_value(12.3456789) == "12.35"
    assert format_value(0.1234567, digits=2) == "0.12"
    assert format_value(float("inf")) == "inf"
    assert format_value(dt.date(2024, 1, 2)) == "2024-01-02"


def test_image_accepts_png_file_and_rejects_other_bytes(tmp_path: Path) -> None:
    png_path = tmp_path / "eye.png"
    Image.new("RGB", (4, 3), "red").save(png_path)
    text = Report("t").image(png_path, caption="eye").to_html()
    assert len(IMG_SRC.findall(text)) == 1
    with pytest.raises(InputError, match="neither PNG nor JPEG"):
        Report("t").image(b"GIF89a....")
    with pytest.raises(InputError, match="cannot read image"):
        Report("t").image(tmp_path / "missing.png")


def test_save_is_atomic_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(html.os, "fsync", fail)  # fails after the data went to the temp file
    target = tmp_path / "report.html"
    with pytest.raises(OSError, match="disk full"):
        _full_report().save(target)
    assert os.listdir(tmp_path) == []  # no report, no temp file

    target.write_text("old")
    with pytest.raises(OSError, match="disk full"):
        _full_report().save(target)
    assert os.listdir(tmp_path) == ["report.html"]
    assert target.read_text() == "old"  # the previous version survives


def test_save_fails_cleanly_when_replace_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(html.os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        save_figure(_line_figure(), tmp_path / "fig.png")
    assert os.listdir(tmp_path) == []


def test_save_creates_parent_and_rejects_directory(tmp_path: Path) -> None:
    path = Report("t").save(tmp_path / "a" / "b" / "r.html")
    assert path.is_file()
    with pytest.raises(InputError, match="directory"):
        Report("t").save(tmp_path)


def test_figure_helpers(tmp_path: Path) -> None:
    assert figure_to_png_bytes(_line_figure()).startswith(PNG_SIGNATURE)
    png = save_figure(_line_figure(), tmp_path / "f.png")
    with Image.open(png) as im:
        assert im.format == "PNG"
    assert save_figure(_line_figure(), tmp_path / "f.svg").read_text().lstrip().startswith("<")
    assert save_figure(_line_figure(), tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(InputError, match="unknown figure format"):
        save_figure(_line_figure(), tmp_path / "f.xyz")
    with pytest.raises(InputError, match="matplotlib Figure"):
        figure_to_png_bytes("not a figure")
    assert sorted(os.listdir(tmp_path)) == ["f.pdf", "f.png", "f.svg"]


def test_bad_section_level() -> None:
    with pytest.raises(InputError):
        Report("t").section("x", level=1)


# --------------------------------------------------------------------------------------------
# plots


def test_label_colours_cover_every_label() -> None:
    assert set(LABEL_COLOURS) == set(LABELS)
    assert len(set(LABEL_COLOURS.values())) == len(LABELS)
    assert label_colour(1) == LABEL_COLOURS["fixation"] == label_colour("FIXATION")
    with pytest.raises(InputError):
        label_colour(99)
    with pytest.raises(InputError):
        label_colour("nystagmus")


def test_plots_do_not_use_pyplot() -> None:
    import sys

    import matplotlib

    before = "matplotlib.pyplot" in sys.modules
    fig = confusion_matrix([[1, 0], [0, 1]])
    assert isinstance(fig, Figure)
    assert ("matplotlib.pyplot" in sys.modules) == before
    assert type(fig.canvas).__name__ == "FigureCanvasAgg"
    assert matplotlib.get_backend()  # untouched, whatever it is


@pytest.mark.parametrize(
    "history",
    [
        [
            {"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e + 0.02 * e, "val_f1": 0.1 * e}
            | {"lr": 1e-3 / e}
            for e in range(1, 8)
        ],
        {"train_loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.8], "val_accuracy": [0.5, 0.7, 1]},
    ],
)
def test_learning_curves(history: object) -> None:
    fig = learning_curves(history, title="training")
    has_lr = isinstance(history, list)
    assert len(fig.axes) == (3 if has_lr else 2)
    loss_ax = fig.axes[0]
    names = [line.get_label() for line in loss_ax.lines]
    assert "train_loss" in names and "val_loss" in names
    assert any(n.startswith("best val_loss") for n in names)
    if has_lr:
        assert fig.axes[-1].get_yscale() == "log"


def test_learning_curves_from_csv_log(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "epoch,train_loss,val_loss,val_accuracy,lr\n1,1.0,1.1,0.5,0.001\n2,0.6,0.8,0.7,0.0005\n"
    )
    fig = learning_curves(log)
    assert len(fig.axes) == 3
    assert list(fig.axes[1].lines[0].get_xdata()) == [1.0, 2.0]
    with pytest.raises(InputError):
        learning_curves([])
    with pytest.raises(InputError, match="training log"):
        learning_curves(tmp_path / "missing.csv")


def test_confusion_matrix_annotations_are_the_counts() -> None:
    counts = np.array([[50, 3, 0], [4, 20, 1], [0, 0, 0]])
    fig = confusion_matrix(counts, ["fixation", "saccade", "pso"])
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == counts.size
    assert [int(t.split("\n")[0]) for t in texts] == counts.ravel().tolist()
    assert texts[0] == "50\n94%"  # 50 / 53
    assert texts[-1] == "0\n0%"  # an empty row does not divide by zero
    assert [t.get_text() for t in ax.get_yticklabels()] == ["fixation", "saccade", "pso"]
    raw = confusion_matrix(counts, normalize=False)
    assert raw.axes[0].images[0].get_array().max() == 50
    with pytest.raises(InputError, match="square"):
        confusion_matrix(np.ones((2, 3)))
    with pytest.raises(InputError, match="labels"):
        confusion_matrix(np.ones((2, 2)), ["a"])


def _biometric_rates() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    genuine, impostor = rng.normal(2.0, 1.0, 400), rng.normal(0.0, 1.0, 400)
    thresholds = np.linspace(-4, 6, 200)
    far = (impostor[None, :] >= thresholds[:, None]).mean(axis=1)
    frr = (genuine[None, :] < thresholds[:, None]).mean(axis=1)
    return far, frr


def test_eer_from_rates() -> None:
    far, frr = _biometric_rates()
    eer = eer_from_rates(far, frr)
    assert abs(eer - 0.1587) < 0.03  # two unit Gaussians 2 apart: Phi(-1)
    assert eer_from_rates([0.5], [0.3]) == pytest.approx(0.4)
    with pytest.raises(InputError):
        eer_from_rates([0.1, 0.2], [0.1])


def test_roc_and_det_curves_mark_the_eer() -> None:
    far, frr = _biometric_rates()
    eer = eer_from_rates(far, frr)
    roc = roc_curve(far, 1 - frr)
    ax = roc.axes[0]
    assert len(ax.lines) == 3
    x, y = ax.lines[2].get_data()
    assert x[0] == pytest.approx(eer) and y[0] == pytest.approx(1 - eer)
    assert f"EER = {100 * eer:.2f}%" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert roc_curve(far, 1 - frr, log_far=True).axes[0].get_xscale() == "log"

    det = det_curve(far, frr)
    ax = det.axes[0]
    assert len(ax.lines) == 3
    x, y = ax.lines[2].get_data()
    assert x[0] == pytest.approx(-1.0, abs=0.1)  # probit(0.1587) = -1 on normal-deviate axes
    assert x[0] == pytest.approx(y[0])
    assert {"1", "5", "20", "50"} <= {t.get_text() for t in ax.get_xticklabels()}


def test_cmc_curve() -> None:
    fig = cmc_curve(np.arange(1, 11), np.linspace(0.55, 1.0, 10))
    ax = fig.axes[0]
    assert ax.get_legend().get_texts()[0].get_text() == "rank-1 = 55.0%"
    assert len(ax.lines) == 2
    with pytest.raises(InputError):
        cmc_curve([], [])


def test_gaze_on_stimulus_with_image_path_array_and_screen(tmp_path: Path) -> None:
    path = tmp_path / "stim.png"
    Image.new("RGB", (160, 120), "white").save(path)
    x, y = np.array([10.0, 80.0, np.nan, 150.0]), np.array([10.0, 60.0, 5.0, 110.0])
    fig = gaze_on_stimulus(x, y, image=path)
    ax = fig.axes[0]
    assert len(ax.images) == 1 and len(ax.collections) == 1
    assert ax.get_xlim() == (0.0, 160.0) and ax.get_ylim() == (120.0, 0.0)
    # the image is stretched over the screen when both are given
    screen = Screen(1024, 768, 380.0, 300.0, 670.0)
    fig = gaze_on_stimulus(x * 6, y * 6, image=np.zeros((12, 16)), screen_size=screen)
    assert fig.axes[0].images[0].get_extent() == [0.0, 1024.0, 768.0, 0.0]
    fig = gaze_on_stimulus(x, y)  # neither: the data range
    assert fig.axes[0].get_xlim()[1] >= 150
    with pytest.raises(InputError, match="cannot read image"):
        gaze_on_stimulus(x, y, image=tmp_path / "nope.png")
    with pytest.raises(InputError, match="same length"):
        gaze_on_stimulus([1, 2], [1])
    with pytest.raises(InputError, match="image must be"):
        gaze_on_stimulus(x, y, (800, 600))  # screen size given where the image goes


def test_scanpath_numbers_and_sizes() -> None:
    fig = scanpath(
        [100, 300, 200, 50], [100, 120, 300, 50], [0.2, 0.4, 0.1, 0.3], screen_size=(400, 400)
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["1", "2", "3", "4"]
    sizes = ax.collections[0].get_sizes()
    assert np.argmax(sizes) == 1 and np.argmin(sizes) == 2
    assert len(ax.lines) == 1 and len(ax.lines[0].get_xdata()) == 4


def test_heatmap_overlay() -> None:
    yy, xx = np.mgrid[0:24, 0:32]
    density = np.exp(-((xx - 10) ** 2 + (yy - 12) ** 2) / 20)
    stimulus = np.full((240, 320, 3), 200, dtype=np.uint8)
    fig = heatmap(density, image=stimulus, alpha=0.5)
    ax = fig.axes[0]
    assert len(ax.images) == 2
    overlay = ax.images[1]
    assert overlay.get_extent() == [0.0, 320.0, 240.0, 0.0]
    assert np.max(overlay.get_alpha()) == pytest.approx(0.5)
    assert heatmap(np.zeros((4, 4))).axes[0].images[0].get_array().max() == 0
    with pytest.raises(InputError):
        heatmap(np.zeros(5))
    with pytest.raises(InputError):
        heatmap(density, alpha=2.0)


def test_error_vectors() -> None:
    rng = np.random.default_rng(1)
    true = rng.uniform(0, 800, size=(12, 2))
    pred = true + rng.normal(0, 20, size=(12, 2))
    fig = error_vectors(true, pred, screen_size=(800, 600))
    assert len(fig.axes) == 2  # plot + colour bar
    quiver = [c for c in fig.axes[0].collections if type(c).__name__ == "Quiver"][0]
    assert np.allclose(quiver.get_array(), np.hypot(*(pred - true).T))
    assert fig.axes[0].get_ylim() == (600.0, 0.0)
    with pytest.raises(InputError):
        error_vectors(true, pred[:3], screen_size=(800, 600))


def test_signal_with_events_bands_use_label_colours() -> None:
    t = np.arange(20) / 100
    labels = np.array([1] * 8 + [2] * 3 + [3] * 2 + [1] * 5 + [0] * 2)
    fig = signal_with_events(t, np.linspace(0, 100, 20), np.zeros(20), labels, title="trial 1")
    assert len(fig.axes) == 2
    for ax in fig.axes:
        bands = {c.get_label(): c for c in ax.collections}
        assert sorted(bands) == ["fixation", "pso", "saccade"]  # undefined gets no band
        assert len(bands["fixation"].get_paths()) == 2  # two fixation runs
        colour = bands["saccade"].get_facecolor()[0][:3]
        expected = tuple(int(LABEL_COLOURS["saccade"][i : i + 2], 16) / 255 for i in (1, 3, 5))
        assert np.allclose(colour, expected)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["fixation", "saccade", "pso"]
    assert len(signal_with_events(t, t, t).axes[0].collections) == 0
    with pytest.raises(InputError):
        signal_with_events(t, t, t, labels[:5])
    with pytest.raises(InputError):
        signal_with_events(t, t, t, np.full(20, 9))


def test_plots_draw_into_given_axes() -> None:
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    assert cmc_curve([1, 2], [0.5, 1.0], ax=ax1) is fig
    assert scanpath([1, 2], [1, 2], [1, 1], screen_size=(10, 10), ax=ax2) is fig
    assert len(fig.axes) == 2


def test_report_with_every_plot_renders(tmp_path: Path) -> None:
    far, frr = _biometric_rates()
    r = Report("All plots", seed=0)
    r.figure(learning_curves({"train_loss": [1, 0.5], "val_loss": [1.2, 0.6]}))
    r.figure(confusion_matrix([[3, 1], [1, 3]], ["a", "b"]))
    r.figure(roc_curve(far, 1 - frr)).figure(det_curve(far, frr)).figure(cmc_curve([1], [1.0]))
    r.figure(gaze_on_stimulus([1, 2], [3, 4], screen_size=(10, 10)))
    r.figure(heatmap(np.eye(5))).figure(error_vectors([[1, 1]], [[2, 2]], (10, 10)))
    r.figure(signal_with_events(np.arange(3.0), np.arange(3.0), np.arange(3.0), [1, 2, 1]))
    text = r.save(tmp_path / "all.html").read_text()
    assert len(IMG_SRC.findall(text)) == 9


