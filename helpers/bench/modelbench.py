"""How fast and how big: training-step time, images per second and peak memory of the course's models.

Chapter 14 (MaxPool vs stride 2), chapter 16 (all five side by side) and
``python -m helpers.bench models`` use these functions. A measurement trains the model
for a few steps on random 256 px images (no data loading: the model alone) and reports

* ``time_per_step_s`` and ``images_per_s``: the fastest of the timed steps, after warm-up;
* ``peak_memory_mb`` (everything the training needed, from just before the model was built)
  and ``step_memory_mb`` (the measured steps' peak above what stays allocated between
  steps: mostly activations). On CUDA from the allocator (``torch.cuda.max_memory_allocated``),
  on a CPU from the process's peak resident memory (Linux: VmHWM, reset to the current
  RSS before each window; elsewhere ``ru_maxrss``). The CPU numbers are cleanest in a fresh process
  (no memory cached from earlier work), hence :func:`measure_in_subprocess`, which runs
  one measurement in a new Python process (``multiprocessing`` with ``spawn``).
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from helpers import config
from helpers.engine import (
    PRECISIONS,
    autocast_for,
    cudnn_tuning,
    make_scaler,
    max_rss_mb,
    optimizer_step,
    resolve_channels_last,
    resolve_precision,
)
from helpers.models import IMAGE_SIZE, MODELS, NUM_CLASSES, PLANTVILLAGE_MODELS, build_model, count_parameters


def _rss_peak_mb() -> float:
    """This process's peak resident memory in MB: Linux's VmHWM, else ``ru_maxrss``.

    VmHWM is what ``clear_refs`` resets. ``ru_maxrss`` is never lower than the parent's memory
    when the process was started (the kernel carries it over at exec), so in a child started
    from a big Jupyter kernel it would hide the child's own peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10  # kB
    except (OSError, ValueError, IndexError):
        pass
    return max_rss_mb()


def _reset_peak_rss() -> bool:
    """Reset this process's peak RSS to its current RSS (Linux ``clear_refs``); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def device_name(device: torch.device) -> str:
    """A readable name for the machine that ran a measurement (GPU model or CPU)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _warm_up_libraries(device: torch.device) -> None:
    """One tiny convolution forward and backward: loads the kernels and allocator pools once."""
    layer = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
    layer.to(device)
    layer(torch.randn(2, 3, 16, 16, device=device)).sum().backward()
    _sync(device)


def _train_step(model: nn.Module, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None,
                inputs: torch.Tensor, targets: torch.Tensor, precision: str) -> None:
    """One optimisation step, as :func:`helpers.engine.run_epoch` takes it (``engine.optimizer_step``)."""
    with autocast_for(precision, inputs.device):
        loss = F.cross_entropy(model(inputs), targets)
    optimizer.zero_grad(set_to_none=True)
    optimizer_step(loss, optimizer, scaler)


def _dry_run_budget(batch_size: int, steps: int, warmup: int) -> tuple[int, int, int]:
    """``(batch_size, steps, warmup)``, or in a dry run (``COURSE_DRY_RUN=1``) one step of a tiny batch."""
    if config.dry_run():
        return config.cap_batch_size(batch_size), 1, 0
    return batch_size, steps, warmup


def _memory_now(device: torch.device) -> float:
    """MB in use now: allocated CUDA memory, or the resident set of this process on a CPU."""
    if device.type == "cuda":
        return torch.cuda.memory_allocated(device) / 2**20
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    except (OSError, IndexError, ValueError):
        return _rss_peak_mb()


def _start_peak(device: torch.device) -> bool:
    """Start a new peak-memory window now; False when the platform cannot reset the CPU peak."""
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return True
    return _reset_peak_rss()


def _peak(device: torch.device) -> float:
    """Peak MB since :func:`_start_peak`: CUDA allocator peak, or the process's peak RSS."""
    _sync(device)
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else _rss_peak_mb()


