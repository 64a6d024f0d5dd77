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

from collections.abc import Iterator

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


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    """Swap nbval's collector for the stripping one in ``--nbval-lax`` runs."""
    collected = yield
    option = parent.config.option
    if IPyNbFile is None or not getattr(option, "nbval_lax", False) or getattr(option, "nbval", False):
        return collected
    return [StrippedNotebook.from_parent(parent, path=file_path) if type(node) is IPyNbFile else node
            for node in collected]
