"""The decoded-image cache: build, reuse, rebuild when stale, resume, bad images, same pixels as JPEGs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader

from helpers import engine
from helpers.data import cache, loaders
from helpers.data.__main__ import main as data_cli
from helpers.data.batch_transforms import normalize_batch
from helpers.data.datasets import load_image, plantvillage_datasets
from helpers.data.errors import BadImageWarning, CacheSpaceError
from helpers.data.locate import scan_images

SIZE = 32


def leaves(root: Path, classes: int = 3, per_class: int = 8, size: int = 40) -> Path:
    """An ImageFolder of random JPEGs (sizes differ from SIZE, so resizing is part of the test)."""
    rng = np.random.default_rng(0)
    for c in range(classes):
        folder = root / f"Class_{c}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 255, (size, size + 4, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"leaf {i:02d}.jpg", quality=90)
    return root


def build(root: Path, folder: Path, **kwargs) -> Path:
    files, labels, classes = scan_images(root)
    return cache.build_cache(root, files, labels, classes, split_name="all", image_size=SIZE, folder=folder,
                             progress=False, **kwargs)


def test_cached_pixels_equal_the_jpeg_path(tmp_path: Path, data_root: Path) -> None:
    root = leaves(tmp_path / "leaves")
    cached = cache.cached_datasets(root, SIZE, progress=False)
    jpeg = dict(zip(("train", "val", "test"), plantvillage_datasets(root, SIZE)[:3], strict=True))
    for name, dataset in cached.items():
        assert dataset.files == jpeg[name].files and dataset.targets.tolist() == jpeg[name].targets
        assert dataset.folder.is_relative_to(data_root / "cache")
        images, labels = cache.collate_cached(dataset.__getitems__(list(range(len(dataset)))))
        assert images.dtype == torch.uint8 and images.shape == (len(dataset), 3, SIZE, SIZE)
        reference = torch.stack([jpeg[name][i][0] for i in range(len(dataset))])
        assert torch.allclose(normalize_batch(images), reference, atol=1e-5), "same pixels and normalisation"
        assert labels.tolist() == jpeg[name].targets


def test_reused_when_unchanged_rebuilt_when_stale(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = leaves(tmp_path / "leaves")
    folder = build(root, tmp_path / "cache")
    stamp = (folder / "images.npy").stat().st_mtime_ns
    assert build(root, tmp_path / "cache") == folder
    assert (folder / "images.npy").stat().st_mtime_ns == stamp, "an unchanged cache is reused as it is"
    Image.new("RGB", (40, 40), (0, 200, 0)).save(root / "Class_0" / "leaf 00.jpg")  # same name, new bytes
    with caplog.at_level(logging.WARNING, logger="helpers.data.cache"):
        build(root, tmp_path / "cache")
    assert "stale" in caplog.text and "files" in caplog.text
    green = cache.CachedDataset(folder)[0][0]
    assert green[1].float().mean() > 150 and green[0].float().mean() < 60, "the new image is in the cache"
    files, labels, classes = scan_images(root)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="helpers.data.cache"):
        cache.build_cache(root, files, labels, classes, split_name="train", image_size=SIZE,
                          folder=tmp_path / "cache", progress=False)
    assert "split changed" in caplog.text, "another split in the same folder is never reused"


def test_an_interrupted_build_continues_where_it_stopped(tmp_path: Path, monkeypatch) -> None:
    root = leaves(tmp_path / "leaves")
    real, calls = cache._decode, []

    def interrupted(path: Path, size: int, decoder: str):
        calls.append(path)
        if len(calls) == 11:
            raise KeyboardInterrupt
        return real(path, size, decoder)

    monkeypatch.setattr(cache, "_decode", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(root, tmp_path / "cache", chunk=4, threads=1)
    meta = json.loads((tmp_path / "cache" / "meta.json").read_text())
    assert meta["done"] == 8 and not meta["complete"], "two chunks of 4 were recorded before the interruption"
    calls.clear()
    monkeypatch.setattr(cache, "_decode",
                        lambda path, size, decoder: (calls.append(path), real(path, size, decoder))[1])
    folder = build(root, tmp_path / "cache", chunk=4, threads=1)
    assert len(calls) == 24 - 8, "only the images not yet recorded are decoded again"
    fresh = build(root, tmp_path / "fresh")
    assert np.array_equal(np.load(folder / "images.npy"), np.load(fresh / "images.npy"))


def test_bad_images_are_named_and_left_out(tmp_path: Path) -> None:
    root = leaves(tmp_path / "leaves", classes=2, per_class=3)
    (root / "Class_1" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.warns(BadImageWarning, match="broken.jpg"):
        folder = build(root, tmp_path / "cache")
    dataset = cache.CachedDataset(folder)
    assert len(dataset) == 6 and "Class_1/broken.jpg" in dataset.bad_files
    assert "Class_1/broken.jpg" not in dataset.files and dataset.targets.tolist() == [0, 0, 0, 1, 1, 1]
    after_gap = np.asarray(load_image(root / dataset.files[5], SIZE)).transpose(2, 0, 1)
    assert np.array_equal(dataset[5][0].numpy(), after_gap), "rows after the gap are the right images"


def test_not_enough_disk_is_a_clear_error_before_writing(tmp_path: Path, monkeypatch) -> None:
    root = leaves(tmp_path / "leaves", classes=1, per_class=2)
    monkeypatch.setattr(cache, "_disk_free", lambda folder: 1000)
    with pytest.raises(CacheSpaceError, match="needs .* but only") as error:
        build(root, tmp_path / "cache")
    assert "--image-size 128" in str(error.value) and "10.7 GB at 256 px" in str(error.value)
    assert not (tmp_path / "cache" / "images.npy").exists()


def test_cached_loaders_train_like_the_jpeg_ones(tmp_path: Path, data_root: Path) -> None:
    root = leaves(tmp_path / "leaves")
    device = torch.device("cpu")
    train, val, test, classes = loaders.plantvillage_loaders(4, root, augment=True, rotations=True,
                                                             device=device, image_size=SIZE, cache=True)
    assert isinstance(train, loaders.DeviceLoader) and train.num_workers == 0
    images, labels = next(iter(train))
    assert images.dtype == torch.float32 and images.shape == (4, 3, SIZE, SIZE)
    assert labels.dtype == torch.int64
    _, jpeg_val, _, _ = loaders.plantvillage_loaders(4, root, device=device, image_size=SIZE, workers=0)
    cached_all = torch.cat([x for x, _ in val])
    assert torch.allclose(cached_all, torch.cat([x for x, _ in jpeg_val]), atol=1e-5)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * SIZE * SIZE, len(classes)))
    history = engine.fit(model, train, val, epochs=1, device=device, progress=False, max_batches=2)
    assert len(history) == 1 and np.isfinite(history["val_loss"].iloc[0])
    assert len(loaders.capped(val, 1)) == 1, "capped passes work through the device wrapper"


def test_cache_command(tmp_path: Path, data_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = leaves(tmp_path / "leaves", classes=2, per_class=5)
    command = ["cache", "--data", str(root), "--image-size", str(SIZE)]
    assert data_cli([*command, "--splits", "train", "val"]) == 0
    out = capsys.readouterr().out
    assert "Caching" in out and "free" in out and "train: 6 images at 32 px" in out
    assert data_cli([*command, "--splits", "train"]) == 0
    assert "Caching" not in capsys.readouterr().out, "the second run reuses the cache"


def test_worker_processes_hand_over_the_same_batches(tmp_path: Path) -> None:
    root = leaves(tmp_path / "leaves", classes=2, per_class=5)
    dataset = cache.CachedDataset(build(root, tmp_path / "cache"))
    loader = DataLoader(dataset, batch_size=4, num_workers=1, collate_fn=cache.collate_cached)
    images, labels = (torch.cat(parts) for parts in zip(*loader, strict=True))  # batches from shared memory
    assert torch.equal(images, torch.stack([dataset[i][0] for i in range(len(dataset))]))
    assert labels.tolist() == dataset.targets.tolist()


def test_the_full_decoder_has_its_own_cache_and_its_own_pixels(tmp_path: Path, data_root: Path) -> None:
    """``decoder="full"`` decodes every JPEG pixel before resizing: other pixels than the draft decoder's
    at a quarter of the size, cached in another folder, so the two never mix."""
    root = leaves(tmp_path / "leaves", classes=2, per_class=3, size=128)
    path = next(root.rglob("*.jpg"))
    draft, full = (np.asarray(load_image(path, SIZE, decoder)) for decoder in ("draft", "full"))
    assert draft.shape == full.shape == (SIZE, SIZE, 3)
    assert np.abs(draft.astype(int) - full.astype(int)).mean() > 1, "draft mode reduces the JPEG first"
    folders = {decoder: cache.folder_cache(root, SIZE, decoder=decoder, progress=False).folder
               for decoder in ("draft", "full")}
    assert folders["draft"] != folders["full"]
    assert folders["full"].name.endswith(f"color-full-decode-all-{SIZE}px")
    cached = cache.CachedDataset(folders["full"])
    row = cached.files.index(path.relative_to(root).as_posix())
    assert np.array_equal(np.asarray(cached[row][0]).transpose(1, 2, 0), full)
    with pytest.raises(ValueError, match="decoder must be one of draft, full"):
        load_image(path, SIZE, "fast")
