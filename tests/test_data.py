"""helpers.data: FashionMNIST discovery order, its error message, splits, worker settings, the CLI."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest
import torch
from torch.utils.data import TensorDataset
from torchvision import datasets

from helpers import data
from helpers.data import fashion, loaders, tiny
from helpers.data.__main__ import main as data_cli
from helpers.data.errors import DataNotFoundError
from helpers.data.fashion import DEBIAN_FASHION_DIR, locate_fashion_mnist


def _fake_debian(folder: Path) -> Path:
    """Gzip IDX files like Debian's package (bytes differ from upstream: md5 would fail)."""
    raw = tiny.make_tiny_fashion_mnist(folder / "src", n_train_per_class=3, n_test_per_class=2)
    folder.mkdir(exist_ok=True)
    for name in tiny.IDX_FILES.values():
        with gzip.open(folder / f"{name}.gz", "wb", compresslevel=1) as out:
            out.write((raw / name).read_bytes())
    return folder


def _no_download(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    calls: list[bool] = []

    def refuse(*args: object, download: bool = False, **kwargs: object) -> None:
        calls.append(download)
        raise RuntimeError("network is unreachable")

    monkeypatch.setattr(fashion.datasets, "FashionMNIST", refuse)
    return calls


def test_local_torchvision_layout_comes_first(tmp_path: Path) -> None:
    tiny.make_tiny_fashion_mnist(tmp_path / "data", n_train_per_class=2, n_test_per_class=1)
    debian = _fake_debian(tmp_path / "debian")
    folder, source = locate_fashion_mnist(tmp_path / "data", debian_dir=debian, download=False)
    assert (folder, source) == (tmp_path / "data", "local")


def test_debian_package_is_unpacked_into_the_torchvision_layout(tmp_path: Path) -> None:
    debian = _fake_debian(tmp_path / "debian")
    folder, source = locate_fashion_mnist(tmp_path / "data", debian_dir=debian, download=False)
    assert source == "debian"
    assert data.has_torchvision_layout(folder)
    train = datasets.FashionMNIST(folder, train=True, download=False)
    assert len(train) == 30


def test_download_is_tried_last_and_failure_names_three_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _no_download(monkeypatch)
    with pytest.raises(DataNotFoundError) as error:
        locate_fashion_mnist(tmp_path / "data", debian_dir=tmp_path / "nowhere")
    assert calls == [True], "a download must be attempted exactly once before giving up"
    message = str(error.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert str(tmp_path / "data" / "FashionMNIST" / "raw") in message
    assert "python -m helpers.data fashion-mnist" in message


def test_no_download_when_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _no_download(monkeypatch)
    with pytest.raises(DataNotFoundError):
        locate_fashion_mnist(tmp_path / "data", debian_dir=tmp_path / "nowhere", download=False)
    assert calls == []


def test_smoke_mode_uses_the_generated_tiny_set(data_root: Path) -> None:
    folder, source = locate_fashion_mnist()
    assert source == "tiny"
    assert folder == data_root / "tiny"
    train = data.fashion_mnist(train=True)
    image, label = train[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert 0.0 <= float(image.min()) and float(image.max()) <= 1.0


def test_loaders_make_three_disjoint_sets(data_root: Path) -> None:
    train, val, test = data.fashion_mnist_loaders(batch_size=16)
    train_idx, val_idx = set(train.dataset.indices.tolist()), set(val.dataset.indices.tolist())
    assert not train_idx & val_idx
    assert len(train_idx) + len(val_idx) == len(data.fashion_mnist(train=True))
    images, labels = next(iter(train))
    assert images.shape == (16, 1, 28, 28) and labels.shape == (16,)
    assert len(test.dataset) > 0 and not test.shuffle and train.shuffle


def test_split_indices_is_deterministic_and_complete() -> None:
    first = data.split_indices(100, (0.8, 0.1, 0.1), seed=3)
    second = data.split_indices(100, (0.8, 0.1, 0.1), seed=3)
    assert [len(p) for p in first] == [80, 10, 10]
    assert all((a == b).all() for a, b in zip(first, second, strict=True))
    assert sorted(int(i) for part in first for i in part) == list(range(100))
    with pytest.raises(ValueError, match="sum to 1"):
        data.split_indices(10, (0.5, 0.2))


@pytest.mark.filterwarnings("ignore:This DataLoader will create")  # 8 CPUs pretended on a 2-core machine
def test_small_shared_memory_sizes_the_workers_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("COURSE_MODE", "full")
    monkeypatch.setattr(loaders.config, "cpu_count", lambda: 8)
    monkeypatch.setattr(loaders, "_shm_notice_given", False)
    monkeypatch.setattr(loaders, "_shm_bytes", lambda: 8 * 2**30)
    assert loaders.worker_plan() == (7, loaders.PREFETCH)  # roomy /dev/shm: CPUs minus one
    monkeypatch.setattr(loaders, "_shm_bytes", lambda: 64 * 2**20)  # a JupyterHub pod's default
    with caplog.at_level(logging.DEBUG, logger="helpers.data.loaders"):
        float_batches = loaders.worker_plan(batch_bytes=25 * 2**20)  # 32 float32 images at 256 px
        uint8_batches = loaders.worker_plan(batch_bytes=6 * 2**20)  # the same images as uint8
        default = data.num_workers()
        small = TensorDataset(torch.zeros(64, 3, 32, 32))
        tiny_images = data.make_loader(small, 32, device=torch.device("cpu"))
    assert float_batches == (0, 2), "two 25 MB batches would already fill half of 64 MB"
    assert uint8_batches == (2, 2), "(2 workers x 2 batches + 1) x 6 MB fits in 32 MB"
    assert default == 0, "without a batch size the plan assumes a float batch of 32 full-size images"
    assert (tiny_images.num_workers, tiny_images.prefetch_factor) == (7, 2), "small batches keep the workers"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and "/dev/shm" in r.getMessage()]
    assert len(warnings) == 1, "one message per process, not one per loader"
    assert "64 MB" in warnings[0].getMessage() and "--shm-size" in warnings[0].getMessage()
    assert data.num_workers(3) == 3, "an explicit request is taken as given"


def test_cli_make_tiny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert data_cli(["make-tiny", "--data", str(tmp_path)]) == 0
    assert "tiny data sets ready" in capsys.readouterr().out
    assert data.has_torchvision_layout(tmp_path / "tiny")


@pytest.mark.skipif(
    not (DEBIAN_FASHION_DIR / "train-images-idx3-ubyte.gz").exists(),
    reason="Debian package dataset-fashion-mnist is not installed",
)
def test_real_fashion_mnist_from_the_debian_package(tmp_path: Path) -> None:
    folder, source = locate_fashion_mnist(tmp_path, download=False)
    assert source == "debian"
    train = datasets.FashionMNIST(folder, train=True, download=False)
    test = datasets.FashionMNIST(folder, train=False, download=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    assert train.classes == tiny.FASHION_CLASSES
    assert torch.bincount(test.targets).tolist() == [1000] * 10
