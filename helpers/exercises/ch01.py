"""Chapter 01 exercises: dJ/dw without a bias, the stability limit, centring, regression or classification."""

from __future__ import annotations

from typing import Any

import torch

from helpers.exercises.core import Exercise, Unanswered, Wrong, as_number, expect_callable, expect_type
from helpers.i18n import mark, tr

# --- q1: dJ/dw for y_hat = w * x ----------------------------------------------------------------------


def solve_grad_w() -> Any:
    def grad_w(w: float, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """dJ/dw of J(w) = mean((w * x - y) ** 2): the chain rule gives mean(2 (w x - y) x)."""
        return (2 * (w * x - y) * x).mean()

    return grad_w


def _autograd_grad_w(w: float, x: torch.Tensor, y: torch.Tensor) -> float:
    weight = torch.tensor(float(w), dtype=x.dtype, requires_grad=True)
    ((weight * x - y) ** 2).mean().backward()
    return float(weight.grad)


def check_grad_w(answer: Any) -> str:
    expect_callable(answer, "grad_w", "grad_w(...)")
    gen = torch.Generator().manual_seed(0)
    cases = [(0.5, torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 1.0, 4.0]))]
    for w in (-1.0, 0.0, 2.5):
        x = -1 + 3 * torch.rand(50, generator=gen)
        cases.append((w, x, 1.5 * x + 0.3 * torch.randn(50, generator=gen)))
    for w, x, y in cases:
        got = as_number(answer(w, x, y), f"grad_w({w}, x, y)")
        expected = _autograd_grad_w(w, x, y)
        if abs(got - expected) > 1e-4 * max(1.0, abs(expected)):
            ratio = got / expected if expected else float("nan")
            if abs(ratio - 0.5) < 1e-3:
                hint = tr(" You are off by a factor 2: the derivative of e² is 2e.")
            elif abs(ratio + 1) < 1e-3:
                hint = tr(" That is -1 times the gradient: dJ/dw = mean(2 (w x - y) x).")
            elif abs(ratio - len(x)) < 1e-2:
                hint = tr(" That is {len_x} times too large: J is a mean, not a sum.", len_x=len(x))
            else:
                hint = tr(" Did you forget the factor x_i from the chain rule (d(w x_i)/dw = x_i)?")
            raise Wrong(tr("grad_w({w}, x, y) returned {got:.6g} on {len_x} points, autograd says "
                           "{expected:.6g}.{hint}", w=w, got=got, len_x=len(x), expected=expected,
                           hint=hint))
    return tr("dJ/dw = (2/n) Σ (w x_i - y_i) x_i, as autograd computes.")


q1 = Exercise(
    chapter="01", name="q1", title="dJ/dw without a bias",
    checker=check_grad_w, solver=solve_grad_w,
    hints=["Write e_i = w x_i - y_i; J = mean(e_i²). By the chain rule de_i²/dw = 2 e_i · de_i/dw.",
           "de_i/dw = x_i, so dJ/dw = mean(2 (w x_i - y_i) x_i): one line with tensors."],
    wrong_answers=[lambda: lambda w, x, y: ((w * x - y) * x).mean(),          # forgot the 2
                   lambda: lambda w, x, y: (2 * (w * x - y)).mean(),          # forgot the chain rule's x
                   lambda: lambda w, x, y: (2 * (w * x - y) * x).sum()],      # sum instead of mean
)


# --- q2: the largest stable learning rate -------------------------------------------------------------


def solve_stable_lr() -> Any:
    def stable_lr(x: torch.Tensor) -> float:
        """2 / (largest eigenvalue of the cost's matrix of second derivatives)."""
        hessian = 2 * torch.tensor([[(x * x).mean(), x.mean()], [x.mean(), 1.0]])
        return 2 / torch.linalg.eigvalsh(hessian).max().item()

    return stable_lr


def _descent_final_cost(x: torch.Tensor, y: torch.Tensor, lr: float, steps: int = 300) -> float:
    w, b = torch.tensor(-1.0, dtype=torch.float64), torch.tensor(0.5, dtype=torch.float64)
    for _ in range(steps):
        error = w * x + b - y
        w, b = w - lr * 2 * (error * x).mean(), b - lr * 2 * error.mean()
    return float(((w * x + b - y) ** 2).mean())


