"""Every "chapter N" and "exercise K" a notebook mentions points at something that exists.

Read: the markdown cells and the comments of the code cells of every notebook. Checked:

* "chapter N", "Chapter 9a", "chapter-8", "chapters N–M", "chapters N to M", "chapters N, M and K":
  each N is a notebook's chapter (00-16, 7a, 7b, 8a, 8b, 9a to 9d, 10a, 10b; "chapter 9" means 9a to 9d
  together, "chapter 7" 7a and 7b, "chapter 8" 8a and 8b, "chapter 10" 10a and 10b);
* "exercise K" (this notebook's), "its exercise K" (the chapter named last before it in the same cell),
  "chapter N's exercise K", and "NN.qK": chapter N has at least K exercises in ``helpers/exercises``
  (an exercise of an ambiguous "chapter 7", "chapter 8", "chapter 9" or "chapter 10" is dangling: which
  part?).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.exercises.registry import all_exercises

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
NUMBER = r"\d{1,2}[a-z]?\b"  # 8, 09a, and 9c (caught in the made-up tests below, not skipped)


def more(item: str) -> str:
    """A group matching what may follow a first item: "–M", " to M", ", M and K"."""
    return rf"((?:\s*(?:[–-]|,|,?\s+and|\s+or|\s+to)\s*{item})*)"


CHAPTER = re.compile(rf"\bchapters?[\s-]+({NUMBER}){more(NUMBER)}", re.IGNORECASE)
DIGITS = r"\d+\b"
OWNER = rf"(?:\b(?:chapter\s+({NUMBER})['’]s|(its))\s+)?"   # "chapter 11's exercise 2", "its exercise 4"
EXERCISE = re.compile(rf"{OWNER}\bexercises?\s+({DIGITS}){more(DIGITS)}", re.IGNORECASE)
SHORT = re.compile(r"\b(\d{1,2}[a-z]?)\.q(\d+)\b")
SPLIT_CHAPTERS = {"7", "8", "9", "10"}  # "chapter 9": 9a to 9d (the course spec's chapter 9); 7, 8, 10: a, b


def chapter_key(number: str) -> str:
    """"09a" -> "9a", "00" -> "0", "16" -> "16": one spelling per chapter."""
    return number.lower().lstrip("0") or "0"


def chapter_of(path: Path) -> str:
    """The chapter of a notebook file, from its name ("09c_training_deep_cnns.ipynb" -> "9c")."""
    return chapter_key(path.name.split("_")[0])


def exercise_counts() -> dict[str, int]:
    """How many exercises each chapter registers in helpers/exercises ({"0": 1, ..., "9a": 4, ...})."""
    return {chapter_key(chapter): len(found) for chapter, found in all_exercises().items()}


def listed(first: str, rest: str) -> list[str]:
    """The numbers of "N", "N–M" (N and M only) or "N, M and K"."""
    return [first, *re.findall(r"\d{1,2}[a-z]?", rest)]


def dangling(text: str, own: str, chapters: set[str], exercises: dict[str, int]) -> list[str]:
    """The references in ``text`` (a cell of chapter ``own``) that point at nothing."""
    known = chapters | SPLIT_CHAPTERS
    wrong = []
    mentions = []  # (position, chapter) of every chapter named, for "its exercise K"
    for match in CHAPTER.finditer(text):
        numbers = [chapter_key(n) for n in listed(match.group(1), match.group(2))]
        mentions += [(match.start(), n) for n in numbers]
        wrong += [f"{match.group(0)!r}: no chapter {n}" for n in numbers if n not in known]
    for match in EXERCISE.finditer(text):
        named, its, first, rest = match.groups()
        if named:
            chapter = chapter_key(named)
        elif its:
            before = [n for position, n in mentions if position < match.start()]
            chapter = before[-1] if before else own
        else:
            chapter = own
        count = exercises.get(chapter, 0)
        for number in listed(first, rest):
            if count < int(number):
                wrong.append(f"{match.group(0)!r}: chapter {chapter} has {count} exercises")
    for match in SHORT.finditer(text):
        chapter, number = chapter_key(match.group(1)), int(match.group(2))
        if exercises.get(chapter, 0) < number:
            wrong.append(f"{match.group(0)!r}: chapter {chapter} has {exercises.get(chapter, 0)} exercises")
    return wrong


def readable_text(cell: dict) -> str:
    """A markdown cell's text, or the comments of a code cell (what follows a # on each line)."""
    source = "".join(cell["source"])
    if cell["cell_type"] == "markdown":
        return source
    if cell["cell_type"] == "code":
        return "\n".join(line.split("#", 1)[1] for line in source.splitlines() if "#" in line)
    return ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_and_exercise_reference_exists(path: Path) -> None:
    chapters = {chapter_of(p) for p in NOTEBOOKS}
    exercises = exercise_counts()
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    wrong = [f"[{i}] {problem}" for i, cell in enumerate(cells)
             for problem in dangling(readable_text(cell), chapter_of(path), chapters, exercises)]
    assert not wrong, f"{path.name}: " + "; ".join(wrong)


CHAPTERS = {"0", "1", "6", "8", "9a", "9b", "10a", "10b", "11", "12", "16"}
EXERCISES = {"0": 1, "6": 3, "8": 3, "9a": 4, "9b": 4, "11": 4, "12": 3, "16": 3}


@pytest.mark.parametrize("text", [
    "Chapter 17 trains a transformer.",                        # no such chapter
    "as chapter 9c showed",
    "chapters 10–18 use the engine",                           # the end of a range
    "chapters 8, 11 and 20",                                   # the last of a list
    "the `nn.L1Loss` exercise: exercise 4.",                   # chapter 6 has 3
    "chapter 7's exercise 4",                                  # 7a or 7b?
    "BatchNorm removes it (chapter 9b, its exercise 5).",      # 9b has 4
    "chapter 11's exercise 7",
    "chapter 9's exercise 2",                                  # 9a or 9b?
    "chapter 10's exercise 1",                                 # 10a or 10b?
    "chapter 10c",                                             # 10 has two parts, a and b
    "# see 16.q4 for the answer",
    "exercises 2 and 4",                                       # chapter 6 has 3
])
def test_a_made_up_dangling_reference_is_caught(text: str) -> None:
    assert dangling(text, "6", CHAPTERS, EXERCISES), text


@pytest.mark.parametrize("text", [
    "Chapter 10 builds the leaf split; chapters 11–12 and chapter 16 use it.",
    "chapters 8 to 12, the chapter-8 MLP, chapter 9 (9a and 9b)",
    "BatchNorm removes it (chapter 9b measured it, its exercise 4).",
    "exercise 3, and chapter 11's exercise 4, and 9a.q4",
    "**Exercise 1. Your environment.**",
])
def test_references_that_exist_pass(text: str) -> None:
    assert dangling(text, "6", CHAPTERS, EXERCISES) == []


def test_code_cells_are_read_only_in_their_comments() -> None:
    cell = {"cell_type": "code", "source": ["chapter_17 = 1\n", "x = 2  # as in chapter 17\n"]}
    assert readable_text(cell) == " as in chapter 17"
    assert dangling(readable_text(cell), "6", CHAPTERS, EXERCISES)
