"""Biometrics: identify and verify people from their eye movements.

Windows of eye-movement velocity (:mod:`~gazelearn.biometrics.data`) are embedded by a 1-D CNN
or GRU trained with a triplet loss (:mod:`~gazelearn.biometrics.losses`,
:class:`EyeMovementEmbedder`) or, as a baseline, with a softmax classifier; a recording's
embedding is the mean of its normalised window embeddings. People are enrolled from some
recordings and probed with others (:mod:`~gazelearn.biometrics.protocol`): identification
(rank-1, rank-5, CMC) and verification (ROC, DET, EER, FRR at a fixed FAR) by cosine similarity.
See ``docs/biometrics.md``.
"""

from gazelearn.biometrics.data import WindowSpec, persons_of, velocity_windows
from gazelearn.biometrics.estimator import EyeMovementEmbedder, mean_embeddings, normalize_rows
from gazelearn.biometrics.losses import TripletLoss, mine_hard, mine_semi_hard, pairwise_distances
from gazelearn.nn.samplers import PersonBatchSampler

__all__ = [
    "EyeMovementEmbedder",
    "PersonBatchSampler",
    "TripletLoss",
    "WindowSpec",
    "mean_embeddings",
    "mine_hard",
    "mine_semi_hard",
    "normalize_rows",
    "pairwise_distances",
    "persons_of",
    "velocity_windows",
]
