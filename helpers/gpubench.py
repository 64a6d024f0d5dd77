"""What an instructor needs to know about a GPU, in one command: ``python -m helpers.bench gpu``.

For each of the six PlantVillage models, in float32 and bfloat16, with channels-last off
and on, the training step's images per second and peak memory at 256 px (batch 64), then
the ``torch.compile`` speed-up for ResNet_minimal (bfloat16 + channels-last, compiled vs
eager, the compilation time reported apart). The measuring is
:func:`helpers.modelbench.measure_training_step` (random images already on the device: the
model alone, no data loading), so these numbers are the ones ``python -m helpers.bench
models`` and chapters 14 and 16 give.

Built to finish and to keep what it measured: each configuration runs in its own ``try``;
an error (out of memory, a model that cannot take the size) becomes a row with its message
and the next one runs. A time budget (default 7.5 minutes) skips what is left once spent
(the compiled configuration starts only with ``COMPILE_RESERVE_S`` left, so the whole run
stays within the budget plus one short configuration). The table is written to
``runs/bench/gpu-<device>-<time>.csv`` and ``.json`` after every row, and printed,
compactly, at the end. ``--smoke`` runs the whole command on a CPU in seconds (two small
models, tiny images, one step; ``torch.compile`` with its quick ``eager`` backend: the
wrapper, not the code generator), which is how the tests check it.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from helpers import config
from helpers.engine import PRECISIONS
from helpers.modelbench import device_name, measure_training_step
from helpers.models import IMAGE_SIZE, PLANTVILLAGE_MODELS

log = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 450.0
COMPILE_RESERVE_S = 120.0  # torch.compile's first step (inductor, cold cache) takes about a minute
COMPILE_MODEL = "resnet_minimal"
FULL: dict[str, Any] = {"models": PLANTVILLAGE_MODELS, "batch_size": 64, "image_size": IMAGE_SIZE,
                        "steps": 10, "warmup": 3, "compile_backend": "inductor"}
SMOKE: dict[str, Any] = {"models": ("resnet_minimal", "small_resnet"), "batch_size": 2, "image_size": 64,
                         "steps": 1, "warmup": 1, "compile_backend": "eager"}
MEASURED = ("precision", "channels_last", "images_per_s", "time_per_step_s", "median_step_s", "first_step_s",
            "peak_memory_mb", "parameters", "memory_kind")  # precision and layout as the measurement resolved
Measure = Callable[..., dict[str, Any]]


def gpu_plan(models: Sequence[str], precisions: Sequence[str] = ("fp32", "bf16"),
             layouts: Sequence[bool] = (False, True), compile_model: str | None = COMPILE_MODEL
             ) -> list[dict[str, Any]]:
    """The configurations in the order they are measured: models x precisions x layouts, then compile."""
    plan = [{"section": "models", "model": model, "precision": precision, "channels_last": layout,
             "compile": False} for model in models for precision in precisions for layout in layouts]
    if compile_model:  # eager right before compiled, so both see the machine in the same state
        plan += [{"section": "compile", "model": compile_model, "precision": "bf16", "channels_last": True,
                  "compile": compiled} for compiled in (False, True)]
    return plan


def _flush(rows: list[dict[str, Any]], meta: dict[str, Any], csv_path: Path, json_path: Path) -> None:
    """Rewrite the CSV and JSON with every row so far (small files; an interrupted run keeps its rows)."""
    pd.DataFrame(rows).to_csv(csv_path, index=False)
    json_path.write_text(json.dumps({**meta, "rows": rows}, indent=2, default=str), encoding="utf-8")


def _error_text(error: BaseException) -> str:
    """One line: the exception's type and the first line of its message."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}"[:300]


def compile_summary(table: pd.DataFrame) -> dict[str, float] | None:
    """Compiled vs eager for the compile section: speed-up and the first step's extra time, or None."""
    section = table[(table["section"] == "compile") & (table["status"] == "ok")] if len(table) else table
    eager = section[~section["compile"].astype(bool)]
    compiled = section[section["compile"].astype(bool)]
    if eager.empty or compiled.empty:
        return None
    eager, compiled = eager.iloc[0], compiled.iloc[0]
    return {"eager_images_per_s": float(eager["images_per_s"]),
            "compiled_images_per_s": float(compiled["images_per_s"]),
            "speedup": float(compiled["images_per_s"] / eager["images_per_s"]),
            "compile_s": float(compiled["first_step_s"] - eager["first_step_s"])}


