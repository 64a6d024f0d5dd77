"""The notebook count the README and chapter 00 state, and the README's chapter table, follow the folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTER_GLOB = "[0-9][0-9]*_*.ipynb"  # 00_start_here ... 09a_cnn_layers, 09b_..., 16_wrap_up


def chapter_notebooks() -> list[str]:
    """The chapter prefixes of the notebooks in notebooks/ ("00", ..., "09a", "09b", ..., "16")."""
    return sorted(p.name.split("_")[0] for p in (ROOT / "notebooks").glob(CHAPTER_GLOB))


def readme_table_chapters(readme: str) -> list[str]:
    """The "#" column of the README's chapter table, ranges such as "11–15" written out."""
    table = readme.split("## The chapters", 1)[1].split("\n## ", 1)[0]
    found: list[str] = []
    for first, last in re.findall(r"^\| (\d\d[a-z]?)(?:[–-](\d\d))? \|", table, flags=re.MULTILINE):
        if last:
            found += [f"{n:02d}" for n in range(int(first), int(last) + 1)]
        else:
            found.append(first)
    return found


def test_the_folder_holds_the_chapters_09a_and_09b_included() -> None:
    chapters = chapter_notebooks()
    assert {"00", "09a", "09b", "16"} <= set(chapters)
    assert len(chapters) == len(set(chapters)), "two notebooks share a chapter number"


def test_readme_states_the_number_of_notebooks_in_the_folder() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"in (\d+) Jupyter notebooks", readme)
    assert stated, "README's first paragraph says how many notebooks the course has"
    assert int(stated.group(1)) == len(chapter_notebooks())


def test_readme_chapter_table_lists_every_notebook_and_no_other() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table_chapters(readme) == chapter_notebooks()


def test_chapter_00_summary_states_the_number_of_notebooks_in_the_folder() -> None:
    cells = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    stated = re.search(r"The course is (\d+) notebooks", text)
    assert stated, "chapter 00's summary says how many notebooks the course has"
    assert int(stated.group(1)) == len(chapter_notebooks())


def test_the_table_reader_expands_ranges_and_would_notice_a_missing_row() -> None:
    readme = ("## The chapters\n\n| # | notebook |\n|---|---|\n| 00 | a |\n| 09a | b |\n| 11–13 | c |\n"
              "\n## Next\n| 99 | x |\n")
    assert readme_table_chapters(readme) == ["00", "09a", "11", "12", "13"]
    assert readme_table_chapters(readme) != chapter_notebooks()
