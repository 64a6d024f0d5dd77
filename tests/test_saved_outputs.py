"""After a real course run: notebooks that JupyterLab saved with outputs are still tested, as committed.

The project's conftest.py strips each notebook in memory before nbval runs it. This test runs
nbval (with the project's pytest options) in a subprocess on a small notebook saved the way
JupyterLab saves it, once without that conftest.py (nbval trips on the saved outputs) and once
with it (the same cells pass, and a cell that really fails still fails).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from helpers.notebooks import has_outputs

ROOT = Path(__file__).resolve().parent.parent


def _ran_notebook(cells: list[tuple[str, int | None, list]]) -> nbformat.NotebookNode:
    """A notebook as JupyterLab saves it after a run: (source, execution count, outputs) per cell."""
    nb = new_notebook(cells=[new_code_cell(source, execution_count=count, outputs=outputs)
                             for source, count, outputs in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _write_course(folder: Path, with_conftest: bool) -> Path:
    """A course folder: the project's conftest.py (or none) and a run notebook in notebooks/."""
    notebooks = folder / "notebooks"
    notebooks.mkdir(parents=True)
    if with_conftest:
        shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
    stream = new_output("stream", name="stdout", text="3\n")  # a stale output from an older run
    nbformat.write(_ran_notebook([
        ("x = 1 + 1\nprint(x)", None, [stream]),                        # autosaved while it ran
        ("# NBVAL_CHECK_OUTPUT\nprint(x)", 2, [stream]),                # output of an older x
        ("assert x == 2", 3, [new_output("error", ename="AssertionError", evalue="", traceback=[])]),
        ("assert x == 3, 'a real failure'", None, []),
    ]), notebooks / "01_run.ipynb")
    return notebooks / "01_run.ipynb"


def test_notebooks_saved_with_outputs_are_tested_as_if_stripped(tmp_path: Path) -> None:
    """One pytest run with the project's options over two copies: with and without conftest.py."""
    plain = _write_course(tmp_path / "plain", with_conftest=False)
    stripped = _write_course(tmp_path / "stripped", with_conftest=True)
    assert has_outputs(stripped)
    before = stripped.read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
         "-rA", "-q", str(plain), str(stripped)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    result = re.compile(r"^(PASSED|FAILED|ERROR) (\w+/notebooks/01_run\.ipynb::Cell \d)", flags=re.MULTILINE)
    outcomes = {m[2]: m[1] for m in result.finditer(done.stdout)}
    assert len(outcomes) == 8, done.stdout[-3000:] + done.stderr[-3000:]
    # nbval alone trips on what the run saved: "Unrun reference cell has outputs", then the stale "3".
    assert outcomes["plain/notebooks/01_run.ipynb::Cell 0"] == "FAILED"
    assert outcomes["plain/notebooks/01_run.ipynb::Cell 1"] == "FAILED"
    # Through conftest.py the same cells pass, and a real failure still fails.
    assert [outcomes[f"stripped/notebooks/01_run.ipynb::Cell {i}"] for i in range(4)] == \
        ["PASSED", "PASSED", "PASSED", "FAILED"]
    assert "a real failure" in done.stdout
    assert stripped.read_bytes() == before, "the notebook on disk is untouched"
