"""The deep detector's inference: ONNX Runtime equals torch, chunks equal the whole signal, the
CLI path runs without torch, context features have known values, and bad input is handled."""

import hashlib
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gazelearn import Events, InputError, Screen
from gazelearn.detection import deep_inference as di
from gazelearn.detection.deep import DeepDetector
from gazelearn.detection.deep_augment import RATES_HZ, augment_recording, simulated_recordings
from gazelearn.labels import Label
from gazelearn.recording import Recording
from gazelearn.simulate import simulate_population, simulate_recording

SCREEN = Screen(1920, 1080, 531.0, 299.0, 600.0)


@pytest.fixture(scope="module")
def context_model():
    """A small context-feature TCN with a 2-s receptive field (9 layers), barely trained."""
    data = simulate_population(n_subjects=3, recordings_per_subject=1, duration_s=8.0, seed=4)
    detector = DeepDetector(features="context", depth=9, window_s=2.0, conv_channels=8,
                            epochs=2, seed=0, num_threads=1, progress=False)
    return detector.fit(list(data), groups=data.column("subject"))


@pytest.mark.parametrize("which", ["shipped", "context"])
def test_onnx_runtime_gives_the_scores_of_torch(which, context_model):
    detector = DeepDetector.pretrained() if which == "shipped" else context_model
    rec = simulate_recording(70.0, 500.0, seed=21)  # five chunks of 16 s
    onnx = detector._scores(rec, probabilities=False, backend="onnx")
    torch_scores = detector._scores(rec, probabilities=False, backend="torch")
    assert onnx.shape == (len(rec), 5)
    np.testing.assert_allclose(onnx, torch_scores, atol=1e-4, rtol=0)
    proba = detector.predict_proba(rec)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_chunks_give_the_scores_of_the_whole_signal(context_model, monkeypatch):
    # the margin is the TCN's receptive half-width: a chunk's centre sees all it would see in
    # one pass over the whole signal, so chunking changes nothing (up to float rounding)
    features, _ = di.detector_features(simulate_recording(30.0, 500.0, seed=2), 500.0,
                                       "context")
    runner = context_model.runner()
    assert runner.margin == di.receptive_half_width("tcn", 9) == 513
    monkeypatch.setattr(di, "CHUNK_S", 100.0)  # one chunk: the whole signal
    whole = runner.network_scores(features)
    monkeypatch.setattr(di, "CHUNK_S", 3.0)  # 1500-sample cores: 10 chunks
    starts, length = di.chunk_plan(len(features), 1500, runner.margin)
    assert len(starts) == 10 and length == 2526
    np.testing.assert_allclose(runner.network_scores(features), whole, atol=1e-4, rtol=0)


def test_chunk_plan_covers_every_sample_with_its_margin():
    starts, length = di.chunk_plan(10_000, core=1000, margin=100)
    assert length == 1200 and starts[-1] + length == 10_000
    seen = np.zeros(10_000, int)
    for start in starts:  # the parts stitch keeps
        lo = 0 if start == 0 else 100
        hi = length if start + length >= 10_000 else length - 100
        seen[start + lo:start + hi] += 1
    assert seen.min() >= 1
    assert di.chunk_plan(500, core=1000, margin=100)[1] == 500  # one chunk, the signal


@pytest.mark.parametrize("architecture", ["tcn", "tcn-gru"])
def test_batched_chunks_give_the_scores_of_one_chunk_per_run(architecture, context_model,
                                                            gru_model, monkeypatch):
    detector = context_model if architecture == "tcn" else gru_model
    monkeypatch.setattr(di, "CHUNK_S", 4.0)  # 2000-sample cores
    features, _ = di.detector_features(simulate_recording(37.3, 500.0, seed=5), 500.0,
                                       "context")
    runner = detector.runner()
    starts, length = di.chunk_plan(len(features), 2000, runner.margin)
    # nine chunks, the last shifted back to end at the last sample (a remainder: its step
    # from the one before is shorter than a core)
    assert len(starts) == 9 and 0 < starts[-1] - starts[-2] < 2000
    one = replace(runner, batch=1).network_scores(features)
    for batch in (2, 4, 9, 100):  # batches of 2 + ... + 1, 4 + 4 + 1, all, all
        np.testing.assert_allclose(replace(runner, batch=batch).network_scores(features), one,
                                   atol=1e-5, rtol=0)
    short = features[:1234]  # shorter than a chunk: one run of its own length
    np.testing.assert_allclose(replace(runner, batch=4).network_scores(short),
                               replace(runner, batch=1).network_scores(short), atol=1e-5, rtol=0)
    with pytest.raises(InputError, match="batch must be 1 or more"):
        replace(runner, batch=0).network_scores(short)


