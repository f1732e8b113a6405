"""The one training loop of gazelearn, on plain PyTorch.

:class:`Trainer` trains any ``torch.nn.Module`` with any loss and any metrics: mini-batches from a
sampler (shuffled, or :class:`~gazelearn.nn.samplers.GroupBatchSampler`), validation every epoch,
callbacks (best checkpoint, early stopping, LR schedules, CSV log, progress bar), a fixed seed
(same seed, same numbers on CPU), CPU threads shared sensibly between processes, and data-parallel
training under ``torchrun`` (DDP; gloo on CPU, NCCL on GPU; only rank 0 writes files).

We wrote our own loop rather than using Lightning: it is about 300 lines, has no extra
dependency, is deterministic by construction and lets us decide how DDP splits the data.

Examples
--------
>>> import torch
>>> from gazelearn.nn.architectures import mlp
>>> X = torch.randn(64, 4); y = (X[:, 0] > 0).long()
>>> trainer = Trainer(epochs=3, batch_size=16, lr=0.01, seed=0, progress=False)
>>> history = trainer.fit(mlp(4, 2, hidden=(8,)), torch.nn.CrossEntropyLoss(), (X, y),
...                       val=(X, y), metrics={"accuracy": accuracy})
>>> [round(h["epoch"]) for h in history.epochs]
[0, 1, 2]
>>> sorted(history.epochs[-1])
['epoch', 'loss', 'lr', 'time', 'val_accuracy', 'val_loss']
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler, TensorDataset

import gazelearn.nn.distributed as distributed
from gazelearn.errors import InputError
from gazelearn.nn.callbacks import Callback, ProgressBar, TrainState
from gazelearn.nn.samplers import ShardedBatchSampler

Metric = Callable[[torch.Tensor, torch.Tensor], float]
Forward = Callable[[nn.Module, Any], tuple[torch.Tensor, torch.Tensor]]


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Share of rows whose highest output is the target class."""
    return float((outputs.argmax(dim=1) == targets).double().mean())


def mean_absolute_error(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean absolute difference between outputs and targets."""
    return float((outputs.reshape(targets.shape) - targets).abs().double().mean())


@dataclass
class History:
    """Metrics of every epoch (list of dicts), the best epoch, whether training stopped early."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def column(self, name: str) -> list[float]:
        """One metric over the epochs."""
        return [row.get(name, float("nan")) for row in self.epochs]


def as_dataset(data: Dataset | tuple | None) -> Dataset | None:
    """A torch dataset from a dataset or an ``(X, y)`` pair of arrays/tensors."""
    if data is None or isinstance(data, Dataset):
        return data
    if isinstance(data, tuple | list) and len(data) == 2:
        X, y = (torch.as_tensor(np.asarray(v) if not torch.is_tensor(v) else v) for v in data)
        if len(X) != len(y):
            raise InputError(f"X has {len(X)} rows but y has {len(y)}")
        return TensorDataset(X, y)
    raise InputError("training data must be a torch Dataset or an (X, y) pair")


def default_forward(model: nn.Module, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``model(x), y`` for a batch ``(x, y)``."""
    x, y = batch
    return model(x), y


def thread_count(requested: int | None = None) -> int:
    """CPU threads per process: all usable cores shared between this node's processes."""
    if requested:
        return int(requested)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, distributed.world().local_world_size))


@contextlib.contextmanager
def torch_threads(requested: int | None = None) -> Iterator[int]:
    """Run a block with ``thread_count(requested)`` torch CPU threads, restoring the old count.

    Training and prediction both use it, so a model's ``num_threads`` means the same in both
    and a caller's own setting survives the call.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1) as n:
    ...     n, torch.get_num_threads()
    (1, 1)
    >>> torch.get_num_threads() == before
    True
    """
    old = torch.get_num_threads()
    count = thread_count(requested)
    torch.set_num_threads(count)
    try:
        yield count
    finally:
        torch.set_num_threads(old)


def _to(batch: Any, device: torch.device) -> Any:
    if torch.is_tensor(batch):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, tuple | list):
        return type(batch)(_to(b, device) for b in batch)
    if isinstance(batch, Mapping):
        return {k: _to(v, device) for k, v in batch.items()}
    return batch


def make_optimizer(name_or_factory: str | Callable, parameters: Iterable, lr: float,
                   weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """``adam``, ``adamw`` or ``sgd`` (momentum 0.9), or ``factory(parameters, lr)``."""
    if callable(name_or_factory):
        return name_or_factory(parameters, lr)
    choices = {
        "adam": lambda: torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay),
        "adamw": lambda: torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay),
        "sgd": lambda: torch.optim.SGD(parameters, lr=lr, momentum=0.9,
                                       weight_decay=weight_decay),
    }
    if name_or_factory not in choices:
        raise InputError(f"unknown optimizer {name_or_factory!r}; choose from "
                         f"{', '.join(choices)}")
    return choices[name_or_factory]()


