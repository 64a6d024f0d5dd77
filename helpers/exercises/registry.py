"""Which exercises exist: one module per chapter (``ch00``, ``ch01``, ..., ``ch09a``...), and the
progress table built from them and the local progress file."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pandas as pd

from helpers.exercises import progress
from helpers.exercises.core import Exercise


def chapter_modules() -> list[str]:
    """The chapter modules (``ch00``, ``ch01``, ..., ``ch09a``...) in learning order."""
    found = pkgutil.iter_modules([str(Path(__file__).parent)])
    return sorted(m.name for m in found if m.name.startswith("ch"))


def chapter_exercises(module_name: str) -> list[Exercise]:
    """The exercises of one chapter module, in order (``q1``, ``q2``, ...)."""
    module = importlib.import_module(f"helpers.exercises.{module_name}")
    found = [value for value in vars(module).values() if isinstance(value, Exercise)]
    return sorted(found, key=lambda ex: (len(ex.name), ex.name))


def all_exercises() -> dict[str, list[Exercise]]:
    """``{"00": [...], "01": [...], ...}``: every chapter's exercises."""
    return {name.removeprefix("ch"): chapter_exercises(name) for name in chapter_modules()}


def table() -> pd.DataFrame:
    """One row per chapter: exercises passed, exercises in total, and which ones are done."""
    stored = progress.load()
    rows = []
    for chapter, exercises in all_exercises().items():
        done = [ex.name for ex in exercises if stored.get(ex.key, {}).get("passed")]
        rows.append({"chapter": chapter, "passed": len(done), "total": len(exercises),
                     "done": ", ".join(done) or "-"})
    return pd.DataFrame(rows, columns=["chapter", "passed", "total", "done"])


def show_progress() -> pd.DataFrame:
    """Print a one-line summary and return :func:`table` (a notebook shows it as a table)."""
    frame = table()
    print(f"{int(frame['passed'].sum())} of {int(frame['total'].sum())} exercises passed so far "
          f"(stored in {progress.progress_file()})")
    return frame
