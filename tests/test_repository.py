"""Repository hygiene: environment files in sync, notebooks stripped and in order, CI = README."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from helpers.notebooks import has_outputs, notebook_paths, strip

ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PIP = {"pytorch": "torch"}
CONDA_ONLY = {"python", "pip"}


def _split(spec: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    assert match, spec
    return match.group(1).lower(), match.group(2).replace(" ", "")


def _pip_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(_split(s) for s in specs)


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for item in env["dependencies"]:
        if isinstance(item, str):
            name, bound = _split(item)
            if name not in CONDA_ONLY:
                out[CONDA_TO_PIP.get(name, name)] = bound
    return out


def test_environment_yml_and_pyproject_list_the_same_packages_and_bounds() -> None:
    pip, conda = _pip_requirements(), _conda_requirements()
    assert set(pip) == set(conda), f"only pip: {set(pip) - set(conda)}, only conda: {set(conda) - set(pip)}"
    assert pip == conda
    required = {"torch", "torchvision", "torchinfo", "matplotlib", "seaborn", "pandas", "numpy",
                "jupyterlab", "nbval", "tqdm", "pytest"}
    assert required <= set(pip)


def test_the_site_extra_is_in_dev_and_so_in_environment_yml() -> None:
    """make site installs the dev extra (tests/test_site.py builds the site), so the site extra must be in it;
    dev and environment.yml are kept equal above."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["site"], "the site extra lists the website's packages"
    assert set(extras["site"]) <= set(extras["dev"]), set(extras["site"]) - set(extras["dev"])


def test_versions_are_bounded_not_pinned() -> None:
    for name, bound in _pip_requirements().items():
        assert bound.startswith(">="), f"{name} needs a lower bound, got {bound!r}"
        assert "==" not in bound, f"{name} is pinned exactly"


def test_environment_yml_installs_the_helpers_package() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert "-e ." in pip_section


def test_committed_notebooks_have_no_outputs() -> None:
    paths = notebook_paths(ROOT / "notebooks")
    assert paths, "the course has notebooks"
    dirty = [p.name for p in paths if has_outputs(p)]
    assert not dirty, (
        f"{len(dirty)} notebook(s) hold outputs, as JupyterLab saves them after a run: {', '.join(dirty)}. "
        "Notebooks are committed without outputs: run `make strip` (or "
        "`.venv/bin/python -m helpers.notebooks strip notebooks`) before committing. The notebook tests "
        "themselves ignore saved outputs (conftest.py), so only this check minds them.")


NOTEBOOK_NAME = re.compile(r"(?P<number>\d{2})(?P<part>[a-z]?)_[a-z0-9_]+\.ipynb")


def numbering_problems(names: list[str]) -> list[str]:
    """What is wrong with a list of notebook names: chapters 00, 01, ... in order, without gaps; a chapter
    split in parts is 09a, 09b, ... (consecutive letters, no plain 09 beside them); every prefix unique."""
    problems, parts = [], {}
    for name in names:
        match = NOTEBOOK_NAME.fullmatch(name)
        if not match:
            problems.append(f"{name}: expected NN_topic.ipynb or NNx_topic.ipynb (e.g. 09a_cnn_layers.ipynb)")
            continue
        parts.setdefault(int(match["number"]), []).append(match["part"])
    if names != sorted(names):
        problems.append(f"not in learning order: {names}")
    if sorted(parts) != list(range(len(parts))):
        problems.append(f"chapter numbers should run 00, 01, ... without gaps: {sorted(parts)}")
    for number, letters in parts.items():
        expected = [""] if letters == [""] else [chr(ord("a") + i) for i in range(len(letters))]
        if sorted(letters) != expected:
            problems.append(f"chapter {number:02d}: parts {letters}, expected one notebook or a, b, ...")
    if names and names[0] != "00_start_here.ipynb":
        problems.append(f"the first notebook is {names[0]}, expected 00_start_here.ipynb")
    return problems


