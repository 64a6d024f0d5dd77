"""The decoded-image cache: decode each split once, then serve uint8 batches from a memory-mapped array.

Decoding JPEGs (and resizing them) is what limits the PlantVillage loader: a few hundred images
per second per core. The cache does it once per split and image size and stores the pixels as
one uint8 array of shape (N, 3, S, S) in ``data/cache/<split folder>/images.npy``, with
``labels.npy``, ``files.json`` and ``meta.json`` (fingerprint, progress, bad files) beside it.
Gathering a batch from that array is a memory copy.

* The cache is tied to a fingerprint of the file list (names and byte sizes), the image size,
  the split and the variant: when any of them changes, the cache is rebuilt, never reused.
* Building says how much disk it needs and has first (the full set: about 10.7 GB at 256 px,
  2.7 GB at 128 px), shows a progress bar (quiet under CI), and can be interrupted: it writes
  in chunks, records how far it got, and the next call continues from there.
* Unreadable images are skipped and named (a :class:`~helpers.data.errors.BadImageWarning`),
  as the JPEG data set does; the cached data set leaves them out.

Command line: ``python -m helpers.data cache [--image-size 256] [--split-file F]``; in code:
:func:`cached_datasets`, or ``plantvillage_loaders(..., cache=True)``. :func:`folder_cache` caches a
whole folder once (split ``all``) and :meth:`CachedDataset.select` cuts any split out of it without
a copy: cross-validation folds and the small-data recipe (``helpers.train --cache``) use that.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import logging
import os
import re
import shutil
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info
from torch.utils.data._utils.collate import default_collate

from helpers import config
from helpers.data.datasets import PlantVillageDataset, load_image, plantvillage_datasets
from helpers.data.errors import BadImageWarning, CacheSpaceError, DataNotFoundError
from helpers.data.locate import EXPECTED_IMAGES, IMAGE_SIZE, scan_images
from helpers.data.splits import DEFAULT_FRACTIONS, SPLIT_NAMES

log = logging.getLogger(__name__)

CACHE_VERSION = 1
"""Bumped when the stored pixels would change (decoder, resize): old caches are then rebuilt."""
CHUNK = 512
"""Images decoded between two progress records (what an interruption can cost)."""


def cache_dir() -> Path:
    """Where caches live: ``data/cache`` in the writable work folder (``COURSE_WORK_DIR`` moves it)."""
    return config.work_dir() / "cache"


def cache_bytes(images: int, image_size: int) -> int:
    """Disk bytes of a cache of ``images`` images at ``image_size`` px (pixels plus int64 labels)."""
    return images * (3 * image_size * image_size + 8)


def cache_folder(root: str | Path, split_name: str, image_size: int, variant: str = "color") -> Path:
    """The folder of one split's cache: ``data/cache/<data folder>-<hash>-<variant>-<split>-<size>px``."""
    resolved = Path(root).resolve()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(resolved.parts[-2:])).strip("_") or "data"
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:8]
    return cache_dir() / f"{slug}-{digest}-{variant}-{split_name}-{image_size}px"


def cache_fingerprint(root: str | Path, files: Sequence[str], image_size: int, split_name: str,
                      variant: str = "color") -> str:
    """A hash of what the cached pixels depend on: file names and byte sizes, size, split, variant."""
    digest = hashlib.sha256(f"v{CACHE_VERSION}|{split_name}|{variant}|{image_size}\n".encode())
    root = Path(root)
    for name in files:
        try:
            size = (root / name).stat().st_size
        except OSError:
            size = -1
        digest.update(f"{name}\t{size}\n".encode())
    return digest.hexdigest()[:20]


