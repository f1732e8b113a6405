"""A deep sequence-labelling event detector: dilated 1-D convolutions (and/or a BiGRU).

The network labels every sample (fixation, saccade, PSO, pursuit, blink) from features that do
not depend on the tracker or the screen: the recording is resampled to the model's rate
(500 Hz by default), gaze is converted to degrees with the exact atan form, and the inputs are
the horizontal and vertical velocity and the speed in deg/s (compressed with ``asinh`` so that
drift and 500 deg/s saccades both fit), plus a validity channel. The design follows gazeNet
(Zemblys, Niehorster & Holmqvist 2019) and the 1D-CNN-BLSTM of Startsev, Agtzidis & Dorr (2019).

Training is gazelearn's one fit skeleton
(:class:`~gazelearn.learn.torch_estimator.TorchEstimator`): windows of ``window_s`` seconds, a
validation split by group (never windows of one recording on both sides), square-root
inverse-frequency class weights against the rarity of PSOs and saccades, gradient clipping,
early stopping, a plateau learning-rate schedule and the best checkpoint. Recordings whose coders
never used the PSO label (GazeCom) are trained with a partial-label loss that accepts PSO
wherever they say fixation or saccade, so data without PSO labels do not teach the network that
PSOs do not exist. Prediction runs on overlapping chunks so long recordings are processed in
parallel batches.

Examples
--------
>>> from gazelearn.simulate import simulate_population
>>> data = simulate_population(n_subjects=3, recordings_per_subject=1, duration_s=4.0, seed=1)
>>> detector = DeepDetector(epochs=2, hidden=8, conv_channels=8, seed=0)
>>> detector = detector.fit(list(data), groups=data.column("subject"))
>>> labels = detector.predict(data[0])
>>> labels.shape == (len(data[0]),)
True

The model shipped with gazelearn, ready to detect:

>>> shipped = DeepDetector.pretrained()
>>> shipped.predict(data[0]).shape == (len(data[0]),)
True
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gazelearn.detection import deep_inference
from gazelearn.detection.base import Detector
from gazelearn.detection.deep_inference import (
    CLASSES,
    DeepRunner,
    chunk_plan,
    detector_features,
    labels_from_scores,
    margin_for,
    n_features,
    stitch,
    to_original_times,
)
from gazelearn.detection.registry import register_detector
from gazelearn.errors import InputError
from gazelearn.labels import LABELS, Label
from gazelearn.learn.data import class_weights
from gazelearn.learn.registry import register_class
from gazelearn.learn.torch_estimator import TorchEstimator, TrainingData
from gazelearn.nn.onnx_export import OnnxSpec, OnnxTensor, graph_bytes, metadata_props
from gazelearn.recording import Recording
from gazelearn.windows import sliding_windows

#: Where the default model ships inside the package.
DEFAULT_MODEL = deep_inference.DEFAULT_MODEL
_CLASSES = CLASSES
#: Input channels of the original ``velocity`` feature set.
N_FEATURES = n_features("velocity")
__all__ = ["DEFAULT_MODEL", "DeepDetector", "SequenceLabeller", "detector_features"]


class _Residual(nn.Module):
    """A dilated convolution with a residual connection."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.act(self.conv(x))


