"""The training engine behind every chapter from 7 on: ``train_one_epoch``, ``evaluate``, ``fit``.

Chapter 6 writes the loop out by hand; this module is that loop, plus what long runs
need: progress bars, gradient clipping, LR schedulers, early stopping, checkpoints with
resume (falling back to the previous epoch's file), DistributedDataParallel awareness, and
what keeps a GPU busy. Those settings follow the device, never ``COURSE_MODE``:

* ``precision`` (``"auto"``, ``"fp32"``, ``"bf16"``, ``"fp16"``): on CUDA ``"auto"`` is
  bfloat16 autocast where the GPU has bfloat16 units (Ampere and newer; no gradient scaler
  needed: bfloat16 has float32's exponent range), else float16 autocast with a
  ``GradScaler`` (float16's small gradients underflow to 0 without loss scaling); on a CPU
  or Apple GPU ``"auto"`` is float32. Asking for ``"bf16"`` on a CPU works (autocast runs
  there), which is how the tests exercise this code without a GPU.
* ``channels_last`` (default: on for CUDA and CPUs, off on Apple GPUs): conv nets run faster
  with NHWC tensors, on tensor cores and in the CPU's convolution routines alike (``python -m
  helpers.bench models --device cpu --threads 1 --channels-last`` against ``--no-channels-last``
  measures it; the README has the numbers). Only 4-D inputs are converted.
* ``compile=True`` wraps the model in ``torch.compile``; ``python -m helpers.bench gpu``
  measures what it gains.
* Batches move with ``non_blocking=True``: the copy overlaps with compute when the loader
  pins its memory, as :func:`helpers.data.make_loader` does on CUDA (from pageable memory
  the copy is synchronous, and nothing is lost).
* ``fit`` turns on ``torch.backends.cudnn.benchmark`` on CUDA: cuDNN then times its
  convolution algorithms once per input shape and keeps the fastest. The course trains on
  fixed-size images, so that happens in the first steps only (drop the last incomplete
  training batch to avoid one more shape); with ever-changing shapes it would re-time every
  step, which is why it is not on everywhere. The previous setting is restored afterwards.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import torch
import torch.distributed as dist
from torch import nn
from torch.optim.swa_utils import AveragedModel

from helpers import config
from helpers.checkpoint import (
    TRAINED_INPUT_SIZE,
    load_latest_checkpoint,
    previous_path,
    save_checkpoint,
    unwrap,
)
from helpers.data.loaders import capped

log = logging.getLogger(__name__)

Batch = tuple[torch.Tensor, torch.Tensor]
Precision = Literal["auto", "fp32", "bf16", "fp16"]
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "fp16")
AUTOCAST_DTYPES: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
TTA_VIEWS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "hflip": lambda x: x.flip(-1), "vflip": lambda x: x.flip(-2), "hvflip": lambda x: x.flip(-2, -1)}
"""Test-time views of an image batch (N, C, H, W) for :func:`predict`'s ``tta`` (plus the original)."""
TRAINING_WEIGHTS = "training_weights"
"""Key in a checkpoint's ``extra``: the raw weights of a run whose ``model`` entry holds their average."""


def is_main_process() -> bool:
    """True on the single process, or on rank 0 of a distributed run."""
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def max_rss_mb() -> float:
    """This process's peak resident memory as ``getrusage`` reports it, in MB."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10  # bytes on macOS, KiB else


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory so far: CUDA allocator peak on GPU, process peak RSS on CPU (MB)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return max_rss_mb()


def resolve_precision(precision: str, device: torch.device) -> str:
    """The precision ``"fp32"``, ``"bf16"`` or ``"fp16"`` that ``precision`` means on ``device``.

    ``"auto"``: bfloat16 on a CUDA GPU with native bfloat16 (compute capability 8.0 and up:
    older GPUs only emulate it, slowly), float16 on older CUDA GPUs, float32 elsewhere.
    An explicit choice is kept as it is.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    if device.type != "cuda":
        return "fp32"
    return "bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp16"


