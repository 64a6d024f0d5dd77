"""Loaders: DataLoader settings for the machine, capped (representative) passes, PlantVillage's loaders.

* :func:`num_workers` / :func:`make_loader`: worker processes, pinned memory and prefetching for
  the device, kept within a small ``/dev/shm`` (JupyterHub pods often have 64 MB).
* :func:`capped`: a loader limited to ``max_batches`` batches that represent the whole data set
  (every class, in proportion), never the first batches of a class-sorted list.
* :func:`plantvillage_loaders`: the three splits of PlantVillage, from JPEGs or from the decoded cache.
* :func:`loader_throughput`: images per second of any loader (``python -m helpers.bench loader``
  times the training loader with it: :mod:`helpers.bench.loader`).
"""

from __future__ import annotations

import inspect
import logging
import os
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, SequentialSampler, Subset
from torch.utils.data.distributed import DistributedSampler

from helpers import config
from helpers.data.batch_transforms import BatchAugment, BatchNormalize
from helpers.data.cache import cache_split, collate_cached
from helpers.data.datasets import plantvillage_datasets
from helpers.data.locate import IMAGE_SIZE

log = logging.getLogger(__name__)

# --- Workers and shared memory ------------------------------------------------------------------

COMFORTABLE_SHM_MB = 512
"""Below this much free ``/dev/shm`` the worker count is sized to fit the batches in flight."""
PREFETCH = 4
"""Batches each worker prepares ahead (2 when ``/dev/shm`` is small)."""
TYPICAL_BATCH_BYTES = 32 * 3 * IMAGE_SIZE**2 * 4
"""A float32 batch of 32 PlantVillage images (25 MB), when a data set cannot say its sample size."""
_shm_notice_given = False


def _shm_bytes() -> int | None:
    """Free bytes in ``/dev/shm`` (None where there is no such folder, e.g. macOS, Windows)."""
    try:
        stats = os.statvfs("/dev/shm")
    except (OSError, AttributeError):
        return None
    return stats.f_bavail * stats.f_frsize


