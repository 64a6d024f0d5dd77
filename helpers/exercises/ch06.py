"""Chapter 06 exercises: a learning rate that converges in 10 epochs, one training step, a three-way split."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable
from helpers.i18n import tr

EPOCHS_Q1 = 10


class _Line(nn.Module):
    """The chapter's model, y = a x + b, with parameters named like LinearRegression's."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.zeros(1))
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a * x + self.b


def _line_data(n: int = 200, seed: int = 42) -> dict[str, Any]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=gen)
    y = 0.7 * x + 0.3 + 0.05 * torch.randn(n, 1, generator=gen)
    order = torch.randperm(n, generator=gen)
    torch_gen = torch.Generator().manual_seed(seed)
    initial = {"a": torch.randn(1, generator=torch_gen), "b": torch.randn(1, generator=torch_gen)}
    train = order[: int(0.7 * n)]
    return {"x_train": x[train], "y_train": y[train], "initial_state": initial, "noise": 0.05}


# --- q1: a learning rate that converges within 10 epochs ---------------------------------------------


def _train_losses(lr: float, x_train: torch.Tensor, y_train: torch.Tensor,
                  initial_state: dict[str, torch.Tensor], epochs: int = EPOCHS_Q1) -> list[float]:
    model = _Line()
    model.load_state_dict({k: v.detach().cpu().reshape(1) for k, v in initial_state.items()})
    x, y = x_train.detach().cpu(), y_train.detach().cpu()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        losses.append(nn.functional.mse_loss(model(x), y).item())
    return losses


def solve_fast_lr(x_train: torch.Tensor, y_train: torch.Tensor, initial_state: dict[str, torch.Tensor],
                  noise: float) -> float:
    # Steps as long as possible, but well inside the stable range 2 / lambda_max (about 0.8 here).
    hessian = 2 * torch.tensor([[(x_train**2).mean(), x_train.mean()], [x_train.mean(), 1.0]])
    lr_limit = 2 / torch.linalg.eigvalsh(hessian).max().item()
    return 0.75 * lr_limit


def check_fast_lr(answer: Any, x_train: torch.Tensor, y_train: torch.Tensor,
                  initial_state: dict[str, torch.Tensor], noise: float) -> str:
    lr = as_number(answer, tr("your learning rate"))
    if lr <= 0:
        raise Wrong(tr("a learning rate must be positive, got {lr:g}: SGD steps against the gradient",
                       lr=lr))
    target = 1.5 * noise**2
    losses = _train_losses(lr, x_train, y_train, initial_state)
    first, last = losses[0], losses[-1]
    if last < target:
        return tr("training MSE {first:.4f} -> {last:.4f} in {EPOCHS_Q1} epochs with lr = {lr:g}.",
                  first=first, last=last, EPOCHS_Q1=EPOCHS_Q1, lr=lr)
    hessian = 2 * torch.tensor([[(x_train**2).mean(), x_train.mean()], [x_train.mean(), 1.0]])
    limit = 2 / torch.linalg.eigvalsh(hessian).max().item()
    if not last < first or lr >= limit:
        raise Wrong(tr("with lr = {lr:g} the training MSE went from {first:.4f} to {last:.4g} in "
                       "{EPOCHS_Q1} epochs: it diverges. The stable range ends at 2/λ_max = {limit:.3f}",
                       lr=lr, first=first, last=last, EPOCHS_Q1=EPOCHS_Q1, limit=limit))
    diffs = [b - a for a, b in zip(losses, losses[1:], strict=False)]
    if lr > 0.85 * limit or any(d > 0 for d in diffs):
        raise Wrong(tr("with lr = {lr:g} the training MSE is {last:.4f} after {EPOCHS_Q1} epochs (target "
                       "{target:.4f}): so close to the limit {limit:.3f}, every step overshoots the valley "
                       "and the cost zig-zags down slowly. Back off a little", lr=lr, last=last,
                       EPOCHS_Q1=EPOCHS_Q1, target=target, limit=limit))
    raise Wrong(tr("with lr = {lr:g} the training MSE went from {first:.4f} to {last:.4f} in {EPOCHS_Q1} "
                   "epochs (target {target:.4f}): it is still falling, the steps are too short. The limit "
                   "is {limit:.3f}: take larger steps", lr=lr, first=first, last=last, EPOCHS_Q1=EPOCHS_Q1,
                   target=target, limit=limit))


