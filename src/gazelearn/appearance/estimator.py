"""``GazeRegressor``: eye images -> gaze point, with BatchNorm and few-point user calibration.

The estimator follows scikit-learn's contract (``fit``/``predict``/``score``, constructor
arguments stored unchanged, learned state ending in ``_``) and is stored by
:func:`gazelearn.learn.save_model` as safetensors + JSON (no pickle), user calibration included.
Internally it predicts *normalised* screen coordinates (targets / screen size, centred);
``predict`` returns px like the targets given to ``fit``.

Calibration (see :mod:`gazelearn.appearance.bn_calibration`):

* ``calibration="bn"`` trains with every batch drawn from ONE group (measurement), so its
  BatchNorm layers normalise each measurement on its own; ``predict(X, groups=...)`` then
  normalises every test group with its own batch statistics;
* :meth:`GazeRegressor.calibrate` stores a per-user BN profile from ``k`` frames and/or fits an
  affine correction on ``k`` points; ``predict`` without groups then runs frame by frame in
  eval mode with the profile (the real-time form), followed by the affine correction.

Examples
--------
>>> import numpy as np
>>> from gazelearn.simulate.eyes import simulate_eye_dataset
>>> data = simulate_eye_dataset(2, 2, 16, seed=0)
>>> model = GazeRegressor("resnet", {"channels": (8, 8)}, epochs=1, calibration="bn",
...                       screen_size=(1920, 1080), num_threads=1, progress=False)
>>> _ = model.fit(data.images, data.targets_px, groups=data.measurement)
>>> model.predict(data.images[:5]).shape
(5, 2)
>>> _ = model.calibrate(data.images[:9], data.targets_px[:9])
>>> sorted(k for k in vars(model) if k.endswith("calibration_") or k.endswith("profile_"))
['bn_profile_', 'output_calibration_']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

import gazelearn.appearance.models  # noqa: F401  (registers the gaze architectures)
from gazelearn.appearance.augment import Augment
from gazelearn.appearance.bn_calibration import (
    AffineCalibration,
    bn_layers,
    bn_profile,
    use_bn_profile,
)
from gazelearn.appearance.data import images_to_array
from gazelearn.errors import InputError
from gazelearn.learn.registry import register
from gazelearn.learn.torch_estimator import TorchEstimator, TrainingData
from gazelearn.nn import callbacks as cb
from gazelearn.nn.architectures import build
from gazelearn.nn.loop import predict, torch_threads
from gazelearn.nn.onnx_export import OnnxSpec, OnnxTensor, Standardize, with_fixed_pooling
from gazelearn.nn.samplers import GroupBatchSampler

__all__ = ["GazeRegressor", "as_images", "model_architecture"]


def model_architecture(name: str) -> str:
    """Architecture name of a gaze model name: ``resnet`` -> ``gaze_resnet``."""
    from gazelearn.nn.architectures import ARCHITECTURES

    key = name if name in ARCHITECTURES else f"gaze_{name}"
    if key not in ARCHITECTURES or not key.startswith("gaze_"):
        names = sorted(k[5:] for k in ARCHITECTURES if k.startswith("gaze_"))
        raise InputError(f"unknown gaze model {name!r}; choose from {', '.join(names)}")
    return key


def as_images(X: Any) -> np.ndarray:
    """Images as float32 ``(n, c, h, w)``: uint8 ``(n, h, w[, c])`` is converted and scaled.

    Examples
    --------
    >>> as_images(np.zeros((2, 36, 64), np.uint8)).shape
    (2, 1, 36, 64)
    """
    if torch.is_tensor(X):
        X = X.detach().cpu().numpy()
    X = np.asarray(X)
    if X.ndim == 3 or (X.ndim == 4 and X.dtype == np.uint8 and X.shape[-1] in (1, 3, 4)
                       and X.shape[1] not in (1, 3)):
        return images_to_array(X)
    if X.ndim != 4:
        raise InputError(f"images must be (n, h, w), (n, h, w, c) or (n, c, h, w); got {X.shape}")
    return X.astype(np.float32) / (255.0 if X.dtype == np.uint8 else 1.0)


class _GazeInference(torch.nn.Module):
    """Images in [0, 1] -> gaze in px: standardisation, the network (BatchNorm with the stored
    profile, or its running statistics), the affine correction when fitted, the screen size."""

    def __init__(self, net: torch.nn.Module, standardize: Standardize,
                 affine: np.ndarray | None, screen_size: tuple[float, float]) -> None:
        super().__init__()
        self.net, self.standardize = net, standardize
        matrix = np.eye(3, 2) if affine is None else np.asarray(affine)  # (3, 2): [x y 1] @ M
        self.register_buffer("matrix", torch.as_tensor(matrix[:2], dtype=torch.float32))
        self.register_buffer("offset", torch.as_tensor(matrix[2] + 0.5, dtype=torch.float32))
        self.register_buffer("screen", torch.as_tensor(screen_size, dtype=torch.float32))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        out = self.net(self.standardize(images)) @ self.matrix + self.offset
        return out * self.screen


@register("gaze_cnn", task="regression", description="eye images -> gaze point (CNN + calibration)")
class GazeRegressor(RegressorMixin, TorchEstimator):
    """A CNN gaze estimator with BatchNorm calibration and few-point affine calibration.

    Parameters
    ----------
    architecture : str
        ``tutorial`` (the ETRA 2021 tutorial's CNN), ``resnet`` (small residual CNN of
        depthwise-separable blocks) or ``multi`` (two eyes + face in separate branches; ``X``
        holds the crops stacked as channels, ``architecture_options={"inputs": [...]}`` names
        them); see :mod:`gazelearn.appearance.models`.
    architecture_options : dict, optional
        Keyword arguments of the network's factory (``{"channels": (16, 32)}``).
    epochs, batch_size, lr, weight_decay : int, int, float, float
        Training length, batch size (frames per batch; per measurement with ``calibration="bn"``),
        AdamW learning rate (cosine schedule) and weight decay.
    calibration : {"none", "bn"}
        ``bn``: every training batch from one group (``groups`` in ``fit`` required).
    augment : bool
        Brightness, contrast, shift, blur and noise augmentation while training.
    screen_size : (float, float), optional
        Screen width and height in px; targets are divided by it. Default: the largest
        target of each axis in the training data.
    loss : {"l1", "mse"}
        Mean absolute error (the tutorial's) or mean squared error, on normalised targets.
    seed : int
        Seeds initialisation, batches and augmentation.
    device : str
        Training device: ``auto`` (a GPU when there is one), ``cpu`` or ``cuda:N``; prediction
        runs on the CPU.
    num_threads : int, optional
        CPU threads for training and prediction.
    progress : bool, optional
        Progress bar while training.
    validation_fraction : float
        Share of the frames held out to measure the error while training (0: none, every
        frame trains and the last epoch is the model). With a held-out part the best epoch by
        its mean Euclidean error (``val_px``) is kept and ``patience`` can stop early.
    validation_split : {"auto", "last", "groups", "random"}
        Which frames are held out: ``last`` the later rows in the given order (a recording:
        the frames after the training ones, never neighbours of them), ``groups`` whole
        groups (measurements, persons; :func:`~gazelearn.learn.data.validation_split`),
        ``random`` random rows (independent images such as ETRA 2021's ``eye_left``);
        ``auto``: ``groups`` when ``fit`` gets groups, else ``last``.
    patience : int, optional
        Stop when the held-out error has not improved for this many epochs.
    refit : bool
        After training with a held-out part, train again on every frame for the best
        epoch's number of epochs (the held-out error is that of the first training).
    warm_start : bool
        ``fit`` on a fitted estimator continues from its network (fine-tuning, e.g. a network
        pre-trained on synthetic eyes adapted to real frames) instead of a new one; the input
        standardisation and screen size are learned again from the new data.

    Attributes
    ----------
    network_ : torch.nn.Module
        The trained network (eval mode).
    screen_size_ : tuple
        Screen size used for normalisation.
    bn_profile_ : dict or None
        Stored per-user BN statistics (after :meth:`calibrate`).
    output_calibration_ : numpy.ndarray or None
        ``(3, 2)`` affine correction of normalised outputs (after :meth:`calibrate` with targets).
    history_ : list of dict
        Metrics of every training epoch.
    validation_ : dict or None
        Held-out error of the best epoch (``px``, ``pct`` of screen, ``n`` frames, ``epoch``,
        ``split``) when frames were held out.
    """

    # Files written before the network choice was called ``architecture`` still load.
    _renamed_params = {"model": "architecture", "model_options": "architecture_options"}
    # by default every frame trains (no validation set), so the last epoch's weights are the
    # model; with a held-out part, its mean Euclidean error in px picks the best epoch
    _training_defaults = {"optimizer": "adamw", "lr_schedule": "cosine", "monitor": "val_px"}
    _tuple_attributes = ("input_shape_", "screen_size_")

    def __init__(self, architecture: str = "resnet", architecture_options: dict | None = None,
                 epochs: int = 20, batch_size: int = 32, lr: float = 3e-3,
                 weight_decay: float = 1e-4, calibration: str = "none", augment: bool = True,
                 screen_size: tuple[float, float] | None = None, loss: str = "l1",
                 seed: int = 0, device: str = "auto", num_threads: int | None = None,
                 progress: bool | None = None, validation_fraction: float = 0.0,
                 validation_split: str = "auto", patience: int | None = None,
                 refit: bool = False, warm_start: bool = False) -> None:
        self.architecture = architecture
        self.architecture_options = architecture_options
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.calibration = calibration
        self.augment = augment
        self.screen_size = screen_size
        self.loss = loss
        self.seed = seed
        self.device = device
        self.num_threads = num_threads
        self.progress = progress
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.patience = patience
        self.refit = refit
        self.warm_start = warm_start

    # ------------------------------------------------------------------ helpers
    def _normalize(self, y_px: np.ndarray) -> np.ndarray:
        return np.asarray(y_px, dtype=np.float64) / np.asarray(self.screen_size_) - 0.5

    def _denormalize(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, dtype=np.float64) + 0.5) * np.asarray(self.screen_size_)

    def _prepare(self, X: Any) -> torch.Tensor:
        check_is_fitted(self, "network_")
        x = as_images(X)
        if x.shape[1:] != tuple(self.input_shape_):
            raise InputError(f"the model was trained on images of shape (channels, height, "
                             f"width) {tuple(self.input_shape_)}, got {x.shape[1:]}")
        return torch.as_tensor((x - self.x_mean_) / self.x_scale_)

    # ------------------------------------------------------------------ training hooks
    def _training_data(self, X: Any, y: Any, groups: Any) -> TrainingData:
        """``X``: ``(n, h, w)`` / ``(n, h, w, c)`` uint8 or ``(n, c, h, w)`` float images in
        [0, 1]; ``y``: ``(n, 2)`` gaze targets in px; ``groups``: the measurement (session) of
        every frame, required with ``calibration="bn"``."""
        x = as_images(X)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 2 or y.shape[1] != 2 or len(y) != len(x):
            raise InputError(f"y must be (n, 2) gaze targets for {len(x)} images; got {y.shape}")
        if len(x) < 2:
            raise InputError("training needs at least 2 images")
        if self.calibration not in ("none", "bn"):
            raise InputError(f"calibration must be 'none' or 'bn', got {self.calibration!r}")
        if self.loss not in ("l1", "mse"):
            raise InputError(f"loss must be 'l1' or 'mse', got {self.loss!r}")
        model_architecture(self.architecture)
        if self.calibration == "bn":
            if groups is None:
                raise InputError("calibration='bn' needs groups (the measurement of every "
                                 "frame) to draw each batch from one measurement")
            groups = np.asarray(groups)
            if len(groups) != len(x):
                raise InputError(f"groups has {len(groups)} values for {len(x)} images")
        self.screen_size_ = tuple(float(v) for v in (
            self.screen_size if self.screen_size is not None else np.ceil(y.max(axis=0))))
        if min(self.screen_size_) <= 0:
            raise InputError(f"screen size must be positive, got {self.screen_size_}")
        # what warm_start may continue from: the network of the previous fit (or file)
        previous = getattr(self, "input_shape_", None)
        self._previous_shape = None if previous is None else tuple(previous)
        self.input_shape_ = tuple(int(s) for s in x.shape[1:])
        targets = torch.as_tensor(self._normalize(y), dtype=torch.float32)
        return TrainingData(torch.as_tensor(x), targets, groups,
                            {"n_samples": int(len(x)), "sample_shape": list(x.shape[1:])})

    def _validation_split(self, data: TrainingData, seed: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(data)
        fraction = float(self.validation_fraction or 0.0)
        how = self.validation_split
        if how not in ("auto", "last", "groups", "random"):
            raise InputError(f"validation_split must be 'auto', 'last', 'groups' or 'random', "
                             f"got {how!r}")
        if not 0.0 <= fraction < 1.0:
            raise InputError(f"validation_fraction must be in [0, 1), got {fraction}")
        if how == "auto":
            how = "groups" if data.groups is not None else "last"
        self._split_used = how
        everything = np.arange(n)
        if not fraction:
            return everything, everything[:0]
        if how == "groups":
            return super()._validation_split(data, seed)
        k = min(max(1, int(round(n * fraction))), n - 1)
        if how == "last":
            return everything[:n - k], everything[n - k:]
        val = np.sort(np.random.default_rng(seed).permutation(n)[:k])
        return np.setdiff1d(everything, val), val

    def _prepare_training(self, data: TrainingData, train: np.ndarray) -> TrainingData:
        self._n_train = len(train)  # the Trainer's metrics run only when frames are held out
        x = data.inputs.numpy()
        x = x if len(train) == len(x) else x[train]  # no copy of every frame when all train
        self.x_mean_ = x.mean(axis=(0, 2, 3), keepdims=True)[0].astype(np.float32)
        self.x_scale_ = np.maximum(x.std(axis=(0, 2, 3), keepdims=True)[0], 1e-3).astype(
            np.float32)
        return data

    def _build_network(self) -> torch.nn.Module:
        previous = getattr(self, "network_", None)
        if self.warm_start and isinstance(previous, torch.nn.Module) and \
                self._previous_shape == tuple(self.input_shape_):
            import copy

            return copy.deepcopy(previous).train()
        return build(model_architecture(self.architecture), self.input_shape_, 2,
                     **(self.architecture_options or {}))

    def _loss(self, data: TrainingData, train: np.ndarray) -> torch.nn.Module:
        return torch.nn.L1Loss() if self.loss == "l1" else torch.nn.MSELoss()

    def _metrics(self, data: TrainingData) -> dict[str, Any]:
        if self._n_train == len(data):  # nothing held out: no per-epoch pass over the train set
            return {}
        screen = torch.as_tensor(self.screen_size_, dtype=torch.float64)

        def px(outputs: torch.Tensor, targets: torch.Tensor) -> float:
            """Mean Euclidean error in px (outputs are centred screen fractions)."""
            return float(((outputs - targets).double() * screen).norm(dim=1).mean())

        def pct(outputs: torch.Tensor, targets: torch.Tensor) -> float:
            """Mean Euclidean error in normalised screen units, % (``error_pct_normalized``)."""
            return float(100 * (outputs - targets).double().norm(dim=1).mean())

        return {"px": px, "pct": pct}

    def _forward(self, data: TrainingData) -> Any:
        # standardisation and augmentation inside forward: augmentation sees [0, 1] images
        augment = Augment(seed=self.seed) if self.augment else None
        mean, scale = torch.as_tensor(self.x_mean_), torch.as_tensor(self.x_scale_)

        def forward(module: torch.nn.Module, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
            xb, yb = batch
            if augment is not None and module.training:
                xb = augment(xb)
            return module((xb - mean.to(xb.device)) / scale.to(xb.device)), yb

        return forward

    def _batch_sampler(self, data: TrainingData, train: np.ndarray) -> Any:
        if self.calibration != "bn":
            return None
        groups = np.asarray(data.groups)[train]
        sizes = np.unique(groups, return_counts=True)[1]
        return GroupBatchSampler(groups, self.batch_size, seed=self.seed,
                                 drop_last=bool(sizes.min() >= self.batch_size))

    def _callbacks(self, monitor: str) -> list[cb.Callback]:
        schedule = cb.LRSchedule(self._option("lr_schedule"), monitor=monitor)
        if not monitor.startswith("val_"):
            # no best checkpoint: with every frame training, the cosine schedule's last epoch
            # is the model
            return [schedule]
        # val_px is an error: lower is better (the name alone would not tell infer_mode)
        callbacks: list[cb.Callback] = [cb.BestCheckpoint(monitor, mode="min"), schedule]
        if self.patience:
            callbacks.append(cb.EarlyStopping(monitor, patience=int(self.patience), mode="min"))
        return callbacks

    def _after_fit(self, data: TrainingData) -> None:
        self.n_train_ = len(data)
        self.bn_profile_ = None
        self.output_calibration_ = None
        self.validation_ = None
        if self.n_validation_:
            best = self.history_[self.best_epoch_ if self.best_epoch_ is not None else -1]
            self.validation_ = {"px": float(best["val_px"]), "pct": float(best["val_pct"]),
                                "n": int(self.n_validation_), "epoch": int(best["epoch"]),
                                "epochs_run": len(self.history_), "split": self._split_used}

    def fit(self, X: Any, y: Any = None, groups: Any = None) -> GazeRegressor:
        """Train on images ``X`` and targets ``y`` (px); see the class notes for ``groups``.

        With ``refit`` and a held-out part, a second training on every frame for the best
        epoch's number of epochs follows; ``validation_`` keeps the first training's
        held-out error.
        """
        super().fit(X, y, groups)
        if not (self.refit and self.n_validation_):
            return self
        held_out, epochs = self.validation_, self.validation_["epoch"] + 1
        full = clone(self).set_params(validation_fraction=0.0, refit=False, epochs=epochs)
        full.fit(X, y, groups)
        vars(self).update({k: v for k, v in vars(full).items() if k.endswith("_")})
        self.validation_ = {**held_out, "refit_epochs": epochs}
        return self

    # ------------------------------------------------------------------ calibration
    def calibrate(self, X: Any, y: Any = None, bn: bool | None = None, affine: bool = True,
                  alpha: float = 1e-3, kind: str = "affine") -> GazeRegressor:
        """Calibrate to one user from ``k`` frames (and, for the affine part, their targets).

        Parameters
        ----------
        X : array
            ``k`` calibration images of the user.
        y : array of shape (k, 2), optional
            Their targets in px; without them only the BN profile is stored.
        bn : bool, optional
            Store a BN profile computed from ``X`` (default: when trained with
            ``calibration="bn"``).
        affine : bool
            Fit the affine output correction (needs ``y``).
        alpha, kind
            See :class:`~gazelearn.appearance.bn_calibration.AffineCalibration`.
        """
        x = self._prepare(X)
        bn = (self.calibration == "bn") if bn is None else bn
        self.bn_profile_ = None
        self.output_calibration_ = None
        if bn:
            with torch.random.fork_rng(devices=[]):
                self.bn_profile_ = bn_profile(self.network_, x)
        if affine and y is not None:
            y = np.asarray(y, dtype=np.float64)
            if y.shape != (len(x), 2):
                raise InputError(f"calibration targets must be ({len(x)}, 2); got {y.shape}")
            raw = self._outputs(x, None)
            cal = AffineCalibration(alpha=alpha, kind=kind).fit(raw, self._normalize(y))
            self.output_calibration_ = cal.matrix_
        return self

    def reset_calibration(self) -> GazeRegressor:
        """Forget the user calibration (BN profile and affine correction)."""
        self.bn_profile_ = None
        self.output_calibration_ = None
        return self

    # ------------------------------------------------------------------ predict
    def _outputs(self, x: torch.Tensor, groups: Any) -> np.ndarray:
        with torch_threads(self.num_threads):
            if groups is None:
                with use_bn_profile(self.network_, self.bn_profile_):
                    return predict(self.network_, x).double().numpy()
            groups = np.asarray(groups)
            if len(groups) != len(x):
                raise InputError(f"groups has {len(groups)} values for {len(x)} images")
            if not bn_layers(self.network_):
                return predict(self.network_, x).double().numpy()
            out = np.zeros((len(x), 2))
            for group in np.unique(groups):
                rows = np.flatnonzero(groups == group)
                # one frame has no batch statistics of its own: the stored profile, if any
                profile = self.bn_profile_ if len(rows) < 2 else bn_profile(self.network_,
                                                                             x[rows])
                with use_bn_profile(self.network_, profile):
                    out[rows] = predict(self.network_, x[rows]).double().numpy()
            return out

    def predict_normalized(self, X: Any, groups: Any = None) -> np.ndarray:
        """Predictions in screen fractions (0..1), ``(n, 2)``; see :meth:`predict`."""
        out = self._outputs(self._prepare(X), groups)
        if getattr(self, "output_calibration_", None) is not None:
            out = np.hstack([out, np.ones((len(out), 1))]) @ self.output_calibration_
        return out + 0.5

    def onnx_spec(self) -> OnnxSpec:
        """What :func:`gazelearn.nn.onnx_export.export_onnx` writes: images to gaze points in
        px as :meth:`predict` without ``groups`` (the stored BN profile and affine correction
        inside; per-measurement batch statistics need a batch and are not in the graph)."""
        check_is_fitted(self, "network_")
        # ONNX has no adaptive pooling to sizes that do not divide the input's: for the one
        # image size of this model it is a fixed averaging, as matrix products
        net = with_fixed_pooling(self.network_, tuple(self.input_shape_))
        for name, layer in bn_layers(net).items():  # the profile, kept for good in the copy
            if self.bn_profile_:
                layer.running_mean.copy_(torch.as_tensor(self.bn_profile_[f"{name}.mean"]))
                layer.running_var.copy_(torch.as_tensor(self.bn_profile_[f"{name}.var"]))
        module = _GazeInference(net, Standardize(self.x_mean_, self.x_scale_),
                                getattr(self, "output_calibration_", None), self.screen_size_)
        channels, height, width = self.input_shape_
        inputs = (OnnxTensor("images", ("batch", channels, height, width),
                             f"eye (or face) images, pixel values / 255 (0 to 1), channels "
                             f"first, {width} x {height} px; the crops of preprocessing "
                             "image_columns stacked as channels"),)
        output = OnnxTensor("gaze", ("batch", 2), "gaze point x, y in screen px")
        return OnnxSpec(module.eval(), inputs, (output,), {
            "screen_size": list(self.screen_size_), "architecture": self.architecture,
            "bn_profile": bool(self.bn_profile_),
            "affine_calibration": getattr(self, "output_calibration_", None) is not None})

    def predict(self, X: Any, groups: Any = None) -> np.ndarray:
        """Gaze points in px, ``(n, 2)``.

        Parameters
        ----------
        X : array
            Images (as in :meth:`fit`).
        groups : array of shape (n,), optional
            Measurement of every frame: BatchNorm then normalises each group with its own batch
            statistics (per-measurement BN). Without groups: eval mode frame by frame, with the
            stored BN profile when there is one. The affine correction, when fitted, comes last.
        """
        return self.predict_normalized(X, groups) * np.asarray(self.screen_size_)
