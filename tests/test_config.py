"""helpers.config: the mode knob, device choice, seeds and paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from helpers import config


@pytest.mark.parametrize("value", ["smoke", "quick", "full", "SMOKE", " full "])
def test_mode_reads_the_one_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(config.MODE_VARIABLE, value)
    assert config.mode() == value.strip().lower()
    assert config.is_smoke() == (value.strip().lower() == "smoke")


def test_mode_defaults_to_quick_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.MODE_VARIABLE, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert config.mode() == "quick"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert config.mode() == "full"


def test_unknown_mode_is_an_actionable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.MODE_VARIABLE, "fast")
    with pytest.raises(config.ConfigError, match="smoke, quick, full"):
        config.mode()


def test_pick_returns_the_value_of_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, expected in (("smoke", 1), ("quick", 5), ("full", 20)):
        monkeypatch.setenv(config.MODE_VARIABLE, name)
        assert config.pick(smoke=1, quick=5, full=20) == expected


def test_device_prefers_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert config.device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert config.device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert config.device().type == "cpu"


def test_resolve_device_keeps_a_request_and_falls_back_to_the_best(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "device", lambda: torch.device("mps"))
    assert config.resolve_device(None) == torch.device("mps") == config.resolve_device("")
    assert config.resolve_device("cpu") == torch.device("cpu")
    assert config.resolve_device(torch.device("cuda", 1)) == torch.device("cuda", 1)


def test_seed_everything_repeats_random_draws() -> None:
    import random

    import numpy as np

    config.seed_everything(123)
    first = (random.random(), np.random.rand(), torch.rand(3))
    config.seed_everything(123)
    second = (random.random(), np.random.rand(), torch.rand(3))
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2])


def test_data_dir_follows_the_environment(data_root) -> None:
    assert config.data_dir() == data_root
    assert (config.project_root() / "pyproject.toml").exists()


def test_describe_reports_what_a_notebook_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.MODE_VARIABLE, "smoke")
    info = config.describe()
    assert info["mode"] == "smoke"
    assert info["torch"] == torch.__version__
    assert {"python", "device", "torchvision", "data_dir"} <= set(info)


def test_shown_path_is_relative_inside_the_repository_and_absolute_outside(tmp_path: Path) -> None:
    inside = config.project_root() / "runs" / "ch08" / "model.pt"
    assert config.shown_path(inside) == str(Path("runs") / "ch08" / "model.pt")
    outside = tmp_path / "runs" / "model.pt"  # COURSE_RUNS_DIR on a hub: outside the repository
    assert config.shown_path(outside) == str(outside.resolve())


def test_a_budget_is_what_the_data_can_supply(capsys: pytest.CaptureFixture[str]) -> None:
    assert config.budget(10, available=25, what="timed batches") == 10
    assert capsys.readouterr().out == "", "a budget the data holds is used silently"
    assert config.budget(10, available=4, what="timed batches") == 4
    said = capsys.readouterr().out
    assert "timed batches: 4, not the 10" in said and "holds no more" in said
    assert config.budget(3, available=-1, what="x") == 0