def check_stable_lr(answer: Any) -> str:
    expect_callable(answer, "stable_lr", "stable_lr(x)")
    gen = torch.Generator().manual_seed(1)
    for low, width in ((-1.0, 3.0), (0.0, 1.0), (-2.0, 4.0), (3.0, 2.0)):
        x = (low + width * torch.rand(100, generator=gen)).double()
        y = 1.5 * x + 0.5 + 0.3 * torch.randn(100, generator=gen, dtype=torch.float64)
        got = as_number(answer(x.float()), "stable_lr(x)")
        expected = solve_stable_lr()(x)
        if abs(got - expected) > 1e-3 * expected:
            start = _descent_final_cost(x, y, 0.0, steps=0)
            below, above = _descent_final_cost(x, y, 0.95 * got), _descent_final_cost(x, y, 1.05 * got)
            behaviour = (tr("gradient descent still converges just above your limit") if above < start
                         else tr("gradient descent already diverges just below your limit")
                         if not below < start
                         else "")
            ratio = got / expected
            if abs(ratio - 2) < 1e-2 or abs(ratio - 0.5) < 1e-2:
                hint = (tr(" You are off by a factor 2: the limit is 2/λ_max, with the Hessian 2·[[mean "
                           "x², mean x], [mean x, 1]]."))
            elif ratio > 1:
                hint = tr(" Use the LARGEST eigenvalue: the steepest direction is the first to overshoot.")
            else:
                hint = tr(" Check the matrix and the 2/λ_max.")
            raise Wrong(tr("for x in [{low}, {low_width}] you returned {got:.4g}, expected "
                           "{expected:.4g}{value}.{hint}", low=low, low_width=low + width, got=got,
                           expected=expected, value=' (' + behaviour + ')' if behaviour else '', hint=hint))
    return tr("below 2/λ_max every direction of the bowl contracts; above it the steepest one grows.")


q2 = Exercise(
    chapter="01", name="q2", title="The largest stable learning rate",
    checker=check_stable_lr, solver=solve_stable_lr,
    hints=["Build the 2 × 2 matrix 2·[[mean(x²), mean(x)], [mean(x), 1]] with torch.tensor.",
           "torch.linalg.eigvalsh(matrix) returns its eigenvalues in increasing order; "
           "the limit is 2 / the largest."],
    wrong_answers=[lambda: lambda x: 1 / torch.linalg.eigvalsh(
                       2 * torch.tensor([[(x * x).mean(), x.mean()], [x.mean(), 1.0]])).max().item(),
                   lambda: lambda x: 2 / torch.linalg.eigvalsh(
                       2 * torch.tensor([[(x * x).mean(), x.mean()], [x.mean(), 1.0]])).min().item()],
)


# --- q3: centring the input ---------------------------------------------------------------------------


def _steps_to_minimum(x: torch.Tensor, y: torch.Tensor, lr: float, start: tuple[float, float],
                      tolerance: float = 1e-3, max_steps: int = 10_000) -> int:
    design = torch.stack([x, torch.ones_like(x)], dim=1)
    w_star, b_star = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.squeeze().tolist()
    j_min = ((w_star * x + b_star - y) ** 2).mean().item()
    w, b = start
    for step in range(max_steps + 1):
        error = w * x + b - y
        if (error**2).mean().item() <= j_min + tolerance:
            return step
        w, b = w - lr * (2 * (error * x).mean()).item(), b - lr * (2 * error.mean()).item()
    raise Wrong(tr("gradient descent did not get within {tolerance} of the minimum in {max_steps} steps",
                   tolerance=tolerance, max_steps=max_steps))


def solve_centring(x: torch.Tensor, y: torch.Tensor, lr: float, start: tuple[float, float]) -> int:
    centred = x - x.mean()
    design = torch.stack([centred, torch.ones_like(centred)], dim=1)
    w_star, b_star = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.squeeze().tolist()
    j_min = ((w_star * centred + b_star - y) ** 2).mean().item()
    w, b = start
    step = 0
    while ((w * centred + b - y) ** 2).mean().item() > j_min + 1e-3:
        error = w * centred + b - y
        w, b = w - lr * (2 * (error * centred).mean()).item(), b - lr * (2 * error.mean()).item()
        step += 1
    return step


