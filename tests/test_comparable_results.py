"""What chapter 16 reads from results files: runs on one split, data copy and size (train.comparable_results),
and their accuracy, balanced accuracy and macro-F1 (results.run_scores)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from helpers import results, train

NAMES = ["simple_cnn", "deep_cnn", "resnet_minimal"]


def write_run(root: Path, folder: str, model: str, *, split: str = "split-a.json", data: str = "/data/pv",
              size: int = 256, finished: str = "2026-01-01T00:00:00", complete: bool = True,
              test_acc: float = 0.5) -> None:
    """A results.json as the training command writes it (only the keys that matter here)."""
    run = root / folder
    run.mkdir(parents=True)
    settings: dict[str, Any] = {"model": model, "split_file": split, "data": data, "image_size": size}
    payload = {"model": model, "complete": complete, "finished_at": finished, "test_acc": test_acc,
               "split_file": split, "data": data, "image_size": size, "settings": settings}
    (run / "results.json").write_text(json.dumps(payload), encoding="utf-8")


def test_only_runs_with_the_most_common_split_data_and_size_are_compared(tmp_path: Path) -> None:
    write_run(tmp_path, "simple", "simple_cnn", test_acc=0.1)
    write_run(tmp_path, "deep", "deep_cnn", test_acc=0.25)
    write_run(tmp_path, "minimal", "resnet_minimal", test_acc=0.99)
    # Newer runs on something else: another split, another data copy, another image size.
    write_run(tmp_path, "simple-kaiming", "simple_cnn", split="split-b.json", finished="2026-02-01T00:00:00",
              test_acc=0.9)
    write_run(tmp_path, "deep-mini", "deep_cnn", data="/shared/mini", finished="2026-02-01T00:00:00")
    write_run(tmp_path, "minimal-64", "resnet_minimal", size=64, finished="2026-02-01T00:00:00")
    runs, setting = train.comparable_results(NAMES, tmp_path)
    assert setting == {"split_file": "split-a.json", "data": "/data/pv", "image_size": 256}
    assert {name: Path(run["run_dir"]).name for name, run in runs.items() if run} == {
        "simple_cnn": "simple", "deep_cnn": "deep", "resnet_minimal": "minimal"}
    # What chapter 16 used to do: the newest run of each model, whatever its split, data or size.
    newest = {name: Path(train.load_results(name, tmp_path)["run_dir"]).name for name in NAMES}
    assert newest == {"simple_cnn": "simple-kaiming", "deep_cnn": "deep-mini", "resnet_minimal": "minimal-64"}


def test_a_model_without_a_run_in_the_chosen_setting_gets_none(tmp_path: Path) -> None:
    write_run(tmp_path, "simple", "simple_cnn")
    write_run(tmp_path, "deep", "deep_cnn")
    write_run(tmp_path, "minimal-64", "resnet_minimal", size=64)
    runs, setting = train.comparable_results(NAMES, tmp_path)
    assert setting is not None and setting["image_size"] == 256
    assert runs["resnet_minimal"] is None and runs["simple_cnn"] is not None


def test_a_tie_goes_to_the_newest_setting_and_unfinished_runs_do_not_count(tmp_path: Path) -> None:
    write_run(tmp_path, "old", "simple_cnn", split="old.json", finished="2026-01-01T00:00:00")
    write_run(tmp_path, "new", "deep_cnn", split="new.json", finished="2026-03-01T00:00:00")
    write_run(tmp_path, "unfinished", "simple_cnn", split="new.json", complete=False)
    runs, setting = train.comparable_results(NAMES, tmp_path)
    assert setting is not None and setting["split_file"] == "new.json"
    assert runs["deep_cnn"] is not None and runs["simple_cnn"] is None


def test_no_runs_gives_no_setting(tmp_path: Path) -> None:
    assert train.comparable_results(NAMES, tmp_path / "missing") == (dict.fromkeys(NAMES), None)


def test_run_scores_come_from_the_confusion_matrix_or_the_recorded_numbers() -> None:
    cm = pd.DataFrame([[3, 0], [1, 0]], index=["a", "b"], columns=["a", "b"])   # b is never predicted
    with_matrix = {"model": "deep_cnn", "test_acc": 0.75, "confusion_matrix": cm}
    assert results.run_scores(with_matrix) == pytest.approx(
        {"accuracy": 0.75, "balanced_accuracy": 0.5, "macro_f1": (6 / 7 + 0) / 2})
    recorded = {"test_acc": 0.75, "test_balanced_acc": 0.5, "test_macro_f1": 0.4}
    assert results.run_scores(recorded) == {"accuracy": 0.75, "balanced_accuracy": 0.5, "macro_f1": 0.4}
    assert results.run_scores({"test_acc": 0.75}) is None, "an old run without a matrix: nothing to invent"
    sentence = results.describe_run({**with_matrix, "test_images": 4, "epochs": 1})
    assert "test accuracy 75.00%" in sentence and "balanced accuracy 50.00%, macro-F1 42.86%" in sentence
