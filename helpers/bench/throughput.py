"""How fast each PlantVillage data path feeds a model: ``python -m helpers.bench throughput``.

Two paths, with the same batch size (and the same workers when ``--workers`` is given; by
default each path uses what its loaders use: the machine's worker count for JPEGs, none for the
cache, whose batch is one memory copy that a worker process would only copy once more):

* ``jpeg``: today's loader, decoding (and resizing) every JPEG every epoch;
* ``cache``: the decoded-image cache (:mod:`helpers.data.cache`), one gather per batch.

Stages measured for each path, in images per second:

* ``uint8``: data only, uint8 batches on the CPU (no normalisation);
* ``float on <device>``: normalised float32 batches on the device, as the model receives them
  (JPEG path: per-image transform in the workers, then the copy; cache path: uint8 copied to
  the device and normalised or augmented there);
* ``train step <model>``: a whole training step (forward, backward, optimizer) fed by that path.

The measuring functions are plain (:func:`data_rate`, :func:`train_step_rate`,
:func:`bench_throughput`) so a GPU benchmark script can call them; the command writes the table
to ``runs/bench/throughput.csv`` and ``.json``.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn
from torchvision import transforms

from helpers import config, engine, models
from helpers.data.batch_transforms import BatchAugment, BatchNormalize
from helpers.data.cache import cache_split, collate_cached
from helpers.data.datasets import PlantVillageDataset, plantvillage_datasets
from helpers.data.loaders import DeviceLoader, make_loader
from helpers.data.locate import IMAGE_SIZE
from helpers.data.transforms import train_transform

PRECISIONS = engine.PRECISIONS


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Batches:
    """The next batches of ``loader``, continuing across passes: no restart and no extra batch.

    ``take(n)`` returns this object set to yield exactly the next ``n`` batches (``len()`` is
    ``n``), so a timed pass neither waits for a fresh iterator to fill nor reads one batch more.
    ``images`` counts the images yielded so far.
    """

    def __init__(self, loader: Iterable) -> None:
        self.loader, self.images, self._n = loader, 0, 0
        self._stream = self._forever()

    def _forever(self) -> Iterator[Any]:
        while True:
            empty = True
            for batch in self.loader:
                empty = False
                self.images += len(batch[0])
                yield batch
            if empty:
                raise ValueError("the loader yields no batches")

    def take(self, n: int) -> Batches:
        """Yield the next ``n`` batches on the next iteration."""
        self._n = n
        return self

    def __iter__(self) -> Iterator[Any]:
        return itertools.islice(self._stream, self._n)

    def __len__(self) -> int:
        return self._n


def data_rate(loader: Iterable, batches: int = 20, warmup: int = 2,
              device: torch.device | None = None) -> dict[str, float]:
    """Images per second that ``loader`` delivers over ``batches`` batches, after ``warmup`` untimed ones.

    On CUDA the clock stops when the device has finished the work queued for the last batch.
    """
    device = device or torch.device("cpu")
    stream = Batches(loader)
    for _ in stream.take(warmup):
        pass
    _sync(device)
    before, started = stream.images, time.perf_counter()
    for _ in stream.take(batches):
        pass
    _sync(device)
    seconds = time.perf_counter() - started
    images = stream.images - before
    return {"images_per_s": images / seconds, "images": images, "seconds": seconds}


def train_step_rate(model: nn.Module, loader: Iterable, device: torch.device, *, steps: int = 10,
                    warmup: int = 2, precision: str = "auto", channels_last: bool | None = None,
                    lr: float = 1e-3) -> dict[str, float]:
    """Images per second of whole training steps fed by ``loader``, run by ``helpers.engine``.

    ``precision`` and ``channels_last`` as :func:`helpers.engine.fit` takes them (``"auto"`` and
    ``None`` follow the device).
    """
    precision = engine.resolve_precision(precision, device)
    channels_last = engine.resolve_channels_last(channels_last, device)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    stream = Batches(loader)
    common = {"precision": precision, "channels_last": channels_last, "progress": False,
              "scaler": engine.make_scaler(precision, device)}
    engine.train_one_epoch(model, stream.take(warmup), loss_fn, optimizer, device, **common)
    _sync(device)
    before, started = stream.images, time.perf_counter()
    engine.train_one_epoch(model, stream.take(steps), loss_fn, optimizer, device, **common)
    _sync(device)
    seconds = time.perf_counter() - started
    images = stream.images - before
    return {"images_per_s": images / seconds, "images": images, "seconds": seconds}


def path_loaders(path: str, dataset: PlantVillageDataset, batch_size: int, device: torch.device, *,
                 workers: int | None = None, augment: bool = False) -> tuple[Iterable, Iterable]:
    """``(uint8 loader, device-ready float loader)`` over a training split for ``path`` jpeg or cache."""
    if path == "jpeg":
        raw = PlantVillageDataset(dataset.root, dataset.files, dataset.classes, transforms.PILToTensor(),
                                  dataset.image_size)
        ready = PlantVillageDataset(dataset.root, dataset.files, dataset.classes,
                                    train_transform(augment, augment), dataset.image_size)
        return (make_loader(raw, batch_size, shuffle=True, device=device, workers=workers),
                DeviceLoader(make_loader(ready, batch_size, shuffle=True, device=device, workers=workers),
                             device))
    if path == "cache":
        cached = cache_split(dataset)
        uint8 = make_loader(cached, batch_size, shuffle=True, device=device, workers=workers or 0,
                            collate_fn=collate_cached)
        on_device = BatchAugment(augment, augment) if augment else BatchNormalize()
        return uint8, DeviceLoader(uint8, device, on_device)
    raise ValueError(f"path must be 'jpeg' or 'cache', not {path!r}")


def bench_throughput(root: str | Path | None = None, *, image_size: int = IMAGE_SIZE, batch_size: int = 64,
                     batches: int = 20, workers: int | None = None, augment: bool = False,
                     model_names: Sequence[str] = (), steps: int = 10, precision: str = "auto",
                     channels_last: bool | None = None, device: torch.device | None = None,
                     paths: Sequence[str] = ("jpeg", "cache"),
                     out_dir: str | Path | None = None) -> pd.DataFrame:
    """The throughput table: one row per (path, stage), written to ``out_dir``/throughput.csv and .json.

    ``workers`` is used by both paths; by default each path uses its loaders' default (JPEG:
    :func:`helpers.data.loaders.num_workers`; cache: 0). ``precision`` and ``channels_last`` as
    :func:`helpers.engine.fit` takes them (default: what the device does best).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    device = config.resolve_device(device)
    precision = engine.resolve_precision(precision, device)
    channels_last = engine.resolve_channels_last(channels_last, device)
    train, _, _, classes = plantvillage_datasets(root, image_size)
    rows: list[dict[str, Any]] = []
    for path in paths:
        uint8, ready = path_loaders(path, train, batch_size, device, workers=workers, augment=augment)
        common = {"path": path, "workers": uint8.num_workers, "batch_size": batch_size,
                  "image_size": image_size, "augment": augment, "device": str(device),
                  "source": getattr(train, "source", "custom"), "train_images": len(train)}
        rows.append({**common, "stage": "uint8", **data_rate(uint8, batches)})
        on_device = data_rate(ready, batches, device=device)
        rows.append({**common, "stage": f"float on {device.type}", **on_device})
        for name in model_names:
            model = models.build_model(name, num_classes=len(classes))
            result = train_step_rate(model, ready, device, steps=steps, precision=precision,
                                     channels_last=channels_last)
            rows.append({**common, "stage": f"train step {name}", "precision": precision,
                         "channels_last": channels_last, **result})
    table = pd.DataFrame(rows)
    jpeg = table[table["path"] == "jpeg"].set_index("stage")["images_per_s"]
    table["vs_jpeg"] = [row.images_per_s / jpeg[row.stage] if row.stage in jpeg.index else float("nan")
                        for row in table.itertuples()]
    out = Path(out_dir) if out_dir is not None else config.runs_dir() / "bench"
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "throughput.csv", index=False)
    meta = {"torch": torch.__version__, "device": str(device), "threads": torch.get_num_threads(),
            "created": time.strftime("%Y-%m-%d %H:%M:%S")}
    (out / "throughput.json").write_text(json.dumps({"meta": meta, "results": table.to_dict("records")},
                                                    indent=1, default=str))
    return table


def format_throughput(table: pd.DataFrame) -> str:
    """The table for the terminal: images/s per path and stage, and the ratio to the JPEG path."""
    shown = table.pivot_table(index="stage", columns="path", values="images_per_s", sort=False)
    if {"jpeg", "cache"} <= set(shown.columns):
        shown["cache / jpeg"] = shown["cache"] / shown["jpeg"]
    return shown.to_string(float_format=lambda v: f"{v:,.1f}")