CHANNELS_LAST_DEVICES = ("cuda", "cpu")  # where NHWC is the faster layout for the course's conv nets


def resolve_channels_last(channels_last: bool | None, device: torch.device) -> bool:
    """``channels_last`` as asked, or (``None``) on for CUDA and CPUs, off elsewhere (Apple's MPS)."""
    return device.type in CHANNELS_LAST_DEVICES if channels_last is None else bool(channels_last)


def make_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    """A gradient scaler for float16 training, ``None`` for float32 and bfloat16 (no underflow)."""
    return torch.amp.GradScaler(device.type) if precision == "fp16" else None


def autocast_for(precision: str, device: torch.device) -> torch.autocast:
    """The autocast context for ``precision`` on ``device`` (disabled for float32)."""
    dtype = AUTOCAST_DTYPES[resolve_precision(precision, device)]
    return torch.autocast(device_type=device.type, dtype=dtype or torch.float32, enabled=dtype is not None)


def rng_state() -> dict[str, Any]:
    """The random number generators' states (torch CPU, and every CUDA device), to store in a checkpoint."""
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved (CUDA states only when the device count matches)."""
    torch.set_rng_state(state["torch"].cpu())
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])


def record_input_size(model: nn.Module, inputs: torch.Tensor) -> None:
    """Remember the shape of one training sample (e.g. ``(3, 128, 128)``) on the unwrapped model."""
    size = tuple(int(n) for n in inputs.shape[1:])
    plain = unwrap(model)
    if getattr(plain, TRAINED_INPUT_SIZE, None) != size:
        setattr(plain, TRAINED_INPUT_SIZE, size)


def trained_input_size(model: nn.Module) -> tuple[int, ...] | None:
    """The per-sample input shape ``model`` was last trained on (or loaded with), or None."""
    return getattr(unwrap(model), TRAINED_INPUT_SIZE, None)


def make_ema(model: nn.Module, decay: float) -> AveragedModel:
    """An exponential moving average of ``model``'s weights and buffers (BatchNorm statistics included).

    After ``n`` updates the average moves towards the weights by ``1 - d`` with
    ``d = min(decay, (1 + n) / (10 + n))``: a short run's average is not dominated by the random
    initial weights (the warm-up of TensorFlow's and timm's EMA). Call ``update_parameters(model)``
    after each optimizer step; ``.module`` is the averaged model.
    """
    if not 0.0 < decay < 1.0:
        raise ValueError(f"ema_decay must be between 0 and 1 (e.g. 0.99), got {decay}")

    def average(averaged: torch.Tensor, current: torch.Tensor, updates: torch.Tensor) -> torch.Tensor:
        n = float(updates)
        d = min(decay, (1.0 + n) / (10.0 + n))
        return averaged * d + current.to(averaged.dtype) * (1.0 - d)

    plain = unwrap(model)
    ema = AveragedModel(plain, avg_fn=average, use_buffers=True)
    size = getattr(plain, TRAINED_INPUT_SIZE, None)
    if size is not None:
        setattr(ema.module, TRAINED_INPUT_SIZE, size)
    return ema


def _progress(iterable: Iterable, total: int | None, desc: str, enabled: bool | None) -> Iterable:
    """A progress bar over ``iterable``: on by default, quiet under CI and on non-zero ranks."""
    show = (not config.in_ci()) if enabled is None else enabled
    if not (show and is_main_process()):
        return iterable
    return config.progress_bar()(iterable, total=total, desc=desc, leave=False)


def run_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    scaler: torch.amp.GradScaler | None = None,
    precision: Precision = "auto",
    grad_clip: float | None = None,
    max_batches: int | None = None,
    scheduler: Any | None = None,
    channels_last: bool | None = None,
    progress: bool | None = None,
    desc: str = "",
    mix: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None,
    on_step: Callable[[], None] | None = None,
) -> dict[str, float]:
    """One pass over ``loader``: trains when an optimizer is given, else evaluates.
    Chapter 6 writes this loop by hand.

    Returns the mean loss and the accuracy (fraction correct) over the samples seen,
    summed across processes in a distributed run. ``scheduler`` is stepped per batch
    (for OneCycleLR-style schedules); per-epoch schedulers are stepped by :func:`fit`.
    ``precision`` and ``channels_last``: see the module docstring. Training in float16
    uses ``scaler``, or a new one for this epoch when none is given (:func:`fit` keeps
    one for the whole run). Training records the input size on the model
    (:func:`trained_input_size`). While training, ``mix`` turns each batch's ``(inputs, labels)``
    into ``(inputs, targets)`` for the loss (e.g. soft MixUp/CutMix targets), accuracy still
    counting the original labels; ``on_step`` is called after every optimizer step (e.g. to
    update a weight average). Labels given as probabilities (N, classes) count as their argmax.
    """
    training = optimizer is not None
    model.train(training)
    max_batches = config.cap_batches(max_batches)  # COURSE_DRY_RUN: one batch
    loader = capped(loader, max_batches)  # capped + in-order data: a stratified subset, not the first classes
    precision = resolve_precision(precision, device)
    channels_last = resolve_channels_last(channels_last, device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    if training and scaler is None:
        scaler = make_scaler(precision, device)
    totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, correct, count
    batches = _progress(loader, _epoch_length(loader, max_batches), desc, progress)
    with torch.set_grad_enabled(training):
        for step, (inputs, labels) in enumerate(batches):
            if max_batches is not None and step >= max_batches:
                break
            inputs, labels = _to_device(inputs, labels, device, memory_format)
            targets = labels
            if training and mix is not None:
                inputs, targets = mix(inputs, labels)
            with autocast_for(precision, device):
                outputs = model(inputs)
                loss = loss_fn(outputs, targets)
            if training:
                record_input_size(model, inputs)
                optimizer.zero_grad(set_to_none=True)
                optimizer_step(loss, optimizer, scaler, grad_clip=grad_clip)
                if scheduler is not None:
                    scheduler.step()
                if on_step is not None:
                    on_step()
            _count(totals, loss, outputs, labels)
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(totals)
    count = max(totals[2].item(), 1.0)
    return {"loss": totals[0].item() / count, "acc": totals[1].item() / count}


def _epoch_length(loader: Iterable[Batch], max_batches: int | None) -> int | None:
    """Batches the pass will take (for the progress bar), None when the loader cannot say."""
    try:
        total = len(loader)  # type: ignore[arg-type]
    except TypeError:
        total = None
    return min(total or max_batches, max_batches) if max_batches is not None else total


def _to_device(inputs: torch.Tensor, labels: torch.Tensor, device: torch.device,
               memory_format: torch.memory_format) -> Batch:
    """One batch on ``device`` (asynchronously from pinned memory), images in ``memory_format``."""
    inputs = inputs.to(device, non_blocking=True)
    if inputs.dim() == 4:
        inputs = inputs.contiguous(memory_format=memory_format)
    return inputs, labels.to(device, non_blocking=True)


def optimizer_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer,
                   scaler: torch.amp.GradScaler | None = None, *, grad_clip: float | None = None) -> None:
    """Backward pass and one optimiser step: through ``scaler`` for float16 (loss scaled up, gradients
    unscaled before clipping, the step skipped on overflow), plainly otherwise; ``grad_clip`` clips
    the global gradient norm. The one owner of the step, used by :func:`run_epoch` and the benchmarks.
    """
    scaled = scaler is not None and scaler.is_enabled()
    (scaler.scale(loss) if scaled else loss).backward()
    if grad_clip is not None:
        if scaled:
            scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], grad_clip)
    if scaled:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()


@contextlib.contextmanager
def cudnn_tuning(device: torch.device) -> Iterator[None]:
    """``torch.backends.cudnn.benchmark`` on during the block on CUDA (fixed shapes: cuDNN times its
    convolution algorithms once and keeps the fastest), the previous setting restored afterwards."""
    before = torch.backends.cudnn.benchmark
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


def _count(totals: torch.Tensor, loss: torch.Tensor, outputs: torch.Tensor, labels: torch.Tensor) -> None:
    """Add a batch's loss sum, correct predictions and size to ``totals`` (soft labels count as their
    argmax; one logit per sample is binary classification)."""
    n = labels.shape[0]
    totals[0] += loss.detach().double() * n
    if labels.is_floating_point() and labels.dim() == 2 and labels.shape[-1] > 1:
        labels = labels.argmax(dim=-1)  # soft labels: the most probable class
    if outputs.dim() > 1 and outputs.shape[-1] > 1:
        totals[1] += (outputs.argmax(dim=-1) == labels).sum()
    else:  # one logit per sample: binary classification
        totals[1] += ((outputs.reshape(-1) > 0).long() == labels.reshape(-1).long()).sum()
    totals[2] += n


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    device: torch.device,
    **kwargs: Any,
) -> dict[str, float]:
    """Train for one epoch; returns ``{"loss": mean loss, "acc": accuracy}``.

    (Chapter 6 writes it by hand.)
    """
    return run_epoch(model, loader, loss_fn, device, optimizer=optimizer, **kwargs)


def evaluate(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device,
    **kwargs: Any,
) -> dict[str, float]:
    """Evaluate without gradients; returns ``{"loss": mean loss, "acc": accuracy}``.

    (Chapter 7 introduces it.)
    """
    return run_epoch(model, loader, loss_fn, device, optimizer=None, **kwargs)


@torch.no_grad()
def predict(
    model: nn.Module,
    loader: Iterable[Batch],
    device: torch.device,
    *,
    max_batches: int | None = None,
    precision: Precision = "auto",
    channels_last: bool | None = None,
    tta: Iterable[str] = (),
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return ``(y_true, y_pred, probabilities)`` on the CPU for everything in ``loader``.
    Chapter 7 introduces it.

    ``precision`` and ``channels_last`` as in :func:`run_epoch`; probabilities are float32.
    ``tta`` names test-time views from :data:`TTA_VIEWS` (e.g. ``("hflip", "vflip")``): the
    probabilities are then the mean over the original batch and each view (one more forward
    pass per view).
    """
    views = [TTA_VIEWS[name] for name in _check_tta(tta)]
    model.eval()
    max_batches = config.cap_batches(max_batches)  # COURSE_DRY_RUN: one batch
    loader = capped(loader, max_batches)  # capped + in-order data: a stratified subset, not the first classes
    precision = resolve_precision(precision, device)
    memory_format = torch.channels_last if resolve_channels_last(channels_last, device) else None
    trues, preds, probs = [], [], []
    for step, (inputs, targets) in enumerate(loader):
        if max_batches is not None and step >= max_batches:
            break
        inputs = inputs.to(device, non_blocking=True)
        if memory_format is not None and inputs.dim() == 4:
            inputs = inputs.contiguous(memory_format=memory_format)
        p, binary = view_probabilities(model, inputs, views, precision, device)
        label = (p > 0.5).long() if binary else p.argmax(dim=-1)
        trues.append(targets.cpu().reshape(label.shape).long())
        preds.append(label.cpu())
        probs.append(p.cpu())
    return torch.cat(trues), torch.cat(preds), torch.cat(probs)


