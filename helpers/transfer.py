"""Transfer learning: a torchvision network pre-trained on ImageNet, with a new head for your classes.

What an online user would add next to the small-data recipe. ImageNet's 1.3 million photos teach a
network edges, textures and shapes that transfer to leaves, so with 20 photos per class a
pre-trained ResNet-18 usually beats anything trained from scratch. The weights (45 MB for
ResNet-18) are downloaded once by torchvision into ``torch.hub.get_dir()/checkpoints`` and used
from there afterwards; nothing here downloads unless asked (``download=True`` or the command
below), so the course still runs offline and the tests never touch the network::

    python -m helpers.transfer download resnet18     # once, online

    from helpers import transfer
    model = transfer.pretrained_model("resnet18", num_classes=38)   # WeightsNotAvailableError offline
    engine.fit(model, train_loader, val_loader, epochs=5, lr=1e-3)  # fine-tune everything

The course normalises images with ImageNet's channel statistics already (``helpers.data.MEAN``,
``STD``), which is what these weights expect.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchvision import models as tv_models

PRETRAINED: dict[str, tuple[str, str]] = {
    "resnet18": ("resnet18", "ResNet18_Weights"),
    "mobilenet_v3_small": ("mobilenet_v3_small", "MobileNet_V3_Small_Weights"),
    "efficientnet_b0": ("efficientnet_b0", "EfficientNet_B0_Weights"),
}
"""Small torchvision networks with ImageNet weights: name -> (builder, weights enum)."""


class WeightsNotAvailableError(RuntimeError):
    """The pre-trained weights are not on this machine and downloading was not allowed."""


def _weights(name: str) -> Any:
    if name not in PRETRAINED:
        raise ValueError(f"Unknown pre-trained model {name!r}; choose one of: {', '.join(PRETRAINED)}")
    return getattr(tv_models, PRETRAINED[name][1]).IMAGENET1K_V1


def weights_file(name: str = "resnet18") -> Path:
    """Where torchvision keeps the ImageNet weights of ``name`` once downloaded."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(_weights(name).url).name


def download_megabytes(name: str = "resnet18") -> float:
    """The size of the weights file of ``name`` in MB, as torchvision records it (44.7 for ResNet-18)."""
    return float(_weights(name).meta["_file_size"])


def weights_available(name: str = "resnet18") -> bool:
    """True when the weights of ``name`` are on this machine (no download needed)."""
    return weights_file(name).is_file()


def _replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """Swap the ImageNet classifier (1,000 classes) for a new Linear layer with ``num_classes`` outputs."""
    if isinstance(getattr(model, "fc", None), nn.Linear):
        model.fc = nn.Linear(model.fc.in_features, num_classes)
    else:  # MobileNet, EfficientNet: a Sequential classifier ending in a Linear layer
        last = model.classifier[-1]
        model.classifier[-1] = nn.Linear(last.in_features, num_classes)
    return model


def pretrained_model(name: str = "resnet18", num_classes: int = 38, *, download: bool = False,
                     freeze_features: bool = False) -> nn.Module:
    """The ImageNet-trained ``name`` with a new ``num_classes`` head (randomly initialised).

    ``download=False`` (the default) never touches the network: without the weights on this
    machine it raises :class:`WeightsNotAvailableError` saying how to get them.
    ``freeze_features=True`` trains only the new head (fast, and enough for a first result).
    """
    weights = _weights(name)
    if not download and not weights_available(name):
        raise WeightsNotAvailableError(
            f"The ImageNet weights of {name} are not on this machine ({weights_file(name)}). Online, run "
            f"`python -m helpers.transfer download {name}` once (or call pretrained_model(..., "
            "download=True)); offline, train from scratch with the small-data recipe: "
            "python -m helpers.train --recipe small-data")
    model = getattr(tv_models, PRETRAINED[name][0])(weights=weights)
    if freeze_features:
        for parameter in model.parameters():
            parameter.requires_grad_(False)
    return _replace_head(model, num_classes)


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.transfer download [NAME ...]``: fetch ImageNet weights once (needs internet)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.transfer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("download", help="download ImageNet weights into torch's hub folder")
    fetch.add_argument("names", nargs="*", default=["resnet18"], choices=list(PRETRAINED))
    args = parser.parse_args(argv)
    for name in args.names:
        try:
            pretrained_model(name, download=True)
        except Exception as error:  # no network, proxy, disk: say what failed, no trace
            print(f"error: could not download the weights of {name}: {type(error).__name__}: {error}",
                  file=sys.stderr)
            return 1
        print(f"{name}: {weights_file(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
