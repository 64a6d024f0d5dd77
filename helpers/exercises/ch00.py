"""Chapter 00 exercise: check your environment."""

from __future__ import annotations

import platform
from typing import Any

import torch

from helpers import config
from helpers.exercises.core import Exercise, Wrong, expect_type
from helpers.i18n import tr

MIN_PYTHON = (3, 11)
MIN_TORCH = (2, 2)


def _version(text: str) -> tuple[int, int]:
    major, minor = (int("".join(ch for ch in part if ch.isdigit()) or 0) for part in text.split(".")[:2])
    return major, minor


def solve_environment() -> dict[str, str]:
    import sys

    return {"python": sys.version.split()[0], "torch": torch.__version__, "device": str(config.device())}


def check_environment(answer: Any) -> str:
    expect_type(answer, dict, tr("your answer"))
    missing = [key for key in ("python", "torch", "device") if key not in answer]
    if missing:
        raise Wrong(tr("the dictionary needs the keys 'python', 'torch' and 'device'; missing: {missing}",
                       missing=missing))
    actual = solve_environment()
    for key in ("python", "torch", "device"):
        if str(answer[key]) != actual[key]:
            raise Wrong(tr("'{key}' is {answer_key!r}, but this kernel runs {actual_key!r}: read it from "
                           "the running Python (e.g. torch.__version__, config.device())", key=key,
                           answer_key=answer[key], actual_key=actual[key]))
    if _version(actual["python"]) < MIN_PYTHON:
        raise Wrong(tr("Python {actual_python} is too old for the course: install Python 3.11 or newer",
                       actual_python=actual['python']))
    if _version(actual["torch"]) < MIN_TORCH:
        raise Wrong(tr("PyTorch {actual_torch} is too old for the course: pip install -U torch",
                       actual_torch=actual['torch']))
    return (tr("Python {actual_python}, PyTorch {actual_torch}, device {actual_device} on "
               "{platform_machine}.", actual_python=actual['python'], actual_torch=actual['torch'],
               actual_device=actual['device'], platform_machine=platform.machine()))


q1 = Exercise(
    chapter="00", name="q1", title="Your environment",
    checker=check_environment, solver=solve_environment,
    hints=["`sys.version` starts with the Python version; `torch.__version__` is PyTorch's; "
           "`config.device()` is the device the course uses.",
           "Build `{'python': sys.version.split()[0], 'torch': ..., 'device': str(...)}`."],
    wrong_answers=[lambda: {"python": "3.11", "torch": "1.13.1", "device": "cuda"},
                   lambda: {"torch": torch.__version__},
                   lambda: [torch.__version__]],
)
