"""Model benchmarks (time, memory) and the presentation of training-command results, on tiny inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import config, models, results
from helpers.bench import cli, modelbench

TINY = {"batch_size": 2, "image_size": 32, "steps": 1, "warmup": 1, "device": "cpu"}


def test_measure_training_step_reports_time_and_memory() -> None:
    row = modelbench.measure_training_step("resnet_minimal", **TINY)
    assert row["model"] == "resnet_minimal" and row["parameters"] == 1_218_982
    assert row["time_per_step_s"] > 0 and row["images_per_s"] == pytest.approx(2 / row["time_per_step_s"])
    assert row["peak_memory_mb"] >= 0 and np.isfinite(row["step_memory_mb"])
    assert row["device"] == "cpu" and "CPU" in row["device_name"]
    assert row["precision"] == "fp32" and row["channels_last"] is True and row["compile"] is False
    assert row["time_per_step_s"] <= row["median_step_s"] and row["first_step_s"] > 0


def test_an_unknown_precision_is_refused() -> None:
    """(bf16, channels-last and torch.compile are measured in test_gpubench's smoke run.)"""
    with pytest.raises(ValueError, match="precision='half'"):
        modelbench.measure_training_step("resnet_minimal", precision="half", **TINY)


def test_measure_in_subprocess_and_its_errors() -> None:
    (row,) = modelbench.measure_memory_in_subprocesses(["resnet_stride"], **TINY)
    assert row["model"] == "resnet_stride" and row["process_s"] > 0 and row["step_memory_mb"] >= 0
    with pytest.raises(ValueError, match="Unknown model"):
        modelbench.measure_in_subprocess("no_such_model", **TINY)
    with pytest.raises(ValueError, match="Unknown model"):
        modelbench.measure_memory_in_subprocesses(["resnet_stride", "no_such_model"], **TINY)
    with pytest.raises(RuntimeError, match="failed in the subprocess: RuntimeError"):
        modelbench.measure_in_subprocess("simple_cnn", **TINY)   # SimpleCNN needs 256 px images


def test_compare_step_times_interleaves_models() -> None:
    table = modelbench.compare_step_times(["resnet_minimal", "resnet_stride"], batch_size=2, image_size=32,
                                          rounds=2, device="cpu")
    assert list(table["model"]) == ["resnet_minimal", "resnet_stride"]
    assert (table["rounds"] == 2).all() and (table["time_per_step_s"] <= table["median_step_s"]).all()


def test_saved_activations_maxpool_vs_stride() -> None:
    x = torch.randn(1, 3, 64, 64)
    pool = modelbench.saved_activation_mb(models.build_model("resnet_maxpool"), x)
    stride = modelbench.saved_activation_mb(models.build_model("resnet_stride"), x)
    assert pool > 2.5 * stride > 0, "MaxPool keeps ~3x the activations for the backward pass"


def test_save_and_read_back_a_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "runs_dir", lambda: tmp_path)
    assert modelbench.latest_table() is None
    table = pd.DataFrame([modelbench.measure_training_step("resnet_minimal", **TINY)])
    path = modelbench.save_table(table)
    assert path.parent == tmp_path / "bench" and path.name.startswith("models-cpu-")
    back = modelbench.latest_table()
    assert back is not None and back.attrs["path"] == str(path)
    assert back["model"].tolist() == ["resnet_minimal"]
    text = modelbench.format_table(back)
    assert "resnet_minimal" in text and "1,218,982" in text


def test_bench_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(config, "runs_dir", lambda: tmp_path)
    code = cli.main(["models", "--models", "resnet_minimal", "--batch-size", "2", "--image-size", "32",
                     "--steps", "1", "--device", "cpu", "--same-process"])
    assert code == 0
    out = capsys.readouterr().out
    assert "resnet_minimal" in out and "saved to" in out
    assert len(list((tmp_path / "bench").glob("models-*.csv"))) == 1


def test_report_results_are_the_reports() -> None:
    assert set(results.REPORT_RESULTS) == set(models.PLANTVILLAGE_MODELS)
    assert results.REPORT_RESULTS["resnet_minimal"]["accuracy_pct"] == 99.02
    assert results.REPORT_RESULTS["small_resnet"]["accuracy_pct"] == 98.46
    assert results.REPORT_TORCHSUMMARY_MB["resnet_maxpool"]["total"] == 623.48
    assert results.REPORT_TORCHSUMMARY_MB["resnet_stride"]["total"] == 203.48


def test_describe_and_show_a_run() -> None:
    names = ["a", "b"]
    run = {"model": "resnet_minimal", "test_acc": 0.5, "test_images": 4, "epochs": 2, "time_per_epoch_s": 1.5,
           "peak_memory_mb": 100.0, "device": "cpu", "device_name": "x86_64", "data_source": "tiny",
           "images": {"train": 10}, "baselines": {"majority_class_acc": 0.25}, "settings": {"max_batches": 2},
           "history": pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5], "train_acc": [0.4, 0.6],
                                    "val_loss": [1.1, 0.9], "val_acc": [0.3, 0.5], "lr": [1e-3, 1e-3]}),
           "confusion_matrix": pd.DataFrame([[1, 1], [0, 2]], index=names, columns=names)}
    text = results.describe_run(run)
    assert "50.00%" in text and "majority class 25.0%" in text and "short run" in text
    counts, classes = results.confusion_array(run)
    assert classes == names and counts.sum() == 4
    figures = results.show_run(run)
    assert len(figures) == 2
    results.close(figures)
