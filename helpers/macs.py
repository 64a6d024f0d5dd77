"""Multiply-adds (MACs) per layer, counted exactly with forward hooks.

One multiply-add is one product added to a running sum: ``y += w * x``. The count depends only
on the layer's shapes, so it is the same on every machine and with every library version
(torchinfo's ``total_mult_adds`` also counts biases and BatchNorm, and its conventions have
changed between versions). What is counted:

* ``Conv1d/2d/3d``: output elements x (C_in / groups) x kernel elements (each output value is a
  dot product over its window in every input channel of its group);
* ``ConvTranspose1d/2d/3d``: input elements x (C_out / groups) x kernel elements;
* ``Linear``: output elements x in_features (batch x in x out for a 2-D input);
* every other layer (BatchNorm, ReLU, pooling, the residual addition, biases): 0. They cost one
  operation per value, not a dot product, and are well under 1% of a CNN's multiply-adds.

By default the model runs on PyTorch's ``meta`` device (shapes only, no arithmetic), so counting
a 256 px ResNet takes milliseconds and leaves the model untouched::

    from helpers import macs, models

    table = macs.count_macs(models.build_model("resnet_stride"), (1, 3, 256, 256))
    macs.macs_by_stage(table, ["stem", "blocks.0", "blocks.1", "blocks.2", "blocks.3", "head"])
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

COLUMNS = ["module", "type", "output_shape", "macs"]


def layer_macs(module: nn.Module, inputs: tuple, output: torch.Tensor) -> int:
    """Multiply-adds of one call of ``module`` (0 for layers without a weighted sum)."""
    if isinstance(module, nn.modules.conv._ConvTransposeNd):
        kernel = math.prod(module.kernel_size)
        return inputs[0].numel() * (module.out_channels // module.groups) * kernel
    if isinstance(module, nn.modules.conv._ConvNd):
        kernel = math.prod(module.kernel_size)
        return output.numel() * (module.in_channels // module.groups) * kernel
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return 0


def _leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    return leaves or [("", model)]


def _run(model: nn.Module, x: torch.Tensor) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []

    def hook(name: str):
        def record(module: nn.Module, inputs: tuple, output: object) -> None:
            shape = tuple(output.shape) if isinstance(output, torch.Tensor) else None
            macs = layer_macs(module, inputs, output) if isinstance(output, torch.Tensor) else 0
            rows.append({"module": name, "type": type(module).__name__, "output_shape": shape,
                         "macs": int(macs)})
        return record

    handles = [m.register_forward_hook(hook(name)) for name, m in _leaves(model)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return rows


def count_macs(model: nn.Module, input_size: Sequence[int] | None = None, *,
               input_data: torch.Tensor | None = None, device: str | torch.device = "meta") -> pd.DataFrame:
    """One row per call of a leaf module, in call order: module name, type, output shape, MACs.
    Chapter 8 introduces it.

    Give ``input_size`` (with the batch dimension, e.g. ``(1, 3, 256, 256)``) or ``input_data``.
    The count runs on a copy of the model in eval mode on ``device`` (``"meta"``: shapes only, no
    arithmetic; a model whose forward needs real values falls back to a CPU run).
    """
    if (input_size is None) == (input_data is None):
        raise ValueError("give exactly one of input_size=(batch, channels, height, width) "
                         "or input_data=tensor")
    if input_size is not None:
        shape = tuple(int(s) for s in input_size)
        if len(shape) < 2 or min(shape) < 1:
            raise ValueError(f"input_size must include the batch dimension, e.g. (1, 3, 256, 256); "
                             f"got {shape}")
    else:
        shape = tuple(input_data.shape)
    for target in dict.fromkeys([torch.device(device), torch.device("cpu")]):
        twin = copy.deepcopy(model).to(target).eval()
        x = (torch.zeros(shape, device=target) if input_data is None
             else input_data.detach().to(target))
        try:
            rows = _run(twin, x)
        except (NotImplementedError, RuntimeError) as error:
            if target.type != "meta":
                raise ValueError(f"the model cannot run on an input of shape {shape}: {error}") from None
            continue  # e.g. .item() in forward: count on a real copy instead
        return pd.DataFrame(rows, columns=COLUMNS)
    raise AssertionError("unreachable")


def total_macs(model: nn.Module, input_size: Sequence[int] | None = None, *,
               input_data: torch.Tensor | None = None) -> int:
    """All the multiply-adds of one forward pass. (Chapter 8 introduces it.)"""
    return int(count_macs(model, input_size, input_data=input_data)["macs"].sum())


def stage_names(model: nn.Module, expand: Sequence[str] = ("blocks", "features")) -> list[str]:
    """The model's top-level parts, with the containers named in ``expand`` split into their children.

    ``ResNet`` -> ``["stem", "blocks.0", "blocks.1", "blocks.2", "blocks.3", "head"]``;
    ``SimpleCNN`` -> ``["features.0", ..., "features.4", "classifier"]``.
    """
    names: list[str] = []
    for name, child in model.named_children():
        if name in expand and list(child.children()):
            names += [f"{name}.{sub}" for sub, _ in child.named_children()]
        else:
            names.append(name)
    return names


def _owner(module: str, stages: Sequence[str]) -> str | None:
    matches = [s for s in stages if module == s or module.startswith(s + ".")]
    return max(matches, key=len) if matches else None


def macs_by_stage(table: pd.DataFrame, stages: Sequence[str]) -> pd.Series:
    """Sum a :func:`count_macs` table over named parts (``"stem"``, ``"blocks.0"``...), in that order.
    Chapter 9b introduces it.

    A row belongs to the longest stage name that is its module name or a prefix of it (at a dot).
    Rows outside every stage are summed under ``"other"`` (shown only when not zero), so the
    parts always add up to the total.
    """
    owners = table["module"].map(lambda name: _owner(name, stages))
    unknown = [s for s in stages if not (owners == s).any()]
    if unknown:
        raise ValueError(f"no layer of the table belongs to {unknown}; the layers are named like "
                         f"{table['module'].head(3).tolist()}")
    sums = table.groupby(owners.fillna("other"), sort=False)["macs"].sum()
    order = [*stages, *(["other"] if sums.get("other", 0) else [])]
    return sums.reindex(order).fillna(0).astype("int64").rename("macs")
