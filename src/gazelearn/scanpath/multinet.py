"""A two-input network for scanpaths: a window branch and a heat-map branch, one head.

Each training sample is one window of gaze velocities ``(length, channels)`` paired with the
heat map ``(1, height, width)`` of the recording the window comes from (the functional-API
"multi-input" model of the tutorial's lectures). The window branch is gazelearn's ``conv1d``
factory, the map branch its ``conv2d`` factory, each ending in an embedding instead of class
scores; the two embeddings are concatenated and a linear head gives the class scores.

:class:`MultiInputClassifier` trains it with the one training loop
(:class:`gazelearn.nn.loop.Trainer`, custom ``forward`` as in :mod:`gazelearn.appearance`), holds
out whole groups for validation (best checkpoint, early stopping) and is stored by
:func:`gazelearn.learn.save_model` like every estimator (safetensors + JSON, no pickle).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> windows = rng.normal(size=(40, 20, 3)).astype("float32")
>>> maps = rng.random(size=(8, 1, 12, 16)).astype("float32")
>>> owner = np.repeat(np.arange(8), 5)                 # the recording of each window
>>> y = owner % 2
>>> clf = MultiInputClassifier(epochs=2, num_threads=1, progress=False)
>>> clf.fit(windows, maps, owner, y, groups=owner).predict_proba(windows, maps, owner).shape
(40, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.utils.data import Dataset

from gazelearn.errors import InputError
from gazelearn.learn.data import standardization, training_summary, validation_split
from gazelearn.learn.registry import register_class
from gazelearn.learn.serialize import network_state, restore_network_state
from gazelearn.nn import callbacks as cb
from gazelearn.nn.architectures import conv1d, conv2d
from gazelearn.nn.loop import Trainer, accuracy

__all__ = ["MultiInputClassifier", "MultiInputNet"]


class MultiInputNet(nn.Module):
    """Window branch (1-D CNN) + heat-map branch (2-D CNN) -> concatenated embeddings -> scores.

    Parameters
    ----------
    window_channels : int
        Signal channels of a window (e.g. ``vx``, ``vy``, ``valid``).
    map_channels : int
        Channels of a heat map (1).
    n_outputs : int
        Classes.
    window_filters, map_filters : sequence of int
        Filters per block of each branch.
    embedding : int
        Output width of each branch.
    dropout : float
        Dropout before the head.
    """

    def __init__(self, window_channels: int, map_channels: int, n_outputs: int,
                 window_filters: Sequence[int] = (32, 32), map_filters: Sequence[int] = (16, 32),
                 embedding: int = 32, dropout: float = 0.2) -> None:
        super().__init__()
        self.windows = conv1d(window_channels, embedding, channels=tuple(window_filters))
        self.maps = conv2d(map_channels, embedding, channels=tuple(map_filters))
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(dropout),
                                  nn.Linear(2 * embedding, n_outputs))

    def forward(self, windows: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.windows(windows), self.maps(maps)], dim=1))


class _Paired(Dataset):
    """``(window, map of its recording, target)`` without copying a map per window."""

    def __init__(self, windows: torch.Tensor, maps: torch.Tensor, owner: np.ndarray,
                 targets: torch.Tensor, rows: np.ndarray) -> None:
        self.windows, self.maps, self.targets = windows, maps, targets
        self.owner = torch.as_tensor(owner, dtype=torch.long)
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        row = int(self.rows[i])
        return self.windows[row], self.maps[self.owner[row]], self.targets[row]


def _forward(model: nn.Module, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    windows, maps, targets = batch
    return model(windows, maps), targets


@register_class
class MultiInputClassifier(ClassifierMixin, BaseEstimator):
    """Classify windows with their recording's heat map as a second input.

    Parameters
    ----------
    window_filters, map_filters, embedding, dropout
        See :class:`MultiInputNet`.
    epochs, batch_size, lr, weight_decay : int, int, float, float
        Training (Adam).
    class_weight : None or "balanced"
        Weigh classes inversely to their share of the training windows.
    validation_fraction : float
        Share of groups held out for validation (best checkpoint, early stopping).
    patience : int, optional
        Early-stopping patience in epochs.
    seed : int
        Seeds initialisation, shuffling and dropout.
    num_threads : int, optional
        CPU threads.
    progress : bool, optional
        Progress bar.
    """

    def __init__(self, window_filters: Sequence[int] = (32, 32),
                 map_filters: Sequence[int] = (16, 32), embedding: int = 32,
                 dropout: float = 0.2, epochs: int = 30, batch_size: int = 32, lr: float = 1e-3,
                 weight_decay: float = 0.0, class_weight: str | None = "balanced",
                 validation_fraction: float = 0.2, patience: int | None = 10, seed: int = 0,
                 num_threads: int | None = None, progress: bool | None = None) -> None:
        self.window_filters = window_filters
        self.map_filters = map_filters
        self.embedding = embedding
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.seed = seed
        self.num_threads = num_threads
        self.progress = progress

    def _net(self) -> MultiInputNet:
        return MultiInputNet(self.window_shape_[1], self.map_shape_[0], len(self.classes_),
                             self.window_filters, self.map_filters, self.embedding, self.dropout)

    def _inputs(self, windows: Any, maps: Any, owner: Any) -> tuple[torch.Tensor, torch.Tensor,
                                                                     np.ndarray]:
        windows = np.asarray(windows, dtype=np.float32)
        maps = np.asarray(maps, dtype=np.float32)
        owner = np.asarray(owner, dtype=np.int64)
        if windows.ndim != 3 or maps.ndim != 4:
            raise InputError(f"windows must be (n, length, channels) and maps (m, 1, h, w); got "
                             f"{windows.shape} and {maps.shape}")
        if len(owner) != len(windows) or (len(owner) and (owner.min() < 0
                                                          or owner.max() >= len(maps))):
            raise InputError("owner must give, for every window, the row of its map")
        if hasattr(self, "window_shape_") and (windows.shape[1:] != self.window_shape_
                                               or maps.shape[1:] != self.map_shape_):
            raise InputError(f"the model was trained on windows {self.window_shape_} and maps "
                             f"{self.map_shape_}; got {windows.shape[1:]} and {maps.shape[1:]}")
        return windows, maps, owner

    def fit(self, windows: Any, maps: Any, owner: Any, y: Any,
            groups: Any = None) -> MultiInputClassifier:
        """Train on windows, the maps of their recordings (``maps[owner[i]]``) and targets.

        Parameters
        ----------
        windows : array (n, length, channels)
        maps : array (m, 1, height, width)
            One heat map per recording.
        owner : array of int (n,)
            Row of ``maps`` for each window.
        y : array (n,)
            Class of each window.
        groups : array (n,), optional
            Group (participant, recording) of each window; whole groups form the validation set.
        """
        windows, maps, owner = self._inputs(windows, maps, owner)
        y = np.asarray(y)
        if len(y) != len(windows):
            raise InputError(f"{len(windows)} windows but {len(y)} targets")
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError("the training data has fewer than two classes")
        train, val = validation_split(len(windows), groups, self.validation_fraction, None,
                                      self.seed)
        self.window_shape_ = tuple(int(s) for s in windows.shape[1:])
        self.map_shape_ = tuple(int(s) for s in maps.shape[1:])
        self.window_mean_, self.window_scale_ = standardization(windows[train])
        self.map_mean_, self.map_scale_ = standardization(maps[np.unique(owner[train])])
        w, m = self._prepared(windows, maps)
        targets = torch.as_tensor(codes, dtype=torch.long)
        weight = None
        if self.class_weight == "balanced":
            counts = np.bincount(codes[train], minlength=len(self.classes_)).astype(float)
            weight = torch.as_tensor(len(train) / (len(self.classes_) * np.maximum(counts, 1)),
                                     dtype=torch.float32)
        elif self.class_weight is not None:
            raise InputError(f"class_weight must be None or 'balanced', got "
                             f"{self.class_weight!r}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = self._net()
        monitor = "val_loss" if len(val) else "loss"
        callbacks: list[cb.Callback] = [cb.BestCheckpoint(monitor)]
        if self.patience:
            callbacks.append(cb.EarlyStopping(monitor, patience=self.patience))
        trainer = Trainer(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                          weight_decay=self.weight_decay, callbacks=callbacks, seed=self.seed,
                          device="cpu", num_threads=self.num_threads, progress=self.progress,
                          forward=_forward)
        history = trainer.fit(net, nn.CrossEntropyLoss(weight=weight),
                              _Paired(w, m, owner, targets, train),
                              val=_Paired(w, m, owner, targets, val) if len(val) else None,
                              metrics={"accuracy": accuracy})
        self.model_ = net.eval()
        self.history_ = history.epochs
        self.best_epoch_ = history.best_epoch
        self.n_validation_ = int(len(val))
        self.training_summary_ = training_summary(windows, y, groups)
        return self

    def _prepared(self, windows: np.ndarray, maps: np.ndarray) -> tuple[torch.Tensor,
                                                                          torch.Tensor]:
        w = np.nan_to_num((windows - self.window_mean_[None]) / self.window_scale_[None])
        m = np.nan_to_num((maps - self.map_mean_[None]) / self.map_scale_[None])
        return torch.as_tensor(w, dtype=torch.float32), torch.as_tensor(m, dtype=torch.float32)

    def predict_proba(self, windows: Any, maps: Any, owner: Any) -> np.ndarray:
        """Class probabilities of every window, ``(n, n_classes)`` in the order of ``classes_``."""
        check_is_fitted(self, "model_")
        windows, maps, owner = self._inputs(windows, maps, owner)
        w, m = self._prepared(windows, maps)
        threads = torch.get_num_threads()
        if self.num_threads:
            torch.set_num_threads(int(self.num_threads))
        try:
            self.model_.eval()
            parts = []
            with torch.no_grad():
                for start in range(0, len(w), 256):
                    rows = torch.as_tensor(owner[start:start + 256])
                    parts.append(torch.softmax(self.model_(w[start:start + 256], m[rows])
                                               .double(), dim=1))
        finally:
            torch.set_num_threads(threads)
        return torch.cat(parts).numpy() if parts else np.zeros((0, len(self.classes_)))

    def predict(self, windows: Any, maps: Any, owner: Any) -> np.ndarray:
        """The most probable class of every window."""
        return self.classes_[self.predict_proba(windows, maps, owner).argmax(axis=1)]

    # ------------------------------------------------------------------ model files
    def __gazelearn_state__(self) -> dict[str, Any]:
        check_is_fitted(self, "model_")
        return network_state(self)

    def __gazelearn_restore__(self, state: dict[str, Any]) -> None:
        restore_network_state(self, state, self._net, tuples=("window_shape_", "map_shape_"))
