"""The layers of ``helpers/``: a module imports only from its own layer or the layers below.

The picture is in CONTRIBUTING.md ("Architecture"). Reading bottom up: the settings of the machine,
the data, the building blocks (models and what measures them), the training engine and the run
folder, the tasks a chapter runs (train, evaluate, predict, exercises), and on top the commands,
facades and benchmarks. A new module goes into :data:`LAYERS` (the test fails until it does);
an import that points up a layer is a sign that a function lives in the wrong module.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS: list[tuple[str, list[str]]] = [
    ("config", ["helpers", "helpers.config"]),
    ("data", ["helpers.data"]),
    ("blocks", ["helpers.models", "helpers.macs", "helpers.mixing", "helpers.transfer", "helpers.checkpoint",
                "helpers.metrics", "helpers.plots", "helpers.recipes"]),
    ("engine", ["helpers.engine", "helpers.runs", "helpers.results"]),
    ("tasks", ["helpers.train", "helpers.evaluate", "helpers.predict", "helpers.exercises"]),
    ("commands", ["helpers.batch", "helpers.crossval", "helpers.doctor", "helpers.course",
                  "helpers.notebooks", "helpers.plantvillage", "helpers.bench"]),
]
"""Lowest first; a name stands for the module and, when it is a package, everything in it (the
most specific name wins: ``helpers`` alone is the package's ``__init__``)."""


def modules(root: Path) -> dict[str, Path]:
    """Every module under ``root`` (a package folder) by dotted name; a package by its ``__init__.py``."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def layer_of(name: str, layers: list[tuple[str, list[str]]]) -> int | None:
    """The index of the layer holding module ``name`` (its longest listed prefix), None if unlisted."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            exact = name == prefix
            inside = name.startswith(prefix + ".") and prefix != "helpers"
            if (exact or inside) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules ``name`` imports (at the top or in a function), as dotted names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = next(iter(known)).split(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in known else base)
    return {target for target in targets if target == top or target.startswith(top + ".")}


def upward_imports(root: Path, layers: list[tuple[str, list[str]]]) -> list[str]:
    """``module (layer) imports module (higher layer)`` for every import pointing up, and every module
    that no layer lists."""
    known = modules(root)
    problems = []
    for name, path in known.items():
        mine = layer_of(name, layers)
        if mine is None:
            problems.append(f"{name} is in no layer: add it to LAYERS in tests/test_layers.py")
            continue
        for target in sorted(imported(name, path, known)):
            theirs = layer_of(target, layers)
            if theirs is not None and theirs > mine:
                problems.append(f"{name} ({layers[mine][0]}) imports {target} ({layers[theirs][0]})")
    return problems


def test_no_module_imports_one_above_it() -> None:
    problems = upward_imports(ROOT / "helpers", LAYERS)
    assert not problems, "imports that point up a layer (see CONTRIBUTING.md, Architecture):\n" + "\n".join(
        problems)


def test_an_upward_import_and_an_unlisted_module_are_found(tmp_path: Path) -> None:
    package = tmp_path / "helpers"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "config.py").write_text("import os\n")
    (package / "data" / "__init__.py").write_text("")
    (package / "data" / "loaders.py").write_text("from helpers import config\n\n\ndef f():\n"
                                                  "    from helpers.engine import fit\n")
    (package / "engine.py").write_text("from helpers.data.loaders import f\n")
    (package / "stray.py").write_text("")
    layers = [("config", ["helpers", "helpers.config"]), ("data", ["helpers.data"]),
              ("engine", ["helpers.engine"])]
    assert upward_imports(package, layers) == [
        "helpers.data.loaders (data) imports helpers.engine (engine)",
        "helpers.stray is in no layer: add it to LAYERS in tests/test_layers.py",
    ]
