"""Chapter 15 exercises: top-k accuracy, Grad-CAM by hand, label smoothing and its effect."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable
from helpers.exercises.tiny import isolated, train_steps
from helpers.i18n import tr

# --- q1: top-k accuracy --------------------------------------------------------------------------------


def solve_topk_accuracy() -> Any:
    def topk_accuracy(probs: torch.Tensor, y_true: torch.Tensor, k: int) -> float:
        """Share of the rows of `probs` whose true class is among their k largest values."""
        top = probs.topk(k, dim=1).indices                    # (N, k): the k most probable classes
        return (top == y_true[:, None]).any(dim=1).float().mean().item()

    return topk_accuracy


def _topk_cases() -> list[tuple[torch.Tensor, torch.Tensor, int]]:
    gen = torch.Generator().manual_seed(15)
    small = torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5], [0.7, 0.2, 0.1]])
    small_true = torch.tensor([2, 1, 2, 2])
    many = torch.randn(64, 38, generator=gen).softmax(dim=1)
    many_true = torch.randint(0, 38, (64,), generator=gen)
    return [(small, small_true, 1), (small, small_true, 2), (small, small_true, 3),
            (many, many_true, 1), (many, many_true, 5), (many, many_true, 38)]


def _reference_topk(probs: torch.Tensor, y_true: torch.Tensor, k: int) -> float:
    return (probs.topk(k, dim=1).indices == y_true[:, None]).any(dim=1).float().mean().item()


def check_topk_accuracy(answer: Any) -> str:
    expect_callable(answer, "topk_accuracy", "topk_accuracy(...)")
    for probs, y_true, k in _topk_cases():
        got = as_number(answer(probs.clone(), y_true.clone(), k), f"topk_accuracy(probs, y_true, {k})")
        expected = _reference_topk(probs, y_true, k)
        if math.isclose(got, expected, abs_tol=1e-6):
            continue
        rows = [[round(v, 3) for v in row] for row in probs.tolist()]
        shown = (f"probs = {rows}, y_true = {y_true.tolist()}, k = {k}" if len(probs) <= 4
                 else tr("{len_probs} rows of 38 probabilities, k = {k}", len_probs=len(probs), k=k))
        lowest = probs.topk(k, dim=1, largest=False).indices
        smallest = (lowest == y_true[:, None]).any(dim=1).float().mean().item()
        kth_only = (probs.topk(k, dim=1).indices[:, -1] == y_true).float().mean().item()
        if math.isclose(got, expected * len(probs), abs_tol=1e-6):
            hint = tr(" That is a count: divide by the number of rows.")
        elif math.isclose(got, smallest, abs_tol=1e-6) and k < probs.shape[1]:
            hint = (tr(" You took the k SMALLEST probabilities: topk returns the largest (or sort with "
                       "descending=True)."))
        elif math.isclose(got, kth_only, abs_tol=1e-6):
            hint = (tr(" You compared with the k-th class only: a hit is the true class anywhere among the "
                       "k (.any)."))
        else:
            hint = ""
        raise Wrong(tr("topk_accuracy returned {got:.4g} for {shown}; expected {expected:.4g}.{hint}",
                       got=got, shown=shown, expected=expected, hint=hint))
    return (tr("top-1 is the ordinary accuracy and top-k can only grow with k (top-38 is always 1): more "
               "guesses, more hits. A diagnosis tool shows the top 3-5 with their probabilities."))


q1 = Exercise(
    chapter="15", name="q1", title="Top-k accuracy",
    checker=check_topk_accuracy, solver=solve_topk_accuracy,
    hints=["probs.topk(k, dim=1).indices is an (N, k) tensor: the k most probable classes of each row.",
           "Compare it with y_true[:, None] (broadcasting), .any(dim=1) says whether the true class is among "
           "them; then the mean as floats."],
    wrong_answers=[lambda: lambda p, y, k: (p.topk(k, dim=1).indices[:, -1] == y).float().mean().item(),
                   lambda: lambda p, y, k: (p.topk(k, dim=1, largest=False).indices == y[:, None]).any(1)
                   .float().mean().item(),
                   lambda: lambda p, y, k: (p.topk(k, dim=1).indices == y[:, None]).any(1).sum().item()],
)


# --- q2: Grad-CAM from a layer's activations and gradients --------------------------------------------------


def solve_grad_cam_map() -> Any:
    def grad_cam_map(activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        """Grad-CAM of one image: channels weighted by their mean gradient, summed, ReLU, scaled to [0, 1]."""
        weights = gradients.mean(dim=(1, 2), keepdim=True)         # (C, 1, 1): one weight per channel
        cam = torch.relu((weights * activations).sum(dim=0))        # (H, W)
        return cam / cam.max() if cam.max() > 0 else cam

    return grad_cam_map


def _cam_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(15)
    two = torch.zeros(2, 4, 4)
    two[0, :2, :2], two[1, 2:, 2:] = 1.0, 1.0                    # channel 0 top-left, channel 1 bottom-right
    one_sided = torch.stack([torch.full((4, 4), 0.5), torch.full((4, 4), -0.5)])
    return [(two, one_sided),                                     # only channel 0 counts: the top-left corner
            (torch.rand(8, 7, 7, generator=gen), torch.randn(8, 7, 7, generator=gen)),
            (torch.rand(16, 5, 5, generator=gen), torch.randn(16, 5, 5, generator=gen) + 0.2)]


def _reference_cam(activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
    """helpers.interpret.grad_cam's arithmetic for one image, at the layer's own size (no resizing)."""
    weights = gradients.mean(dim=(1, 2), keepdim=True)
    cam = torch.relu((weights * activations).sum(dim=0))
    return cam / cam.max().clamp_min(1e-12)


def check_grad_cam_map(answer: Any) -> str:
    expect_callable(answer, "grad_cam_map", "grad_cam_map(a, g)")
    for index, (activations, gradients) in enumerate(_cam_cases(), start=1):
        got = answer(activations.clone(), gradients.clone())
        if not isinstance(got, torch.Tensor) or got.shape != activations.shape[1:]:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            raise Wrong(tr("case {index}: give one (H, W) map, {expected}; got {shape}", index=index,
                           expected=tuple(activations.shape[1:]), shape=shape))
        expected = _reference_cam(activations, gradients)
        if torch.allclose(got.float(), expected, atol=1e-5):
            continue
        if float(got.min()) < -1e-6:
            raise Wrong(tr("case {index}: your map has negative values: keep only what speaks FOR the class "
                           "(a ReLU after the weighted sum)", index=index))
        if float(got.max()) > 1 + 1e-6:
            raise Wrong(tr("case {index}: your map goes up to {top:.3g}: divide by its largest value so that "
                           "it runs from 0 to 1", index=index, top=float(got.max())))
        raise Wrong(tr("case {index}: your map differs from Grad-CAM's by up to {gap:.3g}: weight each "
                       "channel by the MEAN of its gradient over the map, then sum the weighted channels",
                       index=index, gap=float((got.float() - expected).abs().max())))
    corner = _reference_cam(*_cam_cases()[0])
    return tr("right on the three cases. In the first, channel 1's gradient is negative: it argues against "
              "the class, so only channel 0's corner lights up ({share:.0%} of the map's total), which is "
              "what the ReLU is for.", share=float(corner[:2, :2].sum() / corner.sum()))


def _no_relu() -> Any:
    def wrong(activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        cam = (gradients.mean(dim=(1, 2), keepdim=True) * activations).sum(dim=0)
        return cam / cam.abs().max()

    return wrong


def _gradient_times_activation() -> Any:
    def wrong(activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        cam = torch.relu((gradients * activations).sum(dim=0))
        return cam / cam.max()

    return wrong


q2 = Exercise(
    chapter="15", name="q2", title="Grad-CAM by hand",
    checker=check_grad_cam_map, solver=solve_grad_cam_map,
    hints=["The weight of channel c is the mean of its gradient over the map: gradients.mean(dim=(1, 2)).",
           "cam = torch.relu((weights[:, None, None] * activations).sum(dim=0)), then cam / cam.max()."],
    wrong_answers=[_no_relu, _gradient_times_activation,
                   lambda: (lambda a, g: torch.relu((g.mean(dim=(1, 2), keepdim=True) * a).sum(dim=0)))],
)


# --- q3: label smoothing by hand, and what it does to the confidence -------------------------------------

SMOOTHING, CLASSES, STEPS = 0.1, 4, 60


def solve_smoothed_cross_entropy() -> Any:
    def smoothed_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, smoothing: float) -> torch.Tensor:
        """Cross-entropy against (1 - smoothing) one-hot + smoothing / K on every class, batch average."""
        log_p = logits.log_softmax(dim=1)
        k = logits.shape[1]
        wanted = torch.full_like(log_p, smoothing / k)
        wanted[torch.arange(len(targets)), targets] += 1 - smoothing
        return -(wanted * log_p).sum(dim=1).mean()

    return smoothed_cross_entropy


def _loss_cases() -> list[tuple[torch.Tensor, torch.Tensor, float]]:
    gen = torch.Generator().manual_seed(16)
    return [(torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0]), 0.1),
            (torch.randn(8, 5, generator=gen), torch.randint(0, 5, (8,), generator=gen), 0.0),
            (torch.randn(16, 38, generator=gen), torch.randint(0, 38, (16,), generator=gen), 0.1),
            (torch.randn(6, 2, generator=gen), torch.tensor([0, 1, 1, 0, 1, 1]), 0.3),
            (torch.tensor([[120.0, -80.0, 0.0], [0.0, 0.0, 150.0]]), torch.tensor([0, 0]), 0.1)]


def _other_classes(logits: torch.Tensor, targets: torch.Tensor, smoothing: float) -> torch.Tensor:
    """The other convention: 1 - smoothing on the true class, smoothing / (K - 1) on each of the others."""
    log_p = logits.log_softmax(dim=1)
    wanted = torch.full_like(log_p, smoothing / (logits.shape[1] - 1))
    wanted[torch.arange(len(targets)), targets] = 1 - smoothing
    return -(wanted * log_p).sum(dim=1).mean()


def _confidence(loss_fn: Any) -> float:
    """Mean top probability of a linear classifier after STEPS Adam steps with `loss_fn` on 16 points."""
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(CLASSES).repeat(4)
    points = 3 * torch.eye(CLASSES, 8)[labels] + 0.5 * torch.randn(16, 8, generator=gen)
    model = nn.Linear(8, CLASSES)
    train_steps(model, points, labels, torch.optim.Adam(model.parameters(), lr=0.1), STEPS, loss_fn=loss_fn)
    with torch.no_grad():
        return model(points).softmax(dim=1).max(dim=1).values.mean().item()


def check_smoothed_cross_entropy(answer: Any) -> str:
    expect_callable(answer, "smoothed_cross_entropy", "smoothed_cross_entropy(...)")
    for logits, targets, smoothing in _loss_cases():
        got = as_number(answer(logits.clone(), targets.clone(), smoothing),
                        f"smoothed_cross_entropy(logits, targets, {smoothing})")
        expected = nn.functional.cross_entropy(logits, targets, label_smoothing=smoothing).item()
        if math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-5):
            continue
        shown = f"{tuple(logits.shape)} logits, smoothing {smoothing}"
        if not math.isfinite(got):
            hint = (tr(" The logits here are large (up to 150): softmax then log overflows or gives "
                       "log(0). logits.log_softmax(dim=1) computes the same stably."))
        elif math.isclose(got, nn.functional.cross_entropy(logits, targets).item(), rel_tol=1e-4):
            hint = tr(" That is plain cross-entropy: the smoothing is missing.")
        elif math.isclose(got, _other_classes(logits, targets, smoothing).item(), rel_tol=1e-4):
            hint = (tr(" You spread the smoothing over the K - 1 other classes; PyTorch spreads it over "
                       "all K, the true one included: (1 - ε) one-hot + ε / K."))
        elif math.isclose(got, expected * len(targets), rel_tol=1e-4):
            hint = tr(" That is a sum over the batch: take the mean.")
        else:
            hint = ""
        raise Wrong(tr("for {shown} your loss is {got:.5g}, "
                       "nn.CrossEntropyLoss(label_smoothing={smoothing}) gives {expected:.5g}.{hint}",
                       shown=shown, got=got, smoothing=smoothing, expected=expected, hint=hint))
    with isolated(seed=0):
        smoothed = _confidence(lambda z, y: answer(z, y, SMOOTHING))
        torch.manual_seed(0)                     # the same starting weights with plain cross-entropy
        plain = _confidence(nn.CrossEntropyLoss())
    ceiling = 1 - SMOOTHING + SMOOTHING / CLASSES
    if not smoothed < plain - 0.02:
        raise Wrong(tr("trained with your loss, a classifier is as confident ({smoothed:.3f}) as with "
                       "plain cross-entropy ({plain:.3f}): the smoothing has no effect", smoothed=smoothed,
                       plain=plain))
    return (tr("a linear classifier trained {STEPS} steps on 16 separable points: mean top probability "
               "{smoothed:.3f} with your loss, {plain:.3f} with plain cross-entropy. The smoothed loss is "
               "smallest at 1 - ε + ε/K = {ceiling:.3f}, so it stops pushing the logits apart once the "
               "answer is right.", STEPS=STEPS, smoothed=smoothed, plain=plain, ceiling=ceiling))


q3 = Exercise(
    chapter="15", name="q3", title="Label smoothing by hand",
    checker=check_smoothed_cross_entropy, solver=solve_smoothed_cross_entropy,
    hints=["Build the target distribution: smoothing / K on every class, plus 1 - smoothing on the true "
           "class; the loss is -(target x log-probabilities) summed over classes, averaged over the batch.",
           "log_p = logits.log_softmax(dim=1) (stable for large logits); wanted = torch.full_like(log_p, "
           "smoothing / K); wanted[torch.arange(N), targets] += 1 - smoothing."],
    wrong_answers=[lambda: lambda z, y, s: nn.functional.cross_entropy(z, y),
                   lambda: _other_classes,
                   lambda: lambda z, y, s: nn.functional.cross_entropy(z, y, label_smoothing=s,
                                                                       reduction="sum"),
                   lambda: lambda z, y, s: -(((1 - s) * nn.functional.one_hot(y, z.shape[1]) + s / z.shape[1])
                                             * z.softmax(dim=1).log()).sum(dim=1).mean()],
)
