"""Chapter 09b exercises: the multiply-adds of a convolution, of a residual block by hand, and
ResNet_minimal with a quarter of the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from helpers import macs, models
from helpers.exercises.core import Exercise, Wrong, expect_callable, expect_type
from helpers.i18n import tr

# --- q1: multiply-adds of a convolution ----------------------------------------------------------

def _macs_cases() -> list[tuple[nn.Conv2d, tuple[int, int, int, int]]]:
    return [
        (nn.Conv2d(3, 32, 3, padding=1), (1, 3, 256, 256)),              # SimpleCNN's first layer
        (nn.Conv2d(32, 64, 3, stride=2, padding=1), (2, 32, 64, 64)),    # stride 2, a batch of 2
        (nn.Conv2d(3, 8, 5, stride=2, padding=2), (1, 3, 255, 255)),     # odd size
        (nn.Conv2d(32, 64, 1, stride=2), (1, 32, 64, 64)),               # the 1x1 shortcut
        (nn.Conv2d(16, 16, 3, padding=1, groups=16), (1, 16, 10, 10)),   # depthwise: groups
        (nn.Conv2d(4, 6, (1, 3)), (3, 4, 5, 7)),                          # rectangular kernel
    ]


def solve_conv2d_macs() -> Callable[[nn.Conv2d, tuple[int, ...]], int]:
    def conv2d_macs(layer: nn.Conv2d, input_shape: tuple[int, ...]) -> int:
        n, _, h, w = input_shape
        (kh, kw), (sh, sw), (ph, pw) = layer.kernel_size, layer.stride, layer.padding
        h_out = (h - kh + 2 * ph) // sh + 1
        w_out = (w - kw + 2 * pw) // sw + 1
        outputs = n * layer.out_channels * h_out * w_out
        return outputs * (layer.in_channels // layer.groups) * kh * kw

    return conv2d_macs


def check_conv2d_macs(answer: Any) -> str:
    expect_callable(answer, "conv2d_macs")
    for layer, shape in _macs_cases():
        right = macs.total_macs(layer, shape)
        got = answer(layer, shape)
        if got == right:
            continue
        call = f"conv2d_macs({layer}, {shape})"
        n, _, h, w = shape
        kh, kw = layer.kernel_size
        per_output = layer.in_channels // layer.groups * kh * kw
        h_out, w_out = layer(torch.zeros(shape)).shape[-2:]
        if got == right * layer.groups != right:
            reason = tr("each output only sees C_in / groups input channels: divide by layer.groups")
        elif got == n * layer.out_channels * h * w * (layer.in_channels // layer.groups) * kh * kw != right:
            reason = (tr("count the OUTPUT positions ({h_out}x{w_out}), not the input's ({h}x{w}): stride "
                         "and padding change them", h_out=h_out, w_out=w_out, h=h, w=w))
        elif n > 1 and got * n == right:
            reason = tr("multiply by the batch size N = {n}: every image costs the same", n=n)
        else:
            reason = (tr("the count is output values x (C_in / groups) x K_h x K_w: here {n} x "
                         "{layer_out_channels} x {h_out} x {w_out} output values, {per_output} products "
                         "each", n=n, layer_out_channels=layer.out_channels, h_out=h_out, w_out=w_out,
                         per_output=per_output))
        shown = f"{got:,}" if isinstance(got, int | float) else repr(got)
        raise Wrong(tr("{call} returned {shown}, expected {right:,}: {reason}", call=call, shown=shown,
                       right=right, reason=reason))
    return tr("the same count as helpers.macs on all cases (stride, odd size, 1x1, groups, batch).")


q1 = Exercise(
    chapter="09b", name="q1", title="Multiply-adds of a convolution",
    checker=check_conv2d_macs, solver=solve_conv2d_macs,
    hints=["Every OUTPUT value is a dot product over a K_h x K_w window in (C_in / groups) channels.",
           "Output size with the formula of chapter 9a, section 2 (layer.kernel_size, layer.stride and "
           "layer.padding are pairs: (height, width)); then N x C_out x H_out x W_out x "
           "(C_in // layer.groups) x K_h x K_w."],
    wrong_answers=[
        lambda: lambda layer, shape: shape[0] * layer.out_channels * shape[2] * shape[3] * layer.in_channels
        * layer.kernel_size[0] * layer.kernel_size[1],
        lambda: lambda layer, shape: (layer(torch.zeros(shape)).numel() * layer.in_channels
                                      * layer.kernel_size[0] * layer.kernel_size[1]),
        lambda: lambda layer, shape: (layer(torch.zeros(shape))[0].numel() * layer.in_channels // layer.groups
                                      * layer.kernel_size[0] * layer.kernel_size[1]),
    ],
)


# --- q2: the multiply-adds of a residual block, by hand --------------------------------------------------


def solve_residual_block_macs() -> Callable[[int, int, int, int], int]:
    def residual_block_macs(cin: int, cout: int, side: int, stride: int = 1) -> int:
        """Multiply-adds of ResidualBlock(cin, cout, stride) on one cin x side x side input."""
        out = (side - 1) // stride + 1        # 3x3, padding 1, stride s (the 1x1 shortcut: the same size)
        first = out * out * cout * cin * 9    # main path, Conv 3x3 cin -> cout, stride s
        second = out * out * cout * cout * 9  # main path, Conv 3x3 cout -> cout, on the smaller map
        shortcut = out * out * cout * cin     # Conv 1x1 cin -> cout, stride s
        return first + second + shortcut

    return residual_block_macs


BLOCK_CASES = [(32, 64, 256, 1), (32, 64, 256, 2), (64, 128, 128, 2), (3, 16, 9, 2), (128, 128, 31, 1)]


def check_residual_block_macs(answer: Any) -> str:
    expect_callable(answer, "residual_block_macs")
    for cin, cout, side, stride in BLOCK_CASES:
        right = macs.total_macs(models.ResidualBlock(cin, cout, stride), (1, cin, side, side))
        got = answer(cin, cout, side, stride)
        if got == right:
            continue
        out = (side - 1) // stride + 1
        call = f"residual_block_macs({cin}, {cout}, {side}, stride={stride})"
        mistake = {name: made()(cin, cout, side, stride) for name, made in MISTAKES.items()}
        if got == mistake["no shortcut"]:
            reason = tr("you left out the shortcut: its 1x1 convolution (cin -> cout) runs at every output "
                        "position too")
        elif got == mistake["second conv at the input size"]:
            reason = tr("the second convolution runs on the block's OUTPUT map ({out}x{out}), not on its "
                        "input ({side}x{side}): the stride acts in the first one", out=out, side=side)
        elif got == mistake["3x3 shortcut"]:
            reason = tr("the shortcut is a 1x1 convolution: one product per input channel, not 9")
        else:
            reason = tr("add three convolutions at the output size {out}x{out}: 3x3 cin -> cout, 3x3 cout -> "
                        "cout and the 1x1 shortcut cin -> cout", out=out)
        shown = f"{got:,}" if isinstance(got, int | float) else repr(got)
        raise Wrong(tr("{call} returned {shown}, expected {right:,}: {reason}", call=call, shown=shown,
                       right=right, reason=reason))
    one, two = (macs.total_macs(models.ResidualBlock(32, 64, s), (1, 32, 256, 256)) for s in (1, 2))
    return tr("right on five blocks. ResidualBlock(32, 64) on a 256 px map: {one_g:.2f} GMAC at stride 1, "
              "{two_g:.2f} at stride 2 ({ratio:.0f}x less): section 3's lesson, counted by you.",
              one_g=one / 1e9, two_g=two / 1e9, ratio=one / two)


def _without_shortcut() -> Any:
    return lambda cin, cout, side, stride=1: ((side - 1) // stride + 1) ** 2 * cout * (cin * 9 + cout * 9)


def _second_at_input_size() -> Any:
    def macs_(cin: int, cout: int, side: int, stride: int = 1) -> int:
        out = (side - 1) // stride + 1
        return out * out * cout * cin * 9 + side * side * cout * cout * 9 + out * out * cout * cin

    return macs_


def _shortcut_3x3() -> Any:
    return lambda cin, cout, side, stride=1: ((side - 1) // stride + 1) ** 2 * cout * (18 * cin + 9 * cout)


MISTAKES = {"no shortcut": _without_shortcut, "second conv at the input size": _second_at_input_size,
            "3x3 shortcut": _shortcut_3x3}
"""The known wrong answers, which the check recognises to say what went wrong."""


q2 = Exercise(
    chapter="09b", name="q2", title="The multiply-adds of a residual block, by hand",
    checker=check_residual_block_macs, solver=solve_residual_block_macs,
    hints=["Three convolutions: the main path's two 3x3 and the shortcut's 1x1. All three give the block's "
           "output size, (side - 1) // stride + 1 per side (chapter 9a's formula with K = 3, P = 1).",
           "out^2 x cout x (cin x 9) + out^2 x cout x (cout x 9) + out^2 x cout x cin."],
    wrong_answers=list(MISTAKES.values()),
)


# --- q3: the same ResNet_minimal, a quarter of the work ----------------------------------------------

MINIMAL_PARAMETERS = models.REPORT_PARAMETERS["resnet_minimal"]


def solve_cheaper_resnet() -> nn.Module:
    model = models.ResNetMinimal()
    model.stem[0] = nn.Conv2d(3, 32, kernel_size=3, stride=2, padding=1)  # downsample at the entrance
    return model


def check_cheaper_resnet(answer: Any) -> str:
    expect_type(answer, nn.Module, tr("your answer"))
    reference = macs.total_macs(models.ResNetMinimal(), (1, 3, 256, 256))
    try:
        table = macs.count_macs(answer, (1, 3, 256, 256))
    except ValueError as error:
        raise Wrong(tr("your model cannot run on a (1, 3, 256, 256) image: {error}", error=error)) from None
    out_shape = table["output_shape"].iloc[-1]
    if out_shape != (1, 38):
        raise Wrong(tr("your model outputs shape {out_shape} for one 256 px image; it must give (1, 38): "
                       "one logit per class", out_shape=out_shape))
    n_params = models.count_parameters(answer)
    if n_params != MINIMAL_PARAMETERS:
        raise Wrong(tr("your model has {n_params:,} parameters, ResNet_minimal has {MINIMAL_PARAMETERS:,}: "
                       "keep the same layers and weights and change WHERE the work happens (e.g. the "
                       "stem's stride)", n_params=n_params, MINIMAL_PARAMETERS=MINIMAL_PARAMETERS))
    work = int(table["macs"].sum())
    share = work / reference
    if share > 0.30:
        raise Wrong(tr("your model does {work_g:.2f} GMAC, {share:.0%} of ResNet_minimal's "
                       "{reference_g:.2f} GMAC; aim for under 30%: if the stem halves the "
                       "image, every block works on 4x fewer pixels", work_g=work / 1e9,
                       share=share, reference_g=reference / 1e9))
    return (tr("{work_g:.2f} GMAC instead of {reference_g:.2f} ({share:.0%}) with "
               "the same {n_params:,} weights. The price: every block sees a 4x coarser image.",
               work_g=work / 1e9, reference_g=reference / 1e9, share=share,
               n_params=n_params))


q3 = Exercise(
    chapter="09b", name="q3", title="The same ResNet_minimal, a quarter of the work",
    checker=check_cheaper_resnet, solver=solve_cheaper_resnet,
    hints=["Multiply-adds of a conv layer grow with the number of output pixels. What if every block "
           "worked on a 128 px map instead of a 256 px one?",
           "A stride-2 convolution halves the side and keeps its weights. `model.stem` is "
           "Conv2d -> BatchNorm -> ReLU.",
           "`model = models.ResNetMinimal(); model.stem[0] = nn.Conv2d(3, 32, 3, stride=2, padding=1)`."],
    wrong_answers=[lambda: models.ResNetMinimal(),
                   lambda: models.ResNet(widths=(32, 64, 128), head_hidden=None),
                   lambda: models.ResNetMinimal(num_classes=10)],
)
