"""helpers.macs: exact multiply-add counts, checked against hand counts and against torchinfo."""

from __future__ import annotations

import pytest
import torch
import torchinfo
from torch import nn

from helpers import macs, models

IMAGE = (1, 3, 256, 256)


def residual_block_macs(cin: int, cout: int, side_out: int) -> int:
    """By hand: 3x3 conv cin->cout, 3x3 conv cout->cout and 1x1 shortcut, all at the output size."""
    return side_out**2 * cout * (9 * cin + 9 * cout + cin)


@pytest.mark.parametrize(("layer", "shape", "expected"), [
    (nn.Conv2d(3, 8, 3, padding=1), (2, 3, 10, 10), 2 * 8 * 10 * 10 * 3 * 3 * 3),
    (nn.Conv2d(3, 8, 3), (2, 3, 10, 10), 2 * 8 * 8 * 8 * 3 * 9),                   # no padding: 8x8 out
    (nn.Conv2d(4, 8, 3, stride=2, padding=1), (1, 4, 9, 9), 8 * 5 * 5 * 4 * 9),    # odd size: 5x5 out
    (nn.Conv2d(4, 8, 3, padding=1, groups=2), (1, 4, 6, 6), 8 * 6 * 6 * 2 * 9),    # each output sees 2 inputs
    (nn.Conv2d(4, 4, 3, padding=1, groups=4), (1, 4, 6, 6), 4 * 6 * 6 * 1 * 9),    # depthwise
    (nn.Conv2d(4, 6, (1, 3)), (1, 4, 5, 7), 6 * 5 * 5 * 4 * 3),                    # rectangular kernel
    (nn.Conv1d(2, 5, 3), (3, 2, 10), 3 * 5 * 8 * 2 * 3),
    (nn.ConvTranspose2d(4, 2, 2, stride=2), (1, 4, 3, 3), 4 * 3 * 3 * 2 * 4),      # input elems x Cout x K
    (nn.Linear(10, 7), (5, 10), 5 * 10 * 7),
    (nn.Linear(10, 7), (2, 3, 10), 2 * 3 * 10 * 7),                                # extra leading dims
    (nn.ReLU(), (2, 3, 4, 4), 0),
    (nn.BatchNorm2d(3), (2, 3, 4, 4), 0),
    (nn.MaxPool2d(2), (2, 3, 4, 4), 0),
])
def test_single_layers_match_hand_counts(layer: nn.Module, shape: tuple[int, ...], expected: int) -> None:
    table = macs.count_macs(layer, shape)
    assert len(table) == 1 and table["macs"].iloc[0] == expected
    assert table["output_shape"].iloc[0] == tuple(layer(torch.zeros(shape)).shape)


def test_simple_cnn_by_hand() -> None:
    convs = [(3, 32, 256), (32, 64, 128), (64, 128, 64), (128, 256, 32), (256, 512, 16)]
    by_hand = sum(side**2 * cout * cin * 9 for cin, cout, side in convs) + 32_768 * 512 + 512 * 38
    table = macs.count_macs(models.SimpleCNN(), IMAGE)
    assert table["macs"].sum() == by_hand == 1_281_379_328
    assert table.loc[table["module"] == "classifier.1", "output_shape"].item() == (1, 512)
    assert table.loc[table["module"] == "features.4.2", "output_shape"].item() == (1, 512, 8, 8)


def test_stride2_resnet_blocks_cost_the_same_and_the_last_is_a_quarter() -> None:
    table = macs.count_macs(models.build_model("resnet_stride"), IMAGE)
    names = macs.stage_names(models.build_model("resnet_stride"))
    assert names == ["stem", "blocks.0", "blocks.1", "blocks.2", "blocks.3", "head"]
    by_stage = macs.macs_by_stage(table, names)
    channels = [(32, 64, 128), (64, 128, 64), (128, 256, 32), (256, 512, 16)]
    for i, (cin, cout, side) in enumerate(channels):
        assert by_stage[f"blocks.{i}"] == residual_block_macs(cin, cout, side) == 939_524_096
    assert by_stage["stem"] == 256**2 * 32 * 3 * 9
    assert by_stage["head"] == 512 * 512 + 512 * 38
    total = int(table["macs"].sum())
    assert by_stage.sum() == total == 3_815_001_088
    assert 0.24 < by_stage["blocks.3"] / total < 0.25, "the last block is about a quarter of the work"


