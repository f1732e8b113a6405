"""The one fit skeleton of every torch network in gazelearn: :class:`TorchEstimator`.

Every learner with a network (the window classifiers and regressors of :mod:`gazelearn.learn`,
the deep event detector, the eye-image gaze CNN, the biometrics embedder, the scanpath
generators and the multi-input scanpath net) subclasses it. ``fit(X, y=None, groups=None)`` does
the same steps for all of them, in this order:

1. ``_training_data(X, y, groups)`` turns the caller's data (arrays, window sets, recordings,
   images) into a :class:`TrainingData`: network inputs, targets and one group per row;
2. a validation split *by group* (:func:`validation_split`: never rows of one recording, session
   or person on both sides), from ``validation_fraction`` / ``validation_groups``;
3. ``_prepare_training(data, train)`` learns what the training part alone may tell (input
   standardisation, class weights, target scaling) and sets the attributes the network needs;
4. ``_build_network()`` builds the untrained network, seeded by ``seed``;
5. :class:`gazelearn.nn.Trainer` trains it with ``_loss``, ``_metrics``, ``_forward``,
   ``_batch_sampler`` and ``_callbacks`` (best checkpoint, early stopping, LR schedule, CSV log);
6. the network (``network_``), the history and a training summary are stored; ``_after_fit``
   may add more.

Training options (``epochs``, ``batch_size``, ``lr``, ``seed``, ``device``, ``num_threads``, ...)
are read from the constructor parameters when the class has them, else from the class's
``_training_defaults``, else from :data:`TRAINING_DEFAULTS`: a subclass exposes only the options
its users should tune. Model files (:func:`gazelearn.learn.save_model`) store the network's
weights and every fitted attribute; ``_build_network()`` rebuilds the network from those
attributes when a file is loaded.

Examples
--------
>>> import numpy as np, torch
>>> class TinyRegressor(TorchEstimator):
...     _training_defaults = {"validation_fraction": 0.0}
...     def __init__(self, epochs=200, lr=0.05, seed=0, progress=False):
...         self.epochs, self.lr, self.seed, self.progress = epochs, lr, seed, progress
...     def _training_data(self, X, y, groups):
...         return TrainingData(torch.as_tensor(X, dtype=torch.float32),
...                             torch.as_tensor(y, dtype=torch.float32)[:, None], groups)
...     def _build_network(self):
...         return torch.nn.Linear(1, 1)
...     def _loss(self, data, train):
...         return torch.nn.MSELoss()
...     def predict(self, X):
...         return self._network_outputs(np.asarray(X, dtype="float32")).numpy()[:, 0]
>>> X = np.linspace(-1, 1, 64)[:, None]; y = 3 * X[:, 0] + 1
>>> model = TinyRegressor().fit(X, y)
>>> round(float(model.predict([[0.0]])[0]), 1), len(model.history_)
(1.0, 200)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from torch.utils.data import TensorDataset

from gazelearn.errors import InputError
from gazelearn.learn.data import validation_split
from gazelearn.learn.serialize import network_state, restore_network_state
from gazelearn.nn import callbacks as cb
from gazelearn.nn.loop import Trainer, predict, torch_threads

#: Training options every :class:`TorchEstimator` understands, with their defaults.
TRAINING_DEFAULTS: dict[str, Any] = {
    "epochs": 30, "batch_size": 64, "lr": 1e-3, "weight_decay": 0.0, "optimizer": "adam",
    "grad_clip": None, "validation_fraction": 0.2, "validation_groups": None,
    "monitor": "val_loss", "patience": None, "lr_schedule": None, "lr_patience": 3,
    "checkpoint_dir": None,
    "seed": 0, "device": "auto", "num_threads": None, "progress": None,
}


@dataclass
class TrainingData:
    """What a :class:`TorchEstimator` trains on, one row per training example.

    Parameters
    ----------
    inputs : tensor or tuple of tensors
        Network inputs; row ``i`` of every tensor belongs to example ``i``.
    targets : tensor
        Targets, one row per example.
    groups : array of shape (n,), optional
        Recording, session or person of every row: the validation split and group samplers
        never put one group on both sides.
    summary : dict
        A small description of the data (counts, shapes), stored in model files.
    """

    inputs: Any
    targets: torch.Tensor
    groups: Any = None
    summary: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.targets)

    def rows(self, index: np.ndarray) -> Any:
        """The rows ``index`` as :class:`~gazelearn.nn.Trainer` takes them.

        ``(inputs, targets)`` for one input tensor; for several, a dataset whose batches are
        ``[input_1, ..., input_k, targets]`` (the estimator's ``_forward`` unpacks them).
        """
        index = torch.as_tensor(index, dtype=torch.long)
        if isinstance(self.inputs, tuple | list):
            return TensorDataset(*(part[index] for part in self.inputs), self.targets[index])
        return self.inputs[index], self.targets[index]


class TorchEstimator(BaseEstimator):
    """Base of every gazelearn estimator that trains a torch network (see the module notes).

    Subclasses implement ``_training_data``, ``_build_network`` and ``_loss``, and may override
    ``_validation_split``, ``_prepare_training``, ``_metrics``, ``_forward``,
    ``_batch_sampler``, ``_callbacks``,
    ``_after_fit`` and ``_tuple_attributes``. Fitted state: ``network_`` (in eval mode, on the
    CPU), ``history_`` (one dict per epoch), ``best_epoch_``, ``stopped_early_``,
    ``n_validation_`` and ``training_summary_``.
    """

    #: Training options this class fixes instead of exposing them as parameters.
    _training_defaults: dict[str, Any] = {}
    #: Fitted attributes that JSON stores as lists but the estimator needs as tuples.
    _tuple_attributes: tuple[str, ...] = ()

    # ------------------------------------------------------------------ options
    def _option(self, name: str) -> Any:
        """A training option: the parameter if the class has one, else the class default."""
        if name in self._get_param_names():
            return getattr(self, name)
        if name in self._training_defaults:
            return self._training_defaults[name]
        return TRAINING_DEFAULTS[name]

    # ------------------------------------------------------------------ hooks
    def _training_data(self, X: Any, y: Any, groups: Any) -> TrainingData:
        raise NotImplementedError

    def _validation_split(self, data: TrainingData, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Training and validation rows (default: whole groups, :func:`validation_split`)."""
        return validation_split(len(data), data.groups, self._option("validation_fraction"),
                                self._option("validation_groups"), seed)

    def _prepare_training(self, data: TrainingData, train: np.ndarray) -> TrainingData:
        """Learn from the training rows what the network needs (default: nothing)."""
        return data

    def _build_network(self) -> torch.nn.Module:
        raise NotImplementedError

    def _loss(self, data: TrainingData, train: np.ndarray) -> Any:
        raise NotImplementedError

    def _metrics(self, data: TrainingData) -> dict[str, Any]:
        return {}

    def _forward(self, data: TrainingData) -> Any:
        """``forward(module, batch) -> (outputs, targets)`` for the Trainer (None: default)."""
        return None

    def _batch_sampler(self, data: TrainingData, train: np.ndarray) -> Any:
        return None

    def _callbacks(self, monitor: str) -> list[cb.Callback]:
        callbacks: list[cb.Callback] = [cb.BestCheckpoint(monitor,
                                                          path=self._checkpoint_path("best"))]
        if self._option("patience"):
            callbacks.append(cb.EarlyStopping(monitor, patience=self._option("patience")))
        if self._option("lr_schedule"):
            callbacks.append(cb.LRSchedule(self._option("lr_schedule"), monitor=monitor,
                                           patience=self._option("lr_patience")))
        if self._option("checkpoint_dir"):
            callbacks.append(cb.CSVLogger(Path(self._option("checkpoint_dir")) / "log.csv"))
        return callbacks

    def _after_fit(self, data: TrainingData) -> None:
        """Store anything else the fitted estimator needs (default: nothing)."""

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, groups: Any = None) -> TorchEstimator:
        """Train the network on ``X`` (and ``y``); ``groups`` keep the validation split honest.

        Parameters
        ----------
        X : array, window set or sequence of recordings
            What the subclass trains on (see its documentation).
        y : array, optional
            Targets, when ``X`` does not carry them.
        groups : array, optional
            Recording, session or person of every example; the validation set is whole groups.
            Without groups no validation set is held out and ``monitor`` falls back to the
            training loss.

        Returns
        -------
        self
        """
        start = time.perf_counter()
        data = self._training_data(X, y, groups)
        if len(data) == 0:
            raise InputError("no training examples")
        seed = int(self._option("seed"))
        train, val = self._validation_split(data, seed)
        data = self._prepare_training(data, train)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            network = self._build_network()
        monitor = self._option("monitor") if len(val) else \
            self._option("monitor").replace("val_", "train_")
        if monitor == "train_loss":
            monitor = "loss"
        trainer = Trainer(epochs=self._option("epochs"), batch_size=self._option("batch_size"),
                          lr=self._option("lr"), weight_decay=self._option("weight_decay"),
                          optimizer=self._option("optimizer"), callbacks=self._callbacks(monitor),
                          seed=seed, device=self._option("device"),
                          num_threads=self._option("num_threads"),
                          grad_clip=self._option("grad_clip"),
                          progress=self._option("progress"), forward=self._forward(data))
        history = trainer.fit(network, self._loss(data, train), data.rows(train),
                              val=data.rows(val) if len(val) else None,
                              metrics=self._metrics(data),
                              batch_sampler=self._batch_sampler(data, train))
        self.network_ = network.cpu().eval()
        self.history_ = history.epochs
        self.best_epoch_ = history.best_epoch
        self.stopped_early_ = history.stopped_early
        self.n_validation_ = int(len(val))
        self.training_summary_ = {**data.summary, "best_epoch": history.best_epoch,
                                  "seconds": round(time.perf_counter() - start, 1)}
        self._after_fit(data)
        return self

    def _checkpoint_path(self, name: str) -> Path | None:
        directory = self._option("checkpoint_dir")
        return None if not directory else Path(directory) / f"{name}.safetensors"

    # ------------------------------------------------------------------ prediction
    def _network_outputs(self, inputs: Any, batch_size: int = 256,
                         network: torch.nn.Module | None = None) -> torch.Tensor:
        """The fitted network's outputs for prepared ``inputs``, in batches, on the CPU.

        ``inputs`` is a tensor or a tuple of tensors (several network inputs); ``network`` is a
        module wrapping ``network_`` when prediction needs more than the network itself.
        """
        check_is_fitted(self, "network_")
        with torch_threads(self._option("num_threads")):
            return predict(self.network_ if network is None else network, inputs,
                           batch_size=batch_size, device="cpu")

    # ------------------------------------------------------------------ model files
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def __gazelearn_state__(self) -> dict[str, Any]:
        check_is_fitted(self, "network_")
        # what load_model attaches is not learned state: a re-saved model must not nest it
        return network_state(self, network="network_", exclude=("preprocessing_", "model_info_"))

    def __gazelearn_restore__(self, state: dict[str, Any]) -> None:
        if "network_" not in state and "model_" in state:  # files written before the rename
            state["network_"] = state.pop("model_")
        restore_network_state(self, state, self._build_network, network="network_",
                              tuples=self._tuple_attributes)
