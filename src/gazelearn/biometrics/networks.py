"""Embedding networks: any registered window encoder, L2-normalised, or with a softmax head.

The encoders are the registered architectures of :mod:`gazelearn.nn.architectures` (``conv1d``,
``gru``, ``lstm`` or any added later) built with ``n_outputs = embedding_dim``: their last linear
layer *is* the embedding. :class:`EmbeddingNet` normalises it to unit length (triplet training
and every embedding gazelearn returns); :class:`SoftmaxNet` puts a linear person classifier on
top for the softmax baseline, whose embedding is then the layer before the classifier.

Examples
--------
>>> import torch
>>> net = EmbeddingNet(encoder("conv1d", (50, 3), 16))
>>> out = net(torch.randn(4, 50, 3))
>>> tuple(out.shape), bool(torch.allclose(out.norm(dim=1), torch.ones(4)))
((4, 16), True)
>>> tuple(SoftmaxNet(encoder("gru", (50, 3), 16, hidden=8), 5)(torch.randn(2, 50, 3)).shape)
(2, 5)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from gazelearn.nn.architectures import build

#: Default encoder options: small enough to train in minutes on one CPU thread.
DEFAULT_OPTIONS = {
    "conv1d": {"channels": (32, 64, 64), "kernel_size": 5, "dropout": 0.1},
    "gru": {"hidden": 48, "layers": 1, "bidirectional": True, "dropout": 0.1},
}


def encoder(architecture: str, input_shape: Sequence[int], embedding_dim: int,
            **options) -> nn.Module:
    """A registered architecture with ``embedding_dim`` outputs (defaults for conv1d / gru)."""
    merged = {**DEFAULT_OPTIONS.get(architecture, {}), **options}
    return build(architecture, input_shape, embedding_dim, **merged)


class EmbeddingNet(nn.Module):
    """``encoder`` followed by L2 normalisation: embeddings on the unit sphere."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.encoder(x), dim=1)


class SoftmaxNet(nn.Module):
    """``encoder`` followed by a linear layer of ``n_classes`` person scores (logits).

    The encoder's output (a linear bottleneck of ``embedding_dim`` units) is the embedding.
    """

    def __init__(self, encoder: nn.Module, n_classes: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(_width(encoder), n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def _width(module: nn.Module) -> int:
    last = [m for m in module.modules() if isinstance(m, nn.Linear)][-1]
    return int(last.out_features)
