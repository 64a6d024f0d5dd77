"""The run folder, its one owner: file names, ``results.json`` read and written, a run read back.

``python -m helpers.train`` (and ``train.write_notebook_run``) writes :data:`RUN_FILES` into its
run directory: ``checkpoint.pt`` (weights and settings), ``history.csv``, ``results.json`` and
``confusion_matrix.csv``. :func:`write_json` writes ``results.json`` (and any other JSON record),
:func:`read_results` reads it back, :func:`read_tables` the two CSV files, and :func:`find_results`
picks the newest finished run of a model among many (``train.load_results``). :func:`load_run`
rebuilds the model: the settings name it, the weights are loaded (checksum verified), and it comes
back with the class names, the image size it was trained at and the normalisation its images went
through. Chapters 11-16 read runs through it. :func:`load_run` rebuilds the model those
settings name, loads the weights (checksum verified) and returns it with the class
names, the image size it was trained at and the normalisation its images went through::

    run = load_run("runs/resnet_minimal")
    predict_image(run.model, "leaf.jpg", run.class_names, image_size=run.image_size,
                  mean=run.mean, std=run.std)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from helpers.checkpoint import (
    TRAINED_INPUT_SIZE,
    CheckpointError,
    load_checkpoint,
    trained_image_size,
    trained_input_size_of,
)
from helpers.data.locate import IMAGE_SIZE
from helpers.data.transforms import MEAN, STD
from helpers.models import MODELS, build_model

CHECKPOINT_NAME = "checkpoint.pt"
HISTORY_NAME = "history.csv"
RESULTS_NAME = "results.json"
CONFUSION_NAME = "confusion_matrix.csv"
RUN_FILES = (CHECKPOINT_NAME, HISTORY_NAME, RESULTS_NAME, CONFUSION_NAME)
"""Every file a finished run folder holds."""


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

    @property
    def decoder(self) -> str:
        """How the run read its JPEGs (``helpers.train --decoder``); older runs read them with ``draft``."""
        return self.settings.get("decoder", "draft")


def read_results(run_dir: str | Path) -> dict[str, Any] | None:
    """``results.json`` of the run, or None when it is missing or unreadable."""
    return _read_json(Path(run_dir) / RESULTS_NAME)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """JSON with paths and NumPy numbers as plain values, written atomically (``results.json`` and others)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    text = json.dumps(payload, indent=2, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_tables(run_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The run's ``history`` (from ``history.csv``) and ``confusion_matrix`` (classes as index and
    columns, from ``confusion_matrix.csv``), each only when the file is there."""
    run_dir = Path(run_dir)
    tables = {}
    if (run_dir / HISTORY_NAME).exists():
        tables["history"] = pd.read_csv(run_dir / HISTORY_NAME)
    if (run_dir / CONFUSION_NAME).exists():
        tables["confusion_matrix"] = pd.read_csv(run_dir / CONFUSION_NAME, index_col=0)
    return tables


def find_results(model_name: str, root: Path, where: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The newest finished run of ``model_name`` anywhere under ``root``, or None (see
    :func:`helpers.train.load_results`, the name chapters 11-16 call): ``results.json`` plus
    ``run_dir`` and the tables of :func:`read_tables`. Runs under a ``dry-run`` folder are skipped."""
    if not root.is_dir():
        return None
    found = []
    for path in root.rglob(RESULTS_NAME):
        if "dry-run" in path.relative_to(root).parts[:-1]:
            continue  # a dry run (COURSE_DRY_RUN=1) writes under runs/dry-run: never a real run's result
        results = _read_json(path)
        if results is None:
            continue
        settings = results.get("settings") or {}
        if where and any(settings.get(key, results.get(key)) != value for key, value in where.items()):
            continue
        if results.get("model") == model_name and results.get("complete"):
            found.append((results.get("finished_at", ""), path.stat().st_mtime, path, results))
    if not found:
        return None
    _, _, path, results = max(found, key=lambda item: item[:2])
    results["run_dir"] = str(path.parent)
    return {**results, **read_tables(path.parent)}


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
    results = read_results(run_dir)
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
