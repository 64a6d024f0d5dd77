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


@pytest.fixture
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Own data and work folders for the test, so split files never land in the repository's data/."""
    data = tmp_path / "course-data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path / "course-work"))
    return data


@pytest.fixture(scope="session")
def train_tiny_run():
    """A function ``(root, data, batch_size) -> run folder``: one capped epoch of resnet_minimal at 64 px
    on ``data`` by the training command, its data folder under ``root``, torch's thread count restored."""
    import torch

    from helpers import train

    def run(root: Path, data: Path, batch_size: int) -> Path:
        folder = root / "resnet_minimal"
        threads = torch.get_num_threads()
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("COURSE_DATA_DIR", str(root / "data"))
            code = train.main(["--model", "resnet_minimal", "--image-size", "64",
                               "--batch-size", str(batch_size), "--max-batches", "1", "--workers", "0",
                               "--no-progress", "--threads", "1", "--epochs", "1", "--data", str(data),
                               "--run-dir", str(folder)])
        torch.set_num_threads(threads)
        assert code == 0
        return folder

    return run
