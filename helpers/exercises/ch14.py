"""Chapter 14 exercises: multiply-adds per block, how often a strided convolution reads each position,
SmallResNet with stride 2."""

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


# --- q2: how often a strided convolution reads each position ----------------------------------------------


def solve_coverage() -> Any:
    def coverage(kernel: int, stride: int, padding: int, size: int) -> torch.Tensor:
        """How many output windows of Conv2d(kernel, stride, padding) read each position of a size x size
        map."""
        out = (size + 2 * padding - kernel) // stride + 1        # output positions per row
        rows = torch.zeros(size, dtype=torch.long)
        for i in range(out):                     # output row i reads input rows start .. start + kernel - 1
            start = i * stride - padding
            rows[max(start, 0):min(start + kernel, size)] += 1    # rows outside the map are padding
        return rows[:, None] * rows[None, :]     # a window: a range of rows times a range of columns

    return coverage


COVERAGE_CASES = [(1, 2, 0, 8), (3, 2, 1, 8), (3, 1, 1, 6), (2, 2, 0, 8), (3, 2, 1, 7), (5, 2, 2, 9),
                  (3, 2, 0, 9)]   # (kernel, stride, padding, size)


def read_counts(kernel: int, stride: int, padding: int, size: int) -> torch.Tensor:
    """The truth, by autograd: with every weight 1, the gradient of the sum of a convolution's outputs counts,
    for each input position, the output windows that read it."""
    conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, bias=False)
    nn.init.ones_(conv.weight)
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    conv(x).sum().backward()
    return x.grad[0, 0].round().long()


def _coverage_hint(answer: torch.Tensor, kernel: int, stride: int, padding: int, size: int) -> str:
    """What a wrong coverage map most likely forgot."""
    if stride > 1 and torch.equal(answer, read_counts(kernel, 1, padding, size)):
        return tr(" That is the coverage at stride 1: output windows start every {stride} positions.",
                  stride=stride)
    if padding and torch.equal(answer, _unpadded(kernel, stride, padding, size)):
        return tr(" Output window i starts at i * stride - padding: the first rows it covers are padding, "
                  "not the map.")
    if len(torch.unique(answer)) == 1:
        return tr(" The coverage is not the same everywhere: count window by window.")
    return ""


def check_coverage(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(tr("give the function itself (coverage, not coverage(...)); got {type_answer_name}",
                       type_answer_name=type(answer).__name__))
    for case in COVERAGE_CASES:
        shown, expected = f"coverage{case}", read_counts(*case)
        try:
            got = torch.as_tensor(answer(*case))
        except (TypeError, ValueError, RuntimeError) as error:
            said = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise Wrong(tr("{shown} should return a tensor of counts: {error_line}", shown=shown,
                           error_line=said)) from None
        if tuple(got.shape) != tuple(expected.shape):
            raise Wrong(tr("{shown} has shape {shape}, expected {expected_shape}: one count per position of "
                           "the input map", shown=shown, shape=tuple(got.shape),
                           expected_shape=tuple(expected.shape)))
        if torch.equal(got.double(), expected.double()):
            continue
        raise Wrong(tr("{shown}: your first row is {got_row}, the convolution reads it {expected_row} times "
                       "(arguments: kernel, stride, padding, size).{hint}", shown=shown,
                       got_row=got[0].tolist(), expected_row=expected[0].tolist(),
                       hint=_coverage_hint(got.long(), *case)))
    counts, shortcut = read_counts(3, 2, 1, 8), read_counts(1, 2, 0, 8)
    return tr("Kernel 3, stride 2, padding 1 on an 8 x 8 map: {once} positions are read once, {twice} twice "
              "and {four} four times, the positions between the centres count most. The 1 x 1 shortcut "
              "reads {read} of the {total} positions and never the others.", once=int((counts == 1).sum()),
              twice=int((counts == 2).sum()), four=int((counts == 4).sum()), read=int((shortcut > 0).sum()),
              total=shortcut.numel())


def _unpadded(kernel: int, stride: int, padding: int, size: int) -> torch.Tensor:
    """Coverage with the windows starting at i * stride (the padding forgotten in the start)."""
    out = (size + 2 * padding - kernel) // stride + 1
    rows = torch.zeros(size, dtype=torch.long)
    for i in range(out):
        rows[min(i * stride, size):min(i * stride + kernel, size)] += 1
    return rows[:, None] * rows[None, :]


def _at_stride_1() -> Any:
    return lambda kernel, stride, padding, size: read_counts(kernel, 1, padding, size)


def _uniform() -> Any:
    return lambda kernel, stride, padding, size: torch.full((size, size), (kernel / stride) ** 2)


q2 = Exercise(
    chapter="14", name="q2", title="How often each position is read",
    checker=check_coverage, solver=solve_coverage,
    hints=["Output window i (along one axis) reads the input rows i * stride - padding up to "
           "i * stride - padding + kernel - 1; rows below 0 or above size - 1 are padding.",
           "Count, for each input row, how many output rows read it (a vector of length size); the 2-D "
           "coverage is that vector times itself as a column (an outer product)."],
    wrong_answers=[_at_stride_1, lambda: (lambda k, s, p, size: _unpadded(k, s, p, size)), _uniform],
)


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
