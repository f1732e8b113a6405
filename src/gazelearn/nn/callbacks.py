"""Callbacks of the training loop: best checkpoint, early stopping, LR schedules, CSV log, progress.

A callback sees a :class:`TrainState` at the start of training, after every epoch (with that
epoch's metrics in ``state.metrics``) and at the end. Setting ``state.stop = True`` ends training
after the current epoch. Under data-parallel training every process runs the callbacks with the
same metrics (they are gathered over processes); only rank 0 writes files.

Examples
--------
>>> stopper = EarlyStopping(monitor="val_loss", patience=2)
>>> state = TrainState(model=None, optimizer=None, epochs=10)
>>> for epoch, loss in enumerate([1.0, 0.9, 0.9, 0.9]):
...     state.epoch, state.metrics = epoch, {"val_loss": loss}
...     stopper.on_epoch_end(state)
>>> state.stop, stopper.stopped_epoch
(True, 3)
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gazelearn._terminal import progress_wanted
from gazelearn.errors import InputError

_LOWER_IS_BETTER = ("loss", "error", "mae", "mse", "rmse", "distance", "eer")


def infer_mode(monitor: str) -> str:
    """``min`` for losses and errors, ``max`` for scores such as accuracy."""
    return "min" if any(word in monitor.lower() for word in _LOWER_IS_BETTER) else "max"


@dataclass
class TrainState:
    """What callbacks see: the model, optimizer, epoch counters, metrics and the stop flag."""

    model: Any
    optimizer: Any
    epochs: int
    epoch: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    stop: bool = False
    is_main: bool = True
    best_epoch: int | None = None


class Callback:
    """Base class: override any of the three hooks."""

    def on_train_begin(self, state: TrainState) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, state: TrainState) -> None:
        """Called after every epoch with ``state.metrics`` filled."""

    def on_train_end(self, state: TrainState) -> None:
        """Called once after the last epoch (also after an early stop)."""


class _Monitor:
    def __init__(self, monitor: str, mode: str | None, min_delta: float) -> None:
        self.monitor = monitor
        self.mode = mode or infer_mode(monitor)
        if self.mode not in ("min", "max"):
            raise InputError(f"mode must be 'min' or 'max', got {mode!r}")
        self.min_delta = abs(min_delta)
        self.best = math.inf if self.mode == "min" else -math.inf

    def value(self, state: TrainState) -> float:
        if self.monitor not in state.metrics:
            raise InputError(f"cannot monitor {self.monitor!r}: the epoch's metrics are "
                             f"{', '.join(sorted(state.metrics))}")
        return float(state.metrics[self.monitor])

    def improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class BestCheckpoint(Callback, _Monitor):
    """Keep the weights of the best epoch by a monitored metric; restore them at the end.

    Parameters
    ----------
    monitor : str
        Metric name, e.g. ``val_loss`` or ``val_accuracy``.
    mode : {"min", "max"}, optional
        Inferred from the name when omitted.
    path : str or Path, optional
        Also write the best weights there (safetensors), on rank 0 only.
    restore_best : bool
        Load the best weights into the model when training ends.
    """

    def __init__(self, monitor: str = "val_loss", mode: str | None = None,
                 path: str | Path | None = None, restore_best: bool = True,
                 min_delta: float = 0.0) -> None:
        _Monitor.__init__(self, monitor, mode, min_delta)
        self.path = None if path is None else Path(path)
        self.restore_best = restore_best
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_epoch: int | None = None

    def on_epoch_end(self, state: TrainState) -> None:
        value = self.value(state)
        if self.improved(value) or self.best_state is None:
            self.best = value if not math.isnan(value) else self.best
            self.best_epoch = state.epoch
            state.best_epoch = state.epoch
            self.best_state = {k: v.detach().cpu().clone()
                               for k, v in state.model.state_dict().items()}
            if self.path is not None and state.is_main:
                from safetensors.torch import save

                from gazelearn.io.atomic import atomic_write_bytes

                # through the one atomic writer: a kill mid-epoch leaves the previous best
                # checkpoint (or none), never a half-written file
                atomic_write_bytes(self.path, save(
                    {k: v.contiguous() for k, v in self.best_state.items()},
                    metadata={"epoch": str(state.epoch), self.monitor: repr(value)}))

    def on_train_end(self, state: TrainState) -> None:
        if self.restore_best and self.best_state is not None:
            state.model.load_state_dict(self.best_state)
            state.best_epoch = self.best_epoch


class EarlyStopping(Callback, _Monitor):
    """Stop when the monitored metric has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        Metric name.
    patience : int
        Epochs without improvement tolerated.
    mode : {"min", "max"}, optional
        Inferred from the name when omitted.
    min_delta : float
        Smallest change that counts as an improvement.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, mode: str | None = None,
                 min_delta: float = 0.0) -> None:
        _Monitor.__init__(self, monitor, mode, min_delta)
        self.patience = int(patience)
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_train_begin(self, state: TrainState) -> None:
        self.wait = 0
        self.stopped_epoch = None
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, state: TrainState) -> None:
        value = self.value(state)
        if self.improved(value):
            self.best = value
            self.wait = 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop = True
            self.stopped_epoch = state.epoch


