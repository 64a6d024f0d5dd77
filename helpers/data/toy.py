"""Chapter 7's two-dimensional data sets: two rings (binary) and three spiral arms (three classes).

Chapter 7a writes both generators out and checks that these give the same points; chapter 7b, and
the exercises of both, draw their data here. The split is chapter 6's shuffle-and-cut, 70 / 15 / 15 %.
"""

from __future__ import annotations

import math

import torch

from helpers.data.splits import split_indices

FRACTIONS = (0.7, 0.15, 0.15)
"""Train, validation and test shares of :func:`split`."""


def make_circles(n: int, noise: float = 0.1, inner: float = 0.5,
                 seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` 2-D points on two noisy rings: outer (radius 1) class 0, inner class 1 (float labels)."""
    gen = torch.Generator().manual_seed(seed)
    labels = (torch.arange(n) % 2).float()  # alternate 0, 1: balanced classes
    radius = torch.where(labels == 1, inner, 1.0)
    angle = 2 * math.pi * torch.rand(n, generator=gen)
    points = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    return points + noise * torch.randn(n, 2, generator=gen), labels


def make_spirals(n_per_class: int, classes: int = 3, noise: float = 0.2,
                 seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``classes`` interleaved spiral arms in 2-D, ``n_per_class`` noisy points each (integer labels)."""
    gen = torch.Generator().manual_seed(seed)
    points, labels = [], []
    for c in range(classes):
        radius = torch.linspace(0.0, 1.0, n_per_class)
        wobble = noise * torch.randn(n_per_class, generator=gen)
        angle = torch.linspace(4.0 * c, 4.0 * (c + 1), n_per_class) + wobble
        points.append(torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1))
        labels.append(torch.full((n_per_class,), c))
    return torch.cat(points), torch.cat(labels)


def split(X: torch.Tensor, y: torch.Tensor, seed: int = 42) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Train / validation / test (70 / 15 / 15 %) with chapter 6's shuffle-and-cut."""
    return [(X[idx], y[idx]) for idx in split_indices(len(X), FRACTIONS, seed=seed)]
