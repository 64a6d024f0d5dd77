"""Chapter 09a exercises: the output-size formula, MaxPool with stride 1, a convolution by hand with stride
and padding."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from helpers.exercises.core import Exercise, Wrong, expect_allclose, expect_callable, expect_type
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
    expect_callable(answer, "conv_output_size")
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


# --- q2: MaxPool with stride 1 ---------------------------------------------------------------------

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


q2 = Exercise(
    chapter="09a", name="q2", title="MaxPool with stride 1",
    checker=check_maxpool_stride1, solver=solve_maxpool_stride1,
    hints=["With stride 1 the 2x2 window moves one pixel at a time, so the windows overlap: "
           "3 positions per side.",
           "`nn.MaxPool2d(kernel_size=2, stride=1)(fig13[None, None])[0, 0]`: pooling wants (N, C, H, W)."],
    wrong_answers=[lambda: torch.tensor([[20.0, 30.0], [112.0, 37.0]]),
                   lambda: nn.AvgPool2d(2, stride=1)(FIG13[None, None])[0, 0],
                   lambda: nn.MaxPool2d(2, stride=1)(FIG13[None, None])],
)


# --- q3: a convolution by hand, with stride and padding --------------------------------------------------


def solve_strided_conv2d() -> Callable[..., torch.Tensor]:
    def strided_conv2d(image: torch.Tensor, kernel: torch.Tensor, stride: int = 1,
                       padding: int = 0) -> torch.Tensor:
        """Cross-correlation of a 2-D image with a 2-D kernel, as F.conv2d computes it (no kernel flip)."""
        padded = torch.nn.functional.pad(image, (padding, padding, padding, padding))  # zeros on all 4 sides
        k_h, k_w = kernel.shape
        h_out = (padded.shape[0] - k_h) // stride + 1
        w_out = (padded.shape[1] - k_w) // stride + 1
        out = torch.zeros(h_out, w_out)
        for i in range(h_out):
            for j in range(w_out):
                window = padded[i * stride: i * stride + k_h, j * stride: j * stride + k_w]
                out[i, j] = (window * kernel).sum()
        return out

    return strided_conv2d


def _by_hand_cases() -> list[tuple[torch.Tensor, torch.Tensor, int, int]]:
    """Each case has a reason: plain; stride 2 with padding on an odd side; a 2x2 kernel; a lopsided kernel,
    so that a flipped kernel shows; padding 2 with a 5x5 kernel on a rectangle."""
    gen = torch.Generator().manual_seed(9)
    image = torch.randint(0, 10, (7, 6), generator=gen).float()
    lopsided = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0], [-2.0, 0.0, 1.0]])
    return [(image[:5, :5], torch.ones(3, 3), 1, 0),
            (image, lopsided, 2, 1),
            (image[:6, :6], torch.tensor([[1.0, -1.0], [2.0, 0.5]]), 2, 0),
            (image, lopsided, 1, 1),
            (image[:5], torch.randint(-2, 3, (5, 5), generator=gen).float(), 1, 2)]


def check_strided_conv2d(answer: Any) -> str:
    expect_callable(answer, "strided_conv2d")
    for image, kernel, stride, padding in _by_hand_cases():
        expected = torch.nn.functional.conv2d(image[None, None], kernel[None, None], stride=stride,
                                              padding=padding)[0, 0]
        sizes = f"<{image.shape[0]}x{image.shape[1]} image>, <{kernel.shape[0]}x{kernel.shape[1]} kernel>"
        call = f"strided_conv2d({sizes}, stride={stride}, padding={padding})"
        got = answer(image.clone(), kernel.clone(), stride, padding)
        expect_type(got, torch.Tensor, call)
        if tuple(got.shape) != tuple(expected.shape):
            raise Wrong(tr("{call} has shape {shape}, expected {expected}: the output-size formula of "
                           "section 2, floor((W - K + 2P) / S) + 1 per side", call=call,
                           shape=tuple(got.shape), expected=tuple(expected.shape)))
        if torch.allclose(got.float(), expected, atol=1e-4):
            continue
        if torch.allclose(got.float(), _flipped()(image, kernel, stride, padding), atol=1e-4):
            raise Wrong(tr("{call}: you flipped the kernel (the convolution of a maths course). PyTorch, "
                           "like every deep learning library, slides the kernel as it is (a "
                           "cross-correlation, section 1)", call=call))
        raise Wrong(tr("{call} differs from F.conv2d (largest difference {gap:.3g}). Pad with zeros on every "
                       "side first, then take the window at (i * stride, j * stride)", call=call,
                       gap=(got.float() - expected).abs().max().item()))
    return tr("the same as F.conv2d on five cases (stride 2 on an odd side, a 2x2 kernel, padding 2). "
              "F.conv2d does the same sums, batched over images and channels, in optimised code.")


def _no_padding() -> Any:
    def conv(image: torch.Tensor, kernel: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
        return torch.nn.functional.conv2d(image[None, None], kernel[None, None], stride=stride)[0, 0]

    return conv


def _flipped() -> Any:
    def conv(image: torch.Tensor, kernel: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
        return torch.nn.functional.conv2d(image[None, None], kernel.flip(0, 1)[None, None], stride=stride,
                                          padding=padding)[0, 0]

    return conv


def _padded_one_side() -> Any:
    def conv(image: torch.Tensor, kernel: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
        padded = torch.nn.functional.pad(image, (0, 2 * padding, 0, 2 * padding))   # all zeros at the end
        return torch.nn.functional.conv2d(padded[None, None], kernel[None, None], stride=stride)[0, 0]

    return conv


q3 = Exercise(
    chapter="09a", name="q3", title="A convolution by hand, with stride and padding",
    checker=check_strided_conv2d, solver=solve_strided_conv2d,
    hints=["`torch.nn.functional.pad(image, (p, p, p, p))` adds p rows or columns of zeros on each side; "
           "then the output size is floor((W + 2P - K) / S) + 1 per side.",
           "Output (i, j) is `(padded[i*s : i*s + K, j*s : j*s + K] * kernel).sum()`: section 1's loop, with "
           "the window moving by the stride."],
    wrong_answers=[_no_padding, _flipped, _padded_one_side],
)