class LRSchedule(Callback):
    """Learning-rate schedule: ``plateau`` (reduce on plateau) or ``cosine`` (annealing).

    Parameters
    ----------
    kind : {"plateau", "cosine"}
    monitor : str
        Metric for ``plateau``.
    factor, patience, min_lr : float, int, float
        ``plateau``: multiply the rate by ``factor`` after ``patience`` epochs without
        improvement, never below ``min_lr`` (also the floor of ``cosine``).
    """

    def __init__(self, kind: str = "plateau", monitor: str = "val_loss", factor: float = 0.5,
                 patience: int = 3, min_lr: float = 0.0, mode: str | None = None) -> None:
        if kind not in ("plateau", "cosine"):
            raise InputError(f"lr schedule must be 'plateau' or 'cosine', got {kind!r}")
        self.kind = kind
        self.monitor = monitor
        self.mode = mode or infer_mode(monitor)
        self.factor = factor
        self.patience = patience
        self.min_lr = min_lr
        self.scheduler: Any = None

    def on_train_begin(self, state: TrainState) -> None:
        from torch.optim import lr_scheduler

        if self.kind == "plateau":
            self.scheduler = lr_scheduler.ReduceLROnPlateau(
                state.optimizer, mode=self.mode, factor=self.factor, patience=self.patience,
                min_lr=self.min_lr)
        else:
            self.scheduler = lr_scheduler.CosineAnnealingLR(
                state.optimizer, T_max=max(state.epochs, 1), eta_min=self.min_lr)

    def on_epoch_end(self, state: TrainState) -> None:
        state.metrics["lr"] = float(state.optimizer.param_groups[0]["lr"])
        if self.kind == "plateau":
            self.scheduler.step(float(state.metrics[self.monitor]))
        else:
            self.scheduler.step()


class CSVLogger(Callback):
    """Append every epoch's metrics to a CSV file (rank 0 only), flushed after each epoch."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fields: list[str] | None = None

    def on_train_begin(self, state: TrainState) -> None:
        self._fields = None
        if state.is_main:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("")

    def on_epoch_end(self, state: TrainState) -> None:
        if not state.is_main:
            return
        row = {"epoch": state.epoch, **state.metrics}
        new = self._fields is None
        if new:
            self._fields = list(row)
        with self.path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self._fields, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)


class ProgressBar(Callback):
    """A rich progress bar: epoch, loss, validation metric and time left (rank 0 only).

    Parameters
    ----------
    enabled : bool, optional
        Default: only on an interactive terminal, never in CI (see
        :func:`gazelearn._terminal.progress_wanted`).
    show : sequence of str, optional
        Metrics to show; default ``loss`` and every ``val_*`` metric.
    """

    def __init__(self, enabled: bool | None = None, show: list[str] | None = None) -> None:
        self.enabled = progress_wanted() if enabled is None else enabled
        self.show = show
        self._progress: Any = None
        self._task: Any = None
        self._start = 0.0

    def on_train_begin(self, state: TrainState) -> None:
        if not (self.enabled and state.is_main):
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(TextColumn("epoch"), MofNCompleteColumn(), BarColumn(),
                                  TextColumn("{task.fields[metrics]}"), TimeRemainingColumn(),
                                  console=Console(stderr=True), transient=False)
        self._progress.start()
        self._task = self._progress.add_task("train", total=state.epochs, metrics="")
        self._start = time.perf_counter()

    def on_epoch_end(self, state: TrainState) -> None:
        if self._progress is None:
            return
        names = self.show or [k for k in state.metrics if k == "loss" or k.startswith("val_")]
        text = "  ".join(f"{k} {state.metrics[k]:.4g}" for k in names if k in state.metrics)
        self._progress.update(self._task, completed=state.epoch + 1, metrics=text)

    def on_train_end(self, state: TrainState) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

