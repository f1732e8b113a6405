"""``gazelearn scanpath train / predict / cv``: the CLI contract on files in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.io import write_recording

from ._classify_data import half

runner = CliRunner()
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def files(tmp_path):
    """12 recordings of 6 persons (each looked left once and right once) + the labels table."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "data"
    folder.mkdir()
    paths, rows = [], ["recording,label,group"]
    for person in range(6):
        for side in ("left", "right"):
            path = write_recording(half(side, rng), folder / f"{side}_{person}.csv")
            paths.append(path)
            rows.append(f"{path.stem},{side},p{person}")
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    return paths, labels


def test_train_predict_cv_round_trip(files, tmp_path):
    paths, labels = files
    model = tmp_path / "model.safetensors"
    # positions (not velocities) tell left from right; the heat-map CNN has its own tests
    result = invoke("scanpath", "train", *paths, "--labels", labels, "--model", "tree",
                    "--output", model, "--features", "x,y", "--window", 40)
    assert result.exit_code == 0, result.output
    assert model.is_file() and "12 recordings (60 windows" in result.stdout
    pred = tmp_path / "pred.csv"
    result = invoke("scanpath", "predict", model, *paths, "--output", pred)
    assert result.exit_code == 0, result.output
    table = pl.read_csv(pred)
    assert table.columns == ["recording", "label", "p_left", "p_right"]
    assert table["recording"].to_list() == [p.name for p in paths]
    assert table["label"].to_list() == [p.stem.split("_")[0] for p in paths]
    assert np.allclose(table["p_left"] + table["p_right"], 1)
    report = tmp_path / "cv.html"
    result = invoke("scanpath", "cv", *paths, "--labels", labels, "--model", "tree",
                    "--group-col", "group", "--folds", 3, "--window", 40, "--report", report)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "stratified group 3-fold by group (6 groups)" in out
    assert "recording level: accuracy" in out and "window level: accuracy" in out
    assert "precision" in out and "true\\pred" in out and "kappa" in out
    assert report.is_file() and "data:image/png;base64," in report.read_text()


def test_cv_without_a_group_column_leaves_recordings_out(files, tmp_path):
    paths, labels = files
    plain = tmp_path / "plain.csv"
    plain.write_text("recording,label\n" + "".join(f"{p.name},{p.stem.split('_')[0]}\n"
                                                   for p in paths))
    result = invoke("scanpath", "cv", *paths, "--labels", plain, "--model", "forest",
                    "--folds", 4, "--window", 40)
    assert result.exit_code == 0, result.output
    assert "by group (12 groups)" in result.stdout   # each recording its own group


def test_bad_input_gives_one_line_and_exit_1(files, tmp_path):
    paths, labels = files
    short = tmp_path / "short.csv"
    short.write_text("recording,label\nleft_0,left\n")
    cases = [
        (["train", *paths, "--labels", short, "--model", "tree", "--output", tmp_path / "m"],
         "no label for recording 'right_0.csv'"),
        (["train", *paths, "--labels", labels, "--model", "cnn", "--output", tmp_path / "m"],
         "unknown scanpath model 'cnn'"),
        (["cv", *paths, "--labels", labels, "--model", "tree", "--folds", 7],
         "7 folds need at least 7 groups"),
        (["predict", tmp_path / "missing.safetensors", *paths, "--output", tmp_path / "p.csv"],
         "no model file"),
    ]
    for args, message in cases:
        result = invoke("scanpath", *args)
        assert result.exit_code == 1, result.output
        assert message in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.skipif(not (SHARED / "radio").is_dir(), reason="../shared/data not present")
def test_real_paths_and_radio_files_work_with_format_auto(tmp_path):
    for folder, names, label_of, group_of in [
        (SHARED / "etra2021" / "paths", ["bus_10.csv", "rab_10.csv", "bus_11.csv",
                                         "rab_11.csv"],
         lambda n: n.split("_")[0], lambda n: n.split("_")[1].split(".")[0]),
        (SHARED / "radio" / "recordings", ["L_A1116_0_1", "S_A1025_0_1", "L_A1116_1_2",
                                           "S_A1025_1_2"],
         lambda n: n[0], lambda n: n.split("_")[1]),
    ]:
        paths = [folder / n for n in names]
        if not all(p.is_file() for p in paths):
            pytest.skip(f"expected files missing in {folder}")
        labels = tmp_path / "labels.csv"
        labels.write_text("recording,label,group\n" + "".join(
            f"{n},{label_of(n)},{group_of(n)}\n" for n in names))
        model = tmp_path / "model.safetensors"
        result = invoke("scanpath", "train", *paths, "--labels", labels, "--model", "tree",
                        "--output", model, "--format", "auto")
        assert result.exit_code == 0, result.output
        result = invoke("scanpath", "predict", model, *paths, "--output", tmp_path / "p.csv")
        assert result.exit_code == 0, result.output
        assert pl.read_csv(tmp_path / "p.csv").height == 4


def _scanpath_models():
    from gazelearn.cli.learn_commands import model_commands

    return [name for name, commands in model_commands().items() if "scanpath train" in commands]


def test_gazelearn_models_lists_exactly_what_scanpath_takes():
    from gazelearn.scanpath.classify import MODELS

    assert sorted(_scanpath_models()) == sorted(MODELS)
    assert {"lda", "nb", "gru"} <= set(MODELS)  # listed by `gazelearn models`, so taken here
    listing = invoke("models")
    assert listing.exit_code == 0, listing.output
    for name in MODELS:
        row = next(line for line in listing.stdout.splitlines() if f" {name} " in line)
        assert "scanpath train, scanpath cv" in row


# the models added to scanpath's list so that it agrees with `gazelearn models` (the others
# have their own tests: test_train_predict_cv_round_trip, tests/scanpath/test_classify.py)
@pytest.mark.parametrize("model", ["lda", "nb", "gru"])
def test_the_added_scanpath_models_train_and_predict(model, files, tmp_path):
    paths, labels = files
    out = tmp_path / "model.safetensors"
    result = invoke("scanpath", "train", *paths, "--labels", labels, "--model", model,
                    "--output", out, "--features", "x,y", "--window", 40, "--epochs", 1,
                    "--grid", 8, 6)
    assert result.exit_code == 0, result.output
    pred = tmp_path / "pred.csv"
    result = invoke("scanpath", "predict", out, *paths, "--output", pred)
    assert result.exit_code == 0, result.output
    table = pl.read_csv(pred)
    assert table.height == len(paths)
    assert np.allclose(table["p_left"] + table["p_right"], 1, atol=1e-6)
