"""The deep detector's inference without torch: features, ONNX Runtime on contiguous chunks.

:class:`~gazelearn.detection.deep.DeepDetector` trains in PyTorch; prediction runs here, in
ONNX Runtime, for the detector object (its network exported once, at first use) and for
``gazelearn events detect --method deep`` (:func:`load_runner`: the model file's ONNX graph,
written beside it by ``DeepDetector.save`` or cached at first use), which so starts without
importing torch or scikit-learn (about 2.4 s of CPU together).

The network labels every sample from features that do not depend on the tracker or the
screen: the recording is resampled to the model's rate, gaze converted to degrees (exact atan
form), and the inputs are

* ``velocity`` (the original feature set): ``asinh(v/30)`` of the horizontal and vertical
  velocity and of the speed in deg/s, plus a validity flag;
* ``context`` (Startsev, Agtzidis & Dorr 2019's multi-scale features, added for fixation vs
  pursuit): those four, plus at 50, 100, 200 and 400 ms (centred windows) the mean speed of the
  displacement across the window, the direction consistency (displacement over path length:
  near 1 for pursuit, near 0 for a fixation's noise) and the dispersion of the positions.

Examples
--------
>>> from gazelearn.simulate import simulate_recording
>>> rec = simulate_recording(2.0, 500.0, seed=1)
>>> features, _ = detector_features(rec, 500.0, "context")
>>> features.shape, features.dtype.name
((1000, 16), 'float32')
>>> chunk_plan(100_000, core=30_000, margin=200)
(array([    0, 30000, 60000, 69600]), 30400)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gazelearn.errors import InputError
from gazelearn.labels import LABELS, Label
from gazelearn.preprocess import resample, velocity
from gazelearn.recording import Recording

#: Where the default model ships inside the package (its ONNX graph beside it).
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "deep_detector.safetensors"
CLASSES = ("fixation", "saccade", "pso", "pursuit", "blink")
_SPEED_SCALE = 30.0  # deg/s; asinh(v / 30) is linear for drift, logarithmic for saccades
#: Context window lengths (s) of the ``context`` features (Startsev et al. 2019 use 4-5 scales
#: between a few tens of ms and about half a second).
CONTEXT_SCALES_S = (0.05, 0.1, 0.2, 0.4)
FEATURE_SETS = {"velocity": 4, "context": 4 + 3 * len(CONTEXT_SCALES_S)}
#: The lowest input rate that gives correct events: below it a saccade (20-80 ms) spans one or
#: two samples and velocity filtering smears it over its neighbours.
MIN_RATE_HZ = 20.0
#: The Savitzky-Golay window (s) of the velocity features (the models were trained with it).
VELOCITY_WINDOW_S = 0.02


def feature_names(features: str) -> list[str]:
    """The input channels of a feature set, by name, in their order (see the module notes).

    Examples
    --------
    >>> feature_names("velocity")
    ['asinh(vx/30)', 'asinh(vy/30)', 'asinh(speed/30)', 'valid']
    >>> len(feature_names("context")), feature_names("context")[4]
    (16, 'asinh(displacement/T/3)@50ms')
    """
    names = ["asinh(vx/30)", "asinh(vy/30)", "asinh(speed/30)", "valid"]
    if n_features(features) > len(names):
        names += [f"{what}@{scale * 1000:g}ms" for scale in CONTEXT_SCALES_S
                  for what in ("asinh(displacement/T/3)", "displacement/path",
                               "asinh(dispersion/0.5)")]
    return names


def n_features(features: str) -> int:
    """The number of input channels of a feature set (``velocity`` or ``context``)."""
    if features not in FEATURE_SETS:
        raise InputError(f"unknown feature set {features!r}; expected one of "
                         f"{', '.join(FEATURE_SETS)}")
    return FEATURE_SETS[features]


def _filled(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``values`` with the lost samples interpolated linearly (held at the ends)."""
    if valid.all():
        return values
    index = np.flatnonzero(valid)
    if len(index) == 0:
        return np.zeros_like(values)
    # interpolated at the lost samples only (at its knots interp gives the values themselves)
    filled = values.copy()
    lost = np.flatnonzero(~valid)
    filled[lost] = np.interp(lost, index, values[index])
    return filled


