"""Checkpoints that survive a culled kernel: model, optimizer, scheduler, epoch, history, settings.

Files are written atomically (temporary file, then rename), so an interrupted save never
leaves a half-written checkpoint, and loaded with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable or does not fit the model."""


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module under DistributedDataParallel and ``torch.compile`` wrappers."""
    while True:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if not isinstance(inner, nn.Module):
            return model
        model = inner


def _plain(value: Any) -> Any:
    """Settings as JSON-safe primitives (paths and devices become strings)."""
    return json.loads(json.dumps(value, default=str))


def save_checkpoint(
    path: str | Path,
    *,
    model: nn.Module,
    epoch: int,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    scaler: Any | None = None,
    history: pd.DataFrame | None = None,
    settings: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write everything needed to resume training to ``path`` (atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model": unwrap(model).state_dict(),
        "epoch": int(epoch),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "scaler": scaler.state_dict() if scaler is not None else None,
        "history": history.to_dict(orient="list") if history is not None else None,
        "settings": _plain(settings or {}),
        "extra": extra or {},
    }
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(
    path: str | Path,
    model: nn.Module | None = None,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    scaler: Any | None = None,
    map_location: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Load a checkpoint (``weights_only=True``) and restore the objects given.

    Returns the raw dictionary with ``history`` turned back into a DataFrame.
    Raises :class:`CheckpointError` with an actionable message when the file is missing,
    corrupt, or made for another architecture.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"No checkpoint at {path}. Train first (e.g. python -m helpers.train ...) "
            "or check the run directory."
        )
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:
        raise CheckpointError(
            f"Checkpoint {path} is corrupt or not a course checkpoint ({type(error).__name__}). "
            "Delete it and train again, or resume from an older copy."
        ) from error
    if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
        hint = ""
        if isinstance(state, dict) and state and all(isinstance(v, torch.Tensor) for v in state.values()):
            hint = (" It looks like a bare state_dict: load it with "
                    "model.load_state_dict(torch.load(path, weights_only=True)).")
        raise CheckpointError(
            f"{path} is a PyTorch file but not a course checkpoint (no 'model' and 'epoch' entries; "
            f"found {type(state).__name__}).{hint}"
        )
    if model is not None:
        try:
            unwrap(model).load_state_dict(state["model"])
        except RuntimeError as error:
            saved_from = (state.get("settings") or {}).get("model")
            origin = ""
            if saved_from:
                origin = f" It was saved from a {saved_from}; build that model (same arguments)."
            raise CheckpointError(
                f"Checkpoint {path} does not match this model's architecture "
                f"({type(unwrap(model)).__name__}).{origin} Details: {error}"
            ) from error
    for target, key in ((optimizer, "optimizer"), (scheduler, "scheduler"), (scaler, "scaler")):
        if target is not None and state.get(key) is not None:
            try:
                target.load_state_dict(state[key])
            except (ValueError, KeyError, RuntimeError, TypeError) as error:
                raise CheckpointError(
                    f"Checkpoint {path} has a {key} state that does not fit this {type(target).__name__} "
                    f"({error}). Build the same {key} as the run that saved it, or start a new run."
                ) from error
    history = state.get("history")
    state["history"] = pd.DataFrame(history) if history else pd.DataFrame()
    return state
