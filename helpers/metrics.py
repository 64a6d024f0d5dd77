"""Classification metrics: accuracy, confusion matrix, per-class accuracy, baselines."""

from __future__ import annotations

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
