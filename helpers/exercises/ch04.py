"""Chapter 04 exercises: a sigmoid neuron by hand, a softmax that does not overflow, a network for XOR."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from helpers.exercises.core import Exercise, Wrong, as_number, expect_allclose, expect_callable, expect_type
from helpers.exercises.tiny import isolated
from helpers.i18n import mark, tr

# --- q1: a sigmoid neuron ----------------------------------------------------------------------------


def solve_sigmoid_neuron() -> float:
    x, w, b = torch.tensor([1.0, 2.0]), torch.tensor([0.5, -0.25]), 0.2
    z = (w * x).sum() + b                       # 0.5 - 0.5 + 0.2 = 0.2
    return torch.sigmoid(z).item()


def check_sigmoid_neuron(answer: Any) -> str:
    got = as_number(answer, tr("your output a"))
    z = 0.5 * 1 - 0.25 * 2 + 0.2
    expected = 1 / (1 + math.exp(-z))
    if abs(got - expected) < 1e-4:
        return tr("z = {z:.1f} and a = σ(0.2) = {expected:.4f}: a small positive z gives a bit more than "
                  "0.5.", z=z, expected=expected)
    if abs(got - z) < 1e-4:
        raise Wrong(tr("{got:g} is z, the linear combination: apply the sigmoid 1 / (1 + e^(-z)) to it",
                       got=got))
    if abs(got - 1 / (1 + math.exp(-(z - 0.2)))) < 1e-4:
        raise Wrong(tr("{got:.4f} leaves out the bias b = 0.2: z = w · x + b", got=got))
    if abs(got - 1 / (1 + math.exp(z))) < 1e-4:
        raise Wrong(tr("{got:.4f} is σ(-z): the sigmoid is 1 / (1 + e^(-z)), with a minus in the exponent",
                       got=got))
    raise Wrong(tr("your output is {got:.4g}, expected {expected:.4f}: z = 0.5·1 + (-0.25)·2 + 0.2, then a "
                   "= σ(z)", got=got, expected=expected))


q1 = Exercise(
    chapter="04", name="q1", title="A sigmoid neuron by hand",
    checker=check_sigmoid_neuron, solver=solve_sigmoid_neuron,
    hints=["First z = w1·x1 + w2·x2 + b, then a = 1 / (1 + e^(-z)).",
           "z = 0.5 - 0.5 + 0.2; torch.sigmoid(torch.tensor(z)) gives a."],
    wrong_answers=[lambda: 0.2, lambda: 1 / (1 + math.exp(0.0)), lambda: 1 / (1 + math.exp(0.2))],
)


# --- q2: a stable softmax ----------------------------------------------------------------------------


def solve_softmax() -> Any:
    def softmax(logits: torch.Tensor) -> torch.Tensor:
        """Probabilities along the last dimension, computed without overflow."""
        shifted = logits - logits.max(dim=-1, keepdim=True).values    # the largest becomes 0: exp <= 1
        exps = shifted.exp()
        return exps / exps.sum(dim=-1, keepdim=True)

    return softmax


def check_softmax(answer: Any) -> str:
    expect_callable(answer, "softmax")
    cases = {mark("ordinary logits"): torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]]),
             mark("one sample of four classes"): torch.tensor([[0.0, 0.0, 0.0, 0.0]]),
             mark("large logits"): torch.tensor([[1000.0, 999.0, 0.0], [-1000.0, -1000.0, -999.0]])}
    for what, logits in cases.items():
        got = answer(logits)
        expect_type(got, torch.Tensor, tr("softmax of the {what}", what=what))
        if got.shape != logits.shape:
            raise Wrong(tr("softmax of the {what}: expected shape {tuple_logits_shape}, got "
                           "{tuple_got_shape}", what=what, tuple_logits_shape=tuple(logits.shape),
                           tuple_got_shape=tuple(got.shape)))
        if not torch.isfinite(got).all():
            raise Wrong(tr("softmax of the {what} {logits_tolist} gives {got_tolist}: exp overflows to "
                           "inf. Subtract each row's largest logit before exponentiating", what=what,
                           logits_tolist=logits.tolist(), got_tolist=got.tolist()))
        if not torch.allclose(got.sum(dim=-1), torch.ones(len(logits)), atol=1e-5):
            sums = [round(v, 4) for v in got.sum(dim=-1).tolist()]
            raise Wrong(tr("softmax of the {what}: each row should sum to 1 but sums to {sums}; normalise "
                           "along the last dimension (dim=-1, keepdim=True)", what=what, sums=sums))
        expect_allclose(got, torch.softmax(logits, dim=-1), atol=1e-5, what=tr("softmax of the {what}",
                                                                               what=what))
    return tr("subtracting the row's maximum changes nothing mathematically and keeps every exp below 1.")


q2 = Exercise(
    chapter="04", name="q2", title="A softmax that does not overflow",
    checker=check_softmax, solver=solve_softmax,
    hints=["softmax(v) = exp(v) / sum(exp(v)); the sum runs over the last dimension, one sum per row.",
           "Subtract logits.max(dim=-1, keepdim=True).values first: the largest logit becomes 0, so no exp "
           "overflows."],
    wrong_answers=[lambda: lambda v: v.exp() / v.exp().sum(dim=-1, keepdim=True),       # overflows
                   lambda: lambda v: (v - v.max()).exp() / (v - v.max()).exp().sum(),   # one sum for all
                   lambda: lambda v: (v - v.max(dim=-1, keepdim=True).values).exp()],   # not normalised
)


# --- q3: a network that solves XOR -------------------------------------------------------------------


def solve_xor_net() -> Any:
    def make_xor_net() -> nn.Module:
        """A fresh 2 -> 16 -> 1 network with a ReLU in the middle."""
        return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))

    return make_xor_net


def _xor_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = torch.tensor([0.0, 1.0, 1.0, 0.0])
    X = corners.repeat_interleave(50, dim=0) + 0.15 * torch.randn(200, 2, generator=gen)
    return X, labels.repeat_interleave(50), corners, labels


def check_xor_net(answer: Any) -> str:
    expect_callable(answer, "make_xor_net", "make_xor_net()")
    X, y, corners, corner_labels = _xor_data()
    with isolated(seed=0):  # one thread, seeded; the notebook's random numbers left alone
        model = answer()
        expect_type(model, nn.Module, "make_xor_net()")
        out = model(X)
        if out.shape not in {(200, 1), (200,)}:
            raise Wrong(tr("the network should output one logit per point: shape (N, 1); for 200 points it "
                           "returned {tuple_out_shape}", tuple_out_shape=tuple(out.shape)))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        for _ in range(300):
            loss = F.binary_cross_entropy_with_logits(model(X).reshape(-1), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            points = ((model(X).reshape(-1) > 0).float() == y).float().mean().item()
            right = int(((model(corners).reshape(-1) > 0).float() == corner_labels).sum())
    linear = all(isinstance(m, nn.Linear | nn.Sequential | nn.Identity | nn.Flatten) for m in model.modules())
    if right < 4 or points < 0.95:
        why = (tr(" Your network has no activation between its layers: a stack of Linear layers is one "
                  "linear map, and no straight line separates XOR.") if linear else
               tr(" Too few hidden neurons (or an unlucky start): one ReLU neuron bends the plane along "
                  "one line only; XOR needs at least two, and a few more make training reliable."))
        raise Wrong(tr("after 300 steps your network gets {right}/4 corners and {points:.0%} of the points "
                       "right (final loss {loss_item:.3f}).{why}", right=right, points=points,
                       loss_item=loss.item(), why=why))
    params = sum(p.numel() for p in model.parameters())
    return tr("{right}/4 corners, {points:.0%} of the points, final loss {loss_item:.3f}, {params} weights.",
              right=right, points=points, loss_item=loss.item(), params=params)


q3 = Exercise(
    chapter="04", name="q3", title="A network that solves XOR",
    checker=check_xor_net, solver=solve_xor_net,
    hints=["Section 4 trains nn.Sequential(nn.Linear(2, 16), activation, nn.Linear(16, 1)) twice: which "
           "activation solved it?",
           "return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))"],
    wrong_answers=[lambda: lambda: nn.Sequential(nn.Linear(2, 16), nn.Linear(16, 1)),
                   lambda: lambda: nn.Sequential(nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 1))],
)
