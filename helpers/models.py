"""The course's models: FashionMNIST baselines (chapter 8) and the report's five PlantVillage CNNs.

All PlantVillage models take ``3 x 256 x 256`` images and return 38 logits. Their
parameter counts match the internship report's totals exactly (tests check them with
torchinfo): SimpleCNN 18,365,798; DeepCNN 19,950,790; SmallResNet 5,024,934;
ResNet (MaxPool or stride 2) 5,165,990; ResNetMinimal 1,218,982.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

NUM_CLASSES = 38
IMAGE_SIZE = 256


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (all, or only those with ``requires_grad``). (Chapter 8 introduces it.)"""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


# --- FashionMNIST (chapter 8) -------------------------------------------------------------


class LinearBaseline(nn.Module):
    """Flatten, then one linear layer: a multinomial logistic regression on pixels."""

    def __init__(self, in_features: int = 28 * 28, num_classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(in_features, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class MLP(nn.Module):
    """Flatten, then hidden layers with ReLU: the non-linear baseline."""

    def __init__(self, in_features: int = 28 * 28, hidden: int = 256, num_classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TinyVGG(nn.Module):
    """VGG-style blocks for 28x28 grey images: [Conv 3x3 (-> BatchNorm) -> ReLU] x n -> MaxPool 2 per block,
    then a linear classifier (with an optional hidden layer).

    ``hidden`` channels in the first block, ``growth`` times that in the second; ``convs`` says how
    many convolutions each block has. With ``pool_first`` each block's last convolution is pooled
    *before* its BatchNorm and ReLU (Conv -> MaxPool 2 -> BatchNorm -> ReLU): ReLU and max-pooling
    commute, so only BatchNorm's position changes, and a quarter as many values go through
    BatchNorm and ReLU. The defaults are chapter 8's CNN: one convolution at full resolution (on a
    CPU the 28 x 28 maps are the expensive ones: every value goes through the element-wise layers,
    hence ``pool_first``), two at 14 x 14, BatchNorm (so Adam can train at a high learning rate),
    and a hidden layer of ``head_hidden`` units in the classifier (many weights, but one cheap
    matrix product); no Dropout (``dropout``). Its training epoch,
    measured in the same run, must be no slower than learnpytorch.io's TinyVGG recipe's
    (``python -m helpers.bench fashionmnist``; README, "Measured here"). ``convs=(2, 2)`` adds a
    second 28 x 28 convolution: about half a point of accuracy for a markedly slower epoch.
    ``TinyVGG(hidden=10, growth=1, convs=(2, 2), batch_norm=False, dropout=0.0, head_hidden=0,
    pool_first=False)``
    is learnpytorch.io's TinyVGG (:func:`learnpytorch_tinyvgg`).
    """

    def __init__(self, in_channels: int = 1, hidden: int = 16, num_classes: int = 10, image_size: int = 28, *,
                 growth: int = 2, convs: tuple[int, int] = (1, 2), batch_norm: bool = True,
                 dropout: float = 0.0, head_hidden: int = 128, pool_first: bool = True) -> None:
        super().__init__()

        def block(cin: int, cout: int, n: int) -> nn.Sequential:
            layers: list[nn.Module] = []
            for i in range(n):
                layers.append(nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1))
                if pool_first and i == n - 1:
                    layers.append(nn.MaxPool2d(2))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(cout))
                layers.append(nn.ReLU())
            if not pool_first:
                layers.append(nn.MaxPool2d(2))
            return nn.Sequential(*layers)

        if len(convs) != 2 or min(convs) < 1:
            raise ValueError(f"convs: the number of convolutions of each of the two blocks, e.g. (1, 2); "
                             f"got {convs}")
        self.features = nn.Sequential(block(in_channels, hidden, convs[0]),
                                      block(hidden, hidden * growth, convs[1]))
        features = hidden * growth * (image_size // 4) ** 2
        head: list[nn.Module] = [nn.Flatten()]
        if dropout:
            head.append(nn.Dropout(dropout))
        if head_hidden:
            head += [nn.Linear(features, head_hidden), nn.ReLU()]
            if dropout:
                head.append(nn.Dropout(dropout))
            features = head_hidden
        head.append(nn.Linear(features, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def learnpytorch_tinyvgg(hidden: int = 10, num_classes: int = 10) -> TinyVGG:
    """learnpytorch.io's TinyVGG (notebook 03, ``hidden_units=10``): two blocks of
    Conv 3x3 -> ReLU -> Conv 3x3 -> ReLU -> MaxPool 2 with ``hidden`` channels throughout, then one
    Linear layer; no BatchNorm, no Dropout. 7,740 parameters."""
    return TinyVGG(hidden=hidden, num_classes=num_classes, growth=1, convs=(2, 2), batch_norm=False,
                   dropout=0.0, head_hidden=0, pool_first=False)


# --- Building blocks (chapter 9) ----------------------------------------------------------


def conv_relu_pool(cin: int, cout: int) -> nn.Sequential:
    """Conv 3x3 (padding 1) -> ReLU -> MaxPool 2: halves the image, changes the channels."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))


def double_conv_bn_pool(cin: int, cout: int) -> nn.Sequential:
    """(Conv 3x3 -> BatchNorm -> ReLU) twice, then MaxPool 2: DeepCNN's block."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.MaxPool2d(2),
    )


class ResidualBlock(nn.Module):
    """Residual block ``cin -> cout`` with stride ``s``.

    main = Conv3x3(cin, cout, s) -> BN -> ReLU -> Conv3x3(cout, cout) -> BN;
    shortcut = Conv1x1(cin, cout, s) -> BN; output = ReLU(main + shortcut).
    """

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout),
        )
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.main(x) + self.shortcut(x))


