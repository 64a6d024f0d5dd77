"""How fast each PlantVillage data path feeds a model: ``python -m helpers.bench throughput``.

Two paths, with the same batch size and the same workers:

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

import argparse
import itertools
import json
import sys
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
from helpers.data.errors import DataNotFoundError
from helpers.data.loaders import DeviceLoader, make_loader
from helpers.data.locate import IMAGE_SIZE
from helpers.data.transforms import train_transform

PRECISIONS = ("fp32", "amp")


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
                    warmup: int = 2, amp: bool = False, channels_last: bool = False,
                    lr: float = 1e-3) -> dict[str, float]:
    """Images per second of whole training steps fed by ``loader``, run by ``helpers.engine``."""
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    stream = Batches(loader)
    common = {"amp": amp, "channels_last": channels_last, "progress": False}
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
        uint8 = make_loader(cached, batch_size, shuffle=True, device=device, workers=workers,
                            collate_fn=collate_cached)
        on_device = BatchAugment(augment, augment) if augment else BatchNormalize()
        return uint8, DeviceLoader(uint8, device, on_device)
    raise ValueError(f"path must be 'jpeg' or 'cache', not {path!r}")


def bench_throughput(root: str | Path | None = None, *, image_size: int = IMAGE_SIZE, batch_size: int = 64,
                     batches: int = 20, workers: int | None = None, augment: bool = False,
                     model_names: Sequence[str] = (), steps: int = 10, precision: str = "fp32",
                     channels_last: bool | None = None, device: torch.device | None = None,
                     paths: Sequence[str] = ("jpeg", "cache"),
                     out_dir: str | Path | None = None) -> pd.DataFrame:
    """The throughput table: one row per (path, stage), written to ``out_dir``/throughput.csv and .json.

    ``workers`` is the same for both paths (default: chosen for the machine by
    :func:`helpers.data.loaders.num_workers`). ``precision`` is ``fp32`` or ``amp`` (mixed
    precision as ``helpers.engine`` does it on this device).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    device = device or config.device()
    channels_last = device.type == "cuda" if channels_last is None else channels_last
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
            result = train_step_rate(model, ready, device, steps=steps, amp=precision == "amp",
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


def _run_throughput(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        table = bench_throughput(args.data, image_size=args.image_size, batch_size=args.batch_size,
                                 batches=args.batches, workers=args.workers, augment=args.augment,
                                 model_names=args.models, steps=args.steps, precision=args.precision,
                                 channels_last=args.channels_last,
                                 device=torch.device(args.device) if args.device else None,
                                 paths=args.paths, out_dir=args.out)
    except DataNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    first = table.iloc[0]
    print(f"PlantVillage throughput ({first['source']}, {first['train_images']:,} training images, "
          f"{args.image_size} px, batch {args.batch_size}, workers={first['workers']}, "
          f"augment={args.augment}, device={first['device']}), images/s:")
    print(format_throughput(table))
    print(f"saved to {Path(args.out or config.runs_dir() / 'bench') / 'throughput.csv'} and .json")
    return 0


def add_throughput_parser(subparsers: argparse._SubParsersAction) -> None:
    """``python -m helpers.bench throughput``: images/s of the JPEG and cache paths (and training steps)."""
    parser = subparsers.add_parser("throughput", help="images/s of the JPEG path and the decoded cache")
    parser.add_argument("--data", type=Path, default=None,
                        help="PlantVillage folder (default: data/plantvillage, else the mini or tiny set)")
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=20, help="batches timed per measurement")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (both paths)")
    parser.add_argument("--augment", action="store_true", help="flips, jitter and rotations included")
    parser.add_argument("--models", nargs="*", default=[], choices=models.PLANTVILLAGE_MODELS,
                        help="also time whole training steps of these models")
    parser.add_argument("--steps", type=int, default=10, help="training steps timed per model")
    parser.add_argument("--precision", choices=PRECISIONS, default="fp32")
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                        help="NHWC memory format (default: on with CUDA)")
    parser.add_argument("--paths", nargs="+", default=["jpeg", "cache"], choices=["jpeg", "cache"])
    parser.add_argument("--device", default=None, help="cpu, cuda (default: the best available)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads in the main process")
    parser.add_argument("--out", type=Path, default=None, help="folder for the CSV/JSON (default runs/bench)")
    parser.set_defaults(func=_run_throughput)
