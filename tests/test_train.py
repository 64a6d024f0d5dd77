"""Tests for the training command (helpers.train) on the generated tiny set at 64 px (seconds each)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from helpers import engine, metrics, runs, train
from helpers.checkpoint import previous_path
from helpers.data.tiny import make_tiny_plantvillage
from helpers.data.transforms import MEAN, STD

FAST = ["--model", "resnet_minimal", "--image-size", "64", "--batch-size", "8", "--max-batches", "2",
        "--workers", "0", "--no-progress", "--threads", "1"]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated 38-class set, 5 leaves per class (3 train, 1 val, 1 test each)."""
    return make_tiny_plantvillage(tmp_path_factory.mktemp("tiny"), n_per_class=5)


pytestmark = pytest.mark.usefixtures("isolated_training")


def read(run: Path) -> tuple[dict, pd.DataFrame]:
    """results.json and history.csv of a run."""
    return json.loads((run / "results.json").read_text()), pd.read_csv(run / "history.csv")


def test_one_epoch_writes_every_file(tiny_data: Path, tmp_path: Path) -> None:
    run = tmp_path / "runs" / "resnet_minimal"
    assert train.main([*FAST, "--data", str(tiny_data), "--epochs", "1", "--run-dir", str(run)]) == 0
    for name in runs.RUN_FILES:
        assert (run / name).is_file(), name
    results, history = read(run)
    assert results["complete"] and results["epochs"] == 1 and history["epoch"].tolist() == [1]
    assert results["parameters"] == 1_218_982  # 38 classes: the report's count
    assert 0.0 <= results["test_acc"] <= 1.0 and results["test_loss"] > 0
    assert results["baselines"]["random_guess"] == pytest.approx(1 / 38)
    assert results["class_names"][0] == "Apple___Apple_scab" and len(results["class_names"]) == 38
    assert results["time_per_epoch_s"] > 0 and results["peak_memory_mb"] > 0
    assert results["settings"]["image_size"] == 64 and results["data_source"] == "custom"
    device = torch.device(results["device"])  # the default device: a CPU here, CUDA on a GPU machine
    assert results["precision"] == engine.resolve_precision("auto", device)
    assert results["channels_last"] is engine.resolve_channels_last(None, device)
    assert results["compile"] is False
    assert results["input_size"] == [3, 64, 64] and results["image_size"] == 64
    assert results["normalization"] == {"mean": list(MEAN), "std": list(STD)}
    assert Path(results["split_file"]).is_file()
    cm = pd.read_csv(run / "confusion_matrix.csv", index_col=0)
    assert cm.shape == (38, 38) and cm.to_numpy().sum() == results["test_images"] == 16
    assert results["test_balanced_acc"] == pytest.approx(metrics.balanced_accuracy(cm.to_numpy()))
    assert results["test_macro_f1"] == pytest.approx(metrics.macro_f1(cm.to_numpy()))
    loaded = train.load_results("resnet_minimal", runs_dir=tmp_path / "runs")
    assert loaded is not None and loaded["test_acc"] == results["test_acc"]
    assert loaded["history"]["epoch"].tolist() == [1]
    assert train.load_results("deep_cnn", runs_dir=tmp_path / "runs") is None


