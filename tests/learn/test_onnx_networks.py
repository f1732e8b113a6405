"""``gazelearn export`` on every kind of network gazelearn trains, and its refusals.

Each kind is trained tiny, saved as the CLI saves it, exported by the command, and the ONNX
graph run in ONNX Runtime on real inputs must give the loaded estimator's own outputs (its
``predict`` / ``transform`` / network step) to 1e-4, with the metadata a user needs.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.learn import load_model, save_model

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "learning.md"


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def sides(n: int = 4, seed: int = 0) -> tuple[list, list[str]]:
    """Recordings looking at the left or the right half of a screen, and those labels."""
    from gazelearn import Recording, Screen

    rng, screen = np.random.default_rng(seed), Screen(1024, 768, 380.0, 300.0, 670.0)
    labels = ["left", "right"] * n
    return [Recording(np.arange(120) / 60.0, rng.uniform(50, 450, 120) + 500 * (s == "right"),
                      rng.uniform(50, 700, 120), screen=screen) for s in labels], labels


def export(model: Path, out: Path) -> tuple[ort.InferenceSession, dict, str]:
    """Run ``gazelearn export MODEL OUT``; the session, its metadata and the command's output."""
    result = runner.invoke(app, ["export", str(model), str(out)])
    assert result.exit_code == 0, result.output
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    # every export says what it takes and returns, and which weights it holds
    assert meta["gazelearn_model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    described = json.loads(meta["inputs"])
    assert [t["name"] for t in described] == [i.name for i in session.get_inputs()]
    assert all(t["dtype"] == "float32" and t["description"] for t in described)
    for tensor in described:
        assert f"input {tensor['name']} float32 (" in result.output
    return session, meta, result.output


def run(session: ort.InferenceSession, *arrays: np.ndarray) -> list[np.ndarray]:
    names = [i.name for i in session.get_inputs()]
    return session.run(None, {n: np.ascontiguousarray(a, dtype=np.float32)
                              for n, a in zip(names, arrays, strict=True)})


def test_deep_detector(tmp_path):
    from gazelearn.detection.deep import DeepDetector
    from gazelearn.detection.deep_inference import cached_onnx, detector_features
    from gazelearn.simulate import simulate_recording

    recordings = [simulate_recording(3.0, 500.0, seed=s) for s in range(2)]
    detector = DeepDetector(conv_channels=8, depth=3, features="context", epochs=1,
                            window_s=0.5, num_threads=1, progress=False).fit(recordings)
    model = detector.save(tmp_path / "det.safetensors")
    session, meta, output = export(model, tmp_path / "exported.onnx")
    loaded = load_model(model)
    features, _ = detector_features(recordings[0], 500.0, "context")
    logits = run(session, features[None])[0][0]
    with torch.no_grad():
        expected = loaded.network_.eval()(torch.as_tensor(features[None]))[0].numpy()
    assert logits.shape == (1500, 5)
    np.testing.assert_allclose(logits, expected, atol=1e-4)
    assert json.loads(meta["classes"]) == ["fixation", "saccade", "pso", "pursuit", "blink"]
    assert float(meta["sampling_rate"]) == 500.0 and meta["features"] == "context"
    assert len(json.loads(meta["feature_names"])) == features.shape[1] == 16
    assert "input features float32 (batch, time, 16)" in output
    # the exported graph is a valid graph of that model file for the torch-free runner
    (tmp_path / "det.onnx").unlink()
    (tmp_path / "exported.onnx").rename(tmp_path / "det.onnx")
    assert cached_onnx(model) == tmp_path / "det.onnx"


@pytest.mark.parametrize("kind", ["conv1d", "heatmap-cnn", "multi"])
def test_scanpath_classifier(tmp_path, kind):
    from gazelearn.scanpath.classify import ScanpathClassifier

    recordings, labels = sides()
    clf = ScanpathClassifier(kind, window=30, grid=(8, 6), epochs=1, num_threads=1,
                             progress=False).fit(recordings, labels)
    model = save_model(clf, tmp_path / "sp.safetensors")
    session, meta, _ = export(model, tmp_path / "sp.onnx")
    loaded = load_model(model)
    expected = loaded.predict_proba(recordings)
    if kind == "heatmap-cnn":
        proba = run(session, loaded._maps(recordings))[0]
    else:
        windows = loaded._windows(recordings, fitting=False)
        inputs = [windows.X] + ([loaded._maps(recordings)[windows.recording]]
                                if kind == "multi" else [])
        per_window = run(session, *inputs)[0]
        # a recording's probabilities are the mean of its windows' (the documented recipe)
        proba = np.stack([per_window[windows.recording == i].mean(axis=0)
                          for i in range(len(recordings))])
    np.testing.assert_allclose(proba, expected, atol=1e-4)
    assert json.loads(meta["classes"]) == ["left", "right"]
    assert json.loads(meta["window_length"]) == 30 and json.loads(meta["grid"]) == [8, 6]


def test_gaze_cnn_with_its_calibration(tmp_path):
    from gazelearn.appearance import GazeRegressor
    from gazelearn.appearance.estimator import as_images
    from gazelearn.simulate.eyes import simulate_eye_dataset

    eyes = simulate_eye_dataset(2, 1, 12, seed=3)
    gaze = GazeRegressor("resnet", {"stem": 8, "channels": (8, 8)}, epochs=1, batch_size=8,
                         calibration="bn", screen_size=(1920, 1080), num_threads=1,
                         progress=False).fit(eyes.images, eyes.targets_px,
                                             groups=eyes.measurement)
    # a user calibration (BN profile and affine correction) is part of what is exported
    gaze.calibrate(eyes.images[:6], eyes.targets_px[:6])
    model = save_model(gaze, tmp_path / "gaze.safetensors")
    session, meta, _ = export(model, tmp_path / "gaze.onnx")
    predicted = load_model(model).predict(eyes.images)
    # the graph's input as documented: pixel values / 255, channels first
    got = run(session, as_images(eyes.images))[0]
    assert got.shape == (24, 2)
    np.testing.assert_allclose(got, predicted, rtol=1e-4, atol=1e-4)
    assert json.loads(meta["screen_size"]) == [1920.0, 1080.0]
    assert json.loads(meta["bn_profile"]) is True and json.loads(meta["affine_calibration"])


def test_biometric_embedder(tmp_path):
    from gazelearn.biometrics.estimator import EyeMovementEmbedder
    from gazelearn.simulate import simulate_population

    data = simulate_population(n_subjects=3, recordings_per_subject=1, duration_s=4.0,
                               sampling_rate=100.0, seed=1)
    embedder = EyeMovementEmbedder(embedding_dim=8, epochs=1, persons_per_batch=3,
                                   windows_per_person=2, num_threads=1,
                                   progress=False).fit(data)
    model = save_model(embedder, tmp_path / "bio.safetensors")
    session, meta, _ = export(model, tmp_path / "bio.onnx")
    loaded = load_model(model)
    windows = loaded.windows(data)
    got = run(session, windows.X)[0]
    np.testing.assert_allclose(got, loaded.transform(windows), atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float(meta["sampling_rate"]) == 100.0
    assert json.loads(meta["channels"]) == ["vx", "vy", "valid"]
    assert json.loads(meta["window"])["length_s"] == 1.0


def test_scanpath_generator_step(tmp_path):
    from gazelearn.scanpath.fixseq import render_fixations
    from gazelearn.scanpath.generate import ScanpathGenerator

    rng, extent = np.random.default_rng(7), (800, 600)
    recordings = [render_fixations(rng.uniform(50, 750, 8), rng.uniform(50, 550, 8),
                                   rng.uniform(0.2, 0.4, 8), np.full(7, 0.04), 50.0, 100, 2.0,
                                   extent, rng) for _ in range(4)]
    generator = ScanpathGenerator(extent=extent, hidden=8, components=3, epochs=1,
                                  num_threads=1, progress=False).fit(recordings)
    model = save_model(generator, tmp_path / "gen.safetensors")
    session, meta, _ = export(model, tmp_path / "gen.onnx")
    net = load_model(model).network_
    # the sampler's first step: the start token and a zero state, two scanpaths at once
    token = np.zeros((2, 4), np.float32)
    token[:, 3] = 1.0
    zeros = np.zeros((1, 2, 8), np.float32)
    weights, means, sigmas, h, c = run(session, token[:, None], zeros, zeros)
    with torch.no_grad():
        params, (h_torch, c_torch) = net.step(torch.as_tensor(token))
        logits, mu, log_sigma = net.split(params)
    np.testing.assert_allclose(weights[:, 0], torch.softmax(logits, -1).numpy(), atol=1e-4)
    np.testing.assert_allclose(means[:, 0], mu.numpy(), atol=1e-4)
    np.testing.assert_allclose(sigmas[:, 0], torch.exp(log_sigma).numpy(), atol=1e-4)
    np.testing.assert_allclose(h, h_torch.numpy(), atol=1e-4)
    np.testing.assert_allclose(c, c_torch.numpy(), atol=1e-4)
    assert json.loads(meta["extent_px"]) == [800.0, 600.0]
    assert len(json.loads(meta["gaps_s"])) == len(generator.gaps_)


def test_next_point_predictor(tmp_path):
    from gazelearn import Recording
    from gazelearn.scanpath.nextpoint import NextPointPredictor, point_sequences

    t = np.arange(60)
    recordings = [Recording(t / 50.0, 400 + 150 * np.cos(0.3 * t + p),
                            300 + 150 * np.sin(0.3 * t + p)) for p in (0.0, 2.0, 4.0)]
    predictor = NextPointPredictor(length=5, epochs=1, num_threads=1, progress=False,
                                   architecture_options={"hidden": 8}).fit(recordings)
    model = save_model(predictor, tmp_path / "np.safetensors")
    session, meta, _ = export(model, tmp_path / "np.onnx")
    X, _, _ = point_sequences(recordings, 5)
    np.testing.assert_allclose(run(session, X)[0], load_model(model).predict(X), rtol=1e-4,
                               atol=1e-4)
    assert json.loads(meta["length"]) == 5


# ---------------------------------------------------------------------------- refusals
def test_a_model_that_is_not_a_network_is_refused_in_one_line(tmp_path):
    from gazelearn.scanpath.classify import ScanpathClassifier

    clf = ScanpathClassifier("tree", window=30).fit(*sides(1))
    model = save_model(clf, tmp_path / "tree.safetensors")
    out = tmp_path / "tree.onnx"
    result = runner.invoke(app, ["export", str(model), str(out)])
    assert result.exit_code == 1
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    assert "'tree' model" in message and "not a network" in message
    assert "scanpath classifiers mlp, conv1d, lstm, gru, heatmap-cnn and multi" in message
    assert not out.exists()
    result = runner.invoke(app, ["export", str(model), str(model)])
    assert result.exit_code == 1 and "would overwrite the model file" in result.output


def test_a_failed_check_writes_nothing(tmp_path):
    from gazelearn.errors import GazelearnError
    from gazelearn.nn.onnx_export import export_onnx

    class Noisy(torch.nn.Module):  # random numbers: ONNX Runtime's differ from torch's
        def forward(self, x):
            return x + torch.rand_like(x)

    out = tmp_path / "noisy.onnx"
    with pytest.raises(GazelearnError, match="not written"):
        export_onnx(Noisy(), out, example=np.zeros((2, 3)))
    assert list(tmp_path.iterdir()) == []  # no file, no temporary file
    out.write_bytes(b"an older export")
    with pytest.raises(GazelearnError, match="not written"):
        export_onnx(Noisy(), out, example=np.zeros((2, 3)))
    assert out.read_bytes() == b"an older export"


def test_the_documented_commands_run_as_printed(tmp_path, monkeypatch):
    text = DOCS.read_text()
    section = text[text.index("## ONNX"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = [line for line in block.splitlines() if line.startswith("gazelearn ")]
    assert commands[-1].startswith("gazelearn export ")
    monkeypatch.chdir(tmp_path)
    for command in commands:
        result = runner.invoke(app, shlex.split(command)[1:])
        assert result.exit_code == 0, (command, result.output)
    printed = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    # the output shown in the docs is the output of the last command, line for line in form
    for shown, got in zip(printed, result.output.splitlines(), strict=True):
        pattern = re.escape(shown).replace(r"\.\.\.", ".*")
        assert re.fullmatch(pattern, got), (shown, got)