#: Samples per block of the feature computation: every temporary is a block long (a few
#: hundred kB, in cache), not the recording long (an hour at 500 Hz: 14 MB per temporary, whose
#: fresh pages cost more than the arithmetic, mostly as system time).
FEATURE_BLOCK = 1 << 15


def _norm(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """``sqrt(dx**2 + dy**2)``: numpy's ``hypot`` guards against overflow at 3-5x the cost,
    and angles in degrees never come near it."""
    return np.sqrt(dx * dx + dy * dy)


def _asinh32(values: np.ndarray) -> np.ndarray:
    """``asinh`` in float32 (the features' type; numpy's float32 asinh is 3x faster)."""
    return np.arcsinh(values.astype(np.float32))


def context_features(x_deg: np.ndarray, y_deg: np.ndarray, valid: np.ndarray, rate: float,
                     scales_s: tuple[float, ...] = CONTEXT_SCALES_S,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Multi-scale displacement, direction consistency and dispersion, ``(n, 3 * scales)``.

    For each centred window of ``scale`` seconds (``2h + 1`` samples): ``asinh(d / T / 3)``
    of the displacement ``d`` (deg) between the window's ends over its duration ``T = 2h /
    rate`` (a mean speed that averages a fixation's noise away but keeps a pursuit's motion),
    ``d`` over the path length (1 for motion in one direction), and ``asinh(s / 0.5)`` of the
    positions' standard deviation ``s`` (deg). Lost samples are interpolated first (their
    validity is a channel of its own); beyond the ends the signal is held at its end value,
    and a window cut at an end has the duration and sample count of the samples it holds.
    ``out``: a float32 array of that shape to write into (e.g. columns of a larger one).

    Computed in blocks of :data:`FEATURE_BLOCK` samples, each window a pair of slices of the
    block's edge-padded signal and of its cumulative sums (no per-window loop; sums over
    ``[a, b]`` are ``c[b + 1] - c[a]``); positions and sums in float64, relative to the
    block's first sample (no cancellation of large sums), the compressing ``asinh`` in float32.

    Examples
    --------
    >>> t = np.arange(1000) / 500.0
    >>> pursuit = context_features(10.0 * t, 0.0 * t, np.ones(1000, bool), 500.0)
    >>> fixation = context_features(np.random.default_rng(0).normal(0, 0.02, 1000),
    ...                             np.zeros(1000), np.ones(1000, bool), 500.0)
    >>> round(float(np.sinh(pursuit[500, 0]) * 3), 3)  # 10 deg/s at 50 ms
    10.0
    >>> bool(pursuit[500, 1] > 0.99 and fixation[500, 1] < 0.2)
    True
    """
    x = _filled(np.asarray(x_deg, dtype=np.float64), valid)
    y = _filled(np.asarray(y_deg, dtype=np.float64), valid)
    n = len(x)
    halves = [max(1, int(round(scale * rate / 2))) for scale in scales_s]
    pad = max(halves)
    if out is None:
        out = np.empty((n, 3 * len(scales_s)), dtype=np.float32)
    for start in range(0, n, FEATURE_BLOCK):
        stop = min(start + FEATURE_BLOCK, n)
        m = stop - start
        # the block with `pad` samples each side, held at the signal's ends
        lo_src, hi_src = max(start - pad, 0), min(stop + pad, n)
        held = (pad - (start - lo_src), pad - (hi_src - stop))
        xs, ys = x[lo_src:hi_src] - x[start], y[lo_src:hi_src] - y[start]
        if held != (0, 0):
            xs, ys = np.pad(xs, held, mode="edge"), np.pad(ys, held, mode="edge")
        path = np.zeros(len(xs))  # path[j]: length of the path xs[0] .. xs[j]
        np.cumsum(_norm(np.diff(xs), np.diff(ys)), out=path[1:])
        cum_x, cum_y, cum_sq = (np.zeros(len(xs) + 1) for _ in range(3))
        np.cumsum(xs, out=cum_x[1:])
        np.cumsum(ys, out=cum_y[1:])
        np.cumsum(xs * xs + ys * ys, out=cum_sq[1:])
        for k, half in enumerate(halves):
            lo, hi = slice(pad - half, pad - half + m), slice(pad + half, pad + half + m)
            if start >= half and stop + half <= n:  # every window inside the signal
                a, b = lo, slice(pad + half + 1, pad + half + 1 + m)
                count, duration = 2.0 * half + 1.0, 2.0 * half / rate
            else:
                # near the ends a window is cut at the signal's edge: its duration and
                # sample count are those of the samples it holds (the held end values add
                # no displacement or path); a and b index the cut window's first sample and
                # the one after its last in the padded block
                index = np.arange(start, stop)
                first, last = np.maximum(index - half, 0), np.minimum(index + half, n - 1)
                count = (last - first + 1).astype(np.float64)
                duration = np.maximum(last - first, 1) / rate
                a, b = first - start + pad, last - start + pad + 1
            displacement = _norm(xs[hi] - xs[lo], ys[hi] - ys[lo])
            block = out[start:stop]
            block[:, 3 * k] = _asinh32(displacement / duration / 3.0)
            block[:, 3 * k + 1] = displacement / np.maximum(path[hi] - path[lo], 1e-9)
            mean_x = (cum_x[b] - cum_x[a]) / count
            mean_y = (cum_y[b] - cum_y[a]) / count
            variance = (cum_sq[b] - cum_sq[a]) / count - mean_x * mean_x - mean_y * mean_y
            block[:, 3 * k + 2] = _asinh32(np.sqrt(np.maximum(variance, 0.0)) / 0.5)
    return out


def detector_features(recording: Recording, rate: float, features: str = "velocity"
                      ) -> tuple[np.ndarray, Recording]:
    """Rate- and screen-independent input features of a recording at ``rate`` Hz.

    Returns the ``(n, channels)`` float32 features (see the module notes) and the resampled
    recording they belong to.
    """
    out, resampled, _ = _features_and_speed(recording, rate, features)
    return out, resampled


def _features_and_speed(recording: Recording, rate: float, features: str
                        ) -> tuple[np.ndarray, Recording, np.ndarray | None]:
    """:func:`detector_features`, and ``speed_deg(recording)`` when it is a by-product: the
    recording not resampled and measured at exactly ``rate`` (its events' peak velocities then
    need no second velocity filter); else None."""
    channels = n_features(features)
    recording.require_screen("the deep detector")
    if len(recording) < 2:
        raise InputError(f"the deep detector needs at least 2 samples, got {len(recording)}",
                         source=recording.meta.source)
    source_rate = recording.sampling_rate
    if not source_rate >= MIN_RATE_HZ:
        raise InputError(f"the deep detector needs gaze sampled at {MIN_RATE_HZ:g} Hz or more, "
                         f"got {source_rate:.3g} Hz", source=recording.meta.source)
    timing_regular = abs(source_rate - rate) / rate < 0.01 and recording.timing().regular
    resampled = recording if timing_regular else resample(recording, rate)
    x_deg, y_deg = resampled.position_deg()
    vx_raw, vy_raw = velocity(x_deg, y_deg, rate, VELOCITY_WINDOW_S)
    vx, vy = vx_raw, vy_raw
    valid = np.isfinite(vx) & np.isfinite(vy)
    out = np.empty((len(vx), channels), dtype=np.float32)
    # written block by block into one float32 array: no recording-long temporaries
    for start in range(0, len(vx), FEATURE_BLOCK):
        part = slice(start, start + FEATURE_BLOCK)
        ok = valid[part]
        bx, by = np.where(ok, vx[part], 0.0), np.where(ok, vy[part], 0.0)
        block = out[part]
        block[:, 0] = _asinh32(bx / _SPEED_SCALE)
        block[:, 1] = _asinh32(by / _SPEED_SCALE)
        block[:, 2] = _asinh32(_norm(bx, by) / _SPEED_SCALE)
        block[:, 3] = ok
    if features == "context":
        context_features(x_deg, y_deg, valid, rate, out=out[:, 4:])
    # speed_deg's velocity filter is this one when the rates are the same number
    same = resampled is recording and source_rate == rate
    return out, resampled, np.hypot(vx_raw, vy_raw) if same else None


# ---------------------------------------------------------------------- chunks
def chunk_plan(n: int, core: int, margin: int) -> tuple[np.ndarray, int]:
    """Starts and length of the overlapping chunks that cover ``n`` samples.

    Every chunk is ``core + 2 * margin`` long (one chunk of ``n`` when that is longer than
    the signal); consecutive chunks overlap by ``2 * margin`` and the last one ends at the
    last sample, so every sample lies at least ``margin`` from the edge of some chunk (or at
    the signal's own edge).
    """
    length = core + 2 * margin
    if n <= length:
        return np.zeros(1, dtype=np.int64), n
    starts = np.arange(0, n - length, core, dtype=np.int64)
    return np.append(starts, n - length), length


def stitch(chunk_scores: Iterable[np.ndarray], starts: np.ndarray, n: int, margin: int
           ) -> np.ndarray:
    """One score row per sample from overlapping chunks: each chunk gives its centre.

    ``chunk_scores`` is any iterable of ``(length, classes)`` arrays, one per start (an array
    of them, or a generator that runs the network chunk by chunk: then only one chunk's scores
    exist at a time).

    Examples
    --------
    >>> chunks = np.arange(2 * 6).reshape(2, 6, 1).astype(np.float32)
    >>> stitch(chunks, np.array([0, 4]), 10, margin=1)[:, 0].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    """
    result = None
    for chunk, start in zip(chunk_scores, starts, strict=True):
        length = len(chunk)
        if result is None:
            result = np.empty((n, chunk.shape[1]), dtype=np.float32)
        lo = 0 if start == 0 else margin
        hi = length if start + length >= n else length - margin
        result[start + lo:start + hi] = chunk[lo:hi]
    return result


def receptive_half_width(architecture: str, depth: int) -> int | None:
    """Samples of context on each side that a TCN output depends on (None: unbounded, GRU).

    The stem's 5-tap convolution sees 2 samples each side and each residual layer ``i`` (3
    taps, dilation ``2**i``) ``2**i`` more.

    Examples
    --------
    >>> receptive_half_width("tcn", 7), receptive_half_width("tcn", 9)
    (129, 513)
    """
    if architecture != "tcn":
        return None
    return 2 + sum(2 ** i for i in range(depth))


# ---------------------------------------------------------------------- labels
def labels_from_scores(scores: np.ndarray, recording: Recording, *, postprocess: Any = True,
                       stimulus: str | None = "auto", model_rate: float | None = None
                       ) -> np.ndarray:
    """Label codes from per-sample class scores (logits or probabilities) of ``CLASSES``.

    The prediction step of the deep detector, in both of its paths (``DeepDetector.predict``
    and :class:`DeepRunner`): on a static stimulus pursuit's score is left out of the
    arg-max (the best possible class is taken, not relabelled afterwards); at input rates
    below the model's (``model_rate``) no saccade of one sample (it would have no amplitude:
    a 30 Hz webcam shows a saccade as one jump between two samples, so both ends of the jump
    are the saccade); lost samples by the rule every detector shares (50-500 ms of loss a blink,
    other losses undefined); then ``postprocess`` and ``stimulus`` as for every detector
    (:func:`gazelearn.detection.postprocess.postprocess_labels`).
    """
    from gazelearn.detection.postprocess import (
        label_lost_samples,
        postprocess_labels,
        resolve_stimulus,
    )

    if resolve_stimulus(recording, stimulus) == "static":
        scores = scores.copy()
        scores[:, CLASSES.index("pursuit")] = -np.inf
    codes = np.array([LABELS.index(name) for name in CLASSES], dtype=np.int8)
    labels = codes[scores.argmax(axis=1)]
    if model_rate is not None and recording.sampling_rate < 0.75 * model_rate:
        labels = _saccades_span_their_jump(labels, recording)
    # lost samples follow the shared rule, as for every detector
    lost_labels = label_lost_samples(labels, recording.valid, recording.sampling_rate)
    labels = np.where(recording.valid, labels, lost_labels).astype(np.int8)
    return postprocess_labels(labels, recording, postprocess=postprocess, stimulus=stimulus)


def _saccades_span_their_jump(labels: np.ndarray, recording: Recording) -> np.ndarray:
    """One-sample saccades grow to the neighbour across the larger jump (amplitude > 0)."""
    from gazelearn.events import label_runs

    starts, stops, run_codes = label_runs(labels)
    single = np.flatnonzero((run_codes == Label.SACCADE) & (stops - starts == 1))
    if len(single) == 0:
        return labels
    labels = labels.copy()
    x, y, n = recording.x, recording.y, len(labels)
    for i in starts[single]:
        before = np.hypot(x[i] - x[i - 1], y[i] - y[i - 1]) if i > 0 else -1.0
        after = np.hypot(x[i + 1] - x[i], y[i + 1] - y[i]) if i + 1 < n else -1.0
        before, after = np.nan_to_num(before, nan=-1.0), np.nan_to_num(after, nan=-1.0)
        if max(before, after) > 0:
            labels[i - 1 if before >= after else i + 1] = Label.SACCADE
    return labels


def to_original_times(values: np.ndarray, resampled: Recording, original: Recording
                      ) -> np.ndarray:
    """Rows of ``values`` (one per resampled sample) at the original samples' times."""
    if resampled is original:
        return values
    index = np.searchsorted(resampled.time, original.time)
    index = np.clip(index, 1, len(resampled.time) - 1)
    before = resampled.time[index - 1]
    nearer = np.where(original.time - before <= resampled.time[index] - original.time,
                      index - 1, index)
    return values[nearer]


