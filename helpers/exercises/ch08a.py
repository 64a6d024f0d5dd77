"""Chapter 08a exercises: a batch cut straight from the stored bytes (what the in-memory loader does), a
class's recall from the confusion matrix, and the top-2 accuracy of the CNN's probabilities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import functional as tvf

from helpers.data.tiny import FASHION_CLASSES, _fashion_images
from helpers.exercises.core import Exercise, Wrong, as_number, expect_close
from helpers.i18n import tr

# --- q1: a batch straight from the bytes ----------------------------------------------------------------


def solve_batch_from_bytes() -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    def batch_from_bytes(images: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """The images at ``index`` of uint8 (N, 28, 28) bytes: a float32 batch (B, 1, 28, 28) in [0, 1]."""
        return images[index].unsqueeze(1).float() / 255  # one gather, one channel axis, one division

    return batch_from_bytes


def _stored_bytes() -> tuple[torch.Tensor, torch.Tensor]:
    """Generated FashionMNIST-like bytes, stored as torchvision stores them (``.data``: uint8 (N, 28, 28)),
    and a shuffled batch of indices."""
    images, _ = _fashion_images(3, np.random.default_rng(81))
    index = torch.randperm(len(images), generator=torch.Generator().manual_seed(81))[:12]
    return torch.from_numpy(images), index


def _one_by_one(images: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """What a DataLoader over torchvision's data set builds: a PIL image per item, ToTensor, a stack."""
    return torch.stack([tvf.to_tensor(Image.fromarray(images[int(i)].numpy())) for i in index])


