"""A finished training run read back for evaluation and prediction: :func:`load_run`.

``python -m helpers.train`` writes ``checkpoint.pt`` (weights and settings) and
``results.json`` into its run directory. :func:`load_run` rebuilds the model those
settings name, loads the weights (checksum verified) and returns it with the class
names, the image size it was trained at and the normalisation its images went through::

    run = load_run("runs/resnet_minimal")
    predict_image(run.model, "leaf.jpg", run.class_names, image_size=run.image_size,
                  mean=run.mean, std=run.std)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from helpers.checkpoint import TRAINED_INPUT_SIZE, CheckpointError, load_checkpoint, trained_input_size_of
from helpers.data.locate import IMAGE_SIZE
from helpers.data.transforms import MEAN, STD
from helpers.models import MODELS, build_model
from helpers.predict import trained_image_size

CHECKPOINT_NAME = "checkpoint.pt"
RESULTS_NAME = "results.json"


@dataclass
class Run:
    """A trained model with everything needed to feed it images like the ones it learned from."""

    model: nn.Module
    class_names: list[str]
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    epoch: int
    run_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] | None = None


def _read_results(run_dir: Path) -> dict[str, Any] | None:
    """``results.json`` of the run, or None when it is missing or unreadable."""
    try:
        return json.loads((run_dir / RESULTS_NAME).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def load_run(run_dir: str | Path, *, device: str | torch.device = "cpu") -> Run:
    """The model of the run in ``run_dir``: weights, class names, image size and normalisation.

    The model is in eval mode on ``device``. Raises :class:`CheckpointError` when the
    folder holds no usable checkpoint or its settings do not say which model to build.
    """
    run_dir = Path(run_dir)
    path = run_dir / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"No {CHECKPOINT_NAME} in {run_dir}: give the folder of a "
                              "python -m helpers.train run (e.g. runs/resnet_minimal)")
    state = load_checkpoint(path, map_location=device)
    settings = state["settings"] or {}
    results = _read_results(run_dir)
    name = settings.get("model")
    class_names = settings.get("class_names") or (results or {}).get("class_names")
    if name not in MODELS or not class_names:
        raise CheckpointError(
            f"{path} does not name a course model and its classes (model={name!r}); it was not written "
            "by python -m helpers.train. Build the model yourself and use helpers.checkpoint.load_checkpoint."
        )
    model = build_model(name, num_classes=len(class_names))
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as error:
        raise CheckpointError(f"The weights in {path} do not fit a {name} for {len(class_names)} classes "
                              f"({error})") from error
    input_size = trained_input_size_of(settings)
    if input_size is not None:
        setattr(model, TRAINED_INPUT_SIZE, input_size)
    model.to(device).eval()
    normalization = settings.get("normalization") or (results or {}).get("normalization") or {}
    return Run(
        model=model,
        class_names=list(class_names),
        image_size=trained_image_size(model) or IMAGE_SIZE,
        mean=tuple(normalization.get("mean", MEAN)),
        std=tuple(normalization.get("std", STD)),
        epoch=int(state["epoch"]),
        run_dir=run_dir,
        settings=settings,
        results=results,
    )
