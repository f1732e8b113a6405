"""Which regions of a heat map drive the heat-map CNN's decision: Grad-CAM and input gradients.

* ``method="gradcam"`` — Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: Visual explanations from
  deep networks via gradient-based localization", ICCV): the last convolution's feature maps,
  weighted by the spatial mean of the class score's gradient, summed, rectified and upsampled
  (bilinear) to the heat map's size. Coarse (the resolution of the last convolution) but
  class-discriminative.
* ``method="saliency"`` — input-gradient saliency (Simonyan, Vedaldi & Zisserman 2014, "Deep
  inside convolutional networks"): ``|d score / d input|`` per cell. Full resolution, noisier.

Both return a non-negative map of the input heat map's size ``(height, width)``, scaled to sum
1 (all zeros when the score does not depend on the map anywhere), so its mass in a region is the
share of the explanation falling there.

Examples
--------
>>> import numpy as np
>>> from gazelearn import Recording, Screen
>>> from gazelearn.scanpath.classify import ScanpathClassifier
>>> screen = Screen(1024, 768, 380.0, 300.0, 670.0)
>>> rng = np.random.default_rng(0)
>>> def rec(side):
...     x = rng.uniform(50, 450, 120) + (500 if side == "right" else 0)
...     return Recording(np.arange(120) / 60, x, rng.uniform(50, 700, 120), screen=screen)
>>> recs = [rec(side) for side in ["left", "right"] * 6]
>>> clf = ScanpathClassifier("heatmap-cnn", grid=(16, 12), epochs=10, lr=0.01,
...                          num_threads=1).fit(recs, ["left", "right"] * 6)
>>> cam = grad_cam(clf, recs[:2])
>>> cam.shape, bool(np.allclose(cam.sum(axis=(1, 2)), 1))
((2, 12, 16), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from gazelearn.errors import InputError

__all__ = ["grad_cam"]


def _network(model: Any) -> tuple[Any, Any]:
    """The neural estimator of the heat-map CNN and a function making its input from data."""
    from gazelearn.learn.base import NeuralClassifier
    from gazelearn.scanpath.classify import ScanpathClassifier

    if isinstance(model, ScanpathClassifier):
        if getattr(model, "kind_", None) != "map":
            raise InputError(f"grad_cam explains a heatmap-cnn; this model is {model.model!r}")

        def inputs(data: Any) -> np.ndarray:
            if isinstance(data, np.ndarray):
                return _as_maps(data)
            return model._maps(list(data))

        return model.model_, inputs
    if isinstance(model, NeuralClassifier):
        return model, _as_maps
    raise InputError(f"grad_cam needs a heatmap-cnn ScanpathClassifier or a NeuralClassifier "
                     f"on images; got {type(model).__name__}")


def _as_maps(data: Any) -> np.ndarray:
    maps = np.asarray(data, dtype=np.float32)
    if maps.ndim == 2:
        maps = maps[None, None]
    elif maps.ndim == 3:
        maps = maps[:, None]
    if maps.ndim != 4:
        raise InputError(f"heat maps must be (h, w), (n, h, w) or (n, 1, h, w); got {maps.shape}")
    return maps


def grad_cam(model: Any, data: Any, target: Any = None, method: str = "gradcam") -> np.ndarray:
    """Explanation maps of a heat-map CNN, one per input, the size of the heat map.

    Parameters
    ----------
    model : ScanpathClassifier or NeuralClassifier
        A fitted ``heatmap-cnn`` (or a ``conv2d`` NeuralClassifier).
    data : sequence of Recording or array
        Recordings (their heat maps are made as in training) or heat maps ``(h, w)``,
        ``(n, h, w)`` or ``(n, 1, h, w)``.
    target : class label, optional
        The class to explain; default each input's predicted class.
    method : {"gradcam", "saliency"}
        Grad-CAM on the last convolution, or absolute input gradients.

    Returns
    -------
    numpy.ndarray
        ``(n, h, w)`` (``(h, w)`` for a single 2-D map), each summing to 1 (or all 0).
    """
    if method not in ("gradcam", "saliency"):
        raise InputError(f"method must be 'gradcam' or 'saliency', got {method!r}")
    estimator, inputs = _network(model)
    maps = inputs(data)
    single = isinstance(data, np.ndarray) and np.asarray(data).ndim == 2
    net: nn.Module = estimator.network_
    x = torch.as_tensor(estimator._prepare(maps))
    classes = list(np.asarray(estimator.classes_).tolist())
    if target is not None and target not in classes:
        raise InputError(f"target {target!r} is not a class of the model ({classes})")
    was_training = net.training
    net.eval()
    try:
        if method == "saliency":
            x.requires_grad_(True)
            scores = net(x)
            index = _targets(scores, classes, target)
            (grad,) = torch.autograd.grad(scores[torch.arange(len(x)), index].sum(), x)
            cam = grad.abs().amax(dim=1)
        else:
            convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
            if not convs:
                raise InputError("the network has no 2-D convolution to explain")
            captured: dict[str, torch.Tensor] = {}
            hook = convs[-1].register_forward_hook(
                lambda _m, _i, out: captured.__setitem__("a", out))
            try:
                scores = net(x)
            finally:
                hook.remove()
            index = _targets(scores, classes, target)
            activations = captured["a"]
            (grad,) = torch.autograd.grad(scores[torch.arange(len(x)), index].sum(),
                                          activations)
            weights = grad.mean(dim=(2, 3), keepdim=True)
            cam = torch.relu((weights * activations).sum(dim=1, keepdim=True))
            cam = functional.interpolate(cam, size=maps.shape[2:], mode="bilinear",
                                         align_corners=False)[:, 0]
    finally:
        net.train(was_training)
    cam = cam.detach().double().numpy()
    total = cam.sum(axis=(1, 2), keepdims=True)
    cam = np.divide(cam, total, out=np.zeros_like(cam), where=total > 0)
    return cam[0] if single else cam


def _targets(scores: torch.Tensor, classes: list, target: Any) -> torch.Tensor:
    if target is None:
        return scores.argmax(dim=1)
    return torch.full((len(scores),), classes.index(target), dtype=torch.long)
