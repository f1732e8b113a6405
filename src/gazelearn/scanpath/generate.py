"""A stochastic scanpath generator: an LSTM with a mixture-density output over the next fixation.

Why fixations, not samples: at 50-60 Hz most consecutive samples are a few pixels apart, so a
sample-level model mostly learns "stay where you are" (see :mod:`gazelearn.scanpath.nextpoint`:
the trivial last-point guess is hard to beat). Where people look next and for how long is a
fixation-level question. The generator reads the fixations so far (centre in stimulus-relative
coordinates, log duration) and outputs a Gaussian mixture (``components`` diagonal Gaussians,
Bishop 1994; Graves 2013) over the next fixation's ``(x / width, y / height, log duration)``.
Sampling draws fixations one by one from the mixture; the time between fixations (saccade gaps)
is drawn from the training gaps, and :func:`gazelearn.scanpath.fixseq.render_fixations` turns the
sequence into gaze samples at the training sampling rate with the training data's fixation
jitter. Fixations come from I-DT in stimulus pixels (:mod:`gazelearn.scanpath.fixseq`).

Training runs through gazelearn's one fit skeleton
(:class:`gazelearn.learn.torch_estimator.TorchEstimator`) with the mixture negative
log-likelihood (:func:`mixture_nll`), a validation set of whole recordings, the best checkpoint
and early stopping. Model files (:func:`gazelearn.learn.save_model`) store the network, the
stimulus size and path, the sampling rate, and the empirical gaps and lengths.

Examples
--------
>>> import numpy as np
>>> from gazelearn.scanpath.fixseq import render_fixations
>>> rng = np.random.default_rng(0)
>>> recs = [render_fixations(rng.uniform(100, 700, 6), rng.uniform(100, 500, 6),
...                          rng.uniform(0.2, 0.4, 6), np.full(5, 0.04), 50.0, 80, 2.0,
...                          (800, 600), rng) for _ in range(8)]
>>> gen = ScanpathGenerator(extent=(800, 600), epochs=3, hidden=8, num_threads=1).fit(recs)
>>> fake = gen.sample(3, length=60, seed=1)
>>> [len(r) for r in fake], bool(all((r.x >= 0).all() and (r.x < 800).all() for r in fake))
([60, 60, 60], True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gazelearn.errors import InputError
from gazelearn.learn.registry import register_class
from gazelearn.learn.torch_estimator import TorchEstimator, TrainingData
from gazelearn.nn.onnx_export import OnnxSpec, OnnxTensor
from gazelearn.recording import Metadata, Recording
from gazelearn.scanpath.fixseq import (
    DEFAULT_DISPERSION_PX,
    DEFAULT_MIN_FIXATION_S,
    check_extent,
    fixation_sequences,
    render_fixations,
)

#: Dimensions the mixture models: x / width, y / height, standardised log duration.
DIMS = 3
_LOG_2PI = math.log(2.0 * math.pi)
_MAX_GAPS = 2000
#: Fewer training recordings with fixations than this: no validation set (too few to spare).
_MIN_FOR_VALIDATION = 5


def mixture_nll(logits: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of ``target`` under a mixture of diagonal Gaussians.

    Shapes: ``logits (..., K)``, ``mu`` and ``log_sigma (..., K, D)``, ``target (..., D)``;
    returns ``(...)``.

    Examples
    --------
    >>> t = torch.tensor
    >>> round(float(mixture_nll(t([0.0]), t([[0.0]]), t([[0.0]]), t([1.0]))), 4)  # N(1; 0, 1)
    1.4189
    """
    z = (target.unsqueeze(-2) - mu) * torch.exp(-log_sigma)
    log_normal = (-0.5 * z * z - log_sigma - 0.5 * _LOG_2PI).sum(-1)
    return -torch.logsumexp(torch.log_softmax(logits, dim=-1) + log_normal, dim=-1)


