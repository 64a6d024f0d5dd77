"""Classification metrics: accuracy, confusion matrix, per-class accuracy, balanced accuracy, macro-F1,
baselines, McNemar's test.

On unbalanced classes (PlantVillage: 152 to 5,507 images per class) accuracy is dominated by the large
classes; balanced accuracy (the mean recall over the classes) and macro-F1 (the mean F1 over the classes)
weigh every class the same, so a model that neglects a small class cannot hide it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of correct predictions; ``outputs`` are logits (N, C) or labels (N,)."""
    predictions = outputs.argmax(dim=-1) if outputs.dim() > 1 else outputs
    if targets.numel() == 0:
        raise ValueError("accuracy of an empty batch is undefined")
    return (predictions == targets).float().mean().item()


def confusion_matrix(
    y_true: torch.Tensor | np.ndarray, y_pred: torch.Tensor | np.ndarray, num_classes: int
) -> np.ndarray:
    """Counts ``cm[i, j]`` of samples of true class ``i`` predicted as class ``j``.

    (Chapter 7 introduces it.)
    """
    true = np.asarray(y_true, dtype=np.int64).ravel()
    pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if true.shape != pred.shape:
        raise ValueError(f"y_true has {true.size} labels but y_pred has {pred.size}")
    for name, labels in (("y_true", true), ("y_pred", pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name} holds labels outside 0..{num_classes - 1}: "
                             f"min {labels.min()}, max {labels.max()}")
    return np.bincount(true * num_classes + pred, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def per_class_accuracy(cm: np.ndarray, class_names: Sequence[str]) -> pd.DataFrame:
    """Accuracy (recall) and support of each class, worst first. (Chapter 8 introduces it.)"""
    support = cm.sum(axis=1)
    correct = np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(support > 0, correct / np.maximum(support, 1), np.nan)
    frame = pd.DataFrame({"class": list(class_names), "accuracy": acc, "support": support})
    return frame.sort_values("accuracy", ignore_index=True)


def balanced_accuracy(cm: np.ndarray) -> float:
    """The mean over the classes present (support > 0) of each class's recall, from a confusion matrix.

    Every class counts the same whatever its size; classes absent from the true labels are left out.
    """
    cm = np.asarray(cm)
    support = cm.sum(axis=1)
    present = support > 0
    if not present.any():
        raise ValueError("balanced accuracy of an empty confusion matrix is undefined")
    return float(np.mean(np.diag(cm)[present] / support[present]))


def macro_f1(cm: np.ndarray) -> float:
    """The mean over the classes that are true or predicted at least once of F1 = 2·TP / (2·TP + FP + FN).

    A class that occurs but is never predicted (or predicted but never true) has F1 = 0 and pulls the
    mean down; classes that appear nowhere are left out (as scikit-learn's ``f1_score(average="macro")``).
    """
    cm = np.asarray(cm)
    true_positive = np.diag(cm).astype(float)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    seen = (support + predicted) > 0
    if not seen.any():
        raise ValueError("macro-F1 of an empty confusion matrix is undefined")
    f1 = 2 * true_positive[seen] / (support[seen] + predicted[seen])   # 2TP + FP + FN = support + predicted
    return float(f1.mean())


def scores(cm: np.ndarray) -> dict[str, float]:
    """``{"accuracy", "balanced_accuracy", "macro_f1"}`` of a confusion matrix: the three numbers the course
    prints wherever it scores a PlantVillage model."""
    cm = np.asarray(cm)
    if cm.sum() == 0:
        raise ValueError("scores of an empty confusion matrix are undefined")
    return {"accuracy": float(np.trace(cm) / cm.sum()), "balanced_accuracy": balanced_accuracy(cm),
            "macro_f1": macro_f1(cm)}


def format_scores(cm: np.ndarray) -> str:
    """One line: ``accuracy 91.2%, balanced accuracy 88.0%, macro-F1 87.5%``."""
    found = scores(cm)
    return (f"accuracy {found['accuracy']:.1%}, balanced accuracy {found['balanced_accuracy']:.1%}, "
            f"macro-F1 {found['macro_f1']:.1%}")


def most_confused(
    cm: np.ndarray, class_names: Sequence[str], top: int = 5, *, symmetric: bool = False
) -> pd.DataFrame:
    """The ``top`` (true, predicted) pairs with the most mistakes, largest first. (Chapter 8 introduces it.)

    With ``symmetric=True`` the two directions of a pair are added up (a Shirt called a
    T-shirt plus a T-shirt called a Shirt) and the columns are ``class_a, class_b, count``.
    """
    off = np.asarray(cm).copy()
    np.fill_diagonal(off, 0)
    columns = ["true", "predicted", "count"]
    if symmetric:
        off = np.triu(off + off.T)
        columns = ["class_a", "class_b", "count"]
    order = np.argsort(-off, axis=None, kind="stable")[:top]  # ties keep row-major order
    rows = [np.unravel_index(i, off.shape) for i in order]
    return pd.DataFrame(
        [(class_names[i], class_names[j], int(off[i, j])) for i, j in rows if off[i, j] > 0],
        columns=columns,
    )


def baselines(labels: Sequence[int], num_classes: int) -> dict[str, float]:
    """What guessing scores: uniform random guessing and always predicting the majority class.

    (Chapter 7 introduces it.)
    """
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes)
    return {"random_guess": 1.0 / num_classes, "majority_class": counts.max() / counts.sum()}


def mcnemar(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> dict[str, float]:
    """McNemar's exact test: do two classifiers scored on the same images differ in accuracy?

    Only the **discordant** images count: ``a_only`` (right for A, wrong for B) and ``b_only``
    (the reverse). If A and B were equally accurate, each discordant image would fall on either
    side with probability 1/2, so ``b_only`` follows Binomial(n, 1/2) with n = a_only + b_only;
    ``p_value`` is the two-sided exact p-value, min(1, 2 P(X <= min(a_only, b_only))).
    Images both get right or both get wrong say nothing about which one is better.
    """
    a = np.asarray(correct_a, dtype=bool)
    b = np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"two 1-D arrays of the same images are needed, got shapes {a.shape} and {b.shape}")
    a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
    n, k = a_only + b_only, min(a_only, b_only)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n  # P(X <= k) for X ~ Binomial(n, 1/2)
    return {"a_only": a_only, "b_only": b_only, "discordant": n, "p_value": min(1.0, 2 * tail)}
