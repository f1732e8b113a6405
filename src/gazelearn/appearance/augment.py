"""Photometric and small geometric augmentation of eye-image batches, on torch tensors.

Brightness, contrast, small shifts (at most a few pixels, so the gaze label stays right), blur
and sensor noise, each drawn per image. Applied inside the training loop only (never at
prediction), on images already scaled to about [0, 1].

Examples
--------
>>> import torch
>>> aug = Augment(seed=0)
>>> x = torch.rand(4, 1, 36, 64)
>>> y = aug(x)
>>> tuple(y.shape), bool((y != x).any())
((4, 1, 36, 64), True)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["Augment"]


class Augment:
    """Random brightness, contrast, shift, blur and noise per image.

    Parameters
    ----------
    brightness : float
        Largest additive change (fraction of the [0, 1] range).
    contrast : float
        Largest relative contrast change (0.2: factor 0.8..1.2 around the image mean).
    shift : int
        Largest translation in pixels (each axis), with edge replication.
    blur : float
        Probability of a 3x3 Gaussian blur.
    noise : float
        Largest standard deviation of additive Gaussian noise.
    seed : int, optional
        Seed of a private generator (repeatable augmentation); None uses torch's global one.
    """

    def __init__(self, brightness: float = 0.1, contrast: float = 0.2, shift: int = 2,
                 blur: float = 0.3, noise: float = 0.03, seed: int | None = None) -> None:
        self.brightness = brightness
        self.contrast = contrast
        self.shift = shift
        self.blur = blur
        self.noise = noise
        self.generator = None if seed is None else torch.Generator().manual_seed(seed)

    def _rand(self, *shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=self.generator)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Augmented copy of ``x`` ``(n, c, h, w)``."""
        n = x.shape[0]
        x = x.clone()
        if self.contrast:
            factor = 1 + self.contrast * (2 * self._rand(n, 1, 1, 1) - 1)
            mean = x.mean(dim=(1, 2, 3), keepdim=True)
            x = (x - mean) * factor + mean
        if self.brightness:
            x = x + self.brightness * (2 * self._rand(n, 1, 1, 1) - 1)
        if self.shift:
            s = self.shift
            padded = F.pad(x, (s, s, s, s), mode="replicate")
            dx = torch.randint(0, 2 * s + 1, (n,), generator=self.generator)
            dy = torch.randint(0, 2 * s + 1, (n,), generator=self.generator)
            h, w = x.shape[2], x.shape[3]
            x = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
        if self.blur:
            kernel = torch.tensor([1.0, 2.0, 1.0])
            kernel = (kernel[:, None] * kernel[None, :]) / 16
            c = x.shape[1]
            weight = kernel.expand(c, 1, 3, 3).to(x)
            blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), weight, groups=c)
            chosen = (self._rand(n, 1, 1, 1) < self.blur).to(x)
            x = chosen * blurred + (1 - chosen) * x
        if self.noise:
            sd = self.noise * self._rand(n, 1, 1, 1)
            x = x + sd * torch.randn(x.shape, generator=self.generator)
        return x
