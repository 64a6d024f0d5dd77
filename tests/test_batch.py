"""The batch of runs (python -m helpers.batch, ``make runs``) on the generated tiny set, capped to seconds.

The course's settings file is checked for what chapters 11-16 look up; the command itself runs
small ResNets at 32 px on the tiny set, one capped batch per epoch: it trains, skips a finished
run, continues an unfinished one from its checkpoint, and the chapters' look-up finds the runs.
A run trained in a notebook (chapter 15) is written with the same files and found the same way.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import batch, config, engine, models, train
from helpers import plantvillage as pv
from helpers.checkpoint import load_checkpoint
from helpers.data.tiny import make_tiny_plantvillage

SMALL = """
[defaults]
epochs = 1
batch_size = 8
image_size = 32
lr = 1e-3

[runs.resnet_minimal]
model = "resnet_minimal"
augment = true
scheduler = "cosine"

[runs.resnet_stride]
model = "resnet_stride"
lr = 2e-3
"""


def test_the_course_settings_cover_what_the_chapters_look_up() -> None:
    runs = batch.load_settings()
    assert set(models.PLANTVILLAGE_MODELS) <= {o["model"] for o in runs.values()}, "all six models"
    assert all(options["epochs"] == 20 and options["image_size"] == 256 for options in runs.values()), \
        "the report's 20 epochs at 256 px, the size of full mode's chapters"
    runs = {name: o for name, o in runs.items() if not name.endswith(("_plain", "_recipe15"))}  # ch. 11-15
    simple = [(o["lr"], o.get("init", "default")) for o in runs.values() if o["model"] == "simple_cnn"]
    assert sorted(simple) == [(3e-4, "default"), (3e-4, "kaiming"), (1e-2, "default"), (1e-2, "kaiming")], \
        "chapter 11: the 2 x 2 grid of learning rate x initialisation (collapse, fix, each change alone)"
    augment = sorted(o.get("augment", False) for o in runs.values() if o["model"] == "small_resnet")
    assert augment == [False, True], "chapter 13: without and with augmentation"
    minimal = runs["resnet_minimal"]
    assert (minimal["augment"], minimal["rotations"], minimal["scheduler"]) == (True, True, "cosine")


def test_every_model_is_trained_under_each_recipe() -> None:
    """Chapter 16's same-recipe table: each of the six models has a run of the plain recipe and one of
    chapter 15's."""
    runs, recipes, known = batch.load_settings(), batch.load_recipes(), batch.train_options()
    assert set(recipes) == {"plain", "chapter15"}
    assert recipes["chapter15"]["optimizer"] == "adamw" and recipes["chapter15"]["augment"] is True
    assert recipes["plain"]["augment"] is False and recipes["plain"]["weight_decay"] == 0.0
    for name, recipe in recipes.items():
        covered = sorted(o["model"] for o in runs.values()
                         if all(o.get(key, known[key]) == value for key, value in recipe.items()))
        assert covered == sorted(models.PLANTVILLAGE_MODELS), f"{name}: one run per model, got {covered}"


def test_a_run_that_uses_a_missing_recipe_is_named(tmp_path: Path) -> None:
    path = tmp_path / "runs.toml"
    path.write_text("[recipes.fast]\nlr = 1e-2\n[runs.a]\nmodel = 'deep_cnn'\nuses = 'slow'\n",
                    encoding="utf-8")
    with pytest.raises(batch.BatchSettingsError, match="uses = 'slow', but the file's recipes are fast"):
        batch.load_settings(path)
    path.write_text("[recipes.fast]\nlr = 1e-2\n[runs.a]\nmodel = 'deep_cnn'\nuses = 'fast'\nlr = 3e-3\n",
                    encoding="utf-8")
    assert batch.load_settings(path)["a"]["lr"] == 3e-3, "a run's own keys win over its recipe"


def _write_run(root: Path, folder: str, model: str, acc: float, **settings: object) -> None:
    options = {**batch.train_options(), "model": model, "epochs": 20, "image_size": 256, **settings,
               "split_file": "split.json", "data": "/pv"}
    payload = {"model": model, "complete": True, "finished_at": "2026-01-01", "test_acc": acc,
               "test_balanced_acc": acc - 0.01, "settings": json.loads(json.dumps(options, default=str))}
    (root / folder).mkdir(parents=True)
    (root / folder / "results.json").write_text(json.dumps(payload), encoding="utf-8")


