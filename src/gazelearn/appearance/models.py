"""Networks that map eye images to a gaze point: the tutorial's CNN, a small residual CNN and a
two-eye + face multi-input network.

Both take images ``(n, channels, height, width)`` of any size (adaptive pooling before the
head) and return ``(n, n_outputs)``. BatchNorm sits only in the convolutional part: its
statistics are per *channel over all pixels*, so a handful of calibration frames is enough to
estimate them (see :mod:`gazelearn.appearance.bn_calibration`). Both are registered as
architectures (``gaze_tutorial``, ``gaze_resnet``, ``gaze_multi``) of :func:`gazelearn.nn.build`.

* :func:`tutorial_cnn` -- the ETRA 2021 tutorial's network (Kasprowski, "Deep Learning in the
  Eye Tracking World"): three conv + max-pool stages and a dense head, trained with MAE.
* :func:`resnet_small` -- residual blocks of depthwise-separable convolutions with BatchNorm
  (MobileNet, Howard et al. 2017; ResNet, He et al. 2016), a few tens of thousands of weights,
  well under 2 ms per frame on one CPU core.
* :class:`MultiInputGaze` -- separate convolutional branches for the eyes (one branch, shared
  by the left and the mirrored right eye) and the face, features concatenated, then a small
  regression head (in the spirit of iTracker, Krafka et al. 2016). The crops travel as ONE
  array: face, left and right eye resized to a common size and stacked as channels (what
  :func:`~gazelearn.appearance.data.load_gaze_data` gives for a manifest with three image
  columns); the network splits the channels again, so the estimator, augmentation, BN
  calibration and model files work unchanged.

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

__all__ = ["MultiInputGaze", "SeparableBlock", "resnet_small", "tutorial_cnn"]


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
    # the branch's layers unpacked, not nested: the saved weights keep their flat layer names
    features = channels[-1] if len(channels) else stem
    return nn.Sequential(*conv_branch(in_channels, stem, channels, pool), nn.Dropout(dropout),
                         nn.Linear(features * pool[0] * pool[1], n_outputs))


def conv_branch(in_channels: int, stem: int = 16, channels: Sequence[int] = (24, 32, 48),
                pool: tuple[int, int] = (2, 2)) -> nn.Module:
    """Convolutional feature extractor: stem, separable residual blocks, pooling, flatten.

    Gives ``channels[-1] * pool[0] * pool[1]`` features per image.
    """
    layers: list[nn.Module] = [nn.Conv2d(in_channels, stem, 3, 1, 1, bias=False),
                               nn.BatchNorm2d(stem), nn.ReLU(inplace=True)]
    previous = stem
    for width in channels:
        layers.append(SeparableBlock(previous, width, stride=2))
        previous = width
    layers += [nn.AdaptiveAvgPool2d(tuple(pool)), nn.Flatten()]
    return nn.Sequential(*layers)


_INPUT_NAMES = ("face", "left", "right")


class MultiInputGaze(nn.Module):
    """Two eyes + face: a shared eye branch, a face branch, concatenated features, a dense head.

    The input is ``(n, k * c, h, w)``: the ``k`` crops named by ``inputs`` (in that order)
    stacked as channels, ``c`` channels each. The right eye is mirrored before the shared eye
    branch (so both eyes look alike to it); the head sees the left-eye, right-eye and face
    features side by side, so it still knows which is which.

    Parameters
    ----------
    in_channels : int
        ``k * c``: channels of all crops together (9 for RGB face + two eyes).
    n_outputs : int
        2 for a gaze point.
    inputs : sequence of str
        Order of the crops in the channels; must hold ``left`` and ``right``, ``face`` is
        optional (without it the network is the two-eye model).
    eye_size, face_size : (int, int), optional
        Resize the eye / face crops to (height, width) inside the network (bilinear); default:
        as given.
    eye, face : dict, optional
        Options of :func:`conv_branch` for the eye and the face branch.
    hidden : int
        Units of the dense layer of the head.
    dropout : float
        Dropout before and after the dense layer.
    mirror_right : bool
        Mirror the right eye horizontally before the shared branch.

    Examples
    --------
    >>> import torch
    >>> net = MultiInputGaze(9, eye={"stem": 8, "channels": (8,)}, face={"stem": 8,
    ...                      "channels": (8,)}, hidden=8)
    >>> tuple(net(torch.zeros(2, 9, 32, 32)).shape)
    (2, 2)
    """

    def __init__(self, in_channels: int, n_outputs: int = 2,
                 inputs: Sequence[str] = _INPUT_NAMES, eye_size: Sequence[int] | None = None,
                 face_size: Sequence[int] | None = None, eye: dict | None = None,
                 face: dict | None = None, hidden: int = 64, dropout: float = 0.2,
                 mirror_right: bool = True) -> None:
        super().__init__()
        inputs = tuple(inputs)
        if (sorted(set(inputs)) != sorted(inputs) or not {"left", "right"} <= set(inputs)
                or not set(inputs) <= set(_INPUT_NAMES)):
            raise InputError(f"gaze_multi inputs must name 'left' and 'right' once and "
                             f"optionally 'face'; got {list(inputs)}")
        if in_channels % len(inputs):
            raise InputError(f"gaze_multi needs the {', '.join(inputs)} crops stacked as "
                             f"channels ({len(inputs)} x 1 or 3 channels, e.g. a manifest "
                             f"with {len(inputs)} image columns); got {in_channels} channels")
        self.inputs = inputs
        self.per_input = in_channels // len(inputs)
        self.eye_size = tuple(eye_size) if eye_size else None
        self.face_size = tuple(face_size) if face_size else None
        self.mirror_right = mirror_right
        eye_options = {"pool": (2, 3), **(eye or {})}
        face_options = {"pool": (2, 2), **(face or {})}
        self.eye_branch = conv_branch(self.per_input, **eye_options)
        features = 2 * _branch_features(eye_options)
        self.face_branch: nn.Module | None = None
        if "face" in inputs:
            self.face_branch = conv_branch(self.per_input, **face_options)
            features += _branch_features(face_options)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(features, hidden),
                                  nn.ReLU(inplace=True), nn.Dropout(dropout),
                                  nn.Linear(hidden, n_outputs))

    def _crop(self, x: torch.Tensor, name: str) -> torch.Tensor:
        i = self.inputs.index(name) * self.per_input
        return x[:, i:i + self.per_input]

    @staticmethod
    def _resize(x: torch.Tensor, size: tuple[int, ...] | None) -> torch.Tensor:
        if size is None or tuple(x.shape[2:]) == size:
            return x
        return nn.functional.interpolate(x, size=size, mode="bilinear", align_corners=False,
                                         antialias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Gaze point from the stacked crops ``(n, k * c, h, w)``."""
        n = x.shape[0]
        left = self._resize(self._crop(x, "left"), self.eye_size)
        right = self._resize(self._crop(x, "right"), self.eye_size)
        if self.mirror_right:
            right = torch.flip(right, dims=(3,))
        eyes = self.eye_branch(torch.cat([left, right]))  # one pass, shared weights
        features = [eyes[:n], eyes[n:]]
        if self.face_branch is not None:
            features.append(self.face_branch(self._resize(self._crop(x, "face"),
                                                          self.face_size)))
        return self.head(torch.cat(features, dim=1))


def _branch_features(options: dict) -> int:
    channels = options.get("channels", (24, 32, 48))
    pool = options.get("pool", (2, 2))
    return int(channels[-1] * pool[0] * pool[1])


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


@register_architecture("gaze_multi")
def _build_multi(input_shape: tuple[int, ...], n_outputs: int, **options) -> nn.Module:
    return MultiInputGaze(_image_channels("gaze_multi", input_shape), n_outputs, **options)
