"""Tests for the CNN building blocks of helpers.models (chapter 9) and helpers.data.tiny.sample_leaf."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers import models
from helpers.data import tiny


def residual_block_parameters(cin: int, cout: int) -> int:
    """Two 3x3 convs and a 1x1 shortcut (all with bias), three BatchNorms (gamma and beta)."""
    main = (9 * cin * cout + cout + 2 * cout) + (9 * cout * cout + cout + 2 * cout)
    shortcut = cin * cout + cout + 2 * cout
    return main + shortcut


@pytest.mark.parametrize("stride, side", [(1, 32), (2, 16)])
@pytest.mark.parametrize("cin, cout", [(3, 8), (8, 8), (16, 32)])
def test_residual_block_shapes(cin: int, cout: int, stride: int, side: int) -> None:
    block = models.ResidualBlock(cin, cout, stride=stride).eval()
    with torch.no_grad():
        out = block(torch.randn(2, cin, 32, 32))
    assert out.shape == (2, cout, side, side)
    assert (out >= 0).all(), "the block ends with a ReLU"


def test_residual_block_is_relu_of_main_plus_shortcut() -> None:
    torch.manual_seed(0)
    block = models.ResidualBlock(4, 6, stride=2).eval()
    x = torch.randn(3, 4, 10, 10)
    with torch.no_grad():
        assert torch.allclose(block(x), torch.relu(block.main(x) + block.shortcut(x)))
    assert block.main[0].stride == (2, 2) and block.main[3].stride == (1, 1), "only the first conv strides"
    assert block.shortcut[0].kernel_size == (1, 1) and block.shortcut[0].stride == (2, 2)


def test_residual_block_odd_size_with_stride_two() -> None:
    with torch.no_grad():
        out = models.ResidualBlock(3, 4, stride=2).eval()(torch.zeros(1, 3, 255, 255))
    assert out.shape == (1, 4, 128, 128), "main path and shortcut round the same way"


@pytest.mark.parametrize("cin, cout", [(32, 64), (64, 128), (128, 256), (256, 512), (3, 5)])
def test_residual_block_parameter_count_by_hand(cin: int, cout: int) -> None:
    expected = residual_block_parameters(cin, cout)
    assert models.count_parameters(models.ResidualBlock(cin, cout)) == expected
    strided = models.ResidualBlock(cin, cout, stride=2)
    assert models.count_parameters(strided) == expected, "a stride adds no parameters"


def test_residual_block_32_64_has_57920_parameters() -> None:
    assert models.count_parameters(models.ResidualBlock(32, 64)) == 57_920


@pytest.mark.parametrize("side", [32, 33, 256])
def test_conv_relu_pool_halves_the_size(side: int) -> None:
    block = models.conv_relu_pool(3, 8)
    with torch.no_grad():
        out = block(torch.randn(2, 3, side, side))
    assert out.shape == (2, 8, side // 2, side // 2)
    assert (out >= 0).all(), "ReLU before the pooling"
    assert [type(m) for m in block] == [nn.Conv2d, nn.ReLU, nn.MaxPool2d]


@pytest.mark.parametrize("side", [32, 33, 64])
def test_double_conv_bn_pool_halves_the_size(side: int) -> None:
    block = models.double_conv_bn_pool(3, 8)
    for mode in (block.train, block.eval):
        mode()
        with torch.no_grad():
            out = block(torch.randn(4, 3, side, side))
        assert out.shape == (4, 8, side // 2, side // 2)
    kinds = [type(m) for m in block]
    assert kinds.count(nn.Conv2d) == 2 and kinds.count(nn.BatchNorm2d) == 2 and kinds[-1] is nn.MaxPool2d
    assert models.count_parameters(block) == (9 * 3 * 8 + 8) + 16 + (9 * 8 * 8 + 8) + 16


@pytest.mark.parametrize("pool, side", [(False, 64), (True, 32)])
@pytest.mark.parametrize("cout", [16, 32])
def test_stem_shapes(pool: bool, side: int, cout: int) -> None:
    stem = models.stem(cout, pool=pool).eval()
    with torch.no_grad():
        out = stem(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, cout, side, side)
    assert models.count_parameters(stem) == 9 * 3 * cout + cout + 2 * cout


def test_stem_default_matches_the_resnets() -> None:
    stem = models.stem()
    assert stem[0].in_channels == 3 and stem[0].out_channels == 32
    assert not any(isinstance(m, nn.MaxPool2d) for m in stem), "no pooling unless asked"


def test_stride_two_block_equals_maxpool_block_in_shape_and_parameters() -> None:
    pooled = nn.Sequential(models.ResidualBlock(8, 16), nn.MaxPool2d(2)).eval()
    strided = models.ResidualBlock(8, 16, stride=2).eval()
    x = torch.randn(1, 8, 64, 64)
    with torch.no_grad():
        assert pooled(x).shape == strided(x).shape == (1, 16, 32, 32)
    assert models.count_parameters(pooled) == models.count_parameters(strided)


def test_sample_leaf_is_a_deterministic_rgb_image() -> None:
    first = tiny.sample_leaf(3, size=128)
    assert first.size == (128, 128) and first.mode == "RGB"
    assert first.tobytes() == tiny.sample_leaf(3, size=128).tobytes(), "same label and seed, same leaf"
    assert first.tobytes() != tiny.sample_leaf(3, size=128, seed=1).tobytes()
    assert tiny.sample_leaf().size == (256, 256)


@pytest.mark.parametrize("kwargs", [{"label": -1}, {"label": 38}, {"size": 64}])
def test_sample_leaf_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        tiny.sample_leaf(**kwargs)
