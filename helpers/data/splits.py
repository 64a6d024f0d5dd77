"""Splits: reproducible train/validation/test cuts, saved so every model sees the same images.

* :func:`split_indices` / :func:`train_val_split`: a seeded shuffle-and-cut of any data set.
* :func:`make_split` / :func:`split_for`: PlantVillage's stratified split, saved as JSON under
  ``data/splits/`` with a fingerprint of the file list, and reused only while the files match.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset, Subset

from helpers import config
from helpers.data.errors import DataLayoutError
from helpers.data.locate import scan_images

log = logging.getLogger(__name__)

DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
SPLIT_NAMES = ("train", "val", "test")


def split_indices(
    n: int, fractions: tuple[float, ...], seed: int = 42
) -> list[np.ndarray]:
    """Shuffle ``range(n)`` with a fixed seed and cut it into parts of the given fractions."""
    if not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions must sum to 1, got {fractions}")
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.cumsum([round(f * n) for f in fractions[:-1]])
    return np.split(order, cuts)


def train_val_split(
    dataset: Dataset, val_fraction: float = 0.1, seed: int = 42
) -> tuple[Subset, Subset]:
    """Split a data set into train and validation subsets, reproducibly."""
    train_idx, val_idx = split_indices(len(dataset), (1 - val_fraction, val_fraction), seed)
    return Subset(dataset, train_idx.tolist()), Subset(dataset, val_idx.tolist())


def _class_seed(seed: int, name: str) -> np.random.Generator:
    """A generator per class from the seed and the class name (independent of other classes)."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def _split_counts(n: int, fractions: Sequence[float]) -> tuple[int, int, int]:
    """How many of a class's ``n`` images go to train/val/test: 1-2 images stay in train."""
    if n < 3:
        return n, 0, 0
    val, test = (max(1, math.floor(n * f + 0.5)) if f > 0 else 0 for f in fractions[1:3])
    while val + test >= n:  # keep at least one training image
        if test >= val and test > 0:
            test -= 1
        else:
            val -= 1
    return n - val - test, val, test


def fingerprint(files: Sequence[str]) -> str:
    """A short hash of the sorted file list: a split is reused only for the same files."""
    return hashlib.sha256("\n".join(sorted(files)).encode("utf-8")).hexdigest()[:16]


def make_split(root: str | Path, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42,
               path: str | Path | None = None, save: bool = True) -> dict[str, Any]:
    """A stratified, deterministic train/val/test split of the ImageFolder ``root``.

    Each class is shuffled with its own generator (seed + class name) and cut by
    ``fractions``; classes of 1-2 images go entirely to train. The split (relative file
    paths and class names) is saved as JSON to ``path`` (default :func:`split_path`)
    unless ``save=False``.
    """
    if len(fractions) != 3 or not np.isclose(sum(fractions), 1.0) or min(fractions) < 0:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    root = Path(root)
    files, labels, classes = scan_images(root)
    if not files:
        raise DataLayoutError(f"{root} has no images to split")
    parts: dict[str, list[str]] = {name: [] for name in SPLIT_NAMES}
    by_class: dict[int, list[str]] = {}
    for name, label in zip(files, labels, strict=True):
        by_class.setdefault(label, []).append(name)
    for label, names in by_class.items():
        order = _class_seed(seed, classes[label]).permutation(len(names))
        shuffled = [names[i] for i in order]
        n_train, n_val, _ = _split_counts(len(names), fractions)
        parts["train"] += shuffled[:n_train]
        parts["val"] += shuffled[n_train:n_train + n_val]
        parts["test"] += shuffled[n_train + n_val:]
    split = {
        "version": 1, "root": str(root), "seed": seed, "fractions": list(fractions),
        "classes": classes, "fingerprint": fingerprint(files), "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        **{name: sorted(parts[name]) for name in SPLIT_NAMES},
    }
    if save:
        split["path"] = str(save_split(split, path or split_path(root, fractions, seed)))
    return split


def split_path(root: str | Path, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42) -> Path:
    """Where the split of ``root`` is saved: ``data/splits/<folder>-<hash>-seed42-80-10-10.json``.

    Under the course's data folder rather than next to the images, because the images
    may sit on a read-only volume (``../shared``, a hub's data mount).
    """
    resolved = Path(root).resolve()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(resolved.parts[-2:])).strip("_") or "data"
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:8]
    cuts = "-".join(str(round(100 * f)) for f in fractions)
    return config.data_dir() / "splits" / f"{slug}-{digest}-seed{seed}-{cuts}.json"


def save_split(split: dict[str, Any], path: str | Path) -> Path:
    """Write a split as JSON, atomically (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {key: value for key, value in split.items() if key != "path"}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_split(path: str | Path) -> dict[str, Any]:
    """Read a split saved by :func:`make_split` (checks its keys)."""
    path = Path(path)
    try:
        split = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"No split file at {path}; make one with make_split(root)") from None
    missing = [key for key in ("classes", *SPLIT_NAMES) if key not in split]
    if missing:
        raise ValueError(f"{path} is not a split file (missing {', '.join(missing)})")
    split["path"] = str(path)
    return split


def split_for(root: str | Path, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42,
              path: str | Path | None = None) -> dict[str, Any]:
    """The saved split of ``root`` when it matches the files there, else a new one (saved)."""
    root = Path(root)
    path = Path(path) if path is not None else split_path(root, fractions, seed)
    if path.exists():
        try:
            split = load_split(path)
            files, _, _ = scan_images(root)
            if split.get("fingerprint") == fingerprint(files):
                return split
            log.warning("The files in %s changed since %s was made: making a new split", root, path)
        except (ValueError, json.JSONDecodeError) as error:
            log.warning("Ignoring unreadable split file %s (%s): making a new one", path, error)
    return make_split(root, fractions, seed, path=path)
