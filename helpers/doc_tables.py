"""Tables the documentation shows, written by the commands that measure them, never by hand.

A Markdown file marks where a table goes with two comments::

    <!-- chapter-minutes:start -->
    ...written by the command...
    <!-- chapter-minutes:end -->

:func:`write_table` replaces what lies between them; :func:`shown_table` reads it back, so a test
can check that the file shows exactly what the saved measurement gives.
"""

from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The start and end comments of table ``name``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def _split(text: str, name: str, where: str) -> tuple[str, str, str]:
    start, end = markers(name)
    if start not in text or end not in text:
        raise ValueError(f"{where} lacks the markers {start} ... {end}")
    head, rest = text.split(start, 1)
    inside, tail = rest.split(end, 1)
    return head, inside, tail


def shown_table(path: Path, name: str) -> str:
    """What ``path`` shows between the markers of ``name`` (stripped)."""
    return _split(path.read_text(encoding="utf-8"), name, str(path))[1].strip()


def write_table(path: Path, name: str, table: str) -> bool:
    """Put ``table`` between the markers of ``name`` in ``path``; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    head, _, tail = _split(text, name, str(path))
    start, end = markers(name)
    new = f"{head}{start}\n{table.strip()}\n{end}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