def sample_bytes(dataset: Dataset) -> int | None:
    """Bytes of one collated sample of ``dataset`` (its ``sample_bytes``, else measured on item 0)."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    declared = getattr(dataset, "sample_bytes", None)
    if declared is not None:
        return int(declared)
    try:
        item = dataset[0]
    except Exception:  # an empty or odd data set: the caller falls back to a typical batch
        return None
    parts = item if isinstance(item, (tuple, list)) else (item,)
    return sum(p.nbytes if isinstance(p, (torch.Tensor, np.ndarray)) else 8 for p in parts)


def _shm_notice(shm: int, wanted: int, workers: int, prefetch: int, batch_bytes: int) -> None:
    """Say once per process why the loaders use fewer workers than the CPUs allow."""
    global _shm_notice_given
    message = (
        f"/dev/shm has only {shm // 2**20} MB free. DataLoader workers hand every batch to the main "
        f"process through it (whatever torch's sharing strategy) and crash with a bus error when it is "
        f"full, so loaders use {workers} worker(s) with prefetch {prefetch} instead of {wanted} "
        f"(batches of about {batch_bytes / 2**20:.0f} MB). For faster loading give the machine more "
        "shared memory: Docker --shm-size=2g; Kubernetes/JupyterHub an emptyDir with medium: Memory "
        "mounted at /dev/shm."
    )
    if _shm_notice_given:
        log.debug(message)
        return
    _shm_notice_given = True
    log.warning(message)


def worker_plan(requested: int | None = None, *, batch_bytes: int | None = None,
                min_shm_mb: int = COMFORTABLE_SHM_MB) -> tuple[int, int]:
    """``(workers, prefetch factor)`` for a loader: from the CPUs, within ``/dev/shm``'s free space.

    ``requested`` is taken as given. Otherwise: CPUs minus one (at most 8), 0 in smoke mode;
    when ``/dev/shm`` has less than ``min_shm_mb`` free, only as many workers as keep the
    batches in flight (``workers x prefetch + 1`` of ``batch_bytes`` each) within half of it,
    with one message per process saying so.
    """
    if requested is not None:
        return max(0, requested), PREFETCH
    if config.is_smoke():
        return 0, PREFETCH
    wanted = min(max(config.cpu_count() - 1, 0), 8)
    shm = _shm_bytes()
    if not wanted or shm is None or shm >= min_shm_mb * 2**20:
        return wanted, PREFETCH
    prefetch = 2
    per_batch = batch_bytes or TYPICAL_BATCH_BYTES
    fits = int((shm / 2 / per_batch - 1) // prefetch)
    workers = max(0, min(wanted, fits))
    _shm_notice(shm, wanted, workers, prefetch, per_batch)
    return workers, prefetch


def num_workers(requested: int | None = None, *, batch_bytes: int | None = None,
                min_shm_mb: int = COMFORTABLE_SHM_MB) -> int:
    """DataLoader workers for this machine: CPUs minus one (at most 8), 0 in smoke mode,
    fewer (down to 0) when ``/dev/shm`` is too small for the batches in flight (see :func:`worker_plan`)."""
    return worker_plan(requested, batch_bytes=batch_bytes, min_shm_mb=min_shm_mb)[0]


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = False,
    device: torch.device | None = None,
    workers: int | None = None,
    sampler: torch.utils.data.Sampler | None = None,
    drop_last: bool = False,
    collate_fn: Any | None = None,
) -> DataLoader:
    """A DataLoader tuned for the device: workers, pinned memory and persistent workers on GPU.
    Chapter 8 introduces it.

    In a dry run (``COURSE_DRY_RUN=1``) batches hold at most ``config.DRY_RUN_BATCH_SIZE`` items.
    """
    device = config.resolve_device(device)
    batch_size = config.cap_batch_size(batch_size)  # COURSE_DRY_RUN: tiny batches
    batch_bytes = None
    shm = _shm_bytes()
    if workers is None and shm is not None and shm < COMFORTABLE_SHM_MB * 2**20 and not config.is_smoke():
        sample = sample_bytes(dataset)  # only measured when /dev/shm is small
        batch_bytes = sample * batch_size if sample else None
    n_workers, prefetch = worker_plan(workers, batch_bytes=batch_bytes)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        num_workers=n_workers,
        collate_fn=collate_fn,
        pin_memory=device.type == "cuda",
        persistent_workers=n_workers > 0,
        prefetch_factor=prefetch if n_workers > 0 else None,
        drop_last=drop_last,
    )


# --- Capped passes: a representative subset, not the first batches -------------------------------


def dataset_targets(dataset: Dataset) -> np.ndarray | None:
    """The label of every item of ``dataset`` from its ``.targets`` (also through ``Subset``), or None."""
    if isinstance(dataset, Subset):
        base = dataset_targets(dataset.dataset)
        return None if base is None else base[np.asarray(dataset.indices, dtype=np.int64)]
    targets = getattr(dataset, "targets", None)
    if targets is None:
        return None
    array = targets.cpu().numpy() if isinstance(targets, torch.Tensor) else np.asarray(targets)
    if array.ndim != 1 or len(array) != len(dataset):  # type: ignore[arg-type]
        return None
    return array


def _allocate(counts: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Items per class: one of each class first (while ``size`` allows), the rest in proportion."""
    k = len(counts)
    alloc = np.zeros(k, dtype=np.int64)
    if size < k:  # fewer items than classes: one each from ``size`` classes drawn by size
        alloc[rng.choice(k, size=size, replace=False, p=counts / counts.sum())] = 1
        return alloc
    alloc += 1
    while alloc.sum() < size:
        room = counts - alloc
        remaining = size - alloc.sum()
        quota = remaining * room / room.sum()
        add = np.floor(quota).astype(np.int64)
        if add.sum() == 0:  # hand the last few out by largest remainder (ties broken at random)
            order = np.lexsort((rng.random(k), -(quota - add)))
            add[order[:remaining]] = 1
            add = np.minimum(add, room)
        alloc += add
    return alloc


def representative_indices(dataset: Dataset, size: int, seed: int = 0) -> np.ndarray:
    """``size`` indices of ``dataset`` that stand for all of it, seeded and in a mixed order.

    With labels (``dataset.targets``, also through ``Subset``): stratified, every class at
    least once while ``size`` allows and the rest in proportion to the class sizes, the
    members of each class drawn at random and the classes interleaved. Without labels: a
    seeded random sample.
    """
    n = len(dataset)  # type: ignore[arg-type]
    rng = np.random.default_rng(seed)
    if size >= n:
        return np.arange(n)
    targets = dataset_targets(dataset)
    if targets is None:
        return rng.choice(n, size=size, replace=False)
    classes, labels = np.unique(targets, return_inverse=True)
    alloc = _allocate(np.bincount(labels, minlength=len(classes)), size, rng)
    chosen, keys = [], []
    for label, take in enumerate(alloc):
        if take:
            members = rng.permutation(np.flatnonzero(labels == label))[:take]
            chosen.append(members)
            keys.append((np.arange(take) + rng.random()) / take)  # spread each class over the pass
    picked, key = np.concatenate(chosen), np.concatenate(keys)
    return picked[np.argsort(key, kind="stable")]


