"""Notebook housekeeping: strip outputs before committing, and list notebooks that have them.

    python -m helpers.notebooks strip notebooks/    # remove outputs in place
    python -m helpers.notebooks check notebooks/    # exit 1 if any notebook has outputs
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def notebook_paths(folder: Path) -> list[Path]:
    """The course notebooks in a folder, in learning order."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if not p.name.startswith("."))


def has_outputs(path: Path) -> bool:
    """True when any code cell of the notebook stores outputs or an execution count."""
    cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    return any(c.get("outputs") or c.get("execution_count") for c in cells
               if c.get("cell_type") == "code")


def strip(path: Path) -> bool:
    """Remove outputs and execution counts in place; return True if the file changed."""
    text = Path(path).read_text(encoding="utf-8")
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell.get("metadata", {}).pop("execution", None)
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new != text:
        Path(path).write_text(new, encoding="utf-8")
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    """Command line: ``strip`` or ``check`` a folder of notebooks."""
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2 or args[0] not in {"strip", "check"}:
        print(__doc__)
        return 2
    paths = notebook_paths(Path(args[1]))
    if args[0] == "strip":
        changed = [p.name for p in paths if strip(p)]
        print(f"stripped {len(changed)} of {len(paths)} notebooks")
        return 0
    dirty = [p.name for p in paths if has_outputs(p)]
    if dirty:
        print("notebooks with outputs (run `make strip`):", ", ".join(dirty))
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main())
