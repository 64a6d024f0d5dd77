"""Shared fixtures: every test runs in smoke mode; derived files go to a private work folder."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("COURSE_MODE", "smoke")


@pytest.fixture(scope="session", autouse=True)
def private_work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Split files, caches and tiny sets go to one folder per test session, never the repository's data/."""
    work = tmp_path_factory.mktemp("work")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_WORK_DIR", str(work))
        yield work


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data folder used through ``COURSE_DATA_DIR``, and as the work folder too."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    monkeypatch.setenv("COURSE_WORK_DIR", str(root))
    return root


@pytest.fixture
def isolated_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """For tests that train in-process: ``COURSE_DATA_DIR`` under tmp_path, torch's thread count restored."""
    import torch

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
