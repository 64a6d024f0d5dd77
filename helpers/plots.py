"""Figures used across chapters: curves, confusion matrix, prediction grids, comparisons,
decision boundaries and image grids. Every figure has a title and labelled axes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def to_image(tensor: torch.Tensor | np.ndarray) -> np.ndarray:
    """A (C, H, W) or (H, W) tensor as an array that ``imshow`` accepts (floats scaled to [0, 1])."""
    array = tensor.detach().cpu().numpy() if isinstance(tensor, torch.Tensor) else np.asarray(tensor)
    if array.ndim == 3 and array.shape[0] in (1, 3):
        array = array.transpose(1, 2, 0)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.dtype != np.uint8:
        low, high = float(array.min()), float(array.max())
        array = (array - low) / (high - low) if high > low else np.zeros_like(array)
    return array


def plot_history(
    history: pd.DataFrame, title: str = "Training history", loss_label: str = "cross-entropy loss"
) -> Figure:
    """Loss and accuracy per epoch, train vs validation, side by side. (Chapter 7 introduces it.)"""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for split, style in (("train", "-o"), ("val", "--o")):
        if f"{split}_loss" in history and history[f"{split}_loss"].notna().any():
            ax_loss.plot(history["epoch"], history[f"{split}_loss"], style, label=split)
            ax_acc.plot(history["epoch"], 100 * history[f"{split}_acc"], style, label=split)
    ax_loss.set(title="Loss", xlabel="epoch", ylabel=loss_label)
    ax_acc.set(title="Accuracy", xlabel="epoch", ylabel="accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_lr(history: pd.DataFrame, title: str = "Learning rate per epoch") -> Figure:
    """The learning rate that each epoch used (e.g. a scheduler's steps). (Chapter 15 introduces it.)"""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(history["epoch"], history["lr"], "-o")
    ax.set(title=title, xlabel="epoch", ylabel="learning rate")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    cm: np.ndarray,
    class_names: Sequence[str],
    *,
    normalize: bool = False,
    title: str = "Confusion matrix",
    annotate: bool | None = None,
) -> Figure:
    """Seaborn heatmap of a confusion matrix with class names on both axes. (Chapter 7 introduces it.)"""
    values = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    n = len(class_names)
    annotate = n <= 12 if annotate is None else annotate
    size = max(6.0, 0.32 * n + 3)
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    sns.heatmap(values, annot=annotate, fmt=".2f" if normalize else "d", cmap="Blues",
                xticklabels=class_names, yticklabels=class_names, ax=ax,
                cbar_kws={"label": "fraction of the true class" if normalize else "images"})
    ax.set(title=title, xlabel="predicted class", ylabel="true class")
    ax.tick_params(axis="x", rotation=90)
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig


def plot_predictions(
    images: torch.Tensor,
    y_true: Sequence[int],
    y_pred: Sequence[int],
    class_names: Sequence[str],
    *,
    ncols: int = 5,
    title: str = "Predictions (green: right, red: wrong)",
) -> Figure:
    """A grid of images titled 'predicted | true', green when right and red when wrong.

    (Chapter 8 introduces it.)
    """
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.3 * ncols, 2.5 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, true, pred in zip(axes.flat, images, y_true, y_pred, strict=False):
        ax.imshow(to_image(image), cmap="gray")
        right = int(true) == int(pred)
        ax.set_title(f"pred: {class_names[int(pred)]}\ntrue: {class_names[int(true)]}",
                     fontsize=8, color="green" if right else "red")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(
    images: Sequence[torch.Tensor | np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    ncols: int = 5,
    title: str = "Samples",
) -> Figure:
    """A grid of images with optional per-image titles. (Chapter 8 introduces it.)"""
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.3 * ncols, 2.4 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, image) in enumerate(zip(axes.flat, images, strict=False)):
        ax.imshow(to_image(image), cmap="gray")
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_comparison(
    results: pd.DataFrame,
    metric: str = "test_acc",
    *,
    label: str = "model",
    title: str = "Model comparison",
    ylabel: str | None = None,
) -> Figure:
    """Bar chart of one metric per model (a column of a comparison DataFrame)."""
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(results)), 4))
    values = results[metric]
    bars = ax.bar(results[label].astype(str), values, color=sns.color_palette("deep", len(results)))
    ax.bar_label(bars, fmt="%.3g")
    ax.set(title=title, xlabel=label, ylabel=ylabel or metric)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


@torch.no_grad()
def plot_decision_boundary(
    model: torch.nn.Module | Callable[[torch.Tensor], torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    ax: Axes | None = None,
    title: str = "Decision boundary",
    resolution: int = 200,
) -> Axes:
    """Colour the 2-D plane by the class a model predicts, with the data points on top.
    Chapter 7 introduces it.

    ``model`` maps an (N, 2) float tensor to logits: one column (binary, threshold 0)
    or one per class (argmax). Works for any device the model lives on.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    X = X.detach().cpu().float()
    y = y.detach().cpu()
    pad = 0.1 * (X.max(0).values - X.min(0).values)
    lo, hi = X.min(0).values - pad, X.max(0).values + pad
    xx, yy = torch.meshgrid(torch.linspace(lo[0], hi[0], resolution),
                            torch.linspace(lo[1], hi[1], resolution), indexing="xy")
    grid = torch.stack([xx.ravel(), yy.ravel()], dim=1)
    if isinstance(model, torch.nn.Module):
        model.eval()
        param = next(model.parameters(), None)
        if param is not None:
            grid = grid.to(param.device)
    logits = model(grid).cpu()
    if logits.dim() == 1 or logits.shape[1] == 1:
        classes = (logits.reshape(-1) > 0).long()
    else:
        classes = logits.argmax(dim=1)
    ax.contourf(xx, yy, classes.reshape(xx.shape), alpha=0.35, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=y, s=14, cmap="coolwarm", edgecolors="k", linewidths=0.3)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    return ax
