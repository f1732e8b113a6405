"""Network factories: small, explicit ``torch.nn.Module`` builders for gaze data.

Inputs follow one convention: feature vectors ``(n, features)``, windows of gaze signals
``(n, length, channels)`` (time first, as :func:`gazelearn.windows.make_windows` gives them)
and images ``(n, channels, height, width)``. Every factory takes explicit arguments and returns a
plain module whose output is ``(n, n_outputs)`` (class scores or regression targets).
:func:`build` picks a factory by name from the input shape; :func:`register_architecture` adds
new ones.

Examples
--------
>>> import torch
>>> net = build("conv1d", input_shape=(100, 2), n_outputs=3)
>>> tuple(net(torch.zeros(4, 100, 2)).shape)
(4, 3)
>>> tuple(build("gru", (50, 2), 1)(torch.zeros(2, 50, 2)).shape)
(2, 1)
>>> {'conv1d', 'conv2d', 'gru', 'lstm', 'mlp'} <= set(ARCHITECTURES)  # domains add theirs
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from gazelearn.errors import InputError
from gazelearn.registry import Registry

Builder = Callable[..., nn.Module]
ARCHITECTURES: Registry[Builder] = Registry("architecture")


def register_architecture(name: str) -> Callable[[Builder], Builder]:
    """Register ``builder(input_shape, n_outputs, **options) -> nn.Module`` under ``name``."""
    return ARCHITECTURES.register(name)


def build(name: str, input_shape: Sequence[int], n_outputs: int, **options) -> nn.Module:
    """Build the network ``name`` for samples of ``input_shape`` (without the batch axis)."""
    builder = ARCHITECTURES.get(name)
    try:
        return builder(tuple(int(s) for s in input_shape), int(n_outputs), **options)
    except TypeError as error:
        raise InputError(f"architecture {name!r}: {error}") from None


def _activation(name: str) -> nn.Module:
    choices = {"relu": nn.ReLU, "gelu": nn.GELU, "elu": nn.ELU, "tanh": nn.Tanh}
    if name not in choices:
        raise InputError(f"unknown activation {name!r}; choose from {', '.join(choices)}")
    return choices[name]()


def mlp(in_features: int, n_outputs: int, hidden: Sequence[int] = (128, 64),
        dropout: float = 0.1, activation: str = "relu") -> nn.Sequential:
    """Multi-layer perceptron; inputs of any shape are flattened first.

    Parameters
    ----------
    in_features : int
        Number of input values per sample (after flattening).
    n_outputs : int
        Output units.
    hidden : sequence of int
        Width of each hidden layer.
    dropout : float
        Dropout after each hidden layer.
    activation : str
        ``relu``, ``gelu``, ``elu`` or ``tanh``.
    """
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_features
    for size in hidden:
        layers += [nn.Linear(width, size), _activation(activation)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


class _ChannelsFirst(nn.Module):
    """``(n, length, channels)`` to ``(n, channels, length)`` for Conv1d."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2)


