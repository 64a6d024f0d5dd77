"""Chapter 09b exercises: Dropout by hand, when early stopping stops, gradient clipping, BatchNorm vs the
vanishing gradient."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from helpers.exercises.core import Exercise, Wrong, expect_type
from helpers.i18n import mark, tr

# --- q1: Dropout by hand ------------------------------------------------------------------------------


def solve_dropout() -> Callable[[torch.Tensor, float], torch.Tensor]:
    def dropout(x: torch.Tensor, p: float) -> torch.Tensor:
        if p == 1.0:
            return torch.zeros_like(x)               # everything dropped (and no division by 0)
        keep = torch.rand_like(x) >= p               # keep each value with probability 1 - p
        return x * keep / (1 - p)                    # survivors scaled: the mean is unchanged

    return dropout


def check_dropout(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(tr("your answer should be a function dropout(x, p), got {type_answer_name}",
                       type_answer_name=type(answer).__name__))
    torch.manual_seed(0)
    x = torch.rand(200_000) + 0.5                    # values in [0.5, 1.5]: scaling is visible
    for p in (0.2, 0.5, 0.8):
        y = answer(x.clone(), p)
        expect_type(y, torch.Tensor, f"dropout(x, {p})")
        if y.shape != x.shape:
            raise Wrong(tr("dropout(x, {p}) has shape {tuple_y_shape}, expected {tuple_x_shape}", p=p,
                           tuple_y_shape=tuple(y.shape), tuple_x_shape=tuple(x.shape)))
        zeroed = (y == 0).float().mean().item()
        if abs(zeroed - p) > 0.01:
            hint = (tr(" (you zero with probability 1 - p: p is the probability to DROP)")
                    if abs(zeroed - (1 - p)) < 0.01 else "")
            raise Wrong(tr("dropout(x, {p}) zeroed {zeroed:.1%} of the values, expected about {p:.0%}{hint}",
                           p=p, zeroed=zeroed, hint=hint))
        kept = y != 0
        scale = (y[kept] / x[kept])
        if not torch.allclose(scale, torch.full_like(scale, 1 / (1 - p)), rtol=1e-4):
            raise Wrong(tr("with p = {p} the surviving values are multiplied by {scale_mean_item:.3g}, "
                           "expected 1 / (1 - p) = {value:.3g}, so that the mean of the output stays the "
                           "mean of x", p=p, scale_mean_item=scale.mean().item(), value=1 / (1 - p)))
    if not torch.equal(answer(x.clone(), 0.0), x):
        raise Wrong(tr("dropout(x, 0.0) should return x unchanged: nothing is dropped"))
    everything = answer(x.clone(), 1.0)
    if not torch.equal(everything, torch.zeros_like(x)):
        raise Wrong(tr("dropout(x, 1.0) should be all zeros (every value dropped); check that you do not "
                       "divide by 1 - p = 0 (that gives NaN)"))
    return tr("a fraction p zeroed, the rest scaled by 1/(1 - p), and both edge cases right.")


q1 = Exercise(
    chapter="09b", name="q1", title="Dropout by hand",
    checker=check_dropout, solver=solve_dropout,
    hints=["`torch.rand_like(x) >= p` is True with probability 1 - p: the values to keep.",
           "Multiply x by that mask and divide by (1 - p); handle p = 1 separately (everything dropped)."],
    wrong_answers=[lambda: lambda x, p: x * (torch.rand_like(x) >= p),
                   lambda: lambda x, p: x * (torch.rand_like(x) < p) / p if p else x,
                   lambda: lambda x, p: x * (torch.rand_like(x) >= p) / (1 - p)],
)


# --- q2: when does early stopping stop? ----------------------------------------------------------------

STOP_CASES: list[tuple[list[float], int, tuple[int, int]]] = [  # (val losses, patience, (stopped, best))
    ([1.0, 0.9, 0.8, 0.85, 0.84, 0.83, 0.7], 3, (6, 3)),
    ([1.0, 0.9, 0.8, 0.85, 0.84, 0.7, 0.9], 3, (7, 6)),     # the 6th epoch improves: the count restarts
    ([0.5, 0.6, 0.7, 0.8], 2, (3, 1)),                      # never improves after the first epoch
    ([1.0, 0.9, 0.8, 0.7, 0.6], 2, (5, 5)),                 # always improves: runs to the end
    ([1.0, 1.0, 1.0, 1.0], 2, (3, 1)),                      # equal is not better
    ([0.9, 0.95, 0.8], 1, (2, 1)),                          # patience 1
]


def solve_stop_epoch() -> Callable[[Sequence[float], int], tuple[int, int]]:
    def stop_epoch(val_losses: Sequence[float], patience: int) -> tuple[int, int]:
        best_loss, best_epoch, bad = float("inf"), 0, 0
        for epoch, loss in enumerate(val_losses, start=1):
            if loss < best_loss:                     # strictly better: a new best epoch
                best_loss, best_epoch, bad = loss, epoch, 0
            else:
                bad += 1
                if bad >= patience:
                    return epoch, best_epoch
        return len(val_losses), best_epoch

    return stop_epoch


def _stop_rule(val_losses: Sequence[float], patience: int, *, better: Callable[[float, float], bool],
               late: int = 0, start: int = 1) -> tuple[int, int]:
    """The rule, with the usual mistakes as options (to recognise them in an answer)."""
    best_loss, best_epoch, bad = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses, start=start):
        if better(loss, best_loss):
            best_loss, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
            if bad >= patience + late:
                return epoch, best_epoch
    return len(val_losses) - 1 + start, best_epoch


BUGGY_STOPS = {
    mark("count epochs from 1, like engine.fit's history (enumerate(..., start=1))"):
        lambda losses, patience: _stop_rule(losses, patience, better=lambda a, b: a < b, start=0),
    mark("stop as soon as `patience` epochs in a row did not improve, not one epoch later"):
        lambda losses, patience: _stop_rule(losses, patience, better=lambda a, b: a < b, late=1),
    mark("an epoch only counts as better when its loss is strictly lower (<, not <=)"):
        lambda losses, patience: _stop_rule(losses, patience, better=lambda a, b: a <= b),
}


def check_stop_epoch(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(tr("your answer should be a function stop_epoch(val_losses, patience), got "
                       "{type_answer_name}", type_answer_name=type(answer).__name__))
    results = {}
    for losses, patience, _ in STOP_CASES:
        got = answer(list(losses), patience)
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise Wrong(tr("stop_epoch({losses}, {patience}) returned {got!r}: return a pair (epoch it "
                           "stopped at, best epoch), epochs counted from 1", losses=losses,
                           patience=patience, got=got))
        results[(tuple(losses), patience)] = (int(got[0]), int(got[1]))
    for losses, patience, expected in STOP_CASES:
        got = results[(tuple(losses), patience)]
        if got == expected:
            continue
        reason = next((why for why, buggy in BUGGY_STOPS.items()
                       if all(results[(tuple(c), k)] == buggy(list(c), k) for c, k, _ in STOP_CASES)),
                      tr("training stops at the epoch where `patience` epochs in a row have not beaten the "
                         "best loss (or at the last epoch)"))
        raise Wrong(tr("stop_epoch({losses}, patience={patience}) returned {got}, expected {expected}: "
                       "{reason}", losses=losses, patience=patience, got=got, expected=expected,
                       reason=reason))
    return tr("the same rule as engine.fit(patience=...): try it on the history of section 2.")


q2 = Exercise(
    chapter="09b", name="q2", title="When does early stopping stop?",
    checker=check_stop_epoch, solver=solve_stop_epoch,
    hints=["Walk through the losses keeping the best loss so far and how many epochs in a row did not "
           "beat it.",
           "A strictly lower loss resets the counter and becomes the best epoch; otherwise the counter "
           "grows, and when it reaches `patience` training stops at this epoch. Epochs count from 1."],
    wrong_answers=[lambda buggy=buggy: buggy for buggy in BUGGY_STOPS.values()] + [
        lambda: lambda losses, patience: (min(len(losses), losses.index(min(losses)) + 1 + patience),
                                          losses.index(min(losses)) + 1)],
)


# --- q3: gradient clipping by hand --------------------------------------------------------------------


def solve_clip_gradients() -> Callable[[list[torch.Tensor], float], list[torch.Tensor]]:
    def clip_gradients(grads: list[torch.Tensor], max_norm: float) -> list[torch.Tensor]:
        total = torch.sqrt(sum((g**2).sum() for g in grads))   # ONE norm over all the tensors
        scale = min(1.0, max_norm / (total.item() + 1e-6))       # shrink only when above the limit
        return [g * scale for g in grads]

    return clip_gradients


def _clip_cases() -> list[tuple[list[torch.Tensor], float]]:
    gen = torch.Generator().manual_seed(0)
    big = [torch.randn(4, 3, generator=gen) * 10, torch.randn(3, generator=gen) * 0.1]   # norm ~35
    small = [torch.randn(5, generator=gen) * 0.01, torch.randn(2, 2, generator=gen) * 0.01]
    spiky = [torch.tensor([3.0, 4.0]), torch.tensor([0.0, 12.0])]                        # norm 13
    return [(big, 1.0), (small, 1.0), (spiky, 6.5), (spiky, 13.5)]


def check_clip_gradients(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(tr("your answer should be a function clip_gradients(grads, max_norm), got "
                       "{type_answer_name}", type_answer_name=type(answer).__name__))
    for grads, max_norm in _clip_cases():
        params = [nn.Parameter(torch.zeros_like(g)) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad = g.clone()
        before = torch.cat([g.flatten() for g in grads]).norm().item()
        nn.utils.clip_grad_norm_(params, max_norm)
        expected = [p.grad for p in params]
        got = answer([g.clone() for g in grads], max_norm)
        if not isinstance(got, list | tuple) or len(got) != len(grads):
            raise Wrong(tr("return a list with one clipped tensor per gradient ({len_grads} here), got "
                           "{got!r}", len_grads=len(grads), got=got))
        if all(torch.allclose(a, b, rtol=1e-4, atol=1e-7) for a, b in zip(got, expected, strict=True)):
            continue
        got_norm = torch.cat([g.flatten() for g in got]).norm().item()
        where = tr("with a global norm of {before:.3g} and max_norm={max_norm}", before=before,
                   max_norm=max_norm)
        if before <= max_norm:
            raise Wrong(tr("{where} nothing should change: clipping only shrinks a gradient above the limit",
                           where=where))
        per_tensor = all(g.norm() <= max_norm * (1 + 1e-4) for g in got) and got_norm > max_norm * (1 + 1e-3)
        if per_tensor:
            raise Wrong(tr("{where} your tensors are each below max_norm but together their norm is "
                           "{got_norm:.3g}: clip the GLOBAL norm of all gradients together, not each tensor",
                           where=where, got_norm=got_norm))
        direction = F.cosine_similarity(torch.cat([g.flatten() for g in got]),
                                        torch.cat([g.flatten() for g in grads]), dim=0).item()
        if direction < 0.9999:
            raise Wrong(tr("{where} your result points elsewhere (cosine {direction:.3f} with the "
                           "gradient): scale every value by the same factor, do not clamp values one by one",
                           where=where, direction=direction))
        raise Wrong(tr("{where} your result has norm {got_norm:.4g}, expected {max_norm:.4g}: scale by "
                       "max_norm / global norm", where=where, got_norm=got_norm, max_norm=max_norm))
    return tr("the same as torch.nn.utils.clip_grad_norm_: one global norm, the direction kept.")


q3 = Exercise(
    chapter="09b", name="q3", title="Gradient clipping by hand",
    checker=check_clip_gradients, solver=solve_clip_gradients,
    hints=["The norm is GLOBAL: the square root of the sum of the squares of every value of every tensor.",
           "If that norm is above max_norm, multiply every tensor by max_norm / norm; otherwise return them "
           "unchanged."],
    wrong_answers=[
        lambda: lambda grads, m: [g * min(1.0, m / g.norm().item()) for g in grads],
        lambda: lambda grads, m: [g.clamp(-m, m) for g in grads],
        lambda: lambda grads, m: [g * m / torch.sqrt(sum((h**2).sum() for h in grads)) for g in grads],
    ],
)


# --- q4: BatchNorm against the vanishing gradient ----------------------------------------------------------


class DeepConvNet(nn.Module):
    """`depth` 3x3 conv layers of `width` channels, no BatchNorm (the plain net of section 10)."""

    def __init__(self, depth: int = 20, width: int = 16, act: type[nn.Module] = nn.ReLU,
                 residual: bool = False, num_classes: int = 8) -> None:
        super().__init__()
        self.entry = nn.Conv2d(3, width, 3, padding=1)
        self.layers = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in range(depth))
        self.act, self.residual = act(), residual
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.entry(x))
        for conv in self.layers:
            x = x + self.act(conv(x)) if self.residual else self.act(conv(x))
        return self.head(x)


MIN_CONVS = 20
MIN_RATIO = 1e-2


def first_to_last_gradient(model: nn.Module) -> tuple[float, int]:
    """One backward pass on a fixed batch: first conv gradient norm / last conv gradient norm; conv count."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(8, 3, 32, 32, generator=gen)
    model.train()
    model.zero_grad()
    logits = model(images)
    if logits.ndim != 2 or logits.shape[0] != 8:
        raise Wrong(tr("your model maps a batch of 8 images to shape {tuple_logits_shape}; expected (8, "
                       "classes)", tuple_logits_shape=tuple(logits.shape)))
    F.cross_entropy(logits, torch.arange(8) % logits.shape[1]).backward()
    norms = [c.weight.grad.norm().item() if c.weight.grad is not None else 0.0 for c in convs]
    return norms[0] / norms[-1] if norms and norms[-1] > 0 else 0.0, len(convs)


