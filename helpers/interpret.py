"""Looking inside a CNN: receptive fields, feature maps and class-activation maps (Grad-CAM).

* :func:`receptive_fields` gives, after each pooling stage of a plain stack of layers (chapter 12's
  DeepCNN), how many input pixels one unit sees (``size``) and how far apart neighbouring units look
  (``jump``), from the layers' kernel sizes, strides and dilations: the textbook recursion
  ``size += (kernel - 1) * dilation * jump; jump *= stride``.
* :func:`measured_receptive_fields` measures the same thing with autograd, on a copy of the stack's
  geometry in which every layer is linear and positive (one channel, kernels of ones, average pooling,
  no ReLU or BatchNorm): the gradient of one unit with respect to the input is non-zero exactly on
  the pixels that unit sees. The two must agree.
* :func:`feature_maps` records what a layer outputs for some images (a forward hook).
* :func:`grad_cam` is Selvaraju et al.'s class-activation map: a layer's channels weighted by the mean
  gradient of the class score, summed, ReLU'd and scaled up to the image. :func:`masked_drop` checks
  a map against the model itself: hiding the pixels the map points at should cost the class more
  probability than hiding as many pixels chosen at random (chapter 15).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn
from torch.nn import functional as F


def _pair(value: int | tuple[int, ...]) -> int:
    """One side of a square kernel, stride or dilation (the course's layers are all square)."""
    return value if isinstance(value, int) else int(value[0])


def _geometric_layers(stack: nn.Module) -> Iterator[nn.Module]:
    """The convolutions and poolings of ``stack``, in the order a plain ``nn.Sequential`` runs them."""
    for module in stack.modules():
        if isinstance(module, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
            yield module


def receptive_fields(stack: nn.Module) -> list[dict[str, int]]:
    """After each pooling layer of ``stack`` (a plain stack: no branches), the receptive field.

    Returns one dictionary per pooling stage: ``stage`` (1, 2, ...), ``size`` (pixels one unit sees,
    per side) and ``jump`` (input pixels between two neighbouring units).
    """
    size, jump, stages = 1, 1, []
    for layer in _geometric_layers(stack):
        kernel, stride = _pair(layer.kernel_size), _pair(layer.stride)
        dilation = _pair(layer.dilation) if isinstance(layer, nn.Conv2d | nn.MaxPool2d) else 1
        size += (kernel - 1) * dilation * jump
        jump *= stride
        if isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
            stages.append({"stage": len(stages) + 1, "size": size, "jump": jump})
    return stages


def geometry_copy(stack: nn.Module) -> nn.Sequential:
    """The geometry of ``stack`` as linear, positive, one-channel layers (see the module's docstring)."""
    layers: list[nn.Module] = []
    for layer in _geometric_layers(stack):
        kernel, stride, padding = _pair(layer.kernel_size), _pair(layer.stride), _pair(layer.padding)
        if isinstance(layer, nn.Conv2d):
            conv = nn.Conv2d(1, 1, kernel, stride, padding, dilation=_pair(layer.dilation), bias=False)
            nn.init.constant_(conv.weight, 1.0 / kernel**2)
            layers.append(conv)
        else:
            layers.append(nn.AvgPool2d(kernel, stride, padding))
    return nn.Sequential(*layers).double()


def measured_receptive_fields(stack: nn.Module, image_size: int) -> list[dict[str, int]]:
    """The receptive field after each pooling stage, measured with autograd on :func:`geometry_copy`.

    For each stage, the unit nearest the centre of its map is back-propagated to a ``image_size``
    square input, and ``size`` is the width of the rows and columns where the gradient is non-zero
    (clipped by the image's border when the field is larger than the image).
    """
    geometry = geometry_copy(stack)
    image = torch.ones(1, 1, image_size, image_size, dtype=torch.float64, requires_grad=True)
    stages, x = [], image
    for layer in geometry:
        x = layer(x)
        if isinstance(layer, nn.AvgPool2d):
            unit = x[0, 0, x.shape[-2] // 2, x.shape[-1] // 2]
            (grad,) = torch.autograd.grad(unit, image, retain_graph=True)
            seen = grad[0, 0] != 0
            rows, cols = seen.any(dim=1).nonzero(), seen.any(dim=0).nonzero()
            stages.append({"stage": len(stages) + 1, "size": int(max(rows.max() - rows.min(),
                                                                      cols.max() - cols.min()) + 1),
                           "map": int(x.shape[-1])})
    return stages


@torch.no_grad()
def feature_maps(model: nn.Module, layer: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """What ``layer`` outputs when ``model`` (in eval mode) reads ``images``: ``(N, C, H, W)``."""
    saved: list[torch.Tensor] = []
    hook = layer.register_forward_hook(lambda module, inputs, output: saved.append(output.detach()))
    try:
        model.eval()(images)
    finally:
        hook.remove()
    return saved[0]


def grad_cam(model: nn.Module, layer: nn.Module, images: torch.Tensor,
             classes: torch.Tensor | None = None) -> torch.Tensor:
    """Grad-CAM maps of ``images`` for ``classes`` (default: each image's predicted class).

    The activations ``A`` of ``layer`` and the gradient of each image's class score with respect to
    them give one weight per channel (the gradient's mean over the map); the map is ``ReLU(sum_c w_c
    A_c)``, resized to the images' size (bilinear) and scaled to [0, 1] per image. ``(N, H, W)``.
    """
    saved: dict[str, torch.Tensor] = {}

    def keep(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        output.retain_grad()
        saved["activations"] = output

    hook = layer.register_forward_hook(keep)
    model.eval()
    try:
        with torch.enable_grad():
            logits = model(images.detach().requires_grad_(True))
            chosen = logits.argmax(dim=1) if classes is None else classes.to(logits.device)
            logits.gather(1, chosen[:, None]).sum().backward()
    finally:
        hook.remove()
    activations = saved["activations"]
    weights = activations.grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * activations).sum(dim=1, keepdim=True)).detach()
    cam = F.interpolate(cam, size=images.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    peak = cam.flatten(1).amax(dim=1).clamp_min(1e-12)
    model.zero_grad(set_to_none=True)
    return cam / peak[:, None, None]


@torch.no_grad()
def masked_drop(model: nn.Module, images: torch.Tensor, maps: torch.Tensor, classes: torch.Tensor,
                share: float = 0.2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """How much the probability of ``classes`` falls when a ``share`` of each image's pixels is hidden.

    Hidden pixels are set to 0 (the data set's mean colour after normalisation). Returns ``(drop when
    the pixels where ``maps`` is highest are hidden, drop when as many random pixels are hidden)``, one
    value per image. A map that shows what the model uses makes the first drop the larger.
    """
    model.eval()
    n, height, width = maps.shape
    count = max(1, round(share * height * width))

    def probability(x: torch.Tensor) -> torch.Tensor:
        return model(x).softmax(dim=1).gather(1, classes[:, None])[:, 0]

    def hide(order: torch.Tensor) -> torch.Tensor:
        keep = torch.ones(n, height * width, device=images.device)
        keep.scatter_(1, order[:, :count], 0.0)
        return images * keep.view(n, 1, height, width)

    before = probability(images)
    top = maps.flatten(1).argsort(dim=1, descending=True)
    generator = torch.Generator().manual_seed(seed)
    random = torch.stack([torch.randperm(height * width, generator=generator) for _ in range(n)])
    random = random.to(images.device)
    return before - probability(hide(top)), before - probability(hide(random))

