"""``EyeMovementEmbedder``: windows of eye-movement velocity -> unit vectors that identify people.

The estimator follows scikit-learn's contract (constructor arguments stored unchanged, learned
state ending in ``_``), trains through gazelearn's one fit skeleton
(:class:`gazelearn.learn.torch_estimator.TorchEstimator`; no validation set: every window
trains, the cosine schedule ends the run) and is stored by :func:`gazelearn.learn.save_model`
as safetensors + JSON (the encoder's weights, the standardisation, the window specification
and the sampling rate).

* ``loss="triplet"``: triplet loss with batch semi-hard (or hard) mining on P x K batches
  (:mod:`gazelearn.biometrics.losses`, :class:`~gazelearn.nn.samplers.
  PersonBatchSampler`) — the metric-learning model.
* ``loss="softmax"``: the same encoder with a person classifier, trained with cross-entropy;
  the embedding is the layer before the classifier — the softmax baseline. Neither needs the
  test persons: embeddings of new people are compared by cosine similarity.

A recording's embedding (:meth:`EyeMovementEmbedder.embed_recordings`) is the mean of its
normalised window embeddings, normalised again.

Examples
--------
>>> from gazelearn.simulate import simulate_population
>>> data = simulate_population(n_subjects=3, recordings_per_subject=2, duration_s=4.0,
...                            sampling_rate=100.0, seed=1)
>>> model = EyeMovementEmbedder(embedding_dim=8, epochs=2, persons_per_batch=3,
...                             windows_per_person=2, num_threads=1, progress=False)
>>> model = model.fit(data)  # persons from the recordings' subject metadata
>>> emb = model.embed_recordings(data)
>>> emb.shape, bool(np.allclose(np.linalg.norm(emb, axis=1), 1.0))
((6, 8), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from gazelearn.biometrics.data import WindowSpec, persons_of, velocity_windows
from gazelearn.biometrics.losses import TripletLoss
from gazelearn.biometrics.networks import EmbeddingNet, SoftmaxNet, encoder
from gazelearn.errors import InputError
from gazelearn.learn.data import standardization, training_summary
from gazelearn.learn.registry import register_class
from gazelearn.learn.serialize import restore_network_state
from gazelearn.learn.torch_estimator import TorchEstimator, TrainingData
from gazelearn.nn import callbacks as cb
from gazelearn.nn.onnx_export import OnnxSpec, OnnxTensor, Standardize
from gazelearn.nn.samplers import PersonBatchSampler
from gazelearn.recording import Recording
from gazelearn.windows import WindowSet

LOSSES = ("triplet", "softmax")


def _is_recordings(X: Any) -> bool:
    from gazelearn.dataset import Dataset

    if isinstance(X, Dataset):
        return True
    return isinstance(X, list | tuple) and len(X) > 0 and isinstance(X[0], Recording)


def normalize_rows(values: np.ndarray) -> np.ndarray:
    """Rows scaled to unit Euclidean length (zero rows stay zero).

    Examples
    --------
    >>> normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6, 0.8], [0.0, 0.0]]
    """
    values = np.asarray(values, dtype=np.float64)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return values / np.where(norms > 0, norms, 1.0)


def mean_embeddings(window_embeddings: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Per owner (recording or person): mean of normalised rows, normalised again, ``(n, d)``.

    Examples
    --------
    >>> mean_embeddings(np.array([[1.0, 0.0], [0.0, 2.0], [5.0, 0.0]]), np.array([0, 0, 1]), 2)
    array([[0.70710678, 0.70710678],
           [1.        , 0.        ]])
    """
    unit = normalize_rows(window_embeddings)
    owner = np.asarray(owner)
    sums = np.zeros((n, unit.shape[1]))
    np.add.at(sums, owner, unit)
    empty = np.setdiff1d(np.arange(n), owner)
    if empty.size:
        raise InputError(f"no windows for entries {empty[:5].tolist()}")
    return normalize_rows(sums)


class _EmbeddingInference(torch.nn.Module):
    """Raw windows -> unit-length embeddings: standardisation, the encoder, L2 normalisation
    (zero rows stay zero), as :meth:`EyeMovementEmbedder.transform` (for ONNX)."""

    def __init__(self, net: torch.nn.Module, standardize: Standardize) -> None:
        super().__init__()
        self.net, self.standardize = net, standardize

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        out = self.net(self.standardize(windows))
        norm = torch.linalg.vector_norm(out, dim=1, keepdim=True)
        return out / torch.where(norm > 0, norm, torch.ones_like(norm))


