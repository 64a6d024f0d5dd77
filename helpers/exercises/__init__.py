"""Checked exercises: every chapter ends with exercises that answer back, offline.

In a notebook::

    from helpers.exercises import ch05 as ex

    answer = ...          # your code
    ex.q1.check(answer)   # prints ✓, or ✗ and what is wrong
    ex.q1.hint()          # a hint (run again for a more specific one)
    ex.q1.solution()      # the reference solution's code

Modules: :mod:`~helpers.exercises.core` (the :class:`Exercise` class and the ``expect_*`` checks),
:mod:`~helpers.exercises.progress` (what you passed so far, stored locally),
:mod:`~helpers.exercises.registry` (which exercises exist; ``show_progress()``),
and one module per chapter, ``chNN`` (its exercises as ``q1``, ``q2``, ...; the solutions are the
functions named ``solve_*``, executed by the test suite, which also proves that every check
rejects known wrong answers).
"""

from __future__ import annotations

from helpers.exercises.core import Exercise, Wrong
from helpers.exercises.registry import all_exercises, chapter_exercises, show_progress

__all__ = ["Exercise", "Wrong", "all_exercises", "chapter_exercises", "show_progress"]