class SequenceLabeller(nn.Module):
    """Per-sample classifier over a sequence: ``(batch, time, features)`` -> class logits.

    ``architecture="tcn"`` (the default): a temporal convolutional network of ``depth`` dilated
    residual convolutions (dilations 1 .. 2**(depth-1); depth 7 sees about 0.5 s at 500 Hz,
    depth 9 about 2 s); fully parallel, so it trains in minutes on a CPU.
    ``architecture="gru"``: two convolutions and a bidirectional GRU, as in gazeNet; as accurate
    in our tests but ten times slower on a CPU because the GRU runs step by step.
    ``architecture="tcn-gru"``: the TCN with a bidirectional GRU beside its output that sees the
    whole window at a tenth of the rate (:data:`GRU_STRIDE`; 20-ms steps at 500 Hz), for the
    seconds of context fixation vs pursuit needs (Startsev et al. 2019's 1D-CNN-BLSTM); the
    output layer reads both. At the coarse rate the GRU costs a tenth of a full-rate one.

    Examples
    --------
    >>> net = SequenceLabeller(4, 5, conv_channels=8, hidden=4, architecture="tcn-gru", depth=2)
    >>> tuple(net(torch.zeros(2, 95, 4)).shape)
    (2, 95, 5)
    """

    def __init__(self, n_features: int, n_classes: int, conv_channels: int = 32,
                 hidden: int = 48, architecture: str = "tcn", depth: int = 7) -> None:
        super().__init__()
        if architecture not in ("tcn", "gru", "tcn-gru"):
            raise InputError(f"unknown architecture {architecture!r}; expected tcn, tcn-gru "
                             "or gru")
        if not 1 <= depth <= 12:
            raise InputError(f"depth must be 1-12 dilated layers, got {depth}")
        self.architecture = architecture
        self.stem = nn.Sequential(nn.Conv1d(n_features, conv_channels, 5, padding=2), nn.ReLU())
        if architecture == "gru":
            self.body = nn.GRU(conv_channels, hidden, batch_first=True, bidirectional=True)
            self.head = nn.Linear(2 * hidden, n_classes)
            return
        self.body = nn.Sequential(*[_Residual(conv_channels, 2 ** i) for i in range(depth)])
        width = conv_channels
        if architecture == "tcn-gru":
            self.context = _CoarseGRU(conv_channels, hidden)
            width += 2 * hidden
        self.head = nn.Conv1d(width, n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.stem(x.transpose(1, 2))
        if self.architecture == "gru":
            sequence, _ = self.body(features.transpose(1, 2))
            return self.head(sequence)
        features = self.body(features)
        if self.architecture == "tcn-gru":
            features = torch.cat([features, self.context(features)], 1)
        return self.head(features).transpose(1, 2)


#: Samples per step of the ``tcn-gru`` architecture's GRU (averaged over; 20 ms at 500 Hz).
GRU_STRIDE = 10


class _CoarseGRU(nn.Module):
    """A bidirectional GRU over ``(batch, channels, time)`` at ``1 / GRU_STRIDE`` of the rate:
    the features averaged over ``GRU_STRIDE`` samples, the GRU's outputs repeated back to every
    sample, ``(batch, 2 * hidden, time)``."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.pool = nn.AvgPool1d(GRU_STRIDE, ceil_mode=True)
        self.gru = nn.GRU(channels, hidden, batch_first=True, bidirectional=True)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.fine(self.coarse(features).transpose(1, 2), features.shape[2])

    def coarse(self, features: torch.Tensor) -> torch.Tensor:
        """The GRU's outputs at the coarse rate, ``(batch, time / GRU_STRIDE, 2 * hidden)``."""
        return self.gru(self.pool(features).transpose(1, 2))[0]

    @staticmethod
    def fine(values: torch.Tensor, length: int) -> torch.Tensor:
        """Coarse ``(batch, channels, steps)`` repeated to every sample: ``(.., length)``."""
        return torch.repeat_interleave(values, GRU_STRIDE, dim=2)[:, :, :length]


def _as_conv2d(conv: nn.Conv1d) -> nn.Conv2d:
    """The same convolution over a ``(batch, channels, 1, time)`` image, same weights."""
    out = nn.Conv2d(conv.in_channels, conv.out_channels, (1, conv.kernel_size[0]),
                    padding=(0, conv.padding[0]), dilation=(1, conv.dilation[0]))
    out.weight.data = conv.weight.data[:, :, None, :].clone()
    out.bias.data = conv.bias.data.clone()
    return out


class _Conv2dForm(nn.Module):
    """A TCN ``SequenceLabeller`` written with 2-D convolutions of height 1: what its ONNX graph
    holds. Same inputs, outputs and weights (equal to float rounding, about 1e-6); ONNX
    Runtime runs 2-D convolutions in its blocked channel layout (NCHWc), which it has no
    1-D form of: the shipped network on one hour of 500 Hz took 1.3-1.4 s of CPU against
    1.9-2.2 s as 1-D convolutions (docs/results.md, "### Speed").

    A ``tcn-gru``'s output layer is split in two: its TCN columns stay a 1 x 1 convolution,
    its GRU columns (a linear map, no bias) act on the GRU's outputs at the coarse rate, and
    only their 5 class scores are repeated to every sample and added (the same sum): not the
    GRU's ``2 * hidden`` channels repeated and concatenated to the TCN's, which took most of
    the GRU's cost in ONNX Runtime (docs/results.md, "Batched chunks")."""

    def __init__(self, network: SequenceLabeller) -> None:
        super().__init__()
        self.stem = _as_conv2d(network.stem[0])
        self.body = nn.ModuleList([_as_conv2d(layer.conv) for layer in network.body])
        self.head = _as_conv2d(network.head)
        self.context = getattr(network, "context", None)  # tcn-gru: its GRU as it is
        if self.context is not None:
            width = network.stem[0].out_channels  # the TCN's columns come first (forward)
            weight = self.head.weight.data
            self.context_head = nn.Linear(weight.shape[1] - width, weight.shape[0], bias=False)
            self.context_head.weight.data = weight[:, width:, 0, 0].clone()
            self.head.weight.data = weight[:, :width].clone()
            self.head.in_channels = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = torch.relu(self.stem(x.transpose(1, 2).unsqueeze(2)))
        for conv in self.body:
            features = features + torch.relu(conv(features))
        logits = self.head(features).squeeze(2)
        if self.context is not None:
            coarse = self.context_head(self.context.coarse(features.squeeze(2)))
            logits = logits + self.context.fine(coarse.transpose(1, 2), logits.shape[2])
        return logits.transpose(1, 2)


_PSO = _CLASSES.index("pso")
# Targets at or above this offset come from recordings whose coders never labelled PSOs
# (GazeCom): there a "fixation" or "saccade" sample may really be a PSO, so the loss accepts
# either the label or PSO instead of teaching the network that PSOs do not exist.
_PSO_ALLOWED = 10
# the classes every training set must hold: without them the detector learns nothing useful
_REQUIRED_CLASSES = ("fixation", "saccade")
#: Defaults of :meth:`DeepDetector.fine_tune` and ``gazelearn events train``: the measured best
#: (benchmarks/events_finetune.py; docs/results.md "Fine-tuning on a user's few recordings"):
#: 3 epochs, the epoch chosen on a held-out recording. More epochs, augmented copies or a
#: higher rate helped on Lund but cost GazeCom up to .3 kappa (the network forgets saccades).
FINE_TUNING = {"epochs": 3, "lr": 1e-3, "freeze": 0, "validation": True, "augment": 0,
               "simulated": 0}
#: The shift of the shipped model's PSO logit after training (:meth:`DeepDetector.
#: with_logit_shift`): the measured best of ``benchmarks/events_deep.py --pso-bias``; the
#: network trained with square-root class weights labelled too many samples PSO (95 % of
#: img PSO samples found, 8 % of img fixation samples called PSO).
PSO_LOGIT_SHIFT = -1.0


def _layers(network: SequenceLabeller) -> list[nn.Module]:
    """The network's layers from input to output: stem, dilated layers (or GRU), the
    ``tcn-gru``'s GRU, output."""
    body = [network.body] if network.architecture == "gru" else list(network.body)
    context = [network.context] if network.architecture == "tcn-gru" else []
    return [network.stem, *body, *context, network.head]


def _targets(labels: np.ndarray, pso_labelled: bool = True) -> np.ndarray:
    """Label codes -> class indices of the network (-1 = ignored: undefined).

    Examples
    --------
    >>> _targets(np.array([0, 1, 2, 3])).tolist()
    [-1, 0, 1, 2]
    >>> _targets(np.array([0, 1, 2, 5]), pso_labelled=False).tolist()
    [-1, 10, 11, 4]
    """
    lookup = np.full(len(LABELS), -1, dtype=np.int64)
    for index, name in enumerate(_CLASSES):
        lookup[LABELS.index(name)] = index
    targets = lookup[labels]
    if not pso_labelled:
        # only fixation and saccade samples may hide a PSO
        maybe_pso = np.isin(targets, [_CLASSES.index("fixation"), _CLASSES.index("saccade")])
        targets = np.where(maybe_pso, targets + _PSO_ALLOWED, targets)
    return targets


def _partial_label_loss(outputs: torch.Tensor, targets: torch.Tensor,
                        weight: torch.Tensor) -> torch.Tensor:
    """Weighted cross-entropy where flagged targets also accept the PSO class."""
    log_p = torch.log_softmax(outputs.reshape(-1, outputs.shape[-1]), dim=-1)
    targets = targets.reshape(-1)
    valid = targets >= 0
    flagged = targets >= _PSO_ALLOWED
    base = torch.where(flagged, targets - _PSO_ALLOWED, targets).clamp(min=0)
    chosen = log_p.gather(1, base[:, None])[:, 0]
    chosen = torch.where(flagged, torch.logaddexp(chosen, log_p[:, _PSO]), chosen)
    w = weight[base] * valid
    return -(chosen * w).sum() / w.sum().clamp(min=1e-12)


class _PartialLabelLoss(nn.Module):
    """:func:`_partial_label_loss` with its class weights as a buffer (moves with ``.to``)."""

    def __init__(self, weight: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("weight", torch.as_tensor(weight, dtype=torch.float32))

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return _partial_label_loss(outputs, targets, self.weight)


def _partial_label_accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    predicted = outputs.argmax(-1).reshape(-1)
    targets = targets.reshape(-1)
    valid = targets >= 0
    flagged = targets >= _PSO_ALLOWED
    base = torch.where(flagged, targets - _PSO_ALLOWED, targets)
    correct = (predicted == base) | (flagged & (predicted == _PSO))
    return float(correct[valid].double().mean()) if valid.any() else float("nan")


def _windows(array: np.ndarray, length: int, step: int, fill: float) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Overlapping windows of ``array`` (and their starts); the last one ends at the last sample.

    A signal shorter than ``length`` gives one window padded with ``fill``.
    """
    windows, starts, _ = sliding_windows(array, length, step, pad=True, align_last=True,
                                         fill=fill)
    return (windows if array.ndim > 1 else windows[..., 0]), starts


@register_class
@register_detector("deep")
class DeepDetector(TorchEstimator, Detector):
    """The deep event detector (see the module notes).

    ``DeepDetector()`` is untrained: train it with :meth:`fit`, or get the model shipped with
    gazelearn from :meth:`pretrained` (``create_detector("deep")`` does that) and any saved one
    from :func:`gazelearn.learn.load_model`.

    Parameters
    ----------
    sampling_rate : float
        Rate the network works at; recordings are resampled to it.
    window_s : float
        Training window length in seconds (prediction chunks are twice this).
    architecture : {"tcn", "tcn-gru", "gru"}
        Dilated convolutions (fast), those with a bidirectional GRU at a tenth of the rate
        beside them (:class:`SequenceLabeller`), or convolutions + bidirectional GRU
        (gazeNet-like).
    conv_channels, hidden : int
        Network width (``hidden``: GRU units per direction).
    depth : int
        Dilated residual layers of the TCN (receptive field ``4 + 2 * (2**depth - 1)``
        samples: 7 about 0.5 s at 500 Hz, 9 about 2 s).
    features : {"velocity", "context"}
        Input features (:mod:`gazelearn.detection.deep_inference`): velocity and validity, or
        those plus displacement, direction consistency and dispersion at 50-400 ms.
    augment : int
        Augmented copies of every training recording (gazeNet's lesson): each resampled to a
        random rate of 250-1000 Hz and given white noise of 0-0.05 deg (drawn from ``seed``).
    simulated : int
        Recordings of 20 s from the oculomotor simulator (:mod:`gazelearn.simulate`, exact
        labels, one subject each) added to the training data.
    epochs, batch_size, lr, patience, seed : training options.
    device : str
        Training device: ``auto`` (a GPU when there is one), ``cpu`` or ``cuda:N``; prediction
        runs on the CPU.
    num_threads : int, optional
        CPU threads for training and prediction (default: the cores shared among this node's
        processes; use 1 when other heavy work runs on the same machine).
    progress : bool, optional
        Progress bar while training (default: only on an interactive terminal).
    pso_weight : float
        Factor on the PSO class's loss weight (on top of the square-root inverse-frequency
        weights; 1 = those weights alone).
    recombined : int
        New labelled recordings per training group made of its own recordings' pieces cut at
        saccade onsets (:func:`~gazelearn.detection.deep_augment.recombined_recording`, the
        simplest form of gazeNet's generator), each then altered as the ``augment`` copies are.

    Attributes
    ----------
    network_ : SequenceLabeller
        The trained network; also ``history_``, ``best_epoch_`` and ``training_summary_``
        (recordings, windows, labelled samples and class counts).
    classes_ : list of str
        The classes of the network's outputs.
    """

    # Files written when the constructor took a model file path (``model=``) still load.
    _renamed_params = {"model": None}
    _training_defaults = {"grad_clip": 1.0, "lr_schedule": "plateau", "lr_patience": 2}
    #: Parameters the weights depend on: a pretrained detector keeps those of its file.
    _network_params = ("sampling_rate", "window_s", "architecture", "conv_channels", "hidden",
                       "depth", "features")

    def __init__(self, sampling_rate: float = 500.0, window_s: float = 1.0,
                 architecture: str = "tcn", conv_channels: int = 32, hidden: int = 48,
                 depth: int = 7, features: str = "velocity", augment: int = 0,
                 simulated: int = 0,
                 epochs: int = 30, batch_size: int = 32, lr: float = 3e-3, patience: int = 5,
                 seed: int = 0, device: str = "auto", num_threads: int | None = None,
                 progress: bool | None = None, pso_weight: float = 1.0,
                 recombined: int = 0) -> None:
        self.sampling_rate = sampling_rate
        self.window_s = window_s
        self.architecture = architecture
        self.conv_channels = conv_channels
        self.hidden = hidden
        self.depth = depth
        self.features = features
        self.augment = augment
        self.simulated = simulated
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.seed = seed
        self.device = device
        self.num_threads = num_threads
        self.progress = progress
        self.pso_weight = pso_weight
        self.recombined = recombined

    # ------------------------------------------------------------------ loading
    @classmethod
    def pretrained(cls, path: str | Path | None = None, model: str | Path | None = None,
                   **params: Any) -> DeepDetector:
        """The detector shipped with gazelearn (or the one saved at ``path``), ready to detect.

        ``create_detector("deep")`` calls this: it is the shipped model, no option needed.

        Parameters
        ----------
        path : str or Path, optional
            A model file written by :meth:`save`; default: the shipped model.
        model : str or Path, optional
            The same as ``path`` (``create_detector("deep", model=...)``, the name older
            versions used); ``"default"`` is the shipped model.
        **params
            Options that do not change the network (``num_threads``, ``device``, ...). The
            shipped file's ``num_threads`` was its training machine's; here it defaults to
            this machine's cores.
        """
        from gazelearn.learn.modelfile import load_model

        if model is not None:
            if path is not None:
                raise InputError("give the model file as path or as model=, not both")
            path = None if str(model) == "default" else model
        model = Path(path) if path is not None else DEFAULT_MODEL
        if not model.exists():
            raise InputError("no deep detector model at this path" + (
                " (the default model is not bundled in this installation)"
                if path is None else ""), source=model)
        detector = load_model(model)
        if not isinstance(detector, DeepDetector):
            raise InputError(f"is a {type(detector).__name__} model, not a deep event detector",
                             source=model)
        known = detector.get_params()
        for name, value in params.items():
            if name not in known:
                raise InputError(f"bad option for the deep detector: {name!r}; choose from "
                                 f"{', '.join(known)}")
            if name in cls._network_params and value != known[name]:
                raise InputError(f"{name}={value!r} does not fit the trained network "
                                 f"({name}={known[name]!r}); train a new detector instead",
                                 source=model)
        return detector.set_params(**{"num_threads": None, **params})

    # ------------------------------------------------------------------ training hooks
    def _window_length(self) -> int:
        return int(round(self.window_s * self.sampling_rate))

    def _training_data(self, X: Any, y: Any, groups: Any) -> TrainingData:
        """``X``: recordings with per-sample labels (or ``y``: one label array per recording)
        and a screen; ``groups``: one group per recording (default: each its own)."""
        recordings = [X] if isinstance(X, Recording) else list(X)
        if not recordings:
            raise InputError("no training recordings")
        labels = [r.labels for r in recordings] if y is None else list(y)
        for rec, lab in zip(recordings, labels, strict=True):
            if lab is None:
                raise InputError("training needs per-sample labels", source=rec.meta.source)
        length = self._window_length()
        groups = list(range(len(recordings))) if groups is None else list(groups)
        recordings, labels, groups = self._augmented(recordings, labels, groups)
        X_parts, y_parts, group_parts = [], [], []
        # labelled samples counted once each: the half-overlapping windows hold most samples
        # twice (the loss weights below are counted over the windows, as the shipped model was
        # trained; only the summary counts samples)
        counts = np.zeros(len(_CLASSES), dtype=np.int64)
        for rec, lab, group in zip(recordings, labels, groups, strict=True):
            features, resampled = detector_features(rec.with_labels(lab), self.sampling_rate,
                                                    self.features)
            targets = _targets(resampled.labels, pso_labelled=bool(np.any(lab == Label.PSO)))
            counts += np.bincount(targets[targets >= 0] % _PSO_ALLOWED, minlength=len(_CLASSES))
            X_parts.append(_windows(features, length, length // 2, 0.0)[0])
            y_parts.append(_windows(targets, length, length // 2, -1)[0])
            group_parts.append(np.full(len(X_parts[-1]), str(group)))
        class_counts = dict(zip(_CLASSES, counts.tolist(), strict=True))
        missing = [name for name in _REQUIRED_CLASSES if class_counts[name] == 0]
        if missing:
            found = ", ".join(f"{name} {n}" for name, n in class_counts.items() if n) or "none"
            # only blinks and undefined samples (lost data, looking away): no eye movement
            nothing = not any(n for name, n in class_counts.items() if name != "blink")
            raise InputError(("nothing to learn: " if nothing else "") +
                             f"training needs samples labelled {' and '.join(missing)} (a "
                             f"detector learns them); the labelled samples are: {found}",
                             source=recordings[0].meta.source if len(recordings) == 1 else None)
        windows, targets = np.concatenate(X_parts), np.concatenate(y_parts)
        summary = {"recordings": len(recordings), "windows": int(len(windows)),
                   "samples": int(counts.sum()), "class_counts": class_counts}
        return TrainingData(torch.from_numpy(windows), torch.from_numpy(targets),
                            np.concatenate(group_parts), summary)

    def _augmented(self, recordings: list[Recording], labels: list, groups: list
                   ) -> tuple[list[Recording], list, list]:
        """The training recordings plus ``augment`` altered copies of each and ``simulated``
        simulator recordings (each copy in its original's group: no leak across the split)."""
        if not self.augment and not self.simulated and not self.recombined:
            return recordings, labels, groups
        from gazelearn.detection.deep_augment import augment_recording, simulated_recordings

        rng = np.random.default_rng(self.seed)
        out_r, out_l, out_g = list(recordings), list(labels), list(groups)
        for rec, lab, group in zip(recordings, labels, groups, strict=True):
            for _ in range(int(self.augment)):
                copy = augment_recording(rec.with_labels(lab), rng)
                out_r.append(copy)
                out_l.append(copy.labels)
                out_g.append(group)
        for rec, lab, group in self._recombined(recordings, labels, groups):
            out_r.append(rec)
            out_l.append(lab)
            out_g.append(group)
        for k, rec in enumerate(simulated_recordings(int(self.simulated), self.seed)):
            out_r.append(rec)
            out_l.append(rec.labels)
            out_g.append(f"simulated:{k}")
        return out_r, out_l, out_g

    def _recombined(self, recordings: list[Recording], labels: list, groups: list
                    ) -> list[tuple[Recording, np.ndarray, Any]]:
        """``recombined`` new recordings per group from that group's own recordings (so a
        group's pieces never reach another group's side of the validation split), each from
        the recordings of one rate and labelling (with or without PSO) and then altered."""
        if not self.recombined:
            return []
        from gazelearn.detection.deep_augment import augment_recording, recombined_recording

        # its own stream: the augment copies' draws stay what they were without this option
        rng = np.random.default_rng([self.seed, 1])
        by_group: dict[Any, list[Recording]] = {}
        for rec, lab, group in zip(recordings, labels, groups, strict=True):
            if lab is not None and rec.has_geometry and np.any(lab == Label.SACCADE):
                by_group.setdefault(group, []).append(rec.with_labels(lab))
        out = []
        for group, members in by_group.items():
            for _ in range(int(self.recombined)):
                template = members[int(rng.integers(len(members)))]
                kind = (round(template.sampling_rate), bool(np.any(template.labels == Label.PSO)))
                pool = [r for r in members if (round(r.sampling_rate),
                                               bool(np.any(r.labels == Label.PSO))) == kind]
                new = augment_recording(recombined_recording(pool, template, rng), rng)
                out.append((new, new.labels, group))
        return out

    def _build_network(self) -> SequenceLabeller:
        start = getattr(self, "_fine_tune_start", None)
        if start is not None:  # fine_tune: the trained network, its first layers frozen
            network, frozen = start
            for layer in _layers(network)[:frozen]:
                layer.requires_grad_(False)
            return network
        return SequenceLabeller(n_features(self.features), len(_CLASSES), self.conv_channels,
                                self.hidden, self.architecture, self.depth)

    def fine_tune(self, X: Any, y: Any = None, groups: Any = None, *,
                  epochs: int = FINE_TUNING["epochs"], lr: float = FINE_TUNING["lr"],
                  freeze: int = FINE_TUNING["freeze"],
                  validation: bool = FINE_TUNING["validation"], **params: Any) -> DeepDetector:
        """A copy of this trained detector trained further on a few labelled recordings.

        The copy starts from this detector's weights (this one is left unchanged) and trains
        for ``epochs`` at the learning rate ``lr`` with its first ``freeze`` layers fixed (the
        stem, then the dilated layers in order; ``depth + 1`` leaves only the output layer to
        learn). With ``validation`` a part of the recordings (whole ``groups``) is held out to
        choose the epoch and stop early, as in :meth:`fit`; without it every recording trains
        for all ``epochs`` (a few recordings leave little to hold out). ``params`` set other
        options of the copy (``augment``, ``simulated``: default 0 here, ``patience``,
        ``num_threads``...); the network's own parameters (``depth``, ``features``...) stay.
        Defaults (:data:`FINE_TUNING`): the measured best of ``benchmarks/events_finetune.py``
        (Lund and GazeCom recordings of subjects the base never saw; docs/results.md,
        "Fine-tuning on a user's few recordings").

        Examples
        --------
        >>> from gazelearn.simulate import simulate_recording
        >>> base = DeepDetector.pretrained()
        >>> tuned = base.fine_tune([simulate_recording(6.0, 500.0, seed=2)], epochs=1,
        ...                        progress=False)
        >>> tuned.training_summary_["fine_tuned"]["frozen_layers"] == FINE_TUNING["freeze"]
        True
        """
        check_is_fitted(self, "network_", msg="fine_tune needs a trained detector: train one "
                                              "with fit or load one (DeepDetector.pretrained())")
        fixed = [name for name in params if name in self._network_params]
        if fixed:
            raise InputError(f"fine-tuning keeps the network: {', '.join(fixed)} cannot change")
        n_layers = len(_layers(self.network_))
        if not 0 <= int(freeze) < n_layers:
            raise InputError(f"freeze must be 0-{n_layers - 1} layers of this network "
                             f"(stem, {n_layers - 2} dilated layers, output), got {freeze}")
        options = {"augment": FINE_TUNING["augment"], "simulated": FINE_TUNING["simulated"],
                   **params}
        tuned = clone(self).set_params(epochs=int(epochs), lr=float(lr), **options)
        tuned._fine_tune_start = (copy.deepcopy(self.network_).train(), int(freeze))
        if not validation:  # this fit only: no recording held out
            tuned._training_defaults = {**self._training_defaults, "validation_fraction": 0.0}
        try:
            tuned.fit(X, y, groups)
        finally:
            del tuned._fine_tune_start
            tuned.__dict__.pop("_training_defaults", None)
        tuned.network_.requires_grad_(True)
        tuned.training_summary_["fine_tuned"] = {
            "epochs": int(epochs), "lr": float(lr), "frozen_layers": int(freeze),
            "validation": bool(validation), "augment": int(tuned.augment),
            "simulated": int(tuned.simulated)}
        return tuned

    def with_logit_shift(self, name: str, shift: float) -> DeepDetector:
        """A copy of this trained detector with ``shift`` added to the logit of class ``name``
        (its output layer's bias): the arg-max then avoids (``shift < 0``) or prefers that
        class, as a smaller or larger loss weight would, without training again. The shipped
        model's PSO logit is shifted by :data:`PSO_LOGIT_SHIFT` (docs/results.md, "PSO logit").

        Examples
        --------
        >>> from gazelearn.simulate import simulate_recording
        >>> base = DeepDetector.pretrained()
        >>> rec = simulate_recording(4.0, 500.0, seed=3)
        >>> fewer = base.with_logit_shift("pso", -5.0)
        >>> int((fewer.predict(rec) == 3).sum()) < int((base.predict(rec) == 3).sum())
        True
        >>> fewer.training_summary_["logit_shift"]["pso"] - base.training_summary_.get(
        ...     "logit_shift", {}).get("pso", 0.0)
        -5.0
        """
        check_is_fitted(self, "network_")
        if name not in self.classes_:
            raise InputError(f"no class {name!r}; choose from {', '.join(self.classes_)}")
        shifted = copy.deepcopy(self)
        shifted.__dict__.pop("_runner_cache", None)
        with torch.no_grad():
            shifted.network_.head.bias[self.classes_.index(name)] += float(shift)
        shifts = dict(shifted.training_summary_.get("logit_shift", {}))
        shifts[name] = round(shifts.get(name, 0.0) + float(shift), 6)
        shifted.training_summary_ = {**shifted.training_summary_, "logit_shift": shifts}
        return shifted

    def _loss(self, data: TrainingData, train: np.ndarray) -> nn.Module:
        # square-root inverse frequency: rare PSOs count more without drowning fixations.
        # Counted over all windows, as the shipped model was trained (the class frequencies
        # only; the validation windows still only choose the epoch)
        targets = data.targets.numpy()
        codes = np.where(targets >= 0, targets % _PSO_ALLOWED, -1)
        weights = class_weights(codes, len(_CLASSES), "sqrt")
        weights[_PSO] *= float(self.pso_weight)
        return _PartialLabelLoss(weights)

    def _metrics(self, data: TrainingData) -> dict[str, Any]:
        return {"accuracy": _partial_label_accuracy}

    def _after_fit(self, data: TrainingData) -> None:
        self.classes_ = list(_CLASSES)

    # ------------------------------------------------------------------ prediction
    def predict_proba(self, recording: Recording) -> np.ndarray:
        """Class probabilities ``(n_samples, 5)`` for fixation, saccade, pso, pursuit, blink."""
        return self._scores(recording, probabilities=True)

    def _scores(self, recording: Recording, probabilities: bool, backend: str = "onnx"
                ) -> np.ndarray:
        """Per-sample class scores: probabilities, or logits (enough for the arg-max).

        ``backend="onnx"``: ONNX Runtime on contiguous chunks (the network exported once and
        its session cached); ``"torch"``: the same chunks through the PyTorch network (the
        reference the ONNX graph is tested against).
        """
        check_is_fitted(self, msg="this %(name)s has no model: train it with fit or load one "
                                  "(DeepDetector.pretrained(), gazelearn.learn.load_model)")
        if backend == "onnx":
            return self.runner().scores(recording, probabilities)
        features, resampled = detector_features(recording, self.sampling_rate, self.features)
        margin = margin_for(self.get_params())
        core = int(round(deep_inference.CHUNK_S * self.sampling_rate))
        starts, length = chunk_plan(len(features), core, margin)
        chunks = np.stack([features[start:start + length] for start in starts])
        scores = self._network_outputs(torch.from_numpy(chunks), batch_size=4)
        scores = (torch.softmax(scores, -1) if probabilities else scores).numpy()
        return to_original_times(stitch(scores, starts, len(features), margin), resampled,
                                 recording)

    def runner(self) -> DeepRunner:
        """The ONNX Runtime runner of this detector's network (exported on first use, kept
        until the weights change)."""
        check_is_fitted(self, "network_")
        key = self._weights_key()
        cached = getattr(self, "_runner_cache", None)
        if cached is None or cached[0] != key:
            runner = DeepRunner(self.onnx_bytes(), float(self.sampling_rate), self.features,
                                margin_for(self.get_params()), self.num_threads)
            self._runner_cache = (key, runner)
        return self._runner_cache[1]

    def _weights_key(self) -> str:
        from gazelearn.learn.modelfile import tensors_checksum

        return tensors_checksum({name: value.detach().cpu().numpy()
                                 for name, value in self.network_.state_dict().items()})

    def __getstate__(self) -> dict:
        # an ONNX Runtime session does not pickle: rebuilt on first use
        state = dict(super().__getstate__() if hasattr(super(), "__getstate__")
                     else self.__dict__)
        state.pop("_runner_cache", None)
        return state

    def onnx_spec(self) -> OnnxSpec:
        """What the ONNX graph holds: features ``(batch, time, channels)`` to class logits
        ``(batch, time, 5)``, batch and time dynamic (a TCN in its 2-D form, see
        :class:`_Conv2dForm`), with what a user needs to compute the features and read the
        logits."""
        check_is_fitted(self, "network_")
        network = self.network_.cpu().eval()
        if network.architecture != "gru":
            network = _Conv2dForm(network).eval()
        names = deep_inference.feature_names(self.features)
        rate = float(self.sampling_rate)
        inputs = (OnnxTensor("features", ("batch", "time", len(names)),
                             f"the detector's features of gaze in degrees at {rate:g} Hz "
                             "(metadata feature_names; gazelearn.detection.deep_inference."
                             "detector_features)"),)
        outputs = (OnnxTensor("logits", ("batch", "time", len(_CLASSES)),
                              "class scores per sample, columns in the order of metadata "
                              "classes (softmax over the last axis: probabilities)"),)
        return OnnxSpec(network, inputs, outputs, {
            "classes": list(_CLASSES), "sampling_rate": repr(rate), "features": self.features,
            "feature_names": names, "margin": str(margin_for(self.get_params())),
            "gazelearn_graph": deep_inference.graph_format(self.architecture),
            "chunks": "long recordings run in overlapping chunks; a sample's logits need "
                      "margin samples of context on each side"},
            {"batch": (1, 2), "time": (64, 700)})

    def onnx_bytes(self, metadata: dict[str, str] | None = None) -> bytes:
        """The network as an ONNX graph (:func:`gazelearn.nn.onnx_export.graph_bytes`, the
        one export path), batch and time axes dynamic; ``metadata`` goes into the graph's
        metadata properties after the spec's own."""
        spec = self.onnx_spec()
        return graph_bytes(spec, metadata_props(spec, metadata))

    def _export_onnx_for(self, model: Path, target: Path) -> Path:
        """Write the ONNX graph of the model file ``model`` (this detector) to ``target``."""
        from gazelearn.io.atomic import atomic_write_bytes
        from gazelearn.learn.modelfile import read_model_info

        meta = deep_inference.onnx_metadata(read_model_info(model), model)
        atomic_write_bytes(target, self.onnx_bytes(meta))
        return target

    def export_onnx_cache(self, model: Path) -> Path:
        """The ONNX graph of the model file ``model`` (that this detector was loaded from) in
        the cache (:func:`gazelearn.detection.deep_inference.cache_folder`)."""
        digest = deep_inference.model_digest(model)
        target = deep_inference.cache_folder() / f"{digest}.onnx"
        # absent, damaged, of other weights or of an older graph form: exported anew
        graph = deep_inference.graph_format(self.architecture)
        if deep_inference.onnx_identity(target) != (digest, graph):
            self._export_onnx_for(model, target)
        return target

    def predict(self, recording: Recording, *, postprocess: Any = True,
                stimulus: str | None = "auto") -> np.ndarray:
        """Per-sample label codes; ``postprocess`` and ``stimulus`` as for every detector
        (:meth:`Detector.predict <gazelearn.detection.base.Detector.predict>`).

        On a static stimulus the network's best class among those possible is taken: pursuit's
        score is left out of the arg-max (not relabelled afterwards).
        """
        # the prediction step (class masking, arg-max, lost samples, post-processing) is
        # deep_inference's, shared with the torch-free path of `events detect --method deep`
        return labels_from_scores(self._scores(recording, probabilities=False), recording,
                                  postprocess=postprocess, stimulus=stimulus,
                                  model_rate=self.sampling_rate)

    # ------------------------------------------------------------------ model files
    def save(self, path: str | Path, training_data: dict | None = None) -> Path:
        """Write the trained detector to a model file (safetensors + JSON config)."""
        from gazelearn.learn.modelfile import save_model

        path = save_model(self, path, preprocessing={
            "sampling_rate": self.sampling_rate, "window_s": self.window_s,
            "features": deep_inference.feature_names(self.features)},
            training_data=training_data)
        if path.suffix:
            # the ONNX graph beside it: `events detect --method deep` runs it without torch
            self._export_onnx_for(path, deep_inference.onnx_sidecar(path))
        return path
