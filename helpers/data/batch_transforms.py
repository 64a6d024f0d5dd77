"""Transforms for whole batches of tensors, on whatever device the batch is on (GPU or CPU).

The per-image transforms of :mod:`helpers.data.transforms` run in PIL, one image at a time, on
the CPU. With the decoded-image cache, batches arrive as uint8 tensors: they cross to the GPU as
uint8 (a quarter of the bytes of float32) and are augmented and normalised there, in one go.

:class:`BatchAugment` draws the same random operations, with the same distributions, as
``train_transform(augment, rotations)``: horizontal and vertical flips (p = 0.5 each), colour
jitter of brightness, contrast and saturation by factors in [0.8, 1.2] (no hue), rotations by up
to ±30° with the uncovered corners filled with the same grey (127), then normalisation with
``MEAN``/``STD``. Optional random crops (rescaled to the input size) are off by default, as in
the per-image pipeline. :class:`BatchNormalize` is the evaluation counterpart.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from helpers.data.transforms import JITTER, MAX_ROTATION, MEAN, ROTATION_FILL, STD

GREY_WEIGHTS = (0.299, 0.587, 0.114)
"""ITU-R 601 luma, the weights PIL's ``convert("L")`` uses (saturation and contrast blend with it)."""


def to_unit_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 (0-255) -> float32 in [0, 1]; a float batch is taken to be in [0, 1] already."""
    if batch.dtype == torch.uint8:
        return batch.float().div_(255.0)
    return batch.float()


@functools.lru_cache(maxsize=64)
def _constant(values: tuple[float, ...], device: torch.device) -> torch.Tensor:
    """A (1, C, 1, 1) float32 tensor of ``values`` on ``device``, made once: a copy to the GPU per batch
    from ordinary memory would make the CPU wait for the GPU."""
    return torch.tensor(values, dtype=torch.float32, device=device).view(1, -1, 1, 1)


def _rand(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """Uniform [0, 1) numbers on ``device``: drawn there, or from ``generator`` on the CPU and copied."""
    if generator is None:
        return torch.rand(shape, device=device)
    return torch.rand(shape, generator=generator).to(device)


def normalize_batch(batch: torch.Tensor, mean: Sequence[float] = MEAN,
                    std: Sequence[float] = STD) -> torch.Tensor:
    """(B, 3, H, W) uint8 or [0, 1] float -> float32 normalised by ``mean``/``std`` (the eval transform).

    One new tensor and two in-place passes (the /255 folded into the scale); the input is not modified.
    """
    unit = 255.0 if batch.dtype == torch.uint8 else 1.0
    out = batch.to(torch.float32, copy=True)
    scale = _constant(tuple(1 / (unit * s) for s in std), out.device)
    shift = _constant(tuple(m / s for m, s in zip(mean, std, strict=True)), out.device)
    return out.mul_(scale).sub_(shift)


def _grey(x: torch.Tensor) -> torch.Tensor:
    """Luma (B, 1, H, W) of an RGB batch."""
    return (x * _constant(GREY_WEIGHTS, x.device)).sum(dim=1, keepdim=True)


def _factors(n: int, strength: float, generator: torch.Generator | None,
             device: torch.device) -> torch.Tensor:
    """``n`` factors uniform in [1 - strength, 1 + strength], shaped to broadcast over (B, C, H, W)."""
    return (1 - strength + 2 * strength * _rand((n,), generator, device)).view(-1, 1, 1, 1)


def _rotate(x: torch.Tensor, degrees: torch.Tensor, fill: Sequence[float]) -> torch.Tensor:
    """Rotate each image by its angle about its centre (nearest pixel, as PIL), corners in ``fill``."""
    radians = degrees.to(x.dtype) * (math.pi / 180)
    cos, sin = torch.cos(radians), torch.sin(radians)
    zero = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    shade = _constant(tuple(fill), x.device)
    return F.grid_sample(x - shade, grid, mode="nearest", padding_mode="zeros", align_corners=False) + shade


def _crop(x: torch.Tensor, scale: tuple[float, float], ratio: tuple[float, float],
          generator: torch.Generator | None) -> torch.Tensor:
    """Random-resized crops: an area fraction in ``scale``, aspect in ``ratio``, resized back (bilinear)."""
    n = x.shape[0]
    u = _rand((4, n), generator, x.device)
    area = scale[0] + (scale[1] - scale[0]) * u[0]
    low, high = math.log(ratio[0]), math.log(ratio[1])
    aspect = torch.exp(low + (high - low) * u[1])
    width = torch.sqrt(area * aspect).clamp(max=1.0)
    height = torch.sqrt(area / aspect).clamp(max=1.0)
    cx = (1 - width) * (2 * u[2] - 1)  # centre in [-1, 1] coordinates, the crop inside the image
    cy = (1 - height) * (2 * u[3] - 1)
    zero = torch.zeros_like(width)
    theta = torch.stack([torch.stack([width, zero, cx], 1), torch.stack([zero, height, cy], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


class BatchAugment:
    """Random flips, colour jitter (no hue), optional rotations and crops for a batch, then normalise.

    ``batch`` is (B, 3, H, W), uint8 or float in [0, 1], on any device; each image gets its own
    random draw. The result is float32, normalised, on the same device. Random numbers are drawn on
    the batch's device from torch's generator there (``seed_everything`` makes runs repeatable), or
    from ``generator`` (a CPU generator) when one is given.
    """

    def __init__(self, augment: bool = True, rotations: bool = False, *,
                 crop_scale: tuple[float, float] | None = None,
                 crop_ratio: tuple[float, float] = (3 / 4, 4 / 3), normalize: bool = True,
                 generator: torch.Generator | None = None) -> None:
        self.augment, self.rotations, self.normalize = augment, rotations, normalize
        self.crop_scale, self.crop_ratio = crop_scale, crop_ratio
        self.generator = generator

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        if batch.dim() != 4 or batch.shape[1] != 3:
            raise ValueError(f"BatchAugment expects a (B, 3, H, W) batch, got shape {tuple(batch.shape)}")
        x = to_unit_float(batch)
        n, device, g = x.shape[0], x.device, self.generator
        if self.crop_scale is not None:
            x = _crop(x, self.crop_scale, self.crop_ratio, g)
        if self.augment:
            flips = _rand((n, 2), g, device) < 0.5
            x = torch.where(flips[:, 0].view(-1, 1, 1, 1), x.flip(3), x)
            x = torch.where(flips[:, 1].view(-1, 1, 1, 1), x.flip(2), x)
            # Brightness, contrast and saturation commute (up to clipping), so one fixed order gives the
            # distribution of torchvision's random order.
            x = (x * _factors(n, JITTER["brightness"], g, device)).clamp_(0, 1)
            mean = _grey(x).mean(dim=(2, 3), keepdim=True)
            x = (mean + _factors(n, JITTER["contrast"], g, device) * (x - mean)).clamp_(0, 1)
            grey = _grey(x)
            x = (grey + _factors(n, JITTER["saturation"], g, device) * (x - grey)).clamp_(0, 1)
        if self.rotations:
            degrees = (2 * _rand((n,), g, device) - 1) * MAX_ROTATION
            x = _rotate(x, degrees, [v / 255 for v in ROTATION_FILL])
        return normalize_batch(x) if self.normalize else x

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(augment={self.augment}, rotations={self.rotations}, "
                f"crop_scale={self.crop_scale}, normalize={self.normalize})")


class BatchNormalize:
    """The evaluation batch transform: uint8 or [0, 1] float -> normalised float32, on the batch's device."""

    def __init__(self, mean: Sequence[float] = MEAN, std: Sequence[float] = STD) -> None:
        self.mean, self.std = tuple(mean), tuple(std)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return normalize_batch(batch, self.mean, self.std)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"
