"""The `gazelearn events` CLI contract, end to end on simulated recordings."""

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.io import write_recording
from gazelearn.simulate import simulate_recording

runner = CliRunner()


@pytest.fixture
def recordings(tmp_path):
    paths = []
    for seed in (1, 2):
        rec = simulate_recording(4.0, 500.0, seed=seed)
        paths.append(write_recording(rec, tmp_path / f"rec{seed}.csv"))
    return paths


def test_detect_one_input_writes_an_events_table(recordings, tmp_path):
    out = tmp_path / "events.csv"
    result = runner.invoke(app, ["events", "detect", str(recordings[0]), "--method", "ivt",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert {"type", "onset", "offset", "duration", "amplitude", "peak_velocity"} <= set(
        table.columns)
    assert {"fixation", "saccade"} <= set(table["type"].to_list())


def test_detect_samples_has_one_row_per_input_sample(recordings, tmp_path):
    out = tmp_path / "samples.parquet"
    result = runner.invoke(app, ["events", "detect", str(recordings[0]), "--method", "nh",
                                 "--samples", "--output", str(out)])
    assert result.exit_code == 0, result.output
    table = pl.read_parquet(out)
    assert table.columns == ["time", "x", "y", "label"]
    assert table.height == 2000
    assert set(table["label"].unique().to_list()) <= {
        "fixation", "saccade", "pso", "pursuit", "blink", "undefined"}


def test_several_inputs_go_to_a_folder_keeping_stems(recordings, tmp_path):
    out = tmp_path / "detected"
    result = runner.invoke(app, ["events", "detect", *map(str, recordings), "--method", "idt",
                                 "--samples", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["rec1.csv", "rec2.csv"]


def test_evaluate_scores_a_perfect_and_a_real_prediction(recordings, tmp_path):
    detected = tmp_path / "detected"
    runner.invoke(app, ["events", "detect", *map(str, recordings), "--method", "ivt",
                        "--samples", "--output", str(detected)])
    scores_file = tmp_path / "scores.json"
    result = runner.invoke(app, ["events", "evaluate", "--truth", str(recordings[0]),
                                 "--truth", str(recordings[1]), "--pred", str(detected),
                                 "--json", str(scores_file)])
    assert result.exit_code == 0, result.output
    scores = json.loads(scores_file.read_text())
    assert 0.5 < scores["kappa_per_class"]["saccade"] <= 1.0
    assert scores["events"]["saccade"]["hits"] > 0
    # the truth against itself is perfect
    result = runner.invoke(app, ["events", "evaluate", "--truth", str(recordings[0]),
                                 "--pred", str(recordings[0]), "--json", str(scores_file)])
    assert result.exit_code == 0, result.output
    perfect = json.loads(scores_file.read_text())
    assert perfect["accuracy"] == 1.0
    assert all(v["f1"] == 1.0 for v in perfect["events"].values())


def test_evaluate_accepts_an_events_table_as_prediction(recordings, tmp_path):
    (tmp_path / "pred").mkdir()
    events_file = tmp_path / "pred" / "rec1.csv"
    runner.invoke(app, ["events", "detect", str(recordings[0]), "--method", "nh",
                        "--output", str(events_file)])
    result = runner.invoke(app, ["events", "evaluate", "--truth", str(recordings[0]),
                                 "--pred", str(events_file)])
    assert result.exit_code == 0, result.output
    assert "kappa" in result.output


def test_pixels_without_screen_names_the_missing_options(tmp_path):
    path = tmp_path / "raw.csv"
    t = np.arange(100) * 2
    path.write_text("t,gx,gy\n" + "\n".join(f"{a},{100 + a % 7},{200}" for a in t))
    out = tmp_path / "ev.csv"
    result = runner.invoke(app, ["events", "detect", str(path), "--time-col", "t", "--x-col",
                                 "gx", "--y-col", "gy", "--output", str(out)])
    assert result.exit_code == 1
    assert "--screen-px" in result.output and not out.exists()


def test_bad_inputs_fail_in_one_line_without_output(recordings, tmp_path):
    out = tmp_path / "x.csv"
    cases = [
        ["events", "detect", str(tmp_path / "missing.csv"), "--output", str(out)],
        ["events", "detect", str(recordings[0]), "--method", "nope", "--output", str(out)],
        ["events", "detect", *map(str, recordings), "--output", str(out)],
        ["events", "detect", str(recordings[0]), "--option", "threshold", "--output", str(out)],
    ]
    for args in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "error" in result.output and "Traceback" not in result.output
        assert not out.exists()
