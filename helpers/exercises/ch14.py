"""Chapter 14 exercises: multiply-adds per block, a convolution's cost by hand, SmallResNet with stride 2."""

from __future__ import annotations

import functools
import math
from typing import Any

import pandas as pd
import torch
from torch import nn

from helpers import macs, models
from helpers.exercises.core import Exercise, Unanswered, Wrong, as_number
from helpers.i18n import tr

NAMES = ("resnet_maxpool", "resnet_stride")

# --- q1: where do the multiply-adds go? -------------------------------------------------------------------


def solve_block_macs() -> dict[str, list[int]]:
    answer = {}
    for name in ("resnet_maxpool", "resnet_stride"):
        model = models.build_model(name)
        table = macs.count_macs(model, (1, 3, 256, 256))
        blocks = [f"blocks.{i}" for i, layer in enumerate(model.blocks)
                  if isinstance(layer, models.ResidualBlock)]
        answer[name] = macs.macs_by_stage(table, blocks)[blocks].tolist()
    return answer


def _meta_model(name: str, **kwargs: Any) -> nn.Module:
    """A registered model without weights (shapes only): built at once, counted by helpers.macs at once."""
    with torch.device("meta"):
        return models.build_model(name, **kwargs)


def _stages(name: str) -> pd.Series:
    """Multiply-adds of the stem, of each part of `blocks` and of the head, for one 256 px image."""
    return _count_stages(name).copy()


@functools.cache
def _count_stages(name: str) -> pd.Series:
    model = _meta_model(name)
    table = macs.count_macs(model, (1, 3, 256, 256))
    return macs.macs_by_stage(table, macs.stage_names(model, expand=("blocks",)))


def _residual_stages(name: str) -> pd.Series:
    model = _meta_model(name)
    return _stages(name)[[f"blocks.{i}" for i, layer in enumerate(model.blocks)
                          if isinstance(layer, models.ResidualBlock)]]


def check_block_macs(answer: Any) -> str:
    if not isinstance(answer, dict) or set(answer) != set(NAMES):
        raise Wrong(tr("give a dictionary with the keys {list_NAMES}, each with a list of 4 numbers; got "
                       "{value}", list_NAMES=list(NAMES),
                       value=list(answer) if isinstance(answer, dict) else type(answer).__name__))
    if any(value is Ellipsis for value in answer.values()):
        raise Unanswered(tr("not answered yet: replace each ... with a list of four multiply-add counts"))
    expected = {name: _residual_stages(name) for name in NAMES}
    for name in NAMES:
        if not isinstance(answer[name], list | tuple | pd.Series):
            raise Wrong(tr("answer['{name}'] should be a list of 4 numbers, got {got_type}",
                           name=name, got_type=type(answer[name]).__name__))
        got = list(answer[name])
        if len(got) == 8:
            raise Wrong(tr("answer['{name}'] has 8 numbers: blocks.1, 3, 5 and 7 of the MaxPool network "
                           "are the MaxPool layers (0 multiply-adds); keep the four ResidualBlocks",
                           name=name))
        if len(got) != 4:
            raise Wrong(tr("answer['{name}'] should hold 4 numbers, one per residual block; it has "
                           "{len_got}", name=name, len_got=len(got)))
        for k, (value, right) in enumerate(zip(got, expected[name], strict=True), start=1):
            number = as_number(value, tr("block {k} of {name}", k=k, name=name))
            if math.isclose(number, right / 1e9, rel_tol=1e-2):
                raise Wrong(tr("block {k} of {name}: {number:.3g} is in billions (G); give the count "
                               "itself, {right:,}", k=k, name=name, number=number, right=right))
            if not math.isclose(number, right, rel_tol=1e-2):
                other = NAMES[1 - NAMES.index(name)]
                swapped = math.isclose(number, expected[other].iloc[k - 1], rel_tol=1e-2)
                hint = (tr(" That is block {k} of {other}: the two lists are swapped.", k=k, other=other)
                        if swapped else "")
                raise Wrong(tr("block {k} of {name}: you have {number:,.0f}, helpers.macs counts "
                               "{right:,}.{hint}", k=k, name=name, number=number, right=right, hint=hint))
    pool, stride = expected["resnet_maxpool"], expected["resnet_stride"]
    share = stride.iloc[-1] / _stages("resnet_stride").sum()
    return (tr("every block costs the same within a network ({first_block_g:.2f} G with "
               "MaxPool, {value:.2f} G with stride 2): each block has a quarter of the positions of the "
               "one before and 2 x 2 = 4 times the work per position (twice the input and twice the output "
               "channels). No block dominates: the last is {share:.0%} of the stride-2 network. MaxPool's "
               "blocks are each {value2:.1f}x dearer because they run at twice the side.",
               first_block_g=pool.iloc[0] / 1e9, value=stride.iloc[0] / 1e9, share=share,
               value2=pool.iloc[0] / stride.iloc[0]))


