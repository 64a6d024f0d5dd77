"""Chapter 7's two-dimensional data sets (helpers.data.toy)."""

from __future__ import annotations

import torch

from helpers.data import toy


def test_rings_are_balanced_float_labels_at_two_radii() -> None:
    X, y = toy.make_circles(400, noise=0.0)
    radius = X.norm(dim=1)
    assert X.shape == (400, 2) and y.dtype == torch.float32 and y.mean() == 0.5
    assert torch.allclose(radius[y == 0], torch.ones(200))
    assert torch.allclose(radius[y == 1], torch.full((200,), 0.5))


def test_spirals_have_integer_labels_and_the_same_points_for_the_same_seed() -> None:
    X, y = toy.make_spirals(50, classes=4)
    assert X.shape == (200, 2) and y.dtype == torch.long and y.bincount().tolist() == [50] * 4
    assert torch.equal(X, toy.make_spirals(50, classes=4)[0]), "seeded: the same points every time"
    assert not torch.equal(X, toy.make_spirals(50, classes=4, seed=1)[0])


def test_split_is_70_15_15_and_uses_every_point_once() -> None:
    X, y = toy.make_spirals(100)
    parts = toy.split(X, y)
    assert [len(part[0]) for part in parts] == [210, 45, 45]
    rows = torch.cat([part[0] for part in parts])
    assert torch.equal(rows[rows[:, 0].argsort()], X[X[:, 0].argsort()]), "a permutation of the points"
