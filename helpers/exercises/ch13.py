"""Chapter 13 exercises: what the shortcuts cost, a random flip, a shortcut and the stem's gradient."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from helpers import models
from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable
from helpers.exercises.tiny import isolated
from helpers.i18n import mark, tr

# --- q1: the parameters of the 1x1 shortcuts -------------------------------------------------------------


def solve_shortcut_share() -> float:
    net = models.SmallResNet()
    shortcuts = sum(models.count_parameters(block.shortcut) for block in net.blocks
                    if isinstance(block, models.ResidualBlock))
    return shortcuts / models.count_parameters(net)


def _shortcut_counts() -> dict[str, int]:
    """Parameters of SmallResNet's four shortcuts, counted on a weightless (meta) copy, split by kind."""
    with torch.device("meta"):
        net = models.SmallResNet()
    blocks = [b for b in net.blocks if isinstance(b, models.ResidualBlock)]
    return {"all": sum(models.count_parameters(b.shortcut) for b in blocks),
            "conv": sum(models.count_parameters(b.shortcut[0]) for b in blocks),
            "conv weights": sum(b.shortcut[0].weight.numel() for b in blocks),
            "blocks": sum(models.count_parameters(b) for b in blocks),
            "model": models.count_parameters(net)}


def check_shortcut_share(answer: Any) -> str:
    got = as_number(answer, tr("your share"))
    counts = _shortcut_counts()
    share = counts["all"] / counts["model"]
    if math.isclose(got, share, rel_tol=2e-3):
        return (tr("{counts_all:,} parameters, {share:.1%} of the model: a 1x1 convolution has cin x cout "
                   "weights, a ninth of a 3x3 one, so letting every block change its width costs little.",
                   counts_all=counts['all'], share=share))
    if math.isclose(got, counts["all"], rel_tol=1e-3):
        raise Wrong(tr("{got:,.0f} is the number of parameters; divide it by the model's {counts_model:,}",
                       got=got, counts_model=counts['model']))
    if math.isclose(got, 100 * share, rel_tol=2e-3):
        raise Wrong(tr("{got:.3g} looks like a percentage: give the share as a fraction between 0 and 1",
                       got=got))
    if math.isclose(got, counts["conv"] / counts["model"], rel_tol=2e-3):
        raise Wrong(tr("you counted the 1x1 convolutions only: each shortcut also has a BatchNorm2d with 2 "
                       "x cout parameters (its weight and bias)"))
    if math.isclose(got, counts["conv weights"] / counts["model"], rel_tol=2e-3):
        raise Wrong(tr("you counted the convolutions' weights only: add their biases and the BatchNorms' "
                       "parameters"))
    if math.isclose(got, counts["all"] / counts["blocks"], rel_tol=2e-3):
        raise Wrong(tr("that is the shortcuts' share of the residual blocks; the question asks for the "
                       "whole model ({counts_model:,} parameters)", counts_model=counts['model']))
    raise Wrong(tr("your share is {got:.4g}, expected {share:.4g}: add up count_parameters(block.shortcut) "
                   "over the four ResidualBlocks and divide by the model's parameters", got=got,
                   share=share))


q1 = Exercise(
    chapter="13", name="q1", title="What the shortcuts cost",
    checker=check_shortcut_share, solver=solve_shortcut_share,
    hints=["models.SmallResNet().blocks holds the four ResidualBlocks and the MaxPools; each ResidualBlock "
           "has a `.shortcut` (Conv 1x1 and BatchNorm2d).",
           "Sum models.count_parameters(block.shortcut) over the blocks that are ResidualBlocks, then divide "
           "by models.count_parameters(model)."],
    wrong_answers=[lambda: _shortcut_counts()["conv"] / _shortcut_counts()["model"],
                   lambda: _shortcut_counts()["all"],
                   lambda: _shortcut_counts()["all"] / _shortcut_counts()["blocks"]],
)


# --- q2: a random horizontal flip, one coin per image -------------------------------------------------------


def solve_random_hflip() -> Any:
    def random_hflip(images: torch.Tensor) -> torch.Tensor:
        """Mirror each image of the batch (N, C, H, W) left-right with probability 0.5, independently."""
        flip = torch.rand(len(images)) < 0.5
        return torch.where(flip[:, None, None, None], images.flip(-1), images)

    return random_hflip


