"""Pre-flight check for a machine or a JupyterHub pod: ``python -m helpers.doctor``.

Each check prints one line, ``OK``, ``WARN`` or ``FAIL``, with what it found and, when something
is wrong, the command or setting that fixes it: Python and PyTorch versions, CUDA and the GPU,
``/dev/shm``, free disk for PlantVillage and its decoded cache, the data set itself, whether the
data folder (``COURSE_DATA_DIR``) can be read, whether the runs folder (``COURSE_RUNS_DIR``) and the
work folder's splits, cache and tiny sets (``COURSE_WORK_DIR``) can be written, and the course
settings in effect. The data folder only needs to be readable: it may be a read-only volume shared
by a class. It changes nothing (a write test creates a temporary file and removes it at once).
The exit status is 1 when a check fails, else 0: warnings say what runs slower or falls back, not
what is broken.

In code: ``findings = doctor.run_checks()``, then ``print(doctor.report(findings))``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from helpers import config
from helpers.data import cache as data_cache
from helpers.data import loaders
from helpers.data.download import check_folder
from helpers.data.errors import DataLayoutError, DataNotFoundError
from helpers.data.locate import EXPECTED_IMAGES, GET_FULL_SET, find_plantvillage, mini_root
from helpers.data.splits import split_path
from helpers.data.tiny import tiny_root

OK, WARN, FAIL = "OK", "WARN", "FAIL"
MIN_PYTHON = (3, 11)
MIN_TORCH = (2, 4)
DATASET_BYTES = 2 * 10**9
"""Disk PlantVillage's colour set takes once unpacked (about 2 GB; README, section Data)."""
CACHE_SIZES = (256, 128)
"""Image sizes whose decoded cache the disk check prices (the course trains at 256 px, or 128 px)."""
SMALL_GPU_GIB = 4
"""Below this much GPU memory the chapters' batch sizes may not fit at 256 px."""
WORK_FIX = (f"set {config.WORK_VARIABLE} to a writable per-user folder, e.g. $HOME/course-work "
            f"({config.DATA_VARIABLE} may stay read-only; docs/instructors.md)")
SHM_FIX = ("give the pod more shared memory: on Zero-to-JupyterHub an emptyDir volume with "
           "medium: Memory mounted at /dev/shm (docs/z2jh-profile.yaml); with Docker, --shm-size=2g")


@dataclass
class Finding:
    """The result of one check: its status, what was found and how to fix it."""

    status: str
    check: str
    found: str
    fix: str = ""

    def line(self) -> str:
        """One line for the terminal: ``STATUS check: found. Fix: ...``."""
        text = f"{self.status:<4}  {self.check:<11} {self.found}"
        return f"{text}\n      {'':<11} fix: {self.fix}" if self.fix else text


def _version(text: str) -> tuple[int, int]:
    """``(major, minor)`` of a version string such as ``2.14.1+cu126``."""
    major, minor = (int("".join(c for c in part if c.isdigit()) or 0) for part in text.split(".")[:2])
    return major, minor


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def check_python() -> Finding:
    """Python 3.11 or newer."""
    found = sys.version.split()[0]
    if sys.version_info[:2] >= MIN_PYTHON:
        return Finding(OK, "python", found)
    return Finding(FAIL, "python", f"{found} is older than {'.'.join(map(str, MIN_PYTHON))}",
                   "use a Python 3.11+ image or environment (environment.yml asks for python>=3.11)")


def check_torch() -> Finding:
    """PyTorch 2.4 or newer (pyproject.toml's floor), and torchvision."""
    found = f"torch {torch.__version__}"
    try:
        import torchvision

        found += f", torchvision {torchvision.__version__}"
    except ImportError:
        return Finding(FAIL, "torch", f"{found}, torchvision missing", "pip install torchvision")
    if _version(torch.__version__) < MIN_TORCH:
        return Finding(FAIL, "torch", f"{found}: torch is older than {'.'.join(map(str, MIN_TORCH))}",
                       f'pip install -U "torch>={".".join(map(str, MIN_TORCH))}" torchvision')
    return Finding(OK, "torch", found)


def nvidia_present() -> bool:
    """True when the machine shows an NVIDIA GPU to this process (device file or nvidia-smi)."""
    return Path("/dev/nvidia0").exists() or shutil.which("nvidia-smi") is not None


