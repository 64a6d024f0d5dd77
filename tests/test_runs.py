"""A training run read back for prediction (helpers.runs.load_run), on the generated tiny set at 64 px."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from helpers import engine
from helpers.checkpoint import CheckpointError, load_checkpoint
from helpers.data.tiny import make_tiny_plantvillage
from helpers.data.transforms import MEAN, STD
from helpers.models import ResNetMinimal
from helpers.predict import predict_image
from helpers.runs import load_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, train_tiny_run) -> Path:
    """One epoch of resnet_minimal at 64 px on the tiny set, by the training command."""
    root = tmp_path_factory.mktemp("runs")
    return train_tiny_run(root, make_tiny_plantvillage(root / "tiny", n_per_class=4), batch_size=8)


def test_load_run_gives_the_model_its_classes_size_and_normalisation(run_dir: Path) -> None:
    run = load_run(run_dir)
    assert isinstance(run.model, ResNetMinimal) and not run.model.training
    assert len(run.class_names) == 38 and run.class_names[0] == "Apple___Apple_scab"
    assert run.image_size == 64, "the size the run trained at, not the data set's 256"
    assert run.mean == MEAN and run.std == STD and run.epoch == 1
    assert run.results is not None and run.results["class_names"] == run.class_names
    saved = load_checkpoint(run_dir / "checkpoint.pt")["model"]
    for key, value in run.model.state_dict().items():
        assert torch.equal(value, saved[key]), key
    shapes: list[tuple[int, ...]] = []
    run.model.register_forward_hook(lambda module, inputs, output: shapes.append(tuple(inputs[0].shape)))
    top = predict_image(run.model, Image.new("RGB", (300, 300), (40, 160, 40)), run.class_names, top_k=3)
    assert shapes == [(1, 3, 64, 64)] and len(top) == 3


def test_load_run_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="No checkpoint.pt in"):
        load_run(tmp_path)
    dataset = torch.utils.data.TensorDataset(torch.randn(4, 2), torch.arange(4) % 2)
    loader = torch.utils.data.DataLoader(dataset, batch_size=2)
    engine.fit(nn.Linear(2, 2), loader, epochs=1, device=torch.device("cpu"), progress=False,
               checkpoint=tmp_path / "checkpoint.pt")
    with pytest.raises(CheckpointError, match="not written by python -m helpers.train"):
        load_run(tmp_path)
