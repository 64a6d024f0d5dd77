"""FashionMNIST (chapter 8): reading IDX files, finding the data set, the torchvision data set, loaders.

:func:`locate_fashion_mnist` looks in ``data/FashionMNIST/raw`` (torchvision's layout), then in
Debian's ``dataset-fashion-mnist`` package, then downloads; in smoke mode it uses the generated
tiny set (:mod:`helpers.data.tiny`).

:func:`fashion_mnist` is torchvision's data set (each item turned into a PIL image, then into a
float tensor by ``ToTensor``: what chapter 8 teaches ``Dataset`` and ``DataLoader`` with). The
70,000 images fit in 55 MB, so :func:`fashion_mnist_loaders` keeps them in memory instead:
:class:`FashionTensors` holds the uint8 pixels once (on the GPU when there is one), and
:class:`InMemoryLoader` cuts batches by indexing and scales them to [0, 1] on the device: the
same batches as a DataLoader over torchvision's data set, without the per-image Python work.
"""

from __future__ import annotations

import gzip
import logging
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset
from torchvision import datasets, transforms

from helpers import config
from helpers.data.errors import DataNotFoundError
from helpers.data.loaders import representative_indices
from helpers.data.splits import split_indices
from helpers.data.tiny import IDX_FILES, ensure_tiny
from helpers.i18n import tr

log = logging.getLogger(__name__)

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (plain or .gz) into a NumPy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(tr("{path} is not an unsigned-byte IDX file", path=path))
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
            raise DataNotFoundError(tr("{source} has no {name}(.gz)", source=source, name=name))
    return raw


