"""Chapter 05 exercises: a broadcast shape, nn.Linear by hand, channel-last to channel-first, a loss scale."""

from __future__ import annotations

from typing import Any

import torch

from helpers.exercises.core import Exercise, Wrong, as_number, expect_allclose, expect_callable, expect_type
from helpers.i18n import tr

# --- q1: a broadcast shape ---------------------------------------------------------------------------


def solve_broadcast_shape() -> tuple[int, ...]:
    # right-align (5, 1, 4) and (3, 1): 4 vs 1 -> 4, 1 vs 3 -> 3, 5 vs nothing -> 5
    return (5, 3, 4)


def check_broadcast_shape(answer: Any) -> str:
    if isinstance(answer, torch.Size):
        answer = tuple(answer)
    expect_type(answer, tuple | list, tr("your shape"))
    got = tuple(int(n) for n in answer)
    expected = tuple((torch.rand(5, 1, 4) * torch.rand(3, 1)).shape)
    if got == expected:
        return tr("sizes are aligned from the right; a 1 (or a missing size) stretches to match.")
    if got == (5, 1, 4) or got == (3, 4):
        raise Wrong(tr("{got} keeps one operand's shape: broadcasting stretches every size-1 (or missing) "
                       "dimension of either operand", got=got))
    if got == (5, 3, 1) or got == (3, 5, 4):
        raise Wrong(tr("{got}: align the shapes from the RIGHT: (5, 1, 4) over (_, 3, 1)", got=got))
    raise Wrong(tr("{got} is not it: write (5, 1, 4) over (_, 3, 1), right-aligned, and take the larger "
                   "size in each column", got=got))


q1 = Exercise(
    chapter="05", name="q1", title="A broadcast shape",
    checker=check_broadcast_shape, solver=solve_broadcast_shape,
    hints=["Write the shapes right-aligned: (5, 1, 4) and (_, 3, 1).",
           "Column by column: 4 vs 1, 1 vs 3, 5 vs nothing; a 1 or a missing size takes the other size."],
    wrong_answers=[lambda: (5, 1, 4), lambda: (3, 5, 4), lambda: (5, 3, 1)],
)


# --- q2: what nn.Linear computes ---------------------------------------------------------------------