def check_batch_from_bytes(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(tr("give the function itself (batch_from_bytes), got {type_answer_name}",
                       type_answer_name=type(answer).__name__))
    images, index = _stored_bytes()
    expected = _one_by_one(images, index)
    got = answer(images.clone(), index.clone())
    if not isinstance(got, torch.Tensor):
        raise Wrong(tr("batch_from_bytes should return a tensor, got {got_type}",
                       got_type=type(got).__name__))
    if tuple(got.shape) == (len(index), 28, 28):
        raise Wrong(tr("your batch has shape {shape}: a convolution wants a channel axis, (B, 1, 28, 28). "
                       "`.unsqueeze(1)` adds it", shape=tuple(got.shape)))
    if tuple(got.shape) != tuple(expected.shape):
        raise Wrong(tr("your batch has shape {shape}, expected {expected}: one image per index, one grey "
                       "channel", shape=tuple(got.shape), expected=tuple(expected.shape)))
    if got.dtype != torch.float32:
        raise Wrong(tr("your batch is {dtype}; the model's weights are float32, and so is what ToTensor "
                       "gives: `.float()`", dtype=got.dtype))
    if got.max() > 1.5:
        raise Wrong(tr("your pixels go up to {top:.0f}: ToTensor scales the bytes 0..255 to [0, 1], "
                       "divide by 255", top=got.max().item()))
    if not torch.allclose(got, expected, atol=1e-6):
        in_order = images[: len(index)].unsqueeze(1).float() / 255
        if torch.allclose(got, in_order, atol=1e-6):
            raise Wrong(tr("you returned the first {n} images; the batch is the images at `index`, in that "
                           "order (a shuffled loader draws them at random)", n=len(index)))
        raise Wrong(tr("your batch differs from what ToTensor gives image by image (largest difference "
                       "{gap:.3g})", gap=(got - expected).abs().max().item()))
    return tr("the same {n} images as a PIL image and a ToTensor each, bit for bit, in one indexing "
              "operation: data.fashion_mnist_loaders does this at every step (data.to_unit_range).",
              n=len(index))


q1 = Exercise(
    chapter="08a", name="q1", title="A batch straight from the bytes",
    checker=check_batch_from_bytes, solver=solve_batch_from_bytes,
    hints=["Three steps: `images[index]` picks the images (B, 28, 28), `.unsqueeze(1)` adds the channel "
           "axis, and the bytes 0..255 become floats in [0, 1].",
           "return images[index].unsqueeze(1).float() / 255"],
    wrong_answers=[lambda: lambda images, index: images[index].unsqueeze(1).float(),          # 0..255
                   lambda: lambda images, index: images[index].float() / 255,                 # no channel
                   lambda: lambda images, index: images[: len(index)].unsqueeze(1).float() / 255,  # no index
                   lambda: lambda images, index: images[index].unsqueeze(1).double() / 255],  # float64
)


# --- q2: recall of one class from the confusion matrix --------------------------------------------------

SHIRT = FASHION_CLASSES.index("Shirt")


def solve_shirt_recall(cm: torch.Tensor) -> float:
    return (cm[SHIRT, SHIRT] / cm[SHIRT].sum()).item()  # row = true class: of all real shirts, how many found


def check_shirt_recall(answer: Any, cm: torch.Tensor) -> str:
    cm = torch.as_tensor(cm, dtype=torch.float64)
    recall = (cm[SHIRT, SHIRT] / cm[SHIRT].sum()).item()
    precision = (cm[SHIRT, SHIRT] / cm[:, SHIRT].sum()).item()
    accuracy = (cm.trace() / cm.sum()).item()
    got = as_number(answer, tr("your recall"))
    if abs(got - recall) > 1e-6 and abs(got - precision) < 1e-6:
        raise Wrong(tr("{got:.4f} is the precision (the Shirt COLUMN: of the images called Shirt, how many "
                       "were shirts). Recall reads the Shirt ROW: of the real shirts, how many were found",
                       got=got))
    if abs(got - recall) > 1e-6 and abs(got - accuracy) < 1e-6:
        raise Wrong(tr("{got:.4f} is the overall accuracy (trace / total); the recall of Shirt uses the "
                       "Shirt row only", got=got))
    if abs(got - 100 * recall) < 1e-4:
        raise Wrong(tr("{got:g} is a percentage; give the fraction {recall:.4f}", got=got, recall=recall))
    expect_close(got, recall, rtol=0, atol=1e-6, what=tr("your recall of Shirt"),
                 hint=tr("Divide the diagonal cell of the Shirt row by the sum of that row."))
    return (tr("{recall:.1%} of the real shirts are found; {precision:.1%} of the images called Shirt are "
               "shirts.", recall=recall, precision=precision))


def _confusion_context() -> dict[str, Any]:
    gen = torch.Generator().manual_seed(8)
    cm = torch.randint(0, 30, (10, 10), generator=gen)
    cm += torch.diag(torch.randint(500, 900, (10,), generator=gen))
    return {"cm": cm}


q2 = Exercise(
    chapter="08a", name="q2", title="The recall of Shirt",
    checker=check_shirt_recall, solver=solve_shirt_recall,
    hints=["Row i of the confusion matrix holds the images whose TRUE class is i.",
           "recall = cm[s, s] / cm[s].sum() with s = CLASSES.index('Shirt'); `.item()` makes it a number."],
    wrong_answers=[lambda cm: (cm[SHIRT, SHIRT] / cm[:, SHIRT].sum()).item(),   # precision: the column
                   lambda cm: (cm.trace() / cm.sum()).item(),                    # overall accuracy
                   lambda cm: (100 * cm[SHIRT, SHIRT] / cm[SHIRT].sum()).item()],  # a percentage
    context=_confusion_context,
)


# --- q3: top-2 accuracy -----------------------------------------------------------------------------------


def solve_top2_accuracy(probabilities: torch.Tensor, labels: torch.Tensor) -> Callable[..., float]:
    def top2_accuracy(probabilities: torch.Tensor, labels: torch.Tensor) -> float:
        """The fraction of images whose true class is one of the two most probable ones."""
        best_two = probabilities.topk(2, dim=1).indices           # (N, 2): the two top classes of each row
        return (best_two == labels.unsqueeze(1)).any(dim=1).double().mean().item()

    return top2_accuracy


def _top_k(probabilities: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    best = probabilities.topk(k, dim=1).indices
    return (best == labels.unsqueeze(1)).any(dim=1).double().mean().item()


def _made_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Small cases where top-1, top-2 and 'the second only' all differ (and N differs from the classes)."""
    p = torch.tensor([[0.70, 0.20, 0.05, 0.05],    # right first
                      [0.10, 0.60, 0.25, 0.05],    # right second
                      [0.05, 0.15, 0.30, 0.50],    # right second
                      [0.40, 0.30, 0.20, 0.10],    # right third: wrong for top-2
                      [0.25, 0.25, 0.10, 0.40],    # right first
                      [0.10, 0.20, 0.30, 0.40]])   # right fourth
    labels = torch.tensor([0, 2, 2, 2, 3, 0])
    gen = torch.Generator().manual_seed(83)
    logits = torch.randn(40, 10, generator=gen)
    return [(p, labels), (logits.softmax(dim=1), torch.randint(0, 10, (40,), generator=gen))]


def check_top2_accuracy(answer: Any, probabilities: torch.Tensor, labels: torch.Tensor) -> str:
    if not callable(answer):
        raise Wrong(tr("give the function itself (top2_accuracy), got {type_answer_name}",
                       type_answer_name=type(answer).__name__))
    probabilities, labels = torch.as_tensor(probabilities).cpu(), torch.as_tensor(labels).cpu()
    for p, y in [*_made_cases(), (probabilities, labels)]:
        got = as_number(answer(p.clone(), y.clone()), tr("top2_accuracy(probabilities, labels)"))
        right, top1 = _top_k(p, y, 2), _top_k(p, y, 1)
        if abs(got - right) < 1e-9:
            continue
        if abs(got - 100 * right) < 1e-6:
            raise Wrong(tr("{got:g} is a percentage; give the fraction {right:.4f}", got=got, right=right))
        if abs(got - top1) < 1e-9:
            raise Wrong(tr("{got:.4f} is the ordinary (top-1) accuracy: count an image as right when its "
                           "true class is first OR second", got=got))
        second = (p.topk(2, dim=1).indices[:, 1] == y).double().mean().item()
        if abs(got - second) < 1e-9:
            raise Wrong(tr("{got:.4f} counts only the images whose true class is second; top-2 counts "
                           "the first place too", got=got))
        raise Wrong(tr("top2_accuracy gave {got:.4f} on {n} images, expected {right:.4f}. The two most "
                       "probable classes of each image are `probabilities.topk(2, dim=1).indices` (one row "
                       "per image)", got=got, n=len(y), right=right))
    top1, top2 = _top_k(probabilities, labels, 1), _top_k(probabilities, labels, 2)
    second = (top2 - top1) / max(1 - top1, 1e-12)
    return tr("on these {n:,} images: top-1 {top1:.1%}, top-2 {top2:.1%}. {second:.0%} of the mistakes put "
              "the right class second: most errors are a near miss between look-alike classes, the pairs "
              "of section 8.", n=len(labels), top1=top1, top2=top2, second=second)


def _probability_context() -> dict[str, Any]:
    gen = torch.Generator().manual_seed(8)
    labels = torch.randint(0, 10, (500,), generator=gen)
    logits = torch.randn(500, 10, generator=gen) + 3 * torch.nn.functional.one_hot(labels, 10)
    return {"probabilities": logits.softmax(dim=1), "labels": labels}


def _second_only() -> Any:
    return lambda probabilities, labels: (
        (probabilities.topk(2, dim=1).indices[:, 1] == labels).double().mean().item())


q3 = Exercise(
    chapter="08a", name="q3", title="Top-2 accuracy",
    checker=check_top2_accuracy, solver=solve_top2_accuracy,
    hints=["`probabilities.topk(2, dim=1).indices` holds each image's two most probable classes, shape "
           "(N, 2).",
           "Compare them with `labels.unsqueeze(1)` (shape (N, 1) broadcasts against (N, 2)), then "
           "`.any(dim=1)` per image and the mean over the images: `.double().mean().item()`."],
    wrong_answers=[
        lambda probabilities, labels: lambda p, y: (p.argmax(dim=1) == y).double().mean().item(),  # top-1
        lambda probabilities, labels: _second_only(),
        lambda probabilities, labels: lambda p, y: 100 * _top_k(p, y, 2)],                  # a percentage
    context=_probability_context,
)
