"""Checkpoints that survive a culled kernel and cannot silently rot.

A checkpoint holds the model, optimizer, scheduler, gradient scaler, epoch, history and
settings. Three safeguards:

* **Atomic writes**: a temporary file, flushed to disk, then renamed over the old one, so an
  interrupted save never leaves a half-written checkpoint.
* **A checksum**: SHA-256 over a canonical walk of everything stored (each tensor's dtype,
  shape and bytes; every other entry's type and value), kept in the file and checked on
  load. A flipped byte in the weights raises :class:`CheckpointCorruptError` naming the
  file, instead of loading wrong weights without a word. Older files without a checksum
  still load, with a warning.
* **The previous epoch is kept** (``keep_previous=True``, what :func:`helpers.engine.fit`
  does): ``checkpoint.pt`` moves to ``checkpoint.prev.pt`` before the new one takes its
  name, and :func:`load_latest_checkpoint` falls back to it when the newest is missing,
  corrupt or fails its checksum.

Files are read with ``torch.load(weights_only=True)``: loading never runs code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

log = logging.getLogger(__name__)

CHECKSUM_KEY = "checksum"
TRAINED_INPUT_SIZE = "trained_input_size"
"""Attribute set on a trained model: the shape of one input sample it was trained on, e.g. (3, 128, 128)."""


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable or does not fit the model."""


class CheckpointCorruptError(CheckpointError):
    """A checkpoint's file is unreadable, truncated, not a course checkpoint, or fails its checksum."""

    def __init__(self, message: str, reason: str = "corrupt") -> None:
        super().__init__(message)
        self.reason = reason


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