View = Callable[[torch.Tensor], torch.Tensor]


def view_probabilities(model: nn.Module, inputs: torch.Tensor, views: Sequence[View], precision: str,
                       device: torch.device) -> tuple[torch.Tensor, bool]:
    """Probabilities averaged over ``inputs`` and each of its ``views`` (one forward pass each), and
    whether the model is binary (one logit: the probability of class 1) rather than softmax over classes."""
    p = torch.zeros(())
    batches = [inputs, *(view(inputs) for view in views)]
    for batch in batches:
        with autocast_for(precision, device):
            logits = model(batch).float()
        binary = logits.dim() == 1 or logits.shape[-1] == 1
        p = p + (logits.reshape(-1).sigmoid() if binary else logits.softmax(dim=-1))
    return p / len(batches), binary


def _check_tta(tta: Iterable[str]) -> list[str]:
    """The test-time views asked for, checked against :data:`TTA_VIEWS` (a clear error otherwise)."""
    names = [tta] if isinstance(tta, str) else list(tta)
    unknown = [name for name in names if name not in TTA_VIEWS]
    if unknown:
        raise ValueError(f"unknown test-time view(s) {unknown}; choose from {', '.join(TTA_VIEWS)}")
    return names


def _set_sampler_epoch(loader: Iterable[Batch], epoch: int) -> None:
    sampler = getattr(loader, "sampler", None)
    if hasattr(sampler, "set_epoch"):
        sampler.set_epoch(epoch)


