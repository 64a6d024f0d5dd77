"""Exercises that answer back: ``q1.check(answer)``, ``q1.hint()``, ``q1.solution()``.

An :class:`Exercise` holds a *checker* (raises :class:`Wrong` with a message that names what is
wrong), a *solver* (the reference solution, run by the test suite), hints, and *known wrong
answers* (the test suite proves the checker rejects each of them, so no check can pass everything).

A check never raises in a notebook: an unfilled stub (``...``, ``None`` or a function that raises
``NotImplementedError``) prints "not answered yet", a wrong answer prints ``✗`` and the reason,
a right one prints ``✓`` and is recorded in the local progress file (:mod:`helpers.exercises.progress`).
Checks need no network and run in well under a second in every course mode.

The ``expect_*`` functions are the building blocks of checkers: each raises :class:`Wrong` with a
precise message ("expected shape (64, 10), got (64, 1)").
"""

from __future__ import annotations

import inspect
import math
import textwrap
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from helpers.exercises import progress

CORRECT, WRONG, UNANSWERED, ERROR = "correct", "wrong", "unanswered", "error"


class Wrong(Exception):
    """An answer is wrong; the message says what is wrong, in words a student can act on."""


class Unanswered(Exception):
    """The answer is still the stub (``...``, ``None``, or ``raise NotImplementedError``)."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``status`` is correct, wrong, unanswered or error."""

    exercise: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == CORRECT

    def line(self) -> str:
        """The line printed in the notebook."""
        mark = {CORRECT: "✓", WRONG: "✗", ERROR: "✗", UNANSWERED: "…"}[self.status]
        return f"{mark} {self.exercise}: {self.message}"


def _is_stub(answer: Any) -> bool:
    return answer is Ellipsis or answer is None or answer is NotImplemented


@dataclass
class Exercise:
    """One checked exercise of a chapter.

    ``checker(answer, **context)`` raises :class:`Wrong` when the answer is wrong and may return a
    short remark shown on success. ``solver(**context)`` returns a right answer.
    ``wrong_answers`` are functions ``(**context) -> answer`` that must all be rejected.
    ``context`` builds, for the test suite, the keyword arguments that the notebook passes to
    ``check`` (e.g. data the exercise works on); ``None`` when the check needs none.
    """

    chapter: str
    name: str
    title: str
    checker: Callable[..., str | None]
    solver: Callable[..., Any]
    hints: Sequence[str]
    wrong_answers: Sequence[Callable[..., Any]]
    context: Callable[[], dict[str, Any]] | None = None
    _hints_shown: int = field(default=0, repr=False)
    last: CheckResult | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """``"01.q1"``: the chapter and the exercise, as stored in the progress file."""
        return f"{self.chapter}.{self.name}"

    @property
    def label(self) -> str:
        """``"Exercise 01.q1 (Mean squared error)"``, used in every printed line."""
        return f"{self.key} ({self.title})"

    def evaluate(self, answer: Any, **context: Any) -> CheckResult:
        """Check ``answer`` without printing or recording anything."""
        if _is_stub(answer):
            return CheckResult(self.label, UNANSWERED,
                               "not answered yet: replace the `...` with your answer and run the cell "
                               f"again (`ex.{self.name}.hint()` gives a hint)")
        try:
            remark = self.checker(answer, **context)
        except Unanswered as stub:
            return CheckResult(self.label, UNANSWERED, str(stub) or "not answered yet")
        except NotImplementedError:
            return CheckResult(self.label, UNANSWERED,
                               "not answered yet: your function still raises NotImplementedError")
        except Wrong as reason:
            return CheckResult(self.label, WRONG, str(reason))
        except Exception as error:  # the student's code failed while being checked: say how
            return CheckResult(self.label, ERROR,
                               f"your answer raised {type(error).__name__}: {error}".rstrip(": "))
        return CheckResult(self.label, CORRECT, "correct!" + (f" {remark}" if remark else ""))

    def check(self, answer: Any, **context: Any) -> None:
        """Check ``answer``, print ✓ or ✗ with the reason, and record a success in the progress file."""
        result = self.evaluate(answer, **context)
        self.last = result
        print(result.line())
        if result.status != UNANSWERED:
            progress.record(self.key, passed=bool(result))

    def hint(self) -> None:
        """Print the next hint (they get more specific; the last one repeats)."""
        if not self.hints:
            print(f"{self.label}: no hint for this one; `ex.{self.name}.solution()` shows a solution")
            return
        index = min(self._hints_shown, len(self.hints) - 1)
        self._hints_shown += 1
        print(f"Hint {index + 1}/{len(self.hints)} for {self.label}: {self.hints[index]}")

    def solution(self) -> None:
        """Print the reference solution's code (try first: the check tells you what is wrong)."""
        source = textwrap.dedent(inspect.getsource(self.solver))
        print(f"A solution for {self.label}:\n\n{source}")

    def solve(self, **context: Any) -> Any:
        """Run the reference solution (used by the test suite)."""
        return self.solver(**context)


