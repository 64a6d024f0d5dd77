"""The report's five PlantVillage models: exact parameter counts (torchinfo), output shapes, the registry,
and what distinguishes the two ResNets (same weights, different spatial work)."""

from __future__ import annotations

import pytest
import torch
import torchinfo
from torch import nn

from helpers import models

IMAGE = (3, models.IMAGE_SIZE, models.IMAGE_SIZE)


@pytest.fixture(scope="module")
def summaries() -> dict[str, torchinfo.ModelStatistics]:
    """torchinfo summaries of every PlantVillage model on a batch of two 256 px images (one forward each)."""
    torch.manual_seed(0)
    return {name: torchinfo.summary(models.build_model(name), input_size=(2, *IMAGE), verbose=0,
                                    mode="eval", device="cpu")
            for name in models.PLANTVILLAGE_MODELS}


@pytest.mark.parametrize("name", models.PLANTVILLAGE_MODELS)
def test_parameter_count_matches_the_report(summaries: dict, name: str) -> None:
    info = summaries[name]
    assert info.total_params == models.REPORT_PARAMETERS[name], f"{name}: torchinfo total parameters"
    assert info.trainable_params == info.total_params, "every parameter is trained"
    assert models.count_parameters(models.build_model(name)) == models.REPORT_PARAMETERS[name]


@pytest.mark.parametrize("name", models.PLANTVILLAGE_MODELS)
def test_output_is_one_logit_per_class(summaries: dict, name: str) -> None:
    assert summaries[name].summary_list[0].output_size == [2, models.NUM_CLASSES]


def test_forward_gives_finite_logits() -> None:
    model = models.build_model("resnet_minimal").eval()
    with torch.no_grad():
        out = model(torch.randn(2, *IMAGE))
    assert out.shape == (2, 38) and torch.isfinite(out).all()


def test_the_report_totals() -> None:
    assert models.REPORT_PARAMETERS == {
        "simple_cnn": 18_365_798, "deep_cnn": 19_950_790, "small_resnet": 5_024_934,
        "resnet_maxpool": 5_165_990, "resnet_stride": 5_165_990, "resnet_minimal": 1_218_982,
    }
    assert models.PLANTVILLAGE_MODELS == tuple(models.REPORT_PARAMETERS)


def test_build_model_unknown_name_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="Unknown model 'resnet50'.*resnet_minimal"):
        models.build_model("resnet50")


def test_build_model_accepts_dashes_and_capitals() -> None:
    assert isinstance(models.build_model("ResNet-Minimal"), models.ResNetMinimal)
    assert models.build_model("resnet_maxpool").downsample == "maxpool"
    assert models.build_model("resnet_stride").downsample == "stride"


def test_other_number_of_classes() -> None:
    model = models.build_model("small_resnet", num_classes=5).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 5)


def test_resnet_rejects_an_unknown_downsampling() -> None:
    with pytest.raises(ValueError, match="maxpool.*stride"):
        models.ResNet(downsample="avgpool")  # type: ignore[arg-type]


def test_maxpool_and_stride_resnets_differ_only_in_spatial_work(summaries: dict) -> None:
    pool, stride = summaries["resnet_maxpool"], summaries["resnet_stride"]
    assert pool.total_params == stride.total_params == 5_165_990
    # Same layers and weights, but MaxPool runs every block's convolutions at twice the resolution.
    ratio = pool.total_mult_adds / stride.total_mult_adds
    assert 3.0 < ratio < 4.5, f"the MaxPool ResNet computes ~4x more multiply-adds, got {ratio:.2f}x"
    assert pool.total_output_bytes > 2.5 * stride.total_output_bytes, "and stores ~3x more activations"

    sizes: dict[str, list[int]] = {}
    for name in ("resnet_maxpool", "resnet_stride"):
        model = models.build_model(name).eval()
        blocks = [m for m in model.blocks if isinstance(m, models.ResidualBlock)]
        assert len(blocks) == 4
        x = torch.zeros(1, 3, 64, 64)
        with torch.no_grad():
            x = model.stem(x)
            seen = []
            for layer in model.blocks:
                x = layer(x)
                if isinstance(layer, models.ResidualBlock):
                    seen.append(x.shape[-1])
        sizes[name] = seen
    assert sizes["resnet_maxpool"] == [64, 32, 16, 8], "blocks keep the size; the MaxPool after halves it"
    assert sizes["resnet_stride"] == [32, 16, 8, 4], "each block halves the image itself"


