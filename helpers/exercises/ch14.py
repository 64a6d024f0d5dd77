"""Chapter 14 exercises: what each network's last block sees, how often a strided convolution reads each
position, SmallResNet with stride 2."""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd
import torch
from torch import nn

from helpers import macs, models
from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable
from helpers.i18n import tr

NAMES = ("resnet_maxpool", "resnet_stride")


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


# --- q1: what each network's last block sees ----------------------------------------------------------------


def solve_receptive_field() -> Any:
    def receptive_field(layers: list[tuple[int, int]]) -> int:
        """Side of the input square one output unit depends on, for (kernel, stride) layers in order."""
        size, jump = 1, 1
        for kernel, stride in layers:
            size += (kernel - 1) * jump    # the layer widens the field by kernel - 1 steps of jump px
            jump *= stride                 # then its stride spaces its own units further apart
        return size

    return receptive_field


def main_path(name: str) -> list[tuple[int, int]]:
    """(kernel, stride) of the layers an image meets on the widest path of a ResNet, up to its last block:
    the stem's convolution, each ResidualBlock's two 3 x 3 convolutions (its 1 x 1 shortcut sees less), and
    the MaxPools."""
    model = _meta_model(name)
    layers = [(3, 1)]
    for layer in model.blocks:
        if isinstance(layer, models.ResidualBlock):
            layers += [(3, layer.main[0].stride[0]), (3, 1)]
        elif isinstance(layer, nn.MaxPool2d):
            layers.append((layer.kernel_size, layer.stride))
    return layers


def measured_field(layers: list[tuple[int, int]]) -> int:
    """The truth, by autograd: the span of input rows on which one output unit of the chain depends (one
    channel, every weight 1, no padding, so that the first unit's field starts at row 0)."""
    chain = nn.Sequential(*(nn.Conv2d(1, 1, k, stride=s, bias=False) for k, s in layers))
    for conv in chain:
        nn.init.ones_(conv.weight)
    side = solve_receptive_field()(layers) + 8
    x = torch.ones(1, 1, side, side, requires_grad=True)
    chain(x)[0, 0, 0, 0].backward()
    rows = torch.nonzero(x.grad[0, 0, :, 0]).flatten()
    return int(rows.max() - rows.min() + 1)      # the span: a 1 x 1 stride-2 layer leaves gaps inside it


FIELD_CASES = [[(3, 1)], [(3, 1), (3, 1)], [(3, 1), (2, 2), (3, 1)], [(5, 2), (3, 1), (3, 2)],
               [(1, 2), (3, 1)], [(3, 2), (3, 2), (3, 2)]]


def check_receptive_field(answer: Any) -> str:
    expect_callable(answer, "receptive_field", "receptive_field(...)")
    for layers in FIELD_CASES + [main_path(name) for name in NAMES]:
        shown, expected = f"receptive_field({layers})", measured_field(layers)
        got = as_number(answer(list(layers)), shown)
        if got == expected:
            continue
        if got == 1 + sum(k - 1 for k, _ in layers):
            hint = tr(" You added kernel - 1 for every layer: after a stride, one step of a kernel spans "
                      "several input pixels (the jump).")
        else:
            hint = ""
        raise Wrong(tr("{shown} returned {number:g}; one output unit of that chain depends on {expected} x "
                       "{expected} input pixels (measured with autograd).{hint}", shown=shown, number=got,
                       expected=expected, hint=hint))
    pool, stride = (measured_field(main_path(name)) for name in NAMES)
    return tr("The last block sees {stride} x {stride} pixels in ResNet_stride, {pool} x {pool} in "
              "ResNet_maxpool: both end on 16 x 16 maps with the same weights, but the stride-2 network's "
              "second convolution of each block already runs at the halved resolution, where each step spans "
              "twice as many pixels. "
              "A quarter of the work and a wider view.", stride=stride, pool=pool)


def _kernels_only() -> Any:
    return lambda layers: 1 + sum(k - 1 for k, _ in layers)


def _jump_first() -> Any:
    def wrong(layers: list[tuple[int, int]]) -> int:
        size, jump = 1, 1
        for kernel, stride in layers:
            jump *= stride                 # the stride applied before the layer's own widening
            size += (kernel - 1) * jump
        return size

    return wrong


q1 = Exercise(
    chapter="14", name="q1", title="What each network's last block sees",
    checker=check_receptive_field, solver=solve_receptive_field,
    hints=["Chapter 12's rule: start with size 1 and jump 1; each layer adds (kernel - 1) x jump to the "
           "size, then multiplies the jump by its stride.",
           "A MaxPool2d(2) is the pair (2, 2); a stride-2 3 x 3 convolution is (3, 2)."],
    wrong_answers=[_kernels_only, _jump_first, lambda: (lambda layers: len(layers))],
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
    expect_callable(answer, "coverage", "coverage(...)")
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
