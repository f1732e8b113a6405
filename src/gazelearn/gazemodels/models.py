"""Networks that map eye images to a gaze point: the tutorial's CNN and a small residual CNN.

Both take images ``(n, channels, height, width)`` of any size (adaptive pooling before the
head) and return ``(n, n_outputs)``. BatchNorm sits only in the convolutional part: its
statistics are per *channel over all pixels*, so a handful of calibration frames is enough to
estimate them (see :mod:`gazelearn.gazemodels.calibration`). Both are registered as
architectures (``gaze_tutorial``, ``gaze_resnet``) of :func:`gazelearn.nn.build`.

* :func:`tutorial_cnn` -- the ETRA 2021 tutorial's network (Kasprowski, "Deep Learning in the
  Eye Tracking World"): three conv + max-pool stages and a dense head, trained with MAE.
* :func:`resnet_small` -- residual blocks of depthwise-separable convolutions with BatchNorm
  (MobileNet, Howard et al. 2017; ResNet, He et al. 2016), a few tens of thousands of weights,
  well under 2 ms per frame on one CPU core.

Examples
--------
>>> import torch
>>> net = resnet_small(in_channels=1, n_outputs=2)
>>> tuple(net(torch.zeros(3, 1, 36, 64)).shape)
(3, 2)
>>> tuple(tutorial_cnn(3, 2)(torch.zeros(2, 3, 41, 41)).shape)
(2, 2)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gazelearn.errors import InputError
from gazelearn.nn.architectures import register_architecture

__all__ = ["SeparableBlock", "resnet_small", "tutorial_cnn"]


def tutorial_cnn(in_channels: int, n_outputs: int = 2, channels: Sequence[int] = (32, 64, 64),
                 hidden: int = 64, batch_norm: bool = True, dropout: float = 0.2) -> nn.Module:
    """The tutorial's CNN: (conv 3x3, ReLU, max-pool) x 3, flatten, dense, output.

    Parameters
    ----------
    in_channels : int
        1 for grayscale, 3 for RGB (more when crops are stacked as channels).
    n_outputs : int
        2 for a gaze point.
    channels : sequence of int
        Filters of the three conv stages.
    hidden : int
        Units of the dense layer.
    batch_norm : bool
        BatchNorm after every convolution (needed for BN calibration; the tutorial had none).
    dropout : float
        Dropout before the output layer.

    Examples
    --------
    >>> import torch
    >>> tuple(tutorial_cnn(1)(torch.zeros(2, 1, 36, 64)).shape)
    (2, 2)
    """
    layers: list[nn.Module] = []
    previous = in_channels
    for width in channels:
        layers += [nn.Conv2d(previous, width, 3, padding=1, bias=not batch_norm)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(width))
        layers += [nn.ReLU(inplace=True), nn.MaxPool2d(2, ceil_mode=True)]
        previous = width
    layers += [nn.AdaptiveAvgPool2d((3, 4)), nn.Flatten(),
               nn.Linear(previous * 12, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
               nn.Linear(hidden, n_outputs)]
    return nn.Sequential(*layers)


class SeparableBlock(nn.Module):
    """Residual block: depthwise 3x3 + pointwise 1x1, twice, with BatchNorm and a shortcut.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels in and out.
    stride : int
        2 halves the resolution (the shortcut then uses a strided 1x1 convolution).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, 1, 1, groups=out_channels, bias=False),
            nn.Conv2d(out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels))
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual sum, then ReLU."""
        return self.act(self.body(x) + self.shortcut(x))


def resnet_small(in_channels: int, n_outputs: int = 2, stem: int = 24,
                 channels: Sequence[int] = (32, 48, 64), dropout: float = 0.1,
                 pool: tuple[int, int] = (2, 4)) -> nn.Module:
    """A small residual CNN of depthwise-separable blocks with BatchNorm.

    Parameters
    ----------
    in_channels : int
        Image channels.
    n_outputs : int
        2 for a gaze point.
    stem : int
        Filters of the first (full) 3x3 convolution.
    channels : sequence of int
        Output channels of the residual blocks; each block halves the resolution.
    dropout : float
        Dropout before the linear head.
    pool : (int, int)
        Adaptive average pooling size (height, width) before the head: a small grid keeps
        *where* the iris is, which a global average would lose.

    Examples
    --------
    >>> import torch
    >>> net = resnet_small(1, channels=(16, 32))
    >>> tuple(net(torch.zeros(2, 1, 36, 64)).shape)
    (2, 2)
    """
    layers: list[nn.Module] = [nn.Conv2d(in_channels, stem, 3, 1, 1, bias=False),
                               nn.BatchNorm2d(stem), nn.ReLU(inplace=True)]
    previous = stem
    for width in channels:
        layers.append(SeparableBlock(previous, width, stride=2))
        previous = width
    layers += [nn.AdaptiveAvgPool2d(tuple(pool)), nn.Flatten(), nn.Dropout(dropout),
               nn.Linear(previous * pool[0] * pool[1], n_outputs)]
    return nn.Sequential(*layers)


def _image_channels(name: str, input_shape: tuple[int, ...]) -> int:
    if len(input_shape) != 3:
        raise InputError(f"{name} needs images (channels, height, width); got {input_shape}")
    return input_shape[0]


@register_architecture("gaze_tutorial")
def _build_tutorial(input_shape: tuple[int, ...], n_outputs: int, **options) -> nn.Module:
    return tutorial_cnn(_image_channels("gaze_tutorial", input_shape), n_outputs, **options)


@register_architecture("gaze_resnet")
def _build_resnet(input_shape: tuple[int, ...], n_outputs: int, **options) -> nn.Module:
    return resnet_small(_image_channels("gaze_resnet", input_shape), n_outputs, **options)


MODELS = {"tutorial": "gaze_tutorial", "resnet": "gaze_resnet"}