# ---------------------------------------------------------------------- ONNX Runtime
#: Chunk core length in seconds. One chunk per run: 16-48-s chunks ran fastest on this CPU
#: with the 2-D form of the graph (1.3-1.4 s of CPU for one hour at 500 Hz; 8-s chunks 1.5-1.7
#: s, 64-s chunks 1.5 s: the activations fall out of cache), and the margins of a 2-s field
#: cost 6 % of 32 s.
CHUNK_S = 32.0
#: Chunks per ONNX Runtime call (:attr:`DeepRunner.batch`'s default). Chunks are of one length
#: (:func:`chunk_plan`), so any number of them is one ``(batch, time, features)`` input and the
#: scores are those of one chunk per call (to float rounding, ~1e-6). One is the fastest
#: measured: batches of 2, 4 and 8 cost the shipped TCN 0.93 / 1.13 / 1.10 s of CPU per hour of
#: 500 Hz against 0.78, and a tcn-gru 1.13 / 1.38 / 1.57 against 1.01 (one thread; the GRU's
#: steps shared by the batch save less than the convolutions lose when a batch's activations
#: fall out of cache; benchmarks/events_deep_network.py, docs/results.md "Batched chunks").
CHUNK_BATCH = 1


def session_options(num_threads: int | None):
    """ONNX Runtime session options: ``num_threads`` intra-op threads (default: its own)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if num_threads:
        options.intra_op_num_threads = int(num_threads)
        options.inter_op_num_threads = 1
    # idle threads sleep instead of spinning: spinning costs CPU that other work on the
    # machine (and the CPU-time measure of `events detect`) pays for, and gains no speed here
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


@dataclass
class DeepRunner:
    """The deep detector's prediction in ONNX Runtime (no torch): what ``predict`` runs.

    Parameters
    ----------
    onnx : bytes or Path
        The network's ONNX graph (input ``(batch, time, features)``, output class logits).
    sampling_rate : float
        Rate the network works at.
    features : str
        The feature set the network was trained on.
    margin : int
        Samples of context on each side of a chunk (the TCN's receptive half-width).
    num_threads : int, optional
        ONNX Runtime intra-op threads.
    batch : int, optional
        Chunks per ONNX Runtime call (default :data:`CHUNK_BATCH`); each holds
        ``(32 s + 2 margins) x features`` float32 (1.1 MB at 500 Hz with 16 features), and the
        network's activations are ``batch`` times those of one chunk.
    """

    onnx: bytes | Path
    sampling_rate: float
    features: str = "velocity"
    margin: int = 256
    num_threads: int | None = None
    batch: int | None = None
    _session: Any = field(default=None, repr=False, compare=False)

    def session(self):
        """The cached ONNX Runtime session."""
        if self._session is None:
            import onnxruntime as ort

            source = self.onnx if isinstance(self.onnx, bytes) else str(self.onnx)
            self._session = ort.InferenceSession(source, session_options(self.num_threads),
                                                 providers=["CPUExecutionProvider"])
        return self._session

    def __getstate__(self) -> dict:  # a session does not pickle; rebuilt on first use
        return {**self.__dict__, "_session": None}

    def network_scores(self, features: np.ndarray) -> np.ndarray:
        """Logits ``(n, classes)`` of the network over a whole feature sequence."""
        session = self.session()
        core = int(round(CHUNK_S * self.sampling_rate))
        starts, length = chunk_plan(len(features), core, self.margin)
        name = session.get_inputs()[0].name
        features = np.ascontiguousarray(features, dtype=np.float32)
        size = CHUNK_BATCH if self.batch is None else int(self.batch)
        if size < 1:
            raise InputError(f"batch must be 1 or more chunks per run, got {self.batch}")

        def outputs() -> Iterable[np.ndarray]:
            # `size` chunks per run, their scores stitched as they come (no array of every
            # chunk's scores); one chunk is a view of the rows of the C-contiguous float32
            # features (no copy), several are copied into one (size, length, channels) input
            for first in range(0, len(starts), size):
                group = starts[first:first + size]
                inputs = (features[None, group[0]:group[0] + length] if len(group) == 1 else
                          np.stack([features[start:start + length] for start in group]))
                yield from session.run(None, {name: inputs})[0]

        return stitch(outputs(), starts, len(features), self.margin)

    def scores(self, recording: Recording, probabilities: bool = False) -> np.ndarray:
        """Per-sample class logits (or probabilities) at the recording's own samples."""
        return self._scores_and_speed(recording, probabilities)[0]

    def _scores_and_speed(self, recording: Recording, probabilities: bool = False
                          ) -> tuple[np.ndarray, np.ndarray | None]:
        features, resampled, speed = _features_and_speed(recording, self.sampling_rate,
                                                         self.features)
        logits = self.network_scores(features)
        if probabilities:
            logits = np.exp(logits - logits.max(axis=1, keepdims=True))
            logits /= logits.sum(axis=1, keepdims=True)
        return to_original_times(logits, resampled, recording), speed

    def predict(self, recording: Recording, *, postprocess: Any = True,
                stimulus: str | None = "auto") -> np.ndarray:
        """Label codes, one per sample of ``recording`` (options as ``DeepDetector.predict``)."""
        return labels_from_scores(self.scores(recording), recording, postprocess=postprocess,
                                  stimulus=stimulus, model_rate=self.sampling_rate)

    def detect(self, recording: Recording, *, postprocess: Any = True,
               stimulus: str | None = "auto"):
        """The events table of ``recording`` (peak velocities from the features' velocity
        filter when it is ``speed_deg``'s: not computed twice)."""
        from gazelearn.events import EVENTS_WINDOW_S, Events

        scores, speed = self._scores_and_speed(recording)
        labels = labels_from_scores(scores, recording, postprocess=postprocess,
                                    stimulus=stimulus, model_rate=self.sampling_rate)
        if EVENTS_WINDOW_S != VELOCITY_WINDOW_S:  # events measure speed with another filter
            speed = None
        return Events.from_labels(recording, labels, speed=speed)


# ---------------------------------------------------------------------- model files
_CONFIG_KEY = "gazelearn_config"  # learn.modelfile.CONFIG_KEY, read without importing torch
#: The form of the exported graph (metadata ``gazelearn_graph``): graphs of an older form, still
#: beside model files or in the cache, give the same scores more slowly and are exported anew.
#: "conv2d": the TCN's convolutions as 2-D convolutions of height 1 (ONNX Runtime's fast path).
GRAPH_FORMAT = "conv2d"
#: Graph forms of other architectures (:func:`graph_format`): "conv2d-coarse-head", a tcn-gru's
#: output layer split, its GRU part applied at the GRU's coarse rate (``deep._Conv2dForm``).
GRAPH_FORMATS = {"tcn-gru": "conv2d-coarse-head"}


def graph_format(architecture: str) -> str:
    """The form of the exported graph of a network of ``architecture`` (metadata
    ``gazelearn_graph``).

    Examples
    --------
    >>> graph_format("tcn"), graph_format("tcn-gru")
    ('conv2d', 'conv2d-coarse-head')
    """
    return GRAPH_FORMATS.get(architecture, GRAPH_FORMAT)


def onnx_sidecar(model: Path) -> Path:
    """Where ``DeepDetector.save`` writes a model file's ONNX graph: beside it."""
    return model.with_suffix(".onnx")


def cache_folder() -> Path:
    """Folder of ONNX graphs exported at first use (``$GAZELEARN_CACHE`` or
    ``~/.cache/gazelearn``, subfolder ``onnx``)."""
    base = os.environ.get("GAZELEARN_CACHE") or Path.home() / ".cache" / "gazelearn"
    return Path(base) / "onnx"


def _header_config(model: Path) -> dict:
    """The JSON config in a safetensors model file's header."""
    from safetensors import safe_open

    try:
        with safe_open(str(model), framework="numpy") as handle:
            return json.loads((handle.metadata() or {})[_CONFIG_KEY])
    except Exception as error:  # noqa: BLE001 - not a model file: the full loader says why
        raise LookupError(str(error)) from None


def model_digest(model: Path) -> str:
    """The sha256 of a model file's bytes: the key that ties an ONNX graph to its weights."""
    # learn.provenance.file_sha256 is the same hash; importing it loads gazelearn.learn (torch)
    return hashlib.sha256(Path(model).read_bytes()).hexdigest()


def onnx_metadata(config: dict, model: Path) -> dict[str, str]:
    """What the ONNX graph of the model file ``model`` (config ``config``) carries so it runs
    without the model file's loader."""
    params = config["params"]["__dict__"]
    return {"gazelearn_model_sha256": model_digest(model),
            "sampling_rate": repr(float(params["sampling_rate"])),
            "features": params.get("features", "velocity"),
            "margin": str(margin_for(params))}


def margin_for(params: dict) -> int:
    """Chunk margin (samples) for a detector's parameters."""
    half = receptive_half_width(params.get("architecture", "tcn"), params.get("depth", 7))
    if half is None:  # a GRU sees the whole chunk: a generous margin of 2 s
        return int(round(2 * params["sampling_rate"]))
    return half


def cached_onnx(model: Path, config: dict | None = None) -> Path | None:
    """The ONNX graph of the deep-detector model file ``model`` if one matches its weights,
    else None (also for files that are not a deep detector's: the full loader says why)."""
    try:
        config = config or _header_config(model)
        if not str(config["estimator"]).endswith(".DeepDetector"):
            return None
        graph = graph_format(config["params"]["__dict__"].get("architecture", "tcn"))
    except (LookupError, KeyError, TypeError, AttributeError):
        return None
    digest = model_digest(model)
    for candidate in (onnx_sidecar(model), cache_folder() / f"{digest}.onnx"):
        if candidate.is_file() and onnx_identity(candidate) == (digest, graph):
            return candidate
    return None


def onnx_identity(path: Path) -> tuple[str | None, str | None]:
    """The model file's sha256 and the graph form an ONNX graph was exported with."""
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), session_options(1),
                                       providers=["CPUExecutionProvider"])
    except Exception:  # noqa: BLE001 - a damaged cache file counts as absent
        return None, None
    meta = session.get_modelmeta().custom_metadata_map
    return meta.get("gazelearn_model_sha256"), meta.get("gazelearn_graph")


def load_runner(model: Path | None = None, num_threads: int | None = None) -> DeepRunner:
    """A :class:`DeepRunner` for the model file ``model`` (default: the shipped one), without
    importing torch when its ONNX graph is beside it or cached; otherwise the model is loaded
    in torch once (which checks the file), exported and cached (``cache_folder()``).

    Examples
    --------
    >>> from gazelearn.simulate import simulate_recording
    >>> load_runner().predict(simulate_recording(2.0, 500.0, seed=1)).shape
    (1000,)
    """
    model = DEFAULT_MODEL if model is None else Path(model)
    path = cached_onnx(model) if model.is_file() else None
    if path is None:
        from gazelearn.detection.deep import DeepDetector

        path = DeepDetector.pretrained(model).export_onnx_cache(model)
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), session_options(num_threads),
                                   providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    return DeepRunner(path, float(meta["sampling_rate"]), meta["features"], int(meta["margin"]),
                      num_threads, _session=session)

