"""How real do generated scanpaths look? Measures against held-out real scanpaths.

* **Distributions** of fixation durations and saccade amplitudes (distance between consecutive
  fixation centres, px): two-sample Kolmogorov-Smirnov statistic and Wasserstein distance.
* **Heat maps**: the fixation density of each set (:func:`gazelearn.scanpath.heatmap`, blur in
  px) compared by correlation (:func:`~gazelearn.scanpath.cc`) and KL divergence.
* **Scanpath similarity**: dynamic time warping (:func:`dtw_distance`) between fixation
  sequences, averaged over every pair across the two sets.
* **Classifier two-sample test** (Lopez-Paz & Oquab 2017): a random forest on the per-recording
  features (:func:`gazelearn.scanpath.recording_features`) tries to tell the sets apart under
  stratified group k-fold (every recording its own group); a balanced accuracy near 0.5 means
  it cannot.

Every measure means little alone: :func:`realism_scores` is meant to be run twice, generated vs
held-out real *and* another real set vs the same held-out real (the reference a perfect
generator would reach).

Examples
--------
>>> import numpy as np
>>> dtw_distance([[0, 0], [10, 0]], [[0, 0], [0, 0], [10, 0]])
0.0
>>> round(distribution_distance([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])["ks"], 3)
0.0
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from gazelearn.errors import InputError
from gazelearn.recording import Recording
from gazelearn.scanpath.fixseq import (
    DEFAULT_DISPERSION_PX,
    DEFAULT_MIN_FIXATION_S,
    FixationSequence,
    check_extent,
    fixation_sequences,
)


def dtw_distance(a, b, normalize: bool = False) -> float:
    """Dynamic time warping distance between two point sequences (Euclidean step cost).

    The classic recursion ``D[i, j] = |a_i - b_j| + min(D[i-1, j], D[i, j-1], D[i-1, j-1])``;
    the distance is ``D[n, m]``, or with ``normalize`` that divided by the number of steps of the
    optimal warping path (a mean distance per matched pair, comparable across lengths).

    Examples
    --------
    >>> dtw_distance([[0, 0], [3, 4]], [[0, 0], [0, 0], [6, 8]])
    5.0
    >>> dtw_distance([[0, 0], [3, 4]], [[0, 0], [0, 0], [6, 8]], normalize=True)
    1.6666666666666667
    """
    if len(a) == 0 or len(b) == 0:
        raise InputError("dtw_distance needs two non-empty sequences")
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))
    n, m = cost.shape
    total = np.full((n + 1, m + 1), np.inf)
    steps = np.zeros((n + 1, m + 1), dtype=np.int64)
    total[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = (total[i - 1, j - 1], total[i - 1, j], total[i, j - 1])
            k = int(np.argmin(options))
            previous = ((i - 1, j - 1), (i - 1, j), (i, j - 1))[k]
            total[i, j] = cost[i - 1, j - 1] + options[k]
            steps[i, j] = steps[previous] + 1
    return float(total[n, m] / steps[n, m]) if normalize else float(total[n, m])


def mean_dtw(sequences_a: Sequence[FixationSequence], sequences_b: Sequence[FixationSequence]
             ) -> float:
    """Mean normalised DTW (px per matched fixation pair) over all pairs across two sets."""
    values = [dtw_distance(a.points(), b.points(), normalize=True)
              for a in sequences_a if len(a) for b in sequences_b if len(b)]
    if not values:
        raise InputError("no pair of recordings with fixations to compare")
    return float(np.mean(values))


def distribution_distance(a, b) -> dict[str, float]:
    """Two-sample Kolmogorov-Smirnov statistic and Wasserstein distance of two samples."""
    from scipy.stats import ks_2samp, wasserstein_distance

    a, b = (np.asarray(v, dtype=np.float64) for v in (a, b))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        raise InputError("distribution_distance needs two non-empty samples")
    return {"ks": float(ks_2samp(a, b).statistic), "wasserstein": float(wasserstein_distance(a, b))}


def fixation_density(sequences: Sequence[FixationSequence], extent, grid=(64, 48),
                     sigma_px: float = 50.0) -> np.ndarray:
    """One fixation heat map (sums to 1) of a set of scanpaths on the stimulus area."""
    import polars as pl

    from gazelearn.events import Events
    from gazelearn.scanpath.heatmaps import heatmap

    width, height = check_extent(extent)
    total = np.zeros((grid[1], grid[0]))
    for seq in sequences:
        inside = (seq.x >= 0) & (seq.x < width) & (seq.y >= 0) & (seq.y < height)
        if not inside.any():
            continue
        table = Events(pl.DataFrame({
            "type": ["fixation"] * int(inside.sum()), "onset": seq.onset[inside],
            "offset": seq.offset[inside], "duration": seq.duration[inside],
            "mean_x": seq.x[inside], "mean_y": seq.y[inside]}))
        total += heatmap(table, grid=grid, sigma_px=sigma_px, extent=(width, height),
                         source="fixations", normalize=None)
    if total.sum() <= 0:
        raise InputError("no fixation falls on the stimulus area")
    return total / total.sum()


def two_sample_test(set_a: Sequence[Recording], set_b: Sequence[Recording], extent,
                    folds: int = 5, seed: int = 0, dispersion_px: float = DEFAULT_DISPERSION_PX,
                    n_boot: int = 1000, n_estimators: int = 200) -> dict[str, Any]:
    """Can a random forest tell two sets of recordings apart? Balanced accuracy with its CI.

    Features: :func:`gazelearn.scanpath.recording_features` (I-DT in px, coverage on the
    stimulus area). Folds: stratified group k-fold, each recording its own group, so no
    recording is ever in training and test. The score is the balanced accuracy (mean recall of
    the two sets), so 0.5 means indistinguishable whatever the set sizes; the 95 % interval is
    a percentile bootstrap over recordings.
    """
    from gazelearn.learn import create
    from gazelearn.metrics import accuracy, bootstrap_ci
    from gazelearn.scanpath.features import recording_features
    from gazelearn.splits import stratified_group_kfold

    width, height = check_extent(extent)
    records = list(set_a) + list(set_b)
    if min(len(set_a), len(set_b)) < folds:
        raise InputError(f"the two-sample test needs at least {folds} recordings per set, got "
                         f"{len(set_a)} and {len(set_b)}")
    rows = [recording_features(r, dispersion_px=dispersion_px, extent=(width, height),
                               recurrence_radius_px=dispersion_px / 2) for r in records]
    names = list(rows[0])
    X = np.array([[row[k] for k in names] for row in rows], dtype=np.float64)
    X = X[:, np.isfinite(X).any(axis=0)]  # features needing degrees are NaN without a screen
    y = np.array([0] * len(set_a) + [1] * len(set_b))
    groups = np.arange(len(records))
    predicted = np.full(len(y), -1)
    for train, test in stratified_group_kfold(y, groups, n_splits=folds, seed=seed):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fill = np.nanmedian(X[train], axis=0)
        fill = np.where(np.isfinite(fill), fill, 0.0)

        def filled(rows_, fill=fill):
            return np.where(np.isfinite(rows_), rows_, fill)

        forest = create("forest", n_estimators=n_estimators, random_state=seed)
        forest.fit(filled(X[train]), y[train])
        predicted[test] = forest.predict(filled(X[test]))
    ci = bootstrap_ci(balanced_accuracy, y, predicted, n_boot=n_boot, seed=seed)
    return {"balanced_accuracy": float(ci.estimate), "ci_low": float(ci.low),
            "ci_high": float(ci.high), "accuracy": accuracy(y, predicted),
            "n_a": len(set_a), "n_b": len(set_b), "folds": folds,
            "features": int(X.shape[1])}


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean recall of the classes present in ``y_true`` (0.5 = chance for two classes).

    Examples
    --------
    >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
    0.5
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean([np.mean(y_pred[y_true == c] == c) for c in np.unique(y_true)]))


def realism_scores(candidate: Sequence[Recording], real: Sequence[Recording], extent,
                   dispersion_px: float = DEFAULT_DISPERSION_PX,
                   min_fixation_s: float = DEFAULT_MIN_FIXATION_S, grid=(64, 48),
                   sigma_px: float = 50.0, two_sample: bool = True, folds: int = 5,
                   seed: int = 0) -> dict[str, Any]:
    """Every realism measure of ``candidate`` recordings against ``real`` ones.

    Returns a flat dict: ``duration_ks``, ``duration_wasserstein_s``, ``amplitude_ks``,
    ``amplitude_wasserstein_px``, ``heatmap_cc``, ``heatmap_kl`` (KL of the candidate map from
    the real map), ``dtw_px`` (mean normalised DTW), ``fixations_per_recording`` of both, and
    with ``two_sample`` the classifier test's ``c2st_balanced_accuracy`` and its 95 % CI.
    """
    from gazelearn.scanpath.heatmaps import cc, kl_divergence

    candidate, real = list(candidate), list(real)
    if not candidate or not real:
        raise InputError("realism_scores needs recordings on both sides")
    cand = fixation_sequences(candidate, dispersion_px, min_fixation_s)
    ref = fixation_sequences(real, dispersion_px, min_fixation_s)

    def pooled(seqs, what):
        parts = [getattr(s, what) for s in seqs]
        return np.concatenate(parts) if parts else np.zeros(0)

    out: dict[str, Any] = {"n_candidate": len(candidate), "n_real": len(real)}
    durations = distribution_distance(pooled(cand, "duration"), pooled(ref, "duration"))
    amplitudes = distribution_distance(pooled(cand, "amplitudes"), pooled(ref, "amplitudes"))
    out.update({"duration_ks": durations["ks"],
                "duration_wasserstein_s": durations["wasserstein"],
                "amplitude_ks": amplitudes["ks"],
                "amplitude_wasserstein_px": amplitudes["wasserstein"]})
    map_c = fixation_density(cand, extent, grid, sigma_px)
    map_r = fixation_density(ref, extent, grid, sigma_px)
    out.update({"heatmap_cc": cc(map_c, map_r), "heatmap_kl": kl_divergence(map_r, map_c),
                "dtw_px": mean_dtw(cand, ref),
                "fixations_per_recording": float(np.mean([len(s) for s in cand])),
                "real_fixations_per_recording": float(np.mean([len(s) for s in ref]))})
    if two_sample:
        test = two_sample_test(real, candidate, extent, folds=folds, seed=seed,
                               dispersion_px=dispersion_px)
        out.update({"c2st_balanced_accuracy": test["balanced_accuracy"],
                    "c2st_ci": [test["ci_low"], test["ci_high"]]})
    return out