q1 = Exercise(
    chapter="06", name="q1", title="A learning rate that converges in 10 epochs",
    checker=check_fast_lr, solver=solve_fast_lr,
    hints=["Too small: the loss falls slowly; above lr_limit (section 3): it diverges. Try values between.",
           "The fastest learning rates sit a little below the limit, not at it: try three quarters of "
           "lr_limit."],
    wrong_answers=[lambda **context: 0.2, lambda **context: 1.0, lambda **context: 0.78],
    context=_line_data,
)


# --- q2: one training step ---------------------------------------------------------------------------


def solve_train_step() -> Any:
    def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: nn.Module,
                   x: torch.Tensor, y: torch.Tensor) -> float:
        """Forward, loss, zero_grad, backward, step; return the loss as a float."""
        model.train()
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return train_step


def check_train_step(answer: Any) -> str:
    expect_callable(answer, "train_step")
    data = _line_data()
    x, y = data["x_train"], data["y_train"]
    reference, mine = _Line(), _Line()
    for model in (reference, mine):
        model.load_state_dict({k: v.reshape(1) for k, v in data["initial_state"].items()})
    opt_ref = torch.optim.SGD(reference.parameters(), lr=0.2)
    opt_mine = torch.optim.SGD(mine.parameters(), lr=0.2)
    right = solve_train_step()
    for step in range(1, 4):
        expected = right(reference, opt_ref, nn.MSELoss(), x, y)
        got = answer(mine, opt_mine, nn.MSELoss(), x, y)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            raise Wrong(tr("return the loss as a Python float (loss.item()), not a tensor: a tensor keeps "
                           "the whole graph alive in a history list"))
        got = as_number(got, tr("the loss returned at step {step}", step=step))
        a, b = mine.a.item(), mine.b.item()
        if abs(a - data["initial_state"]["a"].item()) < 1e-12 and step == 1:
            raise Wrong(tr("the parameters did not move: call optimizer.step() after loss.backward()"))
        if abs(a - reference.a.item()) > 1e-6 or abs(b - reference.b.item()) > 1e-6:
            extra = (tr(" The first step was right, so gradients are piling up: call "
                        "optimizer.zero_grad() before loss.backward() (PyTorch adds new gradients to the "
                        "old ones)") if step > 1 else
                     tr(" Compute the loss on (x, y), call backward() on it, then optimizer.step()"))
            raise Wrong(tr("after step {step} your parameters are a = {a:.5f}, b = {b:.5f}; the loop gives "
                           "a = {reference_a_item:.5f}, b = {reference_b_item:.5f}.{extra}", step=step, a=a,
                           b=b, reference_a_item=reference.a.item(), reference_b_item=reference.b.item(),
                           extra=extra))
        if abs(got - expected) > 1e-6:
            raise Wrong(tr("step {step} returned the loss {got:.6f}; the loss of that step (before the "
                           "update) is {expected:.6f}: compute it before optimizer.step()", step=step,
                           got=got, expected=expected))
    return tr("three steps, the same parameters as the loop: this is what engine.fit repeats for every "
              "batch.")


def _no_zero_grad(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: nn.Module,
                  x: torch.Tensor, y: torch.Tensor) -> float:
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _loss_after_step(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: nn.Module,
                     x: torch.Tensor, y: torch.Tensor) -> float:
    optimizer.zero_grad()
    loss_fn(model(x), y).backward()
    optimizer.step()
    return loss_fn(model(x), y).item()


q2 = Exercise(
    chapter="06", name="q2", title="One training step",
    checker=check_train_step, solver=solve_train_step,
    hints=["Section 4 lists the steps: model.train(), forward, loss, optimizer.zero_grad(), loss.backward(), "
           "optimizer.step().",
           "Return loss.item(), the loss computed in the forward pass of this step."],
    wrong_answers=[lambda: _no_zero_grad, lambda: _loss_after_step],
)


