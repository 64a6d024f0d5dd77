"""Chapter 08b exercises: learnpytorch.io's TinyVGG counted by hand, the bias-corrected smoothed loss of the
learning-rate range test, and an optimizer that makes their TinyVGG learn in 50 steps."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from helpers import models
from helpers.data.tiny import _fashion_images
from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable
from helpers.exercises.tiny import isolated
from helpers.i18n import mark, tr

# --- q1: learnpytorch.io's TinyVGG, counted by hand ---------------------------------------------------


def solve_tinyvgg_parameters() -> Any:
    def tinyvgg_parameters(hidden: int) -> int:
        """learnpytorch.io's TinyVGG: four 3x3 convolutions of `hidden` channels, a Linear classifier."""
        first = hidden * (1 * 3 * 3 + 1)            # 1 grey channel in: 1x3x3 filters + a bias each
        others = 3 * hidden * (hidden * 3 * 3 + 1)  # three convolutions hidden -> hidden
        classifier = hidden * 7 * 7 * 10 + 10       # two MaxPool(2): 28 -> 14 -> 7
        return first + others + classifier

    return tinyvgg_parameters


def check_tinyvgg_parameters(answer: Any) -> str:
    expect_callable(answer, "tinyvgg_parameters", "tinyvgg_parameters(10)")
    for hidden in (10, 1, 4, 32):
        got = as_number(answer(hidden), f"tinyvgg_parameters({hidden})")
        expected = models.count_parameters(models.learnpytorch_tinyvgg(hidden=hidden))
        if got == expected:
            continue
        no_bias = 4 * hidden + 10
        if got == expected - no_bias:
            hint = tr("You forgot the biases: every filter and every output of the Linear layer has one.")
        elif got == expected - hidden * 7 * 7 * 10 + hidden * 14 * 14 * 10:
            hint = tr("The classifier sees 7 x 7 maps: each MaxPool(2) halves the side (28 -> 14 -> 7).")
        elif got == expected - 3 * hidden * (hidden * 9 + 1) + 3 * hidden * 10:
            hint = tr("A filter covers every input channel: hidden x 3 x 3 weights after the first layer.")
        else:
            hint = (tr("Count each layer: a 3x3 convolution c_in -> c_out has c_out x (c_in x 9 + 1) "
                       "parameters, a Linear layer out x (in + 1)."))
        raise Wrong(tr("tinyvgg_parameters({hidden}) returned {got:g}, the model has {expected:,}. {hint}",
                       hidden=hidden, got=got, expected=expected, hint=hint))
    total = solve_tinyvgg_parameters()(10)
    return (tr("{total:,} parameters for hidden_units=10, {value:.0%} of them in the classifier: the "
               "convolutions share theirs over the whole image.", total=total,
               value=(10 * 49 * 10 + 10) / total))


q1 = Exercise(
    chapter="08b", name="q1", title="learnpytorch.io's TinyVGG, counted by hand",
    checker=check_tinyvgg_parameters, solver=solve_tinyvgg_parameters,
    hints=["Four convolutions with `hidden` filters each: the first sees 1 channel, the others `hidden`.",
           "A 3x3 convolution c_in -> c_out has c_out x (c_in x 3 x 3 + 1) parameters; after two "
           "MaxPool(2) the classifier is Linear(hidden x 7 x 7, 10)."],
    wrong_answers=[lambda: lambda h: h * 9 + 3 * h * h * 9 + h * 49 * 10,  # no biases
                   lambda: lambda h: h * 10 + 3 * h * (h * 9 + 1) + h * 14 * 14 * 10 + 10,  # one pool
                   lambda: lambda h: 4 * h * 10 + h * 49 * 10 + 10],  # 1 input channel everywhere
)


# --- q2: the smoothed loss of the range test -------------------------------------------------------------


def solve_smooth(curve: pd.DataFrame | None = None) -> Any:
    def smooth(losses: list[float], beta: float = 0.9) -> list[float]:
        """Exponential moving average of ``losses`` with weight ``beta``, bias-corrected as in Adam."""
        average, smoothed = 0.0, []
        for step, loss in enumerate(losses):
            average = beta * average + (1 - beta) * loss       # starts at 0: too low for the first steps
            smoothed.append(average / (1 - beta ** (step + 1)))  # the correction: weights that sum to 1
        return smoothed

    return smooth


def _reference(losses: list[float], beta: float) -> list[float]:
    return solve_smooth()(losses, beta)


