"""python -m helpers.predict RUN_DIR IMAGE...: top-k per image, any format, bad files named, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.checkpoint import save_checkpoint
from helpers.data.tiny import PLANTVILLAGE_CLASSES
from helpers.data.transforms import MEAN, STD
from helpers.models import build_model
from helpers.predict import main, predict_files
from helpers.runs import load_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder as helpers.train leaves it (untrained weights: the CLI is under test, not the model)."""
    folder = tmp_path_factory.mktemp("run")
    torch.manual_seed(0)
    model = build_model("resnet_minimal", num_classes=len(PLANTVILLAGE_CLASSES))
    save_checkpoint(folder / "checkpoint.pt", model=model, epoch=1, settings={
        "model": "resnet_minimal", "class_names": PLANTVILLAGE_CLASSES, "image_size": 64,
        "normalization": {"mean": list(MEAN), "std": list(STD)}})
    return folder


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A large JPEG, a PNG with transparency, a greyscale PNG and a file that is not an image."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
    pixels[..., 1] = 190
    paths = {"jpeg": folder / "phone photo.jpg", "rgba": folder / "cut_out.png", "grey": folder / "scan.png",
             "text": folder / "notes.jpg"}
    Image.fromarray(pixels).save(paths["jpeg"], quality=90)
    rgba = Image.fromarray(pixels[:200, :300]).convert("RGBA")
    rgba.putalpha(Image.fromarray(np.where(rng.random((200, 300)) > 0.3, 255, 0).astype(np.uint8)))
    rgba.save(paths["rgba"])
    Image.fromarray(pixels[:100, :80, 0]).save(paths["grey"])
    paths["text"].write_text("this is not a leaf\n")
    return paths


def test_every_format_predicted_and_the_bad_file_named(run_dir: Path, images: dict[str, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    order = [images["jpeg"], images["text"], images["rgba"], images["grey"]]
    assert main([str(run_dir), *map(str, order), "-k", "3"]) == 1, "one file failed: exit code 1"
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert "Traceback" not in captured.out + captured.err
    assert lines[4].startswith(f"{images['text']}: error: notes.jpg is not an image")
    for name in ("jpeg", "rgba", "grey"):  # the others are still predicted
        at = lines.index(str(images[name]))
        ranked = [re.fullmatch(r"  (\d)\. (.+?) +([01]\.\d{3})", line) for line in lines[at + 1:at + 4]]
        assert all(ranked), lines[at + 1:at + 4]
        assert [m.group(1) for m in ranked] == ["1", "2", "3"]
        assert all(m.group(2) in PLANTVILLAGE_CLASSES for m in ranked)
    assert "1 of 4 files could not be predicted: " in captured.err and "notes.jpg" in captured.err


def test_all_good_exit_zero_and_json(run_dir: Path, images: dict[str, Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    good = [images["jpeg"], images["rgba"], images["grey"]]
    assert main([str(run_dir), *map(str, good), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [entry["file"] for entry in results] == [str(path) for path in good]
    for entry in results:
        probs = [item["probability"] for item in entry["top"]]
        assert entry["error"] is None and len(probs) == 5, "default k is 5"
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    assert main([str(run_dir), str(images["text"]), "--json"]) == 1
    [failed] = json.loads(capsys.readouterr().out)
    assert failed["top"] == [] and "not an image" in failed["error"]


def test_predict_files_uses_the_runs_size_and_names_missing_files(run_dir: Path, images: dict[str, Path],
                                                                  tmp_path: Path) -> None:
    run = load_run(run_dir)
    shapes: list[tuple[int, ...]] = []
    run.model.register_forward_hook(lambda module, inputs, output: shapes.append(tuple(inputs[0].shape)))
    results = predict_files(run, [images["jpeg"], tmp_path / "gone.jpg", tmp_path], k=2)
    assert shapes == [(1, 3, 64, 64)], "the run's 64 px, not the data set's 256"
    assert len(results[0]["top"]) == 2
    assert "gone.jpg" in results[1]["error"] and "is a folder" in results[2]["error"]


def test_a_folder_that_is_not_a_run(tmp_path: Path, images: dict[str, Path],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), str(images["jpeg"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No checkpoint.pt in") and "Traceback" not in err


def test_a_device_this_machine_lacks(run_dir: Path, images: dict[str, Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(run_dir), str(images["jpeg"]), "--device", "gpu"]) == 2
    assert "Device 'gpu' is not available here; this machine has: cpu" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main([str(run_dir), str(images["jpeg"]), "--device", "cuda"]) == 2
        assert "'cuda' is not available" in capsys.readouterr().err
