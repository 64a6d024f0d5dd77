"""The shape of ``helpers/``: no function grows past :data:`MAX_LINES` lines (issue 18).

A long function is split into named steps (``engine.fit`` reads as prepare -> resume -> each
epoch: train, validate, record, checkpoint, stop?). The count runs from the first decorator to
the last line, docstring included, as a reader scrolls it.
"""

from __future__ import annotations

import ast
from pathlib import Path

HELPERS = Path(__file__).resolve().parent.parent / "helpers"
MAX_LINES = 80


def long_functions(root: Path = HELPERS, limit: int = MAX_LINES) -> list[str]:
    """``path:line name (N lines)`` of every function or method under ``root`` longer than ``limit``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
                lines = node.end_lineno - start + 1
                if lines > limit:
                    found.append(f"{path.relative_to(root.parent)}:{start} {node.name} ({lines} lines)")
    return found


def test_no_function_in_helpers_is_over_80_lines() -> None:
    found = long_functions()
    assert not found, (f"{len(found)} function(s) over {MAX_LINES} lines; split each into named steps:\n"
                       + "\n".join(found))


def test_the_count_finds_a_long_function(tmp_path: Path) -> None:
    package = tmp_path / "helpers"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    (package / "long.py").write_text(f"import functools\n\n\n@functools.cache\ndef grown() -> None:\n{body}\n"
                                     f"\n\ndef short() -> int:\n    return 1\n")
    assert long_functions(package) == [f"helpers/long.py:4 grown ({MAX_LINES + 2} lines)"]
