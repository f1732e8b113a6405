"""Gaze CNNs, BN calibration, affine calibration, model files and the ``gaze`` CLI (tiny, fast)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
import torch
from typer.testing import CliRunner

from gazelearn.appearance import (
    AffineCalibration,
    Augment,
    GazeRegressor,
    batch_statistics,
    bn_profile,
    load_gaze_data,
    resnet_small,
    tutorial_cnn,
    use_bn_profile,
)
from gazelearn.cli.main import app
from gazelearn.learn import load_model, save_model
from gazelearn.nn import GroupBatchSampler
from gazelearn.simulate.eyes import simulate_eye_dataset, write_eye_dataset

TINY = {"stem": 8, "channels": (8, 8)}


@pytest.fixture(scope="module")
def eyes():
    return simulate_eye_dataset(2, 2, 12, seed=3)


@pytest.fixture(scope="module")
def fitted(eyes):
    torch.set_num_threads(1)
    return GazeRegressor("resnet", TINY, epochs=1, batch_size=8, calibration="bn",
                         screen_size=(1920, 1080), num_threads=1, progress=False).fit(
        eyes.images, eyes.targets_px, groups=eyes.measurement)


def test_networks_take_any_image_size():
    for net in (tutorial_cnn(1), resnet_small(3, channels=(8, 8))):
        channels = net[0].in_channels
        for h, w in ((36, 64), (41, 41)):
            assert tuple(net(torch.zeros(2, channels, h, w)).shape) == (2, 2)


def test_group_sampler_gives_single_measurement_batches(eyes):
    groups = eyes.measurement
    batches = list(GroupBatchSampler(groups, batch_size=5, seed=0))
    assert sum(len(b) for b in batches) == len(groups)
    assert all(len(set(groups[b])) == 1 for b in batches)


def test_bn_training_uses_group_batches(eyes, monkeypatch):
    seen = []
    original = GroupBatchSampler.__iter__

    def spy(self):
        for batch in original(self):
            seen.append(batch)
            yield batch

    monkeypatch.setattr(GroupBatchSampler, "__iter__", spy)
    GazeRegressor("resnet", TINY, epochs=1, batch_size=6, calibration="bn", num_threads=1,
                  progress=False).fit(eyes.images, eyes.targets_px, groups=eyes.measurement)
    assert seen and all(len(set(eyes.measurement[b])) == 1 for b in seen)
    assert all(len(b) == 6 for b in seen)


def test_train_mode_bn_equals_stored_profile_from_same_batch(fitted, eyes):
    net = fitted.network_
    x = fitted._prepare(eyes.images[:12])
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with torch.no_grad(), batch_statistics(net):
        batch = net(x)
    profile = bn_profile(net, x)
    with torch.no_grad(), use_bn_profile(net, profile):
        stored = net(x)
    assert torch.allclose(batch, stored, atol=1e-4)
    # nothing in the model changed
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    # and predict(groups=...) is that same per-group normalisation
    by_group = fitted.predict_normalized(eyes.images[:12], groups=np.zeros(12))
    assert np.allclose(by_group - 0.5, stored.double().numpy(), atol=1e-4)


def test_profile_round_trips_through_model_file(fitted, eyes, tmp_path):
    model = GazeRegressor(**fitted.get_params())
    vars(model).update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
    model.calibrate(eyes.images[:9], eyes.targets_px[:9])
    assert model.bn_profile_ and model.output_calibration_ is not None
    path = save_model(model, tmp_path / "gaze.safetensors")
    again = load_model(path)
    assert set(again.bn_profile_) == set(model.bn_profile_)
    assert np.allclose(again.predict(eyes.images), model.predict(eyes.images), atol=1e-4)
    again.reset_calibration()
    assert not np.allclose(again.predict(eyes.images), model.predict(eyes.images), atol=1e-3)


def test_files_from_before_the_architecture_rename_still_load(fitted, eyes, tmp_path):
    # such a file named the network ``model`` / ``model_options`` and stored it as ``model_``
    path = save_model(fitted, tmp_path / "old")
    config = json.loads((path / "config.json").read_text())
    params = config["params"]["__dict__"]
    params["model"] = params.pop("architecture")
    params["model_options"] = params.pop("architecture_options")
    config["state"]["__dict__"]["model_"] = config["state"]["__dict__"].pop("network_")
    config.pop("checksum")  # files of that time had no checksum (gazelearn.learn.modelfile)
    (path / "config.json").write_text(json.dumps(config))
    old = load_model(path)
    assert old.architecture == "resnet" and old.architecture_options == fitted.architecture_options
    np.testing.assert_array_equal(old.predict(eyes.images), fitted.predict(eyes.images))


def test_affine_calibration_recovers_known_distortion():
    rng = np.random.default_rng(0)
    true = rng.uniform(size=(9, 2))
    matrix = np.array([[1.2, 0.1], [-0.2, 0.8], [0.05, -0.1]])
    distorted = np.hstack([true, np.ones((9, 1))]) @ np.linalg.inv(
        np.vstack([np.hstack([matrix[:2], [[0], [0]]]), [*matrix[2], 1]]))[:, :2]
    cal = AffineCalibration(alpha=0.0).fit(distorted, true)
    assert np.allclose(cal.transform(distorted), true, atol=1e-9)
    new = rng.uniform(size=(5, 2))
    new_distorted = np.hstack([new, np.ones((5, 1))]) @ np.linalg.inv(
        np.vstack([np.hstack([matrix[:2], [[0], [0]]]), [*matrix[2], 1]]))[:, :2]
    assert np.allclose(cal.transform(new_distorted), new, atol=1e-9)
    assert np.allclose(AffineCalibration.from_dict(cal.to_dict()).matrix_, cal.matrix_)


def test_augment_is_repeatable():
    x = torch.rand(3, 1, 10, 12)
    assert torch.equal(Augment(seed=1)(x), Augment(seed=1)(x))


def test_estimator_contract_and_errors(eyes):
    params = GazeRegressor("tutorial", epochs=2).get_params()
    assert params["architecture"] == "tutorial" and params["epochs"] == 2
    with pytest.raises(ValueError, match="groups"):
        GazeRegressor(calibration="bn").fit(eyes.images, eyes.targets_px)
    with pytest.raises(ValueError, match="unknown gaze model"):
        GazeRegressor("nope").fit(eyes.images, eyes.targets_px)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        GazeRegressor().fit(eyes.images, eyes.targets_px[:, 0])


# ---------------------------------------------------------------------------- CLI
runner = CliRunner()


@pytest.fixture(scope="module")
def synthetic_folder(eyes, tmp_path_factory):
    return write_eye_dataset(eyes, tmp_path_factory.mktemp("gaze") / "eyes")


def test_cli_train_and_predict(synthetic_folder, tmp_path):
    model = tmp_path / "gaze.safetensors"
    result = runner.invoke(app, ["gaze", "train", str(synthetic_folder), "--model", "resnet",
                                 "--output", str(model), "--epochs", "1", "--calibration",
                                 "bn"])
    assert result.exit_code == 0, result.output
    pred = tmp_path / "pred.csv"
    result = runner.invoke(app, ["gaze", "predict", str(model), str(synthetic_folder),
                                 "--output", str(pred), "--calibrate", str(synthetic_folder)])
    assert result.exit_code == 0, result.output
    table = pl.read_csv(pred)
    manifest = pl.read_csv(synthetic_folder / "manifest.csv")
    assert table.columns == ["file", "x", "y"]
    assert table["file"].to_list() == manifest["image"].to_list()
    assert table.height == manifest.height and table["x"].is_finite().all()


def test_cli_on_image_folder(tmp_path):
    from PIL import Image

    folder = tmp_path / "eye_left"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (20, 20), dtype=np.uint8)).save(
            folder / f"{100 * i + 4}_{50 * i + 9}.bmp")
    model = tmp_path / "m.safetensors"
    assert runner.invoke(app, ["gaze", "train", str(folder), "--output", str(model),
                               "--epochs", "1", "--model", "tutorial"]).exit_code == 0
    pred = tmp_path / "p.csv"
    assert runner.invoke(app, ["gaze", "predict", str(model), str(folder), "--output",
                               str(pred)]).exit_code == 0
    assert sorted(pl.read_csv(pred)["file"].to_list()) == sorted(p.name for p in
                                                                  folder.iterdir())


@pytest.mark.parametrize("args", [
    ["gaze", "train", "missing-folder", "--output", "{tmp}/m.safetensors"],
    ["gaze", "train", "{data}", "--output", "{tmp}/m.safetensors", "--model", "nope"],
    ["gaze", "train", "{data}", "--output", "{tmp}/m.safetensors", "--calibration", "x"],
    ["gaze", "train", "{data}", "--output", "{tmp}/m.safetensors", "--epochs", "0"],
    ["gaze", "predict", "{tmp}/nomodel.safetensors", "{data}", "--output", "{tmp}/p.csv"],
    ["gaze", "predict", "{data}/manifest.csv", "{data}", "--output", "{tmp}/p.csv"],
])
def test_cli_bad_input_one_line_exit_1(args, synthetic_folder, tmp_path):
    args = [a.format(tmp=tmp_path, data=synthetic_folder) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "error" in result.output.lower() and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "m.safetensors").exists() and not (tmp_path / "p.csv").exists()


def test_load_real_data_shapes(shared_data):
    eye = load_gaze_data(shared_data / "etra2021" / "eye_left")
    assert eye.images.shape[:2] == (200, 1) and eye.targets_px.shape == (200, 2)


# ---------------------------------------------------------------------------- multi-input
TINY_MULTI = {"eye": {"stem": 4, "channels": (8,)}, "face": {"stem": 4, "channels": (8,)},
              "hidden": 8}


def test_multi_input_model_trains_predicts_and_round_trips(tmp_path):
    from gazelearn.appearance.models import MultiInputGaze

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(12, 9, 16, 16)).astype(np.float32)  # face, left, right (RGB each)
    y = rng.uniform(0, 1920, size=(12, 2))
    model = GazeRegressor("multi", TINY_MULTI, epochs=1, batch_size=6,
                          screen_size=(1920, 1080), num_threads=1, progress=False).fit(x, y)
    net = model.network_
    assert isinstance(net, MultiInputGaze) and net.face_branch is not None
    assert net.per_input == 3
    pred = model.predict(x)
    assert pred.shape == (12, 2) and np.isfinite(pred).all()
    again = load_model(save_model(model, tmp_path / "multi.safetensors"))
    assert isinstance(again.network_, MultiInputGaze)
    assert np.allclose(again.predict(x), pred, atol=1e-4)
    # the shared eye branch: swapping the (mirrored) eyes changes the prediction
    swapped = x[:, [0, 1, 2, 6, 7, 8, 3, 4, 5]][..., ::-1].copy()
    assert not np.allclose(model.predict(swapped), pred, atol=1e-3)
    # two eyes without the face; the channel count must fit the crops
    two = GazeRegressor("multi", {**TINY_MULTI, "inputs": ["left", "right"]}, epochs=1,
                        screen_size=(1920, 1080), num_threads=1, progress=False)
    assert two.fit(x[:, 3:], y).network_.face_branch is None
    with pytest.raises(ValueError, match="gaze_multi needs"):
        GazeRegressor("multi", TINY_MULTI, epochs=1, progress=False).fit(x[:, :4], y)


def test_crop_names_from_manifest_columns():
    from gazelearn.appearance.data import crop_names

    assert crop_names(["Right eye", "left eye", "FACE"]) == ("right", "left", "face")
    assert crop_names(["a", "b", "c"]) == ("face", "left", "right")
    with pytest.raises(ValueError, match="2 .* or 3"):
        crop_names(["image"])


def test_cli_multi_on_three_column_manifest(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    rows = []
    for i in range(8):
        names = []
        for part, side in (("face", 40), ("left", 12), ("right", 12)):
            name = f"{part}_{i}.png"
            Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(
                tmp_path / name)
            names.append(name)
        rows.append((*names, 200 * i + 10, 100 * i + 5))
    manifest = tmp_path / "eye_data.csv"
    pl.DataFrame(rows, schema=["Face Image", "Left Eye Image", "Right Eye Image", "x", "y"],
                 orient="row").write_csv(manifest)
    data = load_gaze_data(manifest, size=(64, 64))
    assert data.images.shape == (8, 9, 64, 64)
    assert data.columns == ["Face Image", "Left Eye Image", "Right Eye Image"]
    model = tmp_path / "multi.safetensors"
    result = runner.invoke(app, ["gaze", "train", str(manifest), "--model", "multi",
                                 "--output", str(model), "--epochs", "1", "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    pred = tmp_path / "pred.csv"
    result = runner.invoke(app, ["gaze", "predict", str(model), str(manifest), "--output",
                                 str(pred)])
    assert result.exit_code == 0, result.output
    assert pl.read_csv(pred).height == 8
    assert load_model(model).architecture_options == {"inputs": ["face", "left", "right"]}


def test_cli_multi_needs_several_crops(synthetic_folder, tmp_path):
    result = runner.invoke(app, ["gaze", "train", str(synthetic_folder), "--model", "multi",
                                 "--output", str(tmp_path / "m.safetensors"), "--epochs", "1"])
    assert result.exit_code == 1, result.output
    assert "image columns" in result.output and not (tmp_path / "m.safetensors").exists()
