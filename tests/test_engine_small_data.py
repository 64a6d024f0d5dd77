"""Tests for the engine's small-data tools: soft targets (MixUp/CutMix, label smoothing), EMA weights, TTA."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers import engine
from helpers.checkpoint import load_checkpoint
from helpers.mixing import BatchMix, make_mix

CPU = torch.device("cpu")
RESULT_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr"]


def blobs(n: int = 96, seed: int = 0) -> TensorDataset:
    """Three separable Gaussian blobs in 2-D."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = torch.tensor([[3.0, 0.0], [-3.0, 3.0], [-3.0, -3.0]])[y] + 0.7 * torch.randn(n, 2, generator=g)
    return TensorDataset(x, y)


def loaders(shuffle: bool = False) -> tuple[DataLoader, DataLoader]:
    return DataLoader(blobs(), batch_size=16, shuffle=shuffle), DataLoader(blobs(48, seed=1), batch_size=16)


def small_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))


def fit(model: nn.Module, train: DataLoader, val: DataLoader | None, **kwargs) -> pd.DataFrame:
    return engine.fit(model, train, val, device=CPU, progress=False, **kwargs)


def mix_blobs(inputs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """MixUp with a fixed weight 0.7 on 2-D points: the batch blended with its reverse."""
    soft = nn.functional.one_hot(labels, 3).float()
    return 0.7 * inputs + 0.3 * inputs.flip(0), 0.7 * soft + 0.3 * soft.flip(0)


# --- Soft targets ----------------------------------------------------------------------------------


def test_mix_feeds_soft_targets_to_the_loss_and_counts_accuracy_on_the_labels() -> None:
    seen = []

    def loss_fn(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        seen.append(targets)
        return nn.functional.cross_entropy(outputs, targets)

    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # nothing changes: accuracy is the model's
    stats = engine.train_one_epoch(model, loaders()[0], loss_fn, optimizer, CPU, progress=False,
                                   mix=mix_blobs)
    assert all(t.shape == (16, 3) and t.is_floating_point() for t in seen), "the loss got the soft targets"
    assert torch.allclose(seen[0].sum(dim=1), torch.ones(16))
    model.train()  # the accuracy the epoch reported: the mixed inputs against their original labels
    x, y = blobs().tensors
    correct = sum(int((model(mix_blobs(xb, yb)[0]).argmax(1) == yb).sum())
                  for xb, yb in zip(x.split(16), y.split(16), strict=True))
    assert stats["acc"] == pytest.approx(correct / len(y))
    evaluated = engine.evaluate(model, loaders()[1], loss_fn, CPU, progress=False)
    assert seen[-1].dtype == torch.int64, "evaluation never mixes"
    assert 0 <= evaluated["acc"] <= 1


def test_fit_with_mix_and_label_smoothing_learns_the_blobs() -> None:
    train, val = loaders(shuffle=True)
    history = fit(small_model(), train, val, epochs=15, lr=0.05, mix=make_mix(3, mixup=0.4, cutmix=0.0),
                  loss_fn=nn.CrossEntropyLoss(label_smoothing=0.1))
    assert history["val_acc"].iloc[-1] > 0.9
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]


def test_soft_labels_from_the_loader_count_as_their_most_probable_class() -> None:
    x, y = blobs(32).tensors
    soft = 0.8 * nn.functional.one_hot(y, 3).float() + 0.2 / 3
    model = small_model().eval()
    loader = DataLoader(TensorDataset(x, soft), batch_size=8)
    stats = engine.evaluate(model, loader, nn.CrossEntropyLoss(), CPU, progress=False)
    with torch.no_grad():
        expected = (model(x).argmax(1) == y).float().mean().item()
    assert stats["acc"] == pytest.approx(expected)


def test_batch_mix_blends_images_and_targets_alike() -> None:
    torch.manual_seed(0)
    images = torch.stack([torch.full((3, 8, 8), float(i)) for i in range(4)])  # image i is all i
    labels = torch.tensor([0, 1, 2, 3])
    values = torch.arange(4.0)
    for _ in range(5):
        mixed, targets = BatchMix(4, mixup=1.0)(images, labels)
        assert torch.allclose(targets.sum(1), torch.ones(4)) and targets.shape == (4, 4)
        lam = targets[0, 0]  # example i is lam * itself + (1 - lam) * example i - 1, and so is its target
        assert torch.allclose(mixed[:, 0, 0, 0], lam * values + (1 - lam) * values.roll(1))
        assert torch.allclose(targets[torch.arange(4), labels.roll(1)], (1 - lam).expand(4))
    for _ in range(5):
        cut, cut_targets = BatchMix(4, cutmix=1.0)(images, labels)
        own_share = (cut[:, 0] == values.view(-1, 1, 1)).float().mean(dim=(1, 2))
        assert torch.allclose(own_share, cut_targets[torch.arange(4), labels], atol=1e-6), \
            "CutMix's target weight of the own label is the share of the image left uncovered"
    with pytest.raises(ValueError, match="image batches"):
        BatchMix(3, cutmix=1.0, prob=1.0)(torch.rand(4, 2), torch.tensor([0, 1, 2, 0]))


def test_batch_mix_probability_and_errors() -> None:
    images, labels = torch.rand(6, 3, 4, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    same, targets = BatchMix(3, mixup=0.2, prob=0.0)(images, labels)
    assert torch.equal(same, images) and torch.equal(targets, nn.functional.one_hot(labels, 3).float())
    assert make_mix(3) is None and isinstance(make_mix(3, cutmix=1.0), BatchMix)
    with pytest.raises(ValueError, match="mixup and cutmix"):
        BatchMix(3, mixup=-1)


# --- Weight averaging ------------------------------------------------------------------------------


def test_make_ema_averages_with_a_warm_up() -> None:
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = engine.make_ema(model, decay=0.9)
    expected = 0.0
    for step in range(1, 30):
        with torch.no_grad():
            model.weight.fill_(float(step))
        ema.update_parameters(model)
        n = step - 1  # updates before this one (the first update copies the weights)
        d = min(0.9, (1 + n) / (10 + n))
        expected = float(step) if n == 0 else d * expected + (1 - d) * step
        assert ema.module.weight.item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="ema_decay"):
        engine.make_ema(model, 1.0)


def test_fit_with_ema_leaves_and_checkpoints_the_average(tmp_path) -> None:
    train, val = loaders(shuffle=True)
    path = tmp_path / "checkpoint.pt"
    model = small_model()
    torch.manual_seed(3)
    history = fit(model, train, val, epochs=3, lr=0.05, ema_decay=0.9, checkpoint=path)
    state = load_checkpoint(path)
    raw = state["extra"][engine.TRAINING_WEIGHTS]
    assert state["extra"]["ema_updates"] == 3 * len(train)
    for name, value in model.state_dict().items():
        assert torch.equal(value, state["model"][name]), f"fit leaves the averaged {name} in the model"
    assert any(not torch.equal(raw[name], state["model"][name]) for name in raw), "the average is not the raw"
    averaged = small_model(seed=9)
    averaged.load_state_dict(state["model"])
    again = engine.evaluate(averaged, val, nn.CrossEntropyLoss(), CPU, progress=False)
    assert again["acc"] == pytest.approx(history["val_acc"].iloc[-1]), "validation scored the average"


def test_resume_with_ema_equals_a_straight_run(tmp_path) -> None:
    path = tmp_path / "checkpoint.pt"
    train, val = loaders(shuffle=True)
    first = small_model()
    torch.manual_seed(1)
    fit(first, train, val, epochs=2, lr=0.05, ema_decay=0.9, checkpoint=path)
    torch.manual_seed(99)
    resumed_model = small_model(seed=5)
    resumed = fit(resumed_model, train, val, epochs=4, lr=0.05, ema_decay=0.9, checkpoint=path, resume=True)
    straight_model = small_model()
    torch.manual_seed(1)
    straight = fit(straight_model, train, val, epochs=4, lr=0.05, ema_decay=0.9)
    np.testing.assert_allclose(resumed[RESULT_COLUMNS].to_numpy(), straight[RESULT_COLUMNS].to_numpy(),
                               rtol=1e-5)
    for name, value in straight_model.state_dict().items():
        torch.testing.assert_close(resumed_model.state_dict()[name], value)


# --- Test-time augmentation ------------------------------------------------------------------------


class LeftHalf(nn.Module):
    """Two logits from an image: the mean of its left half, and minus that: not flip-invariant."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left = x[..., : x.shape[-1] // 2].mean(dim=(1, 2, 3))
        return torch.stack([left, -left], dim=1)


def test_predict_with_tta_averages_the_views() -> None:
    torch.manual_seed(0)
    x = torch.rand(6, 1, 4, 4)
    loader = DataLoader(TensorDataset(x, torch.zeros(6, dtype=torch.long)), batch_size=4)
    model = LeftHalf()
    _, _, plain = engine.predict(model, loader, CPU)
    _, labels, averaged = engine.predict(model, loader, CPU, tta=("hflip", "vflip"))
    views = [x, x.flip(-1), x.flip(-2)]
    expected = torch.stack([model(v).softmax(1) for v in views]).mean(0)
    torch.testing.assert_close(averaged, expected)
    assert torch.equal(labels, expected.argmax(1))
    assert not torch.allclose(plain, averaged), "the flipped view changes this model's output"
    with pytest.raises(ValueError, match="unknown test-time view"):
        engine.predict(model, loader, CPU, tta=("rotate",))
