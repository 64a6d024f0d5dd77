"""Chapter 07a exercises: BCE from logits, one accuracy for both heads, a feature for the rings."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from helpers.data import toy
from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable, expect_type
from helpers.exercises.tiny import isolated
from helpers.i18n import mark, tr

# --- q1: BCE from logits -----------------------------------------------------------------------------


def solve_bce() -> Any:
    def bce_with_logits(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean binary cross-entropy of float targets (0./1.) given logits, numerically stable."""
        # -log sigmoid(z) = softplus(-z) and -log(1 - sigmoid(z)) = softplus(z)
        return (targets * F.softplus(-logits) + (1 - targets) * F.softplus(logits)).mean()

    return bce_with_logits


def check_bce(answer: Any) -> str:
    expect_callable(answer, "bce_with_logits")
    cases = {mark("ordinary logits"): (torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0]),
                                 torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0])),
             mark("a (N, 1) column"): (torch.tensor([[1.5], [-2.0]]), torch.tensor([[1.0], [1.0]])),
             mark("confident and wrong"): (torch.tensor([-200.0, 150.0]), torch.tensor([1.0, 0.0])),
             mark("confident and right"): (torch.tensor([200.0, -150.0]), torch.tensor([1.0, 0.0]))}
    for what, (logits, targets) in cases.items():
        got = answer(logits, targets)
        expect_type(got, torch.Tensor, tr("bce_with_logits on {what}", what=what))
        if got.numel() != 1:
            raise Wrong(tr("for {what} you return a tensor of shape {tuple_got_shape}: average the "
                           "per-sample losses into one number (.mean())", what=what,
                           tuple_got_shape=tuple(got.shape)))
        expected = F.binary_cross_entropy_with_logits(logits, targets).item()
        value = got.item()
        if not math.isfinite(value):
            raise Wrong(tr("for {what} (logits {logits_flatten_tolist}) you return {value}: exp or log "
                           "overflowed. Write -log σ(z) as softplus(-z) and -log(1 - σ(z)) as softplus(z)",
                           what=what, logits_flatten_tolist=logits.flatten().tolist(), value=value))
        if abs(value - expected) > 1e-4 * max(1.0, abs(expected)):
            if what == "confident and wrong" and abs(value - 100.0) < 1e-3:
                hint = tr(" That is BCELoss's clamp at 100: your log(sigmoid) underflowed to log(0)")
            elif abs(value + expected) < 1e-4 * max(1.0, abs(expected)):
                hint = tr(" The sign is wrong: the loss is MINUS the log-probability of the true class")
            else:
                hint = tr(" Per sample: t·softplus(-z) + (1 - t)·softplus(z), then the mean")
            raise Wrong(tr("for {what} (logits {logits_flatten_tolist}, targets {targets_flatten_tolist}) "
                           "you return {value:.6g}, expected {expected:.6g}.{hint}", what=what,
                           logits_flatten_tolist=logits.flatten().tolist(),
                           targets_flatten_tolist=targets.flatten().tolist(), value=value,
                           expected=expected, hint=hint))
    return tr("the logit form never computes sigmoid(z), so nothing underflows: this is BCEWithLogitsLoss.")


def _naive_bce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    p = torch.sigmoid(logits)
    return -(targets * p.log() + (1 - targets) * (1 - p).log()).mean()


q1 = Exercise(
    chapter="07a", name="q1", title="Binary cross-entropy from logits",
    checker=check_bce, solver=solve_bce,
    hints=["With p = σ(z): -log p = log(1 + e^(-z)) = softplus(-z), and -log(1 - p) = log(1 + e^z) = "
           "softplus(z).",
           "return (targets * F.softplus(-logits) + (1 - targets) * F.softplus(logits)).mean()"],
    wrong_answers=[lambda: _naive_bce,
                   lambda: lambda z, t: -(t * F.softplus(-z) + (1 - t) * F.softplus(z)).mean(),
                   lambda: lambda z, t: nn.BCELoss()(torch.sigmoid(z), t)],
)


# --- q2: one accuracy for both kinds of model --------------------------------------------------------


def solve_accuracy() -> Any:
    def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
        """Fraction of correct predictions, for one logit per sample or one per class."""
        if logits.dim() == 1 or logits.shape[1] == 1:
            predicted = (logits.reshape(-1) > 0).float()
            return (predicted == targets.reshape(-1).float()).float().mean().item()
        return (logits.argmax(dim=1) == targets).float().mean().item()

    return accuracy


