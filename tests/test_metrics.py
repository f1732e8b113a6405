"""Known-answer tests of gazelearn.metrics, and agreement with scikit-learn."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

import gazelearn.metrics as gm
from gazelearn import InputError, Screen

DOCS = Path(__file__).resolve().parents[1] / "docs" / "metrics_and_splits.md"








# ---------------------------------------------------------------------------- classification
Y_TRUE = np.array([1, 1, 1, 1, 2, 2, 2, 3, 3, 1])
Y_PRED = np.array([1, 1, 2, 1, 2, 2, 3, 3, 1, 1])


def test_confusion_matrix_by_hand_and_label_order():
    cm = gm.confusion_matrix(Y_TRUE, Y_PRED)
    assert cm.tolist() == [[4, 1, 0], [0, 2, 1], [1, 0, 1]]
    assert gm.confusion_matrix(Y_TRUE, Y_PRED, labels=[3, 1]).tolist() == [[1, 1], [0, 4]]
    np.testing.assert_array_equal(gm.confusion_matrix(Y_TRUE, Y_PRED, labels=[2, 3, 1]),
                                  skm.confusion_matrix(Y_TRUE, Y_PRED, labels=[2, 3, 1]))
    with pytest.raises(InputError):
        gm.confusion_matrix([1, 2], [1])
    with pytest.raises(InputError):
        gm.confusion_matrix([1, 2], [1, 2], labels=[1, 1])


def test_precision_recall_f1_by_hand():
    p, r, f, s = gm.precision_recall_f1(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(p, [4 / 5, 2 / 3, 1 / 2])
    np.testing.assert_allclose(r, [4 / 5, 2 / 3, 1 / 2])
    assert s.tolist() == [5, 3, 2]
    assert gm.accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classification_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 5, 300))
    labels = np.union1d(y_true, y_pred)
    assert gm.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    p, r, f, s = gm.precision_recall_f1(y_true, y_pred)
    sp, sr, sf, ss = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                         zero_division=0)
    np.testing.assert_allclose(p, sp)
    np.testing.assert_allclose(r, sr)
    np.testing.assert_allclose(f, sf)
    np.testing.assert_array_equal(s, ss)
    for average in ("macro", "weighted", "micro"):
        ours = gm.precision_recall_f1(y_true, y_pred, average=average)[:3]
        theirs = skm.precision_recall_fscore_support(y_true, y_pred, average=average,
                                                     zero_division=0)[:3]
        np.testing.assert_allclose(ours, theirs)
    assert gm.cohen_kappa(y_true, y_pred) == pytest.approx(skm.cohen_kappa_score(y_true, y_pred))
    for label, kappa in gm.kappa_per_class(y_true, y_pred).items():
        expected = skm.cohen_kappa_score(y_true == label, y_pred == label)
        assert kappa == pytest.approx(expected)


def test_kappa_by_hand_and_degenerate():
    # p_o = 0.7; p_e = (5*5 + 3*3 + 2*2) / 100 = 0.38
    assert gm.cohen_kappa(Y_TRUE, Y_PRED) == pytest.approx((0.7 - 0.38) / 0.62)
    assert math.isnan(gm.cohen_kappa([1, 1], [1, 1]))
    assert gm.cohen_kappa([1, 2], [2, 1]) == pytest.approx(-1.0)
    # one-vs-rest for class 3: true [0..0,1,1,0], pred [0,0,0,0,0,0,1,1,0,0]
    # p_o = 8/10, p_e = 0.2*0.2 + 0.8*0.8 = 0.68
    assert gm.kappa_per_class(Y_TRUE, Y_PRED)[3] == pytest.approx((0.8 - 0.68) / 0.32)


def test_classification_report_and_table():
    report = gm.classification_report(["fix", "sac", "fix"], ["fix", "fix", "fix"])
    assert report["labels"] == ["fix", "sac"]
    assert report["per_class"]["sac"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                          "kappa": 0.0, "support": 1}
    assert report["confusion"] == [[2, 0], [1, 0]] and report["n"] == 3
    assert report["macro"]["recall"] == pytest.approx(0.5)
    named = gm.classification_report([1, 2], [1, 2], names=["fixation", "saccade"])
    assert list(named["per_class"]) == ["fixation", "saccade"]
    text = gm.format_report(named)
    assert "fixation" in text and text.splitlines()[-1].startswith("accuracy 1.000")
    with pytest.raises(InputError):
        gm.classification_report([1, 2], [1, 2], names=["only one"])
    with pytest.raises(InputError):
        gm.precision_recall_f1([1], [1], average="samples")


# ---------------------------------------------------------------------------- regression
def test_regression_by_hand_and_sklearn(rng):
    y, p = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 3.0, 2.0])
    assert gm.mae(y, p) == pytest.approx(0.75)
    assert gm.mse(y, p) == pytest.approx(1.25)
    assert gm.rmse(y, p) == pytest.approx(math.sqrt(1.25))
    assert gm.r2(y, p) == pytest.approx(1 - 5.0 / 5.0)
    y2, p2 = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    assert gm.mae(y2, p2) == pytest.approx(skm.mean_absolute_error(y2, p2))
    assert gm.mse(y2, p2) == pytest.approx(skm.mean_squared_error(y2, p2))
    assert gm.r2(y2, p2) == pytest.approx(skm.r2_score(y2, p2))
    assert gm.r2([1.0, 1.0], [1.0, 1.0]) == 1.0 and gm.r2([1.0, 1.0], [1.0, 2.0]) == 0.0


# ---------------------------------------------------------------------------- gaze error
def test_gaze_errors_by_hand():
    true = np.array([[100.0, 100.0], [0.0, 0.0], [5.0, 5.0]])
    pred = np.array([[103.0, 104.0], [0.0, 0.0], [np.nan, np.nan]])
    np.testing.assert_allclose(gm.error_px(true, pred), [5.0, 0.0, np.nan])
    screen = Screen(1600, 900, 400.0, 225.0, 600.0)
    np.testing.assert_allclose(gm.error_pct_diagonal(true, pred, screen)[:2],
                               [500.0 / math.hypot(1600, 900), 0.0])
    np.testing.assert_allclose(gm.error_pct_normalized(true, pred, (1600, 900))[:2],
                               [100 * math.hypot(3 / 1600, 4 / 900), 0.0])
    # exact angle: the centre to a point 300 mm to the right at 600 mm
    deg = gm.error_deg([[800.0, 450.0]], [[2000.0, 450.0]], screen)
    assert deg[0] == pytest.approx(math.degrees(math.atan(300.0 / 600.0)))
    summary = gm.gaze_error(true, pred, screen)
    assert set(summary) == {"px", "deg", "pct_diagonal", "pct_normalized"}
    assert summary["px"] == gm.ErrorSummary(2.5, 2.5, 2.5, 2, "px")
    assert set(gm.gaze_error(true, pred)) == {"px"}
    with pytest.raises(InputError):
        gm.error_px(true, pred[:2])
    with pytest.raises(InputError):
        gm.error_pct_normalized(true, pred, (0, 10))


def test_rms_s2s():
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 2.0], [np.nan, np.nan], [5.0, 5.0]])
    assert gm.rms_s2s(xy) == pytest.approx(math.sqrt((1 + 4) / 2))
    screen = Screen(1000, 1000, 500.0, 500.0, 500.0)
    still = np.tile([[500.0, 500.0]], (10, 1))
    assert gm.rms_s2s(still, screen) == 0.0
    assert math.isnan(gm.rms_s2s(xy[:1]))
    assert math.isnan(gm.summarize_errors([np.nan]).mean)


# ---------------------------------------------------------------------------- identification
def test_rank_k_and_cmc_on_small_matrix():
    # probes p0..p3 of identities A, B, C, A; gallery with two entries for A
    gallery = ["A", "A", "B", "C"]
    scores = np.array([
        [0.2, 0.9, 0.5, 0.1],   # A best via 2nd entry -> rank 1
        [0.8, 0.1, 0.7, 0.3],   # B behind A -> rank 2
        [0.6, 0.6, 0.9, 0.5],   # C behind B and A -> rank 3
        [0.4, 0.3, 0.2, 0.1],   # A -> rank 1
    ])
    probes = ["A", "B", "C", "A"]
    assert gm.rank_k_accuracy(scores, probes, gallery, k=1) == 0.5
    assert gm.rank_k_accuracy(scores, probes, gallery, k=2) == 0.75
    np.testing.assert_allclose(gm.cmc_curve(scores, probes, gallery), [0.5, 0.75, 1.0])
    np.testing.assert_allclose(gm.cmc_curve(-scores, probes, gallery, kind="distance",
                                            max_rank=2), [0.5, 0.75])
    # ties count against the probe
    assert gm.rank_k_accuracy([[1.0, 1.0]], ["A"], ["A", "B"]) == 0.0
    with pytest.raises(InputError, match="not in the gallery"):
        gm.rank_k_accuracy(scores, ["A", "B", "C", "D"], gallery)
    with pytest.raises(InputError):
        gm.rank_k_accuracy(scores[:, :3], probes, gallery)
    with pytest.raises(InputError):
        gm.rank_k_accuracy(scores, probes, gallery, k=0)


# ---------------------------------------------------------------------------- verification
def test_eer_known_answers():
    assert gm.eer([0.9, 0.8, 0.7], [0.1, 0.2, 0.3]) == 0.0
    assert gm.eer([0.1, 0.2], [0.8, 0.9]) == pytest.approx(1.0)
    # symmetric crossing: at threshold 0.65 one of four on each side is wrong
    value, threshold = gm.eer([0.6, 0.7, 0.8, 0.9], [0.1, 0.2, 0.3, 0.65],
                              return_threshold=True)
    assert value == pytest.approx(0.25) and threshold == pytest.approx(0.65)
    # interpolated: (FAR, FRR) goes from (1/2, 0) at 0.4 to (0, 1/2) at 0.5 -> EER 1/4
    assert gm.eer([0.5, 0.9], [0.1, 0.4]) == pytest.approx(0.0)
    assert gm.eer([0.4, 0.9], [0.1, 0.5]) == pytest.approx(0.5)
    assert gm.eer([0.45, 0.9], [0.1, 0.5, 0.4, 0.2]) == pytest.approx(0.25)


def test_eer_gaussian_scores():
    rng = np.random.default_rng(0)
    genuine, impostor = rng.normal(1.0, 1.0, 20000), rng.normal(-1.0, 1.0, 20000)
    # equal variances: EER = Phi(-1) = 0.1587
    assert gm.eer(genuine, impostor) == pytest.approx(0.1587, abs=0.006)


def test_roc_matches_sklearn():
    rng = np.random.default_rng(3)
    genuine, impostor = rng.normal(1, 1, 200), rng.normal(0, 1, 300)
    roc = gm.roc_curve(genuine, impostor)
    y = np.r_[np.ones(200), np.zeros(300)]
    fpr, tpr, thresholds = skm.roc_curve(y, np.r_[genuine, impostor], drop_intermediate=False)
    finite = np.isfinite(thresholds)
    index = np.searchsorted(roc.thresholds, thresholds[finite])
    np.testing.assert_allclose(roc.far[index], fpr[finite])
    np.testing.assert_allclose(roc.tar[index], tpr[finite])
    assert np.all(np.diff(roc.far) <= 0) and np.all(np.diff(roc.frr) >= 0)


def test_far_frr_and_frr_at_far():
    genuine = np.arange(1, 101) / 100.0          # 0.01 .. 1.00
    impostor = (np.arange(1000) - 500) / 1000.0  # -0.5 .. 0.499
    assert gm.far_frr(genuine, impostor, 0.3) == (pytest.approx(0.2), pytest.approx(0.29))
    # FAR <= 1e-2 needs threshold > 0.489 -> 10 impostors at or above 0.49; FRR = 48/100
    assert gm.frr_at_far(genuine, impostor, far=1e-2) == pytest.approx(0.48)
    assert gm.frr_at_far(genuine, impostor, far=1e-3) == pytest.approx(0.49)
    with pytest.raises(InputError):
        gm.frr_at_far(genuine, impostor, far=2.0)
    with pytest.raises(InputError):
        gm.eer([], [1.0])


# ---------------------------------------------------------------------------- bootstrap
def test_bootstrap_is_deterministic_and_group_aware():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 400)
    y_pred = np.where(rng.random(400) < 0.8, y_true, 1 - y_true)
    a = gm.bootstrap_ci(gm.accuracy, y_true, y_pred, n_boot=300, seed=7)
    b = gm.bootstrap_ci(gm.accuracy, y_true, y_pred, n_boot=300, seed=7)
    assert a == b and a.low < a.estimate < a.high
    # groups with constant per-group accuracy (all right or all wrong) -> wider interval
    groups = np.repeat(np.arange(8), 50)
    right = np.array([1, 1, 0, 1, 1, 1, 0, 1], dtype=bool)
    y_group = np.where(np.repeat(right, 50), y_true, 1 - y_true)
    sample = gm.bootstrap_ci(gm.accuracy, y_true, y_group, n_boot=300, seed=1)
    grouped = gm.bootstrap_ci(gm.accuracy, y_true, y_group, groups=groups, n_boot=300, seed=1)
    assert grouped.high - grouped.low > 3 * (sample.high - sample.low)
    assert grouped.to_dict()["n_boot"] == 300
    with pytest.raises(InputError):
        gm.bootstrap_ci(gm.accuracy, y_true, y_pred[:-1])
    with pytest.raises(InputError):
        gm.bootstrap_ci(gm.accuracy, y_true, y_pred, groups=groups[:-1])


# ---------------------------------------------------------------------------- data quality
def _quality_recording(x, y, time=None, **kwargs):
    from gazelearn import Recording

    time = np.arange(len(x)) / 500.0 if time is None else time
    return Recording(np.asarray(time, dtype=float), np.asarray(x, dtype=float),
                     np.asarray(y, dtype=float), **kwargs)


def test_data_quality_by_hand_in_pixels():
    # (0,0) (3,4) (3,4) lost (-6,-8): steps 5 and 0 (pairs touching the lost sample skipped);
    # centroid (0, 0): squared distances 0, 25, 25, 100; intervals 2, 2, 3, 2 ms
    rec = _quality_recording([0, 3, 3, np.nan, -6], [0, 4, 4, 0, -8],
                             time=[0.0, 0.002, 0.004, 0.007, 0.009], screen=Screen(16, 16))
    q = gm.data_quality(rec)
    assert tuple(q) == gm.QUALITY_KEYS
    assert q["samples"] == 5 and q["loss"] == pytest.approx(0.2)
    assert q["precision_on"] == "all"
    assert q["rms_s2s_px"] == pytest.approx(math.sqrt(25 / 2))
    assert q["std_px"] == pytest.approx(math.sqrt(150 / 4))
    assert q["rms_s2s_deg"] is None and q["std_deg"] is None  # pixel-only screen: no error
    assert q["interval_ms"] == pytest.approx(2.0)
    assert q["jitter_std_ms"] == pytest.approx(math.sqrt(0.75 / 4))  # SD of 2, 2, 3, 2
    assert q["jitter_max_ms"] == pytest.approx(1.0)
    assert q["out_of_screen"] == pytest.approx(0.25)  # (-6, -8) of the 4 with a position
    assert q["nonfinite_values"] == 0
    assert gm.data_quality(_quality_recording([0, 3], [0, 4]))["out_of_screen"] is None


def test_data_quality_on_fixations_in_degrees():
    # 1 px = 1 mm at 500 mm: 500 px right of the centre is atan(1) = 45 degrees
    screen = Screen(1000, 1000, 1000.0, 1000.0, 500.0)
    x = [500, 1000, 500, 0, 500, 500]
    rec = _quality_recording(x, np.full(6, 500.0), labels=[1, 1, 1, 2, 1, 1], screen=screen)
    q = gm.data_quality(rec)
    assert q["precision_on"] == "fixation"
    # fixation pairs: 500, 500 px (45, 45 deg) and 0; the saccade's pairs are left out
    assert q["rms_s2s_px"] == pytest.approx(math.sqrt(2 * 500**2 / 3))
    assert q["rms_s2s_deg"] == pytest.approx(math.sqrt(2 * 45**2 / 3))
    # STD about each fixation's centroid, pooled over the 5 fixation samples:
    # x 500, 1000, 500 about 666.7 px (0, 45, 0 about 15 deg); 500, 500 about 500
    assert q["std_px"] == pytest.approx(math.sqrt((2 * 500**2 / 3) / 5))
    assert q["std_deg"] == pytest.approx(math.sqrt((15**2 + 30**2 + 15**2) / 5))
    every = gm.data_quality(rec, precision_on="all")
    assert every["rms_s2s_px"] == pytest.approx(math.sqrt(4 * 500**2 / 5))


def test_data_quality_counts_values_that_are_not_finite():
    rec = _quality_recording([1.0, np.inf, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0])
    rec.meta.extra["nonfinite_values"] = 2  # what a reader counted and turned into NaN
    q = gm.data_quality(rec)
    assert q["nonfinite_values"] == 3 and q["loss"] == pytest.approx(0.25)
    assert q["rms_s2s_px"] == pytest.approx(1.0) and math.isfinite(q["std_px"])


def test_data_quality_bad_arguments_and_per_trial():
    rec = _quality_recording([0.0, 1, np.nan, 5], [0.0, 0, 0, 0])
    with pytest.raises(InputError, match="needs per-sample labels"):
        gm.data_quality(rec, precision_on="fixation")
    with pytest.raises(InputError, match="precision_on must be"):
        gm.data_quality(rec, precision_on="saccade")
    rows = gm.quality_per_trial(rec, trials=[2, 2, 1, 1])
    assert [(row["trial"], row["loss"], row["samples"]) for row in rows] == [(2, 0.0, 2),
                                                                            (1, 0.5, 2)]
    assert rows[0]["rms_s2s_px"] == pytest.approx(1.0) and math.isnan(rows[1]["rms_s2s_px"])
    with pytest.raises(InputError, match="trial ids for 4 samples"):
        gm.quality_per_trial(rec, trials=[1, 2])