# --- q3: a three-way split ---------------------------------------------------------------------------


def solve_split() -> Any:
    def three_way_split(n: int, fractions: tuple[float, float, float], seed: int) -> tuple[torch.Tensor, ...]:
        """Shuffled, disjoint train / validation / test indices covering range(n)."""
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        n_train, n_val = int(fractions[0] * n), int(fractions[1] * n)
        return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]

    return three_way_split


def check_split(answer: Any) -> str:
    expect_callable(answer, "three_way_split")
    for n, fractions in ((100, (0.7, 0.15, 0.15)), (37, (0.6, 0.2, 0.2)), (1000, (0.8, 0.1, 0.1))):
        parts = answer(n, fractions, 0)
        if len(parts) != 3:
            raise Wrong(tr("return three tensors (train, validation, test), got {len_parts} items",
                           len_parts=len(parts)))
        parts = [torch.as_tensor(p).long().reshape(-1) for p in parts]
        sizes = [len(p) for p in parts]
        expected = [int(fractions[0] * n), int(fractions[1] * n)]
        expected.append(n - sum(expected))
        together = torch.cat(parts)
        if len(set(together.tolist())) < len(together):
            raise Wrong(tr("for n = {n} some indices are in two sets: the sets must be disjoint (cut one "
                           "shuffled order into consecutive pieces)", n=n))
        if sorted(together.tolist()) != list(range(n)):
            raise Wrong(tr("for n = {n} the three sets hold {len_together} indices, not every index of "
                           "range({n}) exactly once", n=n, len_together=len(together)))
        if sizes != expected:
            raise Wrong(tr("for n = {n} and fractions {fractions} the sizes are {sizes}, expected "
                           "{expected}", n=n, fractions=fractions, sizes=sizes, expected=expected))
        labels = torch.arange(n) * 3 // n          # sorted data: class 0, then 1, then 2
        test_classes = labels[parts[2]].unique().tolist()
        if test_classes != [0, 1, 2]:
            raise Wrong(tr("for n = {n}, on data sorted by class your test set holds only class(es) "
                           "{test_classes}: shuffle the indices (torch.randperm) before cutting", n=n,
                           test_classes=test_classes))
    again, other = answer(100, (0.7, 0.15, 0.15), 0), answer(100, (0.7, 0.15, 0.15), 1)
    if not torch.equal(torch.as_tensor(again[0]), torch.as_tensor(answer(100, (0.7, 0.15, 0.15), 0)[0])):
        raise Wrong(tr("the same seed gave two different splits: use torch.Generator().manual_seed(seed)"))
    if torch.equal(torch.as_tensor(again[0]), torch.as_tensor(other[0])):
        raise Wrong(tr("seeds 0 and 1 gave the same split: pass the generator to "
                       "torch.randperm(generator=...)"))
    return tr("disjoint, complete, shuffled and reproducible: helpers.data.split_indices does the same.")


def _unshuffled(n: int, fractions: tuple[float, float, float], seed: int) -> tuple[torch.Tensor, ...]:
    order = torch.arange(n)
    n_train, n_val = int(fractions[0] * n), int(fractions[1] * n)
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]


def _overlapping(n: int, fractions: tuple[float, float, float], seed: int) -> tuple[torch.Tensor, ...]:
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_train, n_val = int(fractions[0] * n), int(fractions[1] * n)
    return order[:n_train], order[:n_val], order[n_train + n_val:]


q3 = Exercise(
    chapter="06", name="q3", title="Three sets",
    checker=check_split, solver=solve_split,
    hints=["Shuffle once, then cut: torch.randperm(n, generator=torch.Generator().manual_seed(seed)).",
           "n_train = int(fractions[0] * n), n_val = int(fractions[1] * n); the test set is the rest: "
           "order[n_train + n_val:]."],
    wrong_answers=[lambda: _unshuffled, lambda: _overlapping],
)