q1 = Exercise(
    chapter="14", name="q1", title="Multiply-adds per block",
    checker=check_block_macs, solver=solve_block_macs,
    hints=["table = macs.count_macs(models.build_model(name), (1, 3, 256, 256)) has one row per layer; "
           "macs.macs_by_stage(table, stages) sums it over the parts you name.",
           "The ResidualBlocks are blocks.0, 1, 2, 3 in the stride-2 network but blocks.0, 2, 4, 6 in the "
           "MaxPool one (a MaxPool2d follows each block): name those four, then .tolist()."],
    wrong_answers=[lambda: {name: _stages(name)[[s for s in _stages(name).index if s.startswith("blocks")]]
                            .tolist() for name in NAMES},                   # the MaxPools counted too
                   lambda: {name: (_residual_stages(name) / 1e9).tolist() for name in NAMES},   # in G
                   lambda: {"resnet_maxpool": _residual_stages("resnet_stride").tolist(),
                            "resnet_stride": _residual_stages("resnet_maxpool").tolist()}],
)


# --- q2: a convolution's multiply-adds by hand -------------------------------------------------------------


def solve_conv_macs() -> Any:
    def conv_macs(cin: int, cout: int, kernel: int, size: int, stride: int = 1, padding: int = 0) -> int:
        """Multiply-adds of Conv2d(cin, cout, kernel, stride, padding) on one size x size image."""
        out = (size + 2 * padding - kernel) // stride + 1   # the output side, rounded down
        return out * out * cout * cin * kernel * kernel   # each output value: a kernel x kernel x cin window

    return conv_macs


CONV_CASES = [(3, 32, 3, 256, 1, 1), (32, 64, 3, 256, 2, 1), (32, 64, 1, 256, 2, 0), (64, 64, 3, 255, 2, 1),
              (16, 8, 5, 7, 1, 0), (8, 8, 3, 1, 1, 1)]


def _counted(cin: int, cout: int, kernel: int, size: int, stride: int, padding: int) -> int:
    return macs.total_macs(nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding), (1, cin, size, size))


