"""ScanpathClassifier and cross_validate on synthetic recordings with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn.errors import InputError
from gazelearn.learn import read_model_info, save_model
from gazelearn.report.scanpath_results import cross_validation_report
from gazelearn.scanpath.classify import MODELS, ScanpathClassifier, load_classifier
from gazelearn.scanpath.evaluate import cross_validate, format_confusion

from ._classify_data import half, walk

FAST = {"epochs": 8, "lr": 0.01, "num_threads": 1, "progress": False}


def _halves(seed: int, n: int, **kwargs):
    rng = np.random.default_rng(seed)
    labels = ["left", "right"] * (n // 2)
    return [half(s, rng, **kwargs) for s in labels], np.array(labels)


def _walks(seed: int, n: int, **kwargs):
    rng = np.random.default_rng(seed)
    labels = ["slow", "fast"] * (n // 2)
    return [walk(s, rng, **kwargs) for s in labels], np.array(labels)


def test_heatmap_cnn_separates_left_from_right_on_new_recordings():
    train, y = _halves(0, 16)
    test, y_test = _halves(1, 8)
    clf = ScanpathClassifier("heatmap-cnn", grid=(16, 12), epochs=15, lr=0.01, num_threads=1)
    clf.fit(train, y)
    assert clf.kind_ == "map" and clf.model_.input_shape_ == (1, 12, 16)
    assert (clf.predict(test) == y_test).all()
    proba = clf.predict_proba(test)
    assert proba.shape == (8, 2) and np.allclose(proba.sum(axis=1), 1)


@pytest.mark.parametrize("model", ["tree", "forest", "knn", "svm", "mlp", "conv1d", "lstm",
                                   "multi"])
def test_window_models_separate_slow_from_fast_walks(model):
    train, y = _walks(0, 12)
    test, y_test = _walks(1, 6)
    # kNN on signed velocities fails here for a real reason: a fast window is about as far
    # from another fast window (random directions) as from a slow one; speed fixes that
    features = ("speed",) if model == "knn" else ("vx", "vy")
    clf = ScanpathClassifier(model, window=30, grid=(8, 6), features=features, **FAST)
    clf.fit(train, y)
    assert clf.velocity_unit_ == "deg/s" and clf.channels_ == [*features, "valid"]
    # 150 samples, windows of 30 every 15 samples: 9 windows per recording
    assert clf.n_windows_ == 12 * 9
    assert (clf.predict(test) == y_test).all(), model


def test_recording_probability_is_the_mean_window_probability():
    train, y = _walks(0, 8)
    clf = ScanpathClassifier("forest", window=40, step=40).fit(train, y)
    scores = clf.window_proba(train[:3])
    # 150 samples = 3 windows of 40 + one padded window holding the last 30
    assert scores.recording.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    expected = np.stack([scores.proba[scores.recording == r].mean(axis=0) for r in range(3)])
    assert np.allclose(clf.predict_proba(train[:3]), expected)


@pytest.mark.parametrize("model", ["tree", "knn", "svm", "conv1d", "heatmap-cnn", "multi"])
def test_model_file_round_trip_predicts_identically(tmp_path, model):
    train, y = _walks(0, 8)
    clf = ScanpathClassifier(model, window=30, grid=(8, 6), **FAST).fit(train, y)
    path = save_model(clf, tmp_path / "model.safetensors")
    again = load_classifier(path)
    assert np.array_equal(again.predict_proba(train), clf.predict_proba(train))
    assert again.classes_.tolist() == ["fast", "slow"]
    pre = read_model_info(path)["preprocessing"]
    assert pre["window_length"] == 30 and pre["step"] == 15 and pre["grid"] == [8, 6]
    assert pre["model"] == model and pre["sampling_rate"] == 60.0


def test_without_a_screen_the_area_and_blur_are_learned_and_stored(tmp_path):
    train, y = _halves(0, 8, screen=None)
    clf = ScanpathClassifier("multi", window=30, grid=(8, 6), **FAST).fit(train, y)
    # 99th percentile of x (< 950) and y (< 700), rounded up to 16 px; blur 1/40 of the width
    assert clf.velocity_unit_ == "px/s" and not clf.has_screen_
    assert clf.extent_ == (960.0, 704.0) and clf.sigma_px_ == 24.0
    again = load_classifier(save_model(clf, tmp_path / "m.safetensors"))
    assert again.extent_ == (960.0, 704.0)
    assert np.array_equal(again.predict_proba(train), clf.predict_proba(train))


def test_new_recordings_must_match_the_training_units_and_are_resampled_to_its_rate():
    train, y = _walks(0, 6)
    clf = ScanpathClassifier("tree", window=30).fit(train, y)
    assert clf.sampling_rate_ == 60.0 and clf.n_resampled_ == 0
    no_screen, _ = _walks(2, 2, screen=None)
    with pytest.raises(InputError, match="deg/s.*no screen"):
        clf.predict(no_screen)
    # 300 samples at 120 Hz = 2.5 s = 150 samples at 60 Hz: 9 windows, as at 60 Hz
    rng = np.random.default_rng(3)
    y_fast = ["slow", "fast"]
    fast_rate = [walk(speed, rng, n=300, rate=120.0) for speed in y_fast]
    scores = clf.window_proba(fast_rate)
    assert np.bincount(scores.recording).tolist() == [9, 9]
    mixed = ScanpathClassifier("tree", window=30).fit([*train, *fast_rate], [*y, *y_fast])
    assert mixed.n_resampled_ == 2 and mixed.n_windows_ == 8 * 9


def test_bad_input_is_refused_with_a_clear_error():
    train, y = _walks(0, 4)
    with pytest.raises(InputError, match="unknown scanpath model 'cnn'.*heatmap-cnn"):
        ScanpathClassifier("cnn").fit(train, y)
    with pytest.raises(InputError, match="4 recordings but 3 labels"):
        ScanpathClassifier("tree").fit(train, y[:3])
    with pytest.raises(InputError, match="at least two classes"):
        ScanpathClassifier("tree").fit(train, ["a"] * 4)
    assert set(MODELS) == {"tree", "forest", "knn", "svm", "lda", "nb", "mlp", "conv1d", "lstm",
                           "gru", "heatmap-cnn", "multi"}  # every name `gazelearn models` lists


def test_cross_validation_leaves_whole_participants_out(tmp_path):
    recs, y = _walks(0, 16)
    persons = np.repeat(np.arange(8), 2).astype(str)   # every person did both speeds
    result = cross_validate(recs, y, persons, model="tree", folds=4, window=30)
    for k in range(4):
        test_persons = set(persons[result.fold == k])
        assert test_persons and not test_persons & set(persons[result.fold != k])
    assert result.recording["accuracy"] == 1.0 and result.recording["kappa"] == 1.0
    assert len(result.window_true) == 16 * 9 and result.window["accuracy"] > 0.9
    assert result.recording["confusion"] == [[8, 0], [0, 8]]
    assert "group 4-fold by group (8 groups)" in result.split
    text = result.summary()
    assert "recording level: accuracy 1.000, kappa 1.000" in text and "true\\pred" in text
    html = cross_validation_report(result).save(tmp_path / "cv.html").read_text()
    assert html.count("data:image/png;base64,") == 2


def test_cross_validation_without_groups_leaves_recordings_out():
    recs, y = _walks(0, 8)
    result = cross_validate(recs, y, model="tree", folds=4, window=30)
    assert "by recording (8 recordings)" in result.split
    assert sorted(np.bincount(result.fold).tolist()) == [2, 2, 2, 2]


def test_cross_validation_refuses_fewer_groups_than_folds():
    recs, y = _walks(0, 8)
    with pytest.raises(InputError, match="5 folds need at least 5 groups.*3"):
        cross_validate(recs, y, ["a", "a", "b", "b", "c", "c", "a", "b"], model="tree",
                       folds=5)
    with pytest.raises(InputError, match="unknown scanpath model"):
        cross_validate(recs, y, model="nope")


def test_format_confusion_aligns_columns():
    text = format_confusion({"labels": ["bus", "rabbits"], "confusion": [[12, 3], [0, 104]]})
    assert text.splitlines() == ["true\\pred  bus  rabbits", "bus         12        3",
                                 "rabbits      0      104"]