def measure_training_step(
    model_name: str,
    batch_size: int = 32,
    steps: int = 2,
    warmup: int = 1,
    image_size: int = IMAGE_SIZE,
    device: str | torch.device | None = None,
    precision: str = "auto",
    channels_last: bool | None = None,
    compile: bool = False,
    compile_backend: str = "inductor",
    threads: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Train ``model_name`` for ``warmup + steps`` steps on random images; time and memory per step.

    Adam, cross-entropy, ``batch_size`` images of ``image_size`` pixels; ``precision`` and
    ``channels_last`` follow the device as in :func:`helpers.engine.fit` (bfloat16 or float16
    autocast and channels-last on CUDA, float32 elsewhere), and so does ``cudnn.benchmark``.
    ``compile=True`` times ``torch.compile(model, backend=compile_backend)``; the
    compilation happens in the first warm-up step, whose time is ``first_step_s`` (also
    reported without compile, for comparison). Two memory numbers:

    * ``peak_memory_mb``: everything the model's training needed at its peak, from just before
      it was built (weights, gradients, Adam's moments, activations, library workspaces);
    * ``step_memory_mb``: the peak of the timed steps above what stays allocated between
      steps (after the warm-up steps created Adam's moments and the libraries' caches):
      mostly the activations kept for the backward pass and the gradients, the part that
      grows with the batch and the image size. On a CPU this is exact only when freed memory
      goes back to the system (:func:`return_freed_memory`, done in :func:`measure_in_subprocess`).
    """
    device = config.resolve_device(device)
    batch_size, steps, warmup = _dry_run_budget(batch_size, steps, warmup)
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not one of {', '.join(PRECISIONS)}")
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    precision = resolve_precision(precision, device)
    channels_last = resolve_channels_last(channels_last, device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    with cudnn_tuning(device):  # as engine.fit does
        _warm_up_libraries(device)  # one-off library set-up is not the model's memory
        resettable = _start_peak(device)
        memory = {"before": _memory_now(device)}
        model = build_model(model_name).to(device, memory_format=memory_format)
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        scaler = make_scaler(precision, device)
        # One eager one-image step creates Adam's moments (the total peak counts them). Eager, so
        # that torch.compile below sees only the timed batch size and compiles one static graph.
        one = torch.randn(1, 3, image_size, image_size, device=device).contiguous(memory_format=memory_format)
        _train_step(model, optimizer, scaler, one, torch.zeros(1, dtype=torch.long, device=device), precision)
        memory["total_peak"] = _peak(device)
        _new_memory_window(memory, device)
        step_model = torch.compile(model, backend=compile_backend) if compile else model
        inputs = torch.randn(batch_size, 3, image_size, image_size, device=device).contiguous(
            memory_format=memory_format)
        targets = torch.randint(0, NUM_CLASSES, (batch_size,), device=device)
        times, first_step = _time_steps(
            lambda: _train_step(step_model, optimizer, scaler, inputs, targets, precision), device,
            warmup, steps, on_warm=lambda: _new_memory_window(memory, device))
        step_peak = _peak(device)
    if device.type == "cuda":
        memory_kind = "CUDA max_memory_allocated"
    else:
        memory_kind = "peak RSS" + ("" if resettable else " (peak could not be reset: may read low)")
    step_time = min(times) if times else float("nan")
    return {
        "model": model_name, "parameters": count_parameters(model), "batch_size": batch_size,
        "image_size": image_size, "steps": len(times), "time_per_step_s": step_time,
        "median_step_s": float(np.median(times)) if times else float("nan"),
        "images_per_s": batch_size / step_time, "first_step_s": first_step,
        "peak_memory_mb": max(memory["total_peak"], step_peak) - memory["before"],
        "step_memory_mb": step_peak - memory["between_steps"], "memory_kind": memory_kind,
        "device": str(device), "device_name": device_name(device), "precision": precision,
        "channels_last": channels_last, "compile": compile,
        "compile_backend": compile_backend if compile else None, "torch": torch.__version__,
    }


def _new_memory_window(memory: dict[str, float], device: torch.device) -> None:
    """Close the memory window (its peak counts towards the total) and open one for the steps ahead."""
    if "between_steps" in memory:
        memory["total_peak"] = max(memory["total_peak"], _peak(device))
    _start_peak(device)
    memory["between_steps"] = _memory_now(device)


def _time_steps(step: Callable[[], None], device: torch.device, warmup: int, steps: int, *,
                on_warm: Callable[[], None]) -> tuple[list[float], float]:
    """Seconds of each of ``steps`` timed steps after ``warmup`` untimed ones, and of the very first
    step; ``on_warm`` runs once the warm-up steps settled the caches (a new memory window)."""
    times, first_step = [], float("nan")
    for index in range(warmup + steps):
        if index == warmup and warmup:
            on_warm()
        _sync(device)
        started = time.perf_counter()
        step()
        _sync(device)
        elapsed = time.perf_counter() - started
        if index == 0:
            first_step = elapsed
        if index >= warmup:
            times.append(elapsed)
    return times, first_step


def compare_step_times(
    names: Iterable[str],
    batch_size: int = 32,
    image_size: int = IMAGE_SIZE,
    rounds: int = 3,
    warmup: int = 1,
    device: str | torch.device | None = None,
    precision: str = "auto",
    channels_last: bool | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Time training steps of several models **interleaved** (A, B, A, B, ...) in this process.

    Taking turns step by step exposes every model to the same moments of a busy machine, so
    their ratio is far steadier than two separate runs on a shared CPU. Returns one row per
    model: the fastest and the median step time (s) over ``rounds`` after ``warmup`` rounds, and
    the fastest step's **CPU time** of this process (``cpu_time_per_step_s``, all its threads): on a
    CPU that is the work a step costs, which other programs on a busy machine cannot stretch (they
    stretch the wall-clock time). ``precision`` and ``channels_last`` as in :func:`measure_training_step`.
    """
    device = config.resolve_device(device)
    batch_size, rounds, warmup = _dry_run_budget(batch_size, rounds, warmup)
    precision = resolve_precision(precision, device)
    channels_last = resolve_channels_last(channels_last, device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    torch.manual_seed(seed)
    inputs = torch.randn(batch_size, 3, image_size, image_size, device=device).contiguous(
        memory_format=memory_format)
    targets = torch.randint(0, NUM_CLASSES, (batch_size,), device=device)
    names = list(names)
    setups = {}
    for name in names:
        model = build_model(name).to(device, memory_format=memory_format).train()
        setups[name] = (model, torch.optim.Adam(model.parameters(), lr=1e-4), make_scaler(precision, device))
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu_times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(warmup + rounds):
        for name in names:
            _sync(device)
            started, cpu_started = time.perf_counter(), time.process_time()
            _train_step(*setups[name], inputs, targets, precision)
            _sync(device)
            if round_ >= warmup:
                times[name].append(time.perf_counter() - started)
                cpu_times[name].append(time.process_time() - cpu_started)
    return pd.DataFrame([{"model": name, "time_per_step_s": min(t), "median_step_s": float(np.median(t)),
                          "cpu_time_per_step_s": min(cpu_times[name]),
                          "rounds": len(t), "batch_size": batch_size, "image_size": image_size,
                          "precision": precision, "channels_last": channels_last,
                          "device": str(device), "device_name": device_name(device)}
                         for name, t in times.items()])


def return_freed_memory() -> bool:
    """Ask glibc to give every freed block above 64 kB back to the system at once (Linux only).

    By default glibc keeps freed memory for reuse, so the resident memory of a process stays
    high after a training step and a second step's peak is invisible. With a fixed mmap
    threshold, every large tensor is its own mapping, returned when the tensor is freed:
    the resident memory then follows the memory PyTorch really holds.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-3, 64 * 1024))  # M_MMAP_THRESHOLD = -3
    except (OSError, AttributeError):
        return False


def _child(queue: Any, kwargs: dict[str, Any]) -> None:
    """Entry point of the measuring process: run one measurement, send back its result or error."""
    return_freed_memory()
    try:
        queue.put(("ok", measure_training_step(**kwargs)))
    except BaseException as error:  # noqa: BLE001 - everything goes back to the parent as a message
        queue.put(("error", f"{type(error).__name__}: {error}"))


def _check_name(model_name: str) -> None:
    """Fail here, with the list of names, rather than after starting a process."""
    if model_name.lower().replace("-", "_") not in MODELS:
        raise ValueError(f"Unknown model {model_name!r}; choose one of: {', '.join(MODELS)}")


def _start(model_name: str, kwargs: dict[str, Any]) -> tuple[Any, Any, float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(queue, {"model_name": model_name, **kwargs}), daemon=True)
    started = time.perf_counter()
    process.start()
    return process, queue, started


def _collect(model_name: str, process: Any, queue: Any, started: float, timeout: float) -> dict[str, Any]:
    try:
        status, payload = queue.get(timeout=timeout)
    except Exception as error:  # queue.Empty after the timeout, or a crashed child
        process.kill()
        raise RuntimeError(f"Measuring {model_name} gave no result within {timeout:.0f} s "
                           f"(exit code {process.exitcode})") from error
    finally:
        process.join(timeout=30)
    if status != "ok":
        raise RuntimeError(f"Measuring {model_name} failed in the subprocess: {payload}")
    payload["process_s"] = time.perf_counter() - started
    return payload


def measure_in_subprocess(model_name: str, timeout: float = 1800, **kwargs: Any) -> dict[str, Any]:
    """:func:`measure_training_step` in a fresh Python process, so that its peak memory is its own."""
    _check_name(model_name)
    return _collect(model_name, *_start(model_name, kwargs), timeout)


def measure_memory_in_subprocesses(model_names: Iterable[str], timeout: float = 1800,
                                   **kwargs: Any) -> list[dict[str, Any]]:
    """:func:`measure_in_subprocess` for several models **at the same time**, one process each.

    Faster than one after the other, and each process's memory is still its own; but the
    processes share the CPU, so their times are not comparable: use this for memory only.
    """
    names = list(model_names)
    for name in names:
        _check_name(name)
    running = [(name, *_start(name, kwargs)) for name in names]
    return [_collect(name, process, queue, started, timeout) for name, process, queue, started in running]


def benchmark_models(
    names: Iterable[str] = PLANTVILLAGE_MODELS,
    *,
    isolate: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """One row per model: parameters, time per step, images/s and peak memory (see the module doc).

    ``isolate=True`` measures every model in its own fresh process (needed for CPU memory);
    ``False`` measures in this process (faster; CPU memory then only grows from model to model).
    """
    rows = []
    for name in names:
        measure = measure_in_subprocess if isolate else measure_training_step
        rows.append(measure(name, **kwargs))
    return pd.DataFrame(rows)


def saved_activation_mb(model: nn.Module, inputs: torch.Tensor, exclude_parameters: bool = True) -> float:
    """MB of tensors autograd keeps for the backward pass of ``model(inputs)`` (each storage counted once).

    The memory a training step needs for activations, measured exactly and independent of the
    allocator (chapter 9 writes this function out). The weights, which autograd also keeps,
    are left out unless ``exclude_parameters=False``: they do not grow with the batch.
    """
    storages: dict[int, int] = {}
    skip = {p.untyped_storage().data_ptr() for p in model.parameters()} if exclude_parameters else set()

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in skip:
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(inputs)
    return sum(storages.values()) / 2**20


def save_table(table: pd.DataFrame, name: str = "models") -> Path:
    """Write a benchmark table to ``runs/bench/<name>-<device>-<time>.csv`` and return the path."""
    folder = config.runs_dir() / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    device = str(table["device"].iloc[0]) if len(table) and "device" in table else "unknown"
    path = folder / f"{name}-{device.replace(':', '')}-{time.strftime('%Y%m%d-%H%M%S')}.csv"
    table.to_csv(path, index=False)
    return path


def latest_table(name: str = "models") -> pd.DataFrame | None:
    """The newest ``runs/bench/<name>-*.csv`` written by :func:`save_table`, or None."""
    folder = config.runs_dir() / "bench"
    files = sorted(folder.glob(f"{name}-*.csv"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    if not files:
        return None
    table = pd.read_csv(files[-1])
    table.attrs["path"] = str(files[-1])
    return table


def format_table(table: pd.DataFrame) -> str:
    """The benchmark as a plain-text table for the terminal."""
    columns = ["model", "parameters", "batch_size", "image_size", "time_per_step_s", "images_per_s",
               "peak_memory_mb", "step_memory_mb", "memory_kind", "device_name"]
    shown = table[[c for c in columns if c in table]].copy()
    formats = {"time_per_step_s": "{:.3f}", "images_per_s": "{:.1f}", "peak_memory_mb": "{:.0f}",
               "step_memory_mb": "{:.0f}", "parameters": "{:,}"}
    for column, fmt in formats.items():
        if column in shown:
            shown[column] = shown[column].map(fmt.format)
    return shown.to_string(index=False)


# --- python -m helpers.bench models -----------------------------------------------------------
