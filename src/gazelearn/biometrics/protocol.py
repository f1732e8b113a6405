"""Enrollment and probing: identification (rank-k, CMC) and verification (ROC, DET, EER).

Every enrolled person gets one *template*: the normalised mean of the embeddings of their
enrollment recordings. Each probe recording is compared with every template by cosine
similarity, giving a ``(probes, persons)`` score matrix:

* **identification** (closed set: every probe person is enrolled) ranks the templates per
  probe: rank-1, rank-5 and the CMC curve (:func:`gazelearn.metrics.cmc_curve`);
* **verification** treats every (probe, template) pair as a claim: the probe's own template
  gives a *genuine* score, the others *impostor* scores; ROC, DET, EER and FRR at FAR 1e-2 and
  1e-3 come from :mod:`gazelearn.metrics`.

Chance: a random ranking gives rank-k ``k / persons``; random scores give an EER of 0.5.

Protocols that cannot cheat (:func:`open_set_split`, :func:`closed_set_split`): enrollment and
probe recordings show *different stimuli*, and in the open-set protocol the embedding is
trained on *other people* than those enrolled and probed. Both check themselves with
:func:`gazelearn.splits.assert_no_leakage`.

Examples
--------
>>> emb = np.array([[1.0, 0.0], [0.0, 1.0]])
>>> probes = np.array([[0.9, 0.1], [0.2, 0.8]])
>>> result = evaluate_embeddings(emb, ["ann", "bob"], probes, ["ann", "bob"])
>>> result.rank1, result.eer, result.chance_rank1
(1.0, 0.0, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gazelearn.biometrics.estimator import mean_embeddings, normalize_rows
from gazelearn.errors import InputError
from gazelearn.metrics import RocCurve, cmc_curve, eer, frr_at_far, rank_k_accuracy, roc_curve
from gazelearn.splits import assert_no_leakage


@dataclass
class BiometricResult:
    """Identification and verification scores of one enrollment/probe evaluation."""

    rank1: float
    rank5: float
    cmc: np.ndarray
    eer: float
    eer_threshold: float
    frr_at_far_1e2: float
    frr_at_far_1e3: float
    roc: RocCurve
    n_probes: int
    n_persons: int
    n_genuine: int
    n_impostor: int

    @property
    def chance_rank1(self) -> float:
        """Rank-1 of a random ranking: 1 / persons."""
        return 1.0 / self.n_persons

    @property
    def chance_rank5(self) -> float:
        """Rank-5 of a random ranking: min(5, persons) / persons."""
        return min(5, self.n_persons) / self.n_persons

    def to_dict(self) -> dict[str, Any]:
        """Numbers as a JSON-ready dict (the CMC as a list; ROC left out)."""
        return {"rank1": self.rank1, "rank5": self.rank5, "eer": self.eer,
                "eer_threshold": self.eer_threshold, "frr_at_far_1e-2": self.frr_at_far_1e2,
                "frr_at_far_1e-3": self.frr_at_far_1e3, "chance_rank1": self.chance_rank1,
                "chance_rank5": self.chance_rank5, "chance_eer": 0.5,
                "n_probes": self.n_probes, "n_persons": self.n_persons,
                "n_genuine": self.n_genuine, "n_impostor": self.n_impostor,
                "cmc": [float(v) for v in self.cmc]}

    def summary(self) -> str:
        """Three lines for a terminal."""
        return (f"identification: rank-1 {100 * self.rank1:.1f} %, rank-5 "
                f"{100 * self.rank5:.1f} % ({self.n_probes} probes, {self.n_persons} persons; "
                f"chance {100 * self.chance_rank1:.1f} % / {100 * self.chance_rank5:.1f} %)\n"
                f"verification: EER {100 * self.eer:.1f} % (chance 50 %), FRR at FAR 1e-2 "
                f"{100 * self.frr_at_far_1e2:.1f} %, at FAR 1e-3 "
                f"{100 * self.frr_at_far_1e3:.1f} %\n"
                f"pairs: {self.n_genuine} genuine, {self.n_impostor} impostor")


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``a`` with every row of ``b``, ``(len(a), len(b))``.

    Examples
    --------
    >>> cosine_similarity(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0], [0.0, 3.0]])).tolist()
    [[1.0, 0.0]]
    """
    return normalize_rows(a) @ normalize_rows(b).T


