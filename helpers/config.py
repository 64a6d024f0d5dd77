"""Course-wide settings: device, seeds, paths and the one speed knob, ``COURSE_MODE``.

``COURSE_MODE`` is the only environment variable that changes how much work a
notebook does:

* ``smoke``: CI and quick checks. Tiny generated data, one short epoch, a few batches.
* ``quick``: a student on a CPU laptop. Real data when present, small budgets, minutes.
* ``full``: an instructor on a GPU hub. The settings the chapter is really about.

When it is unset the course picks ``full`` on a CUDA machine and ``quick`` elsewhere.
Notebooks never test the variable themselves: they call :func:`pick`.

Three more variables change *where* or *how much*, never what a chapter teaches:

* ``COURSE_DRY_RUN=1``: the idea of pytorch/examples' ``--dry-run``. Any mode runs its own code
  path with the least work: every training or evaluation pass is one batch of at most
  :data:`DRY_RUN_BATCH_SIZE` images (:func:`cap_batches`, :func:`cap_batch_size`), ``fit`` runs at
  most :data:`DRY_RUN_EPOCHS` epochs (:func:`cap_epochs`), a benchmark times one step, and runs
  are written under ``runs/dry-run`` so that a real run never resumes from a dry run's
  checkpoint. It is the way to check a GPU hub's image before a long run.
* ``COURSE_SHARED_DIR``: the course team's data folder (default ``../shared/data``); ``none``
  hides it, so the course sees what a fresh clone on a hub sees.
* ``COURSE_DATA_DIR`` and ``COURSE_RUNS_DIR``: where data sets and runs live (default
  ``<repo>/data`` and ``<repo>/runs``). The course only *reads* ``COURSE_DATA_DIR``: it may be a
  read-only volume shared by a whole class.
* ``COURSE_WORK_DIR``: where the course writes what it derives from the data (split files,
  decoded-image caches, the generated tiny sets, a FashionMNIST it unpacks); default
  ``<repo>/data``, the clone's own folder, never ``COURSE_DATA_DIR``.
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
RUNS_VARIABLE = "COURSE_RUNS_DIR"
WORK_VARIABLE = "COURSE_WORK_DIR"
SHARED_VARIABLE = "COURSE_SHARED_DIR"
DRY_RUN_VARIABLE = "COURSE_DRY_RUN"
DRY_RUN_BATCH_SIZE = 1
"""A dry run's batches hold this many images at most: one (BatchNorm2d still averages over the image)."""
DRY_RUN_EPOCHS = 2
"""A dry run's ``fit`` runs at most this many epochs (2: the second one exercises what repeats)."""
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")

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


def dry_run() -> bool:
    """True when ``COURSE_DRY_RUN`` asks for a dry run: the code path with the least work."""
    value = os.environ.get(DRY_RUN_VARIABLE, "").strip().lower()
    if value in _FALSE:
        return False
    if value in _TRUE:
        return True
    raise ConfigError(f"{DRY_RUN_VARIABLE}={value!r} is not understood; use 1 (a dry run) or 0 (a real run).")


def conclusive() -> bool:
    """True when a run trains enough to check what a model learns: not in smoke mode, not in a dry run.

    Smoke mode and a dry run train one batch or a few: they check the code path and whatever does
    not depend on training (shapes, counts, gradients at initialisation), never accuracy.
    """
    return not is_smoke() and not dry_run()


def budget(asked: int, available: int, what: str) -> int:
    """What a chapter can get of a budget (batches, images, classes) from the data it runs on.

    A budget comes from :func:`pick` (the mode); the data copy may hold less (the drawn set has 6
    images a class). The result is ``asked``, or ``available`` when that is smaller, said once in a
    line; checks then compare with what was used, never with what was asked (chapter 10a).
    """
    available = max(int(available), 0)
    if available < asked:
        print(f"{what}: {available}, not the {asked} this mode asks for (this data copy holds no more)")
        return available
    return asked


def cap_batches(max_batches: int | None) -> int | None:
    """Batches a pass may use: ``max_batches`` as given, or 1 in a dry run."""
    return 1 if dry_run() else max_batches