def _read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write ``meta.json`` atomically: a crash leaves the previous record, never half a file."""
    tmp = folder / f".meta.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / "meta.json")


def _disk_free(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _decode(path: Path, image_size: int, decoder: str = "draft") -> tuple[np.ndarray | None, str | None]:
    """One image as uint8 (3, S, S) the way the JPEG data set reads it, or the error in words."""
    try:
        return np.asarray(load_image(path, image_size, decoder)).transpose(2, 0, 1), None
    except Exception as error:  # PIL raises OSError, ValueError, SyntaxError...: all mean "skip it"
        return None, f"{type(error).__name__}: {error}"


def _stale_reason(meta: dict[str, Any], expected: dict[str, Any]) -> str:
    changed = [key for key in ("split", "variant", "image_size", "count", "version")
               if meta.get(key) != expected[key]]
    return ", ".join(changed) if changed else "the files (names or sizes)"


def _check_space(folder: Path, n: int, start: int, split_name: str, image_size: int) -> tuple[int, int]:
    """``(bytes needed, bytes free)`` for caching images ``start..n``; :class:`CacheSpaceError` when short."""
    needed = cache_bytes(n - start, image_size)
    free = _disk_free(folder)
    if needed > free:
        raise CacheSpaceError(
            f"Caching the {split_name} split ({n:,} images at {image_size} px) needs {_gb(needed)} in "
            f"{folder.parent} but only {_gb(free)} are free. Free some space, cache a smaller size "
            f"(--image-size 128: the full set needs {_gb(cache_bytes(EXPECTED_IMAGES, 128))} at 128 px, "
            f"{_gb(cache_bytes(EXPECTED_IMAGES, 256))} at 256 px), or move the cache to a larger disk "
            "with COURSE_WORK_DIR.")
    return needed, free


def decoded_variant(variant: str, decoder: str = "draft") -> str:
    """The cache's variant label: the data-set variant, plus the decoder when it is not the default."""
    return variant if decoder == "draft" else f"{variant}-{decoder}-decode"


def build_cache(root: str | Path, files: Sequence[str], labels: Sequence[int], classes: Sequence[str], *,
                split_name: str, image_size: int = IMAGE_SIZE, variant: str = "color",
                folder: str | Path | None = None, threads: int | None = None, chunk: int = CHUNK,
                progress: bool | None = None, decoder: str = "draft") -> Path:
    """Decode ``files`` (relative to ``root``) once into the cache folder and return it.

    A complete cache with the same fingerprint is reused; a stale one (other files, size, split
    or variant) is rebuilt; an interrupted one is continued. Raises :class:`CacheSpaceError`
    before writing anything when the disk is too small. ``threads`` decode in parallel (PIL
    releases the GIL while decoding; default: the CPUs). ``decoder`` (:data:`~helpers.data.datasets.DECODERS`)
    other than ``draft`` is part of the cache's name and fingerprint: its pixels never mix with draft ones.
    """
    root = Path(root)
    variant = decoded_variant(variant, decoder)
    folder = Path(folder) if folder is not None else cache_folder(root, split_name, image_size, variant)
    n = len(files)
    expected = {"version": CACHE_VERSION, "split": split_name, "variant": variant, "image_size": image_size,
                "count": n, "fingerprint": cache_fingerprint(root, files, image_size, split_name, variant)}
    meta = _read_meta(folder)
    images_path, labels_path = folder / "images.npy", folder / "labels.npy"
    if meta is not None and meta.get("fingerprint") == expected["fingerprint"] and images_path.exists():
        if meta.get("complete"):
            return folder
        log.info("Continuing the interrupted cache %s at image %d of %d", folder, meta["done"], n)
    else:
        if meta is not None:
            log.warning("The cache %s is stale (%s changed): rebuilding it", folder,
                        _stale_reason(meta, expected))
        shutil.rmtree(folder, ignore_errors=True)
        meta = {**expected, "root": str(root), "classes": list(classes), "done": 0, "bad": {},
                "complete": False, "created": time.strftime("%Y-%m-%d %H:%M:%S")}
    folder.mkdir(parents=True, exist_ok=True)
    start = int(meta["done"])
    needed, free = _check_space(folder, n, start, split_name, image_size)
    print(f"Caching {n - start:,} {split_name} images at {image_size} px into {folder}: needs "
          f"{_gb(needed)}, {_gb(free)} free" + (f" (continuing from image {start:,})" if start else ""))
    if start == 0:
        np.save(labels_path, np.asarray(labels, dtype=np.int64))
        (folder / "files.json").write_text(json.dumps(list(files), ensure_ascii=False), encoding="utf-8")
        images = np.lib.format.open_memmap(images_path, mode="w+", dtype=np.uint8,
                                           shape=(n, 3, image_size, image_size))
        _write_meta(folder, meta)
    else:
        images = np.load(images_path, mmap_mode="r+")
    show = (not config.in_ci()) if progress is None else progress
    bar = config.progress_bar()(total=n, initial=start, desc=f"caching {split_name} at {image_size} px",
                                unit="img", disable=not show)
    workers = threads or config.cpu_count()
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for begin in range(start, n, chunk):
                end = min(begin + chunk, n)
                paths = [root / files[i] for i in range(begin, end)]
                for i, (pixels, error) in enumerate(pool.map(_decode, paths, [image_size] * len(paths),
                                                              [decoder] * len(paths))):
                    if pixels is None:
                        meta["bad"][files[begin + i]] = error
                        warnings.warn(f"Skipping unreadable image {paths[i]}: {error}", BadImageWarning,
                                      stacklevel=2)
                    else:
                        images[begin + i] = pixels
                images.flush()  # the pixels are on disk before the record says so
                meta["done"] = end
                _write_meta(folder, meta)
                bar.update(end - begin)
    finally:
        bar.close()
        del images
    meta["complete"] = True
    _write_meta(folder, meta)
    if meta["bad"]:
        log.warning("%d unreadable images left out of the %s cache: %s", len(meta["bad"]), split_name,
                    ", ".join(list(meta["bad"])[:5]) + (" ..." if len(meta["bad"]) > 5 else ""))
    return folder


