"""Chapter 09c exercises: Dropout by hand, when early stopping stops, MixUp by hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from helpers import mixing
from helpers.exercises.core import Exercise, Wrong, expect_callable, expect_type
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
    expect_callable(answer, "dropout")
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
    chapter="09c", name="q1", title="Dropout by hand",
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
    expect_callable(answer, "stop_epoch")
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
    chapter="09c", name="q2", title="When does early stopping stop?",
    checker=check_stop_epoch, solver=solve_stop_epoch,
    hints=["Walk through the losses keeping the best loss so far and how many epochs in a row did not "
           "beat it.",
           "A strictly lower loss resets the counter and becomes the best epoch; otherwise the counter "
           "grows, and when it reaches `patience` training stops at this epoch. Epochs count from 1."],
    wrong_answers=[lambda buggy=buggy: buggy for buggy in BUGGY_STOPS.values()] + [
        lambda: lambda losses, patience: (min(len(losses), losses.index(min(losses)) + 1 + patience),
                                          losses.index(min(losses)) + 1)],
)


# --- q3: MixUp by hand ------------------------------------------------------------------------------------


Batch = tuple[torch.Tensor, torch.Tensor]


def solve_mixup_batch() -> Callable[[torch.Tensor, torch.Tensor, float, int], Batch]:
    def mixup_batch(images: torch.Tensor, labels: torch.Tensor, lam: float,
                    num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
        targets = nn.functional.one_hot(labels, num_classes).float()        # (N, classes): 1 at each label
        partner = torch.roll(images, 1, dims=0)                     # image i meets image i - 1
        mixed = lam * images + (1 - lam) * partner
        return mixed, lam * targets + (1 - lam) * torch.roll(targets, 1, dims=0)

    return mixup_batch


def _blend(x: torch.Tensor, targets: torch.Tensor, lam: float, shift: int) -> Batch:
    """The MixUp blend with the partner ``shift`` places away: ``mixing.mixup_with`` is ``shift=1``."""
    return (lam * x + (1 - lam) * torch.roll(x, shift, 0),
            lam * targets + (1 - lam) * torch.roll(targets, shift, 0))


def _mixup_case(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(5, 1, 4, 4, generator=gen), torch.tensor([0, 3, 1, 3, 2])


def check_mixup_batch(answer: Any) -> str:
    expect_callable(answer, "mixup_batch")
    for seed, lam in ((0, 0.7), (1, 0.25), (2, 1.0)):
        images, labels = _mixup_case(seed)
        got = answer(images.clone(), labels.clone(), lam, 4)
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise Wrong(tr("return a pair (mixed images, soft targets), got {got}", got=type(got).__name__))
        mixed, targets = got
        one_hot = F.one_hot(labels, 4).float()
        expected_images, expected_targets = mixing.mixup_with(images, one_hot, lam)
        where = tr("with lam = {lam}", lam=lam)
        if not isinstance(targets, torch.Tensor) or tuple(targets.shape) != (5, 4):
            raise Wrong(tr("{where} the targets should be a float tensor of shape (5, 4): one row per image, "
                           "one column per class (nn.functional.one_hot, then the blend)", where=where))
        if not torch.allclose(mixed, expected_images, atol=1e-6):
            swapped, _ = mixing.mixup_with(images, one_hot, 1 - lam)
            other, _ = _blend(images, one_hot, lam, shift=-1)
            hint = (tr(" lam weighs the image itself, 1 - lam its partner.") if torch.allclose(mixed, swapped)
                    else tr(" The partner of image i is image i - 1: torch.roll(images, 1, dims=0).")
                    if torch.allclose(mixed, other) else "")
            raise Wrong(tr("{where} the mixed images differ from lam * x_i + (1 - lam) * x_(i-1).{hint}",
                           where=where, hint=hint))
        if not torch.allclose(targets.float(), expected_targets, atol=1e-6):
            hint = (tr(" The labels must be blended like the images: a mixed image is lam of one class and "
                       "1 - lam of another.")
                    if torch.allclose(targets.float(), one_hot) else "")
            raise Wrong(tr("{where} the soft targets differ from the same blend of the one-hot labels.{hint}",
                           where=where, hint=hint))
    images, labels = _mixup_case(0)
    _, targets = answer(images, labels, 0.7, 4)
    return tr("each soft target sums to 1 ({sums}): a mixed image is 70% of one class and 30% of the class "
              "of its partner, so a model cannot learn one image's label by heart. helpers.mixing.mixup "
              "does the same with lam drawn from Beta(alpha, alpha) for each batch.",
              sums=", ".join(f"{s:.2f}" for s in targets.sum(dim=1).tolist()))


q3 = Exercise(
    chapter="09c", name="q3", title="MixUp by hand",
    checker=check_mixup_batch, solver=solve_mixup_batch,
    hints=["`torch.roll(images, 1, dims=0)` puts image i - 1 at position i (the first image meets the last).",
           "Targets: `nn.functional.one_hot(labels, num_classes).float()`, then the same blend as the "
           "images, with the same roll."],
    wrong_answers=[
        lambda: lambda x, y, lam, k: (lam * x + (1 - lam) * torch.roll(x, 1, 0), F.one_hot(y, k).float()),
        lambda: lambda x, y, lam, k: mixing.mixup_with(x, F.one_hot(y, k).float(), 1 - lam),   # lam swapped
        lambda: lambda x, y, lam, k: _blend(x, F.one_hot(y, k).float(), lam, shift=-1),      # partner i + 1
    ],
)
