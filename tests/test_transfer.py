"""Tests for helpers.transfer: ImageNet weights used when present, never downloaded unless asked."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torchvision import models as tv_models

from helpers import transfer


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch hub folder, and any attempt to download fails the test."""
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    yield tmp_path / "hub"
    torch.hub.set_dir(previous)


def test_offline_without_weights_is_a_clear_error_and_no_download(hub: Path) -> None:
    assert not transfer.weights_available("resnet18")
    how = "python -m helpers.transfer download resnet18"
    with pytest.raises(transfer.WeightsNotAvailableError, match=how):
        transfer.pretrained_model("resnet18", num_classes=38)
    with pytest.raises(ValueError, match="Unknown pre-trained model"):
        transfer.pretrained_model("vgg99")


def test_weights_on_disk_are_loaded_and_the_head_replaced(hub: Path) -> None:
    torch.manual_seed(0)
    stand_in = tv_models.resnet18().state_dict()  # the real file's format, with other numbers
    path = transfer.weights_file("resnet18")
    path.parent.mkdir(parents=True)
    torch.save(stand_in, path)
    assert transfer.weights_available("resnet18")
    model = transfer.pretrained_model("resnet18", num_classes=5, freeze_features=True)
    assert torch.equal(model.conv1.weight, stand_in["conv1.weight"]), "the weights come from the file"
    assert model(torch.zeros(2, 3, 64, 64)).shape == (2, 5)
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"], "frozen features: only the new head learns"


def test_download_command_reports_a_failure_without_a_trace(hub: Path, capsys: pytest.CaptureFixture) -> None:
    assert transfer.main(["download", "resnet18"]) == 1
    assert "could not download the weights of resnet18" in capsys.readouterr().err