def stem(cout: int = 32, pool: bool = False) -> nn.Sequential:
    """Conv 3->cout, BatchNorm, ReLU (and MaxPool 2 when ``pool``): the ResNets' entrance."""
    layers: list[nn.Module] = [nn.Conv2d(3, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


# --- The report's five PlantVillage models (chapters 11-15) ----------------------------------


class SimpleCNN(nn.Module):
    """5 x [Conv -> ReLU -> MaxPool], 3->32->64->128->256->512, then Linear 32768->512->38."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        channels = [3, 32, 64, 128, 256, 512]
        self.features = nn.Sequential(
            *(conv_relu_pool(a, b) for a, b in zip(channels[:-1], channels[1:], strict=True))
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(512 * 8 * 8, 512), nn.ReLU(), nn.Linear(512, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class DeepCNN(nn.Module):
    """8 double-conv blocks with BatchNorm (256 px down to 1 px), then a 3-layer classifier."""

    CHANNELS = (32, 64, 128, 256, 512, 512, 512, 512)

    def __init__(self, num_classes: int = NUM_CLASSES, dropout: float = 0.5) -> None:
        super().__init__()
        cins = (3, *self.CHANNELS[:-1])
        self.features = nn.Sequential(
            *(double_conv_bn_pool(a, b) for a, b in zip(cins, self.CHANNELS, strict=True))
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(512, 1024), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(1024, 512), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(512, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class SmallResNet(nn.Module):
    """Stem with MaxPool, four residual blocks (MaxPool after the first three), small head."""

    def __init__(self, num_classes: int = NUM_CLASSES, dropout: float = 0.5) -> None:
        super().__init__()
        self.stem = stem(32, pool=True)
        self.blocks = nn.Sequential(
            ResidualBlock(32, 64), nn.MaxPool2d(2),
            ResidualBlock(64, 128), nn.MaxPool2d(2),
            ResidualBlock(128, 256), nn.MaxPool2d(2),
            ResidualBlock(256, 512),
        )
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(512, 256), nn.ReLU(), nn.Dropout(dropout), nn.Linear(256, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


class ResNet(nn.Module):
    """Stem at full resolution, four residual blocks that each halve the image.

    ``downsample="maxpool"``: each block keeps the size, a MaxPool 2 follows (the report's
    slow version). ``downsample="stride"``: each block's first conv and shortcut use
    stride 2 (same parameters, 4x less work at full resolution).
    """

    def __init__(self, num_classes: int = NUM_CLASSES,
                 downsample: Literal["maxpool", "stride"] = "stride", dropout: float = 0.5,
                 widths: tuple[int, ...] = (64, 128, 256, 512), head_hidden: int | None = 512) -> None:
        super().__init__()
        if downsample not in ("maxpool", "stride"):
            raise ValueError(f"downsample must be 'maxpool' or 'stride', not {downsample!r}")
        self.downsample = downsample
        self.stem = stem(32)
        layers: list[nn.Module] = []
        for cin, cout in zip((32, *widths[:-1]), widths, strict=True):
            if downsample == "stride":
                layers.append(ResidualBlock(cin, cout, stride=2))
            else:
                layers += [ResidualBlock(cin, cout), nn.MaxPool2d(2)]
        self.blocks = nn.Sequential(*layers)
        head: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        if head_hidden:
            head += [nn.Linear(widths[-1], head_hidden), nn.ReLU(), nn.Dropout(dropout),
                     nn.Linear(head_hidden, num_classes)]
        else:
            head += [nn.Dropout(dropout), nn.Linear(widths[-1], num_classes)]
        self.head = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


class ResNetMinimal(ResNet):
    """The report's final model: the stride-2 ResNet with three blocks (32->64->128->256)
    and a head of Dropout + one Linear layer: about 1.2 M parameters instead of 5.2 M."""

    def __init__(self, num_classes: int = NUM_CLASSES, dropout: float = 0.5) -> None:
        super().__init__(num_classes, downsample="stride", dropout=dropout,
                         widths=(64, 128, 256), head_hidden=None)


MODELS: dict[str, Callable[..., nn.Module]] = {
    "simple_cnn": SimpleCNN,
    "deep_cnn": DeepCNN,
    "small_resnet": SmallResNet,
    "resnet_maxpool": lambda **kw: ResNet(downsample="maxpool", **kw),
    "resnet_stride": lambda **kw: ResNet(downsample="stride", **kw),
    "resnet_minimal": ResNetMinimal,
    "tinyvgg": TinyVGG,
    "learnpytorch_tinyvgg": learnpytorch_tinyvgg,
    "mlp": MLP,
    "linear": LinearBaseline,
}

REPORT_PARAMETERS = {
    "simple_cnn": 18_365_798,
    "deep_cnn": 19_950_790,
    "small_resnet": 5_024_934,
    "resnet_maxpool": 5_165_990,
    "resnet_stride": 5_165_990,
    "resnet_minimal": 1_218_982,
}
"""The report's parameter totals (torchinfo), which the models reproduce exactly."""

PLANTVILLAGE_MODELS = tuple(REPORT_PARAMETERS)


INITS = ("default", "kaiming")
"""Weight initialisations of the training command's ``--init`` (chapter 11)."""


def kaiming_init(model: nn.Module) -> nn.Module:
    """Chapter 11's fix, in place: Kaiming-normal Conv2d/Linear weights, zero biases, a small last layer."""
    layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    for layer in layers:
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
    nn.init.normal_(layers[-1].weight, std=0.01)  # small first logits: the loss starts near ln(classes)
    return model


def build_model(name: str, **kwargs: object) -> nn.Module:
    """Build a registered model by name; a clear error lists the names when it is unknown.

    (Chapter 9b introduces it.)
    """
    key = name.lower().replace("-", "_")
    if key not in MODELS:
        raise ValueError(f"Unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    return MODELS[key](**kwargs)
