"""Chapter 07b exercises: pick an optimiser and its learning rate, RMSprop and Nesterov momentum by hand."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from helpers.data import toy
from helpers.exercises.core import Exercise, Wrong, expect_callable
from helpers.exercises.tiny import isolated
from helpers.i18n import mark, tr

# --- q1: an optimiser and a learning rate ------------------------------------------------------------

TARGET_LOSS, STEPS = 0.3, 100


def solve_optimizer(**data: Any) -> Any:
    def make_optimizer(params) -> torch.optim.Optimizer:
        """Adam at a learning rate in the middle of its good range (section 3)."""
        return torch.optim.Adam(params, lr=0.01)

    return make_optimizer


def _spiral_net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))


def check_optimizer(answer: Any, X_train: torch.Tensor, y_train: torch.Tensor) -> str:
    expect_callable(answer, "make_optimizer")
    X, y = X_train.cpu(), y_train.cpu().long()
    with isolated(seed=0):
        model = _spiral_net()
        optimizer = answer(model.parameters())
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise Wrong(tr("make_optimizer should return a torch.optim optimiser, got {type_optimizer_name}",
                           type_optimizer_name=type(optimizer).__name__))
        losses = []
        for _ in range(STEPS):
            loss = F.cross_entropy(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if not math.isfinite(losses[-1]):
                break
        with torch.no_grad():
            final = F.cross_entropy(model(X), y).item()
    name, lr = type(optimizer).__name__, optimizer.param_groups[0]["lr"]
    start = losses[0]
    if not math.isfinite(final) or final > start or max(losses) > 2 * start:
        raise Wrong(tr("with {name} at lr = {lr:g} the loss went from {start:.2f} up to {max_losses:.3g} "
                       "and ended at {final:.3g}: it diverged. The learning rate is too large for {name}",
                       name=name, lr=lr, start=start, max_losses=max(losses), final=final))
    if final > TARGET_LOSS:
        verdict = (tr("it barely moved: the steps are too short") if final > 0.9 * start else
                   tr("it is going down, but not fast enough"))
        raise Wrong(tr("with {name} at lr = {lr:g} the training loss went from {start:.2f} to {final:.3f} "
                       "in {STEPS} steps (target {TARGET_LOSS}): {verdict}. Section 3's sweep shows which "
                       "learning rates work for which optimiser", name=name, lr=lr, start=start,
                       final=final, STEPS=STEPS, TARGET_LOSS=TARGET_LOSS, verdict=verdict))
    return tr("{name} at lr = {lr:g}: loss {start:.2f} -> {final:.3f} in {STEPS} steps.", name=name, lr=lr,
              start=start, final=final, STEPS=STEPS)


def _context_spirals() -> dict[str, Any]:
    (X, y), _, _ = toy.split(*toy.make_spirals(133))   # the training part of chapter 7b's spirals
    return {"X_train": X, "y_train": y}


q1 = Exercise(
    chapter="07b", name="q1", title="Pick an optimiser and a learning rate",
    checker=check_optimizer, solver=solve_optimizer,
    hints=["Look at section 3's plot: which optimiser has the widest range of good learning rates, and "
           "where?",
           "return torch.optim.Adam(params, lr=0.01) (or SGD with momentum 0.9 and a learning rate near "
           "0.1)."],
    wrong_answers=[lambda **ctx: lambda params: torch.optim.SGD(params, lr=0.01),
                   lambda **ctx: lambda params: torch.optim.SGD(params, lr=10.0),
                   lambda **ctx: lambda params: torch.optim.Adam(params, lr=10.0)],
    context=_context_spirals,
)


# --- q2: RMSprop by hand ----------------------------------------------------------------------------------

ALPHA, EPS, MOMENTUM = 0.99, 1e-8, 0.9
Pair = tuple[Tensor, Tensor]
Step = Callable[..., Pair]


def solve_rmsprop() -> Step:
    def rmsprop_step(p: Tensor, g: Tensor, s: Tensor, lr: float) -> Pair:
        """One RMSprop step: the running mean of g**2 first, then the step divided by its square root."""
        s = ALPHA * s + (1 - ALPHA) * g**2
        return p - lr * g / (s.sqrt() + EPS), s

    return rmsprop_step


def _start() -> torch.Tensor:
    """The parameter every run of the checks starts from: four values, float64."""
    return torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64)


def _gradients() -> list[torch.Tensor]:
    """Five gradients for a 4-value parameter: different scales, and signs that flip."""
    gen = torch.Generator().manual_seed(4)
    scales = torch.tensor([1.0, 0.01, 5.0, 0.2])
    return [torch.randn(4, generator=gen, dtype=torch.float64) * scales for _ in range(5)]


def _run_by_hand(answer: Step, lr: float, name: str) -> list[torch.Tensor]:
    p = _start()
    buffer = torch.zeros_like(p)
    path = []
    for g in _gradients():
        got = answer(p.clone(), g.clone(), buffer.clone(), lr)
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise Wrong(tr("{name} must return two tensors, (new p, new buffer), got {got_type}", name=name,
                           got_type=type(got).__name__))
        p, buffer = (torch.as_tensor(v, dtype=torch.float64) for v in got)
        path.append(p)
    return path


def _run_torch(make: Callable[[list[torch.Tensor]], torch.optim.Optimizer]) -> list[torch.Tensor]:
    p = _start().requires_grad_()
    optimizer = make([p])
    path = []
    for g in _gradients():
        p.grad = g.clone()
        optimizer.step()
        path.append(p.detach().clone())
    return path


def _first_gap(got: list[torch.Tensor], expected: list[torch.Tensor]) -> int | None:
    return next((k for k, (a, b) in enumerate(zip(got, expected, strict=True))
                 if not torch.allclose(a, b, rtol=1e-6, atol=1e-9)), None)


def check_rmsprop(answer: Any) -> str:
    expect_callable(answer, "rmsprop_step")
    lr = 0.01
    expected = _run_torch(lambda params: torch.optim.RMSprop(params, lr=lr, alpha=ALPHA, eps=EPS))
    got = _run_by_hand(answer, lr, "rmsprop_step")
    step = _first_gap(got, expected)
    if step is not None:
        for mistake, why in RMSPROP_MISTAKES.items():
            if _first_gap(got, _run_by_hand(mistake(), lr, "rmsprop_step")) is None:
                raise Wrong(tr("your steps differ from torch.optim.RMSprop's from step {k} on: {why}",
                               k=step + 1, why=why))
        raise Wrong(tr("after step {k} your parameter is {got}, torch.optim.RMSprop's is {expected}: "
                       "s = alpha * s + (1 - alpha) * g**2, then p - lr * g / (sqrt(s) + eps)", k=step + 1,
                       got=[round(v, 6) for v in got[step].tolist()],
                       expected=[round(v, 6) for v in expected[step].tolist()]))
    first = (expected[0] - _start()).abs()
    return tr("the same five steps as torch.optim.RMSprop. Its first step is {ratio:.1f} times the "
              "learning rate for every value, whatever its gradient's size (1 / sqrt(1 - alpha)): s starts "
              "at 0 and is too small at first. Adam divides its averages by 1 - beta**t for exactly this "
              "reason, and adds a running mean of g itself.", ratio=float(first.max() / lr))


def _no_sqrt() -> Step:
    def step(p: Tensor, g: Tensor, s: Tensor, lr: float) -> Pair:
        s = ALPHA * s + (1 - ALPHA) * g**2
        return p - lr * g / (s + EPS), s

    return step


def _no_one_minus_alpha() -> Step:
    def step(p: Tensor, g: Tensor, s: Tensor, lr: float) -> Pair:
        s = ALPHA * s + g**2
        return p - lr * g / (s.sqrt() + EPS), s

    return step


def _old_average() -> Step:
    def step(p: Tensor, g: Tensor, s: Tensor, lr: float) -> Pair:
        new = p - lr * g / (s.sqrt() + EPS)
        return new, ALPHA * s + (1 - ALPHA) * g**2

    return step


RMSPROP_MISTAKES = {
    _no_sqrt: mark("you divide by s itself; RMSprop divides by its square root, sqrt(s) + eps, which has the "
                   "gradient's units, so the step's size no longer depends on the gradient's scale"),
    _no_one_minus_alpha: mark("s = alpha * s + g**2 adds the whole squared gradient each step; the running "
                              "mean weighs it by 1 - alpha"),
    _old_average: mark("you divide by the running mean BEFORE adding this step's g**2 (at the first step s "
                       "is 0, so the step is g / eps: enormous); update s first"),
}


q2 = Exercise(
    chapter="07b", name="q2", title="RMSprop by hand",
    checker=check_rmsprop, solver=solve_rmsprop,
    hints=["RMSprop is Adam's second half alone: a running mean s of the squared gradient, and a step "
           "divided by its square root. alpha = 0.99 and eps = 1e-8 are torch.optim.RMSprop's defaults.",
           "s = ALPHA * s + (1 - ALPHA) * g**2; return p - lr * g / (s.sqrt() + EPS), s"],
    wrong_answers=[_no_sqrt, _no_one_minus_alpha, _old_average],
)


# --- q3: Nesterov momentum by hand ----------------------------------------------------------------------


def solve_nesterov() -> Step:
    def nesterov_step(p: Tensor, g: Tensor, v: Tensor, lr: float) -> Pair:
        """One step of SGD with Nesterov momentum, as torch.optim.SGD(nesterov=True) takes it."""
        v = MOMENTUM * v + g                      # the velocity, as with plain momentum
        return p - lr * (g + MOMENTUM * v), v    # but the step looks one velocity ahead

    return nesterov_step


def check_nesterov(answer: Any) -> str:
    expect_callable(answer, "nesterov_step")
    lr = 0.1
    expected = _run_torch(lambda params: torch.optim.SGD(params, lr=lr, momentum=MOMENTUM, nesterov=True))
    plain = _run_torch(lambda params: torch.optim.SGD(params, lr=lr, momentum=MOMENTUM))
    got = _run_by_hand(answer, lr, "nesterov_step")
    step = _first_gap(got, expected)
    if step is not None:
        if _first_gap(got, plain) is None:
            raise Wrong(tr("that is plain momentum (p - lr * v), torch.optim.SGD(momentum=0.9) step for "
                           "step; Nesterov's step adds the gradient and one more velocity: "
                           "p - lr * (g + mu * v)"))
        if _first_gap(got, _run_by_hand(_dampened(), lr, "nesterov_step")) is None:
            raise Wrong(tr("your velocity adds (1 - mu) * g; torch.optim.SGD adds the whole gradient "
                           "(v = mu * v + g: its dampening is 0 unless asked)"))
        raise Wrong(tr("after step {k} your parameter is {got}, torch.optim.SGD(nesterov=True)'s is "
                       "{expected}: update v = mu * v + g first, then step by lr * (g + mu * v) with the "
                       "NEW v",
                       k=step + 1, got=[round(v, 6) for v in got[step].tolist()],
                       expected=[round(v, 6) for v in expected[step].tolist()]))
    apart = max((a - b).abs().max().item() for a, b in zip(expected, plain, strict=True))
    return tr("the same five steps as torch.optim.SGD(momentum=0.9, nesterov=True); plain momentum on the "
              "same gradients ends up to {apart:.3f} away. On a gradient that stays the same both steps grow "
              "to 1 / (1 - mu) = {limit:.0f} times SGD's; Nesterov reacts sooner when it turns.",
              apart=apart, limit=1 / (1 - MOMENTUM))


def _plain_momentum() -> Step:
    def step(p: Tensor, g: Tensor, v: Tensor, lr: float) -> Pair:
        v = MOMENTUM * v + g
        return p - lr * v, v

    return step


def _dampened() -> Step:
    def step(p: Tensor, g: Tensor, v: Tensor, lr: float) -> Pair:
        v = MOMENTUM * v + (1 - MOMENTUM) * g
        return p - lr * (g + MOMENTUM * v), v

    return step


def _velocity_only() -> Step:
    def step(p: Tensor, g: Tensor, v: Tensor, lr: float) -> Pair:
        v = MOMENTUM * v + g
        return p - lr * MOMENTUM * v, v

    return step


q3 = Exercise(
    chapter="07b", name="q3", title="Nesterov momentum by hand",
    checker=check_nesterov, solver=solve_nesterov,
    hints=["Plain momentum steps by lr * v with v = mu * v + g. Nesterov's looks ahead: it steps by the "
           "gradient plus one more velocity, lr * (g + mu * v).",
           "v = MOMENTUM * v + g; return p - lr * (g + MOMENTUM * v), v"],
    wrong_answers=[_plain_momentum, _dampened, _velocity_only],
)
