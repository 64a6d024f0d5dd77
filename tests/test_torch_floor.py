"""One PyTorch floor everywhere: pyproject.toml, environment.yml, helpers.doctor and chapter 00's check.

The floor is 2.4, the oldest release with everything the code calls: ``torch.amp.GradScaler("cpu")``
(device-generic, CPU included, since 2.3; ``engine.make_scaler``, chapter 5) and
``torch.cuda.is_bf16_supported(including_emulation=False)`` (since 2.4; ``engine.resolve_precision``).
"""

from __future__ import annotations

import inspect
import json
import re
import tomllib
from pathlib import Path

import torch
import yaml

from helpers import doctor

ROOT = Path(__file__).resolve().parent.parent


def floor(spec: str) -> tuple[int, int]:
    """(major, minor) of the ``>=`` bound in a requirement such as ``torch>=2.4,<3``."""
    match = re.search(r">=\s*(\d+)\.(\d+)", spec)
    assert match, f"no >= bound in {spec!r}"
    return int(match.group(1)), int(match.group(2))


def pyproject_floor(name: str) -> tuple[int, int]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return floor(next(d for d in deps if re.match(rf"{name}\b", d) and not d.startswith(f"{name}vision")))


def conda_floor(name: str) -> tuple[int, int]:
    deps = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    return floor(next(d for d in deps if isinstance(d, str) and re.match(rf"{name}\s*>=", d)))


def chapter_00_floors() -> tuple[tuple[int, int], tuple[int, int]]:
    """The version chapter 00 asserts, and the one its text states ("PyTorch ≥ X.Y")."""
    cells = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8"))["cells"]
    source = "\n".join("".join(cell["source"]) for cell in cells)
    checked = re.search(r"assert \(major, minor\) >= \((\d+), (\d+)\)", source)
    stated = re.search(r"PyTorch ≥ (\d+)\.(\d+)", source)
    assert checked and stated, "chapter 00 checks and states the PyTorch version it needs"
    return (int(checked.group(1)), int(checked.group(2))), (int(stated.group(1)), int(stated.group(2)))


def test_one_torch_floor_in_pyproject_environment_doctor_and_chapter_00() -> None:
    declared = pyproject_floor("torch")
    assert declared == (2, 4)
    assert conda_floor("pytorch") == declared, "environment.yml's pytorch floor is pyproject's"
    assert doctor.MIN_TORCH == declared, "python -m helpers.doctor fails below pyproject's floor"
    assert chapter_00_floors() == (declared, declared), "chapter 00 checks and states pyproject's floor"


def test_torchvision_floor_is_the_release_paired_with_the_torch_floor() -> None:
    # torchvision 0.(N+15) is released with torch 2.N (0.19 with 2.4).
    major, minor = pyproject_floor("torch")
    assert major == 2 and pyproject_floor("torchvision") == (0, minor + 15) == conda_floor("torchvision")


def test_the_installed_torch_has_what_set_the_floor() -> None:
    assert "including_emulation" in inspect.signature(torch.cuda.is_bf16_supported).parameters
    assert torch.amp.GradScaler("cpu").is_enabled()


def test_floor_reads_the_lower_bound_only() -> None:
    assert floor("torch>=2.4,<3") == (2, 4)
    assert floor("pytorch >= 2.10") == (2, 10)
