"""FashionMNIST in memory: FashionTensors and InMemoryLoader give a DataLoader's batches, seeded
shuffling per epoch, the last partial batch, and representative capped passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from helpers import data, engine
from helpers.data.fashion import DEBIAN_FASHION_DIR, FashionTensors, InMemoryLoader


def _class_sorted(n_per_class: int = 30, classes: int = 10) -> FashionTensors:
    """Images whose every pixel is their label (so a batch says where it came from), sorted by class."""
    targets = torch.arange(classes).repeat_interleave(n_per_class)
    images = targets.view(-1, 1, 1, 1).expand(-1, 1, 28, 28).to(torch.uint8).contiguous()
    return FashionTensors(images, targets, [f"class {c}" for c in range(classes)])


def test_batches_equal_a_dataloader_over_torchvision(data_root: Path) -> None:
    train, val, test = data.fashion_mnist_loaders(batch_size=16, eval_batch_size=32, device="cpu")
    reference = data.fashion_mnist(train=True)  # torchvision + ToTensor, one item at a time
    _, val_subset = data.train_val_split(reference, 0.1, seed=42)
    assert val.dataset.indices.tolist() == val_subset.indices, "the same validation images as train_val_split"
    one_by_one = DataLoader(val_subset, batch_size=32)
    for (ours, labels), (theirs, their_labels) in zip(val, one_by_one, strict=True):
        assert ours.dtype == torch.float32 and torch.equal(ours, theirs) and torch.equal(labels, their_labels)
    assert torch.equal(test.dataset.targets, data.fashion_mnist(train=False).targets)
    assert not set(train.dataset.indices.tolist()) & set(val.dataset.indices.tolist())
    assert len(train.dataset) + len(val.dataset) == len(reference)
    image, label = train.dataset[3]
    assert torch.equal(image, reference[int(train.dataset.indices[3])][0])
    assert label == reference[int(train.dataset.indices[3])][1]


def test_shuffling_is_seeded_new_every_epoch_and_covers_everything() -> None:
    dataset = FashionTensors(torch.arange(100, dtype=torch.uint8).view(100, 1, 1, 1), torch.arange(100),
                             [str(i) for i in range(100)])

    def epoch(loader: InMemoryLoader) -> list[int]:
        return [int(y) for _, labels in loader for y in labels]

    first, second = (InMemoryLoader(dataset, 32, shuffle=True, seed=5) for _ in range(2))
    one, two = epoch(first), epoch(first)
    assert sorted(one) == sorted(two) == list(range(100)), "every image once per epoch"
    assert one != two, "a new order every epoch"
    assert [epoch(second), epoch(second)] == [one, two], "the same seed gives the same epochs"
    assert epoch(InMemoryLoader(dataset, 32, shuffle=True, seed=6)) != one
    assert epoch(InMemoryLoader(dataset, 32)) == list(range(100)), "in order without shuffle"
    for images, labels in InMemoryLoader(dataset, 32, shuffle=True):
        assert torch.equal(images.view(-1), labels.float() / 255), "images stay with their labels"


def test_the_last_partial_batch_and_drop_last() -> None:
    dataset = _class_sorted(n_per_class=10)  # 100 images
    sizes = [len(labels) for _, labels in InMemoryLoader(dataset, 32)]
    assert sizes == [32, 32, 32, 4] and len(InMemoryLoader(dataset, 32)) == 4
    dropped = InMemoryLoader(dataset, 32, shuffle=True, drop_last=True)
    assert [len(labels) for _, labels in dropped] == [32, 32, 32] and len(dropped) == 3
    assert len(dropped.with_batch_size(50)) == 2 and dropped.with_batch_size(50).shuffle
    with pytest.raises(ValueError, match="batch_size"):
        InMemoryLoader(dataset, 0)
    with pytest.raises(ValueError, match="uint8"):
        FashionTensors(torch.zeros(4, 1, 28, 28), torch.zeros(4), ["a"])


def test_a_capped_pass_is_representative_on_class_sorted_data() -> None:
    loader = InMemoryLoader(_class_sorted(n_per_class=30), batch_size=10)  # 300 images, sorted by class
    first_two = {int(y) for _, (_, labels) in zip(range(2), loader, strict=False) for y in labels}
    assert first_two == {0}, "the first batches of a class-sorted set hold the first class only"
    small = loader.capped(2)
    assert small is loader.capped(2), "built once, then reused"
    labels = torch.cat([y for _, y in small])
    assert len(labels) == 20 and np.bincount(labels.numpy(), minlength=10).tolist() == [2] * 10
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    y_true, _, _ = engine.predict(model, loader, torch.device("cpu"), max_batches=2)
    assert sorted(set(y_true.tolist())) == list(range(10)), "engine's capped passes see every class"
    shuffled = InMemoryLoader(loader.dataset, 10, shuffle=True)
    assert shuffled.capped(2) is shuffled, "a shuffled loader's first batches are already a random sample"
    assert loader.capped(1000) is loader


def test_subset_and_device_keep_track_of_file_positions() -> None:
    dataset = _class_sorted(n_per_class=3)
    part = dataset.subset([29, 0, 15])
    assert part.indices.tolist() == [29, 0, 15] and part.targets.tolist() == [9, 0, 5]
    assert part.subset(torch.tensor([2])).indices.tolist() == [15], "positions in the file, not in the subset"
    assert dataset.to("cpu") is dataset and dataset.nbytes == 30 * 784 + 30 * 8
    assert repr(InMemoryLoader(dataset, 8)).startswith("InMemoryLoader(30 images on cpu, batch 8")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_on_a_gpu_the_pixels_live_there_and_batches_are_made_there() -> None:
    dataset = _class_sorted(n_per_class=5).to("cuda")
    images, labels = next(iter(InMemoryLoader(dataset, 8, shuffle=True)))
    assert images.is_cuda and labels.is_cuda and images.dtype == torch.float32
    assert len(torch.cat([y for _, y in InMemoryLoader(dataset, 8).capped(2)])) == 16


@pytest.mark.skipif(not (DEBIAN_FASHION_DIR / "train-images-idx3-ubyte.gz").is_file(),
                    reason="Debian's dataset-fashion-mnist package is not installed")
def test_the_real_data_set_fits_in_55_mb(tmp_path: Path) -> None:
    train = data.fashion_mnist_tensors(train=True, root=tmp_path, download=False)
    test = data.fashion_mnist_tensors(train=False, root=tmp_path, download=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    assert train.images.dtype == torch.uint8 and tuple(train.images.shape[1:]) == (1, 28, 28)
    assert (train.images.nbytes + test.images.nbytes) / 1e6 == pytest.approx(54.9, abs=0.1)
