"""Chapter 16 exercises: each model's work per image, test-time augmentation, choosing on validation."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from helpers import macs, models
from helpers.exercises.core import Exercise, Unanswered, Wrong, as_number
from helpers.exercises.tiny import isolated
from helpers.i18n import mark, tr

NAMES = models.PLANTVILLAGE_MODELS

# --- q1: multiply-adds per image for the six models ---------------------------------------------------------


def solve_macs_per_image() -> dict[str, int]:
    counts = {}
    for name in models.PLANTVILLAGE_MODELS:
        with torch.device("meta"):       # shapes only: nothing to compute or draw, the count is the same
            model = models.build_model(name)
        counts[name] = macs.total_macs(model, (1, 3, 256, 256))
    return counts


@functools.cache
def _macs(name: str, size: int = 256) -> int:
    with torch.device("meta"):                # weightless copy: counted in milliseconds
        model = models.build_model(name)
    return macs.total_macs(model, (1, 3, size, size))


def check_macs_per_image(answer: Any) -> str:
    if not isinstance(answer, dict):
        raise Wrong(tr("give a dictionary {{model name: multiply-adds}}, got {type_answer_name}",
                       type_answer_name=type(answer).__name__))
    if any(value is Ellipsis for value in answer.values()):
        raise Unanswered(tr("not answered yet: replace each ... with a number"))
    missing = [name for name in NAMES if name not in answer]
    if missing:
        raise Wrong(tr("your dictionary misses {missing}: one entry per name in models.PLANTVILLAGE_MODELS",
                       missing=missing))
    for name in NAMES:
        got, expected = as_number(answer[name], tr("the value for {name}", name=name)), _macs(name)
        if math.isclose(got, expected, rel_tol=1e-2):
            continue
        if math.isclose(got, models.REPORT_PARAMETERS[name], rel_tol=1e-3):
            hint = tr(" That is its number of PARAMETERS; helpers.macs.total_macs counts the multiply-adds.")
        elif math.isclose(got, expected / 1e9, rel_tol=1e-2):
            hint = tr(" That is in billions (G): give the count itself.")
        elif name not in ("simple_cnn", "deep_cnn") and math.isclose(got, _macs(name, 128), rel_tol=1e-2):
            hint = (tr(" That is for a 128 px image (a quarter of the pixels): count at 256 px, input (1, "
                       "3, 256, 256)."))
        else:
            hint = ""
        shown = f"{got:,.0f}" if abs(got) >= 1000 else f"{got:.4g}"
        raise Wrong(tr("{name}: you have {shown}, helpers.macs counts {expected:,} for one 256 px "
                       "image.{hint}", name=name, shown=shown, expected=expected, hint=hint))
    work = pd.Series({name: _macs(name) for name in NAMES}).sort_values()
    params = pd.Series(models.REPORT_PARAMETERS)[work.index]
    rho = np.corrcoef(params.rank(), work.rank())[0, 1]
    ranking = ", ".join(f"{name} {value / 1e9:.2f} G" for name, value in work.items())
    cheapest = work.index[0]
    return (tr("from least to most work: {ranking}. Rank correlation with the parameter counts: "
               "{rho:+.2f}. {cheapest} does the least work with {value:.1f} M parameters; the MaxPool "
               "ResNet does {value2:.1f}x the stride-2 one's work with the same weights. Work follows the "
               "size of the maps the convolutions run on, not the number of weights.", ranking=ranking,
               rho=rho, cheapest=cheapest, value=params[cheapest] / 1e6,
               value2=work['resnet_maxpool'] / work['resnet_stride']))


q1 = Exercise(
    chapter="16", name="q1", title="Work per image, six models",
    checker=check_macs_per_image, solver=solve_macs_per_image,
    hints=["helpers.macs.total_macs(model, (1, 3, 256, 256)) counts the multiply-adds of one 256 px image.",
           "{name: macs.total_macs(models.build_model(name), (1, 3, 256, 256)) for name in "
           "models.PLANTVILLAGE_MODELS}"],
    wrong_answers=[lambda: dict(models.REPORT_PARAMETERS),
                   lambda: {name: _macs(name) / 1e9 for name in NAMES},
                   lambda: {name: _macs(name, 256 if name in ("simple_cnn", "deep_cnn") else 128)
                            for name in NAMES}],
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
    if not callable(answer):
        raise Wrong(tr("give the function itself (predict_tta, not predict_tta(...)); got "
                       "{type_answer_name}", type_answer_name=type(answer).__name__))
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
    if not callable(answer):
        raise Wrong(tr("give the function itself (choose, not choose(table)); got {type_answer_name}",
                       type_answer_name=type(answer).__name__))
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