def templates(embeddings: np.ndarray, persons: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """One template per person (normalised mean of their embeddings): ``(persons, templates)``.

    Examples
    --------
    >>> ids, t = templates(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 2.0]]), ["b", "a", "a"])
    >>> ids.tolist(), t.tolist()
    (['a', 'b'], [[0.0, 1.0], [1.0, 0.0]])
    """
    persons = np.asarray(list(persons), dtype=object).astype(str)
    if len(persons) != len(embeddings):
        raise InputError(f"{len(persons)} persons for {len(embeddings)} embeddings")
    ids, owner = np.unique(persons, return_inverse=True)
    return ids, mean_embeddings(np.asarray(embeddings), owner, len(ids))


def evaluate_scores(scores: np.ndarray, probe_persons: Sequence,
                    gallery_persons: Sequence) -> BiometricResult:
    """Identification and verification from a ``(probes, persons)`` similarity matrix.

    Parameters
    ----------
    scores : array (n_probes, n_persons)
        Higher = more similar (cosine similarity, or a classifier's class probability).
    probe_persons : sequence
        True person of each probe; all must be among ``gallery_persons`` (closed set).
    gallery_persons : sequence
        The person of each column (each once).

    Examples
    --------
    >>> r = evaluate_scores(np.array([[0.9, 0.2, 0.1], [0.5, 0.4, 0.6]]), ["a", "b"],
    ...                     ["a", "b", "c"])
    >>> r.rank1, r.cmc.round(3).tolist(), r.eer
    (0.5, [0.5, 0.5, 1.0], 0.5)
    """
    scores = np.asarray(scores, dtype=np.float64)
    probe = np.asarray(list(probe_persons), dtype=object).astype(str)
    gallery = np.asarray(list(gallery_persons), dtype=object).astype(str)
    if len(np.unique(gallery)) != len(gallery):
        raise InputError("every gallery person must have exactly one column (use templates)")
    if len(gallery) < 2:
        raise InputError("evaluation needs at least two enrolled persons")
    missing = sorted(set(probe) - set(gallery))
    if missing:
        raise InputError(f"probe persons not enrolled: {', '.join(missing[:5])}"
                         f"{' ...' if len(missing) > 5 else ''} (every probe person needs "
                         "enrollment recordings)")
    cmc = cmc_curve(scores, probe, gallery)
    genuine_mask = probe[:, None] == gallery[None, :]
    genuine, impostor = scores[genuine_mask], scores[~genuine_mask]
    value, threshold = eer(genuine, impostor, return_threshold=True)
    return BiometricResult(
        rank1=rank_k_accuracy(scores, probe, gallery, k=1),
        rank5=rank_k_accuracy(scores, probe, gallery, k=5), cmc=cmc, eer=value,
        eer_threshold=threshold, frr_at_far_1e2=frr_at_far(genuine, impostor, 1e-2),
        frr_at_far_1e3=frr_at_far(genuine, impostor, 1e-3), roc=roc_curve(genuine, impostor),
        n_probes=len(probe), n_persons=len(gallery), n_genuine=int(genuine.size),
        n_impostor=int(impostor.size))


def evaluate_embeddings(enroll: np.ndarray, enroll_persons: Sequence, probe: np.ndarray,
                        probe_persons: Sequence) -> BiometricResult:
    """Enroll persons from embeddings (one template each) and score the probe embeddings."""
    ids, gallery = templates(enroll, enroll_persons)
    return evaluate_scores(cosine_similarity(probe, gallery), probe_persons, ids)


def evaluate_embedder(model: Any, enroll: Sequence, enroll_persons: Sequence, probe: Sequence,
                      probe_persons: Sequence) -> BiometricResult:
    """Embed enrollment and probe recordings with ``model`` and evaluate (cosine similarity)."""
    return evaluate_embeddings(model.embed_recordings(enroll), enroll_persons,
                               model.embed_recordings(probe), probe_persons)


def classifier_scores(classifier: Any, enroll_windows: np.ndarray, enroll_persons: Sequence,
                      probe_windows: np.ndarray, probe_owner: np.ndarray, n_probes: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The classic closed-set baseline: a classifier of persons on flattened windows.

    ``classifier`` (e.g. ``gazelearn.learn.create("forest")``) is fitted on the enrollment
    windows flattened to vectors; a probe recording's score for each person is the mean class
    probability over its windows. A classifier needs every person at training time, so this is
    always closed-set.

    Returns
    -------
    scores : array (n_probes, persons)
    persons : array
        The person of each column.
    """
    enroll_persons = np.asarray(list(enroll_persons), dtype=object).astype(str)
    flat = np.asarray(enroll_windows).reshape(len(enroll_windows), -1)
    classifier.fit(flat, enroll_persons)
    proba = classifier.predict_proba(np.asarray(probe_windows).reshape(len(probe_windows), -1))
    owner = np.asarray(probe_owner)
    sums = np.zeros((n_probes, proba.shape[1]))
    np.add.at(sums, owner, proba)
    counts = np.bincount(owner, minlength=n_probes)[:, None]
    if (counts == 0).any():
        raise InputError("a probe recording has no windows")
    return sums / counts, np.asarray(classifier.classes_).astype(str)


@dataclass(frozen=True)
class ProtocolSplit:
    """Recording indices of one protocol: embedding training, enrollment, probe."""

    train: np.ndarray
    enroll: np.ndarray
    probe: np.ndarray
    description: str


def _as_str(values: Sequence) -> np.ndarray:
    return np.asarray(list(values), dtype=object).astype(str)


def _non_empty(split: ProtocolSplit) -> ProtocolSplit:
    for part in ("train", "enroll", "probe"):
        if len(getattr(split, part)) == 0:
            raise InputError(f"the protocol leaves no {part} recordings; check the persons and "
                             "stimuli chosen for each part")
    return split


def open_set_split(persons: Sequence, stimuli: Sequence, train_persons: Sequence,
                   enroll_stimuli: Sequence) -> ProtocolSplit:
    """Open set: train on ``train_persons``; enroll/probe the others on disjoint stimuli.

    Examples
    --------
    >>> split = open_set_split(["a", "a", "b", "b", "c", "c"], ["x", "y"] * 3, ["a"], ["x"])
    >>> split.train.tolist(), split.enroll.tolist(), split.probe.tolist()
    ([0, 1], [2, 4], [3, 5])
    """
    persons, stimuli = _as_str(persons), _as_str(stimuli)
    in_train = np.isin(persons, _as_str(train_persons))
    enroll_stim = np.isin(stimuli, _as_str(enroll_stimuli))
    split = ProtocolSplit(np.flatnonzero(in_train), np.flatnonzero(~in_train & enroll_stim),
                          np.flatnonzero(~in_train & ~enroll_stim),
                          "open set: embedding trained on other persons; enrollment and probe "
                          "on disjoint stimuli")
    assert_no_leakage(persons[split.train], persons[np.concatenate([split.enroll,
                                                                    split.probe])])
    assert_no_leakage(stimuli[split.enroll], stimuli[split.probe])
    return _non_empty(split)


def closed_set_split(persons: Sequence, stimuli: Sequence,
                     enroll_stimuli: Sequence) -> ProtocolSplit:
    """Closed set: train and enroll on ``enroll_stimuli``, probe on the other stimuli.

    The model sees the probe persons in training (that is what closed set means) but never the
    probe recordings nor their stimuli.

    Examples
    --------
    >>> split = closed_set_split(["a", "a", "b", "b"], ["x", "y", "x", "y"], ["x"])
    >>> split.train.tolist(), split.probe.tolist()
    ([0, 2], [1, 3])
    """
    persons, stimuli = _as_str(persons), _as_str(stimuli)
    enroll_stim = np.isin(stimuli, _as_str(enroll_stimuli))
    enroll = np.flatnonzero(enroll_stim)
    split = ProtocolSplit(enroll, enroll, np.flatnonzero(~enroll_stim),
                          "closed set: trained and enrolled on some stimuli, probed on others")
    assert_no_leakage(stimuli[split.enroll], stimuli[split.probe])
    return _non_empty(split)
