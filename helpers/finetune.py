"""Transfer learning, measured: an ImageNet network fine-tuned beside ResNet_minimal trained from scratch.

Chapter 16 runs :func:`compare_with_scratch` when the ImageNet weights are on the machine
(``python -m helpers.transfer download resnet18``): both networks get the same data, the same budget
(epochs and batches), the same optimiser (AdamW) and the same seed, so the gap between them is what
ImageNet's features bring. Without the weights nothing is downloaded and the chapter says what the
comparison would show.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import pandas as pd
import torch

from helpers import config, engine, models, transfer


def compare_with_scratch(train_loader: Iterable, val_loader: Iterable, num_classes: int, *, epochs: int,
                         max_batches: int | None, device: torch.device | str, name: str = "resnet18",
                         lr: float = 1e-3, weight_decay: float = 1e-4, seed: int = 42) -> pd.DataFrame:
    """Fine-tune ImageNet's ``name`` and train ResNet_minimal from scratch, the same way; one row each.

    Columns: ``model``, ``parameters``, ``val_acc`` (last epoch), ``best_val_acc``, ``seconds``.
    Raises :class:`helpers.transfer.WeightsNotAvailableError` when the weights are not on this machine.
    """
    builders = {f"{name}, ImageNet weights, fine-tuned": lambda: transfer.pretrained_model(name, num_classes),
                "resnet_minimal, from scratch": lambda: models.build_model("resnet_minimal",
                                                                           num_classes=num_classes)}
    rows = []
    for label, build in builders.items():
        config.seed_everything(seed)
        model = build()
        started = time.perf_counter()
        history = engine.fit(model, train_loader, val_loader, epochs=epochs, lr=lr, weight_decay=weight_decay,
                             device=device, max_batches=max_batches, progress=False)
        rows.append({"model": label, "parameters": models.count_parameters(model),
                     "val_acc": float(history["val_acc"].iloc[-1]),
                     "best_val_acc": float(history["val_acc"].max()),
                     "seconds": time.perf_counter() - started})
    return pd.DataFrame(rows).set_index("model")
