"""Every English message the course shows a student at run time, and those without a translation yet.

Messages are found in the source, not by running it: the first argument of each ``tr(...)`` and
``mark(...)`` call in the ``helpers`` package (it must be a plain string literal, so that it can be a
catalogue key), plus the titles and hints of every exercise (shown through ``tr`` by
:class:`helpers.exercises.core.Exercise`).
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

from helpers.i18n import catalogue

PACKAGE = Path(__file__).resolve().parents[1]
MARKERS = ("tr", "mark")


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in MARKERS]


def source_messages(package: Path = PACKAGE) -> dict[str, str]:
    """``{English message: "helpers/x.py:LINE"}`` for every ``tr``/``mark`` call in ``package``.

    Raises ValueError naming the place of a call whose first argument is not a string literal
    (an f-string or a variable cannot be looked up in a catalogue).
    """
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        if path.parent.name == "i18n":
            continue
        for call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(package.parent)}:{call.lineno}"
            first = call.args[0] if call.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                raise ValueError(f"{where}: {call.func.id}() needs a string literal (a catalogue key), "
                                 f"got {ast.unparse(first) if first else 'nothing'}")
            found.setdefault(first.value, where)
    return found


def exercise_messages() -> dict[str, str]:
    """``{title or hint: "exercise 01.q1"}`` for every exercise of the course."""
    from helpers.exercises.registry import all_exercises

    found: dict[str, str] = {}
    for exercises in all_exercises().values():
        for exercise in exercises:
            for text in (exercise.title, *exercise.hints):
                found.setdefault(text, f"exercise {exercise.key}")
    return found


def all_messages() -> dict[str, str]:
    """Every English message a student can meet, with where it is defined."""
    return {**exercise_messages(), **source_messages()}


def untranslated(lang: str = "fr") -> dict[str, str]:
    """The messages with no ``lang`` version yet: ``{English message: where}``."""
    table = catalogue(lang)
    return {text: where for text, where in all_messages().items() if text not in table}


def fields(template: str) -> set[str]:
    """The named fields of a format template (``"{got:.4g} of {n}"`` -> ``{"got", "n"}``)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:  # not a template (a hint with a lone brace): no fields
        return set()


def catalogue_problems(lang: str = "fr") -> list[str]:
    """Entries of the ``lang`` catalogue that cannot work: fields that differ from the English
    template's, surrounding spaces not kept, or keys no code uses any more."""
    problems, known = [], all_messages()
    for english, translated in catalogue(lang).items():
        if english not in known:
            problems.append(f"not used by the code any more: {english!r}")
            continue
        if fields(english) != fields(translated):
            problems.append(f"fields {sorted(fields(translated))} instead of {sorted(fields(english))}: "
                            f"{english!r}")
        for side, strip in (("leading", str.lstrip), ("trailing", str.rstrip)):
            if (english != strip(english)) != (translated != strip(translated)):
                problems.append(f"{side} space not kept: {english!r} -> {translated!r}")
    return problems
