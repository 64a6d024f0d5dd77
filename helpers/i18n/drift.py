"""Keep the French notebooks (``notebooks/fr/NAME.ipynb``) in step with the English ones.

The format (shared with the translators): each French notebook has the English one's cells, in the
same order and of the same types; every French cell stores ``metadata["i18n"]["en_sha"]``, the
:func:`cell_hash` of the English cell it translates. Markdown is translated; code cells are the
English code with only the ``#`` comments translated.

:func:`drift` lists every difference that matters (a :class:`Finding` names the chapter, the cell
and what is wrong); :func:`update_code` copies the English code cells into the French notebooks
without touching their prose. ``python -m helpers.i18n status`` and ``update-code`` run them.
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

FRENCH_FOLDER = "fr"

# Kinds of findings, as printed.
STALE = "stale translation"            # the English cell changed after its translation was made
CODE_DIFFERS = "code differs"          # the French code is not the English code (comments aside)
METADATA_DIFFERS = "metadata differs"  # a code cell's metadata (e.g. nbval tags) differs
MISSING_CELL = "missing cell"          # an English cell has no French twin
EXTRA_CELL = "extra cell"              # a French cell has no English twin
TYPE_MISMATCH = "cell type differs"
NO_HASH = "no en_sha"                  # a French cell does not say which English cell it translates
MISSING_NOTEBOOK = "missing French notebook"
EXTRA_NOTEBOOK = "French notebook without an English one"


@dataclass(frozen=True)
class Finding:
    """One difference between an English chapter and its French twin."""

    chapter: str          # the notebook's file name, e.g. "05_tensors.ipynb"
    kind: str             # one of the kinds above
    en_index: int | None  # the English cell's index in the notebook (0-based), when there is one
    fr_index: int | None  # the French cell's index, when there is one
    detail: str = ""

    def __str__(self) -> str:
        where = []
        if self.en_index is not None:
            where.append(f"English cell {self.en_index}")
        if self.fr_index is not None:
            where.append(f"French cell {self.fr_index}")
        place = f" ({', '.join(where)})" if where else ""
        return f"{self.chapter}{place}: {self.kind}" + (f": {self.detail}" if self.detail else "")


def source_text(cell: Any) -> str:
    """A cell's source as one string (notebooks may store it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def cell_hash(source: str | Any) -> str:
    """The first 16 hex digits of the SHA-256 of a cell's source (a string, or a cell)."""
    text = source if isinstance(source, str) else source_text(source)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def stored_hash(cell: Any) -> str | None:
    """The ``en_sha`` a French cell stores, or None."""
    info = cell.get("metadata", {}).get("i18n", {})
    return info.get("en_sha") if isinstance(info, dict) else None


def code_fingerprint(code: str) -> str:
    """What must be identical between a code cell and its translation: the parsed code, comments aside.

    IPython magics and shell lines (``%time``, ``!pip``, ``%%capture``) are not Python: they are kept
    verbatim and the rest is parsed. Code that does not parse is compared line by line, comments kept.
    """
    magics, python = [], []
    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            magics.append(line.rstrip())
            python.append(line[: len(line) - len(stripped)] + "pass")
        else:
            python.append(line)
    try:
        tree = ast.dump(ast.parse("\n".join(python)))
    except SyntaxError:
        tree = "unparsed:" + "\n".join(line.rstrip() for line in code.splitlines())
    return json.dumps({"magics": magics, "ast": tree})


def _without_i18n(metadata: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metadata.items() if key != "i18n"}


def _load(path: Path) -> Any:
    return nbformat.read(path, as_version=4)


