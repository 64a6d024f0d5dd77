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
from helpers.i18n import mark, tr, translate_text

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
        """``"01.q1 (Mean squared error)"``, used in every printed line (title in the course's language)."""
        return f"{self.key} ({translate_text(self.title)})"

    def evaluate(self, answer: Any, **context: Any) -> CheckResult:
        """Check ``answer`` without printing or recording anything."""
        if _is_stub(answer):
            return CheckResult(self.label, UNANSWERED,
                               tr("not answered yet: replace the `...` with your answer and run the cell "
                                  "again (`ex.{name}.hint()` gives a hint)", name=self.name))
        try:
            remark = self.checker(answer, **context)
        except Unanswered as stub:
            return CheckResult(self.label, UNANSWERED, str(stub) or tr("not answered yet"))
        except NotImplementedError:
            return CheckResult(self.label, UNANSWERED,
                               tr("not answered yet: your function still raises NotImplementedError"))
        except Wrong as reason:
            return CheckResult(self.label, WRONG, str(reason))
        except Exception as error:  # the student's code failed while being checked: say how
            message = tr("your answer raised {error_type}: {error}", error_type=type(error).__name__,
                         error=error)
            return CheckResult(self.label, ERROR, message.rstrip(": "))
        return CheckResult(self.label, CORRECT, tr("correct!") + (f" {remark}" if remark else ""))

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
            print(tr("{label}: no hint for this one; `ex.{name}.solution()` shows a solution",
                     label=self.label, name=self.name))
            return
        index = min(self._hints_shown, len(self.hints) - 1)
        self._hints_shown += 1
        print(tr("Hint {number}/{total} for {label}: {hint}", number=index + 1, total=len(self.hints),
                 label=self.label, hint=self.hints[index]))

    def solution(self) -> None:
        """Print the reference solution's code (try first: the check tells you what is wrong)."""
        source = textwrap.dedent(inspect.getsource(self.solver))
        print(tr("A solution for {label}:\n\n{source}", label=self.label, source=source))

    def solve(self, **context: Any) -> Any:
        """Run the reference solution (used by the test suite)."""
        return self.solver(**context)


# --- Building blocks for checkers ------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, torch.Tensor) and value.numel() > 8:
        return tr("a tensor of shape {shape}", shape=tuple(value.shape))
    if isinstance(value, np.ndarray) and value.size > 8:
        return tr("an array of shape {shape}", shape=value.shape)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_number(value: Any, what: str = mark("your answer")) -> float:
    """A Python float from a number, a one-element tensor or array; :class:`Wrong` otherwise."""
    if isinstance(value, bool):
        raise Wrong(tr("{what} should be a number, not a bool ({value})", what=what, value=value))
    if isinstance(value, torch.Tensor | np.ndarray):
        count = value.size if isinstance(value, np.ndarray) else value.numel()
        if count != 1:
            raise Wrong(tr("{what} should be one number, got a {kind} of shape {shape}",
                           what=what, kind=type(value).__name__, shape=tuple(value.shape)))
        return float(value.item())
    if isinstance(value, int | float | np.number):
        return float(value)
    raise Wrong(tr("{what} should be a number, got {kind} {value}", what=what, kind=type(value).__name__,
                   value=_fmt(value)))


def expect_type(value: Any, types: Any, what: str = mark("your answer")) -> None:
    """The answer is an instance of ``types``: a type, a tuple of types or a union (``int | float``)."""
    if not isinstance(value, types):
        members = types if isinstance(types, tuple) else typing.get_args(types) or (types,)
        names = tr(" or ").join(getattr(t, "__name__", str(t)) for t in members)
        raise Wrong(tr("{what} should be a {names}, got {kind}", what=what, names=names,
                       kind=type(value).__name__))


def expect_callable(answer: Any, name: str, called: str = "") -> None:
    """The answer is the function itself, not what calling it returned: ``name`` is the function the
    notebook asks for, ``called`` (optional) how the mistake looks, e.g. ``"make_optimizer(model)"``."""
    if callable(answer):
        return
    kind = type(answer).__name__
    if called:
        raise Wrong(tr("give the function itself ({name}, not {called}); got {kind}", name=name,
                       called=called, kind=kind))
    raise Wrong(tr("give the function itself ({name}), got {kind}", name=name, kind=kind))


