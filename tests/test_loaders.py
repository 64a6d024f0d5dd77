"""Capped passes (``max_batches``) see a representative subset: every class, not the first ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from helpers import config, engine
from helpers.data import loaders
from helpers.data.locate import mini_root, tiny_plantvillage_root

CAP, BATCH = 2, 32  # a capped pass: 2 batches of 32 images


def _class_sorted_loaders(folder: Path) -> list[DataLoader]:
    """Train, validation and test loaders over ``folder``'s saved split, in file order (sorted by class)."""
    train, val, test, _ = loaders.plantvillage_datasets(folder, image_size=32)  # train: no augmentation
    return [DataLoader(dataset, batch_size=BATCH) for dataset in (train, val, test)]


def _sources() -> list:
    mini = None if config.shared_data_dir() is None else mini_root()
    skip = pytest.mark.skip(reason="../shared/data/plantvillage-mini is not here (a student's clone)")
    return [pytest.param("tiny", id="tiny"), pytest.param("mini", id="mini", marks=[] if mini else [skip])]


@pytest.mark.parametrize("source", _sources())
def test_a_capped_pass_sees_the_classes_a_full_pass_sees(source: str, data_root: Path) -> None:
    folder = tiny_plantvillage_root() if source == "tiny" else mini_root()
    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 38))
    device = torch.device("cpu")
    for split, loader in zip(("train", "val", "test"), _class_sorted_loaders(folder), strict=True):
        everything = set(loader.dataset.targets)  # what a full pass sees
        first = {t for i, (_, y) in zip(range(CAP), loader, strict=False) for t in y.tolist()}
        y_true, y_pred, _ = engine.predict(model, loader, device, max_batches=CAP)
        seen = set(y_true.tolist())
        assert len(y_true) == min(CAP * BATCH, len(loader.dataset))
        assert len(seen) >= 0.8 * len(everything), f"{source} {split}: {len(seen)} of {len(everything)}"
        if split == "train":  # large enough to show the bug this guards against: the first classes only
            assert len(first) < 0.5 * len(everything), "the file list is sorted by class"
        accuracy = engine.evaluate(model, loader, nn.CrossEntropyLoss(), device, max_batches=CAP)["acc"]
        assert accuracy == pytest.approx((y_true == y_pred).double().mean().item()), "same subset"


def test_the_subset_is_deterministic_stratified_and_proportional() -> None:
    sizes = [400, 200, 100, 40, 10, 3, 1, 1]  # imbalanced, sorted by class like ImageFolder
    targets = torch.tensor(np.repeat(np.arange(len(sizes)), sizes))
    dataset = TensorDataset(torch.zeros(len(targets), 1), targets)
    dataset.targets = targets
    first = loaders.representative_indices(dataset, 64, seed=0)
    assert np.array_equal(first, loaders.representative_indices(dataset, 64, seed=0)), "seeded"
    assert not np.array_equal(first, loaders.representative_indices(dataset, 64, seed=1))
    assert len(first) == len(set(first.tolist())) == 64
    counts = np.bincount(targets[first].numpy(), minlength=len(sizes))
    assert (counts >= 1).all(), "every class at least once"
    assert counts.tolist() == sorted(counts.tolist(), reverse=True), "larger classes get more"
    assert counts[0] >= 0.4 * 64, "the rest in proportion: the largest class keeps its weight"
    where = np.flatnonzero(targets[first].numpy() == 0)
    assert where.min() < 4 and where.max() > 60, "each class is spread over the pass, not in one block"
    loader = DataLoader(dataset, batch_size=16)
    assert loaders.capped(loader, 4) is loaders.capped(loader, 4), "built once per loader, then reused"
    assert loaders.capped(loader, 4).dataset.indices == first.tolist()
    again = DataLoader(dataset, batch_size=16)
    assert loaders.capped(again, 4).dataset.indices == first.tolist(), "same subset for a new loader"


def test_labels_are_found_through_subsets_and_random_loaders_are_left_alone() -> None:
    targets = torch.arange(100) // 10
    dataset = TensorDataset(torch.zeros(100, 1), targets)
    dataset.targets = targets.tolist()
    subset = Subset(dataset, list(range(50, 100)))
    assert loaders.dataset_targets(subset).tolist() == targets[50:].tolist()
    picked = loaders.representative_indices(subset, 10)
    assert sorted(targets[50:][picked].tolist()) == [5, 5, 6, 6, 7, 7, 8, 8, 9, 9]
    shuffled = DataLoader(dataset, batch_size=10, shuffle=True)
    assert loaders.capped(shuffled, 2) is shuffled, "a shuffled loader's first batches are already random"
    assert loaders.capped(DataLoader(dataset, batch_size=10), None).__class__ is DataLoader
    batches = [(torch.zeros(2, 1), torch.zeros(2))] * 5
    assert loaders.capped(batches, 2) is batches, "plain iterables pass through"
    unlabelled = TensorDataset(torch.zeros(100, 1))
    random_subset = loaders.representative_indices(unlabelled, 20, seed=3)
    assert len(set(random_subset.tolist())) == 20 and random_subset.max() > 50


def test_settings_survive_and_distributed_in_order_loaders_are_capped_per_process() -> None:
    targets = torch.arange(200) // 20
    dataset = TensorDataset(torch.zeros(200, 1), targets)
    dataset.targets = targets
    loader = DataLoader(dataset, batch_size=8, drop_last=True, collate_fn=lambda batch: batch)
    small = loaders.capped(loader, 3)
    assert (small.batch_size, small.drop_last, small.collate_fn) == (8, True, loader.collate_fn)
    assert len(small) == 3
    sampler = DistributedSampler(dataset, num_replicas=2, rank=1, shuffle=False)
    per_process = loaders.capped(DataLoader(dataset, batch_size=8, sampler=sampler), 3)
    assert isinstance(per_process.sampler, DistributedSampler) and per_process.sampler.rank == 1
    assert len(per_process) == 3 and len(per_process.dataset) == 2 * 3 * 8
    assert len({int(y) for _, y in per_process.dataset}) == 10, "every class across the processes"
