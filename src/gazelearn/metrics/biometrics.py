"""Identification (CMC, rank-k) and verification (ROC, EER, FRR at a FAR) from similarity scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gazelearn.errors import InputError


# ---------------------------------------------------------------------------- identification
def _ranks(scores, probe_ids, gallery_ids, kind: str) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    probe_ids, gallery_ids = np.asarray(probe_ids), np.asarray(gallery_ids)
    if scores.shape != (len(probe_ids), len(gallery_ids)):
        raise InputError(f"scores have shape {scores.shape}, expected (probes, gallery) = "
                         f"({len(probe_ids)}, {len(gallery_ids)})")
    if kind not in ("similarity", "distance"):
        raise InputError(f"kind must be 'similarity' or 'distance', got {kind!r}")
    missing = np.setdiff1d(probe_ids, gallery_ids)
    if missing.size:
        raise InputError(f"probe identities not in the gallery: {missing[:5].tolist()}")
    if kind == "distance":
        scores = -scores
    identities = np.unique(gallery_ids)
    best = np.full((len(probe_ids), len(identities)), -np.inf)
    for j, identity in enumerate(identities):  # best score per gallery identity
        best[:, j] = scores[:, gallery_ids == identity].max(axis=1)
    genuine = best[np.arange(len(probe_ids)), np.searchsorted(identities, probe_ids)]
    # pessimistic ties: an impostor scoring equal to the genuine identity ranks ahead of it
    return np.sum(best >= genuine[:, None], axis=1)


def cmc_curve(scores, probe_ids, gallery_ids, max_rank: int | None = None,
              kind: str = "similarity") -> np.ndarray:
    """Cumulative match characteristic: ``cmc[k - 1]`` is the rank-k identification accuracy.

    Parameters
    ----------
    scores : array_like, shape (n_probes, n_gallery)
        Similarity (or distance, with ``kind="distance"``) of each probe to each gallery entry.
    probe_ids, gallery_ids : array_like
        Identities; several gallery entries per identity are allowed (identities are ranked by
        their best entry). Every probe identity must be in the gallery (closed set). Ties count
        against the probe.
    max_rank : int, optional
        Length of the curve (default: the number of gallery identities).

    Examples
    --------
    >>> scores = [[0.9, 0.1, 0.5], [0.8, 0.7, 0.6], [0.2, 0.7, 0.1]]
    >>> cmc_curve(scores, ["a", "b", "c"], ["a", "b", "c"]).round(3).tolist()
    [0.333, 0.667, 1.0]
    """
    ranks = _ranks(scores, probe_ids, gallery_ids, kind)
    n_ids = len(np.unique(np.asarray(gallery_ids)))
    max_rank = n_ids if max_rank is None else int(max_rank)
    return np.array([np.mean(ranks <= k) for k in range(1, max_rank + 1)])


def rank_k_accuracy(scores, probe_ids, gallery_ids, k: int = 1,
                    kind: str = "similarity") -> float:
    """Share of probes whose identity is among the ``k`` best-scoring gallery identities.

    Examples
    --------
    >>> rank_k_accuracy([[1.0, 2.0], [0.0, 5.0]], [0, 1], [0, 1], k=1, kind="distance")
    0.5
    """
    if k < 1:
        raise InputError(f"k must be >= 1, got {k!r}")
    return float(np.mean(_ranks(scores, probe_ids, gallery_ids, kind) <= k))


# ---------------------------------------------------------------------------- verification
@dataclass(frozen=True)
class RocCurve:
    """Verification error rates over thresholds (accept when ``score >= threshold``).

    ``thresholds`` increase; ``far`` (impostors accepted) falls and ``frr`` (genuine rejected)
    rises along them; ``tar = 1 - frr``.
    """

    thresholds: np.ndarray
    far: np.ndarray
    frr: np.ndarray

    @property
    def tar(self) -> np.ndarray:
        """True accept rate, ``1 - frr``."""
        return 1.0 - self.frr


def _scores(genuine, impostor) -> tuple[np.ndarray, np.ndarray]:
    genuine = np.asarray(genuine, dtype=np.float64).ravel()
    impostor = np.asarray(impostor, dtype=np.float64).ravel()
    if genuine.size == 0 or impostor.size == 0:
        raise InputError("verification needs at least one genuine and one impostor score")
    if not (np.isfinite(genuine).all() and np.isfinite(impostor).all()):
        raise InputError("verification scores must be finite")
    return genuine, impostor


def far_frr(genuine, impostor, threshold: float) -> tuple[float, float]:
    """False accept and false reject rates at one threshold (accept when ``score >= threshold``).

    Examples
    --------
    >>> far_frr([0.9, 0.6], [0.1, 0.7], threshold=0.65)
    (0.5, 0.5)
    """
    genuine, impostor = _scores(genuine, impostor)
    return float(np.mean(impostor >= threshold)), float(np.mean(genuine < threshold))


def roc_curve(genuine, impostor) -> RocCurve:
    """FAR and FRR at every distinct score (and above the highest, where nothing is accepted).

    Examples
    --------
    >>> roc = roc_curve([0.9, 0.6], [0.1, 0.7])
    >>> roc.thresholds.tolist(), roc.far.tolist(), roc.frr.tolist()
    ([0.1, 0.6, 0.7, 0.9, inf], [1.0, 0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 1.0])
    """
    genuine, impostor = _scores(genuine, impostor)
    thresholds = np.append(np.unique(np.concatenate([genuine, impostor])), np.inf)
    imp, gen = np.sort(impostor), np.sort(genuine)
    far = 1.0 - np.searchsorted(imp, thresholds, side="left") / imp.size
    frr = np.searchsorted(gen, thresholds, side="left") / gen.size
    return RocCurve(thresholds, far, frr)


def eer(genuine, impostor, return_threshold: bool = False):
    """Equal error rate: where FAR and FRR cross, linearly interpolated between thresholds.

    Examples
    --------
    >>> eer([0.9, 0.8], [0.1, 0.2])
    0.0
    >>> eer([0.9, 0.6], [0.1, 0.7], return_threshold=True)
    (0.5, 0.7)
    >>> round(eer([0.9, 0.6, 0.4], [0.1, 0.5]), 4)  # (FAR, FRR) from (1/2, 1/3) to (0, 1/3)
    0.3333
    """
    roc = roc_curve(genuine, impostor)
    value, index = _crossing(roc.far, roc.frr)
    if not return_threshold:
        return value
    i, alpha = index
    if i == 0:
        return value, float(roc.thresholds[0])
    high = roc.thresholds[i] if np.isfinite(roc.thresholds[i]) else roc.thresholds[i - 1]
    return value, float(roc.thresholds[i - 1] + alpha * (high - roc.thresholds[i - 1]))


def _crossing(far: np.ndarray, frr: np.ndarray) -> tuple[float, tuple[int, float]]:
    """Where FAR - FRR first falls to 0, interpolated: the rate, the index and the fraction.

    A curve that never crosses gives the mean of FAR and FRR where they are closest.
    """
    gap = far - frr
    if gap[0] == 0:
        return float(far[0]), (0, 0.0)
    down = np.flatnonzero((gap[:-1] > 0) & (gap[1:] <= 0))
    if down.size == 0:
        i = int(np.argmin(np.abs(gap)))
        return float((far[i] + frr[i]) / 2), (i, 0.0)
    i = int(down[0]) + 1
    alpha = gap[i - 1] / (gap[i - 1] - gap[i])
    return float(far[i - 1] + alpha * (far[i] - far[i - 1])), (i, float(alpha))


def eer_from_rates(far, frr) -> float:
    """Equal error rate from a curve: FAR and FRR at the same (ordered) thresholds.

    For plots and published curves, where only the rates are known; with scores use :func:`eer`.
    The rates must run with FAR falling and FRR rising (thresholds increasing).

    Examples
    --------
    >>> eer_from_rates([1.0, 0.5, 0.2, 0.0], [0.0, 0.1, 0.4, 1.0])
    0.3
    """
    far_a = np.asarray(far, dtype=np.float64).ravel()
    frr_a = np.asarray(frr, dtype=np.float64).ravel()
    if far_a.shape != frr_a.shape:
        raise InputError(f"far and frr differ in length ({far_a.size} vs {frr_a.size})")
    keep = np.isfinite(far_a) & np.isfinite(frr_a)
    if not keep.any():
        raise InputError("no finite FAR/FRR values")
    return round(_crossing(far_a[keep], frr_a[keep])[0], 12)


def frr_at_far(genuine, impostor, far: float = 1e-2) -> float:
    """The lowest FRR among thresholds whose FAR is at most ``far`` (no interpolation).

    Examples
    --------
    >>> frr_at_far([0.9, 0.8, 0.5, 0.4], [0.1, 0.2, 0.6, 0.3], far=0.25)
    0.0
    >>> frr_at_far([0.9, 0.8, 0.5, 0.4], [0.1, 0.2, 0.6, 0.3], far=0.0)
    0.5
    """
    if not 0 <= far <= 1:
        raise InputError(f"far must be in 0..1, got {far!r}")
    roc = roc_curve(genuine, impostor)
    return float(roc.frr[roc.far <= far + 1e-12].min())