def _flipped_mask(answer: Any, images: torch.Tensor) -> torch.Tensor:
    """Which images `answer` mirrored; Wrong when an output is neither the image nor its mirror."""
    original = images.clone()
    out = answer(images)
    if not torch.is_tensor(out) or out.shape != images.shape:
        raise Wrong(tr("random_hflip must return a tensor shaped like its input {tuple_images_shape}, got "
                       "{value}", tuple_images_shape=tuple(images.shape),
                       value=tuple(out.shape) if torch.is_tensor(out) else type(out).__name__))
    if not torch.equal(images, original):
        raise Wrong(tr("your function changed the batch it was given: return a new tensor (the loader may "
                       "reuse its input)"))
    same = (out == images).flatten(1).all(dim=1)
    mirrored = (out == images.flip(-1)).flatten(1).all(dim=1)
    for i in torch.nonzero(~(same | mirrored)).flatten().tolist():
        if torch.equal(out[i], images[i].flip(-2)):
            raise Wrong(tr("image {i} came back upside down (flipped along dim -2, the height): a "
                           "horizontal mirror reverses the width, the last dimension", i=i))
        if torch.equal(out[i], images[i].flip(0)):
            raise Wrong(tr("image {i} has its colour channels reversed (RGB -> BGR): in a batch (N, C, H, "
                           "W) the width is dim -1, not dim 1", i=i))
        raise Wrong(tr("image {i} is neither the original nor its left-right mirror", i=i))
    return mirrored


def check_random_hflip(answer: Any) -> str:
    expect_callable(answer, "random_hflip", "random_hflip(images)")
    gen = torch.Generator().manual_seed(13)
    images = torch.randn(200, 3, 4, 5, generator=gen)   # a non-square image tells height and width apart
    with isolated(seed=0):
        first, second = _flipped_mask(answer, images), _flipped_mask(answer, images)
        single = _flipped_mask(answer, images[:1])
    for mask in (first, second):
        count = int(mask.sum())
        if count in (0, len(mask)):
            raise Wrong(tr("{how_many} of the 200 images came back mirrored in one call: "
                           "draw one coin per image (torch.rand(len(images)) < 0.5), not one for the whole "
                           "batch", how_many='none' if count == 0 else 'all'))
        if not 60 <= count <= 140:
            raise Wrong(tr("{count} of 200 images came back mirrored: each one should be, with probability "
                           "0.5", count=count))
    if torch.equal(first, second):
        raise Wrong(tr("the same images were mirrored in two calls: draw new coins on every call"))
    return (tr("{int_first_sum} and {int_second_sum} of 200 images mirrored in two calls, a new choice "
               "each time (and a batch of one works: {value} this time).", int_first_sum=int(first.sum()),
               int_second_sum=int(second.sum()), value='mirrored' if bool(single[0]) else 'kept'))


q2 = Exercise(
    chapter="13", name="q2", title="A random horizontal flip",
    checker=check_random_hflip, solver=solve_random_hflip,
    hints=["torch.rand(len(images)) < 0.5 gives one True/False coin per image; images.flip(-1) mirrors every "
           "image left-right (the width is the last dimension).",
           "torch.where(coins[:, None, None, None], images.flip(-1), images) picks, image by image, the "
           "mirror or the original."],
    wrong_answers=[lambda: lambda images: images.flip(-1) if torch.rand(1).item() < 0.5 else images.clone(),
                   lambda: lambda images: torch.where((torch.rand(len(images)) < 0.5)[:, None, None, None],
                                                      images.flip(-2), images),
                   lambda: lambda images: torch.where((torch.rand(len(images)) < 0.5)[:, None, None, None],
                                                      images.flip(1), images)],
)


# --- q3: a residual wrapper, and what it does for the stem's gradient -------------------------------------


def solve_residual() -> Any:
    class Residual(nn.Module):
        """ReLU(main(x) + shortcut(x)); shortcut: the identity when the shapes match, else 1x1 conv + BN."""

        def __init__(self, main: nn.Module, cin: int, cout: int, stride: int = 1) -> None:
            super().__init__()
            self.main = main
            if cin == cout and stride == 1:
                self.shortcut = nn.Identity()
            else:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), nn.BatchNorm2d(cout))
            self.relu = nn.ReLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.relu(self.main(x) + self.shortcut(x))

    return Residual


def _main(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """A residual block's main path without BatchNorm: Conv 3x3 (stride), ReLU, Conv 3x3."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1))


class _NoShortcut(nn.Module):
    """The same block without its shortcut: ReLU(main(x))."""

    def __init__(self, main: nn.Module, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.main, self.relu = main, nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.main(x))


def _stem_gradient(block_class: Any, depth: int = 8, width: int = 8) -> float:
    """Gradient norm of the stem's weights in stem + `depth` blocks (no BatchNorm anywhere) + pooled head."""
    net = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.ReLU(),
                        *(block_class(_main(width, width), width, width) for _ in range(depth)),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 38))
    images, labels = torch.randn(8, 3, 16, 16), torch.arange(8) % 4
    nn.functional.cross_entropy(net(images), labels).backward()
    return net[0].weight.grad.norm().item()


