"""Neural estimators with scikit-learn's contract: NeuralClassifier and NeuralRegressor.

They take feature vectors ``(n, features)``, windows ``(n, length, channels)`` or images
``(n, channels, height, width)``, learn per-channel standardisation in ``fit``, split a
validation set *by group* (never windows of one recording on both sides), and train with
:class:`gazelearn.nn.Trainer` (best checkpoint, early stopping, LR schedule, CSV log, seed).
Constructor arguments are stored unchanged and learned state ends with ``_``, so they work in
``sklearn.model_selection.cross_validate``, pipelines and grid searches like any baseline.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(120, 20, 2)).astype("float32"); y = (X[:, :, 0].mean(1) > 0).astype(int)
>>> groups = np.repeat(np.arange(12), 10)
>>> clf = NeuralClassifier("conv1d", epochs=3, batch_size=32, seed=0)
>>> clf.fit(X, y, groups=groups).predict(X[:3]).shape
(3,)
>>> clf.predict_proba(X[:2]).shape, len(clf.history_)
((2, 2), 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from gazelearn.errors import InputError
from gazelearn.learn.data import class_weights, standardization, training_summary, unpack_windows
from gazelearn.learn.registry import register
from gazelearn.learn.torch_estimator import TorchEstimator, TrainingData
from gazelearn.nn.architectures import build
from gazelearn.nn.loop import accuracy, mean_absolute_error
from gazelearn.nn.onnx_export import OnnxSpec, OnnxTensor, Standardize
from gazelearn.nn.samplers import GroupBatchSampler


# ---------------------------------------------------------------------------- helpers
def as_input(X: Any) -> np.ndarray:
    """``X`` as float32 of 2 to 4 dimensions, with a clear error otherwise."""
    if torch.is_tensor(X):
        X = X.detach().cpu().numpy()
    X = np.asarray(X, dtype=np.float32)
    if X.ndim not in (2, 3, 4):
        raise InputError(f"X must have shape (n, features), (n, length, channels) or (n, C, H, W);"
                         f" got {X.shape}")
    return X


class _Inference(torch.nn.Module):
    """Raw input to final output: standardise, fill NaN with the mean, run the net, post-process."""

    def __init__(self, net: torch.nn.Module, mean: np.ndarray, scale: np.ndarray,
                 softmax: bool, y_mean: np.ndarray | None = None,
                 y_scale: np.ndarray | None = None) -> None:
        super().__init__()
        self.net = net
        self.standardize = Standardize(mean, scale)
        self.softmax = softmax
        self.register_buffer("y_mean", torch.as_tensor(y_mean if y_mean is not None else 0.0))
        self.register_buffer("y_scale", torch.as_tensor(y_scale if y_scale is not None else 1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(self.standardize(x))
        if self.softmax:
            return torch.softmax(out, dim=1)
        return out * self.y_scale + self.y_mean


# ---------------------------------------------------------------------------- the base
class NeuralEstimator(TorchEstimator):
    """Shared machinery of :class:`NeuralClassifier` and :class:`NeuralRegressor`."""

    _classifier = False
    _tuple_attributes = ("input_shape_",)

    def __init__(self, architecture: str = "mlp", architecture_options: dict | None = None,
                 epochs: int = 30, batch_size: int = 64, lr: float = 1e-3,
                 weight_decay: float = 0.0, optimizer: str = "adam", loss: Any = None,
                 validation_fraction: float = 0.2, validation_groups: Sequence | None = None,
                 monitor: str = "val_loss", patience: int | None = None,
                 lr_schedule: str | None = None, standardize: bool = True,
                 batch_sampler: str | None = None, checkpoint_dir: str | None = None,
                 seed: int = 0, device: str = "auto", num_threads: int | None = None,
                 progress: bool | None = None) -> None:
        # The regressor's parameters; the classifier adds class_weight. scikit-learn reads
        # the parameter names from each concrete class's __init__ signature.
        self.architecture = architecture
        self.architecture_options = architecture_options
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.loss = loss
        self.validation_fraction = validation_fraction
        self.validation_groups = validation_groups
        self.monitor = monitor
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.standardize = standardize
        self.batch_sampler = batch_sampler
        self.checkpoint_dir = checkpoint_dir
        self.seed = seed
        self.device = device
        self.num_threads = num_threads
        self.progress = progress

    # ------------------------------------------------------------------ subclass hooks
    def _encode_targets(self, y: np.ndarray) -> torch.Tensor:
        raise NotImplementedError

    # ------------------------------------------------------------------ TorchEstimator hooks
    def _training_data(self, X: Any, y: Any, groups: Any) -> TrainingData:
        """``X`` of shape (n, features), (n, length, channels) or (n, C, H, W), or a window set
        with ``X``, ``y`` and ``groups`` (then ``y`` may be omitted); ``y`` of shape (n,) (or
        (n, targets) for regression)."""
        X, y, groups = unpack_windows(X, y, groups)
        X = as_input(X)
        if y is None:
            raise InputError("fit needs targets y")
        y = np.asarray(y)
        if len(y) != len(X):
            raise InputError(f"X has {len(X)} samples but y has {len(y)}")
        if groups is not None and len(groups) != len(X):
            raise InputError(f"groups has {len(groups)} values for {len(X)} samples")
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        self.n_features_in_ = int(np.prod(self.input_shape_))
        return TrainingData(torch.as_tensor(X), self._encode_targets(y), groups,
                            training_summary(X, y, groups))

    def _prepare_training(self, data: TrainingData, train: np.ndarray) -> TrainingData:
        X = data.inputs.numpy()
        if self.standardize:
            self.x_mean_, self.x_scale_ = standardization(X[train])
        else:
            self.x_mean_ = np.zeros((1,) * (X.ndim - 1), dtype=np.float32)
            self.x_scale_ = np.ones_like(self.x_mean_)
        data.inputs = torch.as_tensor(self._prepare(X))
        return data

    def _build_network(self) -> torch.nn.Module:
        return build(self.architecture, self.input_shape_, self.n_outputs_,
                     **(self.architecture_options or {}))

    def _batch_sampler(self, data: TrainingData, train: np.ndarray) -> Any:
        if self.batch_sampler is None:
            return None
        if self.batch_sampler != "group":
            raise InputError(f"batch_sampler must be None or 'group', got {self.batch_sampler!r}")
        if data.groups is None:
            raise InputError("batch_sampler='group' needs groups passed to fit")
        return GroupBatchSampler(np.asarray(data.groups)[train], self.batch_size, seed=self.seed)

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        out = (X - self.x_mean_[None]) / self.x_scale_[None]
        return np.nan_to_num(out, nan=0.0).astype(np.float32, copy=False)

    def _outputs(self, X: Any) -> torch.Tensor:
        check_is_fitted(self, "network_")
        X = as_input(X)
        if X.shape[1:] != self.input_shape_:
            raise InputError(f"the model was trained on samples of shape {self.input_shape_}, "
                             f"got {X.shape[1:]}")
        return self._network_outputs(self._prepare(X), batch_size=max(self.batch_size, 256))

    def inference_module(self) -> torch.nn.Module:
        """One module from raw input to probabilities (classifier) or targets (regressor).

        Standardisation and NaN filling are inside, so it can be exported (ONNX) on its own.
        """
        check_is_fitted(self, "network_")
        return _Inference(self.network_, self.x_mean_, self.x_scale_, self._classifier,
                          getattr(self, "y_mean_", None), getattr(self, "y_scale_", None)).eval()

    def onnx_spec(self) -> Any:
        """What :func:`gazelearn.nn.onnx_export.export_onnx` writes: raw inputs of the shape
        ``fit`` took (``input``, NaN allowed) to probabilities or targets (``output``)."""
        module = self.inference_module()
        inputs = (OnnxTensor("input", ("batch", *self.input_shape_),
                             "samples as passed to fit/predict, in their own units (standardised "
                             "and NaN filled inside the graph)"),)
        if self._classifier:
            output = OnnxTensor("output", ("batch", len(self.classes_)),
                                "class probabilities, columns in the order of metadata classes")
            return OnnxSpec(module, inputs, (output,), {"classes": self.classes_.tolist()})
        output = OnnxTensor("output", ("batch", int(self.n_outputs_)),
                            "predicted targets in the units of y")
        return OnnxSpec(module, inputs, (output,))


_COMMON_DOC = """
    Parameters
    ----------
    architecture : str
        Registered network: ``mlp``, ``conv1d``, ``conv2d``, ``lstm``, ``gru`` or one added with
        :func:`gazelearn.nn.register_architecture`.
    architecture_options : dict, optional
        Keyword arguments of the architecture's factory (e.g. ``{"channels": (32, 64)}``).
    epochs, batch_size, lr, weight_decay : int, int, float, float
        Training length, batch size (per process), learning rate and L2 penalty.
    optimizer : str
        ``adam``, ``adamw`` or ``sgd``.
    loss : str or callable, optional
        ``cross_entropy``, ``mse``, ``l1``, ``huber`` or ``fn(outputs, targets)``; default
        cross-entropy (classifier) or MSE on standardised targets (regressor).
    validation_fraction : float
        Share of *groups* held out for validation (0 for none).
    validation_groups : sequence, optional
        Exactly these groups form the validation set.
    monitor : str
        Metric for the best checkpoint, early stopping and plateau schedules.
    patience : int, optional
        Early-stopping patience in epochs (None: train all epochs).
    lr_schedule : {None, "plateau", "cosine"}
    standardize : bool
        Learn per-feature/channel mean and scale in ``fit`` (saved with the model).
    batch_sampler : {None, "group"}
        ``group``: every batch from one group (:class:`gazelearn.nn.GroupBatchSampler`).
    checkpoint_dir : str, optional
        Write ``best.safetensors`` and ``log.csv`` (every epoch's metrics) there.
    seed : int
        Seeds initialisation, shuffling and dropout: same seed, same numbers on CPU.
    device : str
        ``auto`` (GPU when available), ``cpu`` or ``cuda:N``.
    num_threads : int, optional
        CPU threads (default: cores shared between the processes on this node).
    progress : bool, optional
        Progress bar (default: only on an interactive terminal).
"""


def _loss_by_name(loss: Any, default: Any) -> Any:
    if loss is None:
        return default
    if callable(loss):
        return loss
    losses = {"cross_entropy": torch.nn.CrossEntropyLoss, "mse": torch.nn.MSELoss,
              "l1": torch.nn.L1Loss, "huber": torch.nn.HuberLoss}
    if loss not in losses:
        raise InputError(f"unknown loss {loss!r}; choose from {', '.join(losses)} or a callable")
    return losses[loss]()


@register("neural", description="a neural network classifier (any architecture)")
class NeuralClassifier(ClassifierMixin, NeuralEstimator):
    __doc__ = """A neural network classifier with scikit-learn's interface.
""" + _COMMON_DOC + """    class_weight : None, "balanced" or dict
        Weights of the classes in the loss ("balanced": inversely proportional to their
        frequency in the training part).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(1).normal(size=(80, 6)); y = (X[:, 0] > 0).astype(int)
    >>> clf = NeuralClassifier("mlp", epochs=20, lr=0.01, seed=0).fit(X, y)
    >>> clf.score(X, y) > 0.85
    True
"""

    _classifier = True

    def __init__(self, architecture: str = "mlp", architecture_options: dict | None = None,
                 epochs: int = 30, batch_size: int = 64, lr: float = 1e-3,
                 weight_decay: float = 0.0, optimizer: str = "adam", loss: Any = None,
                 class_weight: str | dict | None = None, validation_fraction: float = 0.2,
                 validation_groups: Sequence | None = None, monitor: str = "val_loss",
                 patience: int | None = None, lr_schedule: str | None = None,
                 standardize: bool = True, batch_sampler: str | None = None,
                 checkpoint_dir: str | None = None, seed: int = 0, device: str = "auto",
                 num_threads: int | None = None, progress: bool | None = None) -> None:
        super().__init__(
            architecture=architecture, architecture_options=architecture_options, epochs=epochs,
            batch_size=batch_size, lr=lr, weight_decay=weight_decay, optimizer=optimizer,
            loss=loss, validation_fraction=validation_fraction,
            validation_groups=validation_groups, monitor=monitor, patience=patience,
            lr_schedule=lr_schedule, standardize=standardize, batch_sampler=batch_sampler,
            checkpoint_dir=checkpoint_dir, seed=seed, device=device, num_threads=num_threads,
            progress=progress)
        self.class_weight = class_weight

    def _encode_targets(self, y: np.ndarray) -> torch.Tensor:
        if y.ndim != 1:
            raise InputError(f"a classifier needs y of shape (n,), got {y.shape}")
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.n_outputs_ = len(self.classes_)
        return torch.as_tensor(codes, dtype=torch.long)

    def _prepare_training(self, data: TrainingData, train: np.ndarray) -> TrainingData:
        if len(np.unique(data.targets.numpy()[train])) < 2:
            raise InputError("the training data has fewer than two classes")
        return super()._prepare_training(data, train)

    def _loss(self, data: TrainingData, train: np.ndarray) -> Any:
        weights = None
        if self.class_weight is not None:
            self.class_weights_ = class_weights(data.targets.numpy()[train], len(self.classes_),
                                                self.class_weight,
                                                self.classes_.tolist()).astype(np.float32)
            weights = torch.as_tensor(self.class_weights_)
        if self.loss is None:
            return torch.nn.CrossEntropyLoss(weight=weights)
        return _loss_by_name(self.loss, None)

    def _metrics(self, data: TrainingData) -> dict[str, Any]:
        return {"accuracy": accuracy}

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in the order of ``classes_``."""
        return torch.softmax(self._outputs(X).double(), dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample."""
        best = self._outputs(X).argmax(dim=1).numpy()  # first: NotFittedError before classes_
        return self.classes_[best]


@register("neural", task="regression", description="a neural network regressor (any architecture)")
class NeuralRegressor(RegressorMixin, NeuralEstimator):
    __doc__ = """A neural network regressor with scikit-learn's interface (targets standardised).
""" + _COMMON_DOC + """
    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(2).normal(size=(100, 3)); y = X @ [1.0, -2.0, 0.5]
    >>> reg = NeuralRegressor("mlp", epochs=40, lr=0.01, seed=0).fit(X, y)
    >>> reg.predict(X).shape, reg.score(X, y) > 0.8
    ((100,), True)
"""

    def _encode_targets(self, y: np.ndarray) -> torch.Tensor:
        y = y.astype(np.float32)
        if y.ndim not in (1, 2):
            raise InputError(f"a regressor needs y of shape (n,) or (n, targets), got {y.shape}")
        self.target_ndim_ = int(y.ndim)
        self.n_outputs_ = 1 if y.ndim == 1 else int(y.shape[1])
        return torch.as_tensor(y.reshape(len(y), -1))

    def _prepare_training(self, data: TrainingData, train: np.ndarray) -> TrainingData:
        y2 = data.targets.numpy()
        if self.standardize:
            self.y_mean_ = np.nanmean(y2[train], axis=0).astype(np.float32)
            self.y_scale_ = np.nanstd(y2[train], axis=0).astype(np.float32)
            self.y_scale_[~(self.y_scale_ > 1e-12)] = 1.0
        else:
            self.y_mean_ = np.zeros(y2.shape[1], dtype=np.float32)
            self.y_scale_ = np.ones(y2.shape[1], dtype=np.float32)
        data.targets = torch.as_tensor((y2 - self.y_mean_) / self.y_scale_)
        return super()._prepare_training(data, train)

    def _loss(self, data: TrainingData, train: np.ndarray) -> Any:
        return _loss_by_name(self.loss, torch.nn.MSELoss())

    def _metrics(self, data: TrainingData) -> dict[str, Any]:
        scale = torch.as_tensor(self.y_scale_)

        def mae(outputs: torch.Tensor, targets: torch.Tensor) -> float:
            return mean_absolute_error(outputs * scale, targets * scale)

        return {"mae": mae}

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, shape (n,) or (n, targets) like the ``y`` given to fit."""
        out = self._outputs(X).numpy().astype(np.float64) * self.y_scale_ + self.y_mean_
        return out[:, 0] if self.target_ndim_ == 1 else out


def _shortcut(architecture: str, task: str) -> None:
    estimator = NeuralClassifier if task == "classification" else NeuralRegressor

    def factory(**params: Any) -> NeuralEstimator:
        params.setdefault("architecture", architecture)
        return estimator(**params)

    factory.__doc__ = f"{architecture} network ({estimator.__name__})"
    register(architecture, task=task)(factory)


for _name in ("mlp", "conv1d", "conv2d", "lstm", "gru"):
    for _task in ("classification", "regression"):
        _shortcut(_name, _task)
