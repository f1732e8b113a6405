"""Triplet loss and mining against hand-computed values; the P x K sampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gazelearn.biometrics import PersonBatchSampler, TripletLoss, mine_hard, mine_semi_hard
from gazelearn.biometrics.losses import pairwise_distances
from gazelearn.errors import InputError

# two persons on a line-free layout: distances 0-1: 1, 0-2: 2, 0-3: 2.5, 1-2: sqrt 5,
# 1-3: sqrt(4.25), 2-3: 1.5
EMB = torch.tensor([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [2.0, 1.5]])
LABELS = torch.tensor([0, 0, 1, 1])


def test_pairwise_distances_by_hand():
    d = pairwise_distances(EMB)
    expected = [[0, 1, 2, 2.5], [1, 0, 5 ** 0.5, 4.25 ** 0.5], [2, 5 ** 0.5, 0, 1.5],
                [2.5, 4.25 ** 0.5, 1.5, 0]]
    assert torch.allclose(d, torch.tensor(expected), atol=1e-6)


def test_semi_hard_loss_by_hand():
    # (a, p, semi-hard n): (0,1,2): 1 - 2; (1,0,3): 1 - sqrt 4.25; (2,3,0): 1.5 - 2;
    # (3,2,1): 1.5 - sqrt 4.25; each + margin 1.5, all positive
    parts = [1 - 2, 1 - 4.25 ** 0.5, 1.5 - 2, 1.5 - 4.25 ** 0.5]
    expected = np.mean([p + 1.5 for p in parts])
    assert float(TripletLoss(margin=1.5)(EMB, LABELS)) == pytest.approx(expected, abs=1e-6)
    # margin 0.2: every semi-hard negative is more than 0.2 beyond its positive -> 0
    assert float(TripletLoss(margin=0.2)(EMB, LABELS)) == pytest.approx(0.0)


def test_hard_loss_by_hand():
    # batch hard: anchor 0: pos 1 (1), closest neg 2 (2); 1: pos 0 (1), neg 3 (sqrt 4.25);
    # 2: pos 3 (1.5), neg 0 (2); 3: pos 2 (1.5), neg 1 (sqrt 4.25); margin 1
    parts = [1 - 2 + 1, 1 - 4.25 ** 0.5 + 1, 1.5 - 2 + 1, 1.5 - 4.25 ** 0.5 + 1]
    loss = TripletLoss(margin=1.0, mining="hard")(EMB, LABELS)
    assert float(loss) == pytest.approx(np.mean([max(p, 0) for p in parts]), abs=1e-6)


def test_semi_hard_mining_picks_the_closest_negative_beyond_the_positive():
    # anchor 0 (person 0), positive 1 at distance 1; negatives at 0.5 (hard), 1.2 and 3.0
    # (both semi-hard / easy): semi-hard mining takes 1.2, batch-hard takes 0.5
    d = torch.tensor([[0.0, 1.0, 0.5, 1.2, 3.0],
                      [1.0, 0.0, 2.0, 2.0, 2.0],
                      [0.5, 2.0, 0.0, 1.0, 1.0],
                      [1.2, 2.0, 1.0, 0.0, 1.0],
                      [3.0, 2.0, 1.0, 1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    a, p, n = mine_semi_hard(d, labels)
    pick = {(int(i), int(j)): int(k) for i, j, k in zip(a, p, n, strict=True)}
    assert pick[(0, 1)] == 3
    assert mine_hard(d, labels)[2][0] == 2
    # no negative beyond the positive: the farthest negative (TF Addons' rule)
    d2 = d.clone()
    d2[0, 1] = d2[1, 0] = 5.0
    a, p, n = mine_semi_hard(d2, labels)
    assert {(int(i), int(j)): int(k) for i, j, k in zip(a, p, n, strict=True)}[(0, 1)] == 4


def test_loss_without_triplets_is_zero_with_gradient():
    emb = torch.randn(3, 4, requires_grad=True)
    loss = TripletLoss()(emb, torch.tensor([0, 1, 2]))  # no positives
    loss.backward()
    assert float(loss.detach()) == 0.0 and emb.grad is not None


def test_loss_rejects_bad_options():
    with pytest.raises(InputError, match="mining"):
        TripletLoss(mining="easy")


def test_person_batch_sampler_gives_p_persons_of_k_windows():
    persons = np.repeat(np.arange(6), [10, 10, 10, 3, 1, 10])
    sampler = PersonBatchSampler(persons, persons_per_batch=4, windows_per_person=3, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler) == len(persons) // 12
    for batch in batches:
        counts = np.unique(persons[batch], return_counts=True)[1]
        assert len(counts) == 4 and set(counts) == {3}
    sampler.set_epoch(1)
    assert list(sampler) != batches  # a new draw each epoch
    with pytest.raises(InputError, match="two persons"):
        PersonBatchSampler([0, 0, 0])
