"""Splits: reproducible train/validation/test cuts, saved so every model sees the same images.

* :func:`split_indices` / :func:`train_val_split`: a seeded shuffle-and-cut of any data set.
* :func:`make_split` / :func:`split_for`: PlantVillage's stratified split, saved as JSON under
  ``data/splits/`` with a fingerprint of the file list, and reused only while the files match.
  ``grouping="random"`` cuts each class's images at random (the report's split, and Mohanty et
  al.'s): photos of one leaf land in train and test. ``grouping="leaf"`` keeps every leaf group
  of :func:`helpers.data.leaves.leaf_groups` (the published leaf maps, else nearby shot numbers)
  on one side, stratified as far as the groups allow.
* :func:`kfold_splits`: stratified k-fold cross-validation folds, by image or by leaf group.
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
from helpers.data.leaves import BLOCK_SPAN, MAPS_SOURCE, NEAR_WINDOW, leaf_groups
from helpers.data.locate import scan_images
from helpers.i18n import tr

log = logging.getLogger(__name__)

DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
SPLIT_NAMES = ("train", "val", "test")
GROUPINGS = ("random", "leaf")
"""How a split cuts a class: image by image, or leaf group by leaf group (:mod:`helpers.data.leaves`)."""


def split_indices(
    n: int, fractions: tuple[float, ...], seed: int = 42
) -> list[np.ndarray]:
    """Shuffle ``range(n)`` with a fixed seed and cut it into parts of the given fractions."""
    if not np.isclose(sum(fractions), 1.0):
        raise ValueError(tr("fractions must sum to 1, got {fractions}", fractions=fractions))
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


def _check_grouping(grouping: str) -> str:
    if grouping not in GROUPINGS:
        raise ValueError(tr("grouping must be one of {groupings}, not {grouping!r}",
                            groupings=', '.join(GROUPINGS), grouping=grouping))
    return grouping


def leaf_rule() -> dict[str, Any]:
    """What a leaf split is made with (saved in it: a change makes :func:`split_for` remake the split)."""
    return {"maps": MAPS_SOURCE, "window": NEAR_WINDOW, "span": BLOCK_SPAN}


def _grouped_images(root: Path, grouping: str) -> tuple[list[str], list[str], dict[int, list[list[str]]],
                                                    dict[str, Any]]:
    """The images under ``root`` (files, classes), grouped per class label by ``grouping``, and what the
    grouping found; a clear error when the grouping is unknown or there is nothing to split."""
    _check_grouping(grouping)
    files, labels, classes = scan_images(root)
    if not files:
        raise DataLayoutError(tr("{root} has no images to split", root=root))
    by_class, info = _class_groups(files, labels, grouping)
    return files, classes, by_class, info


def _class_groups(files: Sequence[str], labels: Sequence[int],
                  grouping: str) -> tuple[dict[int, list[list[str]]], dict[str, Any]]:
    """Per class label, its groups of files (one file each for ``random``), and what the grouping found."""
    by_class: dict[int, dict[str, list[str]]] = {}
    if grouping == "random":
        keys: Sequence[str] = files
        info: dict[str, Any] = {}
    else:
        groups = leaf_groups(files)
        keys = groups.group
        info = {"leaf_groups": {"rules": groups.counts(), "groups": groups.n_groups, **leaf_rule()}}
    for file, label, key in zip(files, labels, keys, strict=True):
        by_class.setdefault(label, {}).setdefault(key, []).append(file)
    return {label: sorted(found.values()) for label, found in by_class.items()}, info


def _ordered(groups: list[list[str]], rng: np.random.Generator) -> list[list[str]]:
    """The groups in a seeded random order, then largest first (stable): big groups are placed first."""
    shuffled = [groups[i] for i in rng.permutation(len(groups))]
    return sorted(shuffled, key=len, reverse=True)


def _fill(groups: list[list[str]], targets: Sequence[int]) -> list[int]:
    """The part of each group: the one furthest below its target so far (ties: the earlier part)."""
    filled = [0] * len(targets)
    parts = []
    for group in groups:
        part = max(range(len(targets)), key=lambda i: (targets[i] - filled[i], -i))
        filled[part] += len(group)
        parts.append(part)
    return parts


def make_split(root: str | Path, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42,
               path: str | Path | None = None, save: bool = True, grouping: str = "random") -> dict[str, Any]:
    """A stratified, deterministic train/val/test split of the ImageFolder ``root``.

    ``grouping="random"``: each class is shuffled with its own generator (seed + class name)
    and cut by ``fractions``; classes of 1-2 images go entirely to train.
    ``grouping="leaf"``: the same per class, but whole leaf groups
    (:func:`helpers.data.leaves.leaf_groups`) are dealt out, largest first, each to the part
    furthest below its share, so no leaf is on two sides and each class stays within a group's
    size of its share; the split records how many images each grouping rule covered.
    The split (relative file paths, class names, grouping) is saved as JSON to ``path``
    (default :func:`split_path`) unless ``save=False``.
    """
    if len(fractions) != 3 or not np.isclose(sum(fractions), 1.0) or min(fractions) < 0:
        raise ValueError(tr("fractions must be three non-negative numbers summing to 1, got {fractions}",
                            fractions=fractions))
    root = Path(root)
    files, classes, by_class, info = _grouped_images(root, grouping)
    parts: dict[str, list[str]] = {name: [] for name in SPLIT_NAMES}
    for label, groups in by_class.items():
        rng = _class_seed(seed, classes[label])
        counts = _split_counts(sum(len(group) for group in groups), fractions)
        if grouping == "random":  # the original cut, kept exactly: shuffle, then cut by counts
            names = [group[0] for group in groups]
            shuffled = [names[i] for i in rng.permutation(len(names))]
            n_train, n_val, _ = counts
            parts["train"] += shuffled[:n_train]
            parts["val"] += shuffled[n_train:n_train + n_val]
            parts["test"] += shuffled[n_train + n_val:]
            continue
        ordered = _ordered(groups, rng)
        for group, part in zip(ordered, _fill(ordered, counts), strict=True):
            parts[SPLIT_NAMES[part]] += group
    split = {
        "version": 2, "root": str(root), "seed": seed, "fractions": list(fractions), "grouping": grouping,
        **info, "classes": classes, "fingerprint": fingerprint(files),
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        **{name: sorted(parts[name]) for name in SPLIT_NAMES},
    }
    if save:
        split["path"] = str(save_split(split, path or split_path(root, fractions, seed, grouping)))
    return split


def _stem(root: str | Path) -> str:
    """``<last two folder names>-<hash of the full path>``: the start of every split file name of ``root``."""
    resolved = Path(root).resolve()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(resolved.parts[-2:])).strip("_") or "data"
    return f"{slug}-{hashlib.sha256(str(resolved).encode('utf-8')).hexdigest()[:8]}"


def split_path(root: str | Path, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42,
               grouping: str = "random") -> Path:
    """Where the split of ``root`` is saved: ``data/splits/<folder>-<hash>-seed42-80-10-10-random.json``.

    The name ends in the grouping (``random`` or ``leaf``). Under the course's writable work folder
    (:func:`helpers.config.work_dir`) rather than next to the images or in ``COURSE_DATA_DIR``,
    because the images may sit on a read-only volume (``../shared``, a hub's data mount).
    """
    cuts = "-".join(str(round(100 * f)) for f in fractions)
    return config.work_dir() / "splits" / f"{_stem(root)}-seed{seed}-{cuts}-{_check_grouping(grouping)}.json"


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
    """Read a split saved by :func:`make_split` (checks its keys; a file without a grouping is random)."""
    path = Path(path)
    try:
        split = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(tr("No split file at {path}; make one with make_split(root)",
                                   path=path)) from None
    missing = [key for key in ("classes", *SPLIT_NAMES) if key not in split]
    if missing:
        raise ValueError(tr("{path} is not a split file (missing {missing})", path=path,
                            missing=', '.join(missing)))
    split.setdefault("grouping", "random")
    split["path"] = str(path)
    return split


def _stale(split: dict[str, Any], files: Sequence[str], grouping: str) -> str | None:
    """Why a saved split cannot be reused for these files and this grouping, or None."""
    if split.get("fingerprint") != fingerprint(files):
        return "the files changed since it was made"
    if split["grouping"] != grouping:
        return f"it is a {split['grouping']} split, not a {grouping} one"
    if grouping == "leaf" and {k: v for k, v in split.get("leaf_groups", {}).items() if k in leaf_rule()} != \
            leaf_rule():
        return "it was made with other leaf maps or another heuristic"
    return None


def split_for(root: str | Path, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42,
              path: str | Path | None = None, grouping: str | None = None) -> dict[str, Any]:
    """The saved split of ``root`` when it matches the files there, else a new one (saved).

    ``grouping`` is ``"random"`` or ``"leaf"`` (see :func:`make_split`); None means the grouping
    of the file at ``path`` when there is one, else ``"random"``.
    """
    root = Path(root)
    saved = None
    if path is not None and Path(path).exists():
        try:
            saved = load_split(path)
        except (ValueError, json.JSONDecodeError) as error:
            log.warning("Ignoring unreadable split file %s (%s): making a new one", path, error)
    grouping = _check_grouping(grouping or (saved or {}).get("grouping", "random"))
    path = Path(path) if path is not None else split_path(root, fractions, seed, grouping)
    if saved is None and path.exists():
        try:
            saved = load_split(path)
        except (ValueError, json.JSONDecodeError) as error:
            log.warning("Ignoring unreadable split file %s (%s): making a new one", path, error)
    if saved is not None:
        files, _, _ = scan_images(root)
        reason = _stale(saved, files, grouping)
        if reason is None:
            return saved
        if "fold" in saved:  # never overwrite a cross-validation fold with an ordinary split
            raise ValueError(tr("{path} is fold {saved_fold} of {saved_get_k} and cannot be reused "
                                "({reason}): make the folds again with kfold_splits(root, k={saved_get_k}, "
                                "seed={saved_get_seed}, grouping={saved_grouping!r}, save=True)", path=path,
                                saved_fold=saved['fold'], saved_get_k=saved.get('k'), reason=reason,
                                saved_get_seed=saved.get('seed'), saved_grouping=saved['grouping']))
        log.warning("Not reusing %s (%s): making a new %s split", path, reason, grouping)
    return make_split(root, fractions, seed, path=path, grouping=grouping)


def kfold_path(root: str | Path, k: int, fold: int, seed: int = 42, grouping: str = "leaf") -> Path:
    """Where fold ``fold`` (0-based) of ``k`` is saved: ``data/splits/...-seed42-5fold0-leaf.json``."""
    name = f"{_stem(root)}-seed{seed}-{k}fold{fold}-{_check_grouping(grouping)}.json"
    return config.work_dir() / "splits" / name


def kfold_splits(root: str | Path, k: int = 5, seed: int = 42, grouping: str = "leaf",
                 save: bool = False) -> list[dict[str, Any]]:
    """Stratified (group) k-fold cross-validation: ``k`` splits whose ``val`` parts partition the data.

    Per class, the groups (leaf groups, or single images with ``grouping="random"``) are dealt
    out largest first in a seeded order, each to the fold that holds the fewest images of that
    class so far (ties: the fold with the fewest images overall), so every fold gets its share
    of every class as far as the groups allow and no group is in two folds. A class that is one
    group (e.g. a single image) cannot be held out without leaving training without it: it
    stays in ``train`` of every fold and is listed under ``train_only``. Fold ``i`` is a split
    dictionary (``train`` = everything but its ``val``, ``test`` empty, ``fold``, ``k``) that
    the loaders accept; ``save=True`` writes each to :func:`kfold_path` and sets ``path``.
    """
    if not isinstance(k, int) or k < 2:
        raise ValueError(tr("k must be an integer of at least 2, got {k!r}", k=k))
    root = Path(root)
    files, classes, by_class, info = _grouped_images(root, grouping)
    held: list[list[str]] = [[] for _ in range(k)]
    totals = [0] * k
    train_only: list[str] = []
    for label in sorted(by_class):
        groups = _ordered(by_class[label], _class_seed(seed, classes[label]))
        if len(groups) < 2:
            train_only += [file for group in groups for file in group]
            continue
        in_class = [0] * k
        for group in groups:
            fold = min(range(k), key=lambda i: (in_class[i], totals[i], i))
            held[fold] += group
            in_class[fold] += len(group)
            totals[fold] += len(group)
    created = time.strftime("%Y-%m-%d %H:%M:%S")
    folds = []
    for index, val in enumerate(held):
        out = set(val)
        fold = {
            "version": 2, "root": str(root), "seed": seed, "grouping": grouping, **info,
            "k": k, "fold": index, "classes": classes, "fingerprint": fingerprint(files), "created": created,
            "train": sorted(f for f in files if f not in out), "val": sorted(val), "test": [],
            "train_only": sorted(train_only),
        }
        if save:
            fold["path"] = str(save_split(fold, kfold_path(root, k, index, seed, grouping)))
        folds.append(fold)
    return folds