def check_centring(answer: Any, x: torch.Tensor, y: torch.Tensor, lr: float,
                   start: tuple[float, float]) -> str:
    got = as_number(answer, tr("your number of steps"))
    centred = _steps_to_minimum(x - x.mean(), y, lr, start)
    original = _steps_to_minimum(x, y, lr, start)
    if got == original and original != centred:
        raise Wrong(tr("{int_got} is the number of steps for the original x; centre it first (x - "
                       "x.mean()) and count again", int_got=int(got)))
    if abs(got - centred) > 1:   # float rounding may move the crossing by one step
        raise Wrong(tr("your answer is {got:g} steps; with centred x the cost is within 1e-3 of its "
                       "minimum after about {centred} steps. Count the steps before the first cost that is "
                       "close enough.", got=got, centred=centred))
    verdict = (tr("centring makes the bowl rounder, so one learning rate suits both directions better")
               if centred < original else tr("here centring did not speed it up"))
    return tr("{centred} steps with centred x against {original} with the original x: {verdict}.",
              centred=centred, original=original, verdict=verdict)


def _centring_context() -> dict[str, Any]:
    gen = torch.Generator().manual_seed(42)
    x = -1 + 3 * torch.rand(100, generator=gen)
    y = 1.5 * x + 0.5 + 0.3 * torch.randn(100, generator=gen)
    return {"x": x, "y": y, "lr": 0.1, "start": (-1.0, 0.5)}


q3 = Exercise(
    chapter="01", name="q3", title="Centring the input",
    checker=check_centring, solver=solve_centring,
    hints=["The cost's minimum does not change when x is centred (b absorbs the shift), but the bowl's "
           "shape does.",
           "Loop: compute the cost; stop when it is within 1e-3 of the least-squares cost; otherwise take "
           "one gradient step with the centred x and count it."],
    wrong_answers=[lambda x, y, lr, start: _steps_to_minimum(x, y, lr, start),   # forgot to centre
                   lambda x, y, lr, start: 60],                                   # the notebook's STEPS
    context=_centring_context,
)


# --- q4: regression or classification ----------------------------------------------------------------

KINDS = {"a": "regression", "b": "classification", "c": "regression", "d": "classification"}
WHY = {"a": mark("a temperature is a number on a continuous scale"),
       "b": mark("one of 38 classes: the PlantVillage task of this course"),
       "c": mark("a count is predicted as a number"),
       "d": mark("spam or not spam: two classes")}


def solve_kinds() -> dict[str, str]:
    return {"a": "regression", "b": "classification", "c": "regression", "d": "classification"}


def check_kinds(answer: Any) -> str:
    expect_type(answer, dict, tr("your answer"))
    if any(value is Ellipsis for value in answer.values()):
        raise Unanswered(tr("not answered yet: replace each ... with \"regression\" or \"classification\""))
    for key, right in KINDS.items():
        if key not in answer:
            raise Wrong(tr("your dictionary has no entry {key!r}", key=key))
        value = str(answer[key]).strip().lower()
        if value not in {"regression", "classification"}:
            raise Wrong(tr("({key}) should be \"regression\" or \"classification\", got {answer_key!r}",
                           key=key, answer_key=answer[key]))
        if value != right:
            raise Wrong(tr("({key}) is {right}, not {value}: {why}", key=key, right=right, value=value,
                           why=WHY[key]))
    return tr("a number on a scale is regression; one answer out of a fixed list is classification.")


q4 = Exercise(
    chapter="01", name="q4", title="Regression or classification?",
    checker=check_kinds, solver=solve_kinds,
    hints=["Is the answer a number on a continuous scale, or one choice out of a fixed list?"],
    wrong_answers=[lambda: {**KINDS, "c": "classification"},
                   lambda: {**KINDS, "a": "classification", "b": "regression"}],
)
