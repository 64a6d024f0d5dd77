"""Data sets and loaders: FashionMNIST discovery, splits, DataLoader settings, data CLI.

Command line::

    python -m helpers.data make-tiny              # tiny generated sets into data/tiny
    python -m helpers.data fashion-mnist          # find/install FashionMNIST, print counts
    python -m helpers.data download plantvillage  # fetch PlantVillage (online users)
"""

from __future__ import annotations

import argparse
import gzip
import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset
from torchvision import datasets, transforms

from helpers import config
from helpers.tiny import FASHION_CLASSES, IDX_FILES, ensure_tiny

log = logging.getLogger(__name__)

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


class DataNotFoundError(FileNotFoundError):
    """A data set is not where the course looked; the message says how to get it."""


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (plain or .gz) into a NumPy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _raw_folder(root: Path) -> Path:
    return Path(root) / "FashionMNIST" / "raw"


def has_torchvision_layout(root: Path) -> bool:
    """True when ``root/FashionMNIST/raw`` holds the four unpacked IDX files."""
    raw = _raw_folder(root)
    return all((raw / name).is_file() for name in IDX_FILES.values())


def install_from_idx_dir(source: Path, root: Path) -> Path:
    """Unpack gzip IDX files (e.g. Debian's package) into torchvision's layout under ``root``.

    Debian's files differ byte-wise from upstream, so torchvision's md5 check would reject
    them as downloads; unpacked into ``FashionMNIST/raw`` they load like any local copy.
    """
    raw = _raw_folder(root)
    raw.mkdir(parents=True, exist_ok=True)
    for name in IDX_FILES.values():
        packed, plain = Path(source) / f"{name}.gz", Path(source) / name
        target = raw / name
        if packed.is_file():
            with gzip.open(packed, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
        elif plain.is_file():
            shutil.copyfile(plain, target)
        else:
            raise DataNotFoundError(f"{source} has no {name}(.gz)")
    return raw


def fashion_mnist_help(root: Path) -> str:
    """The three ways to get FashionMNIST, for error messages and the README."""
    return (
        f"FashionMNIST not found. The course looked in {_raw_folder(root)} (torchvision layout) "
        f"and {DEBIAN_FASHION_DIR} (Debian package), and could not download it. Get it one of "
        "three ways:\n"
        "  1. Debian/Ubuntu, offline-friendly: sudo apt-get install dataset-fashion-mnist\n"
        f"  2. Copy the four IDX files (train-images-idx3-ubyte, ...) into {_raw_folder(root)}\n"
        "  3. With internet: python -m helpers.data fashion-mnist (torchvision downloads it)\n"
        "For a tiny offline stand-in set COURSE_MODE=smoke."
    )


def locate_fashion_mnist(
    root: Path | None = None,
    *,
    debian_dir: Path = DEBIAN_FASHION_DIR,
    download: bool = True,
) -> tuple[Path, str]:
    """Find FashionMNIST and return ``(root, source)`` for torchvision's ``FashionMNIST(root)``.

    Order: a torchvision-layout folder under ``root`` (default ``data/``); the Debian
    package files, unpacked into ``root``; a torchvision download; else
    :class:`DataNotFoundError` naming the three ways to get the data.
    In smoke mode the tiny generated set is used instead.
    """
    if root is None:
        if config.is_smoke():
            return ensure_tiny(config.data_dir()), "tiny"
        root = config.data_dir()
    root = Path(root)
    if has_torchvision_layout(root):
        return root, "local"
    if all((Path(debian_dir) / f"{n}.gz").is_file() for n in IDX_FILES.values()):
        install_from_idx_dir(debian_dir, root)
        return root, "debian"
    if download:
        try:
            for train in (True, False):
                datasets.FashionMNIST(root, train=train, download=True)
            return root, "download"
        except Exception as error:  # network down, proxy, disk: all end in the same advice
            log.warning("FashionMNIST download failed: %s", error)
    raise DataNotFoundError(fashion_mnist_help(root))


def fashion_mnist(
    train: bool = True,
    root: Path | None = None,
    transform: Callable | None = None,
    **locate_kwargs: object,
) -> datasets.FashionMNIST:
    """FashionMNIST as a torchvision data set (images as tensors in [0, 1] by default)."""
    folder, _ = locate_fashion_mnist(root, **locate_kwargs)  # type: ignore[arg-type]
    return datasets.FashionMNIST(
        folder, train=train, download=False, transform=transform or transforms.ToTensor()
    )


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


def _shm_bytes() -> int | None:
    try:
        stats = os.statvfs("/dev/shm")
    except (OSError, AttributeError):
        return None
    return stats.f_bavail * stats.f_frsize


def num_workers(requested: int | None = None, *, min_shm_mb: int = 512) -> int:
    """DataLoader workers from the machine: CPUs minus one (at most 8); 0 when ``/dev/shm``
    is too small for worker processes (e.g. a JupyterHub pod) or under smoke mode."""
    if requested is not None:
        return max(0, requested)
    if config.is_smoke():
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(max((cpus or 1) - 1, 0), 8)
    shm = _shm_bytes()
    if workers and shm is not None and shm < min_shm_mb * 2**20:
        log.warning(
            "/dev/shm has only %d MB free: using num_workers=0 (raise the pod's shared memory "
            "for faster loading)", shm // 2**20,
        )
        return 0
    return workers


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = False,
    device: torch.device | None = None,
    workers: int | None = None,
    sampler: torch.utils.data.Sampler | None = None,
    drop_last: bool = False,
) -> DataLoader:
    """A DataLoader tuned for the device: workers, pinned memory and persistent workers on GPU."""
    device = device or config.device()
    n_workers = num_workers(workers)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        num_workers=n_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=n_workers > 0,
        prefetch_factor=4 if n_workers > 0 else None,
        drop_last=drop_last,
    )