_CAPPED: weakref.WeakKeyDictionary[DataLoader, dict[tuple[int, int], DataLoader]]
_CAPPED = weakref.WeakKeyDictionary()
_TAKES_IN_ORDER = "in_order" in inspect.signature(DataLoader.__init__).parameters


def _same_settings(loader: DataLoader, dataset: Dataset, sampler: Any) -> DataLoader:
    """A DataLoader over ``dataset`` with ``loader``'s batch size, workers, pinning and collate."""
    extra = {"in_order": loader.in_order} if _TAKES_IN_ORDER else {}
    return DataLoader(
        dataset, batch_size=loader.batch_size, sampler=sampler, num_workers=loader.num_workers,
        collate_fn=loader.collate_fn, pin_memory=loader.pin_memory, drop_last=loader.drop_last,
        timeout=loader.timeout, worker_init_fn=loader.worker_init_fn,
        multiprocessing_context=loader.multiprocessing_context, generator=loader.generator,
        prefetch_factor=loader.prefetch_factor if loader.num_workers > 0 else None,
        persistent_workers=loader.persistent_workers, pin_memory_device=loader.pin_memory_device, **extra,
    )


def capped(loader: Iterable, max_batches: int | None, seed: int = 0) -> Iterable:
    """``loader`` limited to ``max_batches`` batches that represent its whole data set.

    A loader that reads its data set in order (``SequentialSampler``, or a non-shuffling
    ``DistributedSampler``) becomes a loader with the same settings over
    :func:`representative_indices`: at most ``max_batches x batch size`` (x processes) items,
    seeded, stratified by class. Shuffled loaders (their first batches are already a random
    sample), custom batch samplers and plain iterables come back unchanged; so does everything
    when ``max_batches`` is None (in a dry run, ``COURSE_DRY_RUN=1``, it is 1). A wrapper with
    its own ``capped(max_batches, seed)`` method (e.g. a device loader) is asked to cap itself.
    The result is cached per loader, so worker processes are not restarted every epoch.
    """
    max_batches = config.cap_batches(max_batches)  # COURSE_DRY_RUN: one batch
    if max_batches is None:
        return loader
    if not isinstance(loader, DataLoader):
        own = getattr(loader, "capped", None)
        return own(max_batches, seed) if callable(own) else loader
    sampler = loader.sampler
    distributed = isinstance(sampler, DistributedSampler)
    if loader.batch_size is None or not (isinstance(sampler, SequentialSampler)
                                         or (distributed and not sampler.shuffle)):
        return loader
    replicas = sampler.num_replicas if distributed else 1
    size = max_batches * loader.batch_size * replicas
    if size >= len(loader.dataset):  # type: ignore[arg-type]
        return loader
    cache = _CAPPED.setdefault(loader, {})
    if (max_batches, seed) not in cache:
        subset = Subset(loader.dataset, representative_indices(loader.dataset, size, seed).tolist())
        new_sampler = (DistributedSampler(subset, num_replicas=replicas, rank=sampler.rank, shuffle=False,
                                          drop_last=sampler.drop_last) if distributed else None)
        cache[(max_batches, seed)] = _same_settings(loader, subset, new_sampler)
    return cache[(max_batches, seed)]


def item_indices(loader: Iterable) -> list[int]:
    """The indices into the original data set of the items ``loader`` reads, in order.

    After :func:`capped` (a dry run, a ``max_batches`` cap) a loader reads a representative
    :class:`~torch.utils.data.Subset`: this says which items were scored, so a chapter compares
    predictions with the right files.
    """
    dataset = getattr(loader, "dataset", None)
    if dataset is None:
        raise TypeError(f"{type(loader).__name__} has no data set to index")
    indices = getattr(dataset, "indices", None)  # a Subset, or in-memory tensors cut from a larger set
    if indices is not None:
        return [int(i) for i in indices]
    return list(range(len(dataset)))  # type: ignore[arg-type]


