"""Chapter 08a exercises: a batch cut straight from the stored bytes (what the in-memory loader does), a
class's recall from the confusion matrix, and the most confused pair of classes, by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import functional as tvf

from helpers import metrics
from helpers.data.tiny import FASHION_CLASSES, _fashion_images
from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable, expect_close
from helpers.i18n import mark, tr

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
    expect_callable(answer, "batch_from_bytes")
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


# --- q3: the most confused pair, by hand ----------------------------------------------------------------


def solve_most_confused_pair(cm: torch.Tensor, classes: list[str]) -> Callable[..., tuple[str, str]]:
    def most_confused_pair(cm: torch.Tensor, classes: list[str]) -> tuple[str, str]:
        """The two classes confused most often, both directions added up (rows of cm = the truth)."""
        both = cm + cm.T                  # cell (i, j): i called j plus j called i
        both.fill_diagonal_(0)            # the diagonal holds the right answers, not confusions
        i, j = divmod(int(both.argmax()), len(classes))
        return classes[i], classes[j]

    return most_confused_pair


def _pair_cases() -> list[tuple[str, torch.Tensor, list[str]]]:
    """Made-up matrices: one where the largest single cell is not the largest pair, one where it is."""
    names = ["cat", "dog", "fox", "owl"]
    lopsided = torch.tensor([[50, 9, 0, 0],     # cat called dog 9 times, dog never called cat: 9
                             [0, 60, 1, 0],
                             [0, 6, 40, 5],     # fox <-> dog: 6 + 1 = 7
                             [0, 0, 6, 70]])    # owl <-> fox: 6 + 5 = 11, the largest pair
    plain = torch.tensor([[30, 2, 1], [8, 25, 0], [0, 1, 40]])
    return [(mark("the first made-up matrix"), lopsided, names),
            (mark("the second made-up matrix"), plain, ["hat", "cap", "boot"])]


def _as_pair(got: Any, classes: list[str]) -> frozenset:
    if not isinstance(got, tuple | list) or len(got) != 2:
        raise Wrong(tr("most_confused_pair should return two class names, got {got!r}", got=got))
    if not all(isinstance(name, str) for name in got):
        raise Wrong(tr("give the class NAMES (classes[i]), not their indices: got {got!r}", got=tuple(got)))
    unknown = [name for name in got if name not in classes]
    if unknown:
        raise Wrong(tr("{unknown} is not one of the classes", unknown=unknown))
    return frozenset(got)


def _truth(cm: torch.Tensor, classes: list[str]) -> frozenset:
    top = metrics.most_confused(np.asarray(cm), classes, top=1, symmetric=True)
    return frozenset(top[["class_a", "class_b"]].iloc[0])


def _count(cm: torch.Tensor, classes: list[str], pair: frozenset) -> int:
    i, j = (classes.index(name) for name in sorted(pair))
    return int(cm[i, j] + cm[j, i])


def check_most_confused_pair(answer: Any, cm: torch.Tensor, classes: list[str]) -> str:
    expect_callable(answer, "most_confused_pair")
    cm = torch.as_tensor(np.asarray(cm)).long()
    for case, matrix, names in [*_pair_cases(), (mark("the CNN's matrix `cm`"), cm, list(classes))]:
        got = _as_pair(answer(matrix.clone(), list(names)), names)
        right = _truth(matrix, names)
        if got == right or (len(got) == 2 and _count(matrix, names, got) == _count(matrix, names, right)):
            continue  # a tie: another pair as confused as the first one found is right too
        if len(got) == 1:
            raise Wrong(tr("on {case} you returned a class with itself: the diagonal holds the right "
                           "answers; leave it out", case=case))
        single = _one_direction()(matrix, names)
        if got == frozenset(single):
            raise Wrong(tr("on {case} you took the largest single cell ({a} called {b}); a pair is confused "
                           "in both directions: add cm[i, j] and cm[j, i]", case=case,
                           a=single[0], b=single[1]))
        raise Wrong(tr("on {case} the most confused pair is {right}, not {got}", case=case,
                       right=" vs ".join(sorted(right)), got=" vs ".join(sorted(got))))
    top = _truth(cm, list(classes))
    a, b = sorted(top)
    pair = _count(cm, list(classes), top)
    mistakes = int(cm.sum() - cm.trace())
    return tr("{a} vs {b}: {pair:,} images confused in one direction or the other, {share:.0%} of the "
              "model's {mistakes:,} mistakes.", a=a, b=b, pair=pair, share=pair / max(mistakes, 1),
              mistakes=mistakes)


def _one_direction() -> Any:
    def pair(cm: torch.Tensor, classes: list[str]) -> tuple[str, str]:
        off = cm.clone().fill_diagonal_(0)
        i, j = divmod(int(off.argmax()), len(classes))
        return classes[i], classes[j]

    return pair


def _with_diagonal() -> Any:
    def pair(cm: torch.Tensor, classes: list[str]) -> tuple[str, str]:
        i, j = divmod(int((cm + cm.T).argmax()), len(classes))
        return classes[i], classes[j]

    return pair


def _indices() -> Any:
    def pair(cm: torch.Tensor, classes: list[str]) -> tuple[int, int]:
        both = (cm + cm.T).fill_diagonal_(0)
        i, j = divmod(int(both.argmax()), len(classes))
        return i, j

    return pair


q3 = Exercise(
    chapter="08a", name="q3", title="The most confused pair, by hand",
    checker=check_most_confused_pair, solver=solve_most_confused_pair,
    hints=["A pair is confused in both directions: cm[i, j] (i called j) plus cm[j, i]. `cm + cm.T` adds "
           "them for every pair at once.",
           "Zero the diagonal (`.fill_diagonal_(0)`: those are right answers), then `divmod(int(m.argmax()), "
           "len(classes))` gives the row and the column of the largest cell."],
    wrong_answers=[lambda cm, classes: _one_direction(), lambda cm, classes: _with_diagonal(),
                   lambda cm, classes: _indices()],
    context=lambda: {**_confusion_context(), "classes": list(FASHION_CLASSES)},
)
