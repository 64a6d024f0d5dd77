"""FashionMNIST (chapter 8): reading IDX files, finding the data set, the torchvision data set, loaders.

:func:`locate_fashion_mnist` looks in ``data/FashionMNIST/raw`` (torchvision's layout), then in
Debian's ``dataset-fashion-mnist`` package, then downloads; in smoke mode it uses the generated
tiny set (:mod:`helpers.data.tiny`).
"""

from __future__ import annotations

import gzip
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from helpers import config
from helpers.data.errors import DataNotFoundError
from helpers.data.loaders import make_loader
from helpers.data.splits import train_val_split
from helpers.data.tiny import IDX_FILES, ensure_tiny

log = logging.getLogger(__name__)

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


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