def solve_batchnorm_net() -> nn.Module:
    class DeepConvNetBN(DeepConvNet):
        """The plain ReLU net with a BatchNorm between every convolution and its activation."""

        def __init__(self) -> None:
            super().__init__(act=nn.ReLU)
            self.norms = nn.ModuleList(nn.BatchNorm2d(16) for _ in self.layers)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.act(self.entry(x))
            for conv, norm in zip(self.layers, self.norms, strict=True):
                x = self.act(norm(conv(x)))
            return self.head(x)

    torch.manual_seed(0)
    return DeepConvNetBN()


def check_batchnorm_net(answer: Any) -> str:
    expect_type(answer, nn.Module, tr("your answer"))
    torch.manual_seed(0)
    plain, _ = first_to_last_gradient(DeepConvNet(act=nn.ReLU))
    ratio, n_convs = first_to_last_gradient(answer)
    if n_convs < MIN_CONVS:
        raise Wrong(tr("your model has {n_convs} 3x3 convolutions; keep the depth (at least {MIN_CONVS}): "
                       "the exercise is to make a DEEP net pass the gradient, not a shallow one",
                       n_convs=n_convs, MIN_CONVS=MIN_CONVS))
    if ratio < MIN_RATIO:
        raise Wrong(tr("the first conv layer gets {ratio:.1e} of the last one's gradient norm (the plain "
                       "net: {plain:.1e}): it still vanishes. Put a BatchNorm2d between each convolution "
                       "and its ReLU", ratio=ratio, plain=plain))
    return (tr("the first layer now gets {ratio:.2g} of the last layer's gradient norm, instead of "
               "{plain:.1e} in the plain net: at initialisation, BatchNorm keeps every layer's signal at "
               "standard deviation 1.", ratio=ratio, plain=plain))


q4 = Exercise(
    chapter="09b", name="q4", title="BatchNorm against the vanishing gradient",
    checker=check_batchnorm_net, solver=solve_batchnorm_net,
    hints=["Subclass DeepConvNet (section 10): keep its layers, add `self.norms = nn.ModuleList(...)` "
           "with one nn.BatchNorm2d(16) per hidden convolution.",
           "In forward: `for conv, norm in zip(self.layers, self.norms): x = self.act(norm(conv(x)))`."],
    wrong_answers=[lambda: DeepConvNet(act=nn.ReLU),
                   lambda: DeepConvNet(act=nn.Sigmoid),
                   lambda: nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                         nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 8))],
)
