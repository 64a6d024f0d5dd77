"""Checked exercises: every chapter ends with exercises that answer back, offline.

In a notebook::

    from helpers.exercises import ch05 as ex

    answer = ...          # your code
    ex.q1.check(answer)   # prints ✓, or ✗ and what is wrong
    ex.q1.hint()          # a hint (run again for a more specific one)
    ex.q1.solution()      # the reference solution's code

Modules: :mod:`~helpers.exercises.core` (the :class:`Exercise` class and the ``expect_*`` checks),
:mod:`~helpers.exercises.progress` (what you passed so far, stored locally: ``show_progress()``),
and one module per chapter, ``chNN`` (its exercises as ``q1``, ``q2``, ...; the solutions are the
functions named ``solve_*``, executed by the test suite, which also proves that every check
rejects known wrong answers).
"""

from __future__ import annotations

import importlib
import pkgutil

from helpers.exercises.core import Exercise, Wrong
from helpers.exercises.progress import show as show_progress

__all__ = ["Exercise", "Wrong", "all_exercises", "chapter_exercises", "show_progress"]


def chapter_modules() -> list[str]:
    """The chapter modules (``ch00``, ``ch01``, ..., ``ch09a``...) in learning order."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("ch"))


def chapter_exercises(module_name: str) -> list[Exercise]:
    """The exercises of one chapter module, in order (``q1``, ``q2``, ...)."""
    module = importlib.import_module(f"{__name__}.{module_name}")
    found = [value for value in vars(module).values() if isinstance(value, Exercise)]
    return sorted(found, key=lambda ex: (len(ex.name), ex.name))


def all_exercises() -> dict[str, list[Exercise]]:
    """``{"00": [...], "01": [...], ...}``: every chapter's exercises."""
    return {name.removeprefix("ch"): chapter_exercises(name) for name in chapter_modules()}
