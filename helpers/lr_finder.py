"""The learning-rate range test (Smith, 2017; fastai's "LR finder"): which learning rates make a model learn.

:func:`lr_range_test` trains a model for a few dozen batches while the learning rate grows
exponentially from tiny to large, and records the loss after each step. At first the steps are too
small to change anything (the loss stays where it started), then the loss falls, fastest somewhere
in the middle, and at last the steps are too large and the loss shoots up. The model and its
optimiser are put back as they were, so the test costs only its batches. :func:`suggest_lr` reads
the curve the usual way: a tenth of the learning rate at which the smoothed loss is lowest (still
on the falling slope, safely below where it blows up). Chapter 8b runs it for the one-cycle
schedule, whose peak learning rate is the number such a test gives.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator

import pandas as pd
import torch
from torch import nn


def lr_range_test(
    model: nn.Module,
    loader: Iterable,
    *,
    start: float = 1e-6,
    end: float = 1.0,
    steps: int = 100,
    loss_fn: nn.Module | None = None,
    make_optimizer: Callable[[Iterable[nn.Parameter], float], torch.optim.Optimizer] | None = None,
    device: torch.device | str = "cpu",
    smoothing: float = 0.9,
    stop_factor: float = 4.0,
) -> pd.DataFrame:
    """Train ``steps`` batches with the learning rate growing from ``start`` to ``end``; the loss curve.

    ``make_optimizer(parameters, lr)`` builds the optimiser (default: Adam). The loader is cycled if it
    has fewer batches. The test stops early once the smoothed loss exceeds ``stop_factor`` times its
    lowest value (the rest of the curve would only diverge). The model's weights and mode are restored.
    Returns one row per step: ``lr``, ``loss`` and ``smoothed`` (an exponential moving average of the
    loss with weight ``smoothing``, bias-corrected as in Adam).
    """
    if not 0 < start < end or steps < 2:
        raise ValueError(f"need 0 < start < end and steps >= 2, got start={start}, end={end}, steps={steps}")
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    make_optimizer = make_optimizer or (lambda params, lr: torch.optim.Adam(params, lr=lr))
    saved, was_training = copy.deepcopy(model.state_dict()), model.training
    optimizer = make_optimizer(model.parameters(), start)
    factor = (end / start) ** (1 / (steps - 1))
    rows, average, best = [], 0.0, math.inf
    model.train()
    try:
        batches = _cycle(loader)
        for step in range(steps):
            lr = start * factor**step
            for group in optimizer.param_groups:
                group["lr"] = lr
            images, labels = next(batches)
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            value = float(loss.detach())
            average = smoothing * average + (1 - smoothing) * value
            smoothed = average / (1 - smoothing ** (step + 1))
            rows.append({"lr": lr, "loss": value, "smoothed": smoothed})
            best = min(best, smoothed)
            if not math.isfinite(smoothed) or smoothed > stop_factor * best:
                break
    finally:
        model.load_state_dict(saved)
        model.train(was_training)
    return pd.DataFrame(rows)


def _cycle(loader: Iterable) -> Iterator:
    """The loader's batches, over and over."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("the loader gave no batch")


def suggest_lr(curve: pd.DataFrame) -> float:
    """A tenth of the learning rate at the lowest smoothed loss of :func:`lr_range_test`'s curve."""
    finite = curve[curve["smoothed"].apply(math.isfinite)]
    if finite.empty:
        raise ValueError("the curve has no finite loss")
    return float(finite.loc[finite["smoothed"].idxmin(), "lr"]) / 10