def test_events_detect_deep_runs_without_torch_and_gives_predicts_labels(tmp_path):
    rec = simulate_recording(6.0, 500.0, seed=3)
    code = (
        "import json, sys\n"
        "from gazelearn.cli.events_commands import _detector\n"
        "from gazelearn.simulate import simulate_recording\n"
        "labels = _detector('deep', {}).predict(simulate_recording(6.0, 500.0, seed=3))\n"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'sklearn': 'sklearn' in "
        "sys.modules, 'labels': labels.tolist()}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert not result["torch"] and not result["sklearn"]
    assert result["labels"] == DeepDetector.pretrained().predict(rec).tolist()


def test_saved_model_has_its_onnx_graph_and_stale_graphs_are_not_used(context_model, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setenv("GAZELEARN_CACHE", str(tmp_path / "cache"))
    path = context_model.save(tmp_path / "m.safetensors")
    sidecar = di.onnx_sidecar(path)
    assert sidecar.is_file() and di.cached_onnx(path) == sidecar
    rec = simulate_recording(5.0, 500.0, seed=9)
    expected = context_model.predict(rec)
    runner = di.load_runner(path)
    assert (runner.sampling_rate, runner.features, runner.margin) == (500.0, "context", 513)
    np.testing.assert_array_equal(runner.predict(rec), expected)
    # a graph of other weights beside the file is not used: exported to the cache instead
    other = DeepDetector(features="context", depth=9, window_s=2.0, conv_channels=8, epochs=1,
                         seed=1, num_threads=1, progress=False)
    other.fit([simulate_recording(6.0, 500.0, seed=1)])
    other_path = other.save(tmp_path / "other.safetensors")
    sidecar.write_bytes(di.onnx_sidecar(other_path).read_bytes())
    assert di.cached_onnx(path) is None
    runner = di.load_runner(path)
    assert runner.onnx.parent == tmp_path / "cache" / "onnx"
    np.testing.assert_array_equal(runner.predict(rec), expected)
    assert di.cached_onnx(path) == runner.onnx  # the next run finds it without torch


def test_context_features_known_values():
    rate, n = 500.0, 1000
    t = np.arange(n) / rate
    valid = np.ones(n, bool)
    pursuit = di.context_features(10.0 * t, 0.0 * t, valid, rate)  # 10 deg/s to the right
    assert pursuit.shape == (n, 12)
    for k in range(4):
        np.testing.assert_allclose(np.sinh(pursuit[200:800, 3 * k]) * 3.0, 10.0, rtol=1e-5)
        np.testing.assert_allclose(pursuit[200:800, 3 * k + 1], 1.0, rtol=1e-6)
    # dispersion of a ramp over a window of 2h + 1 samples: speed/rate * sqrt(((2h+1)^2-1)/12)
    half = 25  # 100 ms at 500 Hz
    expected = 10.0 / rate * np.sqrt(((2 * half + 1) ** 2 - 1) / 12)
    np.testing.assert_allclose(np.sinh(pursuit[500, 5]) * 0.5, expected, rtol=1e-6)
    # a square wave of +-0.1 deg: no displacement over an even window, dispersion 0.1 deg
    square = np.where(np.arange(n) % 2 == 0, 0.1, -0.1)
    fixation = di.context_features(square, np.zeros(n), valid, rate)
    assert np.abs(fixation[100:900, 1]).max() < 1e-9  # direction consistency 0
    np.testing.assert_allclose(np.sinh(fixation[500, 2]) * 0.5, 0.1, rtol=1e-3)
    # lost samples are bridged: a gap inside a pursuit keeps its speed
    valid[400:450] = False
    x = np.where(valid, 10.0 * t, np.nan)
    bridged = di.context_features(x, 0.0 * t, valid, rate)
    np.testing.assert_allclose(np.sinh(bridged[425, 9]) * 3.0, 10.0, rtol=1e-5)


def test_recording_shorter_than_the_receptive_field():
    # 0.1 s of fixation: far shorter than the shipped TCN's 0.5 s view, one label per sample
    n = 50
    rng = np.random.default_rng(0)
    rec = Recording(np.arange(n) / 500.0, 960 + rng.normal(0, 0.3, n),
                    540 + rng.normal(0, 0.3, n), screen=SCREEN)
    labels = DeepDetector.pretrained().predict(rec)
    assert labels.tolist() == [Label.FIXATION] * n
    with pytest.raises(InputError, match="at least 2 samples"):
        DeepDetector.pretrained().predict(rec.select(slice(0, 1)))


def test_webcam_rate_saccades_span_their_jump():
    # at 30 Hz a saccade is one jump between two samples; a one-sample saccade would have
    # amplitude 0 (before: 10-16 of 11-18 saccades per recording)
    runner = di.load_runner()
    for seed in range(3):
        rec = simulate_recording(20.0, 30.0, seed=seed)
        labels = runner.predict(rec, postprocess=False)
        assert labels.shape == (len(rec),)
        saccades = Events.from_labels(rec, labels).of_type("saccade").frame
        assert len(saccades) > 5
        assert (saccades["amplitude"] > 0.5).all()


def test_too_low_rate_is_a_clear_error():
    rec = simulate_recording(10.0, 10.0, seed=1)
    with pytest.raises(InputError, match="20 Hz or more, got 10 Hz"):
        DeepDetector.pretrained().predict(rec)


def test_all_lost_recordings():
    runner = di.load_runner()
    lost = Recording(np.arange(1000) / 500.0, np.full(1000, np.nan), np.full(1000, np.nan),
                     screen=SCREEN)
    # 2 s of loss is looking away (undefined), 0.2 s a blink: the shared rule
    assert runner.predict(lost).tolist() == [Label.UNDEFINED] * 1000
    assert runner.predict(lost.select(slice(0, 100))).tolist() == [Label.BLINK] * 100
    np.testing.assert_array_equal(DeepDetector.pretrained().predict(lost), runner.predict(lost))


def test_model_trained_at_another_rate(tmp_path, monkeypatch):
    monkeypatch.setenv("GAZELEARN_CACHE", str(tmp_path / "cache"))
    data = simulate_population(n_subjects=3, recordings_per_subject=1, duration_s=10.0,
                               sampling_rate=250.0, seed=6)
    detector = DeepDetector(sampling_rate=250.0, conv_channels=8, epochs=2, seed=0,
                            num_threads=1, progress=False).fit(list(data))
    path = detector.save(tmp_path / "m250.safetensors")
    runner = di.load_runner(path)
    assert runner.sampling_rate == 250.0 and runner.margin == 129
    for rate in (250.0, 500.0, 1000.0):
        rec = simulate_recording(4.0, rate, seed=3)
        labels = runner.predict(rec)
        assert labels.shape == (len(rec),)
        np.testing.assert_array_equal(labels, detector.predict(rec))
    with pytest.raises(InputError, match="does not fit the trained network"):
        DeepDetector.pretrained(path, sampling_rate=500.0)


def test_augmented_copies_keep_their_labels_aligned():
    rec = simulate_recording(6.0, 500.0, seed=5)
    rng = np.random.default_rng(3)
    rates = set()
    for _ in range(12):
        copy = augment_recording(rec, rng)
        rate = round(copy.sampling_rate)
        rates.add(rate)
        assert rate in {round(r) for r in RATES_HZ}
        # every label is the original's at the nearest original time
        nearest = np.clip(np.round(copy.time * 500.0).astype(int), 0, len(rec) - 1)
        agree = np.mean(copy.labels == rec.labels[nearest])
        assert agree > 0.99
        # the added noise is white, under 0.05 deg RMS per axis
        if rate == 500:
            x0, _ = rec.position_deg()
            x1, _ = copy.position_deg()
            assert np.nanstd(x1 - x0) <= 0.05 * 1.1
    assert len(rates) >= 3
    sims = simulated_recordings(2, seed=0, duration_s=3.0)
    assert len(sims) == 2 and {s.meta.subject for s in sims} != {sims[0].meta.subject}


def test_augmented_training_keeps_copies_in_their_group():
    data = simulate_population(n_subjects=2, recordings_per_subject=1, duration_s=4.0, seed=1)
    detector = DeepDetector(augment=2, simulated=1, conv_channels=4, epochs=1, seed=0,
                            num_threads=1, progress=False)
    recordings, labels, groups = detector._augmented(list(data), [r.labels for r in data],
                                                     ["a", "b"])
    assert len(recordings) == 2 + 4 + 1
    assert groups == ["a", "b", "a", "a", "b", "b", "simulated:0"]
    assert all(len(r) == len(lab) for r, lab in zip(recordings, labels, strict=True))
    detector.fit(list(data), groups=["a", "b"])
    assert detector.training_summary_["recordings"] == 7


def test_runner_pickles_without_its_session():
    import pickle

    runner = di.load_runner()
    runner.session()
    copy = pickle.loads(pickle.dumps(runner))
    rec = replace(simulate_recording(2.0, 500.0, seed=1))
    np.testing.assert_array_equal(copy.predict(rec), runner.predict(rec))


def test_shipped_model_and_its_onnx_graph_agree():
    # events detect runs the graph beside the shipped file only if it holds that file's sha256
    assert di.cached_onnx(di.DEFAULT_MODEL) == di.onnx_sidecar(di.DEFAULT_MODEL)
    shipped = DeepDetector.pretrained()
    assert (shipped.features, shipped.depth, shipped.sampling_rate) == ("context", 9, 500.0)
    assert di.load_runner().margin == di.receptive_half_width("tcn", 9)


def _context_by_definition(x, y, valid, rate, scales_s=di.CONTEXT_SCALES_S):
    """The context features window by window, in float64 (the reference of the fast path):
    lost samples interpolated, each centred window cut at the signal's ends."""
    index = np.flatnonzero(valid)
    x = np.interp(np.arange(len(x)), index, x[index])
    y = np.interp(np.arange(len(y)), index, y[index])
    n = len(x)
    out = np.zeros((n, 3 * len(scales_s)))
    for k, scale in enumerate(scales_s):
        half = max(1, int(round(scale * rate / 2)))
        for i in range(n):
            first, last = max(i - half, 0), min(i + half, n - 1)
            wx, wy = x[first:last + 1], y[first:last + 1]
            displacement = np.hypot(wx[-1] - wx[0], wy[-1] - wy[0])
            path = np.hypot(np.diff(wx), np.diff(wy)).sum()
            out[i, 3 * k] = np.arcsinh(displacement / (max(last - first, 1) / rate) / 3.0)
            out[i, 3 * k + 1] = displacement / max(path, 1e-9)
            out[i, 3 * k + 2] = np.arcsinh(np.sqrt(wx.var() + wy.var()) / 0.5)
    return out


@pytest.mark.parametrize("block", [97, 1000, di.FEATURE_BLOCK])
def test_fast_context_features_equal_their_definition(block, monkeypatch):
    # blocks of 97 samples put block edges inside every window scale (25-100 samples each
    # side) and cut windows at both ends of the signal inside the first and last block
    monkeypatch.setattr(di, "FEATURE_BLOCK", block)
    rec = simulate_recording(3.0, 500.0, seed=7)
    x, y = rec.position_deg()
    valid = np.isfinite(x) & np.isfinite(y)
    valid[700:760] = False  # a lost stretch, bridged by interpolation
    x, y = np.where(valid, x, np.nan), np.where(valid, y, np.nan)
    fast = di.context_features(x, y, valid, 500.0)
    assert fast.dtype == np.float32 and fast.shape == (1500, 12)
    np.testing.assert_allclose(fast, _context_by_definition(x, y, valid, 500.0), atol=1e-5,
                               rtol=0)
    # the whole feature set does not depend on the block size
    monkeypatch.setattr(di, "FEATURE_BLOCK", 1 << 20)
    whole, _ = di.detector_features(rec, 500.0, "context")
    monkeypatch.setattr(di, "FEATURE_BLOCK", block)
    np.testing.assert_allclose(di.detector_features(rec, 500.0, "context")[0], whole,
                               atol=1e-6, rtol=0)


def test_short_signals_have_features_of_cut_windows():
    # 7 samples, shorter than every window (51-201 samples): each window is the whole signal
    # cut at its ends, as the definition says
    x = np.array([0.0, 0.1, 0.3, 0.2, 0.5, 0.4, 0.9])
    y = np.array([0.0, 0.0, 0.1, 0.1, 0.2, 0.3, 0.3])
    valid = np.ones(7, bool)
    np.testing.assert_allclose(di.context_features(x, y, valid, 500.0),
                               _context_by_definition(x, y, valid, 500.0), atol=1e-6, rtol=0)


def test_graphs_of_an_older_form_are_exported_anew(context_model, tmp_path, monkeypatch):
    import onnx

    monkeypatch.setenv("GAZELEARN_CACHE", str(tmp_path / "cache"))
    path = context_model.save(tmp_path / "m.safetensors")
    sidecar = di.onnx_sidecar(path)
    assert di.onnx_identity(sidecar)[1] == di.GRAPH_FORMAT == "conv2d"
    ops = {node.op_type for node in onnx.load(sidecar).graph.node}
    assert "Conv" in ops
    # the graph as written before the 2-D form: the same weights' digest, no graph form
    graph = onnx.load(sidecar)
    kept = [p for p in graph.metadata_props if p.key != "gazelearn_graph"]
    del graph.metadata_props[:]
    graph.metadata_props.extend(kept)
    onnx.save(graph, sidecar)
    assert di.cached_onnx(path) is None
    runner = di.load_runner(path)  # exported to the cache in the current form
    assert runner.onnx.parent == tmp_path / "cache" / "onnx"
    assert di.onnx_identity(runner.onnx) == (di.model_digest(path), "conv2d")
    rec = simulate_recording(5.0, 500.0, seed=9)
    np.testing.assert_array_equal(runner.predict(rec), context_model.predict(rec))


def test_tcn_gru_graph_adds_the_gru_part_of_the_output_layer_at_the_coarse_rate(
        gru_model, tmp_path, monkeypatch):
    import onnx
    import torch

    from gazelearn.detection.deep import _Conv2dForm

    # the exported form (output layer split, its GRU columns applied before the repeat) is the
    # network's sum, also when the length is not a multiple of the GRU's stride
    network = gru_model.network_.eval()
    x = torch.randn(2, 1003, 16)
    with torch.no_grad():
        np.testing.assert_allclose(_Conv2dForm(network).eval()(x).numpy(), network(x).numpy(),
                                   atol=1e-5, rtol=0)
    monkeypatch.setenv("GAZELEARN_CACHE", str(tmp_path / "cache"))
    path = gru_model.save(tmp_path / "gru.safetensors")
    sidecar = di.onnx_sidecar(path)
    assert di.onnx_identity(sidecar) == (di.model_digest(path), "conv2d-coarse-head")
    assert di.cached_onnx(path) == sidecar
    # a tcn-gru graph of the form before (the GRU's channels repeated, then concatenated):
    # the same scores more slowly, so exported anew
    graph = onnx.load(sidecar)
    for prop in graph.metadata_props:
        if prop.key == "gazelearn_graph":
            prop.value = "conv2d"
    onnx.save(graph, sidecar)
    assert di.cached_onnx(path) is None
    runner = di.load_runner(path)
    assert di.onnx_identity(runner.onnx) == (di.model_digest(path), "conv2d-coarse-head")
    rec = simulate_recording(5.0, 500.0, seed=9)
    np.testing.assert_array_equal(runner.predict(rec), gru_model.predict(rec))


#: The default model of issue 15 before its PSO logit shift (with its ONNX graph beside it).
ISSUE15_CONTEXT_MODEL = Path(__file__).parent / "data" / "deep_detector_issue15_context.safetensors"
LUND_VIDEO = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "lund2013-dev"
              / "video" / "TH46_video_BergoDalbana_labelled_RA.mat")


@pytest.mark.skipif(not LUND_VIDEO.is_file(), reason=f"{LUND_VIDEO} not present")
def test_cli_labels_of_a_lund_file_are_those_before_the_speed_work(tmp_path):
    # known answer: `events detect --method deep --samples` on this file before the blocked
    # features, the 2-D graph and the chunk changes (commit ae6ffd0): the labels did not move.
    # Computed with the model shipped then (kept in tests/detection/data since the shipped
    # one's PSO logit was shifted)
    from collections import Counter

    import polars as pl
    from typer.testing import CliRunner

    from gazelearn.cli.main import app

    out = tmp_path / "samples.csv"
    result = CliRunner().invoke(app, ["events", "detect", str(LUND_VIDEO), "--method", "deep",
                                      "--model", str(ISSUE15_CONTEXT_MODEL),
                                      "--samples", "--output", str(out)])
    assert result.exit_code == 0, result.output
    labels = pl.read_csv(out)["label"].to_list()
    assert sorted(Counter(labels).items()) == [("fixation", 1286), ("pso", 105),
                                               ("pursuit", 2578), ("saccade", 58)]
    assert hashlib.sha256(" ".join(labels).encode()).hexdigest() == (
        "55f8de969d0e3935cef9a79937ed15f2f02604b92717e7900cef20e82a41ccef")


@pytest.mark.parametrize("rate", [500.0, 250.0, 1000.0])
def test_detect_reuses_the_features_speed_only_where_it_is_the_events_one(rate):
    # at the model's own rate the features' velocity filter is speed_deg's: the events' peak
    # velocities come from it (not filtered twice); resampled inputs compute their own
    runner = di.load_runner()
    rec = simulate_recording(6.0, rate, seed=4)
    features, resampled, speed = di._features_and_speed(rec, runner.sampling_rate,
                                                        runner.features)
    from gazelearn.preprocess import speed_deg

    if rate == runner.sampling_rate:
        np.testing.assert_array_equal(speed, speed_deg(rec))
    else:
        assert speed is None and resampled is not rec
    expected = Events.from_labels(rec, runner.predict(rec))
    assert runner.detect(rec).frame.equals(expected.frame)
