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


def test_fine_tuning_is_compared_with_scratch_on_the_same_budget(hub: Path, tmp_path: Path) -> None:
    """helpers.finetune with stand-in weights on drawn leaves: both trained the same way, one row each."""
    from helpers import finetune
    from helpers import plantvillage as pv
    from helpers.data.tiny import make_tiny_plantvillage

    torch.manual_seed(0)
    path = transfer.weights_file("resnet18")
    path.parent.mkdir(parents=True)
    torch.save(tv_models.resnet18().state_dict(), path)
    root = make_tiny_plantvillage(tmp_path / "pv", n_per_class=2)
    train_loader, val_loader, _, classes = pv.plantvillage_loaders(4, root=root, image_size=32, device="cpu")
    table = finetune.compare_with_scratch(train_loader, val_loader, len(classes), epochs=1, max_batches=1,
                                          device="cpu")
    assert list(table.index) == ["resnet18, ImageNet weights, fine-tuned", "resnet_minimal, from scratch"]
    assert table.loc["resnet_minimal, from scratch", "parameters"] < table.iloc[0]["parameters"]
    assert table["val_acc"].between(0, 1).all() and (table["seconds"] > 0).all()
    assert transfer.download_megabytes("resnet18") == pytest.approx(44.661)
