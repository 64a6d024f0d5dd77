"""Tests for training recipes (helpers.recipes, helpers.train --recipe) on the generated tiny set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import engine, recipes, train
from helpers.checkpoint import load_checkpoint
from helpers.data.splits import load_split
from helpers.data.tiny import make_tiny_plantvillage

FAST = ["--image-size", "32", "--batch-size", "8", "--max-batches", "2", "--no-progress", "--threads", "1"]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated 38-class set, 5 drawings per class."""
    return make_tiny_plantvillage(tmp_path_factory.mktemp("tiny"), n_per_class=5)


pytestmark = pytest.mark.usefixtures("isolated_training")


def test_every_recipe_and_candidate_names_only_real_options() -> None:
    for name in [*recipes.RECIPES, *recipes.CANDIDATES]:
        args = train.parse_args(["--recipe", name])
        for key, value in recipes.recipe_settings(name).items():
            assert getattr(args, key) == value, (name, key)
        assert args.model in train.PLANTVILLAGE_MODELS
    with pytest.raises(ValueError, match="Unknown recipe"):
        recipes.recipe_settings("no-such-recipe")


def test_the_small_data_recipe_is_the_chosen_candidate_on_every_image() -> None:
    """The shipped preset: from scratch, the cross-validated candidate, trained on every image."""
    small = recipes.RECIPES["small-data"]
    assert small["model"] == "resnet_minimal" and small["split"] == "leaf"
    assert small["train_on"] == "all", "its epochs are fixed: nothing is held out"
    assert small["cache"] and small["crop_scale"] is not None and small["optimizer"] == "adamw"
    assert small == {**recipes.CANDIDATES[recipes.CHOSEN], "train_on": "all"}
    copy = recipes.recipe_settings("small-data")
    assert copy == small and copy is not small, "callers get a copy they may change"


def test_command_line_options_override_the_recipe() -> None:
    args = train.parse_args(["--recipe", "small-data", "--epochs", "3", "--lr", "0.01", "--no-cache"])
    assert (args.epochs, args.lr, args.cache) == (3, 0.01, False)
    assert args.model == "resnet_minimal"
    assert args.label_smoothing == recipes.RECIPES["small-data"]["label_smoothing"]
    plain = train.parse_args(["--model", "small_resnet"])
    assert plain.recipe is None and plain.train_on == "train" and not plain.cache and plain.ema is None


def test_model_is_required_without_a_recipe(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        train.parse_args(["--epochs", "1"])
    assert "--model" in capsys.readouterr().err


def test_recipe_run_trains_on_every_image_and_records_the_recipe(tiny_data: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert train.main(["--recipe", "small-data", "--data", str(tiny_data), "--epochs", "2", *FAST,
                       "--run-dir", str(run)]) == 0
    results = json.loads((run / "results.json").read_text())
    split = load_split(results["split_file"])
    assert results["recipe"] == "small-data" and results["recipe_settings"] == recipes.RECIPES["small-data"]
    assert results["split"] == "leaf" and split["grouping"] == "leaf" and results["train_on"] == "all"
    assert results["images"]["train"] == len(split["train"]) + len(split["val"]) + len(split["test"])
    assert results["images"]["val"] == results["images"]["test"] == 0
    assert results["val_acc"] is None and results["complete"] and results["test_acc"] is None
    assert results["augmentation"]["crop_scale"] == recipes.RECIPES["small-data"]["crop_scale"]
    assert results["augmentation"]["tta"] == recipes.RECIPES["small-data"]["tta"]
    assert results["cpu_time_s"] > 0 and results["input_size"] == [3, 32, 32]
    state = load_checkpoint(run / "checkpoint.pt")
    assert engine.TRAINING_WEIGHTS in state["extra"], "EMA: the training weights are kept for resume"
    assert state["settings"]["ema_decay"] == recipes.RECIPES["small-data"]["ema"]


def test_split_file_is_used_as_given(tiny_data: Path, tmp_path: Path) -> None:
    from helpers.data.splits import make_split
    split = make_split(tiny_data, (0.6, 0.2, 0.2), seed=3, path=tmp_path / "my_split.json")
    run = tmp_path / "run"
    assert train.main(["--model", "resnet_minimal", "--data", str(tiny_data), "--epochs", "1", *FAST,
                       "--cache", "--split-file", split["path"], "--run-dir", str(run)]) == 0
    results = json.loads((run / "results.json").read_text())
    assert results["split_file"] == split["path"]
    sizes = {name: len(split[name]) for name in ("train", "val", "test")}
    assert results["images"] == sizes


def test_crops_need_the_cache(tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = train.main(["--model", "resnet_minimal", "--data", str(tiny_data), "--epochs", "1", *FAST,
                       "--crop-scale", "0.5", "1", "--run-dir", str(tmp_path / "run")])
    assert code == 1 and "--cache" in capsys.readouterr().err


@pytest.mark.parametrize("cache", ["--cache", "--no-cache"])
def test_train_on_all_learns_from_every_image_and_scores_none(tiny_data: Path, tmp_path: Path,
                                                              cache: str) -> None:
    run = tmp_path / "run"
    assert train.main(["--model", "resnet_minimal", "--data", str(tiny_data), "--epochs", "1", *FAST, cache,
                       "--train-on", "all", "--split", "leaf", "--run-dir", str(run)]) == 0
    results = json.loads((run / "results.json").read_text())
    assert results["train_on"] == "all" and results["complete"]
    assert results["images"] == {"train": 38 * 5, "val": 0, "test": 0}, "every image learned, none held out"
    assert results["test_acc"] is None, "nothing left to score: the model is scored on other photos"
