"""The deep detector's benchmark helpers: bootstrap cells equal the pooled scores, splits never
put a subject on both sides, predictions round-trip through their file."""

import sys
from pathlib import Path

import numpy as np
import pytest

from gazelearn.detection.evaluate import evaluate_labels
from gazelearn.labels import LABELS
from gazelearn.simulate import simulate_recording

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
events_deep = pytest.importorskip("events_deep")
events_deep_ci = pytest.importorskip("events_deep_ci")
events_finetune = pytest.importorskip("events_finetune")


def _pairs(seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(5):
        truth = simulate_recording(4.0, 500.0, seed=seed + k).labels
        pred = truth.copy()
        flip = rng.random(len(pred)) < 0.1  # a tenth of the samples get a random label
        pred[flip] = rng.integers(0, 6, flip.sum())
        out.append((truth, pred))
    return out


def test_cell_counts_give_the_pooled_kappa_and_event_f1():
    pairs = _pairs(3)
    scores = evaluate_labels(pairs)
    per_recording = np.stack([events_deep_ci.counts(t, p) for t, p in pairs])
    cells = events_deep_ci.cell_intervals(per_recording, None, n_boot=50, seed=0)
    for name, cell in cells.items():
        assert cell["kappa"][0] == pytest.approx(scores.kappa_per_class[name], abs=1e-3)
        assert cell["event_f1"][0] == pytest.approx(scores.events[name].f1, abs=1e-3)
        low, high = cell["kappa"][1:]
        assert low <= cell["kappa"][0] <= high


def test_a_cell_of_one_recording_has_no_spread():
    truth, pred = _pairs(5)[0]
    per_recording = events_deep_ci.counts(truth, pred)[None]
    cell = events_deep_ci.cell_intervals(per_recording, None, n_boot=20, seed=0)["fixation"]
    assert cell["kappa"][0] == cell["kappa"][1] == cell["kappa"][2]


def test_fine_tuning_splits_keep_subjects_apart():
    subjects = ["A", "A", "B", "C", "C", "D", "E"]
    kinds = ["dots"] * 5 + ["img"] * 2
    splits = events_finetune.splits_of(subjects, kinds, [set("ABCDE")], max_splits=5)
    assert splits
    for split in splits:
        tuned, tested = {subjects[i] for i in split["tune"]}, {subjects[i] for i in split["test"]}
        assert not tuned & tested and 2 <= len(split["tune"]) <= 3
        assert {kinds[i] for i in split["tune"] + split["test"]} == {split["kind"]}
    gazecom = events_finetune.gazecom_splits(["A"] * 5 + ["B"] * 5, [{"A", "B"}], 2)
    assert [len(s["tune"]) for s in gazecom] == [3, 3]
    assert all(not {i // 5 for i in s["tune"]} & {i // 5 for i in s["test"]} for s in gazecom)


def test_saved_predictions_round_trip(tmp_path):
    recordings = [simulate_recording(2.0, 500.0, seed=s) for s in range(3)]
    post = [r.labels for r in recordings]
    raw = [np.full(len(r), LABELS.index("fixation"), dtype=np.int8) for r in recordings]
    path = events_deep.save_predictions(tmp_path / "p.npz", recordings, ["lund2013-dev"] * 3,
                                        ["s1", "s2", "s3"], ["img", "dots", "img"], post, raw)
    saved = np.load(path)
    offsets = saved["offsets"]
    for i, rec in enumerate(recordings):
        np.testing.assert_array_equal(saved["labels"][offsets[i]:offsets[i + 1]], rec.labels)
        np.testing.assert_array_equal(saved["labels_raw"][offsets[i]:offsets[i + 1]], raw[i])
    assert saved["group"].tolist() == ["img", "dots", "img"]
    assert saved["labels"].dtype == np.int8


def test_ci_of_another_model_file_labels_with_that_model(monkeypatch, capsys):
    from gazelearn.detection.deep_inference import load_runner

    model = Path(__file__).parent / "data" / "deep_detector_issue14.safetensors"
    recordings = [simulate_recording(3.0, 500.0, seed=s) for s in range(3)]
    monkeypatch.setattr(events_deep_ci.events_lund, "load_lund",
                        lambda path: (recordings, ["video", "img", "video"]))
    cells = events_deep_ci.shipped_lund(Path("unused"), model)
    assert list(cells) == ["img", "video"]  # in the order of KINDS
    runner = load_runner(model, num_threads=1)
    np.testing.assert_array_equal(cells["video"][1][1], runner.predict(recordings[2]))
    with pytest.raises(SystemExit):
        events_deep_ci.main(["--shipped-gazecom", "--model", "no_such_model.safetensors"])
    assert "no such file" in capsys.readouterr().err


def test_ci_of_an_ensemble_averages_the_class_probabilities(monkeypatch):
    from gazelearn.detection.deep_inference import DEFAULT_MODEL, labels_from_scores, load_runner

    other = Path(__file__).parent / "data" / "deep_detector_issue14.safetensors"
    recordings = [simulate_recording(3.0, 500.0, seed=s) for s in range(2)]
    monkeypatch.setattr(events_deep_ci.events_lund, "load_lund",
                        lambda path: (recordings, ["img", "video"]))
    single = events_deep_ci.shipped_lund(Path("unused"), [DEFAULT_MODEL])
    twice = events_deep_ci.shipped_lund(Path("unused"), [DEFAULT_MODEL, DEFAULT_MODEL])
    for kind in single:  # a model with itself: its own labels
        np.testing.assert_array_equal(twice[kind][1][0], single[kind][1][0])
    both = events_deep_ci.shipped_lund(Path("unused"), [DEFAULT_MODEL, other])
    runners = [load_runner(m, num_threads=1) for m in (DEFAULT_MODEL, other)]
    mean = np.mean([r.scores(recordings[1], probabilities=True) for r in runners], axis=0)
    np.testing.assert_array_equal(both["video"][1][0],
                                  labels_from_scores(mean, recordings[1], model_rate=500.0))
