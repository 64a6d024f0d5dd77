"""Notebook tests see every notebook as committed, stripped, even after a run saved outputs into it.

JupyterLab autosaves outputs into the notebooks a student or an instructor runs. nbval would read
them as reference outputs: a cell saved while it ran (outputs, no execution count yet) fails with
"Unrun reference cell has outputs", and a cell marked ``# NBVAL_CHECK_OUTPUT`` is compared with
whatever the last run printed. With ``--nbval-lax`` (the project's addopts), each collected cell is
stripped in memory here instead: same cells, same test names (``notebook.ipynb::Cell 3``), the file
on disk untouched, nothing extra read. Strict ``--nbval`` runs, which compare stored outputs on
purpose, are left alone. tests/test_repository.py still says which notebooks to strip before a
commit (``make strip``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

try:
    from nbval.plugin import IPyNbFile
except ImportError:  # no nbval, no notebook tests to adjust
    IPyNbFile = None


if IPyNbFile is not None:

    class StrippedNotebook(IPyNbFile):
        """nbval's notebook collector, with every cell's saved outputs and execution count cleared."""

        def collect(self) -> Iterator[pytest.Item]:
            for item in super().collect():
                item.cell.outputs, item.cell.execution_count = [], None
                yield item


def _in_french_edition(path: Path) -> bool:
    """True for a ``notebooks/fr`` folder and anything inside it."""
    return any(p.name == "fr" and p.parent.name == "notebooks" for p in (path, *path.parents))


def french_edition_skipped(path: Path, args: Sequence[str], env: Mapping[str, str]) -> bool:
    """Whether a run leaves out ``path``: the French edition is collected only when asked for.

    ``make test`` (testpaths ``tests`` and ``notebooks``) runs the English chapters; the French ones,
    whose code is proven identical (tests/test_i18n.py), run with ``make test-fr``: a command-line
    path inside ``notebooks/fr`` or ``COURSE_TEST_FR=1`` selects them.
    """
    if not _in_french_edition(Path(path).resolve()) or env.get("COURSE_TEST_FR") == "1":
        return False
    asked = (Path(str(arg).split("::")[0]).resolve() for arg in args)
    return not any(_in_french_edition(target) for target in asked)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave ``notebooks/fr`` out of runs that did not ask for it (see :func:`french_edition_skipped`)."""
    return True if french_edition_skipped(collection_path, config.args, os.environ) else None


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    """Swap nbval's collector for the stripping one in ``--nbval-lax`` runs."""
    collected = yield
    option = parent.config.option
    if IPyNbFile is None or not getattr(option, "nbval_lax", False) or getattr(option, "nbval", False):
        return collected
    return [StrippedNotebook.from_parent(parent, path=file_path) if type(node) is IPyNbFile else node
            for node in collected]


def expected_seconds(item: pytest.Item) -> float:
    """How long a chapter of the course matrix took when last measured (``docs/chapter-minutes.json``);
    0 for any other test. Full mode's dry runs are not in the table: a minute each."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "name" not in params or "path" not in params or item.get_closest_marker("course") is None:
        return 0.0
    from helpers import course

    seconds = course.load_minutes().get("settings", {}).get(params["name"], {}).get("seconds", {})
    return seconds.get(course.chapter_id(Path(params["path"])), 60.0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest chapters first in the course matrix, so two workers finish together instead of one
    running the slowest chapter alone at the end (pytest-xdist hands tests out in this order)."""
    items.sort(key=lambda item: -expected_seconds(item))  # stable: every other test keeps its place
