"""Export trained networks to ONNX and check the result with ONNX Runtime.

Every network gazelearn trains says what it exports through ``onnx_spec()``, an
:class:`OnnxSpec`: a ``torch.nn.Module`` from the network's inputs to its outputs (input
standardisation, NaN filling, softmax, target scaling and stored calibrations inside, so the
graph takes what the estimator takes), the inputs and outputs with their shapes, dynamic axes,
dtype and units (:class:`OnnxTensor`), and the metadata a user outside Python needs (sampling
rate, class names, window length, screen size ...). :func:`export_onnx` writes it with torch's
TorchScript-based exporter (``dynamo=False``; it needs the ``onnx`` package, 1.17.0 with our
protobuf) into the graph's ``metadata_props``, runs the graph in ONNX Runtime on a fresh probe
batch (other sizes of the dynamic axes than the trace's) against torch, and writes the file
atomically only when they agree: a failed export leaves no file.

:func:`graph_bytes` is the one call of ``torch.onnx.export`` in gazelearn (the deep detector's
ONNX Runtime path exports through it too).

Examples
--------
>>> import numpy as np, tempfile, os
>>> from gazelearn.learn import NeuralClassifier
>>> X = np.random.default_rng(0).normal(size=(40, 16, 2)).astype("float32")
>>> clf = NeuralClassifier("conv1d", epochs=1).fit(X, (X[:, 0, 0] > 0).astype(int))
>>> report = export_onnx(clf, os.path.join(tempfile.mkdtemp(), "clf.onnx"))
>>> report.max_abs_diff < 1e-4, [(t.name, t.shape) for t in report.inputs]
(True, [('input', ('batch', 16, 2))])
>>> import onnxruntime as ort
>>> meta = ort.InferenceSession(str(report.path)).get_modelmeta().custom_metadata_map
>>> meta["classes"], meta["estimator"]
('[0,1]', 'gazelearn.learn.base.NeuralClassifier')
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gazelearn.errors import GazelearnError, InputError

#: What ``gazelearn export`` takes: the networks gazelearn trains (one line, for refusals).
EXPORTABLE = ("the networks gazelearn trains: the deep event detector (events train), scanpath "
              "classifiers mlp, conv1d, lstm, gru, heatmap-cnn and multi (scanpath train), "
              "scanpath generators and next-point predictors (scanpath train-generator), "
              "biometric embedders (biometrics train), gaze CNNs (gaze train) and the neural "
              "models of gazelearn models (mlp, conv1d, conv2d, lstm, gru)")
#: Version of the metadata layout written into exported graphs.
METADATA_VERSION = 1


class Standardize(torch.nn.Module):
    """``(x - mean) / scale`` with NaN (lost samples) then 0: the input step of the graphs.

    ``mean`` and ``scale`` broadcast to one sample (no batch axis).

    Examples
    --------
    >>> Standardize(np.array([1.0]), np.array([2.0]))(torch.tensor([[3.0], [float("nan")]]))
    tensor([[1.],
            [0.]])
    """

    def __init__(self, mean: np.ndarray, scale: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean, np.float32))[None])
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale, np.float32))[None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.scale
        return torch.where(torch.isnan(x), torch.zeros_like(x), x)


class _FixedAdaptiveAvgPool2d(torch.nn.Module):
    """``AdaptiveAvgPool2d`` for one input size as two averaging matrices: ``Ph @ x @ Pw.T``.

    The same numbers (an average over a rectangle is the average over its rows of the
    averages over its columns), but ONNX has no adaptive pooling to sizes that do not divide
    the input's, and matrix products export everywhere.
    """

    def __init__(self, size_in: tuple[int, int], size_out: tuple[int, int]) -> None:
        super().__init__()
        for name, n, m in (("rows", size_in[0], size_out[0]), ("cols", size_in[1], size_out[1])):
            matrix = torch.zeros(m, n)
            for i in range(m):  # PyTorch's cells: floor(i n / m) to ceil((i + 1) n / m)
                lo, hi = (i * n) // m, -((-(i + 1) * n) // m)
                matrix[i, lo:hi] = 1.0 / (hi - lo)
            self.register_buffer(name, matrix)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rows @ x @ self.cols.T


def with_fixed_pooling(module: torch.nn.Module, input_shape: tuple[int, ...]) -> torch.nn.Module:
    """A copy of ``module`` whose ``AdaptiveAvgPool2d`` layers are matrix products for inputs
    of ``input_shape`` (one sample, no batch axis): exportable at any output size.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d((3, 4)), torch.nn.Flatten())
    >>> x = torch.randn(2, 1, 10, 9)
    >>> bool(torch.allclose(with_fixed_pooling(net, (1, 10, 9))(x), net(x), atol=1e-6))
    True
    """
    import copy

    module = copy.deepcopy(module).cpu().eval()
    pools = {name: m for name, m in module.named_modules()
             if isinstance(m, torch.nn.AdaptiveAvgPool2d)}
    sizes: dict[str, tuple[int, int]] = {}

    def record(name: str):
        def hook(_: torch.nn.Module, inputs: tuple) -> None:
            sizes[name] = tuple(inputs[0].shape[-2:])
        return hook

    hooks = [m.register_forward_pre_hook(record(name)) for name, m in pools.items()]
    with torch.no_grad():
        module(torch.zeros(1, *input_shape))
    for hook in hooks:
        hook.remove()
    for name, pool in pools.items():
        out = pool.output_size if isinstance(pool.output_size, tuple) else \
            (pool.output_size, pool.output_size)
        out = tuple(sizes[name][i] if v is None else int(v) for i, v in enumerate(out))
        parent_name, _, child = name.rpartition(".")
        parent = module.get_submodule(parent_name) if parent_name else module
        setattr(parent, child, _FixedAdaptiveAvgPool2d(sizes[name], out))
    return module


@dataclass(frozen=True)
class OnnxTensor:
    """One input or output of an exported graph.

    ``shape`` holds numbers for fixed axes and names for dynamic ones (``"batch"``,
    ``"time"``); ``description`` says what the values are and in which units.
    """

    name: str
    shape: tuple[int | str, ...]
    description: str
    dtype: str = "float32"

    def dynamic_axes(self) -> dict[int, str]:
        """``{axis: name}`` of the dynamic axes (torch's ``dynamic_axes`` entry)."""
        return {i: s for i, s in enumerate(self.shape) if isinstance(s, str)}

    def concrete(self, sizes: dict[str, int]) -> tuple[int, ...]:
        """The shape with every dynamic axis at ``sizes[name]``."""
        return tuple(int(sizes[s]) if isinstance(s, str) else int(s) for s in self.shape)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: name, shape (dynamic axes by name), dtype, description."""
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype,
                "description": self.description}

    def text(self) -> str:
        """``name dtype (batch, 100, 3): description`` for the command's output."""
        return (f"{self.name} {self.dtype} ({', '.join(map(str, self.shape))}): "
                f"{self.description}")


@dataclass
class OnnxSpec:
    """What a network exports: the module, its inputs and outputs, and its metadata.

    Parameters
    ----------
    module : torch.nn.Module
        Called with one tensor per input (in order); returns a tensor or a tuple, one per
        output.
    inputs, outputs : sequence of OnnxTensor
    metadata : dict
        JSON-ready facts a user needs to prepare the inputs and read the outputs.
    sizes : dict
        Dynamic axis name -> (size used to trace the graph, size of the probe batch).
    """

    module: torch.nn.Module
    inputs: tuple[OnnxTensor, ...]
    outputs: tuple[OnnxTensor, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    sizes: dict[str, tuple[int, int]] = field(default_factory=lambda: {"batch": (2, 7)})

    def arrays(self, probe: bool, seed: int = 0) -> list[np.ndarray]:
        """Random normal float32 inputs at the trace (``probe=False``) or probe sizes."""
        rng = np.random.default_rng(seed)
        sizes = {name: pair[1 if probe else 0] for name, pair in self.sizes.items()}
        return [rng.normal(size=t.concrete(sizes)).astype(np.float32) for t in self.inputs]

    def renamed(self, inputs: Sequence[OnnxTensor], outputs: Sequence[OnnxTensor],
                metadata: dict[str, Any] | None = None) -> OnnxSpec:
        """The same module under other input/output descriptions and more metadata."""
        return replace(self, inputs=tuple(inputs), outputs=tuple(outputs),
                       metadata={**self.metadata, **(metadata or {})})


@dataclass(frozen=True)
class ExportReport:
    """Where the graph went, what it takes and returns, and how closely ONNX Runtime matches.

    ``max_abs_diff`` is the largest absolute difference between ONNX Runtime's and torch's
    outputs on the probe batch; ``max_diff`` the same, relative for values above 1 in
    magnitude (a gaze point of 1000 px holds float32 to about 1e-4 px), which the
    tolerance applies to.
    """

    path: Path
    input_shape: tuple[int | str, ...]
    max_abs_diff: float
    tolerance: float
    inputs: tuple[OnnxTensor, ...] = ()
    outputs: tuple[OnnxTensor, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    max_diff: float = float("nan")

    @property
    def ok(self) -> bool:
        """True when ONNX Runtime's outputs are within the tolerance."""
        return self.max_diff <= self.tolerance


def _plain_module_spec(module: torch.nn.Module, example: Any) -> OnnxSpec:
    if example is None:
        raise InputError("exporting a plain module needs an example input")
    shape = np.asarray(example).shape
    return OnnxSpec(module, (OnnxTensor("input", ("batch", *shape[1:]), "the module's input"),),
                    (OnnxTensor("output", ("batch",), "the module's output"),),
                    {"estimator": f"{type(module).__module__}.{type(module).__qualname__}"},
                    {"batch": (max(1, shape[0]), 7)})


def spec_for(model: Any, example: Any = None) -> OnnxSpec:
    """The :class:`OnnxSpec` of a fitted network, or an :class:`InputError` naming what exports.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> try:
    ...     spec_for(DecisionTreeClassifier())
    ... except InputError as error:
    ...     print(str(error)[:70])
    cannot export a DecisionTreeClassifier to ONNX: it is not a network; e
    """
    if isinstance(model, torch.nn.Module):
        return _plain_module_spec(model, example)
    if hasattr(model, "onnx_spec"):
        return model.onnx_spec()  # refuses itself when the model inside is not a network
    raise InputError(f"cannot export a {type(model).__name__} to ONNX: it is not a network; "
                     f"exportable are {EXPORTABLE}")


def metadata_props(spec: OnnxSpec, extra: dict[str, Any] | None = None) -> dict[str, str]:
    """The graph's ``metadata_props``: strings as they are, everything else as JSON.

    Besides the spec's metadata: ``inputs`` and ``outputs`` (name, shape, dtype and units of
    each, JSON) and the layout version ``gazelearn_onnx``.
    """
    from gazelearn.io.writers import jsonable

    values = {"gazelearn_onnx": METADATA_VERSION, **spec.metadata,
              "inputs": [t.to_dict() for t in spec.inputs],
              "outputs": [t.to_dict() for t in spec.outputs], **(extra or {})}
    return {key: value if isinstance(value, str) else
            json.dumps(jsonable(value, finite=True), separators=(",", ":"))
            for key, value in values.items() if value is not None}


def graph_bytes(spec: OnnxSpec, metadata: dict[str, str] | None = None,
                opset: int = 17) -> bytes:
    """The ONNX graph of ``spec`` (torch's exporter, ``dynamo=False``) with ``metadata`` in
    its ``metadata_props``; the axes the spec names are dynamic."""
    try:
        import onnx
    except ImportError:
        raise GazelearnError("ONNX export needs the onnx package: pip install onnx==1.17.0") \
            from None
    module = spec.module.cpu().eval()
    example = tuple(torch.as_tensor(a) for a in spec.arrays(probe=False))
    dynamic = {t.name: t.dynamic_axes() for t in (*spec.inputs, *spec.outputs)
               if t.dynamic_axes()}
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer warnings
        torch.onnx.export(module, example, buffer, input_names=[t.name for t in spec.inputs],
                          output_names=[t.name for t in spec.outputs], opset_version=opset,
                          dynamo=False, dynamic_axes=dynamic)
    graph = onnx.load_from_string(buffer.getvalue())
    for key, value in (metadata or {}).items():
        graph.metadata_props.add(key=key, value=value)
    return graph.SerializeToString()


def compare_outputs(spec: OnnxSpec, graph: bytes | str | Path, seed: int = 1
                    ) -> tuple[float, float]:
    """ONNX Runtime against torch on a probe batch: (max absolute difference, max difference
    relative above 1), over every output."""
    import onnxruntime as ort

    arrays = spec.arrays(probe=True, seed=seed)
    with torch.no_grad():
        expected = spec.module.eval()(*(torch.as_tensor(a) for a in arrays))
    expected = [e.numpy() for e in (expected if isinstance(expected, tuple | list)
                                    else (expected,))]
    source = graph if isinstance(graph, bytes) else str(graph)
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    got = session.run(None, dict(zip(names, arrays, strict=True)))
    absolute = relative = 0.0
    for name, g, e in zip([t.name for t in spec.outputs], got, expected, strict=True):
        if g.shape != e.shape:
            raise GazelearnError(f"ONNX output {name!r} has shape {g.shape}, torch's "
                                 f"{e.shape}")
        if g.size:
            diff = np.abs(g.astype(np.float64) - e)
            absolute = max(absolute, float(diff.max()))
            relative = max(relative, float((diff / np.maximum(np.abs(e), 1.0)).max()))
    return absolute, relative


def export_onnx(model: Any, path: str | Path, example: Any = None, check: bool = True,
                tolerance: float = 1e-4, opset: int = 17, source: str | Path | None = None
                ) -> ExportReport:
    """Write ``model`` as ONNX to ``path``, verified with ONNX Runtime first.

    Parameters
    ----------
    model : fitted network or torch.nn.Module
        Anything with ``onnx_spec()`` (every network gazelearn trains), or a plain module.
    path : str or Path
        Output ``.onnx`` file, written atomically: complete, or (on any error, a difference
        above ``tolerance`` among them) not written at all.
    example : array, optional
        An input batch (required for a plain module).
    check : bool
        Run ONNX Runtime and compare; raise when the difference exceeds ``tolerance``.
    tolerance : float
        Largest accepted difference between ONNX Runtime and torch (absolute; relative for
        values above 1).
    opset : int
        ONNX opset version.
    source : str or Path, optional
        The model file the estimator was loaded from: its name and sha256 go into the
        metadata (``gazelearn_model_sha256`` ties the graph to those weights).

    Returns
    -------
    ExportReport
        With ``max_abs_diff`` and ``max_diff`` (NaN when ``check`` is False).
    """
    from gazelearn.io.atomic import atomic_write_bytes

    spec = spec_for(model, example)
    extra: dict[str, Any] = {}
    if not isinstance(model, torch.nn.Module):
        from gazelearn import __version__

        cls = type(model)
        extra = {"estimator": f"{cls.__module__}.{cls.__qualname__}",
                 "gazelearn_version": __version__,
                 "preprocessing": getattr(model, "preprocessing_", None) or None}
    if source is not None and Path(source).is_file():
        extra["gazelearn_model_file"] = Path(source).name
        from gazelearn.learn.provenance import file_sha256  # learn imports this module

        extra["gazelearn_model_sha256"] = file_sha256(source)
    meta = metadata_props(spec, extra)
    graph = graph_bytes(spec, meta, opset)
    absolute = relative = float("nan")
    if check:
        absolute, relative = compare_outputs(spec, graph)
        if not relative <= tolerance:
            raise GazelearnError(f"ONNX Runtime's outputs differ from torch's by {relative:.3g} "
                                 f"(tolerance {tolerance:g}); {Path(path)} not written")
    path = atomic_write_bytes(path, graph)
    return ExportReport(path, spec.inputs[0].shape[1:], absolute, tolerance, spec.inputs,
                        spec.outputs, meta, relative)


def check_onnx(module: torch.nn.Module, path: str | Path, input_shape: tuple[int, ...],
               batch: int = 7, seed: int = 1) -> float:
    """Largest absolute difference between ONNX Runtime and torch on a random batch of one
    input of ``input_shape``."""
    spec = OnnxSpec(module, (OnnxTensor("input", ("batch", *input_shape), ""),),
                    (OnnxTensor("output", ("batch",), ""),), sizes={"batch": (batch, batch)})
    return compare_outputs(spec, path, seed)[0]
