"""Calibration of a gaze CNN to one person: BatchNorm profiles and few-point output correction.

Three ways, all measured in ``benchmarks/gaze_models.py``:

1. **Per-measurement BN** (batch mode): a network trained with every batch drawn from ONE
   measurement learns features that are normalised *per measurement*; at test time BatchNorm
   runs in training mode on a batch of the test measurement, so it normalises the person and
   the session away (:func:`batch_statistics`, used by ``GazeRegressor.predict(groups=...)``).
2. **A stored per-user BN profile** (the real-time form): the same statistics computed once
   from ``k`` calibration frames, stored (in the model file) and used in eval mode frame by
   frame (:func:`bn_profile`, :func:`use_bn_profile`). On the same frames both forms give the
   same outputs.
3. **Few-point output calibration**: an affine (or ridge-regularised affine) map from the
   model's outputs to the true targets, fitted on ``k`` calibration points
   (:class:`AffineCalibration`); alone or on top of 2.

Examples
--------
>>> import numpy as np, torch
>>> from gazelearn.appearance.models import resnet_small
>>> net = resnet_small(1, channels=(8, 8)).eval()
>>> x = torch.randn(16, 1, 12, 20)
>>> profile = bn_profile(net, x)
>>> with torch.no_grad(), use_bn_profile(net, profile):
...     stored = net(x)
>>> with torch.no_grad(), batch_statistics(net):
...     batch = net(x)
>>> bool(torch.allclose(stored, batch, atol=1e-4))
True
>>> cal = AffineCalibration(alpha=0.0).fit([[0, 0], [1, 0], [0, 1]], [[1, 1], [3, 1], [1, 2]])
>>> cal.transform([[1, 1]]).round(6).tolist()
[[3.0, 2.0]]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gazelearn.errors import InputError

__all__ = ["AffineCalibration", "batch_statistics", "bn_layers", "bn_profile",
           "use_bn_profile"]

_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def bn_layers(model: nn.Module) -> dict[str, nn.modules.batchnorm._BatchNorm]:
    """The BatchNorm layers of ``model`` by their module name."""
    return {name: m for name, m in model.named_modules() if isinstance(m, _BN)}


@contextlib.contextmanager
def batch_statistics(model: nn.Module) -> Iterator[nn.Module]:
    """Run ``model`` with BatchNorm in training mode (batch statistics), everything else eval.

    The running statistics are restored afterwards, so the model is unchanged; dropout stays
    off. Inside the block a forward pass normalises every BN layer with the statistics of the
    batch itself.
    """
    layers = bn_layers(model)
    saved = {name: (m.running_mean.clone(), m.running_var.clone(),
                    m.num_batches_tracked.clone()) for name, m in layers.items()
             if m.running_mean is not None}
    was_training = model.training
    model.eval()
    for m in layers.values():
        m.train()
    try:
        yield model
    finally:
        for name, m in layers.items():
            if name in saved:
                mean, var, count = saved[name]
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
                m.num_batches_tracked.copy_(count)
        model.train(was_training)


def bn_profile(model: nn.Module, x: torch.Tensor) -> dict[str, np.ndarray]:
    """BatchNorm statistics of the batch ``x``: ``{"<layer>.mean": ..., "<layer>.var": ...}``.

    Layer by layer, with each layer's input normalised by the batch statistics of the layers
    before it -- exactly what BN in training mode computes on ``x`` -- and the *biased*
    variance that training-mode BN normalises with. Loaded with :func:`use_bn_profile`, eval
    mode then reproduces training mode on ``x``.

    Parameters
    ----------
    model : torch.nn.Module
    x : torch.Tensor
        Calibration frames of one person/session (at least 2), prepared like the model's input.
    """
    if len(x) < 2:
        raise InputError("a BN profile needs at least 2 calibration frames")
    layers = bn_layers(model)
    if not layers:
        raise InputError("the model has no BatchNorm layers: it cannot take a BN profile")
    stats: dict[str, np.ndarray] = {}
    handles = []

    def hook(name: str):
        def record(module: nn.Module, inputs: tuple) -> None:
            value = inputs[0].detach().double()
            axes = [0] + list(range(2, value.ndim))
            stats[f"{name}.mean"] = value.mean(dim=axes).float().numpy()
            stats[f"{name}.var"] = value.var(dim=axes, unbiased=False).float().numpy()
        return record

    for name, m in layers.items():
        handles.append(m.register_forward_pre_hook(hook(name)))
    try:
        with torch.no_grad(), batch_statistics(model):
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return stats


@contextlib.contextmanager
def use_bn_profile(model: nn.Module, profile: dict[str, np.ndarray] | None) -> Iterator[nn.Module]:
    """Eval-mode ``model`` whose BN layers use ``profile``'s statistics (restored afterwards)."""
    if not profile:
        yield model
        return
    layers = bn_layers(model)
    missing = [n for n in layers if f"{n}.mean" not in profile]
    if missing:
        raise InputError(f"the BN profile does not fit this model (no statistics for "
                         f"{missing[0]!r})")
    saved = {n: (m.running_mean.clone(), m.running_var.clone()) for n, m in layers.items()}
    was_training = model.training
    model.eval()
    try:
        for name, m in layers.items():
            m.running_mean.copy_(torch.as_tensor(np.asarray(profile[f"{name}.mean"])))
            m.running_var.copy_(torch.as_tensor(np.asarray(profile[f"{name}.var"])))
        yield model
    finally:
        for name, m in layers.items():
            m.running_mean.copy_(saved[name][0])
            m.running_var.copy_(saved[name][1])
        model.train(was_training)