def cap_epochs(epochs: int) -> int:
    """Epochs ``fit`` runs: ``epochs``, or at most :data:`DRY_RUN_EPOCHS` in a dry run."""
    return min(epochs, DRY_RUN_EPOCHS) if dry_run() else epochs


def cap_batch_size(batch_size: int) -> int:
    """A loader's batch size: ``batch_size``, or at most :data:`DRY_RUN_BATCH_SIZE` in a dry run."""
    return min(batch_size, DRY_RUN_BATCH_SIZE) if dry_run() else batch_size


def _cgroup_cpu_limit() -> float | None:
    """The container's CPU quota in cores (cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us``), if any."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        return quota_us / period_us if quota_us > 0 else None
    except (OSError, ValueError):
        return None


def cpu_count() -> int:
    """CPUs this process may use: the affinity mask, capped by a container's CPU quota.

    A JupyterHub pod limited to 2 CPUs on a 64-core node sees 64 cores in ``os.cpu_count()``.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    limit = _cgroup_cpu_limit()
    return max(1, min(cpus, int(limit))) if limit else cpus


def device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(requested: str | torch.device | None = None) -> torch.device:
    """``requested`` as a ``torch.device``, or the best available one (:func:`device`) when not given.

    Every function with a ``device=None`` parameter (and every ``--device`` option) goes through here.
    """
    return torch.device(requested) if requested else device()


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


def shown_path(path: str | Path) -> str:
    """``path`` relative to the repository when it lies inside it (shorter to read), else absolute.

    Runs and data may live anywhere (``COURSE_RUNS_DIR``, ``COURSE_DATA_DIR`` on a hub).
    """
    path = Path(path).resolve()
    root = project_root().resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def data_dir() -> Path:
    """Where data sets live: ``COURSE_DATA_DIR`` if set, else ``<repo>/data``."""
    custom = os.environ.get(DATA_VARIABLE)
    path = Path(custom).expanduser() if custom else project_root() / "data"
    return path


def work_dir() -> Path:
    """Where the course writes splits, caches and tiny sets: ``COURSE_WORK_DIR``, else ``<repo>/data``.

    Never ``COURSE_DATA_DIR``: that folder may be a read-only data volume shared by a class. Without
    ``COURSE_DATA_DIR`` both are ``<repo>/data``, as in a student's clone.
    """
    custom = os.environ.get(WORK_VARIABLE)
    return Path(custom).expanduser() if custom else project_root() / "data"


def runs_dir() -> Path:
    """Where training runs write checkpoints and results: ``COURSE_RUNS_DIR`` if set, else ``<repo>/runs``.

    A dry run uses the ``dry-run`` folder inside it: its one-batch checkpoints never meet a real run.
    """
    custom = os.environ.get(RUNS_VARIABLE)
    root = Path(custom).expanduser() if custom else project_root() / "runs"
    return root / "dry-run" if dry_run() else root


def shared_data_dir() -> Path | None:
    """The course team's read-only data folder when it exists: ``COURSE_SHARED_DIR``, else ``../shared/data``.

    ``COURSE_SHARED_DIR=none`` hides it (what a student's or a hub's fresh clone sees).
    """
    custom = os.environ.get(SHARED_VARIABLE)
    if custom is not None and custom.strip().lower() in ("none", ""):
        return None
    candidate = Path(custom).expanduser() if custom else project_root().parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def in_ci() -> bool:
    """True under continuous integration, where progress bars stay quiet."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def progress_bar() -> type:
    """The ``tqdm`` class to draw progress with: Jupyter's widget bar when ipywidgets is installed,
    else the text bar (no warning)."""
    try:
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm.std import tqdm
    return tqdm


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
    if work_dir() != data_dir():
        info["work_dir"] = str(work_dir())
    if dry_run():
        info["dry_run"] = (f"on: every pass is 1 batch of at most {DRY_RUN_BATCH_SIZE} images, "
                           f"at most {DRY_RUN_EPOCHS} epochs (the code path only)")
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