def check_cuda() -> Finding:
    """CUDA usable by torch: the GPU's name and memory, or why there is none."""
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        total = props.total_memory / 2**30
        found = (f"CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s); GPU 0: {props.name}, "
                 f"{total:.1f} GiB")
        if total < SMALL_GPU_GIB:
            return Finding(WARN, "cuda", f"{found}: little memory",
                           "lower --batch-size (helpers.train) if training runs out of memory")
        return Finding(OK, "cuda", found)
    if nvidia_present() and torch.version.cuda is None:
        return Finding(FAIL, "cuda", f"this machine has an NVIDIA GPU but torch {torch.__version__} is a "
                       "CPU-only build",
                       "install a CUDA build: pip install torch torchvision from PyPI (Linux wheels "
                       "include CUDA), or with conda set CONDA_OVERRIDE_CUDA (e.g. 12.6) when the "
                       "environment is built on a machine without a GPU (docs/instructors.md)")
    if nvidia_present():
        return Finding(FAIL, "cuda", f"torch {torch.__version__} was built for CUDA {torch.version.cuda} "
                       "but sees no usable GPU",
                       "check `nvidia-smi` in a terminal: the pod needs a GPU limit (nvidia.com/gpu) and a "
                       "driver at least as new as that CUDA version")
    found = f"no CUDA GPU: the course runs on {config.device().type}"
    if os.environ.get(config.MODE_VARIABLE, "").strip().lower() == "full":
        return Finding(WARN, "cuda", f"{found} with COURSE_MODE=full (the GPU budgets: hours on a CPU)",
                       "unset COURSE_MODE (quick on a CPU) or ask for a GPU profile")
    return Finding(OK, "cuda", found)


def check_shm() -> Finding:
    """Free space in ``/dev/shm``, where DataLoader workers hand batches to the main process."""
    free = loaders._shm_bytes()
    if free is None:
        return Finding(OK, "/dev/shm", "none on this system (macOS, Windows): workers share batches "
                       "another way")
    mb = free // 2**20
    if mb >= loaders.COMFORTABLE_SHM_MB:
        return Finding(OK, "/dev/shm", f"{mb:,} MB free")
    return Finding(WARN, "/dev/shm", f"only {mb:,} MB free (under {loaders.COMFORTABLE_SHM_MB} MB): the "
                   "loaders fall back to fewer DataLoader workers, down to 0, so batches load slower",
                   SHM_FIX)


def _existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk() -> Finding:
    """Free disk for PlantVillage (in the data folder) and its decoded cache (in the work folder).

    The data set is priced only while it is missing; the cache always, where it goes:
    ``COURSE_WORK_DIR/cache`` (:func:`helpers.data.cache.cache_dir`), never the data folder.
    """
    need = {size: data_cache.cache_bytes(EXPECTED_IMAGES, size) for size in CACHE_SIZES}
    cache = data_cache.cache_dir()
    data_free = shutil.disk_usage(_existing(config.data_dir())).free
    cache_free = shutil.disk_usage(_existing(cache)).free
    try:
        have_data = find_plantvillage(None).is_dir()  # whether complete is check_data's question
    except (DataNotFoundError, DataLayoutError):
        have_data = False
    found = (f"{_gb(data_free)} free for data, {_gb(cache_free)} for the decoded cache in {cache} (full set: "
             + ", ".join(f"{_gb(n)} at {size} px" for size, n in need.items()) + ")")
    if not have_data and data_free < DATASET_BYTES:
        return Finding(WARN, "disk", f"{found}: too little for PlantVillage (~{_gb(DATASET_BYTES)})",
                       "free space, or download it to a bigger volume (python -m helpers.data download "
                       f"plantvillage --to DIR) and set {config.DATA_VARIABLE}=DIR")
    biggest, smallest = max(CACHE_SIZES), min(CACHE_SIZES)
    if cache_free < need[smallest]:
        return Finding(WARN, "disk", f"{found}: no room for a decoded cache; training reads the JPEGs",
                       f"train without --cache, or set {config.WORK_VARIABLE} to a bigger volume")
    if cache_free < need[biggest]:
        return Finding(WARN, "disk", f"{found}: room for the {smallest} px cache only",
                       f"python -m helpers.data cache --image-size {smallest}")
    return Finding(OK, "disk", found)


def check_data() -> Finding:
    """The full PlantVillage set: found, and complete (every image counted, no empty file)."""
    try:
        folder = find_plantvillage(None)
    except DataLayoutError as error:
        return Finding(FAIL, "data", str(error).splitlines()[0],
                       "move the class folders to data/plantvillage/<class>/ (README, section Data)")
    except DataNotFoundError:
        fallback = ("the course team's mini set (it shows the mechanics, not the report's accuracies)"
                    if mini_root() is not None else "the generated tiny set (it checks the code path only)")
        return Finding(WARN, "data", f"PlantVillage not found in {config.data_dir() / 'plantvillage'}: "
                       f"chapters 10-16 use {fallback}",
                       f"{GET_FULL_SET} (README, section Data), or point COURSE_DATA_DIR at the shared copy")
    result = check_folder(folder)
    if result.complete:
        return Finding(OK, "data", result.summary())
    return Finding(FAIL, "data", result.summary(),
                   f"the copy is damaged or partial: download it again ({GET_FULL_SET}) and check it "
                   "with `python -m helpers.data download plantvillage --check`")