def default_optimizer(model: nn.Module, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """What :func:`fit` trains with when it is given no optimizer.

    Adam without weight decay; with ``weight_decay`` AdamW, whose decay is decoupled from Adam's
    per-weight scaling: each step multiplies every weight by ``1 - lr * weight_decay``, then takes
    Adam's step on the loss's gradient alone. (``Adam(weight_decay=...)`` would add an L2 term to
    the gradient instead, which Adam's scaling distorts: chapter 7b measures the difference.)
    """
    if weight_decay:
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return torch.optim.Adam(model.parameters(), lr=lr)


def fit(
    model: nn.Module,
    train_loader: Iterable[Batch],
    val_loader: Iterable[Batch] | None = None,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    scheduler: Any | None = None,
    scheduler_interval: Literal["epoch", "batch"] = "epoch",
    device: torch.device | None = None,
    grad_clip: float | None = None,
    patience: int | None = None,
    restore_best: bool = True,
    precision: Precision = "auto",
    compile: bool = False,
    channels_last: bool | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    max_batches: int | None = None,
    settings: dict[str, Any] | None = None,
    progress: bool | None = None,
    on_epoch_end: Callable[[int, pd.DataFrame], None] | None = None,
    mix: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None,
    ema_decay: float | None = None,
) -> pd.DataFrame:
    """Train ``model`` for ``epochs`` epochs and return the history (chapter 6 writes this loop by hand).

    The lesson's steps, one named function each: prepare -> resume -> each epoch: train (the weight
    average updated after every step), validate, record, checkpoint, stop? One history row per epoch:
    ``epoch, train_loss, train_acc, val_loss, val_acc, lr, epoch_time_s, peak_memory_mb``. Options:

    * ``optimizer``: Adam(``lr``), or AdamW(``lr``, ``weight_decay``) when ``weight_decay`` is set
      (decoupled decay, :func:`default_optimizer`); ``loss_fn``: cross-entropy.
    * ``scheduler`` steps once per epoch (``ReduceLROnPlateau`` gets the validation loss) or once
      per batch with ``scheduler_interval="batch"``. ``grad_clip`` clips the global gradient norm;
      ``patience`` stops early after that many epochs without a better validation loss,
      restoring the best weights.
    * ``precision``, ``channels_last``, ``compile``: see the module docstring.
    * ``checkpoint`` is saved after every epoch, the previous epoch's file kept as
      ``<name>.prev.pt``; ``resume=True`` continues from it (or from the previous one when the newest
      is missing, corrupt or fails its checksum): ``epochs`` is the total count. The random number
      generators' states are saved too: a resumed run shuffles as the uninterrupted one would have.
    * ``mix`` turns each training batch's ``(inputs, labels)`` into ``(inputs, targets)`` for the
      loss, e.g. :func:`helpers.mixing.make_mix` (MixUp/CutMix). ``ema_decay`` (e.g. 0.99) keeps an
      exponential moving average of the weights (:func:`make_ema`): validation, early stopping,
      the checkpoint's model and the model left behind use it (the training weights, for resume,
      are under ``extra["training_weights"]``).
    * ``max_batches`` caps batches per epoch (smoke mode); ``COURSE_DRY_RUN=1`` caps every pass at
      one batch and ``epochs`` at 2. ``settings`` are stored in the checkpoint with the run's own
      (resolved precision, channels-last, compile, ``input_size``: one sample's shape, also kept on
      the model as ``trained_input_size`` so that prediction defaults to it).
    """
    run = _prepare(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer, lr=lr,
                   weight_decay=weight_decay, loss_fn=loss_fn, scheduler=scheduler,
                   scheduler_interval=scheduler_interval, device=device, grad_clip=grad_clip,
                   patience=patience, restore_best=restore_best, precision=precision, compile=compile,
                   channels_last=channels_last, checkpoint=checkpoint, max_batches=max_batches,
                   settings=settings, progress=progress, mix=mix, ema_decay=ema_decay)
    if resume:
        _resume(run)
    _start_average(run)
    epoch = run.start_epoch
    with cudnn_tuning(run.device):
        try:
            for epoch in range(run.start_epoch + 1, run.epochs + 1):
                train = _train(run, epoch)
                val = _validate(run, epoch)
                _record(run, epoch, train, val)
                _save_checkpoint(run, epoch)
                if on_epoch_end is not None:
                    on_epoch_end(epoch, run.history)
                if _should_stop(run, epoch):
                    break
        except KeyboardInterrupt:
            log.warning("Interrupted during epoch %d; the last finished epoch is in the checkpoint. "
                        "Run again with resume=True to continue.", epoch)
    return _finish(run)


@dataclass
class _Run:
    """Everything :func:`fit` carries from one epoch to the next (built by :func:`_prepare`)."""

    model: nn.Module
    train_loader: Iterable[Batch]
    val_loader: Iterable[Batch] | None
    optimizer: torch.optim.Optimizer
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    scheduler: Any | None
    scheduler_interval: str
    scaler: torch.amp.GradScaler | None
    device: torch.device
    epochs: int
    settings: dict[str, Any]
    common: dict[str, Any]
    grad_clip: float | None
    patience: int | None
    keep_best: bool
    checkpoint: Path | None
    compile: bool
    mix: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None
    ema_decay: float | None
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    start_epoch: int = 0
    best_loss: float = float("inf")
    bad_epochs: int = 0
    best_state: dict[str, Any] | None = None
    averaged: tuple[dict[str, Any], int] | None = None  # a resumed run's average and its update count
    ema: AveragedModel | None = None
    step_model: nn.Module | None = None
    eval_model: nn.Module | None = None
    rotate: bool = False  # keep the previous file only once it is this run's (never an older run's)


def _prepare(model: nn.Module, train_loader: Iterable[Batch], val_loader: Iterable[Batch] | None, *,
             epochs: int, optimizer: torch.optim.Optimizer | None, lr: float, weight_decay: float,
             loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None, scheduler: Any | None,
             scheduler_interval: str, device: torch.device | None, grad_clip: float | None,
             patience: int | None, restore_best: bool, precision: Precision, compile: bool,
             channels_last: bool | None, checkpoint: str | Path | None, max_batches: int | None,
             settings: dict[str, Any] | None, progress: bool | None, mix: Any,
             ema_decay: float | None) -> _Run:
    """Step 1, prepare: the device's settings resolved, the model moved, optimizer, loss and scaler
    made, and the settings the checkpoint records."""
    device = config.resolve_device(device)
    epochs, max_batches = config.cap_epochs(epochs), config.cap_batches(max_batches)  # COURSE_DRY_RUN
    precision = resolve_precision(precision, device)
    channels_last = resolve_channels_last(channels_last, device)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = optimizer or default_optimizer(model, lr, weight_decay)
    run_settings = {
        "epochs": epochs, "lr": optimizer.param_groups[0]["lr"],
        "weight_decay": optimizer.param_groups[0].get("weight_decay", 0.0),
        "optimizer": type(optimizer).__name__, "scheduler": type(scheduler).__name__ if scheduler else None,
        "grad_clip": grad_clip, "patience": patience, "precision": precision, "compile": compile,
        "channels_last": channels_last, "cudnn_benchmark": device.type == "cuda",
        "max_batches": max_batches, "device": str(device), "model": type(unwrap(model)).__name__,
        "ema_decay": ema_decay, "mix": repr(mix) if mix is not None else None,
        **(settings or {}),
    }
    return _Run(model=model, train_loader=train_loader, val_loader=val_loader, optimizer=optimizer,
                loss_fn=loss_fn or nn.CrossEntropyLoss(), scheduler=scheduler,
                scheduler_interval=scheduler_interval, scaler=make_scaler(precision, device), device=device,
                epochs=epochs, settings=run_settings,
                common=dict(precision=precision, max_batches=max_batches, channels_last=channels_last,
                            progress=progress),
                grad_clip=grad_clip, patience=patience, keep_best=patience is not None and restore_best,
                checkpoint=Path(checkpoint) if checkpoint else None, compile=compile, mix=mix,
                ema_decay=ema_decay)


def _resume(run: _Run) -> None:
    """Step 2, resume: continue from the checkpoint (or the previous epoch's file) when there is one:
    weights, optimizer, scheduler, scaler, history, early-stopping state and the RNGs."""
    checkpoint = run.checkpoint
    if checkpoint is None or not (checkpoint.exists() or previous_path(checkpoint).exists()):
        return
    state = load_latest_checkpoint(checkpoint, run.model, optimizer=run.optimizer, scheduler=run.scheduler,
                                   scaler=run.scaler, map_location=run.device)
    extra = state["extra"]
    run.history, run.start_epoch = state["history"], state["epoch"]
    run.best_loss = extra.get("best_loss", run.best_loss)
    run.bad_epochs = extra.get("bad_epochs", 0)
    run.best_state = extra.get("best_state")  # saved when early stopping may restore it
    if extra.get("rng") is not None:  # the next epoch shuffles as the uninterrupted run would
        set_rng_state(extra["rng"])
    if extra.get(TRAINING_WEIGHTS) is not None:  # the model entry holds the average
        run.averaged = state["model"], int(extra.get("ema_updates", 0))
        unwrap(run.model).load_state_dict(extra[TRAINING_WEIGHTS])
    if state["loaded_from"] != str(checkpoint) and checkpoint.exists() and is_main_process():
        aside = checkpoint.with_name(f"{checkpoint.stem}.corrupt{checkpoint.suffix}")
        checkpoint.replace(aside)  # so the next save does not rotate it over the good previous file
        log.warning("Moved the unusable %s to %s", checkpoint, aside)
    log.info("Resumed from %s at epoch %d", state["loaded_from"], run.start_epoch)
    run.rotate = True


def _start_average(run: _Run) -> None:
    """The weight average (``ema_decay``), restored on resume; which model trains (compiled or not)
    and which one validation sees (the average when there is one)."""
    if run.ema_decay:
        run.ema = make_ema(run.model, run.ema_decay)
        if run.averaged is not None:
            run.ema.module.load_state_dict(run.averaged[0])
            run.ema.n_averaged.fill_(run.averaged[1])
    run.step_model = torch.compile(run.model) if run.compile else run.model
    run.eval_model = run.ema.module if run.ema is not None else run.step_model


def _train(run: _Run, epoch: int) -> dict[str, float]:
    """Step 3, train: one epoch, the average updated after every step. Returns the loss, the accuracy,
    the learning rate the epoch started with and its ``seconds``."""
    _set_sampler_epoch(run.train_loader, epoch)
    if run.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(run.device)
    ema = run.ema
    on_step = (lambda: ema.update_parameters(unwrap(run.model))) if ema is not None else None
    lr = run.optimizer.param_groups[0]["lr"]
    started = time.perf_counter()
    train = run_epoch(run.step_model, run.train_loader, run.loss_fn, run.device, optimizer=run.optimizer,
                      scaler=run.scaler, grad_clip=run.grad_clip,
                      scheduler=run.scheduler if run.scheduler_interval == "batch" else None,
                      desc=f"epoch {epoch}/{run.epochs} train", mix=run.mix, on_step=on_step, **run.common)
    if run.device.type == "cuda":
        torch.cuda.synchronize(run.device)
    return {**train, "lr": lr, "seconds": time.perf_counter() - started}


def _validate(run: _Run, epoch: int) -> dict[str, float]:
    """Step 4, validate: the evaluated model (the average, if kept) on the validation loader."""
    if run.val_loader is None:
        return {"loss": float("nan"), "acc": float("nan")}
    return evaluate(run.eval_model, run.val_loader, run.loss_fn, run.device, desc=f"epoch {epoch} val",
                    **run.common)


def _record(run: _Run, epoch: int, train: dict[str, float], val: dict[str, float]) -> None:
    """Step 5: the epoch's history row, the per-epoch scheduler step, the best validation loss so far."""
    row = {"epoch": epoch, "train_loss": train["loss"], "train_acc": train["acc"],
           "val_loss": val["loss"], "val_acc": val["acc"], "lr": train["lr"],
           "epoch_time_s": train["seconds"], "peak_memory_mb": peak_memory_mb(run.device)}
    if run.scheduler is not None and run.scheduler_interval == "epoch":
        if isinstance(run.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            run.scheduler.step(val["loss"])
        else:
            run.scheduler.step()
    run.history = pd.concat([run.history, pd.DataFrame([row])], ignore_index=True)
    if run.val_loader is not None and val["loss"] < run.best_loss:
        run.best_loss, run.bad_epochs = val["loss"], 0
        if run.keep_best:  # a copy of the weights only when early stopping may need it
            run.best_state = copy.deepcopy(unwrap(run.eval_model).state_dict())
    else:
        run.bad_epochs += 1
    if is_main_process():
        log.info("epoch %d: train loss %.4f acc %.3f | val loss %.4f acc %.3f | %.1fs",
                 epoch, train["loss"], train["acc"], val["loss"], val["acc"], train["seconds"])


def _save_checkpoint(run: _Run, epoch: int) -> None:
    """Step 6, checkpoint: the model to use (the average, if kept), what resuming needs, the settings
    with the trained input size; the previous epoch's file kept as the fallback."""
    size = trained_input_size(run.model)
    if size is not None:
        run.settings["input_size"] = list(size)
    if run.checkpoint is None or not is_main_process():
        return
    extra: dict[str, Any] = {"best_loss": run.best_loss, "bad_epochs": run.bad_epochs, "rng": rng_state()}
    if run.keep_best and run.best_state is not None:  # so a resumed run can still restore the best
        extra["best_state"] = run.best_state
    if run.ema is not None:  # the average is the model to use; the training weights are for resume
        extra[TRAINING_WEIGHTS] = unwrap(run.model).state_dict()
        extra["ema_updates"] = int(run.ema.n_averaged)
    if not run.rotate:  # a new run: an older run's files are no fallback for this one
        previous_path(run.checkpoint).unlink(missing_ok=True)
    model = run.ema.module if run.ema is not None else run.model
    save_checkpoint(run.checkpoint, model=model, epoch=epoch, optimizer=run.optimizer,
                    scheduler=run.scheduler, scaler=run.scaler, history=run.history,
                    settings=run.settings, extra=extra, keep_previous=run.rotate)
    run.rotate = True


def _should_stop(run: _Run, epoch: int) -> bool:
    """Step 7, stop? Early stopping: ``patience`` epochs without a better validation loss."""
    if run.patience is None or run.val_loader is None or run.bad_epochs < run.patience:
        return False
    log.info("Early stopping at epoch %d: no validation improvement for %d epochs", epoch, run.patience)
    return True


def _finish(run: _Run) -> pd.DataFrame:
    """The weights ``fit`` leaves in the model: the best (early stopping), else the average, else the last."""
    if run.keep_best and run.best_state is not None:
        unwrap(run.model).load_state_dict(run.best_state)
    elif run.ema is not None:
        unwrap(run.model).load_state_dict(run.ema.module.state_dict())
    return run.history