# --- Building blocks for checkers ------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, torch.Tensor) and value.numel() > 8:
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray) and value.size > 8:
        return f"an array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_number(value: Any, what: str = "your answer") -> float:
    """A Python float from a number, a one-element tensor or array; :class:`Wrong` otherwise."""
    if isinstance(value, bool):
        raise Wrong(f"{what} should be a number, not a bool ({value})")
    if isinstance(value, torch.Tensor | np.ndarray):
        count = value.size if isinstance(value, np.ndarray) else value.numel()
        if count != 1:
            raise Wrong(f"{what} should be one number, got a {type(value).__name__} of shape "
                        f"{tuple(value.shape)}")
        return float(value.item())
    if isinstance(value, int | float | np.number):
        return float(value)
    raise Wrong(f"{what} should be a number, got {type(value).__name__} {_fmt(value)}")


def expect_type(value: Any, types: Any, what: str = "your answer") -> None:
    """The answer is an instance of ``types``: a type, a tuple of types or a union (``int | float``)."""
    if not isinstance(value, types):
        members = types if isinstance(types, tuple) else typing.get_args(types) or (types,)
        names = " or ".join(getattr(t, "__name__", str(t)) for t in members)
        raise Wrong(f"{what} should be a {names}, got {type(value).__name__}")


def expect_close(value: Any, expected: float, *, rtol: float = 1e-4, atol: float = 1e-6,
                 what: str = "your answer", hint: str = "") -> float:
    """A number within ``atol + rtol * |expected|`` of ``expected``; returns it as a float."""
    number = as_number(value, what)
    if math.isnan(number) or abs(number - expected) > atol + rtol * abs(expected):
        extra = f" {hint}" if hint else ""
        raise Wrong(f"{what} is {_fmt(number)}, expected {_fmt(float(expected))}.{extra}")
    return number


def expect_equal(value: Any, expected: Any, what: str = "your answer", hint: str = "") -> None:
    """Exact equality (ints, strings, tuples, lists...)."""
    if value != expected:
        extra = f" {hint}" if hint else ""
        raise Wrong(f"{what} is {_fmt(value)}, expected {_fmt(expected)}.{extra}")


def expect_shape(tensor: Any, shape: Sequence[int], what: str = "your tensor") -> None:
    """A tensor or array of exactly this shape."""
    if not hasattr(tensor, "shape"):
        raise Wrong(f"{what} should be a tensor, got {type(tensor).__name__}")
    if tuple(tensor.shape) != tuple(shape):
        raise Wrong(f"{what}: expected shape {tuple(shape)}, got {tuple(tensor.shape)}")


def expect_dtype(tensor: Any, dtype: torch.dtype, what: str = "your tensor") -> None:
    """A tensor of this dtype."""
    expect_type(tensor, torch.Tensor, what)
    if tensor.dtype != dtype:
        raise Wrong(f"{what}: expected dtype {dtype}, got {tensor.dtype}")


def expect_allclose(tensor: Any, expected: torch.Tensor, *, rtol: float = 1e-4, atol: float = 1e-6,
                    what: str = "your tensor") -> None:
    """Same shape as ``expected`` and close element by element; names the worst element if not."""
    if isinstance(tensor, np.ndarray):
        tensor = torch.from_numpy(tensor)
    expect_type(tensor, torch.Tensor, what)
    expect_shape(tensor, expected.shape, what)
    got, want = tensor.detach().double().cpu(), expected.detach().double().cpu()
    bad = ~torch.isclose(got, want, rtol=rtol, atol=atol)
    if bad.any():
        index = tuple(int(i) for i in bad.nonzero()[0])
        raise Wrong(f"{what}: {int(bad.sum())} of {got.numel()} values differ; e.g. at {index} you have "
                    f"{got[index].item():.6g}, expected {want[index].item():.6g}")


def expect_function(function: Any, cases: Iterable[tuple[tuple, Any]], *, name: str = "your function",
                    compare: Callable[[Any, Any], bool] | None = None) -> None:
    """Call ``function(*args)`` for each ``(args, expected)`` case and compare with ``compare``
    (default: ``==``, or closeness for floats and tensors). The first failing case is named."""
    if not callable(function):
        raise Wrong(f"{name} should be a function, got {type(function).__name__}")
    for args, expected in cases:
        shown = ", ".join(_fmt(a) for a in args)
        try:
            got = function(*args)
        except (NotImplementedError, Wrong, Unanswered):
            raise
        except Exception as error:
            raise Wrong(f"{name}({shown}) raised {type(error).__name__}: {error}") from None
        if compare is not None:
            same = compare(got, expected)
        elif isinstance(expected, torch.Tensor):
            same = isinstance(got, torch.Tensor) and got.shape == expected.shape and torch.allclose(
                got.double(), expected.double(), rtol=1e-4, atol=1e-6)
        elif isinstance(expected, float):
            try:
                same = math.isclose(as_number(got), expected, rel_tol=1e-4, abs_tol=1e-6)
            except Wrong:
                same = False
        else:
            same = got == expected
        if not same:
            raise Wrong(f"{name}({shown}) returned {_fmt(got)}, expected {_fmt(expected)}")
