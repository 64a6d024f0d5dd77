"""Tiny generated data: real formats that torchvision reads, learnable classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision import datasets, transforms

from helpers.data import tiny
from helpers.data.fashion import read_idx


def test_tiny_fashion_mnist_is_readable_by_torchvision(tmp_path: Path) -> None:
    tiny.make_tiny_fashion_mnist(tmp_path, n_train_per_class=12, n_test_per_class=4)
    train = datasets.FashionMNIST(tmp_path, train=True, download=False)
    test = datasets.FashionMNIST(tmp_path, train=False, download=False)
    assert len(train) == 120 and len(test) == 40
    image, label = train[0]
    assert image.size == (28, 28) and 0 <= label < 10
    assert sorted(set(train.targets.tolist())) == list(range(10))


def test_idx_round_trip_plain_and_gzip(tmp_path: Path) -> None:
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        tiny.write_idx(tmp_path / name, array)
        assert np.array_equal(read_idx(tmp_path / name), array)


def test_tiny_fashion_classes_are_separable(tmp_path: Path) -> None:
    """A nearest-class-mean classifier beats chance by far: the classes carry signal."""
    raw = tiny.make_tiny_fashion_mnist(tmp_path, n_train_per_class=30, n_test_per_class=10)
    x_train = read_idx(raw / "train-images-idx3-ubyte").reshape(-1, 784).astype(float)
    y_train = read_idx(raw / "train-labels-idx1-ubyte")
    x_test = read_idx(raw / "t10k-images-idx3-ubyte").reshape(-1, 784).astype(float)
    y_test = read_idx(raw / "t10k-labels-idx1-ubyte")
    means = np.stack([x_train[y_train == c].mean(0) for c in range(10)])
    predicted = ((x_test[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (predicted == y_test).mean() > 0.6


def test_tiny_plantvillage_is_an_imagefolder_with_the_38_real_classes(tmp_path: Path) -> None:
    color = tiny.make_tiny_plantvillage(tmp_path, n_per_class=2)
    folder = datasets.ImageFolder(color, transform=transforms.ToTensor())
    assert sorted(folder.classes) == sorted(tiny.PLANTVILLAGE_CLASSES)
    assert len(tiny.PLANTVILLAGE_CLASSES) == 38
    assert len(folder) == 76
    image, _ = folder[0]
    assert image.shape == (3, 256, 256)
    with Image.open(folder.samples[0][0]) as raw:
        assert raw.format == "JPEG" and raw.mode == "RGB"


def test_tiny_leaves_differ_by_class(tmp_path: Path) -> None:
    """Mean colours of two classes differ more than two images of one class."""
    color = tiny.make_tiny_plantvillage(tmp_path, n_per_class=2)
    folder = datasets.ImageFolder(color, transform=transforms.ToTensor())
    by_class: dict[int, list[torch.Tensor]] = {}
    for image, label in folder:
        by_class.setdefault(label, []).append(image.mean(dim=(1, 2)))
    within = np.mean([float((v[0] - v[1]).norm()) for v in by_class.values()])
    between = float((by_class[0][0] - by_class[5][0]).norm())
    assert between > 2 * within


def test_ensure_tiny_is_idempotent(tmp_path: Path) -> None:
    root = tiny.ensure_tiny(tmp_path)
    stamp = (root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").stat().st_mtime_ns
    tiny.ensure_tiny(tmp_path)
    assert (root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").stat().st_mtime_ns == stamp