def test_the_numbering_rule_catches_bad_names() -> None:
    good = ["00_start_here.ipynb", "01_x.ipynb", "02a_y.ipynb", "02b_z.ipynb", "03_w.ipynb"]
    assert numbering_problems(good) == []
    for bad in (["00_start_here.ipynb", "02_x.ipynb"],                               # gap
                ["00_start_here.ipynb", "01_x.ipynb", "01_y.ipynb"],                 # duplicate number
                ["00_start_here.ipynb", "01a_x.ipynb", "01c_y.ipynb"],               # parts a, c
                ["00_start_here.ipynb", "01_x.ipynb", "01a_y.ipynb"],                # 01 beside 01a
                ["00_start_here.ipynb", "01b_x.ipynb", "01a_y.ipynb"],               # out of order
                ["00_start_here.ipynb", "1_x.ipynb"], ["00_intro.ipynb"]):
        assert numbering_problems(bad), bad


def test_notebooks_are_numbered_in_learning_order() -> None:
    names = [p.name for p in notebook_paths(ROOT / "notebooks")]
    assert numbering_problems(names) == []


def test_every_notebook_starts_with_the_setup_cell_and_ends_with_exercises() -> None:
    import json

    for path in notebook_paths(ROOT / "notebooks"):
        cells = json.loads(path.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert "config.setup(" in "".join(code[0]["source"]), f"{path.name}: setup cell first"
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        assert "Exercise" in text or path.name.startswith("00_"), f"{path.name}: no exercises"
        assert "sys.path" not in "".join("".join(c["source"]) for c in code), path.name


def test_strip_removes_outputs(tmp_path: Path) -> None:
    import json

    nb = {"cells": [{"cell_type": "code", "source": "1", "metadata": {}, "execution_count": 3,
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert has_outputs(path)
    assert strip(path) is True
    assert not has_outputs(path)
    assert strip(path) is False
    # Widget state (progress bars) that JupyterLab can save in the notebook's metadata counts too.
    nb["cells"][0].update(outputs=[], execution_count=None)
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path.write_text(json.dumps(nb))
    assert has_outputs(path)
    assert strip(path) is True
    assert not has_outputs(path) and "widgets" not in json.loads(path.read_text())["metadata"]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test$", ci, flags=re.MULTILINE)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: setup", makefile, flags=re.MULTILINE)


def test_data_folder_is_ignored_except_its_readme() -> None:
    ignore = (ROOT / ".gitignore").read_text().splitlines()
    assert "data/*" in ignore and "!data/README.md" in ignore
    assert "runs/" in ignore and "*.pt" in ignore


# --- The helpers package: no import cycles, no import up a layer, every module importable alone ----


def _helpers_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the helpers package under ``root`` by dotted name (a package by ``__init__.py``)."""
    modules = {}
    for path in sorted((root / "helpers").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The helpers modules that importing ``name`` runs, read from its source (imports in functions too).

    ``import a.b.c`` also runs the packages ``a.b`` (its ``__init__``) unless the importer is
    inside that package already (then it is running); those edges count as well.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
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
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    edges = set()
    for target in targets:
        parts = target.split(".")
        for depth in range(1, len(parts) + 1):
            ancestor = ".".join(parts[:depth])
            inside = name == ancestor or name.startswith(ancestor + ".")
            if ancestor in modules and ancestor != name and (depth == len(parts) or not inside):
                edges.add(ancestor)
    return edges


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


# Imports inside functions that close a loop, known and waiting for a fix. An import in a function
# hides a circle from the interpreter, not from the reader: keep this list empty.
KNOWN_LAZY_EDGES: set[tuple[str, str]] = set()


def test_helpers_modules_import_each_other_without_a_cycle() -> None:
    modules = _helpers_modules()
    assert {"helpers.data", "helpers.data.loaders", "helpers.plantvillage", "helpers.engine"} <= set(modules)
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert "helpers.data.loaders" in graph["helpers.engine"], "the graph sees imports"
    for source, target in KNOWN_LAZY_EDGES:
        assert target in graph.get(source, set()), f"{source} -> {target} is gone: drop it from the list"
        graph[source] = graph[source] - {target}
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


# The layers of helpers/, lowest first (the picture: CONTRIBUTING.md, "Architecture"): the machine's
# settings, the data, the building blocks, the engine and the run folder, the tasks a chapter runs,
# and on top the commands, facades and benchmarks. A module imports only from its own layer or the
# ones below; a new module goes into a layer (the test fails until it does). An import that points
# up is a sign that a function lives in the wrong module.
LAYERS: list[tuple[str, list[str]]] = [
    ("config", ["helpers", "helpers.config", "helpers.i18n", "helpers.doc_tables"]),
    ("data", ["helpers.data"]),
    ("blocks", ["helpers.models", "helpers.macs", "helpers.mixing", "helpers.transfer", "helpers.checkpoint",
                "helpers.lr_finder",
                "helpers.interpret",
                "helpers.metrics", "helpers.plots", "helpers.recipes"]),
    ("engine", ["helpers.engine", "helpers.runs", "helpers.results"]),
    ("tasks", ["helpers.train", "helpers.evaluate", "helpers.predict", "helpers.exercises",
               "helpers.finetune"]),
    ("commands", ["helpers.batch", "helpers.crossval", "helpers.doctor", "helpers.course",
                  "helpers.notebooks", "helpers.plantvillage", "helpers.bench",
                  "helpers.i18n.messages", "helpers.i18n.__main__"]),
]
"""Lowest first; a name stands for the module and, when it is a package, everything in it (the
most specific name wins: ``helpers`` alone is the package's ``__init__``)."""


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


def _upward_imports(root: Path, layers: list[tuple[str, list[str]]]) -> list[str]:
    """``module (layer) imports module (higher layer)`` for every import pointing up, and every module
    that no layer lists."""
    modules = _helpers_modules(root)
    problems = []
    for name, path in modules.items():
        mine = layer_of(name, layers)
        if mine is None:
            problems.append(f"{name} is in no layer: add it to LAYERS in tests/test_repository.py")
            continue
        for target in sorted(_imports(name, path, modules)):
            theirs = layer_of(target, layers)
            if theirs is not None and theirs > mine:
                problems.append(f"{name} ({layers[mine][0]}) imports {target} ({layers[theirs][0]})")
    return problems


def test_no_helpers_module_imports_one_above_it() -> None:
    problems = _upward_imports(ROOT, LAYERS)
    assert not problems, "imports up a layer (CONTRIBUTING.md, Architecture):\n" + "\n".join(problems)


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
    assert _upward_imports(tmp_path, layers) == [
        "helpers.data.loaders (data) imports helpers.engine (engine)",
        "helpers.stray is in no layer: add it to LAYERS in tests/test_repository.py",
    ]


def test_every_helpers_module_imports_on_its_own() -> None:
    """Each module imported first, with no helpers module loaded before it (one fresh interpreter)."""
    names = sorted(_helpers_modules())
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'helpers' or m.startswith('helpers.')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "print('ok', len(sys.argv))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_non_editable_install_includes_the_subpackages() -> None:
    from setuptools import find_packages

    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(where=str(ROOT), include=find["include"])
    assert {"helpers", "helpers.data"} <= set(packages)
    assert not {p for p in packages if not p.startswith("helpers")}, "only the course package ships"


def test_make_lab_starts_jupyter_as_root_too() -> None:
    """Jupyter refuses root without --allow-root: container users are often root."""
    import shutil

    import pytest

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lab_line = next(line for line in dry.splitlines() if "jupyter lab" in line)
    assert ("--allow-root" in lab_line) == (os.getuid() == 0), lab_line
