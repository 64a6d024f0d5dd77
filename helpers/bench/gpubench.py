"""What an instructor needs to know about a GPU, in one command: ``python -m helpers.bench gpu``.

For each of the six PlantVillage models, in float32 and bfloat16, with channels-last off
and on, the training step's images per second and peak memory at 256 px (batch 64), then
the ``torch.compile`` speed-up for ResNet_minimal (bfloat16 + channels-last, compiled vs
eager, the compilation time reported apart), then the data path: images per second of the
JPEG loader and of the decoded-image cache (uint8 batches, normalised float batches on the
device, and whole ResNet_minimal training steps fed by each path; :mod:`helpers.bench.throughput`,
on the best PlantVillage copy here). The model measuring is
:func:`helpers.bench.modelbench.measure_training_step` (random images already on the device: the
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

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from helpers import config
from helpers.bench import throughput
from helpers.bench.modelbench import device_name, measure_training_step
from helpers.engine import PRECISIONS
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
    data: bool = True,
    data_root: str | Path | None = None,
    data_batches: int = 20,
    measure: Measure = measure_training_step,
    measure_data: Callable[..., pd.DataFrame] = throughput.bench_throughput,
    clock: Callable[[], float] = time.perf_counter,
) -> pd.DataFrame:
    """Measure every configuration of :func:`gpu_plan`; return the table (also saved after each row).

    Columns: section, model, precision, channels_last, compile, status (``ok``, ``error``
    or ``skipped``), images_per_s, time_per_step_s (fastest), median_step_s, first_step_s
    (the first warm-up step: cuDNN's tuning, and the compilation when compiled),
    peak_memory_mb, parameters, memory_kind, error, elapsed_s (since the start). The paths
    are in ``table.attrs["csv"]`` and ``table.attrs["json"]``. A configuration starts only while
    less than ``budget_s`` has passed, a compiled one only with ``reserve_s`` left.
    With ``data``, the rows of section ``data`` follow (one per path and stage, columns ``path`` and
    ``stage``): :func:`helpers.bench.throughput.bench_throughput` on ``data_root`` (default: the best
    PlantVillage copy here), same batch and image size, ``COMPILE_MODEL`` for the training steps.
    ``measure``, ``measure_data`` and ``clock`` are replaceable for tests.
    """
    for precision in precisions:
        if precision not in PRECISIONS:
            raise ValueError(f"precision={precision!r} is not one of {', '.join(PRECISIONS)}")
    device = config.resolve_device(device)
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
    options = dict(batch_size=batch_size, steps=steps, warmup=warmup, image_size=image_size, device=device,
                   compile_backend=compile_backend)
    for plan in gpu_plan(models, precisions, layouts, compile_model):
        row = _model_row(plan, measure, options, clock() - started, budget_s, reserve_s)
        row["elapsed_s"] = round(clock() - started, 2)
        rows.append(row)
        _flush(rows, meta, csv_path, json_path)
        log.info("%s %s%s%s: %s", plan["model"], plan["precision"], " +CL" if plan["channels_last"] else "",
                 " compiled" if plan["compile"] else "",
                 f"{row['images_per_s']:.0f} img/s" if row["status"] == "ok" else row["error"])
    if data:
        rows += _data_rows(measure_data, data_root, batch_size, image_size, data_batches, steps, device,
                           out, started, budget_s, clock)
        _flush(rows, meta, csv_path, json_path)
    table = pd.DataFrame(rows)
    summary = compile_summary(table)
    if summary is not None:
        _flush(rows, {**meta, "compile": summary}, csv_path, json_path)
    table.attrs.update(csv=str(csv_path), json=str(json_path), **meta)
    return table


def _model_row(plan: dict[str, Any], measure: Measure, options: dict[str, Any], spent: float,
               budget_s: float, reserve_s: float) -> dict[str, Any]:
    """One configuration's row: measured, or skipped when the time budget is spent (a compiled one
    needs ``reserve_s`` left), or the error that stopped it (the other configurations still run)."""
    row: dict[str, Any] = {**plan, "status": "ok", "error": ""}
    if spent > budget_s:
        return {**row, "status": "skipped", "error": f"time budget of {budget_s:.0f} s spent"}
    if plan["compile"] and spent > budget_s - reserve_s:
        return {**row, "status": "skipped", "error": f"less than the {reserve_s:.0f} s a compilation needs "
                                                     f"left of the {budget_s:.0f} s budget"}
    try:
        result = measure(plan["model"], precision=plan["precision"], channels_last=plan["channels_last"],
                         compile=plan["compile"], **options)
        row.update({key: result[key] for key in MEASURED if key in result})
    except Exception as error:  # noqa: BLE001 - one failed configuration must not stop the others
        row.update(status="error", error=_error_text(error))
    finally:
        if options["device"].type == "cuda":
            torch.cuda.empty_cache()
    return row


def _data_rows(measure_data: Callable[..., pd.DataFrame], root: str | Path | None, batch_size: int,
               image_size: int, batches: int, steps: int, device: torch.device, out: Path, started: float,
               budget_s: float, clock: Callable[[], float]) -> list[dict[str, Any]]:
    """The data section: JPEG vs cache rows from :func:`helpers.bench.throughput.bench_throughput`, or one
    row saying why it is missing (budget spent, no data, an error)."""
    base = {"section": "data", "model": COMPILE_MODEL, "precision": "auto", "channels_last": None,
            "compile": False}
    if clock() - started > budget_s:
        return [{**base, "path": "", "stage": "", "status": "skipped",
                 "error": f"time budget of {budget_s:.0f} s spent", "elapsed_s": round(clock() - started, 2)}]
    try:
        table = measure_data(root, image_size=image_size, batch_size=batch_size, batches=batches,
                             model_names=(COMPILE_MODEL,), steps=steps, device=device, out_dir=out)
    except Exception as error:  # noqa: BLE001 - a missing data set or a failure must not lose the model rows
        return [{**base, "path": "", "stage": "", "status": "error", "error": _error_text(error),
                 "elapsed_s": round(clock() - started, 2)}]
    rows = []
    for record in table.to_dict("records"):
        rows.append({**base, "precision": record.get("precision") or "",
                     "channels_last": record.get("channels_last"), "path": record["path"],
                     "stage": record["stage"], "status": "ok", "error": "",
                     "images_per_s": record["images_per_s"], "workers": record.get("workers"),
                     "data_source": record.get("source"), "elapsed_s": round(clock() - started, 2)})
    return rows


def format_data_rows(table: pd.DataFrame) -> list[str]:
    """The data section as text: images/s per stage for the JPEG path and the cache, and their ratio."""
    rows = table[(table["section"] == "data") & (table["status"] == "ok")] if "section" in table else table
    if rows.empty:
        return []
    shown = rows.pivot_table(index="stage", columns="path", values="images_per_s", sort=False)
    if {"jpeg", "cache"} <= set(shown.columns):
        shown["cache / jpeg"] = shown["cache"] / shown["jpeg"]
    source = rows["data_source"].iloc[0] if "data_source" in rows else "?"
    return [f"data path ({source} PlantVillage copy), images/s; train step = {COMPILE_MODEL}, "
            "auto precision and layout", shown.to_string(float_format=lambda v: f"{v:,.1f}")]


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
    lines += format_data_rows(table)
    failed = table[table["status"] != "ok"]
    for _, row in failed.iterrows():
        if row["section"] == "data":
            lines.append(f"{row['status']}: data path: {row['error']}")
            continue
        label = f"{row['model']} {row['precision']}{'+CL' if row['channels_last'] else ''}"
        lines.append(f"{row['status']}: {label}{' compiled' if row['compile'] else ''}: {row['error']}")
    return "\n".join(lines)
