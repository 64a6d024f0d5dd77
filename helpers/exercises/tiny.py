"""Tiny experiments for the model chapters' checks: small networks, a few steps, the same result every time.

A check that trains or differentiates runs inside :func:`isolated`: one CPU thread (tiny tensors gain
nothing from more, and on a busy shared machine extra threads make them many times slower) and a
private random state (the notebook's random numbers are the same after the check as before it).
Training goes through :func:`helpers.engine.train_one_epoch`, the course's one training loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from helpers import engine


@contextmanager
def isolated(seed: int = 0) -> Iterator[None]:
    """Seed ``seed`` and one CPU thread inside; the caller's random state and thread count after."""
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def train_steps(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                optimizer: torch.optim.Optimizer, steps: int, loss_fn: Loss | None = None) -> None:
    """``steps`` optimiser steps on the one batch ``(images, labels)``, with helpers.engine's loop."""
    engine.train_one_epoch(model, [(images, labels)] * steps, loss_fn or nn.CrossEntropyLoss(), optimizer,
                           torch.device("cpu"), progress=False)


def weight_grad_norms(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> list[float]:
    """Gradient norm of every Conv2d and Linear weight (input to output) after one cross-entropy backward."""
    model.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(images), labels).backward()
    return [m.weight.grad.norm().item() for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
