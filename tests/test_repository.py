"""Repository hygiene: environment files in sync, notebooks stripped and in order, CI = README."""

from __future__ import annotations

import re
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
    assert not dirty, f"strip these notebooks (make strip): {dirty}"


def test_notebooks_are_numbered_in_learning_order() -> None:
    names = [p.name for p in notebook_paths(ROOT / "notebooks")]
    numbers = [int(n.split("_", 1)[0]) for n in names]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert names[0] == "00_start_here.ipynb"


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


def test_make_lab_starts_jupyter_as_root_too() -> None:
    """Jupyter refuses root without --allow-root: container users are often root."""
    import os
    import shutil
    import subprocess

    import pytest

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lab_line = next(line for line in dry.splitlines() if "jupyter lab" in line)
    assert ("--allow-root" in lab_line) == (os.getuid() == 0), lab_line
