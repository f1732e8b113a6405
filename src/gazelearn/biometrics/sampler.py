"""P x K batches for metric learning: P persons, K windows of each, in every batch.

Triplet mining needs positives *and* negatives inside every batch; plain shuffled batches of
many persons rarely hold two windows of the same one. :class:`gazelearn.nn.GroupBatchSampler`
draws each batch from ONE group, the opposite of what is needed here, so this sampler is new.

Examples
--------
>>> persons = ["a"] * 5 + ["b"] * 5 + ["c"] * 2
>>> sampler = PersonBatchSampler(persons, persons_per_batch=2, windows_per_person=2, seed=0)
>>> batch = next(iter(sampler))
>>> len(batch), len({persons[i] for i in batch})
(4, 2)
>>> len(sampler)  # 12 windows / (2 x 2)
3
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

from gazelearn.errors import InputError


class PersonBatchSampler(Sampler[list[int]]):
    """Batches of ``persons_per_batch`` persons x ``windows_per_person`` windows each.

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
        _, codes = np.unique(np.asarray(persons), return_inverse=True)
        self._members = [np.flatnonzero(codes == c) for c in range(codes.max() + 1)] \
            if len(codes) else []
        if len(self._members) < 2:
            raise InputError("metric learning needs windows of at least two persons")
        self.persons_per_batch = int(persons_per_batch)
        self.windows_per_person = int(windows_per_person)
        default = len(codes) // (self.persons_per_batch * self.windows_per_person)
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