def fashion_mnist_loaders(
    batch_size: int = 64,
    *,
    val_fraction: float = 0.1,
    seed: int = 42,
    root: Path | None = None,
    device: torch.device | None = None,
) -> tuple[DataLoader, DataLoader, DataLoader]:
    """Train / validation / test loaders for FashionMNIST (validation cut from train)."""
    train_full = fashion_mnist(train=True, root=root)
    test = fashion_mnist(train=False, root=root)
    train, val = train_val_split(train_full, val_fraction, seed)
    return (
        make_loader(train, batch_size, shuffle=True, device=device),
        make_loader(val, batch_size, device=device),
        make_loader(test, batch_size, device=device),
    )


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    tiny = sub.add_parser("make-tiny", help="generate the tiny sets into DATA/tiny")
    tiny.add_argument("--data", type=Path, default=None, help="data folder (default data/)")
    fmnist = sub.add_parser("fashion-mnist", help="find or fetch FashionMNIST, print counts")
    fmnist.add_argument("--data", type=Path, default=None)
    fmnist.add_argument("--no-download", action="store_true")
    down = sub.add_parser("download", help="download a data set (needs internet)")
    down.add_argument("name", choices=["plantvillage", "fashion-mnist"])
    down.add_argument("--data", type=Path, default=None)
    args, rest = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data_root = args.data or config.data_dir()
    try:
        if args.command == "make-tiny":
            root = ensure_tiny(data_root)
            print(f"tiny data sets ready in {root}")
        elif args.command == "fashion-mnist" or (
            args.command == "download" and args.name == "fashion-mnist"
        ):
            folder, source = locate_fashion_mnist(
                data_root, download=not getattr(args, "no_download", False)
            )
            train = datasets.FashionMNIST(folder, train=True, download=False)
            test = datasets.FashionMNIST(folder, train=False, download=False)
            print(f"FashionMNIST ({source}) in {folder}: {len(train)} train, {len(test)} test, "
                  f"classes: {', '.join(FASHION_CLASSES)}")
        else:
            from helpers import download

            return download.main([str(data_root), *rest])
    except DataNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
