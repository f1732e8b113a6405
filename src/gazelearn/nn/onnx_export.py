"""Export trained networks to ONNX and check the result with onnxruntime.

:func:`export_onnx` takes a fitted neural estimator (its standardisation, NaN filling and
softmax / target scaling are inside the exported graph, so the ONNX model takes raw windows) or a
plain ``torch.nn.Module`` with an example input. It uses torch's TorchScript-based exporter
(``dynamo=False``; it needs the ``onnx`` package, 1.17.0 with our protobuf), makes the batch
axis dynamic, then runs the file with onnxruntime on a fresh batch and reports the largest
absolute difference to torch.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from gazelearn.learn import NeuralClassifier
>>> X = np.random.default_rng(0).normal(size=(40, 16, 2)).astype("float32")
>>> clf = NeuralClassifier("conv1d", epochs=1).fit(X, (X[:, 0, 0] > 0).astype(int))
>>> report = export_onnx(clf, os.path.join(tempfile.mkdtemp(), "clf.onnx"))
>>> report.max_abs_diff < 1e-4
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gazelearn.errors import GazelearnError, InputError


@dataclass(frozen=True)
class ExportReport:
    """Where the model went, its input shape, and how closely onnxruntime matches torch."""

    path: Path
    input_shape: tuple[int, ...]
    max_abs_diff: float
    tolerance: float

    @property
    def ok(self) -> bool:
        """True when onnxruntime's outputs are within the tolerance."""
        return self.max_abs_diff <= self.tolerance


def _module_and_example(model: Any, example: Any) -> tuple[torch.nn.Module, torch.Tensor]:
    if isinstance(model, torch.nn.Module):
        if example is None:
            raise InputError("exporting a plain module needs an example input")
        return model.eval(), torch.as_tensor(np.asarray(example, dtype=np.float32))
    if hasattr(model, "inference_module"):
        module = model.inference_module()
        shape = tuple(model.input_shape_)
        if example is None:
            example = np.random.default_rng(0).normal(size=(2, *shape))
        return module, torch.as_tensor(np.asarray(example, dtype=np.float32))
    raise InputError(f"cannot export a {type(model).__name__} to ONNX: only neural estimators "
                     "and torch modules (scikit-learn baselines have no ONNX exporter here)")


def export_onnx(model: Any, path: str | Path, example: Any = None, check: bool = True,
                tolerance: float = 1e-4, opset: int = 17) -> ExportReport:
    """Write ``model`` as ONNX to ``path`` and verify it with onnxruntime.

    Parameters
    ----------
    model : fitted neural estimator or torch.nn.Module
    path : str or Path
        Output ``.onnx`` file.
    example : array, optional
        An input batch (required for a plain module; random for an estimator).
    check : bool
        Run onnxruntime and compare; raise when the difference exceeds ``tolerance``.
    tolerance : float
        Largest accepted absolute difference between onnxruntime and torch outputs.
    opset : int
        ONNX opset version.

    Returns
    -------
    ExportReport
        With ``max_abs_diff`` (NaN when ``check`` is False).
    """
    module, sample = _module_and_example(model, example)
    module = module.cpu().eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import onnx  # noqa: F401  (torch's exporter needs it to write the file)
    except ImportError:
        raise GazelearnError("ONNX export needs the onnx package: pip install onnx==1.17.0") \
            from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (sample,), str(path), input_names=["input"],
                          output_names=["output"], opset_version=opset, dynamo=False,
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    diff = float("nan")
    if check:
        diff = check_onnx(module, path, tuple(sample.shape[1:]))
        if not diff <= tolerance:
            raise GazelearnError(f"ONNX outputs differ from torch by {diff:.3g} "
                                 f"(tolerance {tolerance:g}) for {path}")
    return ExportReport(path, tuple(int(s) for s in sample.shape[1:]), diff, tolerance)


def check_onnx(module: torch.nn.Module, path: str | Path, input_shape: tuple[int, ...],
               batch: int = 7, seed: int = 1) -> float:
    """Largest absolute difference between onnxruntime and torch on a random batch."""
    import onnxruntime as ort

    x = np.random.default_rng(seed).normal(size=(batch, *input_shape)).astype(np.float32)
    with torch.no_grad():
        expected = module.eval()(torch.as_tensor(x)).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    if got.shape != expected.shape:
        raise GazelearnError(f"ONNX output shape {got.shape} differs from torch's "
                             f"{expected.shape}")
    return float(np.max(np.abs(got - expected))) if got.size else 0.0