def fashion_mnist_help(root: Path) -> str:
    """The three ways to get FashionMNIST, for error messages and the README."""
    return (
        tr("FashionMNIST not found. The course looked in {raw_folder_root} (torchvision layout) and "
           "{DEBIAN_FASHION_DIR} (Debian package), and could not download it. Get it one of three ways:\n  "
           "1. Debian/Ubuntu, offline-friendly: sudo apt-get install dataset-fashion-mnist\n  2. Copy the "
           "four IDX files (train-images-idx3-ubyte, ...) into {raw_folder_root}\n  3. With internet: "
           "python -m helpers.data fashion-mnist (torchvision downloads it)\nFor a tiny offline stand-in "
           "set COURSE_MODE=smoke.", raw_folder_root=_raw_folder(root),
           DEBIAN_FASHION_DIR=DEBIAN_FASHION_DIR)
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
            return ensure_tiny(config.work_dir()), "tiny"
        if has_torchvision_layout(config.data_dir()):
            return config.data_dir(), "local"
        root = config.work_dir()  # unpack or download into the writable folder, never a shared one
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


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels 0..255 -> float32 in [0, 1], on the images' device (what ``ToTensor`` does per image)."""
    return images.float().div_(255)


class FashionTensors(Dataset):
    """FashionMNIST held in memory: ``images`` uint8 ``(N, 1, 28, 28)`` and ``targets`` int64 ``(N,)``.

    Item ``i`` is ``(image as float32 in [0, 1], label)``, exactly what torchvision's data set with
    ``ToTensor()`` returns, so it can stand in for it (plots, ``len``, ``.targets``, ``.classes``).
    ``indices`` are the items' positions in the file they came from (a split keeps track of them).
    """

    def __init__(self, images: torch.Tensor, targets: torch.Tensor, classes: Sequence[str],
                 indices: torch.Tensor | None = None) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4 or len(images) != len(targets):
            raise ValueError(tr("FashionTensors wants uint8 images (N, C, H, W) and one target per image, "
                                "got {images_dtype} {tuple_images_shape} and {len_targets} targets",
                                images_dtype=images.dtype, tuple_images_shape=tuple(images.shape),
                                len_targets=len(targets)))
        self.images, self.targets = images, targets.long()
        self.classes = list(classes)
        self.indices = torch.arange(len(images)) if indices is None else indices.cpu()

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return to_unit_range(self.images[index]).cpu(), int(self.targets[index])

    @property
    def device(self) -> torch.device:
        """Where the pixels are."""
        return self.images.device

    @property
    def nbytes(self) -> int:
        """Memory held by the images and the labels."""
        return self.images.nbytes + self.targets.nbytes

    def subset(self, positions: Sequence[int] | np.ndarray | torch.Tensor) -> FashionTensors:
        """The items at ``positions`` (a copy, on the same device), remembering their file positions."""
        positions = (positions.long().cpu() if isinstance(positions, torch.Tensor)
                     else torch.as_tensor(np.asarray(positions), dtype=torch.long))
        on_device = positions.to(self.device)
        return FashionTensors(self.images[on_device], self.targets[on_device], self.classes,
                              self.indices[positions])

    def to(self, device: torch.device | str | None) -> FashionTensors:
        """The same data on ``device`` (itself when it is already there)."""
        if device is None or torch.device(device) == self.device:
            return self
        return FashionTensors(self.images.to(device), self.targets.to(device), self.classes, self.indices)


class InMemoryLoader:
    """Batches of a :class:`FashionTensors` by indexing: a DataLoader without per-image work.

    Each batch is ``(images float32 in [0, 1] of shape (B, 1, 28, 28), labels int64 (B,))`` on the
    data's device. ``shuffle=True`` draws a new order every epoch from a ``torch.Generator``
    seeded with ``seed`` (the same seed gives the same epochs); the last batch is smaller unless
    ``drop_last``. ``len()``, ``.dataset`` and ``.batch_size`` work as on a DataLoader, and
    :meth:`capped` gives a representative subset for capped passes (``engine.fit(max_batches=...)``).
    """

    def __init__(self, dataset: FashionTensors, batch_size: int, *, shuffle: bool = False,
                 seed: int = 0, drop_last: bool = False) -> None:
        if batch_size < 1:
            raise ValueError(tr("batch_size must be at least 1, got {batch_size}", batch_size=batch_size))
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.generator = torch.Generator().manual_seed(seed)
        self._capped: dict[tuple[int, int], InMemoryLoader] = {}

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        images, targets = self.dataset.images, self.dataset.targets
        order = None
        if self.shuffle:  # one permutation per epoch, drawn on the CPU, moved once to the device
            order = torch.randperm(len(self.dataset), generator=self.generator).to(images.device)
        for batch in range(len(self)):
            start, stop = batch * self.batch_size, (batch + 1) * self.batch_size
            if order is None:
                yield to_unit_range(images[start:stop]), targets[start:stop]
            else:  # index_select: one gather, many times faster than images[index] on a CPU
                index = order[start:stop]
                yield to_unit_range(images.index_select(0, index)), targets.index_select(0, index)

    def with_batch_size(self, batch_size: int, *, seed: int | None = None) -> InMemoryLoader:
        """A loader over the same data with another batch size (and a fresh generator from ``seed``)."""
        return InMemoryLoader(self.dataset, batch_size, shuffle=self.shuffle,
                              seed=self.seed if seed is None else seed, drop_last=self.drop_last)

    def capped(self, max_batches: int, seed: int = 0) -> InMemoryLoader:
        """This loader limited to ``max_batches`` batches that stand for the whole data set.

        A shuffled loader is returned as it is (its first batches are already a random sample);
        an in-order one becomes a loader over :func:`representative_indices` (stratified by
        class, seeded), never the first batches of a class-sorted set.
        """
        size = max_batches * self.batch_size
        if self.shuffle or size >= len(self.dataset):
            return self
        if (max_batches, seed) not in self._capped:
            subset = self.dataset.subset(representative_indices(self.dataset, size, seed))
            self._capped[(max_batches, seed)] = InMemoryLoader(subset, self.batch_size)
        return self._capped[(max_batches, seed)]

    def __repr__(self) -> str:
        return (f"InMemoryLoader({len(self.dataset):,} images on {self.dataset.device}, "
                f"batch {self.batch_size}, shuffle={self.shuffle}, {len(self)} batches)")


def fashion_mnist_tensors(train: bool = True, root: Path | None = None,
                          device: torch.device | str | None = None, **locate_kwargs: Any) -> FashionTensors:
    """FashionMNIST's training or test split as uint8 tensors in memory, on ``device`` (default CPU)."""
    folder, _ = locate_fashion_mnist(root, **locate_kwargs)
    raw = datasets.FashionMNIST(folder, train=train, download=False)  # reads the IDX files into .data
    return FashionTensors(raw.data.unsqueeze(1), raw.targets, raw.classes).to(device)


def fashion_mnist_loaders(
    batch_size: int = 64,
    *,
    eval_batch_size: int = 512,
    val_fraction: float = 0.1,
    seed: int = 42,
    root: Path | None = None,
    device: torch.device | str | None = None,
) -> tuple[InMemoryLoader, InMemoryLoader, InMemoryLoader]:
    """Train (shuffled) / validation / test loaders over FashionMNIST held in memory.

    The validation set is the same ``val_fraction`` of the training file that
    :func:`helpers.data.train_val_split` cuts with ``seed`` (so the in-memory and the
    DataLoader versions hold the same images). The pixels live on ``device`` (default: the
    course's device, see :func:`helpers.config.device`) and are scaled to [0, 1] there.
    """
    device = config.resolve_device(device)
    train_full = fashion_mnist_tensors(train=True, root=root, device=device)
    test = fashion_mnist_tensors(train=False, root=root, device=device)
    train_idx, val_idx = split_indices(len(train_full), (1 - val_fraction, val_fraction), seed)
    return (
        InMemoryLoader(train_full.subset(train_idx), batch_size, shuffle=True, seed=seed),
        InMemoryLoader(train_full.subset(val_idx), eval_batch_size),
        InMemoryLoader(test, eval_batch_size),
    )
