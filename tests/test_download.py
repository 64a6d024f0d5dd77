"""Tests for helpers.data.download with local files only: a fake kagglehub, never the network."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from PIL import Image

from helpers.data import download
from helpers.data import locate as pv
from helpers.data.__main__ import main as data_cli

CLASSES = ["Apple___healthy", "Corn_(maize)___Common_rust_", "Pepper,_bell___healthy"]


def fake_archive(root: Path, per_class: int = 2) -> Path:
    """A miniature Kaggle download: ``plantvillage dataset/{color,grayscale}/<class>/<image>``."""
    for variant in ("color", "grayscale"):
        for name in CLASSES:
            folder = root / pv.KAGGLE_FOLDER / variant / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                Image.new("RGB", (8, 8), (i, 100, 0)).save(folder / f"{i}.jpg")
    return root


@pytest.fixture(autouse=True)
def no_huggingface_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the Kaggle route: huggingface_hub's import fails, so no network is tried."""
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)


@pytest.fixture
def small_expectations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the full set is 3 classes x 2 images, so the fake archive counts as complete."""
    monkeypatch.setattr(download, "EXPECTED_IMAGES", len(CLASSES) * 2)
    monkeypatch.setattr(download, "EXPECTED_CLASSES", len(CLASSES))
    monkeypatch.setattr(download, "EXPECTED_COUNTS", dict.fromkeys(CLASSES, 2))


@pytest.fixture
def fake_kagglehub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """A kagglehub module whose download returns a local folder and counts its calls."""
    cache = tmp_path / "kagglehub-cache" / "versions" / "1"
    calls: list[dict] = []

    def dataset_download(handle: str, path: str | None = None, *, force_download: bool = False) -> str:
        calls.append({"handle": handle, "force": force_download})
        fake_archive(cache)
        return str(cache)

    module = types.ModuleType("kagglehub")
    module.dataset_download = dataset_download
    monkeypatch.setitem(sys.modules, "kagglehub", module)
    monkeypatch.setenv("KAGGLE_USERNAME", "student")
    monkeypatch.setenv("KAGGLE_KEY", "not-a-real-key")
    return types.SimpleNamespace(calls=calls, cache=cache)


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Kaggle token anywhere: empty home, no variables."""
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_download_links_checks_and_then_skips(tmp_path, fake_kagglehub, small_expectations, capsys) -> None:
    data_root = tmp_path / "data"
    assert download.main([str(data_root)]) == 0
    out = capsys.readouterr().out
    assert "6 of 6 images, 3 of 3 classes" in out and "complete" in out
    assert fake_kagglehub.calls == [{"handle": "abdallahhalidev/plantvillage-dataset", "force": False}]
    target = data_root / "plantvillage"
    assert target.is_symlink()
    assert pv.find_plantvillage(target) == target / "color"
    assert pv.find_plantvillage(target, "grayscale") == target / "grayscale"  # all variants reachable
    assert download.main([str(data_root)]) == 0  # second run: nothing to do, no download
    assert "Nothing to download" in capsys.readouterr().out
    assert len(fake_kagglehub.calls) == 1


def test_incomplete_download_is_reported(tmp_path, fake_kagglehub, capsys) -> None:
    assert download.main([str(tmp_path / "data")]) == 1  # 6 images, not 54,305
    captured = capsys.readouterr()
    assert "6 of 54,305 images" in captured.out and "INCOMPLETE" in captured.out
    assert "run again" in captured.err
    assert not (tmp_path / "data" / "plantvillage").exists()


def test_without_kagglehub_prints_manual_steps(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # import kagglehub -> ImportError
    assert download.main([str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    assert "kagglehub package is not installed" in err
    assert download.KAGGLE_URL in err and "plantvillage dataset" in err


def test_without_credentials_prints_manual_steps(tmp_path, fake_kagglehub, no_credentials, capsys) -> None:
    assert download.kaggle_credentials() is None
    assert download.main([str(tmp_path / "data")]) == 1
    assert "kaggle.json" in capsys.readouterr().err
    assert fake_kagglehub.calls == []


def test_credentials_file_is_found(tmp_path, no_credentials) -> None:
    token = tmp_path / "home" / ".kaggle" / "kaggle.json"
    token.parent.mkdir(parents=True)
    token.write_text('{"username": "student", "key": "x"}')
    assert download.kaggle_credentials() == str(token)


def test_failed_download_prints_manual_steps(tmp_path, fake_kagglehub, monkeypatch, capsys) -> None:
    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(sys.modules["kagglehub"], "dataset_download", offline)
    assert download.main([str(tmp_path / "data")]) == 1
    assert "kagglehub failed: ConnectionError: no network" in capsys.readouterr().err


def test_existing_partial_folder_is_left_alone(tmp_path, fake_kagglehub, small_expectations, capsys) -> None:
    partial = tmp_path / "data" / "plantvillage" / "color" / "Apple___healthy"
    partial.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(partial / "only.jpg")
    assert download.main([str(tmp_path / "data")]) == 1
    assert "move it away" in capsys.readouterr().err
    assert (partial / "only.jpg").exists()


def test_manual_unpack_is_checked(tmp_path, small_expectations, capsys) -> None:
    fake_archive(tmp_path / "data" / "plantvillage")
    assert download.main([str(tmp_path / "data"), "--check"]) == 0
    assert "complete" in capsys.readouterr().out


def test_data_cli_dispatches_to_download(tmp_path, capsys) -> None:
    code = data_cli(["download", "plantvillage", "--data", str(tmp_path), "--check"])
    assert code == 1
    assert "PlantVillage not found" in capsys.readouterr().err