def test_interrupted_run_resumes(tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    args = [*FAST, "--data", str(tiny_data), "--epochs", "2", "--run-dir", str(run), "--scheduler", "cosine"]
    real_fit = engine.fit

    def interrupted_fit(*a, **kw):  # Ctrl-C (or a culled kernel) right after epoch 1's checkpoint
        def stop(epoch: int, history: pd.DataFrame) -> None:
            raise KeyboardInterrupt

        return real_fit(*a, on_epoch_end=stop, **kw)

    monkeypatch.setattr(train.engine, "fit", interrupted_fit)
    assert train.main(args) == 0
    results, history = read(run)
    assert not results["complete"] and history["epoch"].tolist() == [1] and results["test_acc"] is None
    assert train.load_results("resnet_minimal", runs_dir=tmp_path) is None  # unfinished runs are not shown
    monkeypatch.setattr(train.engine, "fit", real_fit)
    assert train.main([*args, "--resume"]) == 0
    results, history = read(run)
    assert results["complete"] and history["epoch"].tolist() == [1, 2]
    assert history["lr"].iloc[1] < history["lr"].iloc[0]  # the cosine schedule resumed where it was
    assert torch.load(run / "checkpoint.pt", weights_only=True)["epoch"] == 2


@pytest.mark.course  # two processes and a rendezvous, ~20 s: `make test-course`
def test_distributed_run_with_torchrun(tiny_data: Path, tmp_path: Path) -> None:
    run = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "helpers.train", *FAST, "--data", str(tiny_data), "--epochs", "1", "--run-dir", str(run)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results, history = read(run)
    assert results["world_size"] == 2 and results["complete"] and results["device"] == "cpu"
    assert results["settings"]["batch_size_total"] == 16
    assert history["epoch"].tolist() == [1] and 0.0 <= history["val_acc"].iloc[0] <= 1.0
    assert (run / "confusion_matrix.csv").is_file()


def test_clear_errors(tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert train.main([*FAST, "--data", str(tmp_path / "missing"), "--epochs", "1"]) == 1
    assert "python -m helpers.data download plantvillage" in capsys.readouterr().err
    args = ["--model", "simple_cnn", "--image-size", "64", "--data", str(tiny_data), "--epochs", "1",
            "--run-dir", str(tmp_path / "x"), "--workers", "0"]
    assert train.main(args) == 1
    assert "simple_cnn needs 256 px" in capsys.readouterr().err


def test_run_complete_and_schedulers() -> None:
    history = pd.DataFrame({"epoch": [1, 2, 3], "val_loss": [1.0, 1.2, 1.3]})
    assert train.run_complete(history, 3, None)
    assert not train.run_complete(history, 5, None)  # interrupted
    assert train.run_complete(history, 5, patience=2)  # early stopping on purpose
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    scheduler, interval = train.make_scheduler("onecycle", optimizer, epochs=2, steps_per_epoch=3)
    assert interval == "batch" and scheduler.total_steps == 6
    assert train.make_scheduler("none", optimizer, 2, 3) == (None, "epoch")


def flip_one_weight_byte(path: Path) -> None:
    """Change one byte of the first convolution's weights inside a saved checkpoint."""
    weight = torch.load(path, weights_only=True, map_location="cpu")["model"]["stem.0.weight"]
    stored = weight.as_strided((weight.numel(),), (1,))  # the bytes in storage order (channels-last here)
    data = bytearray(path.read_bytes())
    at = data.find(stored.numpy().tobytes())
    assert at >= 0
    data[at + 3] ^= 0x40
    path.write_bytes(bytes(data))


def test_bf16_channels_last_run_and_resume_from_the_previous_epoch(tiny_data: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    run = tmp_path / "run"
    small = [*FAST, "--image-size", "32", "--batch-size", "4", "--max-batches", "1"]  # bf16 is slow on a CPU
    args = [*small, "--data", str(tiny_data), "--run-dir", str(run), "--precision", "bf16", "--channels-last"]
    assert train.main([*args, "--epochs", "2"]) == 0
    results, _ = read(run)
    assert results["precision"] == "bf16" and results["channels_last"] is True
    assert results["settings"]["precision_requested"] == "bf16"
    assert previous_path(run / "checkpoint.pt").is_file()
    flip_one_weight_byte(run / "checkpoint.pt")
    capsys.readouterr()
    assert train.main([*args, "--epochs", "3", "--resume"]) == 0
    err = capsys.readouterr().err
    assert f"{run / 'checkpoint.pt'} is unusable (fails its checksum)" in err
    assert str(previous_path(run / "checkpoint.pt")) in err
    results, history = read(run)
    assert results["complete"] and history["epoch"].tolist() == [1, 2, 3]
    assert torch.load(run / "checkpoint.pt", weights_only=True)["epoch"] == 3


def test_precision_and_channels_last_options() -> None:
    parser = train.build_parser()
    args = parser.parse_args(["--model", "resnet_minimal"])
    assert args.precision == "auto" and args.channels_last is None and args.compile is False
    args = parser.parse_args(["--model", "resnet_minimal", "--precision", "fp16", "--no-channels-last",
                              "--compile"])
    assert args.precision == "fp16" and args.channels_last is False and args.compile is True
    with pytest.raises(SystemExit):
        parser.parse_args(["--model", "resnet_minimal", "--precision", "half"])


def test_the_settings_dataclass_and_the_command_line_agree() -> None:
    """Every option is a field with the same default, and code builds the same settings as argv does."""
    options = {action.dest for action in train.build_parser()._actions} - {"help"}
    assert options == {f.name for f in dataclasses.fields(train.TrainSettings)}
    assert train.parse_args(["--model", "resnet_minimal"]) == train.make_settings(model="resnet_minimal")
    from_argv = train.parse_args(["--recipe", "small-data", "--epochs", "3", "--data", "x", "--tta", "hflip"])
    assert from_argv == train.make_settings(recipe="small-data", epochs=3, data="x", tta=["hflip"])
    assert from_argv.data == Path("x") and from_argv.epochs == 3


def test_a_misspelt_or_impossible_setting_fails_where_it_is_written() -> None:
    with pytest.raises(TypeError, match="epoch"):
        train.make_settings(model="resnet_minimal", epoch=3)
    with pytest.raises(train.SettingsError, match="optimizer='adam2'"):
        train.make_settings(model="resnet_minimal", optimizer="adam2")
    with pytest.raises(train.SettingsError, match="tta"):
        train.make_settings(model="resnet_minimal", tta=["sideways"])
    with pytest.raises(train.SettingsError, match="give model="):
        train.make_settings(epochs=1)