def conv1d(in_channels: int, n_outputs: int, channels: Sequence[int] = (32, 64, 64),
           kernel_size: int = 5, dropout: float = 0.1, batch_norm: bool = True,
           pool: int = 2) -> nn.Sequential:
    """1-D CNN over windows ``(n, length, channels)``: conv blocks, global average pool, linear.

    Parameters
    ----------
    in_channels : int
        Signal channels (e.g. 2 for x and y).
    n_outputs : int
        Output units.
    channels : sequence of int
        Filters of each convolution block (conv, batch norm, ReLU, max-pool by ``pool``).
    kernel_size : int
        Odd kernel length; padding keeps the length.
    dropout : float
        Dropout before the linear head.
    batch_norm : bool
        Batch normalisation after each convolution.
    pool : int
        Max-pool factor after each block but the last (1 = none).
    """
    layers: list[nn.Module] = [_ChannelsFirst()]
    width = in_channels
    for i, size in enumerate(channels):
        layers.append(nn.Conv1d(width, size, kernel_size, padding=kernel_size // 2))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(nn.ReLU())
        if pool > 1 and i < len(channels) - 1:
            layers.append(nn.MaxPool1d(pool, ceil_mode=True))
        width = size
    layers += [nn.AdaptiveAvgPool1d(1), nn.Flatten()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def conv2d(in_channels: int, n_outputs: int, channels: Sequence[int] = (16, 32, 64),
           kernel_size: int = 3, dropout: float = 0.1, batch_norm: bool = True,
           hidden: int = 0) -> nn.Sequential:
    """2-D CNN over images ``(n, channels, height, width)`` (eye crops, heat maps).

    Parameters
    ----------
    in_channels : int
        Image channels (1 grey, 3 colour).
    n_outputs : int
        Output units.
    channels : sequence of int
        Filters per block (conv, batch norm, ReLU, 2x2 max-pool).
    kernel_size : int
        Odd kernel size.
    dropout : float
        Dropout before the head.
    batch_norm : bool
        Batch normalisation after each convolution.
    hidden : int
        Width of an extra hidden layer in the head (0 = none).
    """
    layers: list[nn.Module] = []
    width = in_channels
    for size in channels:
        layers.append(nn.Conv2d(width, size, kernel_size, padding=kernel_size // 2))
        if batch_norm:
            layers.append(nn.BatchNorm2d(size))
        layers += [nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
        width = size
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    if hidden:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


class RecurrentNet(nn.Module):
    """LSTM or GRU over windows ``(n, length, channels)``; final states feed a linear head.

    Parameters
    ----------
    in_channels : int
        Signal channels.
    n_outputs : int
        Output units.
    cell : {"lstm", "gru"}
    hidden : int
        Hidden units per direction.
    layers : int
        Stacked recurrent layers.
    bidirectional : bool
        Also read the window backwards (the head sees both final states).
    dropout : float
        Dropout between recurrent layers and before the head.
    """

    def __init__(self, in_channels: int, n_outputs: int, cell: str = "lstm", hidden: int = 64,
                 layers: int = 1, bidirectional: bool = True, dropout: float = 0.1) -> None:
        super().__init__()
        kinds = {"lstm": nn.LSTM, "gru": nn.GRU}
        if cell not in kinds:
            raise InputError(f"cell must be 'lstm' or 'gru', got {cell!r}")
        self.rnn = kinds[cell](in_channels, hidden, num_layers=layers, batch_first=True,
                               bidirectional=bidirectional,
                               dropout=dropout if layers > 1 else 0.0)
        self.hidden = hidden
        self.bidirectional = bidirectional
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        last = out[:, -1, : self.hidden]
        if self.bidirectional:
            last = torch.cat([last, out[:, 0, self.hidden:]], dim=1)
        return self.head(self.dropout(last))


def _sequence_shape(name: str, input_shape: tuple[int, ...]) -> tuple[int, int]:
    if len(input_shape) == 1:
        return input_shape[0], 1  # a plain signal: one channel
    if len(input_shape) != 2:
        raise InputError(f"{name} needs windows of shape (n, length, channels); got samples of "
                         f"shape {input_shape}")
    return input_shape


@register_architecture("mlp")
def _build_mlp(input_shape: tuple[int, ...], n_outputs: int, **options) -> nn.Module:
    return mlp(math.prod(input_shape), n_outputs, **options)


@register_architecture("conv1d")
def _build_conv1d(input_shape: tuple[int, ...], n_outputs: int, **options) -> nn.Module:
    _, channels = _sequence_shape("conv1d", input_shape)
    net = conv1d(channels, n_outputs, **options)
    if len(input_shape) == 1:
        net.insert(0, nn.Unflatten(1, (input_shape[0], 1)))
    return net


@register_architecture("conv2d")
def _build_conv2d(input_shape: tuple[int, ...], n_outputs: int, **options) -> nn.Module:
    if len(input_shape) != 3:
        raise InputError(f"conv2d needs images of shape (n, channels, height, width); got "
                         f"samples of shape {input_shape}")
    return conv2d(input_shape[0], n_outputs, **options)


def _recurrent(cell: str) -> Builder:
    def builder(input_shape: tuple[int, ...], n_outputs: int, **options) -> nn.Module:
        _, channels = _sequence_shape(cell, input_shape)
        net = RecurrentNet(channels, n_outputs, cell=cell, **options)
        if len(input_shape) == 1:
            return nn.Sequential(nn.Unflatten(1, (input_shape[0], 1)), net)
        return net

    return builder


register_architecture("lstm")(_recurrent("lstm"))
register_architecture("gru")(_recurrent("gru"))
