"""Chapter 11 exercises: SimpleCNN at other image sizes, balanced accuracy, dead units, Kaiming's fix."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from helpers import metrics, models
from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable
from helpers.exercises.tiny import isolated, train_steps
from helpers.i18n import tr

# --- q1: SimpleCNN's parameters at another image size -----------------------------------------------------

CHANNELS = (3, 32, 64, 128, 256, 512)
"""SimpleCNN's channels, input to last block (:class:`helpers.models.SimpleCNN`)."""
SIDES = (64, 128, 256, 512)
"""The image sides the check asks about: 256 px is the report's size."""


def solve_simple_cnn_parameters() -> Any:
    def simple_cnn_parameters(image_size: int) -> int:
        """Parameters of SimpleCNN built for square images of image_size px (a multiple of 32)."""
        convs = sum(cin * cout * 3 * 3 + cout for cin, cout in zip(CHANNELS[:-1], CHANNELS[1:], strict=True))
        flat = 512 * (image_size // 2**5) ** 2      # five MaxPool(2) halve the side five times
        return convs + (flat * 512 + 512) + (512 * 38 + 38)

    return simple_cnn_parameters


def _without_biases(image_size: int) -> int:
    convs = sum(cin * cout * 9 for cin, cout in zip(CHANNELS[:-1], CHANNELS[1:], strict=True))
    return convs + 512 * (image_size // 32) ** 2 * 512 + 512 * 38


def _four_pools(image_size: int) -> int:
    return solve_simple_cnn_parameters()(image_size * 2)   # the side divided by 16: one MaxPool missed


def check_simple_cnn_parameters(answer: Any) -> str:
    expect_callable(answer, "simple_cnn_parameters", "simple_cnn_parameters(...)")
    reference = solve_simple_cnn_parameters()
    for side in SIDES:
        got = as_number(answer(side), f"simple_cnn_parameters({side})")
        expected = reference(side)
        if got == expected:
            continue
        if side != 256 and got == reference(256):
            hint = tr(" That is the count at 256 px: the first Linear layer's inputs depend on the image "
                      "size.")
        elif got == _without_biases(side):
            hint = tr(" Every Conv2d and Linear layer also has one bias per output.")
        elif got == _four_pools(side):
            hint = tr(" Five MaxPool(2) layers halve the side five times: the maps end at image_size / 32.")
        else:
            hint = ""
        raise Wrong(tr("simple_cnn_parameters({side}) returned {got:,.0f}; expected {expected:,}.{hint}",
                       side=side, got=got, expected=expected, hint=hint))
    counts = {side: reference(side) for side in SIDES}
    with torch.device("meta"):                      # shapes only: no 18 M weights to draw
        built = sum(p.numel() for p in models.SimpleCNN().parameters())
    if counts[256] != built:
        raise AssertionError(f"the reference counts {counts[256]:,} at 256 px, SimpleCNN has {built:,}")
    first_linear = {side: 512 * (side // 32) ** 2 * 512 + 512 for side in SIDES}
    return tr("{p64:,} parameters at 64 px, {p256:,} at 256 px, {p512:,} at 512 px: the convolutions hold "
              "{convs:,} whatever the size, the first Linear layer grows 4x each time the side doubles "
              "({share512:.0%} of the model at 512 px). A network that flattens its maps is built for one "
              "image size; chapter 13's AdaptiveAvgPool makes the head's size independent of it.",
              p64=counts[64], p256=counts[256], p512=counts[512],
              convs=counts[256] - first_linear[256] - (512 * 38 + 38),
              share512=first_linear[512] / counts[512])


q1 = Exercise(
    chapter="11", name="q1", title="SimpleCNN at another image size",
    checker=check_simple_cnn_parameters, solver=solve_simple_cnn_parameters,
    hints=["Only the first Linear layer depends on the image size: its inputs are 512 channels times the "
           "positions left after five MaxPool(2) layers, (image_size / 32) squared.",
           "A 3x3 Conv2d from cin to cout channels holds cin * cout * 9 weights and cout biases; a Linear "
           "layer from n to m holds n * m weights and m biases. Sum the five convolutions and the two Linear "
           "layers (512 -> 38 at the end)."],
    wrong_answers=[lambda: lambda image_size: solve_simple_cnn_parameters()(256),   # ignores the size
                   lambda: _without_biases,
                   lambda: _four_pools],
)


# --- q2: balanced accuracy by hand -----------------------------------------------------------------------


def solve_balanced_accuracy() -> Any:
    def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        """The mean, over the classes present in y_true, of each class's recall (its share found)."""
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        recalls = [float((y_pred[y_true == c] == c).mean()) for c in np.unique(y_true)]
        return float(np.mean(recalls))

    return balanced_accuracy


BALANCED_CASES = [
    (np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2]), np.zeros(10, dtype=np.int64)),    # a constant answer
    (np.array([0, 0, 1, 1, 1, 3]), np.array([0, 1, 1, 1, 0, 2])),               # class 2 predicted, not true
    (np.array([4, 4, 4, 4, 1, 1]), np.array([4, 4, 1, 4, 1, 4])),               # classes 0, 2, 3 absent
    (np.array([2, 0, 1, 2]), np.array([2, 0, 1, 2])),                           # all right
]


def _expected_balanced(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """helpers.metrics' balanced accuracy, the reference the check compares with."""
    num_classes = int(max(y_true.max(), y_pred.max())) + 1
    return metrics.balanced_accuracy(metrics.confusion_matrix(y_true, y_pred, num_classes))


def check_balanced_accuracy(answer: Any) -> str:
    expect_callable(answer, "balanced_accuracy", "balanced_accuracy(...)")
    for y_true, y_pred in BALANCED_CASES:
        got = as_number(answer(y_true.copy(), y_pred.copy()), "balanced_accuracy(y_true, y_pred)")
        expected = _expected_balanced(y_true, y_pred)
        if math.isclose(got, expected, abs_tol=1e-9):
            continue
        shown = f"y_true = {y_true.tolist()}, y_pred = {y_pred.tolist()}"
        if math.isclose(got, float((y_true == y_pred).mean()), abs_tol=1e-9):
            hint = tr(" That is the plain accuracy: average the recall of each class instead, so that every "
                      "class weighs the same.")
        elif math.isclose(got, _mean_precision(y_true, y_pred), abs_tol=1e-9):
            hint = tr(" You averaged the precision (right among the predictions of a class); balanced "
                      "accuracy averages the recall (found among the images of a class).")
        elif math.isclose(got, _over_all_classes(y_true, y_pred), abs_tol=1e-9):
            hint = tr(" Average over the classes present in y_true only: a class with no image has no "
                      "recall.")
        else:
            hint = ""
        raise Wrong(tr("balanced_accuracy returned {got:.4g} for {shown}; expected {expected:.4g}.{hint}",
                       got=got, shown=shown, expected=expected, hint=hint))
    y_true, y_pred = BALANCED_CASES[0]
    return tr("always answering class 0 scores {accuracy:.0%} accuracy on labels where it holds "
              "{accuracy:.0%}, but {balanced:.0%} balanced accuracy = 1 / {present} classes present: "
              "whichever class a collapsed model names, its balanced accuracy is 1 / (number of classes), "
              "section 3's check.",
              accuracy=float((y_true == y_pred).mean()), balanced=_expected_balanced(y_true, y_pred),
              present=len(np.unique(y_true)))


def _mean_precision(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean([(y_true[y_pred == c] == c).mean() for c in np.unique(y_pred)]))


def _over_all_classes(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    classes = range(int(max(y_true.max(), y_pred.max())) + 1)
    return float(np.mean([(y_pred[y_true == c] == c).mean() if (y_true == c).any() else 0.0
                          for c in classes]))


q2 = Exercise(
    chapter="11", name="q2", title="Balanced accuracy by hand",
    checker=check_balanced_accuracy, solver=solve_balanced_accuracy,
    hints=["For each class c present in y_true, its recall is the share of the images of class c "
           "(y_true == c) that were predicted c.",
           "np.unique(y_true) lists the classes present; average their recalls with np.mean."],
    wrong_answers=[lambda: lambda t, p: float((t == p).mean()), lambda: _mean_precision,
                   lambda: _over_all_classes],
)


# --- q3: the share of dead units ----------------------------------------------------------------------


def solve_dead_share() -> Any:
    def dead_share(hidden: torch.Tensor) -> float:
        """Share of the units (columns) that are zero for every image (row) of `hidden`."""
        return (hidden <= 0).all(dim=0).float().mean().item()

    return dead_share


def _dead_cases() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(11)
    noisy = torch.relu(torch.randn(40, 24, generator=gen) - 1.0)
    noisy[:, [2, 3, 7, 11, 19]] = 0.0
    return [torch.tensor([[0.0, 1.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]),
            torch.tensor([[0.0, 3.0, 0.0, 0.0]]),
            torch.tensor([[0.5, 1.0], [2.0, 0.1]]),
            noisy]


def check_dead_share(answer: Any) -> str:
    expect_callable(answer, "dead_share", "dead_share(...)")
    for hidden in _dead_cases():
        got = as_number(answer(hidden.clone()), "dead_share(hidden)")
        expected = (hidden <= 0).all(dim=0).float().mean().item()
        if math.isclose(got, expected, abs_tol=1e-6):
            continue
        shown = hidden.tolist() if hidden.numel() <= 12 else tr("a {shape} tensor", shape=tuple(hidden.shape))
        if math.isclose(got, (hidden == 0).float().mean().item(), abs_tol=1e-6):
            hint = (tr(" That is the share of zero VALUES. A unit (a column) is dead when it is zero for "
                       "every image: .all(dim=0) before the mean."))
        elif math.isclose(got, (hidden <= 0).any(dim=0).float().mean().item(), abs_tol=1e-6):
            hint = (tr(" You counted units that are zero for SOME image: that is a normal ReLU at work. "
                       "Dead means zero for every image (.all, not .any)."))
        elif math.isclose(got, (hidden <= 0).all(dim=1).float().mean().item(), abs_tol=1e-6):
            hint = tr(" You looked along the wrong dimension: rows are images, columns are units (dim=0).")
        elif math.isclose(got, (hidden <= 0).all(dim=0).sum().item(), abs_tol=1e-6):
            hint = tr(" That is a count: divide by the number of units.")
        else:
            hint = ""
        raise Wrong(tr("dead_share returned {got:.4g} for {shown}; expected {expected:.4g}.{hint}", got=got,
                       shown=shown, expected=expected, hint=hint))
    return tr("section 4's 'dead hidden units' is exactly this number, computed on 512 units.")


q3 = Exercise(
    chapter="11", name="q3", title="The share of dead units",
    checker=check_dead_share, solver=solve_dead_share,
    hints=["Rows are images, columns are units. (hidden <= 0) marks the zeros.",
           "(hidden <= 0).all(dim=0) is True for the units that are zero for every image; take the mean as "
           "floats."],
    wrong_answers=[lambda: lambda h: (h == 0).float().mean().item(),
                   lambda: lambda h: (h <= 0).any(dim=0).float().mean().item(),
                   lambda: lambda h: (h <= 0).all(dim=1).float().mean().item()],
)


# --- q4: Kaiming's initialisation, measured on a small SimpleCNN ---------------------------------------

TINY_CHANNELS = [3, 8, 16, 32, 32, 64]
STEPS, LR = 15, 3e-4


def solve_kaiming_init() -> Any:
    def kaiming_init(model: nn.Module) -> None:
        """Kaiming-normal weights and zero biases in every Conv2d and Linear; a small last layer."""
        layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
        for layer in layers:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
        nn.init.normal_(layers[-1].weight, std=0.01)   # small logits at the start: loss near ln 38

    return kaiming_init


def _tiny_simple_cnn() -> nn.Sequential:
    """SimpleCNN's design for 32 px images: five conv_relu_pool blocks (32 -> 1 px), Linear 64 -> 64 -> 38."""
    blocks = [models.conv_relu_pool(a, b) for a, b in zip(TINY_CHANNELS[:-1], TINY_CHANNELS[1:], strict=True)]
    return nn.Sequential(nn.Sequential(*blocks),
                         nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 38)))


def _tiny_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """16 images of 4 classes: each class is a random pattern, each image that pattern plus noise."""
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(4).repeat(4)
    patterns = torch.randn(4, 3, 32, 32, generator=gen)
    return patterns[labels] + torch.randn(16, 3, 32, 32, generator=gen), labels


@torch.no_grad()
def _logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    return model.eval()(images)


def _train(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """STEPS Adam steps at LR on the one batch; the loss afterwards."""
    train_steps(model, images, labels, torch.optim.Adam(model.parameters(), lr=LR), STEPS)
    return nn.functional.cross_entropy(_logits(model, images), labels).item()


def check_kaiming_init(answer: Any) -> str:
    expect_callable(answer, "kaiming_init", "kaiming_init(model)")
    images, labels = _tiny_batch()
    with isolated(seed=0):
        default = _tiny_simple_cnn()
        model = copy.deepcopy(default)
        returned = answer(model)
        model = returned if isinstance(returned, nn.Module) else model
        layers = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d | nn.Linear)]
        originals = dict(default.named_modules())
        for name, layer in layers[:-1]:
            fan_in = layer.weight[0].numel()
            std, kaiming = layer.weight.std().item(), math.sqrt(2 / fan_in)
            if torch.equal(layer.weight, originals[name].weight):
                raise Wrong(tr("your function left layer {name} ({layer}) as PyTorch initialised it: "
                               "re-draw every Conv2d and Linear weight (model.modules() finds them all)",
                               name=name, layer=layer))
            if not 0.8 < std / kaiming < 1.25:
                hint = (tr(" That is sqrt(1 / fan_in): for ReLU layers pass nonlinearity='relu' (gain sqrt "
                           "2).")
                        if 0.63 < std / kaiming < 0.78 else "")
                raise Wrong(tr("layer {name} has weights with standard deviation {std:.3f}; Kaiming's for "
                               "a ReLU layer with fan_in = {fan_in} is sqrt(2 / {fan_in}) = "
                               "{kaiming:.3f}.{hint}", name=name, std=std, fan_in=fan_in, kaiming=kaiming,
                               hint=hint))
            if layer.bias is not None and layer.bias.abs().max().item() > 0:
                raise Wrong(tr("layer {name} still has non-zero biases: set them to 0 (nn.init.zeros_)",
                               name=name))
        first_loss = nn.functional.cross_entropy(_logits(model, images), labels).item()
        if first_loss > math.log(38) + 1:
            raise Wrong(tr("before training your network's loss is {first_loss:.1f}, far above ln 38 = "
                           "{math_log_38:.2f}: with Kaiming weights in the last layer too, the 38 logits "
                           "start large and confidently wrong. Re-draw the last Linear layer's weights "
                           "with a small std (0.01), as section 5 does", first_loss=first_loss,
                           math_log_38=math.log(38)))
        spread = _logits(model, images).std(dim=0).mean().item()
        default_spread = _logits(default, images).std(dim=0).mean().item()
        if spread < 5 * default_spread:
            raise Wrong(tr("the logits of your network hardly depend on the image at the start (spread "
                           "across images {spread:.2g}, PyTorch's default {default_spread:.2g}): the "
                           "signal still shrinks from layer to layer", spread=spread,
                           default_spread=default_spread))
        final_loss, default_loss = _train(model, images, labels), _train(default, images, labels)
    if final_loss > first_loss - 1.0:
        raise Wrong(tr("after {STEPS} Adam steps at lr {LR:g} on one batch of 16 images your network's "
                       "loss went from {first_loss:.2f} only to {final_loss:.2f}: the initialisation did "
                       "not help it learn", STEPS=STEPS, LR=LR, first_loss=first_loss,
                       final_loss=final_loss))
    return (tr("on a 5-block SimpleCNN at 32 px the logits' spread across images starts "
               "{spread_default_spread:.0f}x larger than with PyTorch's default, and {STEPS} steps at lr "
               "{LR:g} take the loss from {first_loss:.2f} to {final_loss:.2f} (default initialisation: to "
               "{default_loss:.2f}).", spread_default_spread=spread / default_spread, STEPS=STEPS, LR=LR,
               first_loss=first_loss, final_loss=final_loss, default_loss=default_loss))


q4 = Exercise(
    chapter="11", name="q4", title="Kaiming's initialisation, measured",
    checker=check_kaiming_init, solver=solve_kaiming_init,
    hints=["Loop over model.modules(); for every nn.Conv2d or nn.Linear call "
           "nn.init.kaiming_normal_(layer.weight, nonlinearity='relu') and nn.init.zeros_(layer.bias).",
           "Then the last Linear layer: nn.init.normal_(its weight, std=0.01), so the first logits are small "
           "(build_simple_cnn(init='kaiming') in section 1 does all of this)."],
    wrong_answers=[lambda: lambda model: None,                                       # PyTorch's default stays
                   lambda: lambda model: [nn.init.kaiming_normal_(m.weight, nonlinearity="linear")
                                          for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)],
                   lambda: lambda model: [(nn.init.kaiming_normal_(m.weight, nonlinearity="relu"),
                                           nn.init.zeros_(m.bias))
                                          for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]],
)