def test_the_same_recipe_table_puts_each_run_in_its_recipe_column(tmp_path: Path) -> None:
    fifteen = batch.load_recipes()["chapter15"]
    _write_run(tmp_path, "deep_cnn", "deep_cnn", 0.25)
    _write_run(tmp_path, "deep_cnn_recipe15", "deep_cnn", 0.90, **fifteen)
    _write_run(tmp_path, "resnet_minimal", "resnet_minimal", 0.99, **fifteen)
    _write_run(tmp_path, "simple_cnn", "simple_cnn", 0.10, lr=1e-2)   # the collapse: no recipe of the file
    _write_run(tmp_path, "resnet_minimal_10ep", "resnet_minimal", 0.50, epochs=10)  # another length: left out
    table, same = batch.same_recipe_results(["simple_cnn", "deep_cnn", "resnet_minimal"], tmp_path)
    assert same == {"split_file": "split.json", "data": "/pv", "image_size": 256, "epochs": 20}
    assert table.loc["deep_cnn", "plain: test acc (%)"] == pytest.approx(25)
    assert table.loc["deep_cnn", "chapter15: test acc (%)"] == pytest.approx(90)
    assert table.loc["deep_cnn", "chapter15: balanced acc (%)"] == pytest.approx(89)
    assert table.loc["resnet_minimal", "chapter15: run"] == "resnet_minimal"
    assert table.loc["simple_cnn", "chapter15: run"] is None, "a blank is None, not NaN, beside a run's name"
    assert table.loc["simple_cnn", "plain: run"] is None
    assert np.isnan(table.loc["resnet_minimal", "plain: test acc (%)"])
    assert table.loc["simple_cnn"].filter(like="test acc").isna().all(), "lr 1e-2 is neither recipe"


def test_a_run_becomes_the_training_command_line() -> None:
    options = batch.load_settings()["resnet_minimal"]
    argv = batch.to_argv(options)
    assert argv[:2] == ["--model", "resnet_minimal"]
    args = train.parse_args(argv)
    for key, value in options.items():
        assert getattr(args, key) == value, key
    assert batch.to_argv({"model": "deep_cnn", "channels_last": False, "augment": False}) == [
        "--model", "deep_cnn", "--no-channels-last"]


@pytest.mark.parametrize(("text", "message"), [
    ("[runs.a]\nmodel = 'resnet_minimal'\nepoch = 3\n", r"unknown option\(s\) epoch.*helpers.train --help"),
    ("[runs.a]\nmodel = 'resnet_minimal'\nrun_dir = 'x'\n", "run_dir are set by the batch itself"),
    ("[runs.a]\nmodel = 'tinyvgg'\n", "model = 'tinyvgg'; give one of simple_cnn"),
    ("[defaults]\nepochs = 2\n", r"no \[runs.NAME\] table"),
    ("[runs.a\n", "is not valid TOML"),
])
def test_bad_settings_are_actionable_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "runs.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(batch.BatchSettingsError, match=message):
        batch.load_settings(path)


def test_a_missing_settings_file_or_run_is_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert batch.main(["--settings", str(tmp_path / "none.toml")]) == 1
    assert "No settings file" in capsys.readouterr().err
    assert batch.main(["--models", "vgg16", "--list"]) == 1
    assert "--models vgg16: not a run or model" in capsys.readouterr().err


