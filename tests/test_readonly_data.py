"""The course only reads its data folder, so a class can share one read-only copy through COURSE_DATA_DIR.

Splits, caches and runs go to each user's writable folders (``COURSE_WORK_DIR``, ``COURSE_RUNS_DIR``).
Tests run as root here, and root writes through ``chmod a-w``; so besides making the folder
read-only (which stops everyone else), the test compares every path, size and modification time
under it (folders too: a file created and deleted again changes its folder's time) before and after.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import torch

from helpers import config, train
from helpers.data import download
from helpers.data import locate as pv
from helpers.data.cache import cached_datasets
from helpers.data.loaders import plantvillage_loaders
from helpers.data.splits import split_for
from helpers.data.tiny import make_tiny_plantvillage

FAST = ["--model", "resnet_minimal", "--image-size", "32", "--batch-size", "8", "--max-batches", "2",
        "--workers", "0", "--no-progress", "--threads", "1", "--epochs", "1"]


def state(folder: Path) -> dict[str, tuple[bool, int, int]]:
    """Every path under ``folder`` (itself included): is it a folder, its size, its modification time."""
    result = {}
    for path in [folder, *folder.rglob("*")]:
        info = path.lstat()
        result[path.relative_to(folder).as_posix()] = (path.is_dir(), info.st_size, info.st_mtime_ns)
    return result


def set_writable(folder: Path, writable: bool) -> None:
    """chmod a folder tree read-only (files 444, folders 555) or back to writable."""
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        bits = stat.S_IWUSR if writable else ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        os.chmod(path, mode | bits if writable else mode & bits)


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A read-only class data folder with a (tiny) PlantVillage, and a user's own work and runs folders."""
    data = tmp_path / "class-data"
    make_tiny_plantvillage(data / "plantvillage", n_per_class=3)
    monkeypatch.setenv(config.DATA_VARIABLE, str(data))
    monkeypatch.setenv(config.WORK_VARIABLE, str(tmp_path / "me" / "work"))
    monkeypatch.setenv(config.RUNS_VARIABLE, str(tmp_path / "me" / "runs"))
    monkeypatch.setenv(config.MODE_VARIABLE, "quick")  # quick and full read data/plantvillage; smoke skips it
    set_writable(data, False)
    threads = torch.get_num_threads()
    yield data
    torch.set_num_threads(threads)
    set_writable(data, True)  # so that pytest can clean up


def test_the_course_writes_nothing_into_the_data_folder(shared: Path, capsys) -> None:
    before = state(shared)
    folder, source = pv.plantvillage_root()
    assert (folder, source) == (shared / "plantvillage" / "color", "local")

    split = split_for(folder)
    assert Path(split["path"]).is_relative_to(config.work_dir() / "splits")
    train_loader, _, _, classes = plantvillage_loaders(batch_size=8, root=folder, image_size=32, workers=0)
    images, labels = next(iter(train_loader))
    assert images.shape == (8, 3, 32, 32) and len(classes) == 38
    cached = cached_datasets(folder, image_size=32, progress=False)
    assert all(Path(d.folder).is_relative_to(config.work_dir() / "cache") for d in cached.values())
    assert train.main([*FAST, "--data", str(shared / "plantvillage"), "--cache"]) == 0
    assert (config.runs_dir() / "resnet_minimal" / "results.json").is_file()
    assert download.main([str(shared), "--check"]) == 1  # 114 images, not 54,305: reported, not touched
    assert "INCOMPLETE" in capsys.readouterr().out

    assert state(shared) == before  # not one file or folder added, removed or changed


def test_the_work_folder_is_never_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.WORK_VARIABLE, raising=False)
    monkeypatch.setenv(config.DATA_VARIABLE, str(tmp_path / "class-data"))
    assert config.work_dir() == config.project_root() / "data" != config.data_dir()
    monkeypatch.delenv(config.DATA_VARIABLE)
    assert config.work_dir() == config.data_dir()  # a student's clone: one data/ folder, as before