class MixtureDensityLSTM(nn.Module):
    """LSTM over fixation tokens -> mixture parameters of the next fixation.

    Input ``(n, steps, DIMS + 1)``: the previous fixation (zeros at the start) and a start flag.
    Output ``(n, steps, K * (1 + 2 * DIMS))``: logits, means and log standard deviations.
    """

    def __init__(self, hidden: int = 64, components: int = 5, layers: int = 1) -> None:
        super().__init__()
        self.components = components
        self.rnn = nn.LSTM(DIMS + 1, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, components * (1 + 2 * DIMS))

    def forward(self, x: torch.Tensor, state=None) -> torch.Tensor:
        out, _ = self.rnn(x, state)
        return self.head(out)

    def step(self, x: torch.Tensor, state=None):
        """One step for sampling: ``(params (n, K * 7), new state)``."""
        out, state = self.rnn(x[:, None, :], state)
        return self.head(out[:, 0]), state

    def split(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits ``(..., K)``, means and log sigmas ``(..., K, DIMS)`` (sigma >= e^-7)."""
        return split_mixture(params, self.components)


def split_mixture(params: torch.Tensor, components: int
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mixture parameters ``(..., K * (1 + 2 * DIMS))`` -> logits, means, log sigmas."""
    k = components
    logits = params[..., :k]
    rest = params[..., k:].reshape(*params.shape[:-1], k, 2 * DIMS)
    return logits, rest[..., :DIMS], rest[..., DIMS:].clamp(-7.0, 5.0)


class _MixtureInference(nn.Module):
    """Tokens and LSTM state -> mixture weights, means, standard deviations and the new state:
    one call per generated fixation with ``steps`` 1 (or a whole sequence), for ONNX."""

    def __init__(self, net: MixtureDensityLSTM) -> None:
        super().__init__()
        self.net = net

    def forward(self, tokens: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        out, (h, c) = self.net.rnn(tokens, (h, c))
        logits, mu, log_sigma = self.net.split(self.net.head(out))
        return torch.softmax(logits, dim=-1), mu, torch.exp(log_sigma), h, c


def _sequence_loss(components: int):
    def loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        mask = targets[..., DIMS]
        nll = mixture_nll(*split_mixture(outputs, components), targets[..., :DIMS])
        return (nll * mask).sum() / mask.sum().clamp(min=1.0)

    return loss


@register_class
class ScanpathGenerator(TorchEstimator):
    """Fixation-level mixture-density LSTM that samples new scanpaths on one stimulus.

    Parameters
    ----------
    extent : (width_px, height_px), optional
        Stimulus size; default: the ``stimulus`` image's size, else the recordings' screen.
    stimulus : str, optional
        Path of the stimulus image (stored in the model for plots).
    hidden, components, layers : int
        LSTM units, mixture components, LSTM layers.
    epochs, batch_size, lr, patience : training options (patience: early stopping on the
        validation NLL; None trains all epochs).
    validation_fraction : float
        Share of training recordings held out for the best checkpoint (0: none; none either
        with fewer than 5 recordings with fixations).
    dispersion_px, min_fixation_s : float
        I-DT in pixels that finds the training fixations.
    max_fixations : int
        Longest fixation sequence used per recording in training.
    seed : int
    device : str
        ``auto`` (GPU when available), ``cpu`` or ``cuda:N``.
    num_threads : int, optional
    progress : bool, optional
    """

    _training_defaults = {"grad_clip": 1.0}
    _tuple_attributes = ("extent_",)

    def __gazelearn_restore__(self, state: dict[str, Any]) -> None:
        # the sampling draws from these arrays: a model file's must be non-empty finite 1-D
        for name in ("durations_", "gaps_"):
            value = state.get(name)
            if value is not None and (not isinstance(value, np.ndarray) or value.ndim != 1
                                      or not len(value) or not np.isfinite(value).all()):
                raise InputError(f"the stored {name} must be a non-empty 1-D array of finite "
                                 "numbers")
        super().__gazelearn_restore__(state)

    def __init__(self, extent: Sequence[float] | None = None, stimulus: str | None = None,
                 hidden: int = 64, components: int = 5, layers: int = 1, epochs: int = 200,
                 batch_size: int = 16, lr: float = 3e-3, patience: int | None = 30,
                 validation_fraction: float = 0.2,
                 dispersion_px: float = DEFAULT_DISPERSION_PX,
                 min_fixation_s: float = DEFAULT_MIN_FIXATION_S, max_fixations: int = 60,
                 seed: int = 0, device: str = "auto", num_threads: int | None = None,
                 progress: bool | None = None) -> None:
        self.extent = extent
        self.stimulus = stimulus
        self.hidden = hidden
        self.components = components
        self.layers = layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.dispersion_px = dispersion_px
        self.min_fixation_s = min_fixation_s
        self.max_fixations = max_fixations
        self.seed = seed
        self.device = device
        self.num_threads = num_threads
        self.progress = progress

    def _resolve_extent(self, recordings: Sequence[Recording]) -> tuple[float, float]:
        if self.extent is not None:
            return check_extent(self.extent)
        if self.stimulus is not None:
            from PIL import Image, UnidentifiedImageError

            try:
                with Image.open(Path(self.stimulus)) as image:
                    return float(image.width), float(image.height)
            except (OSError, UnidentifiedImageError) as error:
                raise InputError(f"cannot read the stimulus image: {error}",
                                 source=self.stimulus) from None
        screens = {(r.screen.width_px, r.screen.height_px) for r in recordings if r.screen}
        if len(screens) == 1:
            return check_extent(screens.pop())
        raise InputError("the stimulus size is unknown: give the stimulus image (stimulus=PATH) "
                         "or its size (extent=(width_px, height_px))",
                         params=("stimulus", "extent"))

    def _tokens(self, x, y, duration) -> np.ndarray:
        width, height = self.extent_
        log_d = (np.log(np.maximum(duration, 1e-3)) - self.log_duration_mean_) / \
            self.log_duration_scale_
        return np.column_stack([np.asarray(x) / width, np.asarray(y) / height, log_d])

    # ------------------------------------------------------------------ TorchEstimator hooks
    def _training_data(self, X: Any, y: Any, groups: Any) -> TrainingData:
        """``X``: recordings of one stimulus (``y`` unused); ``groups``: one per recording
        (default: each recording its own group), whole groups form the validation set."""
        recordings = list(X)
        if not recordings:
            raise InputError("no training recordings")
        if groups is not None and len(groups) != len(recordings):
            raise InputError(f"groups has {len(groups)} values for {len(recordings)} recordings")
        self.extent_ = self._resolve_extent(recordings)
        found = fixation_sequences(recordings, self.dispersion_px, self.min_fixation_s)
        kept = [i for i, s in enumerate(found) if len(s)]
        sequences = [found[i] for i in kept]
        if len(sequences) < 2:
            raise InputError(f"only {len(sequences)} recording(s) have fixations (I-DT, "
                             f"{self.dispersion_px} px): need at least 2 to learn scanpaths")
        durations = np.concatenate([s.duration for s in sequences])
        self.log_duration_mean_ = float(np.mean(np.log(durations)))
        self.log_duration_scale_ = float(max(np.std(np.log(durations)), 1e-3))
        rng = np.random.default_rng(self.seed)
        gaps = np.concatenate([s.gaps for s in sequences])
        if len(gaps) == 0:
            gaps = np.zeros(1)
        self.gaps_ = rng.choice(gaps, _MAX_GAPS, replace=False) if len(gaps) > _MAX_GAPS \
            else gaps
        self.jitter_px_ = float(np.nanmedian(np.concatenate([s.jitter for s in sequences])))
        self.sampling_rate_ = float(np.median([r.sampling_rate for r in recordings]))
        # durations in seconds, not sample counts: the recordings' rates differ, and a length in
        # samples at the median rate gave generated recordings a telltale duration
        self.durations_ = np.array([float(r.time[-1] - r.time[0]) for r in recordings])
        self.stimulus_ = None if self.stimulus is None else str(self.stimulus)
        steps = min(max(len(s) for s in sequences), int(self.max_fixations))
        X = np.zeros((len(sequences), steps, DIMS + 1), dtype=np.float32)
        Y = np.zeros((len(sequences), steps, DIMS + 1), dtype=np.float32)
        X[:, 0, DIMS] = 1.0  # the start flag
        for i, seq in enumerate(sequences):
            tokens = self._tokens(seq.x, seq.y, seq.duration)[:steps]
            Y[i, :len(tokens), :DIMS] = tokens
            Y[i, :len(tokens), DIMS] = 1.0
            X[i, 1:len(tokens), :DIMS] = tokens[:-1]
        sequence_groups = None
        if len(sequences) >= _MIN_FOR_VALIDATION:
            sequence_groups = np.asarray(kept) if groups is None else np.asarray(groups)[kept]
        return TrainingData(torch.as_tensor(X), torch.as_tensor(Y), sequence_groups,
                            {"recordings": len(recordings),
                             "recordings_with_fixations": len(sequences),
                             "fixations": int(len(durations))})

    def _build_network(self) -> MixtureDensityLSTM:
        return MixtureDensityLSTM(self.hidden, self.components, self.layers)

    def _loss(self, data: TrainingData, train: np.ndarray) -> Any:
        return _sequence_loss(self.components)

    def _after_fit(self, data: TrainingData) -> None:
        self.training_summary_["validation_recordings"] = self.n_validation_

    def nll(self, recordings: Sequence[Recording]) -> float:
        """Mean negative log-likelihood per fixation of ``recordings`` (lower is better)."""
        self._check_fitted()
        total, count = 0.0, 0
        for seq in fixation_sequences(recordings, self.dispersion_px, self.min_fixation_s):
            if not len(seq):
                continue
            tokens = self._tokens(seq.x, seq.y, seq.duration).astype(np.float32)
            inputs = np.zeros((1, len(tokens), DIMS + 1), dtype=np.float32)
            inputs[0, 0, DIMS] = 1.0
            inputs[0, 1:, :DIMS] = tokens[:-1]
            with torch.no_grad():
                params = self.network_(torch.as_tensor(inputs))[0]
                nll = mixture_nll(*self.network_.split(params), torch.as_tensor(tokens))
            total += float(nll.sum())
            count += len(tokens)
        if count == 0:
            raise InputError("no fixations in the recordings to score")
        return total / count

    def onnx_spec(self) -> OnnxSpec:
        """What :func:`gazelearn.nn.onnx_export.export_onnx` writes: the LSTM's step from the
        previous fixation token and state to the mixture over the next fixation (the metadata
        holds what :meth:`sample` draws with: extent, duration scale, gaps, jitter, rate)."""
        self._check_fitted()
        k, layers, hidden = self.components, self.layers, self.hidden
        token = ("the previous fixation (x / width, y / height, (log duration in s - "
                 "log_duration_mean) / log_duration_scale) and a start flag; the first token "
                 "is 0, 0, 0, 1")
        state = "LSTM state (zeros at the start; the outputs h, c feed the next call)"
        inputs = (OnnxTensor("tokens", ("batch", "steps", DIMS + 1), token),
                  OnnxTensor("h", (layers, "batch", hidden), state),
                  OnnxTensor("c", (layers, "batch", hidden), state))
        outputs = (OnnxTensor("weights", ("batch", "steps", k), "mixture weights (sum 1)"),
                   OnnxTensor("means", ("batch", "steps", k, DIMS),
                              "component means of the next token's first 3 values"),
                   OnnxTensor("sigmas", ("batch", "steps", k, DIMS),
                              "component standard deviations (diagonal Gaussians)"),
                   OnnxTensor("h_out", (layers, "batch", hidden), "the new state h"),
                   OnnxTensor("c_out", (layers, "batch", hidden), "the new state c"))
        return OnnxSpec(_MixtureInference(self.network_.cpu().eval()).eval(), inputs, outputs, {
            "extent_px": list(self.extent_), "log_duration_mean": self.log_duration_mean_,
            "log_duration_scale": self.log_duration_scale_,
            "sampling_rate": self.sampling_rate_, "jitter_px": self.jitter_px_,
            "gaps_s": self.gaps_, "durations_s": self.durations_, "stimulus": self.stimulus_,
            "sampling": "per step: pick a component by weight, draw means + sigmas * N(0, 1), "
                        "clip x and y to [0, 1), duration exp(value * scale + mean) s; a "
                        "saccade gap drawn from gaps_s follows each fixation"},
            {"batch": (2, 3), "steps": (4, 1)})

    # ------------------------------------------------------------------ sampling
    def _check_fitted(self) -> None:
        check_is_fitted(self, msg="the scanpath generator is not trained: call fit or load a "
                                  "model")

    def sample(self, n: int = 10, length: int | None = None, seed: int = 0
               ) -> list[Recording]:
        """``n`` new scanpaths as Recordings (time s, x, y px in the stimulus's coordinates).

        Parameters
        ----------
        n : int
            Number of recordings.
        length : int, optional
            Samples per recording; default: each draws the duration of a training recording.
        seed : int
            Same seed, same scanpaths.
        """
        self._check_fitted()
        if int(n) != n or n < 1:
            raise InputError(f"n must be a positive whole number, got {n}")
        if length is not None and (int(length) != length or length < 1):
            raise InputError(f"length must be a positive number of samples, got {length}")
        rng = np.random.default_rng(seed)
        n = int(n)
        lengths = np.full(n, int(length)) if length is not None else np.round(
            rng.choice(self.durations_, size=n) * self.sampling_rate_).astype(np.int64) + 1
        need = lengths / self.sampling_rate_
        fixations = self._sample_fixations(n, need, rng)
        stimulus = Path(self.stimulus_).name if self.stimulus_ else None
        out = []
        for i, (x, y, d, gaps) in enumerate(fixations):
            meta = Metadata(source="generated", format="generated", stimulus=stimulus,
                            trial=f"generated_{seed}_{i:03d}",
                            extra={"generator": "ScanpathGenerator", "seed": int(seed)})
            out.append(render_fixations(x, y, d, gaps, self.sampling_rate_, int(lengths[i]),
                                        self.jitter_px_, self.extent_, rng, meta))
        return out

    def _sample_fixations(self, n: int, need: np.ndarray, rng: np.random.Generator
                          ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        width, height = self.extent_
        token = np.zeros((n, DIMS + 1), dtype=np.float32)
        token[:, DIMS] = 1.0
        state = None
        elapsed = np.zeros(n)
        rows: list[list[tuple[float, float, float, float]]] = [[] for _ in range(n)]
        longest = 1.0 / self.sampling_rate_
        for _ in range(10_000):  # a bound: each step adds at least one sample of time
            with torch.no_grad():
                params, state = self.network_.step(torch.as_tensor(token), state)
                logits, mu, log_sigma = (v.numpy().astype(np.float64)
                                         for v in self.network_.split(params))
            weights = np.exp(logits - logits.max(axis=1, keepdims=True))
            weights /= weights.sum(axis=1, keepdims=True)
            component = (rng.random((n, 1)) > np.cumsum(weights, axis=1)).sum(axis=1)
            component = np.minimum(component, weights.shape[1] - 1)
            pick = np.arange(n)
            draw = mu[pick, component] + np.exp(log_sigma[pick, component]) * \
                rng.standard_normal((n, DIMS))
            draw[:, 0] = np.clip(draw[:, 0], 0.0, 1.0 - 1e-6)
            draw[:, 1] = np.clip(draw[:, 1], 0.0, 1.0 - 1e-6)
            log_d = draw[:, 2] * self.log_duration_scale_ + self.log_duration_mean_
            duration = np.clip(np.exp(log_d), longest, 10.0)
            gap = rng.choice(self.gaps_, size=n)
            for i in np.flatnonzero(elapsed < need):
                rows[i].append((draw[i, 0] * width, draw[i, 1] * height, duration[i], gap[i]))
            elapsed += duration + gap
            if (elapsed >= need).all():
                break
            token = np.zeros((n, DIMS + 1), dtype=np.float32)
            token[:, :DIMS] = draw
            token[:, 2] = (np.log(duration) - self.log_duration_mean_) / self.log_duration_scale_
        out = []
        for row in rows:
            x, y, d, g = (np.array(v) for v in zip(*row, strict=True))
            # the last fixation is held to the end of the recording
            d[-1] = max(d[-1], need.max() + 1.0)
            out.append((x, y, d, g[:-1]))
        return out