def bench_gpu(
    *,
    models: Sequence[str] = PLANTVILLAGE_MODELS,
    precisions: Sequence[str] = ("fp32", "bf16"),
    layouts: Sequence[bool] = (False, True),
    batch_size: int = 64,
    image_size: int = IMAGE_SIZE,
    steps: int = 10,
    warmup: int = 3,
    compile_model: str | None = COMPILE_MODEL,
    compile_backend: str = "inductor",
    budget_s: float = DEFAULT_BUDGET_S,
    reserve_s: float = COMPILE_RESERVE_S,
    device: str | torch.device | None = None,
    out_dir: str | Path | None = None,
    measure: Measure = measure_training_step,
    clock: Callable[[], float] = time.perf_counter,
) -> pd.DataFrame:
    """Measure every configuration of :func:`gpu_plan`; return the table (also saved after each row).

    Columns: section, model, precision, channels_last, compile, status (``ok``, ``error``
    or ``skipped``), images_per_s, time_per_step_s (fastest), median_step_s, first_step_s
    (the first warm-up step: cuDNN's tuning, and the compilation when compiled),
    peak_memory_mb, parameters, memory_kind, error, elapsed_s (since the start). The paths
    are in ``table.attrs["csv"]`` and ``table.attrs["json"]``. A configuration starts only while
    less than ``budget_s`` has passed, a compiled one only with ``reserve_s`` left.
    ``measure`` and ``clock`` are replaceable for tests.
    """
    for precision in precisions:
        if precision not in PRECISIONS:
            raise ValueError(f"precision={precision!r} is not one of {', '.join(PRECISIONS)}")
    device = torch.device(device) if device is not None else config.device()
    out = Path(out_dir) if out_dir is not None else config.runs_dir() / "bench"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"gpu-{str(device).replace(':', '')}-{time.strftime('%Y%m%d-%H%M%S')}"
    csv_path, json_path = out / f"{stem}.csv", out / f"{stem}.json"
    meta = {"device": str(device), "device_name": device_name(device), "torch": torch.__version__,
            "batch_size": batch_size, "image_size": image_size, "steps": steps, "warmup": warmup,
            "compile_backend": compile_backend, "budget_s": budget_s,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    started = clock()
    rows: list[dict[str, Any]] = []
    for plan in gpu_plan(models, precisions, layouts, compile_model):
        row: dict[str, Any] = {**plan, "status": "ok", "error": ""}
        spent = clock() - started
        if spent > budget_s:
            row.update(status="skipped", error=f"time budget of {budget_s:.0f} s spent")
        elif plan["compile"] and spent > budget_s - reserve_s:
            row.update(status="skipped", error=f"less than the {reserve_s:.0f} s a compilation needs left "
                                               f"of the {budget_s:.0f} s budget")
        else:
            try:
                result = measure(plan["model"], batch_size=batch_size, steps=steps, warmup=warmup,
                                 image_size=image_size, device=device, precision=plan["precision"],
                                 channels_last=plan["channels_last"], compile=plan["compile"],
                                 compile_backend=compile_backend)
                row.update({key: result[key] for key in MEASURED if key in result})
            except Exception as error:  # noqa: BLE001 - one failed configuration must not stop the others
                row.update(status="error", error=_error_text(error))
            finally:
                if device.type == "cuda":
                    torch.cuda.empty_cache()
        row["elapsed_s"] = round(clock() - started, 2)
        rows.append(row)
        _flush(rows, meta, csv_path, json_path)
        log.info("%s %s%s%s: %s", plan["model"], plan["precision"], " +CL" if plan["channels_last"] else "",
                 " compiled" if plan["compile"] else "",
                 f"{row['images_per_s']:.0f} img/s" if row["status"] == "ok" else row["error"])
    table = pd.DataFrame(rows)
    summary = compile_summary(table)
    if summary is not None:
        _flush(rows, {**meta, "compile": summary}, csv_path, json_path)
    table.attrs.update(csv=str(csv_path), json=str(json_path), **meta)
    return table


def _cell(row: pd.Series) -> str:
    """``images/s (peak MB)`` for a measured row, else its status."""
    if row["status"] != "ok":
        return row["status"]
    return f"{row['images_per_s']:,.0f} ({row['peak_memory_mb']:,.0f})"


def format_gpu_table(table: pd.DataFrame) -> str:
    """The benchmark as compact text: one line per model, then compile, then errors and skips."""
    lines = []
    models = table[table["section"] == "models"]
    if len(models):
        layout = models["channels_last"].map({True: "+CL", False: ""})
        shown = models.assign(config=models["precision"] + layout, cell=models.apply(_cell, axis=1))
        pivot = shown.pivot(index="model", columns="config", values="cell")
        order = list(dict.fromkeys(shown["config"]))
        pivot = pivot[order].reindex(list(dict.fromkeys(shown["model"])))
        lines += ["training images/s (peak memory MB); CL = channels-last", pivot.to_string()]
    summary = compile_summary(table)
    compiled = table[table["section"] == "compile"]
    if summary is not None:
        lines.append(f"torch.compile, {compiled['model'].iloc[0]} bf16+CL: eager "
                     f"{summary['eager_images_per_s']:,.0f} img/s, "
                     f"compiled {summary['compiled_images_per_s']:,.0f} img/s ({summary['speedup']:.2f}x); "
                     f"the first step took {summary['compile_s']:.1f} s longer compiled (compilation)")
    elif len(compiled):
        lines.append("torch.compile: not measured (see below)")
    failed = table[table["status"] != "ok"]
    for _, row in failed.iterrows():
        label = f"{row['model']} {row['precision']}{'+CL' if row['channels_last'] else ''}"
        lines.append(f"{row['status']}: {label}{' compiled' if row['compile'] else ''}: {row['error']}")
    return "\n".join(lines)


def _run_gpu(args: argparse.Namespace) -> int:
    """``python -m helpers.bench gpu``: measure, save after each row, print the table last."""
    device = torch.device(args.device) if args.device else config.device()
    defaults = SMOKE if args.smoke else FULL
    chosen = {key: default if getattr(args, key) is None else getattr(args, key)
              for key, default in defaults.items()}
    if device.type != "cuda" and not args.smoke:
        log.warning("No CUDA GPU here (device %s): the full benchmark would be slow; the time budget "
                    "of %.0f s stops it. Use --smoke to check the command.", device, args.budget_s)
    table = bench_gpu(precisions=args.precisions, compile_model=None if args.no_compile else COMPILE_MODEL,
                      budget_s=args.budget_s, device=device, out_dir=args.out, **chosen)
    print(f"GPU benchmark on {table.attrs['device_name']} (torch {torch.__version__}), "
          f"batch {chosen['batch_size']}, {chosen['image_size']} px, fastest of {chosen['steps']} steps "
          f"after {chosen['warmup']} warm-up; random images on the device (the model alone, no data loading)")
    print(f"saved to {table.attrs['csv']} and .json")
    print(format_gpu_table(table))
    return 0 if (table["status"] == "ok").any() else 1


def add_gpu_parser(subparsers: Any) -> None:
    """``gpu``: every PlantVillage model x {fp32, bf16} x {channels-last}, and the compile speed-up."""
    parser = subparsers.add_parser("gpu", help="the instructor's GPU benchmark (all models, precisions, "
                                               "channels-last, torch.compile) in under 8 minutes")
    parser.add_argument("--models", nargs="+", default=None, choices=PLANTVILLAGE_MODELS,
                        help="default: all six")
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=PRECISIONS[1:])
    parser.add_argument("--batch-size", type=int, default=None, help=f"default {FULL['batch_size']}")
    parser.add_argument("--image-size", type=int, default=None, help=f"default {FULL['image_size']}")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"timed steps per configuration, the fastest counts (default {FULL['steps']})")
    parser.add_argument("--warmup", type=int, default=None,
                        help=f"untimed steps first: cuDNN tuning, compilation (default {FULL['warmup']})")
    parser.add_argument("--budget-s", type=float, default=DEFAULT_BUDGET_S,
                        help="skip the configurations left once this many seconds are spent")
    parser.add_argument("--no-compile", action="store_true", help="leave out the torch.compile comparison")
    parser.add_argument("--compile-backend", default=None, help="torch.compile backend (default inductor)")
    parser.add_argument("--device", default=None, help="cuda, cpu, ... (default: the best available)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default runs/bench)")
    parser.add_argument("--smoke", action="store_true",
                        help="a seconds-long check of the command (two small models, 64 px, batch 2, one "
                             "step, eager-backend compile); options given explicitly still win")
    parser.set_defaults(func=_run_gpu)