class CachedBatch(NamedTuple):
    """A whole batch read from the cache at once: uint8 images (B, 3, S, S) and int64 labels (B,)."""

    images: torch.Tensor
    labels: torch.Tensor


def collate_cached(batch: Any) -> Any:
    """The DataLoader ``collate_fn`` for :class:`CachedDataset`: a :class:`CachedBatch` is already one."""
    if isinstance(batch, CachedBatch):
        return batch.images, batch.labels
    return default_collate(batch)


class CachedDataset(Dataset):
    """One split from the decoded-image cache: uint8 images (3, S, S) and their labels.

    Indexing gives one image; a DataLoader with ``collate_fn=collate_cached`` fetches a whole
    batch with one read of the memory-mapped array (``__getitems__``), the rows taken in file
    order (images and labels stay paired; only their order inside the batch changes).
    Unreadable images named when the cache was built are left out.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        meta = _read_meta(self.folder)
        if meta is None or not meta.get("complete"):
            raise DataNotFoundError(f"{self.folder} is not a complete image cache; build it with "
                                    "`python -m helpers.data cache` or plantvillage_loaders(cache=True)")
        files = json.loads((self.folder / "files.json").read_text(encoding="utf-8"))
        bad = meta.get("bad", {})
        self.rows = np.array([i for i, name in enumerate(files) if name not in bad], dtype=np.int64)
        labels = np.load(self.folder / "labels.npy")
        self.targets = labels[self.rows]
        self.files = [files[i] for i in self.rows]
        self.bad_files = set(bad)
        self.classes = list(meta["classes"])
        self.root = Path(meta["root"])
        self.image_size = int(meta["image_size"])
        self.split_name = meta["split"]
        self.variant = meta["variant"]
        self._images: np.ndarray | None = None

    @property
    def images(self) -> np.ndarray:
        """The memory-mapped pixels (opened on first use, also in each worker process)."""
        if self._images is None:
            self._images = np.load(self.folder / "images.npy", mmap_mode="r")
        return self._images

    @property
    def sample_bytes(self) -> int:
        """Bytes of one image (uint8), for the shared-memory plan of the loaders."""
        return 3 * self.image_size**2

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_images"] = None  # worker processes map the file themselves: never pickle the pixels
        return state

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return torch.from_numpy(np.array(self.images[self.rows[index]])), int(self.targets[index])

    def __getitems__(self, indices: Sequence[int]) -> CachedBatch:
        order = np.asarray(indices, dtype=np.int64)
        order = order[np.argsort(self.rows[order], kind="stable")]  # sorted rows: sequential reads
        rows = self.rows[order]
        if get_worker_info() is not None:  # in a worker: gather straight into shared memory, so handing
            pixels = torch.empty((len(rows), *self.images.shape[1:]), dtype=torch.uint8)
            pixels.share_memory_()          # the batch to the main process costs no second copy
            pixels.numpy()[:] = self.images[rows]
        else:  # fancy indexing of the memory map: one gather, ~3x faster here than np.take(..., out=)
            pixels = torch.from_numpy(self.images[rows])
        return CachedBatch(pixels, torch.from_numpy(self.targets[order]))


    def select(self, files: Sequence[str], split_name: str | None = None) -> CachedDataset:
        """A view of this cache with only ``files`` (paths relative to the data folder), in that order.

        No pixels are copied. Files that were unreadable when the cache was built are left out;
        a file the cache never saw is an error (the cache is of another folder or out of date).
        """
        position = {name: i for i, name in enumerate(self.files)}
        missing = [name for name in files if name not in position and name not in self.bad_files]
        if missing:
            raise DataNotFoundError(
                f"{len(missing)} image(s) are not in the cache {self.folder} (e.g. {missing[0]}): the split "
                f"is of another folder than {self.root}, or the folder changed; rebuild with folder_cache()")
        keep = np.array([position[name] for name in files if name in position], dtype=np.int64)
        view = copy.copy(self)
        view.rows, view.targets = self.rows[keep], self.targets[keep]
        view.files = [self.files[i] for i in keep]
        view.split_name = split_name or self.split_name
        return view


def folder_cache(root: str | Path, image_size: int = IMAGE_SIZE, *, variant: str = "color",
                 threads: int | None = None, progress: bool | None = None,
                 decoder: str = "draft") -> CachedDataset:
    """Every image of the ImageFolder ``root`` decoded once (split ``all``; built on first use, rebuilt
    when stale); cut splits or folds out of it with :meth:`CachedDataset.select`."""
    files, labels, classes = scan_images(root)
    folder = build_cache(root, files, labels, classes, split_name="all", image_size=image_size,
                         variant=variant, threads=threads, progress=progress, decoder=decoder)
    return CachedDataset(folder)


def cache_split(dataset: PlantVillageDataset, *, variant: str = "color", threads: int | None = None,
                progress: bool | None = None) -> CachedDataset:
    """The cached version of a JPEG split (built on first use, rebuilt when stale).

    In a distributed run process 0 builds while the others wait, then all read the same files.
    """
    split_name = getattr(dataset, "split_name", "all")
    distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    decoder = getattr(dataset, "decoder", "draft")
    folder = cache_folder(dataset.root, split_name, dataset.image_size, decoded_variant(variant, decoder))
    if not distributed or torch.distributed.get_rank() == 0:
        folder = build_cache(dataset.root, dataset.files, dataset.targets, dataset.classes,
                             split_name=split_name, image_size=dataset.image_size, variant=variant,
                             threads=threads, progress=progress, decoder=decoder)
    if distributed:
        torch.distributed.barrier()
    cached = CachedDataset(folder)
    cached.source = getattr(dataset, "source", "custom")
    cached.split_file = getattr(dataset, "split_file", None)
    return cached


def cached_datasets(root: str | Path | None = None, image_size: int = IMAGE_SIZE, *, variant: str = "color",
                    fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42,
                    split_file: str | Path | None = None, splits: Sequence[str] = SPLIT_NAMES,
                    threads: int | None = None, progress: bool | None = None) -> dict[str, CachedDataset]:
    """The cached train / validation / test sets over the saved split (each built on first use)."""
    sets = plantvillage_datasets(root, image_size, variant=variant, fractions=fractions, seed=seed,
                                 split_file=split_file)
    by_name = dict(zip(SPLIT_NAMES, sets[:3], strict=True))
    unknown = set(splits) - set(SPLIT_NAMES)
    if unknown:
        raise ValueError(f"unknown split(s) {sorted(unknown)}; choose from {', '.join(SPLIT_NAMES)}")
    return {name: cache_split(by_name[name], variant=variant, threads=threads, progress=progress)
            for name in splits}


def _run_cache(args: argparse.Namespace, rest: list[str]) -> int:
    """``python -m helpers.data cache``: build (or check) the caches of the requested splits."""
    sets = cached_datasets(args.data, args.image_size, variant=args.variant, seed=args.seed,
                           split_file=args.split_file, splits=args.splits, threads=args.threads)
    for name, dataset in sets.items():
        skipped = f", {len(dataset.bad_files)} unreadable images left out" if dataset.bad_files else ""
        print(f"{name}: {len(dataset):,} images at {dataset.image_size} px in {dataset.folder}{skipped}")
    return 0


def add_cache_parser(subparsers: argparse._SubParsersAction) -> None:
    """``cache``: decode the PlantVillage splits once into ``data/cache``."""
    parser = subparsers.add_parser("cache", help="decode PlantVillage's splits once into data/cache")
    parser.add_argument("--data", type=Path, default=None,
                        help="PlantVillage folder (default: data/plantvillage, else the mini or tiny set)")
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE, help="pixels (default 256)")
    parser.add_argument("--split-file", type=Path, default=None, help="a saved split (default: data/splits/)")
    parser.add_argument("--splits", nargs="+", default=list(SPLIT_NAMES), choices=SPLIT_NAMES)
    parser.add_argument("--variant", default="color", choices=("color", "grayscale", "segmented"))
    parser.add_argument("--seed", type=int, default=42, help="the split's seed")
    parser.add_argument("--threads", type=int, default=None, help="decoding threads (default: the CPUs)")
    parser.set_defaults(func=_run_cache)