def previous_path(path: str | Path) -> Path:
    """Where the previous epoch's checkpoint is kept: ``checkpoint.pt`` -> ``checkpoint.prev.pt``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.prev{path.suffix}")


def _hash_into(digest: Any, value: Any) -> None:
    """Feed ``value`` to ``digest`` in a canonical order: the same content always gives the same bytes."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach().to("cpu")
        if tensor.layout != torch.strided:
            tensor = tensor.to_dense()
        digest.update(f"T{tensor.dtype}{tuple(tensor.shape)}|".encode())
        digest.update(tensor.contiguous().reshape(-1).view(torch.uint8).numpy())  # the raw bytes, no copy
    elif isinstance(value, Mapping):
        digest.update(f"D{len(value)}|".encode())
        for key in sorted(value, key=lambda k: (type(k).__name__, repr(k))):
            _hash_into(digest, key)
            _hash_into(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(f"L{len(value)}|".encode())
        for item in value:
            _hash_into(digest, item)
    else:  # str, int, float (repr is exact, nan included), bool, None, torch.dtype, torch.device ...
        text = f"{type(value).__name__}:{value!r}|"
        digest.update(f"V{len(text)}:{text}".encode())


def state_checksum(state: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a checkpoint's entries, the checksum entry itself left out."""
    digest = hashlib.sha256()
    _hash_into(digest, {key: value for key, value in state.items() if key != CHECKSUM_KEY})
    return digest.hexdigest()


def _write_atomic(state: dict[str, Any], path: Path, keep_previous: bool) -> None:
    """``torch.save`` to a temporary file, flushed to disk, then renamed to ``path``.

    With ``keep_previous`` the current ``path`` is first renamed to :func:`previous_path`.
    Each rename is atomic; between the two, only the previous file exists under its new name,
    and :func:`load_latest_checkpoint` then uses it.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        if keep_previous and path.exists():
            os.replace(path, previous_path(path))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


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
    keep_previous: bool = False,
) -> Path:
    """Write everything needed to resume training to ``path`` (atomic, with a checksum).
    Chapter 8 introduces it.

    ``keep_previous=True`` first renames an existing ``path`` to :func:`previous_path`,
    so the last two saves are on disk.
    """
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
    state[CHECKSUM_KEY] = state_checksum(state)
    _write_atomic(state, path, keep_previous)
    return path


def _verify(state: dict[str, Any], path: Path) -> None:
    """Raise :class:`CheckpointCorruptError` when the stored checksum does not match the content."""
    stored = state.pop(CHECKSUM_KEY, None)
    if stored is None:
        warnings.warn(f"Checkpoint {path} has no checksum (saved by an older version of the course), "
                      "so its integrity cannot be checked. Save it again to add one.", stacklevel=3)
        return
    if stored != state_checksum(state):
        raise CheckpointCorruptError(
            f"Checkpoint {path} fails its checksum: its bytes changed after it was saved (a disk or "
            f"copy error), so its weights cannot be trusted. Resume from {previous_path(path).name} "
            "(fit(resume=True) and helpers.train --resume do that by themselves) or train again.",
            reason="fails its checksum",
        )


def load_checkpoint(
    path: str | Path,
    model: nn.Module | None = None,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    scaler: Any | None = None,
    map_location: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Load a checkpoint (``weights_only=True``) and restore the objects given. (Chapter 8 introduces it.)

    Returns the raw dictionary with ``history`` turned back into a DataFrame. The model
    gets back its ``trained_input_size`` attribute (from ``settings["input_size"]``, else
    from ``settings["image_size"]``), so prediction defaults to the size it was trained at.
    Raises :class:`CheckpointError` with an actionable message when the file is missing or
    made for another architecture, and :class:`CheckpointCorruptError` when it is unreadable
    or fails its checksum (nothing is restored then).
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
        raise CheckpointCorruptError(
            f"Checkpoint {path} is corrupt or not a course checkpoint ({type(error).__name__}). "
            "Delete it and train again, or resume from an older copy.",
            reason=f"unreadable: {type(error).__name__}",
        ) from error
    if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
        hint = ""
        if isinstance(state, dict) and state and all(isinstance(v, torch.Tensor) for v in state.values()):
            hint = (" It looks like a bare state_dict: load it with "
                    "model.load_state_dict(torch.load(path, weights_only=True)).")
        raise CheckpointCorruptError(
            f"{path} is a PyTorch file but not a course checkpoint (no 'model' and 'epoch' entries; "
            f"found {type(state).__name__}).{hint}",
            reason="not a course checkpoint",
        )
    _verify(state, path)
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
        size = trained_input_size_of(state.get("settings") or {})
        if size is not None:
            setattr(unwrap(model), TRAINED_INPUT_SIZE, size)
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


def trained_input_size_of(settings: Mapping[str, Any]) -> tuple[int, ...] | None:
    """The per-sample input shape a run trained on: ``settings["input_size"]``, else a square
    RGB ``image_size`` (older runs), else None."""
    size = settings.get("input_size")
    if isinstance(size, (list, tuple)) and size:
        return tuple(int(n) for n in size)
    image_size = settings.get("image_size")
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        return (3, image_size, image_size)
    return None


def trained_image_size(model: nn.Module) -> int | None:
    """The side in pixels of the square images ``model`` was trained on, or None when not recorded."""
    size = getattr(unwrap(model), TRAINED_INPUT_SIZE, None)
    if not size or len(size) != 3:
        return None
    if size[1] != size[2]:
        raise ValueError(f"The model was trained on {size[1]}x{size[2]} inputs, not square images: "
                         "pass image_size explicitly")
    return int(size[2])


def load_latest_checkpoint(path: str | Path, model: nn.Module | None = None, **kwargs: Any) -> dict[str, Any]:
    """:func:`load_checkpoint` on ``path``, falling back to the previous epoch's file when needed.

    When ``path`` is missing, unreadable or fails its checksum and :func:`previous_path`
    exists, that one is loaded instead and a warning names both files. Errors that the
    previous file would share (another architecture, a different optimizer) are raised as
    they are. ``state["loaded_from"]`` is the file actually used.
    """
    path = Path(path)
    previous = previous_path(path)
    try:
        state = load_checkpoint(path, model, **kwargs)
    except CheckpointError as error:
        usable_error = isinstance(error, CheckpointCorruptError) or not path.exists()
        if not (usable_error and previous.is_file()):
            raise
        reason = getattr(error, "reason", None) or "missing: a save was interrupted"
        log.warning("Checkpoint %s is unusable (%s); falling back to the previous epoch's %s.",
                    path, reason, previous)
        try:
            state = load_checkpoint(previous, model, **kwargs)
        except CheckpointCorruptError as second:
            raise CheckpointCorruptError(
                f"Neither {path} nor the previous {previous} can be used ({second}). Train again."
            ) from second
        state["loaded_from"] = str(previous)
        return state
    state["loaded_from"] = str(path)
    return state
