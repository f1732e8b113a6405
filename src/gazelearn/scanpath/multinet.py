"""A two-input network for scanpaths: a window branch and a heat-map branch, one head.

Each training sample is one window of gaze velocities ``(length, channels)`` paired with the
heat map ``(1, height, width)`` of the recording the window comes from (the functional-API
"multi-input" model of the tutorial's lectures). ``X`` is the triple ``(windows, maps, owner)``:
``maps`` holds one heat map per recording and ``owner[i]`` is the row of ``maps`` for window
``i``, so a map is never copied per window. The window branch is gazelearn's ``conv1d``
factory, the map branch its ``conv2d`` factory, each ending in an embedding instead of class
scores; the two embeddings are concatenated and a linear head gives the class scores.

:class:`MultiInputClassifier` trains it through gazelearn's one fit skeleton
(:class:`gazelearn.learn.torch_estimator.TorchEstimator`: whole groups held out for
validation, best checkpoint, early stopping) and is stored by
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
>>> X = (windows, maps, owner)
>>> clf.fit(X, y, groups=owner).predict_proba(X).shape
(40, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gazelearn.errors import InputError
from gazelearn.learn.data import class_weights, standardization, training_summary
from gazelearn.learn.registry import register_class
from gazelearn.learn.torch_estimator import TorchEstimator, TrainingData
from gazelearn.nn.architectures import conv1d, conv2d
from gazelearn.nn.loop import accuracy
from gazelearn.nn.onnx_export import OnnxSpec, OnnxTensor, Standardize

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


class _WithMaps(nn.Module):
    """``net(windows, maps[owner])`` from ``(windows, owner)``: the maps stay one per recording."""

    def __init__(self, net: nn.Module, maps: torch.Tensor) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("maps", maps)

    def forward(self, windows: torch.Tensor, owner: torch.Tensor) -> torch.Tensor:
        return self.net(windows, self.maps[owner])


class _Inference(nn.Module):
    """Raw ``(windows, maps)`` (one map per window) -> class probabilities: standardisation
    and NaN filling of both inputs, the network and the softmax in one module (for ONNX)."""

    def __init__(self, net: nn.Module, windows: Standardize, maps: Standardize) -> None:
        super().__init__()
        self.net, self.windows, self.maps = net, windows, maps

    def forward(self, windows: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(self.windows(windows), self.maps(maps)), dim=1)


@dataclass
class _PairedData(TrainingData):
    """Training data whose inputs are ``(windows, owner)``, with the maps they point into."""

    maps: Any = None


@register_class
class MultiInputClassifier(ClassifierMixin, TorchEstimator):
    """Classify windows with their recording's heat map as a second input.

    ``X`` (in ``fit``, ``predict`` and ``predict_proba``) is ``(windows, maps, owner)``:
    windows ``(n, length, channels)``, one heat map per recording ``(m, 1, height, width)`` and
    ``owner`` ``(n,)``, the row of ``maps`` for each window.

    Parameters
    ----------
    window_filters, map_filters, embedding, dropout
        See :class:`MultiInputNet`.
    epochs, batch_size, lr, weight_decay : int, int, float, float
        Training (Adam).
    class_weight : None, "balanced", "sqrt" or dict
        Weigh classes in the loss (see :func:`gazelearn.learn.data.class_weights`; "balanced":
        inversely to their share of the training windows).
    validation_fraction : float
        Share of groups held out for validation (best checkpoint, early stopping).
    patience : int, optional
        Early-stopping patience in epochs.
    seed : int
        Seeds initialisation, shuffling and dropout.
    device : str
        ``auto`` (GPU when available), ``cpu`` or ``cuda:N``.
    num_threads : int, optional
        CPU threads.
    progress : bool, optional
        Progress bar.
    """

    _tuple_attributes = ("window_shape_", "map_shape_")

    def __init__(self, window_filters: Sequence[int] = (32, 32),
                 map_filters: Sequence[int] = (16, 32), embedding: int = 32,
                 dropout: float = 0.2, epochs: int = 30, batch_size: int = 32, lr: float = 1e-3,
                 weight_decay: float = 0.0, class_weight: str | dict | None = "balanced",
                 validation_fraction: float = 0.2, patience: int | None = 10, seed: int = 0,
                 device: str = "auto", num_threads: int | None = None,
                 progress: bool | None = None) -> None:
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
        self.device = device
        self.num_threads = num_threads
        self.progress = progress

    def _inputs(self, X: Any, fitting: bool = False) -> tuple[np.ndarray, np.ndarray,
                                                              np.ndarray]:
        if not isinstance(X, tuple | list) or len(X) != 3:
            raise InputError("X must be the triple (windows, maps, owner)")
        windows = np.asarray(X[0], dtype=np.float32)
        maps = np.asarray(X[1], dtype=np.float32)
        owner = np.asarray(X[2], dtype=np.int64)
        if windows.ndim != 3 or maps.ndim != 4:
            raise InputError(f"windows must be (n, length, channels) and maps (m, 1, h, w); got "
                             f"{windows.shape} and {maps.shape}")
        if len(owner) != len(windows) or (len(owner) and (owner.min() < 0
                                                          or owner.max() >= len(maps))):
            raise InputError("owner must give, for every window, the row of its map")
        if not fitting and (windows.shape[1:] != self.window_shape_
                                               or maps.shape[1:] != self.map_shape_):
            raise InputError(f"the model was trained on windows {self.window_shape_} and maps "
                             f"{self.map_shape_}; got {windows.shape[1:]} and {maps.shape[1:]}")
        return windows, maps, owner

    # ------------------------------------------------------------------ TorchEstimator hooks
    def _training_data(self, X: Any, y: Any, groups: Any) -> TrainingData:
        """``X = (windows, maps, owner)``, ``y`` the class of each window, ``groups`` the group
        (participant, recording) of each window: whole groups form the validation set."""
        windows, maps, owner = self._inputs(X, fitting=True)
        if y is None:
            raise InputError("fit needs the class of every window (y)")
        y = np.asarray(y)
        if len(y) != len(windows):
            raise InputError(f"{len(windows)} windows but {len(y)} targets")
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError("the training data has fewer than two classes")
        self.window_shape_ = tuple(int(s) for s in windows.shape[1:])
        self.map_shape_ = tuple(int(s) for s in maps.shape[1:])
        return _PairedData((torch.as_tensor(windows), torch.as_tensor(owner)),
                           torch.as_tensor(codes, dtype=torch.long), groups,
                           training_summary(windows, y, groups), maps=maps)

    def _prepare_training(self, data: TrainingData, train: np.ndarray) -> TrainingData:
        windows, owner = (part.numpy() for part in data.inputs)
        self.window_mean_, self.window_scale_ = standardization(windows[train])
        self.map_mean_, self.map_scale_ = standardization(data.maps[np.unique(owner[train])])
        w, data.maps = self._prepared(windows, data.maps)
        data.inputs = (w, data.inputs[1])
        return data

    def _build_network(self) -> MultiInputNet:
        return MultiInputNet(self.window_shape_[1], self.map_shape_[0], len(self.classes_),
                             self.window_filters, self.map_filters, self.embedding, self.dropout)

    def _loss(self, data: TrainingData, train: np.ndarray) -> Any:
        weights = class_weights(data.targets.numpy()[train], len(self.classes_),
                                self.class_weight, self.classes_.tolist())
        return nn.CrossEntropyLoss(
            weight=None if weights is None else torch.as_tensor(weights, dtype=torch.float32))

    def _metrics(self, data: TrainingData) -> dict[str, Any]:
        return {"accuracy": accuracy}

    def _forward(self, data: TrainingData) -> Any:
        maps = {"cpu": data.maps}  # one copy of the maps per device, made on first use

        def forward(model: nn.Module, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
            windows, owner, targets = batch
            key = str(windows.device)
            if key not in maps:
                maps[key] = data.maps.to(windows.device)
            return model(windows, maps[key][owner]), targets

        return forward

    # ------------------------------------------------------------------ prediction
    def _prepared(self, windows: np.ndarray, maps: np.ndarray) -> tuple[torch.Tensor,
                                                                          torch.Tensor]:
        w = np.nan_to_num((windows - self.window_mean_[None]) / self.window_scale_[None])
        m = np.nan_to_num((maps - self.map_mean_[None]) / self.map_scale_[None])
        return torch.as_tensor(w, dtype=torch.float32), torch.as_tensor(m, dtype=torch.float32)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of every window, ``(n, n_classes)`` in the order of ``classes_``."""
        check_is_fitted(self, "network_")
        windows, maps, owner = self._inputs(X)
        if len(windows) == 0:
            return np.zeros((0, len(self.classes_)))
        w, m = self._prepared(windows, maps)
        scores = self._network_outputs((w, torch.as_tensor(owner)),
                                       network=_WithMaps(self.network_, m))
        return torch.softmax(scores.double(), dim=1).numpy()

    def onnx_spec(self) -> OnnxSpec:
        """What :func:`gazelearn.nn.onnx_export.export_onnx` writes: ``windows`` and ``maps``
        (each window's own recording's map) to class probabilities."""
        check_is_fitted(self, "network_")
        module = _Inference(self.network_.cpu().eval(),
                            Standardize(self.window_mean_, self.window_scale_),
                            Standardize(self.map_mean_, self.map_scale_)).eval()
        inputs = (OnnxTensor("windows", ("batch", *self.window_shape_),
                             "windows (length, channels) as passed to fit"),
                  OnnxTensor("maps", ("batch", *self.map_shape_),
                             "the heat map of each window's recording"))
        output = OnnxTensor("probabilities", ("batch", len(self.classes_)),
                            "class probabilities, columns in the order of metadata classes")
        return OnnxSpec(module, inputs, (output,), {"classes": self.classes_.tolist()})

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of every window."""
        best = self.predict_proba(X).argmax(axis=1)  # first: NotFittedError before classes_
        return self.classes_[best]