def _aligned(en_cells: list[Any], fr_cells: list[Any]) -> list[tuple[int | None, int | None]]:
    """Pairs (English index, French index) in order, None where one side has no cell.

    Cells are matched by the English hash the French cell stores, so an English cell inserted or
    removed shows up as one missing or extra cell, not as every later cell being stale; cells whose
    hash changed in the same place are paired with each other.
    """
    en_keys = [cell_hash(c) for c in en_cells]
    fr_keys = [stored_hash(c) or f"?{i}" for i, c in enumerate(fr_cells)]
    pairs: list[tuple[int | None, int | None]] = []
    matcher = difflib.SequenceMatcher(a=en_keys, b=fr_keys, autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        common = min(i2 - i1, j2 - j1)
        pairs += [(i1 + k, j1 + k) for k in range(common)]
        pairs += [(i, None) for i in range(i1 + common, i2)]
        pairs += [(None, j) for j in range(j1 + common, j2)]
    return pairs


def _compare_cells(chapter: str, en_index: int, en: Any, fr_index: int, fr: Any) -> list[Finding]:
    """What is wrong between a pair of cells (none when the translation is up to date)."""
    found = []
    if en.cell_type != fr.cell_type:
        return [Finding(chapter, TYPE_MISMATCH, en_index, fr_index,
                        f"English {en.cell_type}, French {fr.cell_type}")]
    have, want = stored_hash(fr), cell_hash(en)
    if have is None:
        found.append(Finding(chapter, NO_HASH, en_index, fr_index, f"expected en_sha {want}"))
    elif have != want:
        what = "markdown" if en.cell_type == "markdown" else f"{en.cell_type} (its comments may be stale)"
        found.append(Finding(chapter, STALE, en_index, fr_index,
                             f"the English {what} changed after its translation (en_sha {have}, now {want})"))
    if en.cell_type == "code":
        if code_fingerprint(source_text(en)) != code_fingerprint(source_text(fr)):
            found.append(Finding(chapter, CODE_DIFFERS, en_index, fr_index,
                                 "the French code is not the English code (only comments may differ)"))
        en_meta, fr_meta = _without_i18n(en.metadata), _without_i18n(fr.metadata)
        if en_meta != fr_meta:
            found.append(Finding(chapter, METADATA_DIFFERS, en_index, fr_index,
                                 f"English {en_meta}, French {fr_meta}"))
    return found


def notebook_drift(en_path: Path, fr_path: Path) -> list[Finding]:
    """Every finding between one English notebook and its French twin."""
    chapter = en_path.name
    if not fr_path.exists():
        return [Finding(chapter, MISSING_NOTEBOOK, None, None, f"{fr_path} does not exist")]
    en_cells, fr_cells = _load(en_path).cells, _load(fr_path).cells
    found = []
    for i, j in _aligned(en_cells, fr_cells):
        if j is None:
            found.append(Finding(chapter, MISSING_CELL, i, None,
                                 f"the English {en_cells[i].cell_type} cell has no French twin"))
        elif i is None:
            found.append(Finding(chapter, EXTRA_CELL, None, j,
                                 f"the French {fr_cells[j].cell_type} cell has no English twin"))
        else:
            found += _compare_cells(chapter, i, en_cells[i], j, fr_cells[j])
    return found


def english_notebooks(notebooks_dir: Path) -> list[Path]:
    """The English chapters: ``*.ipynb`` directly in ``notebooks_dir``, in order."""
    return sorted(p for p in Path(notebooks_dir).glob("*.ipynb") if not p.name.startswith("."))


def pairs(notebooks_dir: Path) -> list[tuple[Path, Path]]:
    """(English notebook, its French twin's path) for every English chapter; the twin may not exist yet."""
    french = Path(notebooks_dir) / FRENCH_FOLDER
    return [(path, french / path.name) for path in english_notebooks(notebooks_dir)]


def drift(notebooks_dir: Path) -> list[Finding]:
    """Every finding between the English chapters in ``notebooks_dir`` and ``notebooks_dir/fr``."""
    notebooks_dir = Path(notebooks_dir)
    found = []
    for en_path, fr_path in pairs(notebooks_dir):
        found += notebook_drift(en_path, fr_path)
    english = {p.name for p in english_notebooks(notebooks_dir)}
    for orphan in english_notebooks(notebooks_dir / FRENCH_FOLDER):
        if orphan.name not in english:
            found.append(Finding(orphan.name, EXTRA_NOTEBOOK, None, None,
                                 f"no {notebooks_dir / orphan.name}"))
    return found


def _french_code_cell(en: Any) -> Any:
    """The French twin of an English code cell before any comment is translated: the same cell, hashed."""
    cell = copy.deepcopy(en)
    cell.metadata["i18n"] = {"en_sha": cell_hash(en)}
    cell.outputs, cell.execution_count = [], None
    return cell


def update_notebook_code(en_path: Path, fr_path: Path) -> int:
    """Bring the French notebook's code cells in step with the English; returns how many cells changed.

    A code cell whose English source changed (its ``en_sha`` differs) or whose code differs is replaced
    by the English cell (comments in English until translated) with a fresh ``en_sha``; an English code
    cell with no French twin is inserted in its place; a French code cell with no English twin is
    removed. Markdown cells are never touched (``status`` lists those to translate).
    """
    if not fr_path.exists():
        return 0
    en_nb, fr_nb = _load(en_path), _load(fr_path)
    en_cells, cells, changed = en_nb.cells, [], 0
    for i, j in _aligned(en_cells, fr_nb.cells):
        en = en_cells[i] if i is not None else None
        fr = fr_nb.cells[j] if j is not None else None
        if fr is None:
            if en.cell_type == "code":
                cells.append(_french_code_cell(en))
                changed += 1
        elif en is None:
            if fr.cell_type == "code":
                changed += 1
            else:
                cells.append(fr)
        elif en.cell_type == "code" and (fr.cell_type != "code"
                                         or _compare_cells(en_path.name, i, en, j, fr)):
            if fr.cell_type != "code":
                cells.append(fr)  # a markdown cell stays: status reports the mismatch
            cells.append(_french_code_cell(en))
            changed += 1
        else:
            cells.append(fr)
    if changed:
        fr_nb.cells = cells
        nbformat.write(fr_nb, fr_path)
    return changed


def update_code(notebooks_dir: Path) -> dict[str, int]:
    """:func:`update_notebook_code` for every chapter with a French twin: ``{chapter: cells changed}``."""
    changed = {en.name: update_notebook_code(en, fr) for en, fr in pairs(Path(notebooks_dir))}
    return {name: count for name, count in changed.items() if count}
