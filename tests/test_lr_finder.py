"""helpers.lr_finder: the learning-rate range test on a problem whose good learning rates are known."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers import lr_finder


def blobs(n: int = 512, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Four overlapping Gaussian blobs in 2-D, in batches of 64: a linear model learns most of them."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (n,), generator=generator)
    centres = torch.tensor([[1.5, 1.5], [-1.5, 1.5], [1.5, -1.5], [-1.5, -1.5]])
    points = centres[labels] + torch.randn(n, 2, generator=generator)
    return [(points[i:i + 64], labels[i:i + 64]) for i in range(0, n, 64)]


def test_the_curve_is_flat_then_falls_then_blows_up_and_the_model_is_restored() -> None:
    torch.manual_seed(0)
    model = nn.Linear(2, 4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    curve = lr_finder.lr_range_test(model, blobs(), start=1e-5, end=100.0, steps=120)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "weights put back"
    assert model.training, "mode put back"
    first, lowest = curve["smoothed"].iloc[0], curve["smoothed"].min()
    assert lowest < 0.5 * first, "somewhere in the range the loss falls well below where it started"
    early = curve[curve["lr"] < 1e-4]
    assert (early["smoothed"] > 0.8 * first).all(), "tiny learning rates change nothing"
    assert curve["smoothed"].iloc[-1] > 1.5 * lowest, "the largest learning rates make it worse again"
    stopped = lr_finder.lr_range_test(model, blobs(), start=1e-5, end=1e4, steps=200, stop_factor=1.5)
    assert len(stopped) < 200 and stopped["smoothed"].iloc[-1] > 1.5 * stopped["smoothed"].min(), \
        "it stops once the loss has grown past stop_factor times its lowest"
    lr = lr_finder.suggest_lr(curve)
    assert 1e-4 < lr < 10 and lr == pytest.approx(curve.loc[curve["smoothed"].idxmin(), "lr"] / 10)


def test_the_suggested_learning_rate_trains_the_model() -> None:
    torch.manual_seed(0)
    curve = lr_finder.lr_range_test(nn.Linear(2, 4), blobs(), start=1e-5, end=100.0, steps=120)
    lr = lr_finder.suggest_lr(curve)

    def accuracy_after_training(rate: float) -> float:
        torch.manual_seed(1)
        model = nn.Linear(2, 4)
        optimizer = torch.optim.Adam(model.parameters(), lr=rate)
        for _ in range(3):
            for x, y in blobs(seed=1):
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
        x, y = map(torch.cat, zip(*blobs(seed=2), strict=True))
        return float((model(x).argmax(1) == y).float().mean())

    # The blobs overlap: the best possible accuracy is about 87% (each coordinate on its side: 0.933 squared).
    assert accuracy_after_training(lr) > 0.8 > accuracy_after_training(lr / 1000) + 0.2


def test_bad_ranges_are_refused() -> None:
    with pytest.raises(ValueError, match="0 < start < end"):
        lr_finder.lr_range_test(nn.Linear(2, 4), blobs(), start=1.0, end=1e-3)
    with pytest.raises(ValueError, match="no batch"):
        lr_finder.lr_range_test(nn.Linear(2, 4), [])
