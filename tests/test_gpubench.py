"""``python -m helpers.bench gpu``: the plan, robustness (errors, time budget, saved rows), a smoke run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch

from helpers.bench import cli, gpubench
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
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore detail")
        speed = 2000.0 if kwargs["compile"] else 1000.0
        return {"images_per_s": speed, "time_per_step_s": 64 / speed, "median_step_s": 64 / speed,
                "first_step_s": 30.0 if kwargs["compile"] else 0.5, "peak_memory_mb": 900.0,
                "parameters": 1, "memory_kind": "fake"}

    return measure


def test_a_failing_configuration_is_recorded_and_the_others_still_run(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    table = gpubench.bench_gpu(models=["simple_cnn", "resnet_minimal"], device="cpu", out_dir=tmp_path,
                               measure=fake_measure({("simple_cnn", "bf16", True)}, calls, tmp_path),
                               data=False)
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
                               measure=fake_measure(set(), calls), clock=lambda: float(next(ticks)),
                               data=False)
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
                               clock=lambda: float(next(ticks)), data=False)
    assert table["status"].tolist() == ["ok"] * 5 + ["skipped"]
    assert "less than the 100 s a compilation needs" in table["error"].iloc[-1]


def test_smoke_run_end_to_end_on_the_cpu(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        code = cli.main(["gpu", "--smoke", "--device", "cpu", "--models", "resnet_minimal",
                           "--image-size", "32", "--out", str(tmp_path)])
    finally:
        torch.set_num_threads(threads)
    assert code == 0
    out = capsys.readouterr().out
    (csv,) = tmp_path.glob("gpu-cpu-*.csv")
    table = pd.read_csv(csv)
    assert (table["status"] == "ok").all(), table["error"].tolist()
    models = table[table["section"] != "data"]
    assert len(models) == 4 + 2
    assert models["precision"].tolist() == ["fp32", "fp32", "bf16", "bf16", "bf16", "bf16"], "as measured"
    assert models["channels_last"].tolist() == [False, True, False, True, True, True]
    assert models["compile"].tolist() == [False] * 5 + [True]
    data = table[table["section"] == "data"]
    assert set(data["path"]) == {"jpeg", "cache"}
    assert set(data["stage"]) == {"uint8", "float on cpu", "train step resnet_minimal"}
    assert "torch.compile, resnet_minimal bf16+CL: eager" in out
    assert "data path (" in out and "cache / jpeg" in out
    assert "fp32+CL" in out and "batch 2, 32 px" in out


def fake_throughput(calls: list[dict[str, Any]]):
    """A stand-in for helpers.bench.throughput.bench_throughput: two paths, three stages, cache 20x faster."""

    def measure_data(root: Any, **kwargs: Any) -> pd.DataFrame:
        calls.append(kwargs)
        rows = [{"path": path, "stage": stage, "images_per_s": speed * (20 if path == "cache" else 1),
                 "workers": 0, "source": "tiny", "precision": "fp32" if "train" in stage else None,
                 "channels_last": False if "train" in stage else None}
                for path in ("jpeg", "cache")
                for stage, speed in (("uint8", 500.0), ("float on cuda", 400.0),
                                     ("train step resnet_minimal", 90.0))]
        return pd.DataFrame(rows)

    return measure_data


def test_the_data_section_compares_jpeg_and_cache(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    table = gpubench.bench_gpu(models=["resnet_minimal"], device="cpu", out_dir=tmp_path, compile_model=None,
                               measure=fake_measure(set(), []), measure_data=fake_throughput(calls),
                               batch_size=16, image_size=64)
    assert calls == [{"image_size": 64, "batch_size": 16, "batches": 20, "model_names": ("resnet_minimal",),
                      "steps": 10, "device": torch.device("cpu"), "out_dir": tmp_path}]
    data = table[table["section"] == "data"].set_index(["path", "stage"])["images_per_s"]
    assert data[("cache", "uint8")] == 20 * data[("jpeg", "uint8")]
    text = gpubench.format_gpu_table(table)
    assert "cache / jpeg" in text and "20.0" in text
    assert len(json.loads(Path(table.attrs["json"]).read_text())["rows"]) == len(table), "saved"


def test_a_missing_data_set_costs_one_row_not_the_model_rows(tmp_path: Path) -> None:
    from helpers.data.errors import DataNotFoundError

    def no_data(root: Any, **kwargs: Any) -> pd.DataFrame:
        raise DataNotFoundError("PlantVillage not found: /nowhere does not exist.\nLooked in: ...")

    table = gpubench.bench_gpu(models=["resnet_minimal"], device="cpu", out_dir=tmp_path, compile_model=None,
                               measure=fake_measure(set(), []), measure_data=no_data)
    assert (table[table["section"] == "models"]["status"] == "ok").all()
    last = table.iloc[-1]
    assert last["section"] == "data" and last["status"] == "error"
    assert last["error"] == "DataNotFoundError: PlantVillage not found: /nowhere does not exist."
    assert "error: data path: DataNotFoundError" in gpubench.format_gpu_table(table)
