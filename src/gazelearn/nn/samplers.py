"""Batch samplers: every batch from one group, P groups x K samples, plain shuffled batches.

:class:`GroupBatchSampler` draws each batch from ONE group (a session, a person, a recording): the
webcam gaze model, for example, normalises per session and must see one session per batch. Both
samplers know about data-parallel training: given ``num_replicas`` and ``rank`` each process gets
its own share of batches, and every process gets the same number of batches (DDP needs that).
:class:`PersonBatchSampler` is the opposite of the first: P groups (persons) x K samples in every
batch, so metric-learning losses find positives and negatives inside each batch (one process).

Examples
--------
>>> sampler = GroupBatchSampler(["a", "a", "a", "b", "b"], batch_size=2, seed=0)
>>> batches = list(sampler)
>>> sorted(len(b) for b in batches)
[1, 2, 2]
>>> all(len({["a", "a", "a", "b", "b"][i] for i in b}) == 1 for b in batches)
True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

from gazelearn.errors import InputError
from gazelearn.nn.distributed import world


def _group_members(groups: np.ndarray) -> list[np.ndarray]:
    """The sample indices of each group, groups in sorted order."""
    _, codes = np.unique(groups, return_inverse=True)
    return [np.flatnonzero(codes == c) for c in range(codes.max() + 1)] if len(codes) else []


class _ShardedSampler(Sampler[list[int]]):
    """What the data-parallel batch samplers share: batch options, this process's share, epoch."""

    def __init__(self, batch_size: int, shuffle: bool, drop_last: bool, seed: int,
                 num_replicas: int | None, rank: int | None) -> None:
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}")
        info = world()
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = int(seed)
        self.num_replicas = info.world_size if num_replicas is None else int(num_replicas)
        self.rank = info.rank if rank is None else int(rank)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use a new shuffle for epoch ``epoch`` (same on every process)."""
        self.epoch = int(epoch)


class GroupBatchSampler(_ShardedSampler):
    """Batches of indices that each come from a single group.

    Parameters
    ----------
    groups : sequence
        One group label per sample (any hashable values).
    batch_size : int
        Largest batch; a group's last batch may be smaller (unless ``drop_last``).
    shuffle : bool
        Shuffle samples inside each group and the order of batches, anew every epoch.
    drop_last : bool
        Drop each group's incomplete last batch.
    seed : int
        Seed of the shuffling; epoch ``e`` uses ``seed + e`` (call :meth:`set_epoch`).
    num_replicas, rank : int, optional
        Data-parallel share: process ``rank`` of ``num_replicas`` gets every ``num_replicas``-th
        batch. Taken from the process group (or torchrun's environment) when omitted.
    """

    def __init__(self, groups: Sequence, batch_size: int, shuffle: bool = True,
                 drop_last: bool = False, seed: int = 0, num_replicas: int | None = None,
                 rank: int | None = None) -> None:
        super().__init__(batch_size, shuffle, drop_last, seed, num_replicas, rank)
        self.groups = np.asarray(groups)
        self._members = _group_members(self.groups)

    def _all_batches(self) -> list[list[int]]:
        rng = np.random.default_rng(self.seed + self.epoch)
        batches: list[list[int]] = []
        for members in self._members:
            order = rng.permutation(members) if self.shuffle else members
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                if self.drop_last and len(batch) < self.batch_size:
                    continue
                batches.append([int(i) for i in batch])
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        if self.num_replicas > 1 and batches:
            extra = (-len(batches)) % self.num_replicas  # equal count on every process
            batches += batches[:extra]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        batches = self._all_batches()
        return iter(batches[self.rank::self.num_replicas])

    def __len__(self) -> int:
        return len(self._all_batches()[self.rank::self.num_replicas])


class ShardedBatchSampler(_ShardedSampler):
    """Shuffled batches of ``batch_size`` per process, the same split as ``DistributedSampler``.

    One process sees batch ``k`` = positions ``k*B*N .. (k+1)*B*N`` of the epoch's permutation;
    with ``N`` processes, process ``r`` sees every ``N``-th of those samples. So ``N`` processes
    with ``batch_size=B`` see, per step, the same samples as one process with ``B*N``.

    Parameters
    ----------
    n : int
        Number of samples.
    batch_size : int
        Samples per batch on each process.
    shuffle, drop_last, seed, num_replicas, rank
        As in :class:`GroupBatchSampler`. A last batch of a single sample is merged into the
        batch before it (batch normalisation cannot train on one sample).

    Examples
    --------
    >>> [b for b in ShardedBatchSampler(6, batch_size=4, shuffle=False)]
    [[0, 1, 2, 3], [4, 5]]
    >>> [b for b in ShardedBatchSampler(6, batch_size=2, shuffle=False, num_replicas=2, rank=1)]
    [[1, 3, 5]]
    """

    def __init__(self, n: int, batch_size: int, shuffle: bool = True, drop_last: bool = False,
                 seed: int = 0, num_replicas: int | None = None, rank: int | None = None) -> None:
        super().__init__(batch_size, shuffle, drop_last, seed, num_replicas, rank)
        self.n = int(n)

    def _indices(self) -> np.ndarray:
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(self.n)
        else:
            order = np.arange(self.n)
        extra = (-self.n) % self.num_replicas
        if extra:
            order = np.concatenate([order, order[:extra]])
        return order[self.rank::self.num_replicas]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._batches())

    def _batches(self) -> list[list[int]]:
        mine = self._indices()
        batches = [[int(i) for i in mine[start:start + self.batch_size]]
                   for start in range(0, len(mine), self.batch_size)]
        if batches and len(batches[-1]) < self.batch_size:
            if self.drop_last:
                batches.pop()
            elif len(batches[-1]) == 1 and len(batches) > 1:
                last = batches.pop()
                batches[-1] += last  # a batch of one breaks batch normalisation
        return batches

    def __len__(self) -> int:
        return len(self._batches())


class PersonBatchSampler(Sampler[list[int]]):
    """P x K batches for metric learning: ``persons_per_batch`` persons x ``windows_per_person``.

    Triplet mining needs positives *and* negatives inside every batch; plain shuffled batches of
    many persons rarely hold two windows of the same one.

    Examples
    --------
    >>> persons = ["a"] * 5 + ["b"] * 5 + ["c"] * 2
    >>> sampler = PersonBatchSampler(persons, persons_per_batch=2, windows_per_person=2, seed=0)
    >>> batch = next(iter(sampler))
    >>> len(batch), len({persons[i] for i in batch})
    (4, 2)
    >>> len(sampler)  # 12 windows / (2 x 2)
    3

    Parameters
    ----------
    persons : sequence
        The person of every sample.
    persons_per_batch : int
        P; all persons when there are fewer.
    windows_per_person : int
        K; drawn without replacement when a person has enough windows, else with replacement.
    batches_per_epoch : int, optional
        Default: samples // (P x K), at least 1 (about one pass over the data per epoch).
    seed : int
        Epoch ``e`` draws with ``seed + e`` (the trainer calls :meth:`set_epoch`).

    Notes
    -----
    Single-process only: under data-parallel training every process would draw the same
    batches. Persons with a single window still serve as negatives.
    """

    def __init__(self, persons: Sequence, persons_per_batch: int = 16, windows_per_person: int = 4,
                 batches_per_epoch: int | None = None, seed: int = 0) -> None:
        if persons_per_batch < 2:
            raise InputError(f"persons_per_batch must be at least 2, got {persons_per_batch}")
        if windows_per_person < 2:
            raise InputError(f"windows_per_person must be at least 2, got {windows_per_person}")
        self._members = _group_members(np.asarray(persons))
        n_samples = sum(len(m) for m in self._members)
        if len(self._members) < 2:
            raise InputError("metric learning needs windows of at least two persons")
        self.persons_per_batch = int(persons_per_batch)
        self.windows_per_person = int(windows_per_person)
        default = n_samples // (self.persons_per_batch * self.windows_per_person)
        self.batches_per_epoch = int(batches_per_epoch or max(default, 1))
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw epoch ``epoch``'s batches (the same on every run)."""
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng(self.seed + self.epoch)
        p = min(self.persons_per_batch, len(self._members))
        k = self.windows_per_person
        for _ in range(self.batches_per_epoch):
            batch: list[int] = []
            for person in rng.choice(len(self._members), size=p, replace=False):
                members = self._members[person]
                batch.extend(int(i) for i in rng.choice(members, size=k,
                                                        replace=len(members) < k))
            yield batch

    def __len__(self) -> int:
        return self.batches_per_epoch
