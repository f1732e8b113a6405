"""Scanpath generation: next-point LSTM, mixture-density generator, realism measures, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from typer.testing import CliRunner

from gazelearn import Recording
from gazelearn.errors import InputError
from gazelearn.io import write_recording
from gazelearn.learn.modelfile import load_model, save_model
from gazelearn.scanpath.fixseq import fixation_sequence, render_fixations
from gazelearn.scanpath.generate import ScanpathGenerator, mixture_nll
from gazelearn.scanpath.nextpoint import NextPointPredictor, last_point_baseline, point_sequences
from gazelearn.scanpath.realism import (
    balanced_accuracy,
    dtw_distance,
    realism_scores,
    two_sample_test,
)

torch.set_num_threads(1)
EXTENT = (800, 600)


def circle_recordings(n: int = 6, samples: int = 60) -> list[Recording]:
    """Points going round a circle, 0.3 rad per sample, each recording from another phase."""
    t = np.arange(samples)
    return [Recording(t / 50.0, 400 + 150 * np.cos(0.3 * t + p), 300 + 150 * np.sin(0.3 * t + p))
            for p in np.linspace(0, 2 * np.pi, n, endpoint=False)]


def scanpaths(n: int, seed: int, left: bool = True, duration=(0.2, 0.4), samples: int = 100):
    """Fixation scanpaths in the left (or right) half of an 800 x 600 stimulus."""
    rng = np.random.default_rng(seed)
    lo, hi = (50, 350) if left else (450, 750)
    out = []
    for _ in range(n):
        k = 8
        out.append(render_fixations(rng.uniform(lo, hi, k), rng.uniform(50, 550, k),
                                    rng.uniform(*duration, k), np.full(k - 1, 0.04), 50.0,
                                    samples, 2.0, EXTENT, rng))
    return out


# ---------------------------------------------------------------------------- next point
def test_point_sequences_windows_and_targets():
    rec = Recording(np.arange(6) / 50.0, np.arange(6.0), 10 * np.arange(6.0))
    X, y, groups = point_sequences([rec, rec], length=3)
    assert X.shape == (6, 3, 2) and groups.tolist() == [0, 0, 0, 1, 1, 1]
    assert X[0, :, 0].tolist() == [0, 1, 2] and y[0].tolist() == [3, 30]
    # each step moves 1 px in x and 10 px in y: the last-point MAE is (1 + 10) / 2
    assert last_point_baseline(X, y) == pytest.approx(5.5)


def test_point_sequences_skip_lost_and_short():
    x = np.arange(8.0)
    x[5] = np.nan
    X, y, _ = point_sequences([Recording(np.arange(8) / 50, x, x)], length=2)
    assert y[:, 0].tolist() == [2, 3, 4]  # every window touching the lost sample 5 is left out
    with pytest.raises(InputError, match="longer than 20"):
        point_sequences([Recording(np.arange(10) / 50, np.ones(10), np.ones(10))])


def test_next_point_lstm_learns_a_circle():
    recs = circle_recordings()
    model = NextPointPredictor(length=5, epochs=20, lr=1e-2, batch_size=32, loss="mse",
                               validation_fraction=0.0, num_threads=1,
                               architecture_options={"hidden": 24}).fit(recs[:5])
    scores = model.evaluate(recs[5:])  # a held-out recording
    # steps are 2 * 150 * sin(0.15) = 44.8 px: the last point misses by ~28 px per coordinate
    assert scores["baseline_mae_px"] > 25
    assert scores["mae_px"] < 5


def test_next_point_model_file_round_trip(tmp_path):
    recs = circle_recordings(3, 30)
    model = NextPointPredictor(length=4, epochs=1, num_threads=1,
                               architecture_options={"hidden": 4}).fit(recs)
    path = save_model(model, tmp_path / "np.safetensors")
    again = load_model(path)
    assert np.allclose(again.predict_next(recs[0]), model.predict_next(recs[0]))


# ---------------------------------------------------------------------------- generator
def test_mixture_nll_hand_computed():
    # two equal components N(0, 1) and N(2, 1) in 1-D at x = 1: p = N(1; 0, 1) = e^-0.5 / sqrt(2 pi)
    nll = mixture_nll(torch.zeros(2), torch.tensor([[0.0], [2.0]]), torch.zeros(2, 1),
                      torch.tensor([1.0]))
    assert float(nll) == pytest.approx(0.5 + 0.5 * math.log(2 * math.pi), abs=1e-6)
    # one 2-D component with sigmas (2, 0.5) at its mean: -log p = log(2 pi) + log(2 * 0.5)
    nll = mixture_nll(torch.zeros(1), torch.tensor([[1.0, 2.0]]),
                      torch.log(torch.tensor([[2.0, 0.5]])), torch.tensor([1.0, 2.0]))
    assert float(nll) == pytest.approx(math.log(2 * math.pi), abs=1e-6)
    # weights 0.25 / 0.75 (logits 0, log 3): p = 0.25 N(0; 0, 1) + 0.75 N(0; 3, 1)
    p = 0.25 / math.sqrt(2 * math.pi) + 0.75 * math.exp(-4.5) / math.sqrt(2 * math.pi)
    nll = mixture_nll(torch.tensor([0.0, math.log(3.0)]), torch.tensor([[0.0], [3.0]]),
                      torch.zeros(2, 1), torch.tensor([0.0]))
    assert float(nll) == pytest.approx(-math.log(p), abs=1e-6)


@pytest.fixture(scope="module")
def generator():
    return ScanpathGenerator(extent=EXTENT, epochs=15, hidden=8, components=2,
                             num_threads=1).fit(scanpaths(10, seed=0))


def test_samples_count_length_bounds_and_seed(generator):
    fake = generator.sample(4, length=70, seed=3)
    assert [len(r) for r in fake] == [70] * 4
    for rec in fake:
        assert rec.sampling_rate == pytest.approx(50.0)
        assert ((rec.x >= 0) & (rec.x < 800) & (rec.y >= 0) & (rec.y < 600)).all()
    again = generator.sample(4, length=70, seed=3)
    other = generator.sample(4, length=70, seed=4)
    assert all(np.array_equal(a.x, b.x) for a, b in zip(fake, again, strict=True))
    assert not np.array_equal(fake[0].x, other[0].x)
    # without a length, lengths are those of training recordings (all 100 here)
    assert {len(r) for r in generator.sample(3, seed=0)} == {100}


def test_generator_model_file_round_trip(generator, tmp_path):
    path = save_model(generator, tmp_path / "gen.safetensors")
    again = load_model(path)
    assert again.extent_ == (800.0, 600.0) and again.sampling_rate_ == pytest.approx(50.0)
    a, b = generator.sample(2, length=50, seed=9), again.sample(2, length=50, seed=9)
    assert all(np.allclose(r.x, s.x) for r, s in zip(a, b, strict=True))


def test_generator_needs_the_stimulus_size():
    with pytest.raises(InputError, match="stimulus size is unknown"):
        ScanpathGenerator(epochs=1).fit(scanpaths(3, seed=1))


def test_unfitted_and_bad_sample_arguments(generator):
    with pytest.raises(NotFittedError, match="not trained"):
        ScanpathGenerator(extent=EXTENT).sample(2)
    with pytest.raises(InputError, match="n must be"):
        generator.sample(0)
    with pytest.raises(InputError, match="length"):
        generator.sample(2, length=0)


# ---------------------------------------------------------------------------- realism
def test_render_then_detect_recovers_fixations():
    rec = render_fixations([100, 500, 300], [100, 100, 400], [0.3, 0.5, 0.4], [0.04, 0.04],
                           50.0, 62, 1.0, EXTENT, np.random.default_rng(0))
    seq = fixation_sequence(rec, dispersion_px=30.0)
    assert np.allclose(seq.x, [100, 500, 300], atol=1) and np.allclose(seq.y, [100, 100, 400],
                                                                       atol=1)
    assert np.allclose(seq.amplitudes, [400, math.hypot(200, 300)], atol=2)


def test_dtw_known_answers():
    # identical paths, one with a repeated point: warping absorbs the repeat
    assert dtw_distance([[0, 0], [10, 0]], [[0, 0], [0, 0], [10, 0]]) == 0.0
    # 1-D: a = (0, 1, 2), b = (0, 2): best path (0,0) (1,0 or 1,1) (2,1) costs 0 + 1 + 0
    assert dtw_distance([0, 1, 2], [0, 2]) == 1.0
    assert dtw_distance([0, 1, 2], [0, 2], normalize=True) == pytest.approx(1 / 3)
    # a single point against a path: the sum of the distances to every point
    assert dtw_distance([[0, 0]], [[3, 4], [6, 8]]) == 15.0
    with pytest.raises(InputError):
        dtw_distance([], [[0, 0]])


def test_balanced_accuracy():
    assert balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0]) == 0.5
    assert balanced_accuracy([0, 1, 1, 1], [0, 1, 1, 0]) == pytest.approx((1 + 2 / 3) / 2)


def test_two_sample_test_different_and_same_sets():
    left = scanpaths(15, seed=1)
    right = scanpaths(15, seed=2, left=False, duration=(0.6, 0.9))
    different = two_sample_test(left, right, EXTENT, n_boot=200,
                                n_estimators=50)
    assert different["balanced_accuracy"] > 0.9
    same = two_sample_test(left, scanpaths(15, seed=3), EXTENT, n_boot=200,
                                n_estimators=50)
    assert 0.2 <= same["balanced_accuracy"] <= 0.75
    assert same["ci_low"] < 0.5 < same["ci_high"]


def test_realism_scores_of_a_set_against_itself():
    real = scanpaths(6, seed=5)
    scores = realism_scores(real, real, EXTENT, two_sample=False)
    assert scores["duration_ks"] == 0 and scores["amplitude_ks"] == 0
    assert scores["heatmap_cc"] == pytest.approx(1.0) and scores["heatmap_kl"] < 1e-9
    assert scores["dtw_px"] > 0  # averaged over all pairs, not only a path with itself
    far = realism_scores(scanpaths(6, seed=6, left=False), real, EXTENT, two_sample=False)
    assert far["heatmap_cc"] < 0.2 and far["dtw_px"] > scores["dtw_px"]


# ---------------------------------------------------------------------------- CLI
def _invoke(*args):
    from gazelearn.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_train_generator_then_generate(tmp_path):
    from PIL import Image

    data = tmp_path / "data"
    data.mkdir()
    for i, rec in enumerate(scanpaths(6, seed=7)):
        write_recording(rec, data / f"r{i}.csv")
    image = tmp_path / "stimulus.png"
    Image.new("RGB", EXTENT, "white").save(image)
    model = tmp_path / "gen.safetensors"
    result = _invoke("scanpath", "train-generator", data, "--stimulus", image, "--output", model,
                     "--epochs", 1, "--generator-epochs", 2, "--test-fraction", 0.34)
    assert result.exit_code == 0, result.output
    assert "MAE" in result.output and "baseline" in result.output and model.is_file()
    out = tmp_path / "out"
    result = _invoke("scanpath", "generate", model, "--n", 3, "--output", out, "--length", 40,
                     "--seed", 1)
    assert result.exit_code == 0, result.output
    csvs = sorted(out.glob("*.csv"))
    assert len(csvs) == 3 and (out / "scanpaths.png").stat().st_size > 1000
    from gazelearn.io import read

    rec = read(csvs[0])
    assert len(rec) == 40 and ((rec.x >= 0) & (rec.x < 800)).all()


def test_cli_bad_inputs(tmp_path):
    from gazelearn.learn import create

    tree = create("tree").fit(np.eye(4), [0, 1, 0, 1])
    not_generator = save_model(tree, tmp_path / "tree.safetensors")
    result = _invoke("scanpath", "generate", not_generator, "--output", tmp_path / "o")
    assert result.exit_code == 1 and "not a scanpath generator" in result.output
    result = _invoke("scanpath", "generate", not_generator, "--n", 0, "--output", tmp_path / "o")
    assert result.exit_code == 1 and "--n must be at least 1" in result.output
    data = tmp_path / "data"
    data.mkdir()
    for i, rec in enumerate(scanpaths(3, seed=8)):
        write_recording(rec, data / f"r{i}.csv")
    result = _invoke("scanpath", "train-generator", data, "--output", tmp_path / "g.safetensors",
                     "--epochs", 1, "--generator-epochs", 1, "--test-fraction", 0)
    assert result.exit_code == 1 and "stimulus size is unknown" in result.output
    result = _invoke("scanpath", "train-generator", data, "--output", tmp_path / "nosuffix",
                     "--extent", 800, 600)
    assert result.exit_code == 1 and "suffix" in result.output


def test_stimulus_is_found_beside_the_recordings_and_the_error_lists_what_was_tried(
        tmp_path, monkeypatch):
    from PIL import Image

    from gazelearn.cli.scanpath_generate_commands import find_stimulus

    data = tmp_path / "animals"
    data.mkdir()
    for i, rec in enumerate(scanpaths(3, seed=8)):
        write_recording(rec, data / f"r{i}.csv")
    Image.new("RGB", EXTENT, "white").save(data / "animal-11.png")
    monkeypatch.chdir(tmp_path)  # the name alone is not in the working directory
    csvs = sorted(Path("animals").glob("*.csv"))
    assert find_stimulus(Path("animal-11.png"), csvs) == Path("animals") / "animal-11.png"
    assert find_stimulus(Path("animal-11.png"), [Path("animals")]) == \
        Path("animals") / "animal-11.png"
    assert find_stimulus(Path("animals/animal-11.png"), csvs) == Path("animals/animal-11.png")
    result = _invoke("scanpath", "train-generator", *csvs, "--stimulus", "nope.png",
                     "--output", "g.safetensors")
    assert result.exit_code == 1
    assert f"tried nope.png, {Path('animals') / 'nope.png'}" in result.output
    result = _invoke("scanpath", "train-generator", *csvs, "--stimulus", "animal-11.png",
                     "--output", "g.safetensors", "--epochs", 1, "--generator-epochs", 1,
                     "--test-fraction", 0)
    assert result.exit_code == 0, result.output
    assert load_model("g.safetensors").stimulus_ == str((data / "animal-11.png").resolve())


def test_animals_recordings_give_fixation_sequences(shared_data):
    from gazelearn.io import read

    folder = shared_data / "etra2021" / "animals"
    if not folder.is_dir():
        pytest.skip(f"ETRA 2021 animals data not found at {folder}")
    recs = [read(p, format="etra-animals") for p in sorted(folder.glob("A1*.csv"))[:3]]
    seqs = [fixation_sequence(r) for r in recs]
    assert all(len(s) >= 1 for s in seqs)
    assert all(((s.duration >= 0.1) & (s.duration < 3)).all() for s in seqs)
    X, y, groups = point_sequences(recs)
    assert X.shape[1:] == (20, 2) and len(np.unique(groups)) == 3