@register_class
class EyeMovementEmbedder(TorchEstimator):
    """Embed windows of eye-movement velocity so that one person's windows lie close together.

    Parameters
    ----------
    architecture : str
        Registered window encoder: ``conv1d`` (default) or ``gru`` (or any other registered
        sequence architecture).
    architecture_options : dict, optional
        Options of the encoder's factory (defaults in
        :data:`gazelearn.biometrics.networks.DEFAULT_OPTIONS`).
    embedding_dim : int
        Length of the embedding.
    loss : {"triplet", "softmax"}
        Metric learning, or the softmax-classifier baseline (see the module notes).
    margin : float
        Triplet margin (embeddings are unit vectors, distances 0..2).
    mining : {"semi-hard", "hard"}
        Triplet mining inside each batch.
    persons_per_batch, windows_per_person : int
        P and K of the triplet batches.
    batch_size : int
        Windows per batch of the softmax baseline.
    epochs, lr, weight_decay : int, float, float
        Training length (cosine learning-rate decay), AdamW learning rate and weight decay.
    window_s, step_s, max_lost, clip, log_scale : float, float, float, float, bool
        Window specification (see :class:`gazelearn.biometrics.data.WindowSpec`), used when
        ``fit`` and ``embed_recordings`` get recordings.
    velocity_unit : {"auto", "deg", "px"}
        Velocity unit of the windows (``auto``: deg/s when the recordings have a screen).
    seed : int
        Initialisation, batches and dropout: same seed, same model on CPU.
    device : str
        ``auto`` (GPU when available), ``cpu`` or ``cuda:N``.
    num_threads : int, optional
        CPU threads of training and inference.
    progress : bool, optional
        Progress bar during training.
    init_from : str or Path, optional
        Model file of an embedder to start from (pre-training, e.g. on the simulator's
        synthetic people): its encoder weights and input standardisation are the starting
        point, and the same architecture, window and embedding size are required. Read by
        ``fit``.

    Attributes
    ----------
    network_ : torch.nn.Module
        The trained encoder (windows -> embeddings before normalisation); the softmax
        baseline's person classifier is dropped after training.
    classes_ : array
        The training persons.
    """

    _training_defaults = {"optimizer": "adamw", "validation_fraction": 0.0}
    _tuple_attributes = ("input_shape_",)

    def __init__(self, architecture: str = "conv1d", architecture_options: dict | None = None,
                 embedding_dim: int = 64, loss: str = "triplet", margin: float = 0.2,
                 mining: str = "semi-hard", persons_per_batch: int = 16,
                 windows_per_person: int = 4, batch_size: int = 64, epochs: int = 30,
                 lr: float = 1e-3, weight_decay: float = 1e-4, window_s: float = 1.0,
                 step_s: float = 0.5, max_lost: float = 0.5, clip: float = 1000.0,
                 log_scale: bool = True, velocity_unit: str = "auto", seed: int = 0,
                 device: str = "auto", num_threads: int | None = None,
                 progress: bool | None = None, init_from: str | Path | None = None) -> None:
        self.architecture = architecture
        self.architecture_options = architecture_options
        self.embedding_dim = embedding_dim
        self.loss = loss
        self.margin = margin
        self.mining = mining
        self.persons_per_batch = persons_per_batch
        self.windows_per_person = windows_per_person
        self.batch_size = batch_size
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.window_s = window_s
        self.step_s = step_s
        self.max_lost = max_lost
        self.clip = clip
        self.log_scale = log_scale
        self.velocity_unit = velocity_unit
        self.seed = seed
        self.device = device
        self.num_threads = num_threads
        self.progress = progress
        self.init_from = init_from

    # ------------------------------------------------------------------ windows
    def window_spec(self) -> WindowSpec:
        """The :class:`WindowSpec` of the constructor arguments."""
        return WindowSpec(self.window_s, self.step_s, self.max_lost, self.clip, self.log_scale)

    def windows(self, recordings: Sequence[Recording], persons: Sequence | None = None,
                drop_lost: bool = True) -> WindowSet:
        """Cut recordings as this (fitted) model expects: its rate, velocity unit and windows."""
        check_is_fitted(self, "network_")
        recordings = list(recordings)
        if self.sampling_rate_ is None:
            raise InputError("this model was fitted on bare windows; pass windows, not recordings")
        for i, rec in enumerate(recordings):
            rate = rec.sampling_rate
            if not rate or abs(rate - self.sampling_rate_) > 0.1 * self.sampling_rate_:
                raise InputError(f"sampled at {rate or float('nan'):.1f} Hz but the model was "
                                 f"trained at {self.sampling_rate_:.1f} Hz; resample first "
                                 "(gazelearn.preprocess.resample)",
                                 source=rec.meta.source or f"recording {i}")
        unit = {"deg/s": "deg", "px/s": "px"}.get(self.velocity_unit_, "auto")
        return velocity_windows(recordings, self.window_spec(), persons,
                                sampling_rate=self.sampling_rate_, velocity_unit=unit,
                                drop_lost=drop_lost)

    # ------------------------------------------------------------------ TorchEstimator hooks
    def _training_data(self, X: Any, y: Any, groups: Any) -> TrainingData:
        """Recordings or windows of known persons.

        ``X``: a Dataset, a sequence of Recording (cut into windows, see ``window_s`` and
        ``step_s``), a WindowSet or an array ``(n, length, channels)`` of windows. ``y``: the
        person of each recording (default: their ``subject`` metadata) or window (default for a
        WindowSet: its ``y``). ``groups`` is not used: the persons are the groups.
        """
        if self.loss not in LOSSES:
            raise InputError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        self.sampling_rate_ = None
        self.velocity_unit_ = ""
        self.window_spec_ = self.window_spec().to_dict()
        if _is_recordings(X):
            recordings = list(X)
            ws = velocity_windows(recordings, self.window_spec(), persons_of(recordings, y),
                                  velocity_unit=self.velocity_unit)
            self.sampling_rate_ = float(np.median([r.sampling_rate for r in recordings]))
            self.velocity_unit_ = ws.velocity_unit
            self.channels_ = list(ws.channels)
            windows, persons = ws.X, ws.y
        elif isinstance(X, WindowSet):
            windows, persons = X.X, (X.y if y is None else np.asarray(y))
            self.velocity_unit_ = X.velocity_unit
            self.channels_ = list(X.channels)
        else:
            windows, persons = np.asarray(X), None if y is None else np.asarray(y)
        if persons is None:
            raise InputError("fit needs the person of every recording or window (y)")
        windows = np.asarray(windows, dtype=np.float32)
        persons = np.asarray(persons, dtype=object).astype(str)
        if windows.ndim != 3:
            raise InputError(f"windows must have shape (n, length, channels), got "
                             f"{windows.shape}")
        if len(persons) != len(windows):
            raise InputError(f"{len(persons)} persons for {len(windows)} windows")
        self.classes_, codes = np.unique(persons, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError("training needs windows of at least two persons")
        self.input_shape_ = tuple(int(s) for s in windows.shape[1:])
        return TrainingData(torch.as_tensor(windows), torch.as_tensor(codes, dtype=torch.long),
                            persons, training_summary(windows, persons, persons))

    def _prepare_training(self, data: TrainingData, train: np.ndarray) -> TrainingData:
        start = self._starting_point()
        self._start_weights = None if start is None else start.network_.state_dict()
        # a pre-trained encoder keeps the input scale it learned on
        self.x_mean_, self.x_scale_ = (start.x_mean_, start.x_scale_) if start is not None \
            else standardization(data.inputs.numpy()[train])
        data.inputs = torch.as_tensor(self._standardize(data.inputs.numpy()))
        return data

    def _encoder(self) -> torch.nn.Module:
        return encoder(self.architecture, self.input_shape_, self.embedding_dim,
                       **(self.architecture_options or {}))

    def _build_network(self) -> torch.nn.Module:
        """The training network: the encoder (from ``init_from`` when given), normalised for the
        triplet loss or with a person classifier for the softmax baseline."""
        enc = self._encoder()
        weights = vars(self).pop("_start_weights", None)
        if weights is not None:
            enc.load_state_dict(weights)
        return EmbeddingNet(enc) if self.loss == "triplet" else SoftmaxNet(enc, len(self.classes_))

    def _loss(self, data: TrainingData, train: np.ndarray) -> Any:
        if self.loss == "triplet":
            return TripletLoss(self.margin, self.mining)
        return torch.nn.CrossEntropyLoss()

    def _batch_sampler(self, data: TrainingData, train: np.ndarray) -> Any:
        if self.loss != "triplet":
            return None
        return PersonBatchSampler(data.targets.numpy()[train], self.persons_per_batch,
                                  self.windows_per_person, seed=self.seed)

    def _callbacks(self, monitor: str) -> list[cb.Callback]:
        # no validation set and no best checkpoint: the last epoch of the cosine decay is the model
        return [cb.LRSchedule("cosine", monitor="loss")]

    def _after_fit(self, data: TrainingData) -> None:
        self.network_ = self.network_.encoder  # the embedding; a softmax head is not needed

    def _starting_point(self) -> EyeMovementEmbedder | None:
        """The embedder named by ``init_from``, checked to fit this one, or None."""
        if self.init_from is None:
            return None
        from gazelearn.learn.modelfile import load_model

        start = load_model(self.init_from)
        if not isinstance(start, EyeMovementEmbedder):
            raise InputError(f"is a {type(start).__name__}, not an eye-movement embedder",
                             source=self.init_from)
        mine = (self.architecture, self.input_shape_, self.embedding_dim,
                self.architecture_options or {})
        theirs = (start.architecture, tuple(start.input_shape_), start.embedding_dim,
                  start.architecture_options or {})
        if mine != theirs:
            raise InputError(f"cannot start from it: it has architecture, window shape, "
                             f"embedding size and options {theirs}, this model {mine}",
                             source=self.init_from)
        return start

    def _standardize(self, windows: np.ndarray) -> np.ndarray:
        out = (np.asarray(windows, dtype=np.float32) - self.x_mean_[None]) / self.x_scale_[None]
        return np.nan_to_num(out, nan=0.0).astype(np.float32, copy=False)

    # ------------------------------------------------------------------ embeddings
    def transform(self, X: Any) -> np.ndarray:
        """Unit-length embedding of every window, ``(n, embedding_dim)``.

        ``X`` is a WindowSet, an array of windows, or recordings (cut into windows first; the
        rows then follow the windows of :meth:`windows`).
        """
        check_is_fitted(self, "network_")
        if _is_recordings(X):
            X = self.windows(X)
        windows = np.asarray(X.X if isinstance(X, WindowSet) else X, dtype=np.float32)
        if windows.shape[1:] != self.input_shape_:
            raise InputError(f"the model takes windows of shape {self.input_shape_}, got "
                             f"{windows.shape[1:]}")
        raw = self._network_outputs(torch.as_tensor(self._standardize(windows)), batch_size=512)
        return normalize_rows(raw.double().numpy())

    def onnx_spec(self) -> OnnxSpec:
        """What :func:`gazelearn.nn.onnx_export.export_onnx` writes: windows to unit-length
        embeddings, as :meth:`transform`."""
        check_is_fitted(self, "network_")
        module = _EmbeddingInference(self.network_.cpu().eval(),
                                     Standardize(self.x_mean_, self.x_scale_)).eval()
        spec = self.window_spec()
        channels = getattr(self, "channels_", None) or ["channel"] * self.input_shape_[1]
        unit = self.velocity_unit_ or "units/s"
        scale = "sign(v) * log(1 + |v|) of " if spec.log_scale else ""
        inputs = (OnnxTensor("windows", ("batch", *self.input_shape_),
                             f"windows of {spec.length_s:g} s at {self.sampling_rate_} Hz, "
                             f"channels {', '.join(channels)}: {scale}velocities in {unit} "
                             f"clipped to +-{spec.clip:g}, valid 1 or 0"),)
        output = OnnxTensor("embedding", ("batch", self.embedding_dim),
                            "unit-length embedding of each window; a recording's is the "
                            "normalised mean of its windows' (compare by cosine similarity)")
        return OnnxSpec(module, inputs, (output,), {
            "sampling_rate": self.sampling_rate_, "velocity_unit": self.velocity_unit_,
            "channels": list(channels), "window": spec.to_dict(),
            "velocity": "Savitzky-Golay derivative, order 2, 20-ms window "
                        "(gazelearn.preprocess.velocity)",
            "training_persons": [str(p) for p in self.classes_]})

    def embed_recordings(self, recordings: Sequence[Recording]) -> np.ndarray:
        """One unit vector per recording: the normalised mean of its window embeddings."""
        recordings = list(recordings)
        ws = self.windows(recordings)
        return mean_embeddings(self.transform(ws), ws.recording, len(recordings))

    # ------------------------------------------------------------------ model files
    def __gazelearn_restore__(self, state: dict[str, Any]) -> None:
        if "encoder_" in state:  # files written before the port to TorchEstimator
            state["network_"] = state.pop("encoder_")
        # the stored network is the encoder alone (see _after_fit), not the training network
        restore_network_state(self, state, self._encoder, network="network_",
                              tuples=self._tuple_attributes)