def check_accuracy(answer: Any) -> str:
    expect_callable(answer, "accuracy")
    cases = [(mark("one logit per sample, shape (N, 1)"), torch.tensor([[2.0], [-1.0], [0.5], [-0.2]]),
              torch.tensor([[1.0], [0.0], [0.0], [0.0]]), 0.75),
             (mark("one logit per sample, shape (N,)"), torch.tensor([-3.0, 4.0, 1.0, -1.0, 2.0]),
              torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0]), 0.6),
             (mark("three logits per sample"),
              torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.1, 3.0]]),
              torch.tensor([0, 2, 2]), 2 / 3),
             (mark("two logits per sample"), torch.tensor([[-1.0, 1.0], [3.0, 0.0], [0.2, 0.1], [0.0, 5.0]]),
              torch.tensor([1, 0, 1, 1]), 0.75)]
    for what, logits, targets, expected in cases:
        got = as_number(answer(logits, targets), tr("accuracy for {what}", what=what))
        if abs(got - expected) > 1e-6:
            all_zero = float((targets.reshape(-1) == 0).float().mean())
            if what.startswith("one logit") and abs(got - all_zero) < 1e-6:
                hint = (tr("with one column, argmax is always 0: compare the logit with 0 instead (logit > "
                           "0 means class 1)"))
            elif what.startswith("one logit"):
                hint = tr("class 1 when the logit is positive (σ(z) > 0.5 exactly when z > 0), then compare")
            else:
                hint = tr("with several logits the predicted class is logits.argmax(dim=1)")
            raise Wrong(tr("for {what} you return {got:.4g}, expected {expected:.4g}: {hint}", what=what,
                           got=got, expected=expected, hint=hint))
    return tr("the rule of helpers.engine: logit > 0 for one column, argmax for several.")


def _argmax_everywhere(logits: torch.Tensor, targets: torch.Tensor) -> float:
    predicted = logits.reshape(len(logits), -1).argmax(dim=1).float()
    return (predicted == targets.reshape(-1).float()).float().mean().item()


def _sigmoid_threshold_zero(logits: torch.Tensor, targets: torch.Tensor) -> float:
    if logits.dim() == 1 or logits.shape[1] == 1:
        predicted = (torch.sigmoid(logits.reshape(-1)) > 0).float()        # always 1: sigmoid is positive
        return (predicted == targets.reshape(-1)).float().mean().item()
    return (logits.argmax(dim=1) == targets).float().mean().item()


q2 = Exercise(
    chapter="07a", name="q2", title="One accuracy for both kinds of model",
    checker=check_accuracy, solver=solve_accuracy,
    hints=["Two cases: one column (or a 1-D tensor) of logits, or one column per class.",
           "One logit: predicted = (logits.reshape(-1) > 0).float(); several: logits.argmax(dim=1). Then the "
           "mean of (predicted == targets) as floats."],
    wrong_answers=[lambda: _argmax_everywhere, lambda: _sigmoid_threshold_zero],
)


# --- q3: a feature that separates the rings ----------------------------------------------------------


def solve_feature(**data: Any) -> Any:
    def add_feature(points: torch.Tensor) -> torch.Tensor:
        """(N, 2) points -> (N, 3): the two coordinates and the squared radius."""
        return torch.cat([points, (points**2).sum(dim=1, keepdim=True)], dim=1)

    return add_feature


def check_feature(answer: Any, X_train: torch.Tensor, y_train: torch.Tensor, X_val: torch.Tensor,
                  y_val: torch.Tensor) -> str:
    expect_callable(answer, "add_feature")
    train, val = answer(X_train.cpu()), answer(X_val.cpu())
    expect_type(train, torch.Tensor, "add_feature(points)")
    if train.shape != (len(X_train), 3):
        raise Wrong(tr("add_feature should return shape (N, 3) (the two coordinates and one new feature); "
                       "for {len_X_train} points it returned {tuple_train_shape}", len_X_train=len(X_train),
                       tuple_train_shape=tuple(train.shape)))
    if not torch.allclose(train[:, :2], X_train.cpu()):
        raise Wrong(tr("keep the two coordinates as the first two columns and add your feature as the third"))
    with isolated(seed=0):
        model = nn.Linear(3, 1)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        target = y_train.cpu().float().reshape(-1)
        for _ in range(300):
            loss = F.binary_cross_entropy_with_logits(model(train).reshape(-1), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            predicted = (model(val).reshape(-1) > 0).float()
            acc = (predicted == y_val.cpu().float().reshape(-1)).float().mean().item()
    if acc < 0.9:
        raise Wrong(tr("nn.Linear(3, 1) trained on your features reaches {acc:.0%} validation accuracy "
                       "(needs 90%): a linear model draws a plane, so the new feature must put the two "
                       "rings on either side of a threshold. What differs between a point on the inner "
                       "ring and one on the outer ring?", acc=acc))
    return tr("{acc:.0%} with a linear model: hand-made features, as in classic ML; hidden layers learn "
              "them.", acc=acc)


def _context_circles() -> dict[str, Any]:
    X, y = toy.make_circles(400, seed=0)
    order = torch.randperm(400, generator=torch.Generator().manual_seed(1))
    return {"X_train": X[order[:280]], "y_train": y[order[:280]], "X_val": X[order[280:340]],
            "y_val": y[order[280:340]]}


q3 = Exercise(
    chapter="07a", name="q3", title="A feature that separates the rings",
    checker=check_feature, solver=solve_feature,
    hints=["The rings differ in their distance from the centre, not in their direction.",
           "torch.cat([points, (points ** 2).sum(dim=1, keepdim=True)], dim=1) adds the squared radius."],
    wrong_answers=[lambda **ctx: lambda p: torch.cat([p, p.sum(dim=1, keepdim=True)], dim=1),
                   lambda **ctx: lambda p: torch.cat([p, (p[:, :1] * p[:, 1:])], dim=1),
                   lambda **ctx: lambda p: (p**2).sum(dim=1, keepdim=True)],
    context=_context_circles,
)
