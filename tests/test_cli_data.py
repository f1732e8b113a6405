"""The `gazelearn info` and `gazelearn convert` commands and the reusable reader options."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "io"))
from helpers_io import ASC_LABELS, write_all  # noqa: E402

from gazelearn.cli.common import run_safely  # noqa: E402
from gazelearn.cli.main import app  # noqa: E402
from gazelearn.cli.reader_options import ReaderOptions, reader_options  # noqa: E402
from gazelearn.io import read  # noqa: E402

runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    return write_all(tmp_path / "data")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_info_json_for_every_format(files):
    result = invoke("info", "--json", *files.values())
    assert result.exit_code == 0, result.output
    infos = {item["format"]: item for item in json.loads(result.stdout)}
    assert set(infos) == set(files)
    lund = infos["lund2013"]
    assert lund["sampling_rate_hz"] == 500.0 and lund["samples"] == 10
    assert lund["lost_percent"] == 20.0 and lund["metadata"]["subject"] == "TH38"
    assert lund["labels"]["undefined"] == 0.1
    assert infos["gazecom"]["labels"] == {"fixation": 0.4, "saccade": 0.2, "pursuit": 0.2,
                                          "blink": 0.2}
    assert infos["radio"]["metadata"]["reordered_samples"] == 1
    assert infos["etra-paths"]["timing_detail"]["regular"] is True
    assert infos["eyelink-asc"]["labels"]["blink"] == pytest.approx(
        ASC_LABELS.count(5) / len(ASC_LABELS), abs=1e-4)


def test_info_text_output(files):
    result = invoke("info", files["gazecom"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "(gazecom)" in text and "250.0 Hz, regular" in text
    assert "1280 x 720 px, 400 x 225 mm at 450 mm" in text
    assert "blink 20.0 %" in text and "subject AAF" in text


def test_info_reports_data_quality(tmp_path):
    from helpers_io import write_lund

    # a 3-sample fixation (steps 5 and 0 px), a saccade, then a padding row (lost, time made)
    pos = np.array([[1e6 + 2000 * i, 0, 0, x, y, label] for i, (x, y, label) in enumerate(
        [(500, 300, 1), (503, 304, 1), (503, 304, 1), (600, 300, 2), (600, 300, 2)])]
        + [[0, 0, 0, 0, 0, 1]], dtype=float)
    path = write_lund(tmp_path / "TH38_img_Europe_labelled_RA.mat", pos)
    result = invoke("info", "--json", path)
    assert result.exit_code == 0, result.output
    [info] = json.loads(result.stdout)
    quality = info["quality"]
    assert info["samples"] == 6 and quality["loss"] == pytest.approx(1 / 6)
    assert quality["precision_on"] == "fixation"
    assert quality["rms_s2s_px"] == pytest.approx(np.sqrt(25 / 2))
    assert quality["rms_s2s_deg"] > 0 and quality["std_deg"] > 0
    assert (quality["interval_ms"], quality["jitter_std_ms"], quality["jitter_max_ms"]) == (
        2.0, 0.0, 0.0)
    assert quality["out_of_screen"] == 0.0 and quality["nonfinite_values"] == 0
    text = invoke("info", path).stdout
    assert "precision  RMS-S2S 3.54 px, STD 2.36 px; RMS-S2S " in text
    assert "(on fixations)" in text and "off-screen 0.00 % of samples" in text
    assert "jitter     interval 2 ms, SD 0 ms, max deviation 0 ms" in text


def test_info_with_reader_options_and_screen(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("t\tgx\tgy\n0\t0.5\t0.5\n2000\t0.25\t0.5\n")
    result = invoke("info", path, "--json", "--time-col", "t", "--x-col", "gx", "--y-col", "gy",
                    "--time-unit", "us", "--position-unit", "norm", "--screen-px", 1000, 800,
                    "--screen-mm", 400, 320, "--distance-mm", 600)
    assert result.exit_code == 0, result.output
    [item] = json.loads(result.stdout)
    assert item["sampling_rate_hz"] == 500.0 and item["screen"]["width_px"] == 1000


def test_partial_screen_is_a_clear_error(files):
    result = invoke("info", files["etra-paths"], "--screen-px", 1024, 768, "--screen-mm", 300, 200)
    assert result.exit_code == 1
    assert "--distance-mm missing" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = invoke("info", files["etra-paths"], "--distance-mm", 600)
    assert result.exit_code == 1
    assert "--screen-px, --screen-mm missing" in result.output


def test_screen_mm_and_distance_complete_the_resolution_the_file_states(files):
    # the EyeLink file states GAZE_COORDS; the user knows the monitor and the chin rest
    result = invoke("info", "--json", files["eyelink-asc"], "--screen-mm", 400, 300,
                    "--distance-mm", 600)
    assert result.exit_code == 0, result.output
    [item] = json.loads(result.stdout)
    file_screen = json.loads(invoke("info", "--json", files["eyelink-asc"]).stdout)[0]["screen"]
    assert item["screen"] == {**file_screen, "width_mm": 400.0, "height_mm": 300.0,
                              "distance_mm": 600.0}
    # a file that states no resolution: refused, naming what to add
    result = invoke("info", files["etra-paths"], "--screen-mm", 300, 200, "--distance-mm", 600)
    assert result.exit_code == 1
    assert "does not state the screen's resolution" in result.output and "--screen-px" in \
        result.output
    assert len(result.output.strip().splitlines()) == 1


def test_screen_px_alone_gives_a_pixel_only_screen(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("t\tgx\tgy\n0\t0.5\t0.5\n2000\t0.25\t0.5\n")
    result = invoke("info", path, "--json", "--time-col", "t", "--x-col", "gx", "--y-col", "gy",
                    "--time-unit", "us", "--position-unit", "norm", "--screen-px", 1000, 800)
    assert result.exit_code == 0, result.output
    [item] = json.loads(result.stdout)
    assert item["screen"]["width_px"] == 1000 and item["screen"]["distance_mm"] is None


def test_bad_input_exits_1_with_one_line(tmp_path, files):
    result = invoke("info", tmp_path / "missing.csv")
    assert result.exit_code == 1 and "file not found" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("t,x,y\n0,1,1\n1,zz,1\n")
    result = invoke("info", bad, "--time-col", "t", "--x-col", "x", "--y-col", "y")
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {bad}, line 3, column 'x': expected a number, " \
        "got 'zz'"
    result = invoke("info", files["lund2013"], "--x-col", "x")
    assert result.exit_code == 1 and "does not take x_col" in result.output


def test_convert_to_csv_and_parquet(files, tmp_path):
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"out{suffix}"
        result = invoke("convert", files["lund2013"], out)
        assert result.exit_code == 0, result.output
        original, back = read(files["lund2013"]), read(out)
        assert np.array_equal(original.time, back.time)
        assert np.array_equal(original.x, back.x, equal_nan=True)
        assert np.array_equal(original.labels, back.labels)
        assert back.screen == original.screen and back.meta.subject == "TH38"


def test_convert_with_read_option_and_bad_target(files, tmp_path):
    out = tmp_path / "radio.csv"
    result = invoke("convert", files["radio"], out, "-O", "position=smooth", "--no-sidecar")
    assert result.exit_code == 0, result.output
    assert read(out).x.tolist() == [10.0, 12.0, 16.0, 14.0]
    assert not (tmp_path / "radio.csv.json").exists()
    result = invoke("convert", files["radio"], tmp_path / "radio.xlsx")
    assert result.exit_code == 1 and "expected .csv, .tsv or .parquet" in result.output
    assert not (tmp_path / "radio.xlsx").exists()


@pytest.mark.parametrize("command", ["info", "convert"])
def test_help_has_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert f"gazelearn {command}" in result.stdout and "Example" in result.stdout
    for option in ("--format", "--time-col", "--x-col", "--y-col", "--time-unit",
                   "--position-unit", "--sampling-rate", "--screen-px", "--screen-mm",
                   "--distance-mm"):
        assert option in result.stdout


def test_reader_options_decorator_is_reusable(files):
    demo = typer.Typer()
    seen = {}

    @demo.command()
    @run_safely
    @reader_options
    def count(path: Path, reader: ReaderOptions = None, verbose: bool = False) -> None:
        seen["kwargs"] = reader.kwargs()
        typer.echo(len(read(path, **reader.kwargs())))

    result = runner.invoke(demo, [str(files["delimited"]), "--time-unit", "ms", "--verbose"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2"
    assert seen["kwargs"] == {"format": "auto", "time_unit": "ms"}