def expect_close(value: Any, expected: float, *, rtol: float = 1e-4, atol: float = 1e-6,
                 what: str = mark("your answer"), hint: str = "") -> float:
    """A number within ``atol + rtol * |expected|`` of ``expected``; returns it as a float."""
    number = as_number(value, what)
    if math.isnan(number) or abs(number - expected) > atol + rtol * abs(expected):
        extra = f" {hint}" if hint else ""
        raise Wrong(tr("{what} is {value}, expected {expected}.{extra}", what=what, value=_fmt(number),
                       expected=_fmt(float(expected)), extra=extra))
    return number


def expect_equal(value: Any, expected: Any, what: str = mark("your answer"), hint: str = "") -> None:
    """Exact equality (ints, strings, tuples, lists...)."""
    if value != expected:
        extra = f" {hint}" if hint else ""
        raise Wrong(tr("{what} is {value}, expected {expected}.{extra}", what=what, value=_fmt(value),
                       expected=_fmt(expected), extra=extra))


def expect_shape(tensor: Any, shape: Sequence[int], what: str = mark("your tensor")) -> None:
    """A tensor or array of exactly this shape."""
    if not hasattr(tensor, "shape"):
        raise Wrong(tr("{what} should be a tensor, got {kind}", what=what, kind=type(tensor).__name__))
    if tuple(tensor.shape) != tuple(shape):
        raise Wrong(tr("{what}: expected shape {expected}, got {shape}", what=what, expected=tuple(shape),
                       shape=tuple(tensor.shape)))


def expect_dtype(tensor: Any, dtype: torch.dtype, what: str = mark("your tensor")) -> None:
    """A tensor of this dtype."""
    expect_type(tensor, torch.Tensor, what)
    if tensor.dtype != dtype:
        raise Wrong(tr("{what}: expected dtype {dtype}, got {got}", what=what, dtype=dtype, got=tensor.dtype))


def expect_allclose(tensor: Any, expected: torch.Tensor, *, rtol: float = 1e-4, atol: float = 1e-6,
                    what: str = mark("your tensor")) -> None:
    """Same shape as ``expected`` and close element by element; names the worst element if not."""
    if isinstance(tensor, np.ndarray):
        tensor = torch.from_numpy(tensor)
    expect_type(tensor, torch.Tensor, what)
    expect_shape(tensor, expected.shape, what)
    got, want = tensor.detach().double().cpu(), expected.detach().double().cpu()
    bad = ~torch.isclose(got, want, rtol=rtol, atol=atol)
    if bad.any():
        index = tuple(int(i) for i in bad.nonzero()[0])
        raise Wrong(tr("{what}: {bad} of {total} values differ; e.g. at {index} you have {got:.6g}, "
                       "expected {expected:.6g}", what=what, bad=int(bad.sum()), total=got.numel(),
                       index=index, got=got[index].item(), expected=want[index].item()))


def expect_function(function: Any, cases: Iterable[tuple[tuple, Any]], *, name: str = mark("your function"),
                    compare: Callable[[Any, Any], bool] | None = None) -> None:
    """Call ``function(*args)`` for each ``(args, expected)`` case and compare with ``compare``
    (default: ``==``, or closeness for floats and tensors). The first failing case is named."""
    if not callable(function):
        raise Wrong(tr("{name} should be a function, got {kind}", name=name, kind=type(function).__name__))
    for args, expected in cases:
        shown = ", ".join(_fmt(a) for a in args)
        try:
            got = function(*args)
        except (NotImplementedError, Wrong, Unanswered):
            raise
        except Exception as error:
            raise Wrong(tr("{name}({shown}) raised {kind}: {error}", name=name, shown=shown,
                           kind=type(error).__name__, error=error)) from None
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
            raise Wrong(tr("{name}({shown}) returned {got}, expected {expected}", name=name, shown=shown,
                           got=_fmt(got), expected=_fmt(expected)))