def test_list_prints_each_run_and_trains_nothing(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.RUNS_VARIABLE, str(tmp_path / "runs"))
    assert batch.main(["--list", "--models", "small_resnet", "--epochs", "3"]) == 0
    said = capsys.readouterr().out.splitlines()
    command = ("python -m helpers.train --model small_resnet --epochs 3 --batch-size 64 --image-size 256 "
               "--lr 0.001")
    assert said[:2] == [f"small_resnet: {command}", f"small_resnet_aug: {command} --augment"], \
        "a model selects all its runs, in file order"
    names = [line.split(":")[0] for line in said]
    assert names == ["small_resnet", "small_resnet_aug", "small_resnet_recipe15"]
    assert not (tmp_path / "runs").exists()


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny set, 6 images per class (4 train, 1 validation, 1 test), drawn once for this file."""
    return make_tiny_plantvillage(tmp_path_factory.mktemp("tiny"), n_per_class=6)


@pytest.fixture
def tiny(tiny_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The tiny set, a settings file, and a private data and work folder (splits) and runs folder."""
    data = tiny_set
    settings = tmp_path / "runs.toml"
    settings.write_text(SMALL, encoding="utf-8")
    monkeypatch.setenv(config.DATA_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setenv(config.WORK_VARIABLE, str(tmp_path / "data"))
    monkeypatch.delenv(config.DRY_RUN_VARIABLE, raising=False)
    threads = torch.get_num_threads()
    yield {"data": data, "settings": settings, "runs": tmp_path / "runs"}
    torch.set_num_threads(threads)


def check_look_up(runs: Path) -> None:
    """The chapters' look-up finds the batch's runs by their settings (load_results(where=...))."""
    found = train.load_results("resnet_minimal", runs, where={"augment": True, "image_size": 32})
    assert found is not None and found["run_dir"] == str(runs / "resnet_minimal")
    assert len(found["history"]) == 1 and found["confusion_matrix"].shape == (38, 38)
    assert train.load_results("resnet_minimal", runs, where={"augment": False}) is None
    assert train.load_results("resnet_stride", runs, where={"lr": 2e-3})["model"] == "resnet_stride"
    split = found["split_file"]
    assert train.load_results("resnet_stride", runs, where={"split_file": split}) is not None
    assert train.load_results("resnet_stride", runs, where={"split_file": "other.json"}) is None


def run_batch(tiny: dict[str, Path], *extra: str) -> int:
    """The command on the tiny set, one batch per epoch, in this process."""
    return batch.main(["--settings", str(tiny["settings"]), "--data", str(tiny["data"]), "--runs-dir",
                       str(tiny["runs"]), "--max-batches", "1", "--workers", "0", "--threads", "1",
                       "--no-progress", *extra])


def test_the_batch_trains_skips_and_resumes(tiny: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    assert run_batch(tiny) == 0
    table = capsys.readouterr().out
    assert "2 runs in" in table and table.count(" trained ") == 2, table
    first = {name: json.loads((tiny["runs"] / name / "results.json").read_text())
             for name in ("resnet_minimal", "resnet_stride")}
    minimal = first["resnet_minimal"]
    assert minimal["complete"] and minimal["note"] == batch.NOTE and minimal["image_size"] == 32
    assert minimal["settings"]["augment"] and minimal["settings"]["scheduler"] == "cosine", "the file's"
    stride = first["resnet_stride"]["settings"]
    assert stride["lr"] == 2e-3 and not stride["augment"], "a run's own options beat the defaults"
    check_look_up(tiny["runs"])
    stamps = {p: p.stat().st_mtime_ns for p in tiny["runs"].rglob("*") if p.is_file()}

    assert run_batch(tiny) == 0, "a second call"
    assert capsys.readouterr().out.count("skipped: finished") == 2
    files = {p: p.stat().st_mtime_ns for p in tiny["runs"].rglob("*") if p.is_file()}
    assert files == stamps, "none rewritten"

    before = pd.read_csv(tiny["runs"] / "resnet_minimal" / "history.csv")
    assert run_batch(tiny, "--models", "resnet_minimal", "--epochs", "2") == 0, "more epochs: not finished"
    assert " resumed " in capsys.readouterr().out
    after = pd.read_csv(tiny["runs"] / "resnet_minimal" / "history.csv")
    assert list(after["epoch"]) == [1, 2], "continued from the checkpoint of epoch 1"
    pd.testing.assert_frame_equal(after.iloc[:1], before, check_dtype=False)
    assert load_checkpoint(tiny["runs"] / "resnet_minimal" / "checkpoint.pt")["epoch"] == 2
    assert (tiny["runs"] / "resnet_stride" / "results.json").stat().st_mtime_ns == stamps[
        tiny["runs"] / "resnet_stride" / "results.json"], "--models: the other run untouched"


def test_an_interrupted_run_continues_from_its_checkpoint(tiny: dict[str, Path],
                                                          capsys: pytest.CaptureFixture) -> None:
    assert run_batch(tiny, "--models", "resnet_stride") == 0
    run = tiny["runs"] / "resnet_stride"
    epoch_one = load_checkpoint(run / "checkpoint.pt")["model"]
    (run / "results.json").unlink()   # what a run killed after its first epoch leaves: the checkpoint
    capsys.readouterr()
    assert run_batch(tiny, "--models", "resnet_stride", "--epochs", "2") == 0
    assert " resumed " in capsys.readouterr().out
    assert len(pd.read_csv(run / "history.csv")) == 2
    assert any(not torch.equal(value, epoch_one[key])
               for key, value in load_checkpoint(run / "checkpoint.pt")["model"].items()), "epoch 2 trained"




def test_a_run_trained_in_a_notebook_is_written_like_the_commands(tiny: dict[str, Path]) -> None:
    device = torch.device("cpu")
    loaders = pv.plantvillage_loaders(8, root=tiny["data"], device=device, workers=0, image_size=32)[:3]
    run_dir = tiny["runs"] / "notebook-15"
    config.seed_everything(42)
    model = models.ResNetMinimal()
    history = engine.fit(model, loaders[0], loaders[1], epochs=2, device=device, max_batches=1,
                         progress=False, checkpoint=run_dir / "checkpoint.pt")
    options = train.make_settings(model="resnet_minimal", epochs=2, batch_size=8, image_size=32)
    written = train.write_notebook_run(model, history, run_dir, options, loaders, device, started=0.0,
                                       note="chapter 15")
    assert written["complete"] and written["test_images"] == len(loaders[2].dataset) == 38
    found = train.load_results("resnet_minimal", tiny["runs"], where={"image_size": 32})
    assert found is not None and found["run_dir"] == str(run_dir) and found["note"] == "chapter 15"
    assert list(found["history"]["epoch"]) == [1, 2] and found["split_file"] == loaders[0].dataset.split_file
    cm = found["confusion_matrix"].to_numpy()
    assert cm.sum() == 38 and abs(cm.trace() / cm.sum() - found["test_acc"]) < 1e-9
    assert found["baselines"]["majority_class_acc"] == pytest.approx(1 / 38)


def test_a_non_editable_install_ships_the_settings_file() -> None:
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["helpers"]
    assert batch.SETTINGS_FILE.name in shipped and batch.SETTINGS_FILE.parent.name == "helpers"


def test_run_settings_name_how_a_chapter_recognises_its_run(tmp_path: Path) -> None:
    deep, fifteen = batch.run_settings("deep_cnn"), batch.run_settings("deep_cnn_recipe15")
    assert deep == batch.load_recipes()["plain"] and fifteen == batch.load_recipes()["chapter15"]
    assert batch.run_settings("simple_cnn")["lr"] == 1e-2, "chapter 11's collapse"
    with pytest.raises(batch.BatchSettingsError, match="no run 'vgg'"):
        batch.run_settings("vgg")
    # The newest deep_cnn run is the recipe-15 one; the chapter still finds its own.
    _write_run(tmp_path, "deep_cnn", "deep_cnn", 0.25)
    _write_run(tmp_path, "deep_cnn_recipe15", "deep_cnn", 0.90, **batch.load_recipes()["chapter15"])
    results_json = tmp_path / "deep_cnn_recipe15" / "results.json"
    payload = json.loads(results_json.read_text(encoding="utf-8"))
    results_json.write_text(json.dumps({**payload, "finished_at": "2026-02-01"}), encoding="utf-8")
    assert train.load_results("deep_cnn", tmp_path)["test_acc"] == 0.90, "newest"
    assert train.load_results("deep_cnn", tmp_path, where=deep)["test_acc"] == 0.25
    runs, _ = train.comparable_results(["deep_cnn"], tmp_path, where={"deep_cnn": deep})
    assert runs["deep_cnn"]["test_acc"] == 0.25, "chapter 16's section 1 shows the chapter's run"