def writable(folder: Path) -> str | None:
    """None when ``folder`` can be created (if missing) and written; else why not, in words.

    It writes a temporary file in ``folder`` or, when missing, in its nearest existing ancestor, and
    deletes it: a real test, which a read-only mount fails even for root.
    """
    target = _existing(folder)
    if not target.is_dir():
        return f"{target} is a file, so {folder} cannot be created"
    try:
        handle, name = tempfile.mkstemp(dir=target, prefix=".doctor-")
    except OSError as error:
        return f"cannot write in {target}: {error.strerror or error}"
    os.close(handle)
    os.unlink(name)
    return None


def check_data_folder() -> Finding:
    """The data folder (``COURSE_DATA_DIR``) can be read; it never needs to be writable."""
    folder = config.data_dir()
    fix = f"point {config.DATA_VARIABLE} at a folder this user can read (a read-only mount is fine)"
    if not folder.exists():
        return Finding(OK, "data-dir", f"{folder} does not exist yet; the course only reads it "
                       "(read-only is fine)")
    if not folder.is_dir():
        return Finding(FAIL, "data-dir", f"{folder} is a file, not a folder", fix)
    try:
        with os.scandir(folder) as entries:
            next(entries, None)
    except OSError as error:
        return Finding(FAIL, "data-dir", f"cannot read {folder}: {error.strerror or error}", fix)
    return Finding(OK, "data-dir", f"{folder} is readable; the course only reads it (read-only is fine)")


def check_folders() -> list[Finding]:
    """The data folder can be read; the runs folder and the work folder's splits, cache and tiny sets written.

    Splits, the decoded cache and the tiny sets live in ``COURSE_WORK_DIR`` (:func:`config.work_dir`),
    runs in ``COURSE_RUNS_DIR``; missing folders count as writable when they can be created.
    """
    folders: dict[str, tuple[Path, str]] = {
        "runs": (config.runs_dir(),
                 f"set {config.RUNS_VARIABLE} to a writable folder, e.g. $HOME/course-runs"),
        "splits": (split_path(config.data_dir() / "plantvillage").parent, WORK_FIX),
        "cache": (data_cache.cache_dir(), WORK_FIX),
        "tiny": (tiny_root(config.work_dir()), WORK_FIX),
    }
    findings = [check_data_folder()]
    for name, (folder, fix) in folders.items():
        problem = writable(folder)
        if problem is None:
            findings.append(Finding(OK, name, f"{folder} is writable"))
        else:
            findings.append(Finding(FAIL, name, problem, fix))
    return findings


def check_settings() -> Finding:
    """COURSE_MODE and the other course variables in effect."""
    try:
        mode = config.mode()
        dry = config.dry_run()
    except config.ConfigError as error:
        return Finding(FAIL, "settings", str(error), "fix or unset the variable (README, One knob for speed)")
    given = os.environ.get(config.MODE_VARIABLE, "").strip()
    parts = [f"COURSE_MODE={mode}" + ("" if given else " (automatic: not set)")]
    parts.append(f"COURSE_DRY_RUN={'on' if dry else 'off'}")
    for variable in (config.DATA_VARIABLE, config.WORK_VARIABLE, config.RUNS_VARIABLE,
                     config.SHARED_VARIABLE):
        if os.environ.get(variable):
            parts.append(f"{variable}={os.environ[variable]}")
    return Finding(OK, "settings", ", ".join(parts))


def check_widgets() -> Finding:
    """ipywidgets, which notebook progress bars (tqdm.auto) need to draw as widgets."""
    try:
        import ipywidgets
    except ImportError:
        return Finding(WARN, "widgets", "ipywidgets is missing: progress bars print as text",
                       "pip install ipywidgets (it is in pyproject.toml and environment.yml)")
    return Finding(OK, "widgets", f"ipywidgets {ipywidgets.__version__}")


CHECKS: tuple[Callable[[], Finding | list[Finding]], ...] = (
    check_python, check_torch, check_cuda, check_shm, check_disk, check_data, check_folders,
    check_settings, check_widgets)


def run_checks() -> list[Finding]:
    """Run every check, in order; a check that crashes is reported as a failure, not raised."""
    findings: list[Finding] = []
    for check in CHECKS:
        try:
            result = check()
        except Exception as error:  # a doctor reports, it never stops at the first problem
            result = Finding(FAIL, check.__name__.removeprefix("check_"),
                             f"the check itself failed: {type(error).__name__}: {error}",
                             "report this with the output of python -m helpers.doctor")
        findings.extend(result if isinstance(result, list) else [result])
    return findings


def report(findings: list[Finding]) -> str:
    """All findings, one per line, and a last line that counts them."""
    counts = {status: sum(f.status == status for f in findings) for status in (OK, WARN, FAIL)}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    verdict = "ready" if not counts[FAIL] else "NOT ready: fix the FAIL lines"
    return "\n".join([*(f.line() for f in findings), f"{summary}: {verdict}"])


def main(argv: list[str] | None = None) -> int:
    """Command line: print the checks; exit 1 when one fails."""
    parser = argparse.ArgumentParser(prog="python -m helpers.doctor", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    findings = run_checks()
    print(report(findings))
    return 1 if any(f.status == FAIL for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
