"""Chapter 09a exercises: output sizes, multiply-adds of a convolution, MaxPool, a cheaper ResNet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from helpers import macs, models
from helpers.exercises.core import Exercise, Wrong, expect_allclose, expect_type
from helpers.i18n import mark, tr

# --- q1: the output-size formula ---------------------------------------------------------------

SIZE_CASES = [  # (W, K, P, S): every case has a reason to be here
    (256, 3, 1, 1), (256, 3, 1, 2), (255, 3, 1, 2), (28, 5, 0, 1), (256, 5, 2, 2),
    (256, 3, 0, 2), (256, 2, 0, 2), (5, 3, 0, 1), (7, 7, 0, 1), (1, 1, 0, 1), (10, 3, 1, 3),
]


def solve_conv_output_size() -> Callable[[int, int, int, int], int]:
    def conv_output_size(w: int, k: int, p: int = 0, s: int = 1) -> int:
        return (w - k + 2 * p) // s + 1

    return conv_output_size


BUGGY_SIZES = {  # the usual mistakes, recognised when they explain every answer
    mark("you forgot the + 1 (the first position of the window counts too)"):
        lambda w, k, p, s: (w - k + 2 * p) // s,
    mark("padding P is added on BOTH sides of the image: 2 * P"): lambda w, k, p, s: (w - k + p) // s + 1,
    mark("divide by the stride S: the window moves S pixels at a time"): lambda w, k, p, s: w - k + 2 * p + 1,
}


def check_conv_output_size(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(tr("your answer should be a function conv_output_size(w, k, p, s), got "
                       "{type_answer_name}", type_answer_name=type(answer).__name__))
    got = {case: answer(*case) for case in SIZE_CASES}
    for case, value in got.items():
        if isinstance(value, float) and not value.is_integer():
            raise Wrong(tr("conv_output_size{case} returned {value}: a size is a whole number of pixels; "
                           "the formula floors the division: use // instead of /", case=case, value=value))
    wrong = [case for case in SIZE_CASES if got[case] != (case[0] - case[1] + 2 * case[2]) // case[3] + 1]
    if wrong:
        w, k, p, s = wrong[0]
        reason = next((why for why, buggy in BUGGY_SIZES.items()
                       if all(got[case] == buggy(*case) for case in SIZE_CASES)),
                      tr("the formula is floor((W - K + 2P) / S) + 1"))
        raise Wrong(tr("conv_output_size({w}, {k}, {p}, {s}) returned {got}, expected {expected}: {reason}",
                       w=w, k=k, p=p, s=s, got=got[wrong[0]], expected=(w - k + 2 * p) // s + 1,
                       reason=reason))
    return tr("right on all {len_SIZE_CASES} cases, including the odd width 255 with stride 2.",
              len_SIZE_CASES=len(SIZE_CASES))


q1 = Exercise(
    chapter="09a", name="q1", title="The output-size formula",
    checker=check_conv_output_size, solver=solve_conv_output_size,
    hints=["W_out = floor((W - K + 2P) / S) + 1.",
           "In Python the floor of a division of integers is `//`: `(w - k + 2 * p) // s + 1`."],
    wrong_answers=[lambda: lambda w, k, p=0, s=1: (w - k + 2 * p) / s + 1,
                   lambda: lambda w, k, p=0, s=1: (w - k + 2 * p) // s,
                   lambda: lambda w, k, p=0, s=1: (w - k + p) // s + 1],
)


# --- q2: multiply-adds of a convolution ----------------------------------------------------------

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
    if not callable(answer):
        raise Wrong(tr("your answer should be a function conv2d_macs(layer, input_shape), got "
                       "{type_answer_name}", type_answer_name=type(answer).__name__))
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


q2 = Exercise(
    chapter="09a", name="q2", title="Multiply-adds of a convolution",
    checker=check_conv2d_macs, solver=solve_conv2d_macs,
    hints=["Every OUTPUT value is a dot product over a K_h x K_w window in (C_in / groups) channels.",
           "Output size with the formula of section 2 (layer.kernel_size, layer.stride and layer.padding are "
           "pairs: (height, width)); then N x C_out x H_out x W_out x (C_in // layer.groups) x K_h x K_w."],
    wrong_answers=[
        lambda: lambda layer, shape: shape[0] * layer.out_channels * shape[2] * shape[3] * layer.in_channels
        * layer.kernel_size[0] * layer.kernel_size[1],
        lambda: lambda layer, shape: (layer(torch.zeros(shape)).numel() * layer.in_channels
                                      * layer.kernel_size[0] * layer.kernel_size[1]),
        lambda: lambda layer, shape: (layer(torch.zeros(shape))[0].numel() * layer.in_channels // layer.groups
                                      * layer.kernel_size[0] * layer.kernel_size[1]),
    ],
)


# --- q3: MaxPool with stride 1 ---------------------------------------------------------------------

FIG13 = torch.tensor([[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]],
                     dtype=torch.float32)


def solve_maxpool_stride1() -> torch.Tensor:
    fig13 = torch.tensor([[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]],
                         dtype=torch.float32)
    return nn.MaxPool2d(kernel_size=2, stride=1)(fig13[None, None])[0, 0]


def check_maxpool_stride1(answer: Any) -> str:
    expect_type(answer, torch.Tensor, tr("your answer"))
    if tuple(answer.shape) == (1, 1, 3, 3):
        raise Wrong(tr("your tensor has shape (1, 1, 3, 3): take the map out of its batch and channel "
                       "dimensions with [0, 0]"))
    if tuple(answer.shape) == (2, 2):
        raise Wrong(tr("your result is 2x2, which is MaxPool with stride 2 (the report's Fig 13); with "
                       "stride=1 the windows overlap: floor((4 - 2) / 1) + 1 = 3 per side"))
    expected = nn.MaxPool2d(2, stride=1)(FIG13[None, None])[0, 0]
    if tuple(answer.shape) == (3, 3) and torch.allclose(
            answer.float(), nn.AvgPool2d(2, stride=1)(FIG13[None, None])[0, 0]):
        raise Wrong(tr("these are the AVERAGES of the windows (AvgPool2d): MaxPool keeps the largest value"))
    expect_allclose(answer.float(), expected, what=tr("your pooled map"))
    return tr("the windows overlap, so 30, 70 and 37 each win two windows.")


q3 = Exercise(
    chapter="09a", name="q3", title="MaxPool with stride 1",
    checker=check_maxpool_stride1, solver=solve_maxpool_stride1,
    hints=["With stride 1 the 2x2 window moves one pixel at a time, so the windows overlap: "
           "3 positions per side.",
           "`nn.MaxPool2d(kernel_size=2, stride=1)(fig13[None, None])[0, 0]`: pooling wants (N, C, H, W)."],
    wrong_answers=[lambda: torch.tensor([[20.0, 30.0], [112.0, 37.0]]),
                   lambda: nn.AvgPool2d(2, stride=1)(FIG13[None, None])[0, 0],
                   lambda: nn.MaxPool2d(2, stride=1)(FIG13[None, None])],
)


# --- q4: the same ResNet_minimal, a quarter of the work ----------------------------------------------

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


q4 = Exercise(
    chapter="09a", name="q4", title="The same ResNet_minimal, a quarter of the work",
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
