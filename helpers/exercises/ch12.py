"""Chapter 12 exercises: the sizes DeepCNN accepts, the first-to-last gradient ratio, BatchNorm's effect."""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from helpers import models
from helpers.exercises.core import Exercise, Unanswered, Wrong, as_number, expect_callable
from helpers.exercises.tiny import isolated, weight_grad_norms
from helpers.i18n import mark, tr

# --- q1: which image sizes does DeepCNN accept? -----------------------------------------------------------


def solve_size_range() -> tuple[int, int]:
    # Each of the 8 MaxPools halves the side, rounding down: s -> s // 2**8 after all of them.
    # Flatten must give 512 x 1 x 1 = 512 numbers for Linear(512, 1024), so s // 256 == 1.
    smallest, largest = 256, 2 * 256 - 1
    with torch.device("meta"):                  # shapes only, no arithmetic: instant
        net = models.DeepCNN()
        for size in (smallest, largest):
            net(torch.empty(1, 3, size, size))  # both run (and 255 or 512 would raise)
    return smallest, largest


def _final_side(size: int) -> int:
    for _ in range(8):       # the 3x3 convolutions (padding 1) keep the size; each MaxPool(2) floors it
        size //= 2
    return size


def check_size_range(answer: Any) -> str:
    if isinstance(answer, tuple | list) and any(a is Ellipsis for a in answer):
        raise Unanswered(tr("not answered yet: replace each ... with a number of pixels"))
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise Wrong(tr("give two numbers, (smallest, largest); got {answer!r}", answer=answer))
    low, high = (int(as_number(a, tr("each size"))) for a in answer)
    for size in (low, high):
        side = _final_side(size)
        if side == 0:
            raise Wrong(tr("a {size} px image is 0 px after DeepCNN's 8 MaxPools (each halves the side and "
                           "rounds down): the last ones fail", size=size))
        if side > 1:
            raise Wrong(tr("a {size} px image is still {side} x {side} after the 8 MaxPools: Flatten gives "
                           "512 x {side_side} = {value} numbers, but Linear(512, 1024) expects 512",
                           size=size, side=side, side_side=side * side, value=512 * side * side))
    if low > high:
        raise Wrong(tr("({low}, {high}): give the smallest size first", low=low, high=high))
    if _final_side(low - 1) == 1:
        raise Wrong(tr("{low_1} px works too: go smaller until the map would vanish", low_1=low - 1))
    if _final_side(high + 1) == 1:
        raise Wrong(tr("{high_1} px works too (after 8 halvings rounded down it is still 1 x 1): find the "
                       "largest size that still ends at exactly 1 pixel", high_1=high + 1))
    return (tr("256 to 511 px: MaxPool rounds down, so 511 -> 255 -> ... -> 1. A 128 px image reaches 1 x "
               "1 after 7 blocks and the 8th MaxPool fails; the ResNets end with AdaptiveAvgPool and take "
               "any size."))


q1 = Exercise(
    chapter="12", name="q1", title="The image sizes DeepCNN accepts",
    checker=check_size_range, solver=solve_size_range,
    hints=["The 3x3 convolutions with padding 1 keep the size; each MaxPool2d(2) maps a side s to s // 2 "
           "(rounded down). After 8 of them, what must the side be for Linear(512, 1024)?",
           "The side after 8 pools is s // 256. Try it: `with torch.device('meta'): models.DeepCNN()("
           "torch.empty(1, 3, s, s))` runs instantly and raises when s does not fit."],
    wrong_answers=[lambda: (256, 256), lambda: (256, 512), lambda: (128, 511)],
)


# --- q2: the first layer's gradient relative to the last ---------------------------------------------------


def solve_first_to_last() -> Any:
    def first_to_last(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
        """Gradient norm of the first layer's weights / the last layer's, after one cross-entropy backward."""
        model.zero_grad()
        nn.functional.cross_entropy(model(images), labels).backward()
        layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
        return (layers[0].weight.grad.norm() / layers[-1].weight.grad.norm()).item()

    return first_to_last


def _double_conv(cin: int, cout: int, batchnorm: bool) -> nn.Sequential:
    """DeepCNN's block, (Conv 3x3, [BatchNorm], ReLU) twice then MaxPool(2), with or without BatchNorm."""
    def norm(c: int) -> nn.Module:
        return nn.BatchNorm2d(c) if batchnorm else nn.Identity()

    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), norm(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1), norm(cout), nn.ReLU(), nn.MaxPool2d(2))


