"""``python -m helpers.bench gpu``: the plan, robustness (errors, time budget, saved rows), a smoke run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch

from helpers import bench, gpubench
from helpers.models import PLANTVILLAGE_MODELS


def test_the_plan_covers_every_model_precision_and_layout_then_compile() -> None:
    plan = gpubench.gpu_plan(PLANTVILLAGE_MODELS)
    models = [p for p in plan if p["section"] == "models"]
    assert len(models) == 6 * 2 * 2
    assert {(p["model"], p["precision"], p["channels_last"]) for p in models} == {
        (m, p, cl) for m in PLANTVILLAGE_MODELS for p in ("fp32", "bf16") for cl in (False, True)}
    assert [(p["model"], p["precision"], p["channels_last"], p["compile"]) for p in plan[-2:]] == [
        ("resnet_minimal", "bf16", True, False), ("resnet_minimal", "bf16", True, True)]


def fake_measure(fail: set[tuple[str, str, bool]], calls: list[dict[str, Any]], out: Path | None = None):
    """A stand-in for measure_training_step: instant, fails where asked, checks rows are on disk."""

    def measure(model: str, **kwargs: Any) -> dict[str, Any]:
        if out is not None:  # every earlier row is already saved when the next one starts
            saved = pd.read_csv(next(out.glob("gpu-*.csv"))) if calls else None
            assert (saved is None and not calls) or len(saved) == len(calls)
        calls.append({"model": model, **kwargs})
        if (model, kwargs["precision"], kwargs["channels_last"]) in fail and not kwargs["compile"]:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore detail")
        speed = 2000.0 if kwargs["compile"] else 1000.0
        return {"images_per_s": speed, "time_per_step_s": 64 / speed, "median_step_s": 64 / speed,
                "first_step_s": 30.0 if kwargs["compile"] else 0.5, "peak_memory_mb": 900.0,
                "parameters": 1, "memory_kind": "fake"}

    return measure


def test_a_failing_configuration_is_recorded_and_the_others_still_run(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    table = gpubench.bench_gpu(models=["simple_cnn", "resnet_minimal"], device="cpu", out_dir=tmp_path,
                               measure=fake_measure({("simple_cnn", "bf16", True)}, calls, tmp_path))
    assert len(calls) == len(table) == 2 * 2 * 2 + 2
    failed = table[table["status"] == "error"]
    assert len(failed) == 1 and failed["error"].iloc[0] == (
        "OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB")
    assert (table["status"] == "ok").sum() == len(table) - 1
    assert gpubench.compile_summary(table) == {"eager_images_per_s": 1000.0, "compiled_images_per_s": 2000.0,
                                               "speedup": 2.0, "compile_s": 29.5}
    saved = json.loads(Path(table.attrs["json"]).read_text())
    assert len(saved["rows"]) == len(table) and saved["compile"]["speedup"] == 2.0
    text = gpubench.format_gpu_table(table)
    assert "1,000 (900)" in text and "(2.00x)" in text and "29.5 s" in text
    assert "error: simple_cnn bf16+CL: OutOfMemoryError" in text.splitlines()[-1]


def test_the_time_budget_skips_what_is_left(tmp_path: Path) -> None:
    ticks = iter(range(0, 10_000, 100))  # each reading of the clock is 100 s later (two readings per row)
    calls: list[dict[str, Any]] = []
    table = gpubench.bench_gpu(models=["resnet_minimal"], device="cpu", out_dir=tmp_path, budget_s=350,
                               measure=fake_measure(set(), calls), clock=lambda: float(next(ticks)))
    assert len(table) == 6 and len(calls) == 2
    assert table["status"].tolist() == ["ok", "ok", "skipped", "skipped", "skipped", "skipped"]
    assert "time budget of 350 s" in table["error"].iloc[-1]
    assert gpubench.compile_summary(table) is None
    assert "torch.compile: not measured" in gpubench.format_gpu_table(table)


def test_the_compiled_run_needs_its_reserve(tmp_path: Path) -> None:
    ticks = iter(range(0, 10_000, 10))  # 10 s per reading, two per row: the compiled row starts at 110 s
    calls: list[dict[str, Any]] = []
    table = gpubench.bench_gpu(models=["resnet_minimal"], device="cpu", out_dir=tmp_path, budget_s=200,
                               reserve_s=100, measure=fake_measure(set(), calls),
                               clock=lambda: float(next(ticks)))
    assert table["status"].tolist() == ["ok"] * 5 + ["skipped"]
    assert "less than the 100 s a compilation needs" in table["error"].iloc[-1]


def test_smoke_run_end_to_end_on_the_cpu(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        code = bench.main(["gpu", "--smoke", "--device", "cpu", "--models", "resnet_minimal",
                           "--image-size", "32", "--out", str(tmp_path)])
    finally:
        torch.set_num_threads(threads)
    assert code == 0
    out = capsys.readouterr().out
    (csv,) = tmp_path.glob("gpu-cpu-*.csv")
    table = pd.read_csv(csv)
    assert len(table) == 4 + 2 and (table["status"] == "ok").all(), table["error"].tolist()
    assert (table["images_per_s"] > 0).all()
    assert table["precision"].tolist() == ["fp32", "fp32", "bf16", "bf16", "bf16", "bf16"], "as measured"
    assert table["channels_last"].tolist() == [False, True, False, True, True, True]
    assert table["compile"].tolist() == [False] * 5 + [True]
    assert out.rstrip().splitlines()[-1].startswith("torch.compile, resnet_minimal bf16+CL: eager")
    assert "fp32+CL" in out and "batch 2, 32 px" in out