# --- PlantVillage's data sets and loaders --------------------------------------------------------


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


class DeviceLoader:
    """Batches of ``loader`` moved to ``device`` (non-blocking) and transformed there: ready for the model.

    With the decoded-image cache the loader yields uint8 batches; they cross to the GPU as
    uint8 (from pinned memory when the loader pins) and ``transform`` (e.g.
    :class:`~helpers.data.batch_transforms.BatchAugment`) augments and normalises them on the
    device. ``len()``, ``.dataset``, ``.sampler``, ``.batch_size`` and every other attribute
    come from the wrapped loader, so ``engine.fit`` and ``capped`` treat it like a DataLoader.
    """

    def __init__(self, loader: Iterable, device: torch.device | str | None = None,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        self.loader = loader
        self.device = config.resolve_device(device)
        self.transform = transform

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for inputs, targets in self.loader:
            inputs = inputs.to(self.device, non_blocking=True)
            targets = targets.to(self.device, non_blocking=True)
            yield (self.transform(inputs) if self.transform is not None else inputs), targets

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        if name in ("loader", "device", "transform") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.loader, name)

    def capped(self, max_batches: int, seed: int = 0) -> DeviceLoader:
        """The same wrapper around :func:`capped` of the wrapped loader."""
        return DeviceLoader(capped(self.loader, max_batches, seed), self.device, self.transform)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.loader!r}, device={self.device}, transform={self.transform!r})"


def plantvillage_loaders(
    batch_size: int = 32, root: str | Path | None = None, augment: bool = False, rotations: bool = False,
    device: torch.device | None = None, workers: int | None = None, *, image_size: int = IMAGE_SIZE,
    variant: str = "color", seed: int = 42, split_file: str | Path | None = None,
    distributed: bool | None = None, cache: bool = False,
) -> tuple[Iterable, Iterable, Iterable, list[str]]:
    """Train (shuffled) / validation / test loaders and the class names, tuned by ``make_loader``.

    In a ``torchrun`` job (``distributed`` defaults to whether one is running) every
    loader gets a ``DistributedSampler``, so each process sees its own share.

    ``cache=True`` decodes each split once into ``data/cache`` (:mod:`helpers.data.cache`; the
    first call builds it, later calls reuse it, a stale one is rebuilt) and serves uint8 batches
    from it, augmented and normalised on ``device`` (:class:`DeviceLoader`): the batches are the
    same normalised float tensors, already on the device. Workers default to none then: a
    batch is one memory copy, faster in the main process than through a worker.
    """
    train, val, test, classes = plantvillage_datasets(root, image_size, augment, rotations,
                                                      variant=variant, seed=seed, split_file=split_file)
    distributed = _distributed() if distributed is None else distributed
    device = config.resolve_device(device)
    sets = [train, val, test]
    if cache:
        sets = [cache_split(dataset, variant=variant) for dataset in sets]
        workers = 0 if workers is None else workers
    loaders: list[Iterable] = []
    for dataset, shuffle in zip(sets, (True, False, False), strict=True):
        sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed) if distributed else None
        loader = make_loader(dataset, batch_size, shuffle=shuffle, device=device, workers=workers,
                             sampler=sampler, collate_fn=collate_cached if cache else None)
        if cache:
            randomised = shuffle and (augment or rotations)
            transform = BatchAugment(augment, rotations) if randomised else BatchNormalize()
            loader = DeviceLoader(loader, device, transform)
        loaders.append(loader)
    return loaders[0], loaders[1], loaders[2], classes


def loader_throughput(loader: Iterable, batches: int = 20, warmup: int = 1) -> dict[str, float]:
    """Images per second that ``loader`` delivers, timed over ``batches`` batches after ``warmup``.

    The warm-up batches (worker start, first file reads) are not timed. Returns
    ``images_per_s``, ``batches``, ``images``, ``seconds``.
    """
    iterator = iter(loader)
    for _ in range(warmup):
        next(iterator, None)
    images, timed = 0, 0
    started = time.perf_counter()
    for inputs, _ in iterator:
        images += len(inputs)
        timed += 1
        if timed >= batches:
            break
    seconds = time.perf_counter() - started
    return {"images_per_s": images / seconds if seconds > 0 else float("nan"),
            "batches": timed, "images": images, "seconds": seconds}