def check_residual(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(tr("give the class itself (Residual, not Residual(...)); got {type_answer_name}",
                       type_answer_name=type(answer).__name__))
    with isolated(seed=0):
        x = torch.randn(2, 8, 16, 16)
        main = _main(8, 8)
        block = answer(main, 8, 8)
        extra = models.count_parameters(block) - models.count_parameters(main)
        if extra:
            raise Wrong(tr("with cin = cout = 8 and stride 1 the shortcut is the identity, with no "
                           "parameters; your block adds {extra}", extra=extra))
        with torch.no_grad():
            got, inner = block(x), main(x)
        candidates = {"": torch.relu(inner + x),
                      mark(" You forgot the shortcut: add x before the ReLU."): torch.relu(inner),
                      mark(" You forgot the final ReLU: ReLU(main(x) + x)."): inner + x,
                      mark(" You added x after the ReLU: add first, then ReLU."): torch.relu(inner) + x}
        if not torch.is_tensor(got) or got.shape != x.shape:
            raise Wrong(tr("Residual(main, 8, 8) should keep the shape {tuple_x_shape}, got {value}",
                           tuple_x_shape=tuple(x.shape),
                           value=tuple(got.shape) if torch.is_tensor(got) else type(got).__name__))
        for hint, expected in candidates.items():
            if torch.allclose(got, expected, atol=1e-6):
                if hint:
                    raise Wrong(tr("Residual(main, 8, 8)(x) is not ReLU(main(x) + x).{hint}", hint=hint))
                break
        else:
            raise Wrong(tr("Residual(main, 8, 8)(x) is not ReLU(main(x) + x)"))
        down = answer(_main(8, 16, stride=2), 8, 16, stride=2)
        ones = [m for m in down.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1)]
        if len(ones) != 1 or (ones[0].in_channels, ones[0].out_channels, ones[0].stride) != (8, 16, (2, 2)):
            raise Wrong(tr("Residual(main, 8, 16, stride=2) needs a shortcut with one nn.Conv2d(8, 16, 1, "
                           "stride=2) (found {value})", value=ones or 'no 1x1 convolution'))
        if not any(isinstance(m, nn.BatchNorm2d) and m.num_features == 16 for m in down.modules()):
            raise Wrong(tr("the projection shortcut is a 1x1 convolution followed by nn.BatchNorm2d(cout), "
                           "as in models.ResidualBlock"))
        shape = tuple(down(torch.randn(2, 8, 16, 16)).shape)
        if shape != (2, 16, 8, 8):
            raise Wrong(tr("Residual(main, 8, 16, stride=2) turns (2, 8, 16, 16) into {shape}, expected "
                           "(2, 16, 8, 8)", shape=shape))
        torch.manual_seed(1)
        with_shortcut = _stem_gradient(answer)
        torch.manual_seed(1)                      # the same weights and images without the shortcuts
        without = _stem_gradient(_NoShortcut)
    if with_shortcut < 100 * without:
        raise Wrong(tr("in 8 blocks without BatchNorm the stem's gradient norm is {with_shortcut:.2g} with "
                       "your block and {without:.2g} without shortcuts: the shortcut should carry the "
                       "gradient past every block", with_shortcut=with_shortcut, without=without))
    return (tr("stem + 8 blocks without BatchNorm: the stem's gradient norm is {with_shortcut:.2g} with "
               "your shortcuts, {without:.1e} without. Each block adds its input back, so the gradient "
               "reaches the stem through the additions, not only through 16 convolutions (chapter 12 found "
               "that BatchNorm also rescues it).", with_shortcut=with_shortcut, without=without))


q3 = Exercise(
    chapter="13", name="q3", title="The shortcut and the stem's gradient",
    checker=check_residual, solver=solve_residual,
    hints=["In __init__ keep `main`, and build the shortcut: nn.Identity() when cin == cout and stride == 1, "
           "otherwise nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), nn.BatchNorm2d(cout)).",
           "forward: return torch.relu(self.main(x) + self.shortcut(x)) (the ReLU after the addition)."],
    wrong_answers=[lambda: _NoShortcut,
                   lambda: type("Residual", (solve_residual(),),
                                {"forward": lambda self, x: self.main(x) + self.shortcut(x)}),
                   lambda: type("Residual", (solve_residual(),),
                                {"forward": lambda self, x: self.relu(self.main(x)) + self.shortcut(x)})],
)