class Trainer:
    """Train a module: epochs of mini-batches, validation, callbacks, seeds, threads and DDP.

    Parameters
    ----------
    epochs : int
        Largest number of epochs (early stopping may end sooner).
    batch_size : int
        Samples per batch on each process (under DDP the effective batch is ``N`` times this).
    lr, weight_decay : float
        Learning rate and L2 penalty of the optimizer.
    optimizer : str or callable
        ``adam``, ``adamw``, ``sgd``, or ``factory(parameters, lr) -> Optimizer``.
    callbacks : sequence of Callback
        Run in order after every epoch.
    seed : int
        Seeds the shuffling and torch's random numbers (dropout); training is repeatable.
    device : str
        ``auto`` (this process's GPU, else CPU), ``cpu``, ``cuda:0``, ...
    num_threads : int, optional
        CPU threads; default: usable cores divided by the processes on this node.
    grad_clip : float, optional
        Clip the gradient norm to this value.
    progress : bool, optional
        Show a progress bar; default only on an interactive terminal.
    forward : callable, optional
        ``forward(model, batch) -> (outputs, targets)`` for batches that are not ``(x, y)``
        (e.g. triplets); the loss is ``loss_fn(outputs, targets)``.
    """

    def __init__(self, epochs: int = 20, batch_size: int = 64, lr: float = 1e-3,
                 weight_decay: float = 0.0, optimizer: str | Callable = "adam",
                 callbacks: Sequence[Callback] = (), seed: int = 0, device: str = "auto",
                 num_threads: int | None = None, grad_clip: float | None = None,
                 progress: bool | None = None, forward: Forward | None = None) -> None:
        if epochs < 1:
            raise InputError(f"epochs must be at least 1, got {epochs}")
        self.epochs = int(epochs)
        self.batch_size = int(batch_size)
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.optimizer = optimizer
        self.callbacks = list(callbacks)
        self.seed = int(seed)
        self.device = device
        self.num_threads = num_threads
        self.grad_clip = grad_clip
        self.progress = progress
        self.forward = forward or default_forward

    # ------------------------------------------------------------------ public
    def fit(self, model: nn.Module, loss_fn: Callable, train: Dataset | tuple,
            val: Dataset | tuple | None = None, metrics: Mapping[str, Metric] | None = None,
            batch_sampler: Sampler | None = None) -> History:
        """Train ``model`` in place and return the :class:`History` of every epoch.

        Parameters
        ----------
        model : torch.nn.Module
        loss_fn : callable
            ``loss_fn(outputs, targets) -> scalar tensor`` (mean over the batch).
        train, val : Dataset or (X, y)
            Training and (optional) validation data. Without validation data the metrics are
            computed on the training data.
        metrics : mapping of name to ``fn(outputs, targets) -> float``
            Logged as ``val_<name>`` (or ``train_<name>`` without validation data).
        batch_sampler : Sampler, optional
            Yields lists of indices (e.g. :class:`~gazelearn.nn.samplers.GroupBatchSampler`);
            default: shuffled batches of ``batch_size`` shared across processes.
        """
        train_set, val_set = as_dataset(train), as_dataset(val)
        if len(train_set) == 0:
            raise InputError("no training samples")
        info = distributed.setup()
        device = distributed.device_for(self.device)
        fork_devices = [device.index or 0] if device.type == "cuda" else []
        with torch_threads(self.num_threads), torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(self.seed + info.rank)
            return self._fit(model, loss_fn, train_set, val_set, dict(metrics or {}),
                             batch_sampler, device, info)

    def evaluate(self, model: nn.Module, loss_fn: Callable | None, data: Dataset | tuple,
                 metrics: Mapping[str, Metric] | None = None, prefix: str = "val_",
                 device: torch.device | None = None) -> dict[str, float]:
        """Loss and metrics of ``model`` on ``data`` (gathered over processes under DDP)."""
        dataset = as_dataset(data)
        device = device or distributed.device_for(self.device)
        info = distributed.world()
        positions = np.arange(len(dataset))[info.rank::info.world_size] \
            if distributed.is_active() else np.arange(len(dataset))
        batches = [positions[i:i + self.batch_size].tolist()
                   for i in range(0, len(positions), self.batch_size)]
        loader = DataLoader(dataset, batch_sampler=batches)
        was_training = model.training
        model.eval()
        total = torch.zeros(2, dtype=torch.float64)
        outputs, targets = [], []
        with torch.no_grad():
            for batch in loader:
                out, target = self.forward(model, _to(batch, device))
                if loss_fn is not None:
                    total += torch.tensor([float(loss_fn(out, target)) * len(target),
                                           len(target)], dtype=torch.float64)
                if metrics:
                    outputs.append(out.detach().cpu())
                    targets.append(target.detach().cpu())
        model.train(was_training)
        total = distributed.all_reduce_sum(total)
        result: dict[str, float] = {}
        if loss_fn is not None:
            result[f"{prefix}loss"] = float(total[0] / max(total[1], 1))
        if metrics:
            out = distributed.all_gather_rows(torch.cat(outputs)) if outputs else torch.empty(0)
            target = distributed.all_gather_rows(torch.cat(targets)) if targets else \
                torch.empty(0)
            for name, fn in metrics.items():
                result[f"{prefix}{name}"] = float(fn(out, target)) if len(target) else \
                    float("nan")
        return result

    # ------------------------------------------------------------------ internals
    def _fit(self, model: nn.Module, loss_fn: Callable, train_set: Dataset,
             val_set: Dataset | None, metrics: dict[str, Metric],
             batch_sampler: Sampler | None, device: torch.device,
             info: distributed.World) -> History:
        model.to(device)
        if hasattr(loss_fn, "to"):
            loss_fn = loss_fn.to(device)
        net: nn.Module = model
        if distributed.is_active():
            net = nn.parallel.DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None)
        optimizer = make_optimizer(self.optimizer, model.parameters(), self.lr,
                                   self.weight_decay)
        sampler = batch_sampler or ShardedBatchSampler(len(train_set), self.batch_size,
                                                       shuffle=True, seed=self.seed)
        loader = DataLoader(train_set, batch_sampler=sampler)
        callbacks = list(self.callbacks)
        if not any(isinstance(c, ProgressBar) for c in callbacks):
            callbacks.append(ProgressBar(enabled=self.progress))
        state = TrainState(model=model, optimizer=optimizer, epochs=self.epochs,
                           is_main=info.is_main)
        history = History()
        for callback in callbacks:
            callback.on_train_begin(state)
        for epoch in range(self.epochs):
            start = time.perf_counter()
            if hasattr(sampler, "set_epoch"):
                sampler.set_epoch(epoch)
            net.train()
            loss_sum, count = 0.0, 0
            for batch in loader:
                batch = _to(batch, device)
                optimizer.zero_grad(set_to_none=True)
                outputs, targets = self.forward(net, batch)
                loss = loss_fn(outputs, targets)
                loss.backward()
                if self.grad_clip:
                    nn.utils.clip_grad_norm_(model.parameters(), self.grad_clip)
                optimizer.step()
                loss_sum += float(loss.detach()) * len(targets)
                count += len(targets)
            totals = distributed.all_reduce_sum(torch.tensor([loss_sum, count],
                                                             dtype=torch.float64))
            epoch_metrics = {"loss": float(totals[0] / max(totals[1], 1))}
            if val_set is not None and len(val_set):
                epoch_metrics.update(self.evaluate(model, loss_fn, val_set, metrics, "val_",
                                                   device))
            elif metrics:
                epoch_metrics.update(self.evaluate(model, None, train_set, metrics, "train_",
                                                   device))
            epoch_metrics["lr"] = float(optimizer.param_groups[0]["lr"])
            epoch_metrics["time"] = time.perf_counter() - start
            state.epoch, state.metrics = epoch, epoch_metrics
            for callback in callbacks:
                callback.on_epoch_end(state)
            history.epochs.append({"epoch": epoch, **state.metrics})
            state.history = history.epochs
            if distributed.broadcast_flag(state.stop):
                history.stopped_early = epoch < self.epochs - 1
                break
        for callback in callbacks:
            callback.on_train_end(state)
        history.best_epoch = state.best_epoch
        return history


def predict(model: nn.Module, X: Any, batch_size: int = 256,
            device: str = "cpu") -> torch.Tensor:
    """Outputs of ``model`` for every row of ``X`` in batches, without gradients (eval mode).

    ``X`` is one array or tensor, or a tuple of them for a network with several inputs (row
    ``i`` of each belongs to example ``i``; the model gets ``model(x_1, ..., x_k)``).
    """
    inputs = tuple(X) if isinstance(X, tuple | list) else (X,)
    inputs = tuple(torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x)
                   for x in inputs)
    target = distributed.device_for(device)
    model.to(target)
    was_training = model.training
    model.eval()
    parts = []
    with torch.no_grad():
        for start in range(0, len(inputs[0]), batch_size):
            parts.append(model(*(x[start:start + batch_size].to(target) for x in inputs)).cpu())
    model.train(was_training)
    return torch.cat(parts) if parts else torch.empty(0)
