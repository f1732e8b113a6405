"""The CNN path of the tracker: eye crops -> gaze CNN, in profiles, the tracker and the CLI."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.errors import InputError
from gazelearn.webcam import CalibrationProfile, Tracker
from gazelearn.webcam.crop_model import CropGazeModel

pytest.importorskip("mediapipe")


def _shifted_faces(astronaut, n: int):
    return [np.ascontiguousarray(np.roll(astronaut, (3 * (i % 3), 4 * (i // 3)), (0, 1)))
            for i in range(n)]


def test_rows_and_images_round_trip():
    model = CropGazeModel(eyes="both", size=(8, 4))
    rows = np.arange(3 * 64, dtype=float).reshape(3, 64)
    images = model.images(rows)
    assert images.shape == (3, 4, 8, 2) and model.input_size == 64
    assert images[1, 0, 0, 1] == rows[1, 1]  # channels last: left, right interleaved
    with pytest.raises(InputError, match="rows of 64 crop pixels"):
        model.images(rows[:, :10])
    with pytest.raises(InputError, match="eyes must be"):  # checked where used, not in __init__
        CropGazeModel(eyes="third").fit(rows, np.zeros((3, 2)))


def test_network_learns_targets_of_its_calibration_frames():
    # the mean brightness of the crop decides the target: a learnable, known mapping
    rng = np.random.default_rng(0)
    level = rng.uniform(0, 1, 60)
    rows = np.clip(level[:, None] * 200 + rng.normal(0, 5, (60, 36 * 64)), 0, 255)
    targets = np.c_[level * 1000, 500 - level * 300]
    model = CropGazeModel(epochs=30, screen_size=(1000, 1000)).fit(rows[:45], targets[:45])
    error = np.abs(model.predict(rows[45:]) - targets[45:]).mean()
    spread = np.abs(targets[45:] - targets[:45].mean(axis=0)).mean()
    assert error < spread / 2


def test_profile_saves_its_network_and_tracks_frames(astronaut, tmp_path):
    from gazelearn.webcam.landmarks import FaceLandmarker

    frames = _shifted_faces(astronaut, 6)
    model = CropGazeModel(epochs=1, screen_size=(1920, 1080))
    with FaceLandmarker(static_image_mode=True) as marker:
        rows = np.array([model.frame_input(marker.detect(f), f) for f in frames])
    model.fit(rows, np.linspace([100, 100], [1800, 1000], 6))
    path = tmp_path / "me.json"
    CalibrationProfile(model, (1920, 1080)).save(path)
    assert (tmp_path / "me.cnn.safetensors").is_file()
    loaded = CalibrationProfile.load(path)
    assert np.allclose(loaded.predict(rows), model.predict(rows), atol=1e-3)
    with FaceLandmarker(static_image_mode=True) as marker:  # the same landmarks as above
        rec = Tracker(loaded, landmarker=marker, filter="none").process(
            frames + [np.full_like(astronaut, 90)])
    assert len(rec) == 7 and rec.valid[:6].all() and not rec.valid[6]
    assert np.allclose(np.c_[rec.x, rec.y][:6], model.predict(rows), atol=1e-3)
    (tmp_path / "me.cnn.safetensors").unlink()
    with pytest.raises(InputError, match="is missing"):
        CalibrationProfile.load(path)


def test_cli_calibrates_the_cnn_path(astronaut, tmp_path):
    from PIL import Image

    rows = []
    for i, frame in enumerate(_shifted_faces(astronaut, 8)):
        Image.fromarray(frame).save(tmp_path / f"face_{i}.png")
        rows.append([f"face_{i}.png", 100 + 200 * i, 150 + 100 * i])
    manifest = tmp_path / "frames.csv"
    with open(manifest, "w", newline="") as handle:
        csv.writer(handle).writerows([["face", "x", "y"], *rows])
    out = tmp_path / "me.json"
    result = CliRunner().invoke(app, ["track", "--calibrate", str(manifest), "--profile",
                                      str(out), "--screen-px", "1920", "1080", "--gaze-model",
                                      "cnn", "--epochs", "1", "--validation-fraction", "0.25"])
    assert result.exit_code == 0, result.output
    assert "validation on 2 new targets" in result.output
    assert CalibrationProfile.load(out).meta["gaze_model"] == "cnn"
    bad = CliRunner().invoke(app, ["track", "--calibrate", str(manifest), "--profile",
                                   str(out), "--gaze-model", "nonsense"])
    assert bad.exit_code == 1 and "--gaze-model must be" in bad.output


def test_cnn_profile_round_trip_keeps_crop_settings_and_reads_version_1(tmp_path):
    import json

    from gazelearn.learn import read_model_info, save_model

    rng = np.random.default_rng(1)
    rows = rng.uniform(0, 255, (12, 2 * 36 * 64))
    model = CropGazeModel(eyes="both", epochs=1, screen_size=(1000, 1000)).fit(
        rows, rng.uniform(0, 1000, (12, 2)))
    path = CalibrationProfile(model, (1000, 1000), meta={"user": "c"}).save(tmp_path / "c.json")
    assert json.loads(path.read_text())["regressor"] == {"kind": "crops",
                                                         "model_file": "c.cnn.safetensors"}
    info = read_model_info(tmp_path / "c.cnn.safetensors")
    assert info["preprocessing"]["eyes"] == "both"
    loaded = CalibrationProfile.load(path)
    assert loaded.mapper.eyes == "both" and loaded.mapper.input_size == rows.shape[1]
    assert np.array_equal(loaded.predict(rows), model.predict(rows))
    # a version-1 CNN profile: crop settings in the JSON, the bare network beside it
    save_model(model.model_, tmp_path / "old.cnn.safetensors")
    (tmp_path / "old.json").write_text(json.dumps({
        "format": "gazelearn-calibration-profile", "version": 1, "screen_px": [1000, 1000],
        "screen": None, "validation": None, "meta": {},
        "regressor": {"kind": "crops", "eyes": "both", "size": [64, 36],
                      "model_file": "old.cnn.safetensors"}}))
    old = CalibrationProfile.load(tmp_path / "old.json")
    assert old.mapper.eyes == "both" and np.array_equal(old.predict(rows), model.predict(rows))
