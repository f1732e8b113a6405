"""Metric-learning losses: triplet loss with batch semi-hard (FaceNet) or batch-hard mining.

Embeddings of one person should lie closer to each other than to anyone else's by a margin.
Within a mini-batch of P persons x K windows (:class:`~gazelearn.nn.samplers.
PersonBatchSampler`), every pair of windows of one person is an (anchor, positive) pair, and the
negative is mined from the batch:

* ``semi-hard`` (Schroff, Kalenichenko & Philbin 2015, "FaceNet", CVPR): the closest negative
  that is still *farther* than the positive, ``d(a, p) < d(a, n)``; when the batch has none,
  the farthest negative (the rule of TensorFlow Addons' ``triplet_semihard_loss``). Hard
  negatives closer than the positive are avoided early in training, where they collapse the
  embedding.
* ``hard`` (Hermans, Beyer & Leibe 2017, "In defense of the triplet loss"): per anchor the
  farthest positive and the closest negative.

The loss of a triplet is ``max(d(a, p) - d(a, n) + margin, 0)`` with Euclidean distances,
averaged over the triplets (including those that are already satisfied).

Examples
--------
>>> import torch
>>> emb = torch.tensor([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [2.0, 1.5]])
>>> labels = torch.tensor([0, 0, 1, 1])
>>> round(float(TripletLoss(margin=0.5)(emb, labels)), 4)
0.0
>>> round(float(TripletLoss(margin=1.5)(emb, labels)), 4)  # hand-computed in the tests
0.7192
"""

from __future__ import annotations

import torch
from torch import nn

from gazelearn.errors import InputError

MINING = ("semi-hard", "hard")


def pairwise_distances(embeddings: torch.Tensor) -> torch.Tensor:
    """Euclidean distances between all rows, ``(n, n)``, with a gradient-safe zero diagonal.

    Examples
    --------
    >>> pairwise_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]])).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    squared = (embeddings * embeddings).sum(dim=1)
    d2 = squared[:, None] + squared[None, :] - 2.0 * embeddings @ embeddings.T
    d2 = d2.clamp(min=0.0)
    eye = torch.eye(len(embeddings), dtype=torch.bool, device=embeddings.device)
    # sqrt has an infinite slope at 0: keep the diagonal (and exact duplicates) off it
    distances = torch.sqrt(d2.clamp(min=1e-12))
    return distances.masked_fill(eye, 0.0)


def _masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


def mine_semi_hard(distances: torch.Tensor, labels: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Semi-hard negative of every (anchor, positive) pair of a batch.

    Parameters
    ----------
    distances : tensor (n, n)
        Pairwise distances.
    labels : tensor (n,)
        Person of each row.

    Returns
    -------
    anchors, positives, negatives : tensors of int64
        One entry per ordered pair ``(a, p)`` of distinct rows of one person whose anchor has
        at least one negative in the batch. ``negatives[i]`` is the closest negative farther
        than the positive, or the farthest negative when there is none.

    Examples
    --------
    >>> d = torch.tensor([[0.0, 1.0, 0.5, 2.0], [1.0, 0.0, 0.8, 1.5],
    ...                   [0.5, 0.8, 0.0, 1.0], [2.0, 1.5, 1.0, 0.0]])
    >>> a, p, n = mine_semi_hard(d, torch.tensor([0, 0, 1, 1]))
    >>> list(zip(a.tolist(), p.tolist(), n.tolist()))  # anchor 2: no semi-hard, the farthest
    [(0, 1, 3), (1, 0, 3), (2, 3, 1), (3, 2, 1)]
    """
    with torch.no_grad():
        positive, negative = _masks(labels)
        d_ap = distances[:, :, None]
        d_an = distances[:, None, :]
        semi = negative[:, None, :] & (d_an > d_ap)
        inf = torch.tensor(float("inf"), dtype=distances.dtype, device=distances.device)
        closest_semi = torch.where(semi, d_an.expand_as(semi), inf).argmin(dim=2)
        farthest = torch.where(negative, distances, -inf).argmax(dim=1)
        chosen = torch.where(semi.any(dim=2), closest_semi, farthest[:, None])
        valid = positive & negative.any(dim=1)[:, None]
        anchors, positives = torch.nonzero(valid, as_tuple=True)
        return anchors, positives, chosen[anchors, positives]


def mine_hard(distances: torch.Tensor, labels: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch-hard triplets: per anchor its farthest positive and closest negative.

    Examples
    --------
    >>> d = torch.tensor([[0.0, 1.0, 0.5, 2.0], [1.0, 0.0, 0.8, 1.5],
    ...                   [0.5, 0.8, 0.0, 1.0], [2.0, 1.5, 1.0, 0.0]])
    >>> [t.tolist() for t in mine_hard(d, torch.tensor([0, 0, 1, 1]))]
    [[0, 1, 2, 3], [1, 0, 3, 2], [2, 2, 0, 1]]
    """
    with torch.no_grad():
        positive, negative = _masks(labels)
        inf = torch.tensor(float("inf"), dtype=distances.dtype, device=distances.device)
        hardest_pos = torch.where(positive, distances, -inf).argmax(dim=1)
        hardest_neg = torch.where(negative, distances, inf).argmin(dim=1)
        anchors = torch.nonzero(positive.any(dim=1) & negative.any(dim=1), as_tuple=True)[0]
        return anchors, hardest_pos[anchors], hardest_neg[anchors]


class TripletLoss(nn.Module):
    """Triplet loss over a batch of embeddings with in-batch mining.

    Parameters
    ----------
    margin : float
        Required gap between positive and negative distance (0.2 suits L2-normalised
        embeddings, whose distances lie in 0..2).
    mining : {"semi-hard", "hard"}
        How negatives (and, for ``hard``, positives) are picked; see the module notes.

    Notes
    -----
    ``forward(embeddings, labels)`` takes ``(n, d)`` embeddings and ``(n,)`` integer labels
    and returns the mean triplet loss (0 with a gradient when the batch holds no triplet).
    """

    def __init__(self, margin: float = 0.2, mining: str = "semi-hard") -> None:
        super().__init__()
        if mining not in MINING:
            raise InputError(f"mining must be one of {', '.join(MINING)}, got {mining!r}")
        if margin < 0:
            raise InputError(f"margin must be >= 0, got {margin!r}")
        self.margin = float(margin)
        self.mining = mining

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        distances = pairwise_distances(embeddings)
        mine = mine_semi_hard if self.mining == "semi-hard" else mine_hard
        anchors, positives, negatives = mine(distances, labels)
        if len(anchors) == 0:
            return embeddings.sum() * 0.0
        losses = distances[anchors, positives] - distances[anchors, negatives] + self.margin
        return torch.relu(losses).mean()