def _small_deep_cnn(batchnorm: bool) -> nn.Sequential:
    """DeepCNN's design at 32 px: 5 double-conv blocks (32 -> 1 px, 10 convolutions), Linear 32->32->38."""
    widths = (8, 16, 16, 32, 32)
    blocks = [_double_conv(a, b, batchnorm) for a, b in zip((3, *widths[:-1]), widths, strict=True)]
    return nn.Sequential(nn.Sequential(*blocks),
                         nn.Sequential(nn.Flatten(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 38)))


def _batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(8, 3, 32, 32, generator=gen), torch.arange(8) % 4


def _ratio(norms: list[float]) -> float:
    return norms[0] / norms[-1]


def check_first_to_last(answer: Any) -> str:
    expect_callable(answer, "first_to_last", "first_to_last(...)")
    found = {}
    with isolated(seed=0):
        single = nn.Sequential(nn.Flatten(), nn.Linear(12, 4))          # one layer: first and last at once
        one = as_number(answer(single, torch.randn(5, 3, 2, 2), torch.arange(5) % 4), "first_to_last")
        if not math.isclose(one, 1.0, rel_tol=1e-5):
            raise Wrong(tr("for a model with a single Linear layer (the first is the last) your function "
                           "returned {one:.4g}; the ratio of a layer's gradient norm to itself is 1",
                           one=one))
        for batchnorm in (False, True):
            net = _small_deep_cnn(batchnorm)
            images, labels = _batch(1)
            stale = weight_grad_norms(net, *_batch(2))        # gradients left over from an earlier batch
            stale_grads = [p.grad.clone() for p in net.parameters()]
            fresh = weight_grad_norms(copy.deepcopy(net), images, labels)
            for p, g in zip(net.parameters(), stale_grads, strict=True):
                p.grad = g.clone()
            twin = copy.deepcopy(net)
            got = as_number(answer(net, images, labels), "first_to_last(model, images, labels)")
            expected = _ratio(fresh)
            found[batchnorm] = expected
            if math.isclose(got, expected, rel_tol=1e-3):
                continue
            what = mark("with") if batchnorm else mark("without")
            message = (tr("on a small DeepCNN {what} BatchNorm your function returned {got:.4g}, expected "
                          "{expected:.4g}.", what=what, got=got, expected=expected))
            weights = [m.weight.norm().item() for m in twin.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
            for p, g in zip(twin.parameters(), stale_grads, strict=True):
                p.grad = g.clone()
            nn.functional.cross_entropy(twin(images), labels).backward()   # what forgetting zero_grad gives
            summed = [m.weight.grad.norm().item() for m in twin.modules()
                      if isinstance(m, nn.Conv2d | nn.Linear)]
            if math.isclose(got, _ratio(summed), rel_tol=1e-3):
                message += (tr(" The model arrived with gradients from an earlier batch and backward() "
                               "ADDS to .grad: call model.zero_grad() first."))
            elif math.isclose(got, 1 / expected, rel_tol=1e-3):
                message += tr(" That is last / first: divide the first layer's norm by the last layer's.")
            elif math.isclose(got, _ratio(weights), rel_tol=1e-3):
                message += tr(" That is the ratio of the WEIGHTS' norms: use layer.weight.grad.")
            elif math.isclose(got, _ratio(stale), rel_tol=1e-3):
                message += (tr(" That is the ratio of the gradients already in .grad: run a backward pass "
                               "on the batch."))
            raise Wrong(message)
    return (tr("{found_False:.1e} without BatchNorm, {found_True:.2g} with it, on the same 10 convolutions "
               "at initialisation: section 3's measurement.", found_False=found[False],
               found_True=found[True]))


q2 = Exercise(
    chapter="12", name="q2", title="The first layer's share of the gradient",
    checker=check_first_to_last, solver=solve_first_to_last,
    hints=["model.zero_grad(), then cross_entropy(model(images), labels).backward() fills every .grad.",
           "layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]; divide "
           "layers[0].weight.grad.norm() by layers[-1].weight.grad.norm()."],
    wrong_answers=[
        lambda: lambda model, x, y: (nn.functional.cross_entropy(model(x), y).backward(),   # no zero_grad
                                     _ratio([m.weight.grad.norm().item() for m in model.modules()
                                             if isinstance(m, nn.Conv2d | nn.Linear)]))[1],
        lambda: lambda model, x, y: 1 / solve_first_to_last()(model, x, y),
        lambda: lambda model, x, y: _ratio([m.weight.norm().item() for m in model.modules()
                                            if isinstance(m, nn.Conv2d | nn.Linear)])],
)


# --- q3: put BatchNorm back --------------------------------------------------------------------------------


def solve_add_batchnorm() -> Any:
    def add_batchnorm(model: nn.Module) -> nn.Module:
        """Put a BatchNorm2d right after every Conv2d of `model` (in place) and return it."""
        for name, child in model.named_children():
            if isinstance(child, nn.Conv2d):
                setattr(model, name, nn.Sequential(child, nn.BatchNorm2d(child.out_channels)))
            else:
                add_batchnorm(child)
        return model

    return add_batchnorm


def _call_order(model: nn.Module, images: torch.Tensor) -> list[tuple[str, nn.Module]]:
    """The leaf modules in the order the forward pass calls them."""
    calls: list[tuple[str, nn.Module]] = []
    leaves = [(n, m) for n, m in model.named_modules() if not list(m.children())]
    handles = [m.register_forward_hook(lambda mod, i, o, n=n: calls.append((n, mod))) for n, m in leaves]
    try:
        model(images)
    finally:
        for handle in handles:
            handle.remove()
    return calls


def check_add_batchnorm(answer: Any) -> str:
    expect_callable(answer, "add_batchnorm", "add_batchnorm(model)")
    images, labels = _batch(1)
    with isolated(seed=0):
        plain = _small_deep_cnn(batchnorm=False)
        model = copy.deepcopy(plain)
        returned = answer(model)
        model = returned if isinstance(returned, nn.Module) else model
        try:
            calls = _call_order(model, images)
        except NotImplementedError:  # a RuntimeError too: the stub, not a shape mistake
            raise
        except RuntimeError as error:
            raise Wrong(tr("your network fails on a batch of 8 images: {error_line}. A "
                           "BatchNorm2d after a convolution needs that convolution's out_channels",
                           error_line=str(error).splitlines()[0])) from None
        convs = [i for i, (_, m) in enumerate(calls) if isinstance(m, nn.Conv2d)]
        if len(convs) != 10:
            raise Wrong(tr("the small DeepCNN has 10 convolutions; yours calls {len_convs}: add layers, "
                           "remove none", len_convs=len(convs)))
        for i in convs:
            name, conv = calls[i]
            following = calls[i + 1][1] if i + 1 < len(calls) else None
            if not isinstance(following, nn.BatchNorm2d):
                raise Wrong(tr("convolution {name} is followed by {type_following_name}, not BatchNorm2d: "
                               "put one right after every Conv2d", name=name,
                               type_following_name=type(following).__name__))
        plain_weights = [m.weight for m in plain.modules() if isinstance(m, nn.Conv2d)]
        if not all(torch.equal(a, calls[i][1].weight) for a, i in zip(plain_weights, convs, strict=True)):
            raise Wrong(tr("your function changed the convolutions' weights: keep the convolutions, only "
                           "add BatchNorm"))
        before = _ratio(weight_grad_norms(plain, images, labels))
        after = _ratio(weight_grad_norms(model, images, labels))
    if after < 100 * before or after < 0.05:
        raise Wrong(tr("the first convolution's gradient is {after:.2g} times the last layer's with your "
                       "BatchNorms ({before:.2g} without): BatchNorm in every block should lift it by "
                       "orders of magnitude", after=after, before=before))
    return (tr("the first convolution's gradient went from {before:.1e} to {after:.2g} times the last "
               "layer's: BatchNorm rescales every layer's signal, forward and backward.", before=before,
               after=after))


q3 = Exercise(
    chapter="12", name="q3", title="BatchNorm back in",
    checker=check_add_batchnorm, solver=solve_add_batchnorm,
    hints=["Walk the network like `without_batchnorm` in section 3: model.named_children(), recursing into "
           "containers.",
           "Replace each nn.Conv2d child by nn.Sequential(child, nn.BatchNorm2d(child.out_channels)) with "
           "setattr(parent, name, ...)."],
    wrong_answers=[
        lambda: lambda model: model,
        lambda: lambda model: [setattr(block, "0", nn.Sequential(block[0],
                                                                 nn.BatchNorm2d(block[0].in_channels)))
                               for block in model[0]],
        lambda: lambda model: setattr(model[0][0], "0", nn.Sequential(model[0][0][0], nn.BatchNorm2d(8)))],
)
