"""Shared fixtures: every test runs in smoke mode with a private data folder."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("COURSE_MODE", "smoke")


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data folder used through ``COURSE_DATA_DIR``."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    return root
