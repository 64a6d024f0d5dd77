"""What the report found, and what a finished ``python -m helpers.train`` run found: chapters 11-16.

:data:`REPORT_RESULTS` holds the internship report's numbers for the five models (always
shown labelled as the report's). :func:`describe_run` and :func:`show_run` present a
results dictionary from :func:`helpers.train.load_results` (test accuracy, curves,
confusion matrix) with where it came from: device, data, epochs. :func:`reuse_note` is the line a
chapter prints when it shows such a run (e.g. one of ``make runs``) instead of training.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from helpers import metrics, plots

REPORT_RESULTS: dict[str, dict[str, Any]] = {
    "simple_cnn": {"accuracy_pct": 10.0, "accuracy_text": "never above 10% in 20 epochs (predicts one class)",
                   "minutes_per_epoch": None, "memory_mb": None},
    "deep_cnn": {"accuracy_pct": 25.0, "accuracy_text": "about 25% (vanishing gradient)",
                 "minutes_per_epoch": None, "memory_mb": None},
    "small_resnet": {"accuracy_pct": 98.46, "accuracy_text": "98.20% without, 98.46% with augmentation",
                     "minutes_per_epoch": None, "memory_mb": None},
    "resnet_maxpool": {"accuracy_pct": 98.0, "accuracy_text": "about 98%", "minutes_per_epoch": 20.0,
                       "memory_mb": 623.48},
    "resnet_stride": {"accuracy_pct": 98.0, "accuracy_text": "about 98%", "minutes_per_epoch": 5.0,
                      "memory_mb": 203.48},
    "resnet_minimal": {"accuracy_pct": 99.02, "accuracy_text": "99.02%", "minutes_per_epoch": None,
                       "memory_mb": None},
}
"""The report's results. Memory: torchsummary's estimated total at batch 1 (MB), not a measurement."""

REPORT_TORCHSUMMARY_MB = {
    "resnet_maxpool": {"input": 0.75, "forward_backward": 603.02, "params": 19.71, "total": 623.48},
    "resnet_stride": {"input": 0.75, "forward_backward": 183.02, "params": 19.71, "total": 203.48},
}
"""The report's torchsummary memory table for the two ResNets (batch 1, MB)."""


def describe_run(results: dict[str, Any]) -> str:
    """One sentence: test accuracy (balanced and macro-F1 too when recorded), baseline, epochs, time per
    epoch, memory, device and data of a run."""
    acc = results.get("test_acc")
    baseline = (results.get("baselines") or {}).get("majority_class_acc")
    images = results.get("images") or {}
    parts = [f"{results.get('model')}: test accuracy "
             + (f"{100 * acc:.2f}%" if acc is not None else "not measured")
             + f" on {results.get('test_images', 0):,} test images"]
    balanced = run_scores(results)
    if balanced is not None:
        parts.append(f"(balanced accuracy {100 * balanced['balanced_accuracy']:.2f}%, "
                     f"macro-F1 {100 * balanced['macro_f1']:.2f}%)")
    if baseline is not None:
        parts.append(f"(majority class {100 * baseline:.1f}%)")
    parts.append(f"after {results.get('epochs')} epochs")
    if results.get("time_per_epoch_s") is not None:
        parts.append(f"at {results['time_per_epoch_s']:.1f} s/epoch")
    if results.get("peak_memory_mb") is not None:
        parts.append(f"peak memory {results['peak_memory_mb']:,.0f} MB")
    parts.append(f"on {results.get('device')} ({results.get('device_name')});")
    parts.append(f"data: {results.get('data_source')} ({images.get('train', '?')} training images)")
    max_batches = (results.get("settings") or {}).get("max_batches")
    if max_batches:
        parts.append(f"[a short run: at most {max_batches} batches per epoch]")
    return " ".join(parts)


REUSED = "not trained again here"
"""The words a chapter prints when it shows a finished run instead of training (tests look for them)."""


def reuse_note(results: dict[str, Any]) -> str:
    """Where a run a chapter shows instead of training comes from: folder, who trained it, when, where."""
    who = results.get("note") or "python -m helpers.train"
    return (f"results from {results.get('run_dir')}, trained by {who} on {results.get('finished_at')} "
            f"({results.get('device_name')}, {results.get('data_source')} data, "
            f"{results.get('epochs')} epochs): {REUSED}")


def run_scores(results: dict[str, Any]) -> dict[str, float] | None:
    """Test accuracy, balanced accuracy and macro-F1 of a run (:func:`helpers.metrics.scores`), or None.

    From its test confusion matrix when it has one (runs written before ``results.json`` recorded
    ``test_balanced_acc`` have it too), else from the recorded numbers.
    """
    found = confusion_array(results)
    if found is not None and found[0].sum() > 0:
        return metrics.scores(found[0])
    keys = {"accuracy": "test_acc", "balanced_accuracy": "test_balanced_acc", "macro_f1": "test_macro_f1"}
    if any(results.get(key) is None for key in keys.values()):
        return None
    return {name: float(results[key]) for name, key in keys.items()}


def confusion_array(results: dict[str, Any]) -> tuple[np.ndarray, list[str]] | None:
    """The run's confusion matrix as ``(counts, class names)``, or None when it has none."""
    cm = results.get("confusion_matrix")
    if cm is None:
        return None
    if isinstance(cm, pd.DataFrame):
        return cm.to_numpy(), [str(c) for c in cm.columns]
    names = results.get("class_names") or [str(i) for i in range(len(cm))]
    return np.asarray(cm), list(names)


def show_run(results: dict[str, Any], title: str | None = None) -> list[Figure]:
    """Curves (loss, accuracy per epoch) and the normalised confusion matrix of a finished run."""
    title = title or f"{results.get('model')}: run of python -m helpers.train ({results.get('device')})"
    figures = []
    history = results.get("history")
    if isinstance(history, pd.DataFrame) and len(history):
        figures.append(plots.plot_history(history, title=title))
    cm = confusion_array(results)
    if cm is not None:
        counts, names = cm
        figures.append(plots.plot_confusion_matrix(counts, names, normalize=True,
                                                   title=f"{title}: test confusion matrix"))
    return figures


def close(figures: list[Figure]) -> None:
    """Close figures once shown (long notebooks keep memory low)."""
    for figure in figures:
        plt.close(figure)
