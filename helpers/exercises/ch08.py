"""Chapter 08 exercises: learnpytorch.io's TinyVGG counted by hand, a class's recall from the confusion
matrix, and an optimizer that makes their TinyVGG learn in 50 steps."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from helpers import models
from helpers.data.tiny import FASHION_CLASSES, _fashion_images
from helpers.exercises.core import Exercise, Wrong, as_number, expect_close
from helpers.exercises.tiny import isolated
from helpers.i18n import tr

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
    if not callable(answer):
        raise Wrong(tr("give the function itself (tinyvgg_parameters, not tinyvgg_parameters(10)); got "
                       "{type_answer_name}", type_answer_name=type(answer).__name__))
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
    chapter="08", name="q1", title="learnpytorch.io's TinyVGG, counted by hand",
    checker=check_tinyvgg_parameters, solver=solve_tinyvgg_parameters,
    hints=["Four convolutions with `hidden` filters each: the first sees 1 channel, the others `hidden`.",
           "A 3x3 convolution c_in -> c_out has c_out x (c_in x 3 x 3 + 1) parameters; after two "
           "MaxPool(2) the classifier is Linear(hidden x 7 x 7, 10)."],
    wrong_answers=[lambda: lambda h: h * 9 + 3 * h * h * 9 + h * 49 * 10,  # no biases
                   lambda: lambda h: h * 10 + 3 * h * (h * 9 + 1) + h * 14 * 14 * 10 + 10,  # one pool
                   lambda: lambda h: 4 * h * 10 + h * 49 * 10 + 10],  # 1 input channel everywhere
)


# --- q2: recall of one class from the confusion matrix --------------------------------------------------

SHIRT = FASHION_CLASSES.index("Shirt")


def solve_shirt_recall(cm: torch.Tensor) -> float:
    return (cm[SHIRT, SHIRT] / cm[SHIRT].sum()).item()  # row = true class: of all real shirts, how many found


def check_shirt_recall(answer: Any, cm: torch.Tensor) -> str:
    cm = torch.as_tensor(cm, dtype=torch.float64)
    recall = (cm[SHIRT, SHIRT] / cm[SHIRT].sum()).item()
    precision = (cm[SHIRT, SHIRT] / cm[:, SHIRT].sum()).item()
    accuracy = (cm.trace() / cm.sum()).item()
    got = as_number(answer, tr("your recall"))
    if abs(got - recall) > 1e-6 and abs(got - precision) < 1e-6:
        raise Wrong(tr("{got:.4f} is the precision (the Shirt COLUMN: of the images called Shirt, how many "
                       "were shirts). Recall reads the Shirt ROW: of the real shirts, how many were found",
                       got=got))
    if abs(got - recall) > 1e-6 and abs(got - accuracy) < 1e-6:
        raise Wrong(tr("{got:.4f} is the overall accuracy (trace / total); the recall of Shirt uses the "
                       "Shirt row only", got=got))
    if abs(got - 100 * recall) < 1e-4:
        raise Wrong(tr("{got:g} is a percentage; give the fraction {recall:.4f}", got=got, recall=recall))
    expect_close(got, recall, rtol=0, atol=1e-6, what=tr("your recall of Shirt"),
                 hint=tr("Divide the diagonal cell of the Shirt row by the sum of that row."))
    return (tr("{recall:.1%} of the real shirts are found; {precision:.1%} of the images called Shirt are "
               "shirts.", recall=recall, precision=precision))


def _confusion_context() -> dict[str, Any]:
    gen = torch.Generator().manual_seed(8)
    cm = torch.randint(0, 30, (10, 10), generator=gen)
    cm += torch.diag(torch.randint(500, 900, (10,), generator=gen))
    return {"cm": cm}


q2 = Exercise(
    chapter="08", name="q2", title="The recall of Shirt",
    checker=check_shirt_recall, solver=solve_shirt_recall,
    hints=["Row i of the confusion matrix holds the images whose TRUE class is i.",
           "recall = cm[s, s] / cm[s].sum() with s = CLASSES.index('Shirt'); `.item()` makes it a number."],
    wrong_answers=[lambda cm: (cm[SHIRT, SHIRT] / cm[:, SHIRT].sum()).item(),   # precision: the column
                   lambda cm: (cm.trace() / cm.sum()).item(),                    # overall accuracy
                   lambda cm: (100 * cm[SHIRT, SHIRT] / cm[SHIRT].sum()).item()],  # a percentage
    context=_confusion_context,
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
    if not callable(answer):
        raise Wrong(tr("give the function itself (make_optimizer, not make_optimizer(model)); got "
                       "{type_answer_name}", type_answer_name=type(answer).__name__))
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
               "over learnpytorch.io's TinyVGG is the recipe, not the architecture: section 6 separates "
               "the two.", start=start, end=end, STEPS=STEPS))


q3 = Exercise(
    chapter="08", name="q3", title="Make learnpytorch.io's TinyVGG learn in 50 steps",
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