class AffineCalibration(TransformerMixin, BaseEstimator):
    """Few-point output calibration: ``target = [pred, 1] @ A``, ridge-shrunk toward identity.

    Parameters
    ----------
    alpha : float
        Ridge penalty on ``A - [I; 0]`` (0: plain least squares; larger: trust the model more,
        useful with 5 points or fewer).
    kind : {"affine", "offset"}
        ``affine`` (6 parameters for 2-D) or ``offset`` (a constant shift only).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pred = rng.uniform(size=(9, 2))
    >>> true = pred @ np.array([[1.1, 0.1], [-0.05, 0.9]]) + [0.02, -0.03]
    >>> cal = AffineCalibration(alpha=0.0).fit(pred, true)
    >>> bool(np.allclose(cal.transform(pred), true))
    True
    """

    def __init__(self, alpha: float = 1e-3, kind: str = "affine") -> None:
        self.alpha = alpha
        self.kind = kind

    def fit(self, X, y, groups=None) -> AffineCalibration:
        """Fit the map from predicted points ``X`` ``(k, d)`` to true points ``y`` ``(k, d)``.

        ``groups`` is accepted for the common ``fit(X, y, groups)`` interface and ignored.
        """
        p = np.asarray(X, dtype=np.float64)
        t = np.asarray(y, dtype=np.float64)
        if p.ndim != 2 or p.shape != t.shape or len(p) < 1:
            raise InputError(f"calibration needs predicted and true points of the same shape "
                             f"(k, d); got {p.shape} and {t.shape}")
        d = p.shape[1]
        prior = np.vstack([np.eye(d), np.zeros((1, d))])
        if self.kind == "offset":
            self.matrix_ = prior.copy()
            self.matrix_[-1] = (t - p).mean(axis=0)
            return self
        if self.kind != "affine":
            raise InputError(f"kind must be 'affine' or 'offset', got {self.kind!r}")
        design = np.hstack([p, np.ones((len(p), 1))])
        penalty = float(self.alpha) * np.eye(d + 1)
        penalty[-1, -1] = 0.0  # the offset is free
        lhs = design.T @ design + penalty
        rhs = design.T @ t + penalty @ prior
        self.matrix_ = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
        return self

    def transform(self, X) -> np.ndarray:
        """Corrected points ``(n, d)`` for predicted points ``X``."""
        check_is_fitted(self, "matrix_")
        p = np.asarray(X, dtype=np.float64)
        return np.hstack([p, np.ones((len(p), 1))]) @ self.matrix_

    def to_dict(self) -> dict:
        """JSON-ready parameters and fitted matrix."""
        check_is_fitted(self, "matrix_")
        return {"alpha": self.alpha, "kind": self.kind, "matrix": self.matrix_.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> AffineCalibration:
        """Rebuild from :meth:`to_dict`."""
        cal = cls(alpha=data.get("alpha", 1e-3), kind=data.get("kind", "affine"))
        cal.matrix_ = np.asarray(data["matrix"], dtype=np.float64)
        return cal