def check_conv_macs(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(tr("give the function itself (conv_macs, not conv_macs(...)); got {type_answer_name}",
                       type_answer_name=type(answer).__name__))
    for case in CONV_CASES:
        shown = f"conv_macs{case}"
        number, expected = as_number(answer(*case), shown), _counted(*case)
        if number == expected:
            continue
        cin, cout, kernel, size, stride, padding = case
        exact_side = (size + 2 * padding - kernel) / stride + 1
        if exact_side % 1 and math.isclose(number, exact_side**2 * cout * cin * kernel**2, rel_tol=1e-9):
            hint = tr(" The output side is {exact_side:g} only before rounding down: use // for the "
                      "division.", exact_side=exact_side)
        elif stride > 1 and math.isclose(number, expected * stride**2, rel_tol=1e-2):
            hint = (tr(" You forgot the stride: it divides the output side by {stride}, the positions by "
                       "{stride_2}.", stride=stride, stride_2=stride**2))
        elif math.isclose(number, size * size * cout * cin * kernel**2):
            hint = tr(" You used the input side; count the positions of the OUTPUT map.")
        elif cin > 1 and math.isclose(number, expected / cin):
            hint = tr(" Each output value sums over all input channels: multiply by cin.")
        else:
            hint = ""
        raise Wrong(tr("{shown} returned {number:,.0f}, helpers.macs counts {expected:,} (the arguments "
                       "are cin, cout, kernel, size, stride, padding).{hint}", shown=shown, number=number,
                       expected=expected, hint=hint))
    return (tr("output side² x cout x cin x kernel²: the stride-2 convolution of block 1 does a quarter of "
               "the work of the same convolution at stride 1."))


q2 = Exercise(
    chapter="14", name="q2", title="A convolution's cost by hand",
    checker=check_conv_macs, solver=solve_conv_macs,
    hints=["The output side is (size + 2 * padding - kernel) // stride + 1 (PyTorch rounds down).",
           "Each of the out x out x cout output values is a dot product over a kernel x kernel window in "
           "every one of the cin input channels."],
    wrong_answers=[lambda: _input_side, lambda: _no_rounding, lambda: _no_cin],
)


def _input_side(cin: int, cout: int, k: int, size: int, s: int = 1, p: int = 0) -> int:
    return size * size * cout * cin * k * k                       # the input's positions, not the output's


def _no_rounding(cin: int, cout: int, k: int, size: int, s: int = 1, p: int = 0) -> float:
    return ((size + 2 * p - k) / s + 1) ** 2 * cout * cin * k * k  # / instead of //


def _no_cin(cin: int, cout: int, k: int, size: int, s: int = 1, p: int = 0) -> int:
    return ((size + 2 * p - k) // s + 1) ** 2 * cout * k * k       # the input channels forgotten


# --- q3: SmallResNet with stride-2 blocks ---------------------------------------------------------------


def solve_small_resnet_stride2() -> Any:
    def small_resnet_stride2() -> nn.Module:
        """SmallResNet with each (ResidualBlock, MaxPool2d(2)) pair replaced by one stride-2 ResidualBlock."""
        net = models.SmallResNet()
        net.blocks = nn.Sequential(models.ResidualBlock(32, 64, stride=2),
                                   models.ResidualBlock(64, 128, stride=2),
                                   models.ResidualBlock(128, 256, stride=2),
                                   models.ResidualBlock(256, 512))
        return net

    return small_resnet_stride2


def _small_resnet_variant(strides: tuple[int, ...], pools: bool) -> nn.Module:
    """SmallResNet whose blocks have these strides, with or without the MaxPools after the first three."""
    net = models.SmallResNet()
    layers: list[nn.Module] = []
    for i, ((cin, cout), stride) in enumerate(zip(((32, 64), (64, 128), (128, 256), (256, 512)), strides,
                                                  strict=True)):
        layers.append(models.ResidualBlock(cin, cout, stride=stride))
        if pools and i < 3:
            layers.append(nn.MaxPool2d(2))
    net.blocks = nn.Sequential(*layers)
    return net


def check_small_resnet_stride2(answer: Any) -> str:
    if not callable(answer) or isinstance(answer, nn.Module):
        raise Wrong(tr("give the function that builds the network (small_resnet_stride2, not "
                       "small_resnet_stride2())"))
    with torch.device("meta"):             # shapes only: built at once, and helpers.macs needs nothing more
        model = answer()
    if not isinstance(model, nn.Module):
        raise Wrong(tr("small_resnet_stride2() should return an nn.Module, got {type_model_name}",
                       type_model_name=type(model).__name__))
    params, reference = models.count_parameters(model), models.REPORT_PARAMETERS["small_resnet"]
    if params != reference:
        raise Wrong(tr("your network has {params:,} parameters, SmallResNet {reference:,}: a stride "
                       "changes where a convolution moves, not its weights; keep the same layers",
                       params=params, reference=reference))
    try:
        table = macs.count_macs(model, (1, 3, 256, 256))
    except ValueError as error:
        raise Wrong(tr("your network fails on a 256 px image: {error_line}",
                       error_line=str(error).splitlines()[0])) from None
    shape = table["output_shape"].iloc[-1]
    if shape != (1, 38):
        raise Wrong(tr("your network returns shape {shape} for one image, expected (1, 38)", shape=shape))
    convs = table[table["type"] == "Conv2d"]
    side = convs["output_shape"].iloc[-1][-1]
    if side != 16:
        pools = int((table["type"] == "MaxPool2d").sum())
        hint = (tr(" With stride 2 inside a block, the MaxPool after it halves the image a second "
                   "time.")
                if side < 16 and pools > 1 else
                tr(" SmallResNet has no MaxPool after block 4, so block 4 keeps stride 1.")
                if side == 8 else "")
        raise Wrong(tr("at 256 px your last block works on {side} x {side} maps, SmallResNet's on 16 x 16: "
                       "the same downsampling should happen, only inside the blocks.{hint}", side=side,
                       hint=hint))
    total, before = int(table["macs"].sum()), int(_stages("small_resnet").sum())
    if total > 0.6 * before:
        raise Wrong(tr("your network does {total_g:.2f} G multiply-adds per 256 px image, "
                       "SmallResNet {before_g:.2f} G: its first three blocks should run at half "
                       "the side (stride 2 in their first convolution and shortcut) instead of being "
                       "followed by a MaxPool", total_g=total / 1e9,
                       before_g=before / 1e9))
    names = [n for n, m in model.named_modules() if isinstance(m, models.ResidualBlock)]
    per_block = ""
    if len(names) == 4:
        costs = macs.macs_by_stage(table, names)[names] / 1e9
        shown = ", ".join(f"{c:.3f}" for c in costs)
        per_block = (tr(" The four blocks now cost {shown} G: block 4, with no MaxPool to replace, is "
                        "{value:.0%} of the total.", shown=shown, value=costs.iloc[3] * 1e9 / total))
    return (tr("{total_g:.2f} G multiply-adds per 256 px image instead of "
               "{before_g:.2f} G ({before_total:.1f}x fewer), same {params:,} parameters, same "
               "16 x 16 maps at the end.{per_block}", total_g=total / 1e9,
               before_g=before / 1e9, before_total=before / total, params=params,
               per_block=per_block))


q3 = Exercise(
    chapter="14", name="q3", title="SmallResNet with stride 2",
    checker=check_small_resnet_stride2, solver=solve_small_resnet_stride2,
    hints=["Start from models.SmallResNet() and replace its `blocks`: in SmallResNet three ResidualBlocks "
           "are each followed by a MaxPool2d(2); block 4 is not.",
           "net.blocks = nn.Sequential(ResidualBlock(32, 64, stride=2), ResidualBlock(64, 128, stride=2), "
           "ResidualBlock(128, 256, stride=2), ResidualBlock(256, 512))."],
    wrong_answers=[lambda: models.SmallResNet,
                   lambda: lambda: _small_resnet_variant((2, 2, 2, 1), pools=True),
                   lambda: lambda: _small_resnet_variant((2, 2, 2, 2), pools=False)],
)