def test_torchinfo_memory_estimates_of_the_two_resnets(summaries: dict) -> None:
    """The estimates the course quotes (batch 1): forward/backward about 411 MB vs 128 MB."""
    # torchinfo's estimate grows linearly with the batch: the fixture used a batch of two.
    sizes = {name: summaries[name].total_output_bytes / 2 / 1e6
             for name in ("resnet_maxpool", "resnet_stride")}
    assert sizes["resnet_maxpool"] == pytest.approx(411, abs=2)
    assert sizes["resnet_stride"] == pytest.approx(128, abs=2)


def test_building_blocks_shapes() -> None:
    x = torch.zeros(1, 3, 32, 32)
    assert models.conv_relu_pool(3, 8)(x).shape == (1, 8, 16, 16)
    assert models.double_conv_bn_pool(3, 8).eval()(x).shape == (1, 8, 16, 16)
    assert models.stem(16).eval()(x).shape == (1, 16, 32, 32)
    assert models.stem(16, pool=True).eval()(x).shape == (1, 16, 16, 16)
    block = models.ResidualBlock(3, 8, stride=2).eval()
    assert block(x).shape == (1, 8, 16, 16)
    assert isinstance(block.shortcut[0], nn.Conv2d) and block.shortcut[0].stride == (2, 2)


def test_count_parameters_trainable_only() -> None:
    model = models.build_model("resnet_minimal")
    for p in model.stem.parameters():
        p.requires_grad_(False)
    frozen = sum(p.numel() for p in model.stem.parameters())
    assert models.count_parameters(model, trainable_only=True) == 1_218_982 - frozen
    assert models.count_parameters(model) == 1_218_982


# --- FashionMNIST (chapter 8) ------------------------------------------------------------------------


def test_fashionmnist_parameter_counts() -> None:
    counts = {name: models.count_parameters(models.build_model(name))
              for name in ("linear", "mlp", "tinyvgg", "learnpytorch_tinyvgg")}
    assert counts == {"linear": 7_850, "mlp": 269_322, "tinyvgg": 216_330, "learnpytorch_tinyvgg": 7_740}


def test_tinyvgg_is_the_course_cnn_and_learnpytorchs_is_plain() -> None:
    ours, theirs = models.TinyVGG(), models.learnpytorch_tinyvgg()
    convs = [m for m in ours.features.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(1, 16), (16, 32), (32, 32)]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in ours.modules()) == 3
    assert [m.out_features for m in ours.classifier if isinstance(m, nn.Linear)] == [128, 10]
    assert not any(isinstance(m, nn.Dropout) for m in ours.modules())
    for block in ours.features:  # pool first: the last convolution's BatchNorm and ReLU run at half the size
        assert [type(m) for m in block][-4:] == [nn.Conv2d, nn.MaxPool2d, nn.BatchNorm2d, nn.ReLU]
    assert not any(isinstance(m, nn.BatchNorm2d | nn.Dropout) for m in theirs.modules())
    their_convs = [(m.in_channels, m.out_channels) for m in theirs.modules() if isinstance(m, nn.Conv2d)]
    assert their_convs == [(1, 10), (10, 10), (10, 10), (10, 10)]
    for model in (ours, theirs):
        assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    with pytest.raises(ValueError, match="convolutions of each of the two blocks"):
        models.TinyVGG(convs=(2,))  # type: ignore[arg-type]


def test_pool_first_changes_only_where_batchnorm_sits() -> None:
    """ReLU and max-pooling commute: without BatchNorm, pooling first computes the same function."""
    torch.manual_seed(0)
    late, early = (models.TinyVGG(batch_norm=False, pool_first=p).eval() for p in (False, True))
    early.load_state_dict(late.state_dict())
    x = torch.rand(4, 1, 28, 28)
    assert torch.allclose(late(x), early(x), atol=1e-6)
    assert models.count_parameters(late) == models.count_parameters(early)
