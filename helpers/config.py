"""Course-wide settings: device, seeds, paths and the one speed knob, ``COURSE_MODE``.

``COURSE_MODE`` is the only environment variable that changes how much work a
notebook does:

* ``smoke``: CI and quick checks. Tiny generated data, one short epoch, a few batches.
* ``quick``: a student on a CPU laptop. Real data when present, small budgets, minutes.
* ``full``: an instructor on a GPU hub. The settings the chapter is really about.

When it is unset the course picks ``full`` on a CUDA machine and ``quick`` elsewhere.
Notebooks never test the variable themselves: they call :func:`pick`.
"""

from __future__ import annotations

import os
import platform
import random
import sys
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

MODE_VARIABLE = "COURSE_MODE"
MODES = ("smoke", "quick", "full")
DATA_VARIABLE = "COURSE_DATA_DIR"

T = TypeVar("T")


class ConfigError(ValueError):
    """Raised when a course setting has a value the course cannot use."""


def mode() -> str:
    """Return the course mode: ``smoke``, ``quick`` or ``full`` (from ``COURSE_MODE``)."""
    value = os.environ.get(MODE_VARIABLE, "").strip().lower()
    if not value or value == "auto":
        return "full" if torch.cuda.is_available() else "quick"
    if value not in MODES:
        raise ConfigError(
            f"{MODE_VARIABLE}={value!r} is not a course mode; use one of {', '.join(MODES)} "
            f"(or leave it unset to choose automatically)."
        )
    return value


def is_smoke() -> bool:
    """True when the course runs in smoke mode (CI, tiny data)."""
    return mode() == "smoke"


def pick(*, smoke: T, quick: T, full: T) -> T:
    """Return the value for the current mode: the single place where modes differ."""
    return {"smoke": smoke, "quick": quick, "full": full}[mode()]


def device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 42) -> int:
    """Seed Python, NumPy and PyTorch (all devices) so a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    return seed


def project_root() -> Path:
    """The repository root (the folder holding ``pyproject.toml``), else the working directory."""
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists():
        return here
    return Path.cwd()


def data_dir() -> Path:
    """Where data sets live: ``COURSE_DATA_DIR`` if set, else ``<repo>/data``."""
    custom = os.environ.get(DATA_VARIABLE)
    path = Path(custom).expanduser() if custom else project_root() / "data"
    return path


def runs_dir() -> Path:
    """Where training runs write checkpoints and results: ``<repo>/runs``."""
    return project_root() / "runs"


def shared_data_dir() -> Path | None:
    """The course team's read-only data folder (``../shared/data``) when it exists."""
    candidate = project_root().parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def in_ci() -> bool:
    """True under continuous integration, where progress bars stay quiet."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def describe() -> dict[str, str]:
    """A short environment report for the start of every notebook."""
    dev = device()
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "torch": torch.__version__,
        "device": str(dev),
        "mode": mode(),
        "data_dir": str(data_dir()),
    }
    if dev.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
    try:
        import torchvision

        info["torchvision"] = torchvision.__version__
    except ImportError:  # pragma: no cover - torchvision is a dependency
        info["torchvision"] = "missing"
    return info


def setup(seed: int = 42) -> torch.device:
    """Notebook start: seed everything, print the environment, return the device."""
    seed_everything(seed)
    info = describe()
    print(" | ".join(f"{key}: {value}" for key, value in info.items()))
    return device()
