"""Chapter 09d exercises: gradient clipping by hand, BatchNorm against the vanishing gradient, BatchNorm by
hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from helpers.exercises.core import Exercise, Wrong, expect_callable, expect_type
from helpers.i18n import mark, tr

# --- q1: gradient clipping by hand --------------------------------------------------------------------


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
    expect_callable(answer, "clip_gradients")
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


q1 = Exercise(
    chapter="09d", name="q1", title="Gradient clipping by hand",
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


# --- q2: BatchNorm against the vanishing gradient ----------------------------------------------------------


class DeepConvNet(nn.Module):
    """`depth` 3x3 conv layers of `width` channels, no BatchNorm (the plain net of section 4)."""

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


q2 = Exercise(
    chapter="09d", name="q2", title="BatchNorm against the vanishing gradient",
    checker=check_batchnorm_net, solver=solve_batchnorm_net,
    hints=["Subclass DeepConvNet (section 4): keep its layers, add `self.norms = nn.ModuleList(...)` "
           "with one nn.BatchNorm2d(16) per hidden convolution.",
           "In forward: `for conv, norm in zip(self.layers, self.norms): x = self.act(norm(conv(x)))`."],
    wrong_answers=[lambda: DeepConvNet(act=nn.ReLU),
                   lambda: DeepConvNet(act=nn.Sigmoid),
                   lambda: nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                         nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 8))],
)


# --- q3: BatchNorm by hand (train mode) -------------------------------------------------------------------

Norm = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, float], torch.Tensor]


def solve_batch_norm() -> Norm:
    def batch_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor,
                   eps: float = 1e-5) -> torch.Tensor:
        mean = x.mean(dim=(0, 2, 3), keepdim=True)                     # one mean per channel
        var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)      # the biased variance, as BatchNorm
        x_hat = (x - mean) / torch.sqrt(var + eps)
        return gamma.view(1, -1, 1, 1) * x_hat + beta.view(1, -1, 1, 1)

    return batch_norm


def _normalised(dims: tuple[int, ...], unbiased: bool) -> Norm:
    """A normalisation over ``dims``: BatchNorm's with (0, 2, 3) and the biased variance, else a mistake."""
    def norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
        x_hat = (x - x.mean(dim=dims, keepdim=True)) / torch.sqrt(
            x.var(dim=dims, unbiased=unbiased, keepdim=True) + eps)
        return gamma.view(1, -1, 1, 1) * x_hat + beta.view(1, -1, 1, 1)

    return norm


NORM_MISTAKES = {
    mark(" BatchNorm divides by the biased variance (mean of the squared deviations, over n values): "
         "x.var(..., unbiased=False)."): _normalised((0, 2, 3), unbiased=True),
    mark(" Those are statistics per image; BatchNorm's are per channel over the whole batch: "
         "dims (0, 2, 3)."):
        _normalised((2, 3), unbiased=False),
}


def _norm_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, 5, 5, generator=gen) * torch.tensor([1.0, 5.0, 0.2]).view(1, 3, 1, 1) + 3
    return [(x, torch.ones(3), torch.zeros(3)),
            (x, torch.tensor([2.0, 0.5, 1.0]), torch.tensor([0.0, 1.0, -1.0])),
            (torch.randn(2, 3, 2, 2, generator=gen), torch.ones(3), torch.zeros(3))]   # few values: n vs n-1


def check_batch_norm(answer: Any) -> str:
    expect_callable(answer, "batch_norm")
    for x, gamma, beta in _norm_cases():
        expected = F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)
        got = answer(x.clone(), gamma.clone(), beta.clone(), 1e-5)
        if not isinstance(got, torch.Tensor) or got.shape != x.shape:
            raise Wrong(tr("batch_norm should return a tensor of the input's shape {shape}, got {got}",
                           shape=tuple(x.shape), got=getattr(got, "shape", type(got).__name__)))
        if torch.allclose(got, expected, atol=1e-4):
            continue
        hint = next((why for why, mistake in NORM_MISTAKES.items()
                     if torch.allclose(got, mistake(x, gamma, beta, 1e-5), atol=1e-4)),
                    tr(" Per channel: mean and variance over the batch and the pixels, dims (0, 2, 3); then "
                       "gamma * x_hat + beta with gamma and beta shaped (1, C, 1, 1)."))
        raise Wrong(tr("batch_norm differs from torch's BatchNorm in train mode on an input of shape "
                       "{shape}.{hint}", shape=tuple(x.shape), hint=hint))
    x = _norm_cases()[0][0]
    return tr("the same as nn.BatchNorm2d in train mode: channel means {means} become 0 and their standard "
              "deviations {stds} become 1; gamma and beta then set the scale and shift the layer learns.",
              means=", ".join(f"{m:.2f}" for m in x.mean(dim=(0, 2, 3)).tolist()),
              stds=", ".join(f"{s:.2f}" for s in x.std(dim=(0, 2, 3)).tolist()))


q3 = Exercise(
    chapter="09d", name="q3", title="BatchNorm by hand",
    checker=check_batch_norm, solver=solve_batch_norm,
    hints=["One mean and one variance per channel, over the batch and the pixels: "
           "x.mean(dim=(0, 2, 3), keepdim=True), x.var(dim=(0, 2, 3), unbiased=False, keepdim=True).",
           "x_hat = (x - mean) / sqrt(var + eps); return gamma.view(1, -1, 1, 1) * x_hat + "
           "beta.view(1, -1, 1, 1)."],
    wrong_answers=[lambda mistake=mistake: mistake for mistake in NORM_MISTAKES.values()] + [
        lambda: lambda x, g, b, eps=1e-5: (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + eps)],
)