def test_model_totals_of_the_course() -> None:
    totals = {name: macs.total_macs(models.build_model(name), IMAGE) for name in
              ("simple_cnn", "resnet_minimal", "resnet_stride", "resnet_maxpool")}
    assert totals["resnet_minimal"] == 256**2 * 32 * 27 + 3 * 939_524_096 + 256 * 38
    order = ["simple_cnn", "resnet_minimal", "resnet_stride", "resnet_maxpool"]
    assert [totals[name] for name in order] == sorted(totals.values())
    assert totals["resnet_maxpool"] > 3.9 * totals["resnet_stride"], "MaxPool: each block at 4x the pixels"


@pytest.mark.parametrize("name", [*models.PLANTVILLAGE_MODELS, "tinyvgg", "mlp", "linear"])
def test_close_to_torchinfo_which_also_counts_biases_and_batchnorm(name: str) -> None:
    model = models.build_model(name)
    shape = (2, 1, 28, 28) if name in ("tinyvgg", "mlp", "linear") else (2, 3, 256, 256)
    ours = macs.total_macs(model, shape)
    theirs = torchinfo.summary(model, input_size=shape, verbose=0, device="meta").total_mult_adds
    assert ours <= theirs, f"{name}: torchinfo adds bias terms to the same products"
    assert theirs - ours < 0.01 * ours, f"{name}: ours {ours:,} vs torchinfo {theirs:,}"


def test_batch_size_scales_the_count_linearly() -> None:
    model = models.ResNetMinimal()
    assert macs.total_macs(model, (3, 3, 64, 64)) == 3 * macs.total_macs(model, (1, 3, 64, 64))


def test_a_module_called_twice_is_counted_twice() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layer(self.layer(x))

    table = macs.count_macs(Twice(), (1, 4))
    assert table["module"].tolist() == ["layer", "layer"] and table["macs"].sum() == 2 * 16


def test_input_data_and_the_cpu_fallback() -> None:
    class NeedsValues(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            scale = float(x.abs().max().item()) + 1.0  # .item() cannot run on the meta device
            return self.conv(x) * scale

    table = macs.count_macs(NeedsValues(), input_data=torch.ones(1, 1, 5, 5))
    assert table["macs"].sum() == 2 * 3 * 3 * 9


def test_the_model_is_left_untouched() -> None:
    model = models.ResNetMinimal().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    macs.count_macs(model, (2, 3, 64, 64))
    assert model.training and all(p.device.type == "cpu" for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_macs_by_stage_puts_the_rest_under_other_and_rejects_unknown_names() -> None:
    model = models.ResNetMinimal()
    table = macs.count_macs(model, (1, 3, 64, 64))
    partial = macs.macs_by_stage(table, ["blocks.0", "blocks.1"])
    assert list(partial.index) == ["blocks.0", "blocks.1", "other"]
    assert partial.sum() == table["macs"].sum()
    nested = macs.macs_by_stage(table, ["blocks", "blocks.0.main"])   # the longest prefix wins
    assert nested["blocks.0.main"] + nested["blocks"] + nested["other"] == table["macs"].sum()
    with pytest.raises(ValueError, match=r"no layer of the table belongs to \['block.9'\]"):
        macs.macs_by_stage(table, ["block.9"])


def test_bad_inputs_give_clear_errors() -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        macs.count_macs(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="batch dimension"):
        macs.count_macs(nn.Linear(2, 2), (0, 2))
    with pytest.raises(ValueError, match="cannot run on an input of shape"):
        macs.count_macs(models.SimpleCNN(), (1, 3, 64, 64))   # its Linear layer needs 256 px
