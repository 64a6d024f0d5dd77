"""The PlantVillage training loader's speed: ``python -m helpers.bench loader``.

:func:`bench_loader` builds the training loader exactly as the course does
(:func:`helpers.data.loaders.plantvillage_loaders`) and times it with
:func:`helpers.data.loaders.loader_throughput`. Chapter 10a calls it as ``pv.bench_loader``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from helpers.data.loaders import loader_throughput, plantvillage_loaders
from helpers.data.locate import IMAGE_SIZE


def bench_loader(root: str | Path | None = None, batch_size: int = 64, batches: int = 20,
                 workers: int | None = None, image_size: int = IMAGE_SIZE, augment: bool = False,
                 device: torch.device | None = None) -> dict[str, Any]:
    """Throughput of the PlantVillage training loader as the course builds it (chapter 10a)."""
    train, _, _, _ = plantvillage_loaders(batch_size, root, augment=augment, device=device,
                                          workers=workers, image_size=image_size, distributed=False)
    result = loader_throughput(train, batches=batches)
    dataset = train.dataset
    result.update(workers=train.num_workers, batch_size=train.batch_size, image_size=image_size,
                  augment=augment, pin_memory=train.pin_memory, source=getattr(dataset, "source", "?"),
                  folder=str(dataset.root), train_images=len(dataset))
    return result