def solve_linear() -> Any:
    def linear(X: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """X @ W^T + b for a batch X."""
        return X @ weight.T + bias

    return linear


def check_linear(answer: Any) -> str:
    expect_callable(answer, "linear")
    gen = torch.Generator().manual_seed(0)
    for n, fan_in, fan_out in ((4, 3, 5), (1, 2, 2), (7, 6, 1)):
        X, weight, bias = (torch.randn(n, fan_in, generator=gen), torch.randn(fan_out, fan_in, generator=gen),
                           torch.randn(fan_out, generator=gen))
        try:
            got = answer(X, weight, bias)
        except NotImplementedError:  # a RuntimeError too: the stub, not a shape mistake
            raise
        except RuntimeError as error:
            raise Wrong(tr("with X {tuple_X_shape} and weight {tuple_weight_shape} your function fails: "
                           "{error_line}. The weight is (out, in): transpose it",
                           tuple_X_shape=tuple(X.shape), tuple_weight_shape=tuple(weight.shape),
                           error_line=str(error).splitlines()[0])) from None
        expect_type(got, torch.Tensor, "linear(...)")
        if got.shape != (n, fan_out):
            raise Wrong(tr("for X {tuple_X_shape} and weight {tuple_weight_shape} your output has shape "
                           "{tuple_got_shape}, expected {n_fan_out}: the result has one row per sample and "
                           "one column per output", tuple_X_shape=tuple(X.shape),
                           tuple_weight_shape=tuple(weight.shape), tuple_got_shape=tuple(got.shape),
                           n_fan_out=(n, fan_out)))
        if torch.allclose(got, X @ weight.T, atol=1e-5):
            raise Wrong(tr("your output is X @ W^T without the bias: add b (it broadcasts over the rows)"))
        expect_allclose(got, X @ weight.T + bias, atol=1e-5, what="linear(X, weight, bias)")
    return tr("(N, in) @ (in, out) + (out,) -> (N, out): what every nn.Linear does.")


q2 = Exercise(
    chapter="05", name="q2", title="What nn.Linear computes",
    checker=check_linear, solver=solve_linear,
    hints=["(N, in) @ (in, out) gives (N, out); the weight is stored as (out, in).",
           "return X @ weight.T + bias"],
    wrong_answers=[lambda: lambda X, weight, bias: X @ weight + bias,
                   lambda: lambda X, weight, bias: X @ weight.T,
                   lambda: lambda X, weight, bias: (weight @ X.T).T],
)


# --- q3: channel-last to channel-first ---------------------------------------------------------------


def solve_channels_first() -> Any:
    def to_channels_first(batch: torch.Tensor) -> torch.Tensor:
        """(N, H, W, C) -> (N, C, H, W), the same pixels."""
        return batch.permute(0, 3, 1, 2)

    return to_channels_first


def check_channels_first(answer: Any) -> str:
    expect_callable(answer, "to_channels_first")
    batch = torch.arange(2 * 4 * 6 * 3).reshape(2, 4, 6, 3)      # N=2, H=4, W=6, C=3: every value distinct
    got = answer(batch)
    expect_type(got, torch.Tensor, "to_channels_first(batch)")
    if got.shape != (2, 3, 4, 6):
        raise Wrong(tr("for a batch of shape (N, H, W, C) = (2, 4, 6, 3) you return {tuple_got_shape}, "
                       "expected (2, 3, 4, 6): channels second, then height, then width",
                       tuple_got_shape=tuple(got.shape)))
    expected = batch.permute(0, 3, 1, 2)
    if not torch.equal(got, expected):
        n, c, h, w = (int(i) for i in (got != expected).nonzero()[0])
        raise Wrong(tr("the shape is right but the pixels moved: the input's pixel (n={n}, h={h}, w={w}, "
                       "c={c}) = {batch_n_h_w_c_item} should be at [n, c, h, w] = [{n}, {c}, {h}, {w}], "
                       "where you have {got_n_c_h_w_item}. reshape/view keep the memory order; permute "
                       "moves dimensions", n=n, h=h, w=w, c=c, batch_n_h_w_c_item=batch[n, h, w, c].item(),
                       got_n_c_h_w_item=got[n, c, h, w].item()))
    return tr("permute only changes the strides: the result is not contiguous (.contiguous() before .view).")


q3 = Exercise(
    chapter="05", name="q3", title="Channel-last to channel-first",
    checker=check_channels_first, solver=solve_channels_first,
    hints=["reshape gives any shape with the same number of elements, read in memory order: that mixes "
           "channels and pixels. You need to reorder dimensions.",
           "batch.permute(0, 3, 1, 2): dimension 0 (N) stays first, 3 (C) comes second, then 1 (H) and "
           "2 (W)."],
    wrong_answers=[lambda: lambda batch: batch.reshape(batch.shape[0], batch.shape[3], batch.shape[1],
                                                       batch.shape[2]),
                   lambda: lambda batch: batch.permute(0, 3, 2, 1),
                   lambda: lambda batch: batch.transpose(1, 3)],
)


# --- q4: the smallest loss scale ---------------------------------------------------------------------


def solve_loss_scale() -> float:
    scale = 1.0
    while torch.tensor(3e-9 * scale).half().item() == 0:
        scale *= 2
    return scale


def check_loss_scale(answer: Any) -> str:
    got = as_number(answer, tr("your scale"))
    expected = solve_loss_scale()
    if got <= 0 or torch.log2(torch.tensor(got)).item() % 1 != 0:
        raise Wrong(tr("{got:g} is not a power of two: try 2.0 ** k for k = 0, 1, 2, ...", got=got))
    if torch.tensor(3e-9 * got).half().item() == 0:
        raise Wrong(tr("with S = {got:g}, 3e-9 * S = {value:.3g} still underflows to 0 in float16 (its "
                       "smallest positive number is {value2:.3g}): take a larger power of two", got=got,
                       value=3e-9 * got, value2=2.0**-24))
    if got > expected:
        raise Wrong(tr("S = {got:g} works but is not the smallest: a smaller power of two already keeps "
                       "3e-9 above float16's underflow (the larger S, the sooner a big gradient overflows "
                       "to inf)", got=got))
    kept = torch.tensor(3e-9 * expected).half().float().item() / expected
    return (tr("S = {expected:g}: 3e-9 survives, coming back as {kept:.3g} (float16's coarse steps near "
               "its smallest numbers). Scalers start much higher (2^16) and back off on inf.",
               expected=expected, kept=kept))


q4 = Exercise(
    chapter="05", name="q4", title="The smallest loss scale",
    checker=check_loss_scale, solver=solve_loss_scale,
    hints=["Try S = 1, 2, 4, 8, ... and look at torch.tensor(3e-9 * S).half().",
           "A loop: while torch.tensor(3e-9 * S).half().item() == 0: S *= 2."],
    wrong_answers=[lambda: 8.0, lambda: 2.0**16, lambda: 3e8],
)
