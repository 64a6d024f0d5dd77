"""Chapter 16 exercises: McNemar's test by hand, test-time augmentation, choosing on validation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from helpers import models
from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable
from helpers.exercises.tiny import isolated
from helpers.i18n import mark, tr

NAMES = models.PLANTVILLAGE_MODELS

# --- q1: McNemar's test by hand -----------------------------------------------------------------------------


def solve_mcnemar() -> Any:
    def mcnemar_p(correct_a: np.ndarray, correct_b: np.ndarray) -> float:
        """Two-sided exact p-value of McNemar's test: only the images the two disagree on count."""
        a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
        a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
        n, k = a_only + b_only, min(a_only, b_only)
        tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n   # P(X <= k), X ~ Binomial(n, 1/2)
        return min(1.0, 2 * tail)

    return mcnemar_p


def _mcnemar_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(what the case is, A right?, B right?) on made-up images, the reference is helpers.metrics.mcnemar."""
    rng = np.random.default_rng(16)
    both = np.ones(200, dtype=bool)
    lopsided_b = np.concatenate([both, np.ones(10, bool)]), np.concatenate([both, np.zeros(10, bool)])
    balanced = np.r_[np.ones(6, bool), np.zeros(6, bool)], np.r_[np.zeros(6, bool), np.ones(6, bool)]
    a = rng.random(500) < 0.8
    b = np.where(rng.random(500) < 0.1, ~a, a)
    return [(mark("10 images that only A gets right, 200 both get right"), *lopsided_b),
            (mark("6 images each way"), *balanced),
            (mark("no image on which they disagree"), both, both),
            (mark("500 random images, one in ten disputed"), a, b)]


def check_mcnemar(answer: Any) -> str:
    from helpers import metrics

    expect_callable(answer, "mcnemar_p", "mcnemar_p(a, b)")
    for what, a, b in _mcnemar_cases():
        expected = metrics.mcnemar(a, b)
        got = as_number(answer(a.copy(), b.copy()), tr("your p-value"))
        if math.isclose(got, expected["p_value"], rel_tol=1e-6, abs_tol=1e-12):
            continue
        one_sided = expected["p_value"] / 2
        if math.isclose(got, one_sided, rel_tol=1e-6):
            hint = tr(" That is one tail: the test is two-sided (A better OR B better), double it "
                      "(at most 1).")
        elif expected["discordant"] and math.isclose(
                got, min(1.0, 2 * sum(math.comb(len(a), i) for i in range(min(expected["a_only"],
                                                                               expected["b_only"]) + 1))
                         / 2 ** len(a)), rel_tol=1e-6):
            hint = tr(" Your n counts every image; only the discordant ones (right for one, wrong for the "
                      "other) are the coin tosses.")
        else:
            hint = ""
        raise Wrong(tr("{what}: you give p = {got:.6g}, the exact test gives {expected:.6g} ({a_only} images "
                       "only A gets right, {b_only} only B).{hint}", what=what, got=got,
                       expected=expected["p_value"], a_only=expected["a_only"], b_only=expected["b_only"],
                       hint=hint))
    lopsided = metrics.mcnemar(*_mcnemar_cases()[0][1:])
    return tr("right on all four cases. With 10 disputed images all on one side, p = {p:.4f}: below 5%, "
              "although both classifiers agree on 200 of the 210 images. The 200 say nothing about which is "
              "better; section 4 applies the same test to test-time augmentation.", p=lopsided["p_value"])


def _one_sided() -> Any:
    full = solve_mcnemar()
    return lambda a, b: full(a, b) / 2


def _all_images() -> Any:
    def wrong(a: np.ndarray, b: np.ndarray) -> float:
        a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
        n, k = len(a), min(a_only, b_only)
        return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)

    return wrong


q1 = Exercise(
    chapter="16", name="q1", title="McNemar's test by hand",
    checker=check_mcnemar, solver=solve_mcnemar,
    hints=["Count a_only (A right, B wrong) and b_only (B right, A wrong): the images both get right or "
           "both get wrong do not count. If A and B were equally good, each of the n = a_only + b_only "
           "images would fall on either side with probability 1/2.",
           "p = min(1, 2 * P(X <= min(a_only, b_only))) for X ~ Binomial(n, 1/2): "
           "sum(math.comb(n, i) for i in range(k + 1)) / 2**n is P(X <= k)."],
    wrong_answers=[_one_sided, _all_images,
                   lambda: (lambda a, b: abs(float(np.mean(a)) - float(np.mean(b))))],
)


# --- q2: test-time augmentation with all four flips ---------------------------------------------------------


def solve_predict_tta() -> Any:
    @torch.no_grad()
    def predict_tta(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
        """Class probabilities averaged over the image, its two mirror images and the image turned by 180°."""
        model.eval()
        views = (images, images.flip(-1), images.flip(-2), images.flip(-1, -2))
        return torch.stack([model(view).softmax(dim=1) for view in views]).mean(dim=0)

    return predict_tta


def _fixed_model() -> nn.Module:
    """A small CNN with BatchNorm and Dropout (so evaluation mode matters) whose answer depends on where
    things are in the image (Flatten, not average pooling), its weights drawn with a fixed seed."""
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Dropout(0.5), nn.Linear(8 * 4 * 4, 5))
    for bn in (net[1], net[5]):                                  # statistics as if it had seen data
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    with torch.no_grad():
        net[-1].weight.mul_(8)                                   # confident logits, as a trained model's
    return net


@torch.no_grad()
def _averaged(model: nn.Module, views: list[torch.Tensor], logits: bool = False) -> torch.Tensor:
    if logits:
        return torch.stack([model(v) for v in views]).mean(dim=0).softmax(dim=1)
    return torch.stack([model(v).softmax(dim=1) for v in views]).mean(dim=0)


def check_predict_tta(answer: Any) -> str:
    expect_callable(answer, "predict_tta", "predict_tta(...)")
    with isolated(seed=0):
        model = _fixed_model().train()                 # as a model is left after training
        images = torch.randn(6, 3, 16, 16)
        got = answer(model, images)
        left_training = model.training
        if not torch.is_tensor(got) or tuple(got.shape) != (6, 5):
            raise Wrong(tr("for 6 images and 5 classes predict_tta should return probabilities of shape "
                           "(6, 5), got {value}",
                           value=tuple(got.shape) if torch.is_tensor(got) else type(got).__name__))
        got = got.detach()
        model.eval()
        x, h, v, hv = images, images.flip(-1), images.flip(-2), images.flip(-1, -2)
        expected = _averaged(model, [x, h, v, hv])
        if not torch.allclose(got, expected, atol=1e-5):
            candidates = {
                mark(" You used three views (the image and its two mirrors), as section 4 does: add the "
                     "image flipped both ways, images.flip(-1, -2)."): _averaged(model, [x, h, v]),
                mark(" You averaged the logits: average the probabilities (softmax of each view, then the "
                     "mean)."): _averaged(model, [x, h, v, hv], logits=True),
                mark(" images.flip(1) reverses the colour channels: the width is dim -1, the height dim -2."):
                    _averaged(model, [x, images.flip(1), v, images.flip(1, -2)]),
            }
            hint = next((text for text, probs in candidates.items()
                         if torch.allclose(got, probs, atol=1e-5)), "")
            if not hint and left_training:
                hint = (tr(" The model was left in training mode: call model.eval() first (Dropout drops "
                           "units at random and BatchNorm uses the batch's statistics in training mode)."))
            raise Wrong(tr("your probabilities differ from the average of the softmax over the 4 views "
                           "(largest difference {value:.3g}).{hint}",
                           value=(got - expected).abs().max().item(), hint=hint))
        flipped = answer(model, images.flip(-1)).detach()
        with torch.no_grad():
            plain = model(images).softmax(dim=1)
            plain_flipped = model(images.flip(-1)).softmax(dim=1)
    change, tta_change = (plain - plain_flipped).abs().max().item(), (got - flipped).abs().max().item()
    if tta_change > 1e-5:
        raise Wrong(tr("predict_tta(model, images.flip(-1)) differs from predict_tta(model, images) by "
                       "{tta_change:.3g}", tta_change=tta_change))
    return (tr("mirroring the input changes the plain model's probabilities by up to {change:.3f}, the "
               "averaged prediction's by 0: the four views are the same set for the image and its mirrors, "
               "so the prediction no longer depends on which way the leaf was photographed. It costs four "
               "forward passes per image.", change=change))


q2 = Exercise(
    chapter="16", name="q2", title="Test-time augmentation, four views",
    checker=check_predict_tta, solver=solve_predict_tta,
    hints=["model.eval(); the four views are images, images.flip(-1), images.flip(-2) and images.flip(-1, "
           "-2) (dims -1 and -2 are the width and the height).",
           "torch.stack([model(view).softmax(dim=1) for view in views]).mean(dim=0), under torch.no_grad()."],
    wrong_answers=[
        lambda: lambda model, x: _averaged(model.eval(), [x, x.flip(-1), x.flip(-2)]),
        lambda: lambda model, x: _averaged(model.eval(), [x, x.flip(-1), x.flip(-2), x.flip(-1, -2)],
                                           logits=True),
        lambda: lambda model, x: _averaged(model, [x, x.flip(-1), x.flip(-2), x.flip(-1, -2)])],
)


# --- q3: choose on validation, report the test once -------------------------------------------------------


def solve_choose() -> Any:
    def choose(table: pd.DataFrame) -> tuple[str, float]:
        """The model (index) with the best validation accuracy, and ITS test accuracy."""
        best = table["val_acc"].idxmax()
        return best, float(table.loc[best, "test_acc"])

    return choose


def _choice_tables() -> list[pd.DataFrame]:
    return [
        pd.DataFrame({"val_acc": [0.91, 0.95, 0.94], "test_acc": [0.90, 0.93, 0.96]},
                     index=["small_resnet", "resnet_stride", "resnet_minimal"]),
        pd.DataFrame({"val_acc": [np.nan, 0.80, 0.85, 0.82], "test_acc": [0.99, 0.81, 0.83, 0.86]},
                     index=["never_validated", "a", "b", "c"]),
        pd.DataFrame({"val_acc": [0.7], "test_acc": [0.68]}, index=["only"]),
    ]


def check_choose(answer: Any) -> str:
    expect_callable(answer, "choose", "choose(table)")
    for table in _choice_tables():
        result = answer(table.copy())
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise Wrong(tr("choose should return (model name, its test accuracy), got {result!r}",
                           result=result))
        name, number = result[0], as_number(result[1], tr("the test accuracy you return"))
        best = table["val_acc"].idxmax()
        if name != best:
            if name == table["test_acc"].idxmax():
                raise Wrong(tr("you chose '{name}', the model with the best TEST accuracy: choose on "
                               "validation ('{best}' here); the test set only measures the chosen model, "
                               "once", name=name, best=best))
            raise Wrong(tr("you chose '{name}', but '{best}' has the best validation accuracy "
                           "({table_loc_best_val_acc:.2f}) in this table:\n{table}", name=name, best=best,
                           table_loc_best_val_acc=table.loc[best, 'val_acc'], table=table))
        if not math.isclose(number, table.loc[best, "test_acc"]):
            hint = (tr(" That is its validation accuracy, already used to choose it: report the test "
                       "accuracy.")
                    if math.isclose(number, table.loc[best, "val_acc"]) else "")
            raise Wrong(tr("you chose '{best}' (right) but returned {number:.3g}; its test accuracy is "
                           "{table_loc_best_test_acc:.3g}.{hint}", best=best, number=number,
                           table_loc_best_test_acc=table.loc[best, 'test_acc'], hint=hint))
    first = _choice_tables()[0]
    return (tr("in the first table the best test accuracy ({first_test_acc_max:.2f}) belongs to a model "
               "that validation did not choose; reporting it would be the maximum of three noisy numbers, "
               "a biased estimate. The chosen model's test accuracy ({value:.2f}) is not.",
               first_test_acc_max=first['test_acc'].max(),
               value=first.loc[first['val_acc'].idxmax(), 'test_acc']))


q3 = Exercise(
    chapter="16", name="q3", title="Choose on validation, report the test once",
    checker=check_choose, solver=solve_choose,
    hints=["table['val_acc'].idxmax() is the index (model name) of the largest validation accuracy; it skips "
           "missing values (NaN).",
           "Return that name and table.loc[name, 'test_acc']."],
    wrong_answers=[lambda: lambda t: (t["test_acc"].idxmax(), float(t["test_acc"].max())),
                   lambda: lambda t: (t["val_acc"].idxmax(), float(t["val_acc"].max())),
                   lambda: lambda t: (t.index[0], float(t["test_acc"].iloc[0]))],
)
