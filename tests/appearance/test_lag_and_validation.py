"""Frame-target lag detection, the held-out error of GazeRegressor, warm starts, and the
``gaze train`` / ``gaze predict`` reports built on them (issue 16)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import torch
from typer.testing import CliRunner

from gazelearn.appearance import GazeRegressor
from gazelearn.appearance.lag import apply_frame_lag, detect_frame_lag, lag_pairs
from gazelearn.cli.main import app
from gazelearn.learn import load_model
from gazelearn.metrics import error_px
from gazelearn.simulate.eyes import simulate_eye_dataset

TINY = {"stem": 8, "channels": (8, 8)}
runner = CliRunner()


@pytest.fixture(scope="module")
def recording():
    """One synthetic measurement of 90 frames in recording order (matched frames, targets)."""
    return simulate_eye_dataset(1, 1, 90, seed=5)


def lagged(images: np.ndarray, lag: int) -> np.ndarray:
    """What a recorder writing each frame ``lag`` rows late stores: row i + lag shows target
    i (the first ``lag`` rows show the frames before the recording's first dot)."""
    return np.concatenate([images[:1].repeat(lag, axis=0), images[:len(images) - lag]])


def test_lag_pairs_stay_inside_groups():
    images, targets = lag_pairs(["a"] * 4 + ["b"] * 3, 2)
    assert images.tolist() == [2, 3, 6] and targets.tolist() == [0, 1, 4]
    # scored on the same targets whatever the lag
    assert lag_pairs(6, 0, max_lag=3)[1].tolist() == lag_pairs(6, 3)[1].tolist() == [0, 1, 2]
    x, y, g = apply_frame_lag(np.arange(5), np.arange(5) * 10, 1, np.array(list("aabbb")))
    assert x.tolist() == [1, 3, 4] and y.tolist() == [0, 20, 30] and g.tolist() == list("abb")


@pytest.mark.parametrize("lag", [0, 1, 2, 3])
def test_detect_frame_lag_finds_a_known_lag(recording, lag):
    images = recording.images.astype(np.float32)[:, None] / 255
    search = detect_frame_lag(lagged(images, lag), recording.targets_px,
                              screen_size=(1920, 1080))
    assert search.lag == lag
    errors = search.errors_px
    # the right lag is far better than every wrong one (a real fit, not a tie broken by order)
    assert all(errors[lag] < 0.6 * errors[other] for other in errors if other != lag)
    assert search.n_rows == 87 and set(search.to_dict()["errors_pct"]) == {"0", "1", "2", "3"}


def test_held_out_error_is_the_error_of_the_later_frames(recording):
    torch.set_num_threads(1)
    x, y = recording.images, recording.targets_px
    model = GazeRegressor("resnet", TINY, epochs=3, validation_fraction=0.2,
                          screen_size=(1920, 1080), num_threads=1, progress=False).fit(x, y)
    held = model.validation_
    assert held["split"] == "last" and held["n"] == 18 == model.n_validation_
    # the best epoch's weights are kept, and its held-out error is that of the last 18 frames
    assert held["epoch"] == int(np.argmin([h["val_px"] for h in model.history_]))
    expected = float(np.mean(error_px(y[-18:], model.predict(x[-18:]))))
    assert held["px"] == pytest.approx(expected, rel=1e-4)
    pct = np.mean(np.hypot(*((model.predict(x[-18:]) - y[-18:]) / [1920, 1080]).T)) * 100
    assert held["pct"] == pytest.approx(pct, rel=1e-4)
    # refit: trained again on every frame for the best epoch's number of epochs
    refit = GazeRegressor("resnet", TINY, epochs=3, validation_fraction=0.2, refit=True,
                          screen_size=(1920, 1080), num_threads=1, progress=False).fit(x, y)
    assert refit.n_validation_ == 0 and len(refit.history_) == held["epoch"] + 1
    assert refit.validation_ == {**held, "refit_epochs": held["epoch"] + 1}


def test_validation_split_kinds(recording):
    x, y = recording.images[:20], recording.targets_px[:20]
    groups = np.repeat(["a", "b", "c", "d"], 5)
    model = GazeRegressor("resnet", TINY, epochs=1, validation_fraction=0.25,
                          num_threads=1, progress=False)
    model.fit(x, y, groups=groups)
    assert model.validation_["split"] == "groups" and model.n_validation_ == 5
    model.set_params(validation_split="random").fit(x, y)
    assert model.validation_["split"] == "random" and model.n_validation_ == 5
    with pytest.raises(ValueError, match="validation_split"):
        model.set_params(validation_split="nope").fit(x, y)
    # nothing held out: no validation pass, the last epoch is the model
    plain = GazeRegressor("resnet", TINY, epochs=1, num_threads=1, progress=False).fit(x, y)
    assert plain.validation_ is None and "val_px" not in plain.history_[-1]


def test_warm_start_continues_from_the_fitted_network(recording):
    x, y = recording.images[:16], recording.targets_px[:16]
    model = GazeRegressor("resnet", TINY, epochs=2, num_threads=1, progress=False).fit(x, y)
    trained = [p.detach().clone() for p in model.network_.parameters()]
    # with a zero learning rate a warm start keeps the trained weights exactly ...
    model.set_params(warm_start=True, lr=0.0, weight_decay=0.0, epochs=1).fit(x, y)
    assert all(torch.equal(a, b) for a, b in zip(trained, model.network_.parameters(),
                                                 strict=True))
    # ... while a cold start begins again from the initial weights
    model.set_params(warm_start=False).fit(x, y)
    assert not all(torch.equal(a, b) for a, b in zip(trained, model.network_.parameters(),
                                                     strict=True))


@pytest.fixture(scope="module")
def lagged_manifest(recording, tmp_path_factory):
    """A manifest whose frames lag their targets by one row, as webcam-crops-dev's do."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("lagged")
    images = lagged(recording.images, 1)
    names = []
    for i, pixels in enumerate(images):
        names.append(f"eye_{i}.png")
        Image.fromarray(pixels).save(folder / names[-1])
    path = folder / "eye_data.csv"
    pl.DataFrame({"image": names, "x": recording.targets_px[:, 0],
                  "y": recording.targets_px[:, 1]}).write_csv(path)
    return path


def test_cli_train_finds_the_lag_and_reports_errors(lagged_manifest, tmp_path):
    model = tmp_path / "m.safetensors"
    result = runner.invoke(app, ["gaze", "train", str(lagged_manifest), "--output", str(model),
                                 "--epochs", "2", "--screen-px", "1920", "1080"])
    assert result.exit_code == 0, result.output
    assert "frame lag: 1 " in result.output
    assert "held-out error (13 frames, the last rows" in result.output
    assert "% of screen" in result.output and "refitted on all 89 frames" in result.output
    fitted = load_model(model)
    assert fitted.preprocessing_["frame_lag"] == 1
    assert fitted.preprocessing_["frame_lag_search"]["lag"] == 1
    pred = tmp_path / "p.csv"
    result = runner.invoke(app, ["gaze", "predict", str(model), str(lagged_manifest),
                                 "--output", str(pred), "--screen-mm", "531", "299",
                                 "--distance-mm", "600"])
    assert result.exit_code == 0, result.output
    table = pl.read_csv(pred)
    assert table.height == 90  # every frame is predicted, the lag only pairs the error
    line = [t for t in result.output.splitlines() if t.startswith("error against")][0]
    assert "89 frames (frame lag 1)" in line and line.endswith("deg")
    # the printed px error is that of frame i + 1 against target i
    truth = pl.read_csv(lagged_manifest)
    expected = np.mean(error_px(truth.select("x", "y").to_numpy()[:-1],
                                table.select("x", "y").to_numpy()[1:]))
    assert f"{expected:.1f} px" in line


def test_cli_explicit_lag_and_bad_lags(lagged_manifest, tmp_path):
    model = tmp_path / "m.safetensors"
    result = runner.invoke(app, ["gaze", "train", str(lagged_manifest), "--output", str(model),
                                 "--epochs", "1", "--frame-lag", "0", "--validation", "0"])
    assert result.exit_code == 0, result.output
    assert "frame lag" not in result.output and "held-out" not in result.output
    assert load_model(model).preprocessing_["frame_lag"] == 0
    for bad in ("-1", "soon"):
        result = runner.invoke(app, ["gaze", "train", str(lagged_manifest), "--output",
                                     str(tmp_path / "x.safetensors"), "--frame-lag", bad])
        assert result.exit_code == 1 and "--frame-lag" in result.output
