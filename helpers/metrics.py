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
    """Counts ``cm[i, j]`` of samples of true class ``i`` predicted as class ``j``."""
    true = np.asarray(y_true, dtype=np.int64).ravel()
    pred = np.asarray(y_pred, dtype=np.int64).ravel()
    return np.bincount(true * num_classes + pred, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def per_class_accuracy(cm: np.ndarray, class_names: Sequence[str]) -> pd.DataFrame:
    """Accuracy (recall) and support of each class, worst first."""
    support = cm.sum(axis=1)
    correct = np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(support > 0, correct / np.maximum(support, 1), np.nan)
    frame = pd.DataFrame({"class": list(class_names), "accuracy": acc, "support": support})
    return frame.sort_values("accuracy", ignore_index=True)


def most_confused(cm: np.ndarray, class_names: Sequence[str], top: int = 5) -> pd.DataFrame:
    """The ``top`` (true, predicted) pairs with the most mistakes."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:top]
    rows = [np.unravel_index(i, off.shape) for i in order]
    return pd.DataFrame(
        [{"true": class_names[i], "predicted": class_names[j], "count": int(off[i, j])}
         for i, j in rows if off[i, j] > 0]
    )


def baselines(labels: Sequence[int], num_classes: int) -> dict[str, float]:
    """What guessing scores: uniform random guessing and always predicting the majority class."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes)
    return {"random_guess": 1.0 / num_classes, "majority_class": counts.max() / counts.sum()}
