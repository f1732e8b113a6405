"""The tracker on a short synthetic video, the `gazelearn track` CLI and the real face crops."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.recording import Recording
from gazelearn.webcam import (
    FEATURE_NAMES,
    CalibrationProfile,
    LandmarkGazeRegressor,
    Tracker,
    read_video,
)

cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")

N_FRAMES = 12
BLANK = 6  # a frame without a face


def _frames(astronaut):
    frames = []
    for i in range(N_FRAMES):
        frame = np.roll(astronaut, shift=(2 * i, 3 * i), axis=(0, 1))
        if i == BLANK:
            frame = np.full_like(astronaut, 90)
        frames.append(np.ascontiguousarray(frame))
    return frames


@pytest.fixture(scope="module")
def video(tmp_path_factory, astronaut):
    path = tmp_path_factory.mktemp("video") / "face.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (512, 512))
    for frame in _frames(astronaut):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, len(FEATURE_NAMES)))
    model = LandmarkGazeRegressor().fit(X, rng.uniform(0, 1000, (40, 2)))
    path = tmp_path_factory.mktemp("profile") / "me.json"
    CalibrationProfile(model, (1920, 1080)).save(path)
    return path


def test_tracker_gives_one_sample_per_frame(astronaut, profile):
    tracker = Tracker(CalibrationProfile.load(profile), filter="kalman")
    rec = tracker.process(_frames(astronaut), timestamps=np.arange(N_FRAMES) / 30.0)
    assert isinstance(rec, Recording) and len(rec) == N_FRAMES
    assert not rec.valid[BLANK] and rec.valid.sum() == N_FRAMES - 1
    assert rec.labels is not None and not np.any(rec.labels == 5)
    assert rec.meta.extra["face_found_fraction"] == pytest.approx((N_FRAMES - 1) / N_FRAMES)
    assert rec.sampling_rate == pytest.approx(30.0)


def test_read_video_and_process_timed(video, profile):
    pairs = list(read_video(video))
    assert len(pairs) == N_FRAMES and pairs[0][1].shape == (512, 512, 3)
    assert pairs[1][0] == pytest.approx(1 / 30.0)
    rec = Tracker(CalibrationProfile.load(profile)).process_timed(pairs, source=str(video))
    assert len(rec) == N_FRAMES and rec.meta.source == str(video)


def test_cli_track_video(video, profile, tmp_path):
    from gazelearn.io import read

    out = tmp_path / "gaze.csv"
    result = CliRunner().invoke(app, ["track", "--video", str(video), "--profile", str(profile),
                                      "--output", str(out), "--filter", "one_euro"])
    assert result.exit_code == 0, result.output
    assert f"{N_FRAMES} frames" in result.output
    rec = read(out)
    assert len(rec) == N_FRAMES and rec.valid.sum() == N_FRAMES - 1


def _manifest(astronaut, folder):
    """Six frames of the astronaut shifted by a few px, each with its own target."""
    from PIL import Image

    rows = []
    for i, (dx, dy) in enumerate([(0, 0), (4, 0), (0, 4), (4, 4), (8, 2), (2, 8)]):
        name = f"face_{i}.png"
        Image.fromarray(np.ascontiguousarray(np.roll(astronaut, (dy, dx), (0, 1)))).save(
            folder / name)
        rows.append([name, 100 + 300 * i, 200 + 100 * i])
    manifest = folder / "frames.csv"
    with open(manifest, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["face", "x", "y"])
        writer.writerows(rows)
    return manifest


def test_cli_calibrate_from_a_manifest(astronaut, tmp_path):
    manifest = _manifest(astronaut, tmp_path)
    out = tmp_path / "me.json"
    result = CliRunner().invoke(app, ["track", "--calibrate", str(manifest), "--profile",
                                      str(out), "--screen-px", "1920", "1080",
                                      "--validation-fraction", "0.34"])
    assert result.exit_code == 0, result.output
    assert "faces found in 6 of 6" in result.output and "validation on 2 new targets" in \
        result.output
    loaded = CalibrationProfile.load(out)
    assert loaded.screen_px == (1920, 1080) and loaded.validation.n_targets == 2


def test_cli_calibrate_warns_about_or_refuses_a_poor_calibration(astronaut, tmp_path):
    import json

    manifest = _manifest(astronaut, tmp_path)
    base = ["track", "--calibrate", str(manifest), "--screen-px", "1920", "1080",
            "--validation-fraction", "0.34"]
    # a limit of 0 % makes every calibration poor: written with a warning, marked not accepted
    out = tmp_path / "warned.json"
    result = CliRunner().invoke(app, [*base, "--profile", str(out),
                                      "--max-validation-error-pct", "0"])
    assert result.exit_code == 0, result.output
    assert "warning: the validation error is above the 0 % limit" in result.output
    meta = json.loads(out.read_text())["meta"]
    assert meta["accepted"] is False and meta["max_validation_error_pct"] == 0
    # refused: exit 1, one line naming the option, no profile
    out = tmp_path / "refused.json"
    result = CliRunner().invoke(app, [*base, "--profile", str(out),
                                      "--max-validation-error-pct", "0", "--refuse-poor"])
    assert result.exit_code == 1 and not out.exists()
    assert "calibration refused" in result.output
    assert "--max-validation-error-pct" in result.output
    # 100 % accepts every calibration
    out = tmp_path / "lax.json"
    result = CliRunner().invoke(app, [*base, "--profile", str(out),
                                      "--max-validation-error-pct", "100", "--refuse-poor"])
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    assert json.loads(out.read_text())["meta"]["accepted"] is True


@pytest.mark.parametrize("args,message", [
    (["--video", "missing.mp4", "--profile", "PROFILE", "--output", "o.csv"], "video not found"),
    (["--profile", "PROFILE", "--output", "o.csv"], "exactly one of"),
    (["--video", "VIDEO", "--output", "o.csv"], "--profile is required"),
    (["--video", "VIDEO", "--profile", "missing.json", "--output", "o.csv"],
     "profile not found"),
    (["--video", "VIDEO", "--profile", "PROFILE"], "--output"),
    (["--calibrate", "missing.csv", "--profile", "p.json"], "manifest not found"),
])
def test_cli_errors_are_one_line_exit_1(args, message, video, profile, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [str(video) if a == "VIDEO" else str(profile) if a == "PROFILE" else a for a in args]
    result = CliRunner().invoke(app, ["track", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.real_data
def test_detection_rate_on_webcam_crops(shared_data, landmarker):
    from PIL import Image

    from gazelearn.io.images import read_manifest

    manifest = shared_data / "webcam-crops-dev" / "eye_data.csv"
    if not manifest.is_file():
        pytest.skip(f"{manifest} not found")
    images = read_manifest(manifest)
    paths = images.images["File Path Face Image"][::5]  # 120 of the 600 frames, for speed
    found = 0
    for path in paths:
        with Image.open(path) as image:
            found += landmarker.detect(np.asarray(image.convert("RGB"))) is not None
    # measured: 600 / 600 (100 %) on all frames
    assert found / len(paths) >= 0.95


@pytest.mark.parametrize("kind", ["landmarks", "cnn"])
def test_step_gives_the_points_of_the_batch_track_path(kind, astronaut, landmarker):
    # known answer: the old track path -- every frame's landmarks, the mapper's rows in one
    # batch through the profile, then the filter over the whole series -- against
    # Tracker.step frame by frame and Tracker.process, on the same frames and profile
    from gazelearn.webcam import frame_input, smooth
    from gazelearn.webcam.crop_model import CropGazeModel

    frames = _frames(astronaut)
    faces = [landmarker.detect(f) for f in frames]
    time = np.arange(N_FRAMES) / 30.0
    if kind == "landmarks":
        mapper = LandmarkGazeRegressor()
    else:
        mapper = CropGazeModel(epochs=1, screen_size=(1920, 1080))
    rows = np.array([frame_input(mapper, face, f) for face, f in zip(faces, frames, strict=True)])
    if kind == "landmarks":  # a regressor with a known linear answer in the features
        mapper.fit(rows[np.isfinite(rows).all(axis=1)],
                   np.linspace([200, 100], [1700, 900], N_FRAMES - 1))
    else:
        mapper.fit(rows, np.linspace([200, 100], [1700, 900], N_FRAMES))
    profile = CalibrationProfile(mapper, (1920, 1080))
    expected = smooth(time, profile.predict(rows), "kalman", fixation_aware=True, jump_px=150.0)

    tracker = Tracker(profile, landmarker=landmarker, filter="kalman")
    samples = [tracker.step(t, f) for t, f in zip(time, frames, strict=True)]
    assert [s.valid for s in samples] == [i != BLANK for i in range(N_FRAMES)]
    assert not samples[BLANK].face and np.isnan(samples[BLANK].raw_x)
    got = np.array([(s.x, s.y) for s in samples])
    assert np.allclose(got, expected, atol=1e-6, equal_nan=True)
    assert np.allclose([(s.raw_x, s.raw_y) for s in samples], profile.predict(rows),
                       atol=1e-6, equal_nan=True)
    rec = Tracker(profile, landmarker=landmarker, filter="kalman").process(frames, time)
    assert np.allclose(np.c_[rec.x, rec.y], expected, atol=1e-6, equal_nan=True)


def test_profile_holds_one_screen_and_reads_resolution_only_profiles(tmp_path):
    """A profile's screen is a Screen (pixel-only when only the resolution is known); profiles
    written with ``"screen": null`` beside ``screen_px`` read as that pixel-only screen."""
    import json

    from gazelearn.screen import Screen
    from gazelearn.webcam import LandmarkGazeRegressor

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 14)), rng.uniform(0, 1000, size=(30, 2))
    profile = CalibrationProfile(LandmarkGazeRegressor().fit(X, y), (1280, 720))
    assert profile.screen == Screen(1280, 720) and profile.screen_px == (1280, 720)
    path = profile.save(tmp_path / "p.json")
    state = json.loads(path.read_text())
    assert state["screen_px"] == [1280, 720]
    state["screen"] = None  # as profiles that knew only the resolution were written
    path.write_text(json.dumps(state))
    loaded = CalibrationProfile.load(path)
    assert loaded.screen == Screen(1280, 720) and not loaded.screen.has_geometry
    np.testing.assert_allclose(loaded.predict(X[:3]), profile.predict(X[:3]))


def test_cli_geometry_eyelid_option():
    from gazelearn.cli.track_commands import _regressor

    assert _regressor("geometry", 1.0, "linear", 1, (1920, 1080)).eyelid is True
    off = _regressor("geometry", 1.0, "linear", 1, (1920, 1080), eyelid=False)
    assert off.eyelid is False and off.get_params()["prior_weight"] == 300.0
    result = CliRunner().invoke(app, ["track", "--help"], env={"COLUMNS": "200"})
    assert "--no-eyelid" in result.output


def test_cli_alpha_left_out_is_each_mappers_own_default():
    from gazelearn.cli.track_commands import _regressor

    alone = _regressor("geometry", None, "linear", None, (1920, 1080))
    blend = _regressor("geometry", None, "linear", None, (1920, 1080), appearance_frames=100)
    assert alone.alpha == 1.0 and blend._geometry().alpha == 100.0
    given = _regressor("geometry", 5.0, "linear", None, (1920, 1080), appearance_frames=100)
    assert given._geometry().alpha == 5.0
    assert _regressor("geometry", 5.0, "linear", None, (1920, 1080)).alpha == 5.0
    assert _regressor("landmarks", None, "linear", None, (1920, 1080)).alpha == 1.0


def test_cli_track_prints_no_mediapipe_log_lines(video, profile, tmp_path):
    # glog and TensorFlow Lite write from C++ straight to file descriptor 2, which CliRunner
    # does not see: run the real console script
    import subprocess
    import sys

    out = tmp_path / "gaze.csv"
    command = [sys.executable, "-m", "gazelearn", "track", "--video", str(video), "--profile",
               str(profile), "--output", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert out.is_file() and f"{N_FRAMES} frames" in result.stdout
    for marker in ("W0000", "I0000", "INFO: Created TensorFlow Lite", "XNNPACK"):
        assert marker not in result.stderr and marker not in result.stdout, result.stderr
    verbose = subprocess.run([*command, "--verbose"], capture_output=True, text=True,
                             timeout=300)
    assert verbose.returncode == 0, verbose.stderr
    assert "INFO: Created TensorFlow Lite" in verbose.stderr  # --verbose keeps them


def test_cli_calibrate_tta_is_recorded_and_followed(astronaut, tmp_path):
    manifest = _manifest(astronaut, tmp_path)
    base = ["track", "--calibrate", str(manifest), "--screen-px", "1920", "1080",
            "--validation-fraction", "0.34", "--profile"]
    # mirroring is the calibration's default (the measured best), --no-tta turns it off
    for flags, expected in (([], True), (["--no-tta"], False), (["--tta"], True)):
        out = tmp_path / f"tta-{expected}.json"
        result = CliRunner().invoke(app, [*base, str(out), *flags])
        assert result.exit_code == 0, result.output
        loaded = CalibrationProfile.load(out)
        assert loaded.meta["mirror"] is expected
        assert Tracker(loaded).uses_mirror is expected   # live tracking follows the profile


def test_cli_track_video_with_tta_mirrors_every_frame(video, profile, tmp_path):
    from gazelearn.io import read

    plain, mirrored = tmp_path / "plain.csv", tmp_path / "tta.csv"
    for out, flags in ((plain, []), (mirrored, ["--tta"])):
        result = CliRunner().invoke(app, ["track", "--video", str(video), "--profile",
                                          str(profile), "--output", str(out), "--filter",
                                          "none", *flags])
        assert result.exit_code == 0, result.output
    a, b = read(plain), read(mirrored)
    # the same frames found (the blank one lost), but other landmarks, so other gaze points
    assert a.valid.tolist() == b.valid.tolist() and b.valid.sum() == N_FRAMES - 1
    assert not np.allclose(a.x[a.valid], b.x[b.valid])


def test_frame_lag_auto_finds_a_one_row_lag_from_the_calibration_rows_only():
    from gazelearn.cli.track_commands import _find_frame_lag
    from gazelearn.screen import Screen

    rng = np.random.default_rng(0)
    targets = rng.uniform(0, [1920, 1080], (100, 2))
    mixing = rng.normal(size=(2, 6))
    shown = targets @ mixing + rng.normal(0, 5, (100, 6))
    lagged = np.vstack([np.full((1, 6), np.nan), shown[:-1]])  # frame i + 1 shows target i
    lag, search = _find_frame_lag(lagged, targets, 0.2, Screen(1920, 1080))
    assert lag == 1 and search["lag"] == 1 and search["n_rows"] <= 80  # validation unseen
    assert search["errors_px"]["1"] < 0.2 * search["errors_px"]["0"]
    assert _find_frame_lag(shown, targets, 0.2, Screen(1920, 1080))[0] == 0
    # a few frames cannot tell lags apart: lag 0, and why
    lag, search = _find_frame_lag(lagged[:12], targets[:12], 0.2, Screen(1920, 1080))
    assert lag == 0 and "too few calibration frames" in search["reason"]


def test_cli_calibrate_says_which_frame_lag_it_used(astronaut, tmp_path):
    manifest = _manifest(astronaut, tmp_path)
    base = ["track", "--calibrate", str(manifest), "--screen-px", "1920", "1080",
            "--validation-fraction", "0.34", "--no-tta", "--profile", str(tmp_path / "p.json")]
    result = CliRunner().invoke(app, base)
    assert result.exit_code == 0, result.output
    assert "frame lag: 0" in result.output and "too few calibration frames" in result.output
    assert CalibrationProfile.load(tmp_path / "p.json").meta["frame_lag"] == 0
    result = CliRunner().invoke(app, [*base, "--frame-lag", "1"])
    assert result.exit_code == 0 and "frame lag" not in result.output
    assert CalibrationProfile.load(tmp_path / "p.json").meta["frame_lag"] == 1
    result = CliRunner().invoke(app, [*base, "--frame-lag", "soon"])
    assert result.exit_code == 1 and "'auto' or a whole number" in result.output


def test_cli_calibrate_blends_eye_crop_cnns_from_appearance_frames(astronaut, video, tmp_path):
    from gazelearn.webcam import EyeballGazeMapper, HybridGazeMapper

    manifest = _manifest(astronaut, tmp_path)
    base = ["track", "--calibrate", str(manifest), "--screen-px", "1920", "1080",
            "--validation-fraction", "0.34", "--epochs", "1", "--profile"]
    # 4 calibration rows: under the default 100 the geometry alone, as before
    result = CliRunner().invoke(app, [*base, str(tmp_path / "geometry.json")])
    assert result.exit_code == 0, result.output
    assert isinstance(CalibrationProfile.load(tmp_path / "geometry.json").mapper,
                      EyeballGazeMapper)
    out = tmp_path / "blend.json"
    result = CliRunner().invoke(app, [*base, str(out), "--appearance-frames", "3"])
    assert result.exit_code == 0, result.output
    loaded = CalibrationProfile.load(out)
    assert isinstance(loaded.mapper, HybridGazeMapper)
    assert len(loaded.mapper.networks_) == 2  # DEFAULT_NETWORKS
    assert loaded.meta["gaze_model"] == "geometry+cnn"
    assert (tmp_path / "blend.hybrid.safetensors").is_file()
    rec = Tracker(loaded).process_timed(read_video(video), source=str(video))
    assert len(rec) == N_FRAMES and rec.valid.sum() == N_FRAMES - 1
    result = CliRunner().invoke(app, [*base, str(out), "--appearance-frames", "-1"])
    assert result.exit_code == 1 and "--appearance-frames must be >= 0" in result.output