def _sequences() -> dict[str, tuple[list[float], float]]:
    """A constant loss (the bias shows at once), a falling-then-rising range test, another weight."""
    falling_rising = [2.3, 2.31, 2.2, 2.0, 1.7, 1.3, 0.9, 0.7, 0.65, 0.8, 1.4, 2.9, 5.0]
    return {mark("a constant loss of 2.3"): ([2.3] * 6, 0.9),
            mark("a range test's losses"): (falling_rising, 0.9),
            mark("the same with beta = 0.5"): (falling_rising, 0.5)}


def _values(answer: Any, losses: list[float], beta: float) -> np.ndarray:
    got = answer(list(losses), beta)
    try:
        values = np.asarray([float(v) for v in got], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise Wrong(tr("smooth should return one number per loss (a list), got {got_type}",
                       got_type=type(got).__name__)) from error
    if len(values) != len(losses):
        raise Wrong(tr("smooth returned {got} values for {n} losses: one smoothed value per step",
                       got=len(values), n=len(losses)))
    return values


def check_smooth(answer: Any, curve: pd.DataFrame | None = None) -> str:
    expect_callable(answer, "smooth")
    for case, (losses, beta) in _sequences().items():
        got, right = _values(answer, losses, beta), np.asarray(_reference(losses, beta))
        if np.allclose(got, right, rtol=1e-9, atol=1e-12):
            continue
        uncorrected = np.asarray(_uncorrected()(losses, beta))
        swapped = np.asarray(_swapped()(losses, beta)) if beta != 0.5 else None  # at 0.5 a swap is no mistake
        running_mean = np.asarray(_running_mean()(losses, beta))
        if np.allclose(got, uncorrected):
            hint = tr("Without the correction the average starts at (1 - beta) x the first loss ({first:.3f} "
                      "here), far below the loss: divide step t's average by 1 - beta**(t + 1).",
                      first=uncorrected[0])
        elif swapped is not None and np.allclose(got, swapped):
            hint = tr("beta is the weight of the PAST average; the new loss gets 1 - beta.")
        elif np.allclose(got, running_mean):
            hint = tr("That is the running mean: it weighs every loss alike, so the curve remembers the "
                      "first steps forever. An exponential average forgets at rate beta.")
        else:
            hint = tr("average = beta * average + (1 - beta) * loss, then average / (1 - beta ** (t + 1)).")
        raise Wrong(tr("for {case} your values are {got}, expected {right}. {hint}", case=case,
                       got=np.round(got, 4).tolist(), right=np.round(right, 4).tolist(), hint=hint))
    if curve is not None and len(curve):
        mine = _values(answer, curve["loss"].tolist(), 0.9)
        if not np.allclose(mine, curve["smoothed"].to_numpy(), rtol=1e-9, atol=1e-12):
            raise Wrong(tr("on section 3's curve your values differ from its `smoothed` column (largest "
                           "difference {gap:.3g})", gap=float(np.abs(mine - curve["smoothed"]).max())))
        shown = tr(" It gives section 3's `smoothed` column exactly, all {n} steps.", n=len(curve))
    else:
        shown = ""
    return tr("with beta = 0.9 the loss of 22 steps ago counts {share:.3f} times as much as the newest: "
              "the curve follows the learning rate, not the first batches. The correction is Adam's "
              "(chapter 7b): without it the first value would be a tenth of the loss.", share=0.9**22) + shown


def _uncorrected() -> Any:
    return lambda losses, beta=0.9: [a * (1 - beta ** (t + 1))               # the average, not divided
                                     for t, a in enumerate(_reference(losses, beta))]


def _swapped() -> Any:
    return lambda losses, beta=0.9: _reference(losses, 1 - beta)


def _running_mean() -> Any:
    return lambda losses, beta=0.9: list(np.cumsum(losses) / np.arange(1, len(losses) + 1))


def _curve_context() -> dict[str, Any]:
    losses = [2.3, 2.28, 2.25, 2.1, 1.9, 1.5, 1.1, 0.9, 1.3, 2.6]
    return {"curve": pd.DataFrame({"loss": losses, "smoothed": _reference(losses, 0.9)})}


q2 = Exercise(
    chapter="08b", name="q2", title="The smoothed loss of the range test",
    checker=check_smooth, solver=solve_smooth,
    hints=["Keep a running `average` that starts at 0; at each step it becomes beta * average + "
           "(1 - beta) * loss.",
           "Its weights sum to 1 - beta**(t + 1) after t + 1 steps, not to 1: divide by that, as Adam "
           "does for its moments."],
    wrong_answers=[lambda curve=None: _uncorrected(), lambda curve=None: _swapped(),
                   lambda curve=None: _running_mean()],
    context=_curve_context,
)


# --- q3: an optimizer that makes learnpytorch.io's TinyVGG learn in 50 steps ----------------------------

STEPS, BATCH = 50, 32


def solve_make_optimizer() -> Any:
    def make_optimizer(model: nn.Module) -> torch.optim.Optimizer:
        """Adam adapts each weight's step size: the small model moves in a few steps."""
        return torch.optim.Adam(model.parameters(), lr=3e-3)

    return make_optimizer


def training_losses(make_optimizer: Any, steps: int = STEPS) -> list[float]:
    """The losses of ``steps`` training steps of learnpytorch.io's TinyVGG on a small generated
    FashionMNIST stand-in (160 images), with the optimizer ``make_optimizer(model)`` returns."""
    images, labels = _fashion_images(16, np.random.default_rng(8))
    x = torch.from_numpy(images).float().div(255).unsqueeze(1)
    y = torch.from_numpy(labels).long()
    with isolated(seed=0):  # one thread, seeded; the notebook's random numbers left alone
        model = models.learnpytorch_tinyvgg()
        optimizer = make_optimizer(model)
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise Wrong(tr("make_optimizer(model) should return a torch.optim optimizer, got "
                           "{type_optimizer_name}", type_optimizer_name=type(optimizer).__name__))
        order = torch.Generator().manual_seed(0)
        loss_fn, losses = nn.CrossEntropyLoss(), []
        for _ in range(steps):
            batch = torch.randint(0, len(y), (BATCH,), generator=order)
            loss = loss_fn(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def check_make_optimizer(answer: Any) -> str:
    expect_callable(answer, "make_optimizer", "make_optimizer(model)")
    probe = models.learnpytorch_tinyvgg()
    optimizer = answer(probe)
    if isinstance(optimizer, torch.optim.Optimizer):
        given = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if not given & {id(p) for p in probe.parameters()}:
            raise Wrong(tr("your optimizer holds none of the model's parameters: pass model.parameters() "
                           "to it"))
    losses = training_losses(answer)
    start, end = losses[0], float(np.mean(losses[-5:]))  # the first loss is before any update: ~ln(10)
    if not all(math.isfinite(loss) for loss in losses) or max(losses) > 5 * start:
        raise Wrong(tr("the loss exploded (it started at {start:.2f} and reached {max_losses:.3g} within "
                       "{STEPS} steps): the learning rate is far too large", start=start,
                       max_losses=max(losses), STEPS=STEPS))
    if end > 0.5 * start:
        raise Wrong(tr("after {STEPS} steps the loss is still {end:.2f} (it started at {start:.2f}): the "
                       "model hardly learned. With SGD at lr 0.1 (learnpytorch.io's recipe) this model "
                       "needs many more steps to start; try an optimizer that scales each weight's step "
                       "(Adam)", STEPS=STEPS, end=end, start=start))
    return (tr("the loss fell from {start:.2f} to {end:.2f} in {STEPS} steps. Part of the course's lead "
               "over learnpytorch.io's TinyVGG is the recipe, not the architecture: section 4 separates "
               "the two.", start=start, end=end, STEPS=STEPS))


q3 = Exercise(
    chapter="08b", name="q3", title="Make learnpytorch.io's TinyVGG learn in 50 steps",
    checker=check_make_optimizer, solver=solve_make_optimizer,
    hints=["With SGD at lr 0.1 (learnpytorch.io's recipe) this model's loss stays near ln(10) = 2.30 for "
           "the first 50 steps: `ex.training_losses(lambda m: torch.optim.SGD(m.parameters(), lr=0.1))` "
           "shows it.",
           "torch.optim.Adam(model.parameters(), lr=...) divides each gradient by its running size; "
           "try a learning rate between 1e-3 and 1e-2."],
    wrong_answers=[lambda: lambda model: torch.optim.SGD(model.parameters(), lr=0.1),  # their recipe: slow
                   lambda: lambda model: torch.optim.SGD(model.parameters(), lr=10.0),  # explodes
                   lambda: lambda model: torch.optim.Adam(nn.Linear(2, 2).parameters())],  # not its weights
)
