"""A GPU hub's fresh clone: ``COURSE_MODE=full`` without the full data set, checked with ``COURSE_DRY_RUN``.

A CUDA machine defaults to ``COURSE_MODE=full``. A fresh clone on a hub has neither
``data/plantvillage`` nor ``../shared``, so chapters 11-16 run on the generated tiny set: they must
say so and must not fail. The knobs tested first:

* ``COURSE_DRY_RUN=1``: every training or evaluation pass is one batch of one image, ``fit``
  runs at most 2 epochs, a benchmark times one step, runs go under ``runs/dry-run``;
* ``COURSE_SHARED_DIR=none`` hides ``../shared``; ``COURSE_DATA_DIR`` / ``COURSE_RUNS_DIR`` move data
  and runs (here: temporary folders, so the developer's own data and runs are never seen or touched).

Then, as on a hub where an instructor ran ``make runs`` first, the batch command trains every run of
chapters 11-16 on the tiny set (capped: one batch per pass), and each model chapter runs top to bottom
in a fresh kernel with those variables (one class per notebook, so ``pytest -n 2 --dist loadscope``
spreads them over the workers). Each chapter must show the batch's runs instead of training them
again: it names every run it shows ("results from runs/..., trained by make runs ... not trained again
here") and leaves the runs folder exactly as it was (no new run, no checkpoint rewritten). nbclient
executes the cells as nbval does (a cell that raises fails the test, with its traceback) without
starting a second pytest.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch
from nbclient import NotebookClient
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers import batch, config, engine, results, train
from helpers import plantvillage as pv
from helpers.bench import modelbench
from helpers.data import capped, ensure_tiny, make_loader
from helpers.data.tiny import make_tiny_plantvillage
from helpers.models import PLANTVILLAGE_MODELS

ROOT = Path(__file__).resolve().parent.parent
MODEL_CHAPTERS = ("11", "12", "13", "14", "15", "16")
SHOWN = {"11": ("simple_cnn", "simple_cnn_kaiming", "simple_cnn_kaiming_lr1e-2", "simple_cnn_lr3e-4"),
         "12": ("deep_cnn",),
         "13": ("small_resnet", "small_resnet_aug"), "14": ("resnet_maxpool", "resnet_stride"),
         "15": ("resnet_minimal",)}
"""The batch's runs each chapter shows instead of training them (chapter 16: the newest of every model)."""


# --- The knobs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), (" YES ", True), ("0", False),
                                                 ("", False), ("false", False)])
def test_dry_run_reads_its_variable(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv(config.DRY_RUN_VARIABLE, value)
    assert config.dry_run() is expected
    assert config.conclusive() is (not expected and not config.is_smoke())


def test_unknown_dry_run_value_is_an_actionable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.DRY_RUN_VARIABLE, "maybe")
    with pytest.raises(config.ConfigError, match="COURSE_DRY_RUN='maybe'.*use 1"):
        config.dry_run()


def test_caps_only_in_a_dry_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def caps() -> tuple:
        return (config.cap_batches(None), config.cap_batches(7), config.cap_epochs(20),
                config.cap_batch_size(64))

    monkeypatch.delenv(config.DRY_RUN_VARIABLE, raising=False)
    assert caps() == (None, 7, 20, 64)
    monkeypatch.setenv(config.DRY_RUN_VARIABLE, "1")
    assert caps() == (1, 1, config.DRY_RUN_EPOCHS, config.DRY_RUN_BATCH_SIZE)
    assert config.cap_epochs(1) == 1 and config.cap_batch_size(1) == 1, "a cap never raises a budget"
    assert "dry_run" in config.describe()


def test_shared_and_runs_folders_follow_their_variables(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setenv(config.SHARED_VARIABLE, "none")
    assert config.shared_data_dir() is None and pv.mini_root() is None
    monkeypatch.setenv(config.SHARED_VARIABLE, str(tmp_path))
    assert config.shared_data_dir() == tmp_path
    monkeypatch.setenv(config.SHARED_VARIABLE, str(tmp_path / "missing"))
    assert config.shared_data_dir() is None
    monkeypatch.delenv(config.DRY_RUN_VARIABLE, raising=False)
    monkeypatch.setenv(config.RUNS_VARIABLE, str(tmp_path / "runs"))
    assert config.runs_dir() == tmp_path / "runs"
    monkeypatch.setenv(config.DRY_RUN_VARIABLE, "1")
    assert config.runs_dir() == tmp_path / "runs" / "dry-run", "a dry run's checkpoints never meet a real run"


def _counting_model() -> tuple[nn.Module, list[int]]:
    """A tiny classifier that records the batch size of every forward pass."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    seen: list[int] = []
    model.register_forward_hook(lambda module, inputs, output: seen.append(len(output)))
    return model, seen


def test_dry_run_fit_is_two_epochs_of_one_small_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    data = TensorDataset(torch.randn(60, 2), torch.arange(60) % 3)
    monkeypatch.setenv(config.DRY_RUN_VARIABLE, "1")
    train = make_loader(data, 16, shuffle=True, device=torch.device("cpu"), workers=0)
    val = make_loader(data, 16, device=torch.device("cpu"), workers=0)
    assert train.batch_size == config.DRY_RUN_BATCH_SIZE
    model, seen = _counting_model()
    history = engine.fit(model, train, val, epochs=20, device=torch.device("cpu"), progress=False)
    assert len(history) == config.DRY_RUN_EPOCHS
    assert seen == [config.DRY_RUN_BATCH_SIZE] * 2 * config.DRY_RUN_EPOCHS, "a train and a val batch"
    seen.clear()
    y_true, _, _ = engine.predict(model, val, torch.device("cpu"))
    assert seen == [config.DRY_RUN_BATCH_SIZE] and len(y_true) == config.DRY_RUN_BATCH_SIZE
    assert len(list(capped(DataLoader(data, batch_size=8), None))) == 1, "a pass by hand is capped too"


def test_without_dry_run_nothing_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.DRY_RUN_VARIABLE, raising=False)
    data = TensorDataset(torch.randn(60, 2), torch.arange(60) % 3)
    model, seen = _counting_model()
    engine.fit(model, DataLoader(data, batch_size=16), DataLoader(data, batch_size=16), epochs=3,
               device=torch.device("cpu"), progress=False)
    assert len(seen) == 3 * (4 + 4)


def test_dry_run_benchmark_times_one_step_of_a_small_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.DRY_RUN_VARIABLE, "1")
    table = modelbench.compare_step_times(["resnet_minimal"], batch_size=32, image_size=32, rounds=5,
                                          warmup=2, device="cpu")
    assert table.loc[0, "rounds"] == 1 and table.loc[0, "batch_size"] == config.DRY_RUN_BATCH_SIZE


def test_a_dry_run_of_the_training_command_completes_under_runs_dry_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_tiny_plantvillage(tmp_path / "tiny", n_per_class=3)
    monkeypatch.setenv(config.DATA_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setenv(config.RUNS_VARIABLE, str(tmp_path / "runs"))
    monkeypatch.setenv(config.DRY_RUN_VARIABLE, "1")
    threads = torch.get_num_threads()
    try:
        assert train.main(["--model", "resnet_minimal", "--image-size", "64", "--epochs", "20", "--workers",
                           "0", "--no-progress", "--threads", "1", "--data", str(data)]) == 0
    finally:
        torch.set_num_threads(threads)
    results = train.load_results("resnet_minimal")
    assert results is not None and results["complete"], "a dry run is a finished run: it is tested"
    assert results["run_dir"] == str(tmp_path / "runs" / "dry-run" / "resnet_minimal")
    assert results["epochs"] == config.DRY_RUN_EPOCHS and results["test_images"] == config.DRY_RUN_BATCH_SIZE
    monkeypatch.delenv(config.DRY_RUN_VARIABLE)
    assert train.load_results("resnet_minimal") is None, "real runs never see it"


# --- Which data a chapter runs on ------------------------------------------------------------------


def test_data_kinds_and_picks() -> None:
    assert [pv.data_kind(s) for s in ("local", "custom", "mini", "tiny")] == ["full", "full", "mini", "tiny"]
    assert [pv.pick_for_data(k, full=1, mini=2, tiny=3) for k in pv.DATA_KINDS] == [1, 2, 3]
    with pytest.raises(ValueError, match="full, mini, tiny"):
        pv.pick_for_data("local", full=1, mini=2, tiny=3)
    with pytest.raises(ValueError, match="unknown PlantVillage source"):
        pv.data_kind("kaggle")


def test_a_fresh_clone_is_told_it_runs_on_drawn_leaves_and_how_to_get_the_full_set(
        data_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv(config.MODE_VARIABLE, "full")
    monkeypatch.setenv(config.SHARED_VARIABLE, "none")
    assert pv.announce_data() == "tiny"
    said = capsys.readouterr().out
    assert "generated tiny set of drawn leaves" in said and "228 images in 38 classes" in said
    assert f"`{pv.GET_FULL_SET}`" in said and str(data_root / "plantvillage") in said


def test_the_mini_set_is_named_as_such(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture) -> None:
    if pv.mini_root() is None:
        pytest.skip("no ../shared/data/plantvillage-mini here (a student's clone)")
    monkeypatch.setenv(config.MODE_VARIABLE, "smoke")
    assert pv.announce_data() == "mini"
    said = capsys.readouterr().out
    assert "mini set of real photos" in said and "not the full set's 54,305" in said
    assert pv.GET_FULL_SET in said


# --- The model chapters, COURSE_MODE=full, no full data, dry run ------------------------------------


def test_the_model_chapters_are_all_run_below() -> None:
    found = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("1[1-9]_*.ipynb"))
    assert tuple(found) == MODEL_CHAPTERS, "a new model chapter needs its class below"


@pytest.fixture(scope="session")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A fresh clone on a GPU hub after ``make runs``: full mode, no data set, no ../shared, a dry run.

    The batch command trains every run of ``helpers/batch_runs.toml`` on the generated tiny set, capped
    (one batch per pass, and a dry run's two epochs of one image), into a temporary runs folder. Under
    pytest-xdist the workers of one session share that folder (and the data folder): the first worker
    runs the batch while the others wait on a lock, so it runs once per session.
    """
    base = tmp_path_factory.getbasetemp()
    base = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the session's, for all workers
    root, data, runs = base / "fresh-clone", base / "fresh-clone" / "data", base / "fresh-clone" / "runs"
    env = {key: value for key, value in os.environ.items() if not key.startswith("COURSE_")}
    env.update({config.MODE_VARIABLE: "full", config.DRY_RUN_VARIABLE: "1", config.SHARED_VARIABLE: "none",
                config.DATA_VARIABLE: str(data), config.WORK_VARIABLE: str(data),  # a clone: one data/ folder
                config.RUNS_VARIABLE: str(runs),
                "CI": "true", "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    root.mkdir(exist_ok=True)
    with open(base / "fresh-clone.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "batch-done").exists():
            ensure_tiny(data)  # what the notebooks would generate on first use
            command = ["-m", "helpers.batch", "--max-batches", "1", "--workers", "0", "--threads", "1",
                       "--no-progress"]
            done = subprocess.run([sys.executable, *command], env=env, cwd=ROOT, capture_output=True,
                                  text=True, timeout=600)
            assert done.returncode == 0, done.stdout + done.stderr
            assert done.stdout.count("trained") == len(batch.load_settings()), done.stdout
            (root / "batch-done").write_text(done.stdout, encoding="utf-8")
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert sorted(p.name for p in (runs / "dry-run").iterdir()) == sorted(batch.load_settings()), "a run each"
    return env


def runs_snapshot(env: dict[str, str]) -> dict[Path, int]:
    """Every file under the runs folder and its modification time (ns)."""
    return {p: p.stat().st_mtime_ns for p in Path(env[config.RUNS_VARIABLE]).rglob("*") if p.is_file()}


def run_chapter(number: str, env: dict[str, str]) -> str:
    """Execute notebook ``number`` in a fresh kernel with ``env``; return everything it printed.

    The chapter must show the batch's runs (each named as not trained again) and leave the runs folder
    untouched: no new run, no checkpoint or results file rewritten.
    """
    before = runs_snapshot(env)
    (path,) = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    printed = [out.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []) if out.get("output_type") == "stream"]
    text = "".join(printed)
    assert "mode: full" in text and "dry_run: on" in text, "the setup cell shows the mode and the dry run"
    assert "generated tiny set of drawn leaves" in text and pv.GET_FULL_SET in text, \
        "the chapter says which data it runs on and how to get the full set"
    assert runs_snapshot(env) == before, "nothing trained again: the runs folder is as the batch left it"
    runs = Path(env[config.RUNS_VARIABLE]) / "dry-run"
    for name in SHOWN.get(number, ()):
        assert f"results from {runs / name}, trained by {batch.NOTE} on " in text, f"{name}: not shown"
    shown = len(SHOWN[number]) if number in SHOWN else len(PLANTVILLAGE_MODELS)
    assert text.count(results.REUSED) == shown, "every run the chapter shows is named once"
    return text


@pytest.mark.course  # a kernel per chapter after a batch of runs: `make test-course`
class TestChapter11:
    def test_full_mode_without_the_full_data_set(self, fresh_clone: dict[str, str]) -> None:
        text = run_chapter("11", fresh_clone)
        assert "no conclusion asserted: one batch of training" in text


@pytest.mark.course  # a kernel per chapter after a batch of runs: `make test-course`
class TestChapter12:
    def test_full_mode_without_the_full_data_set(self, fresh_clone: dict[str, str]) -> None:
        run_chapter("12", fresh_clone)


@pytest.mark.course  # a kernel per chapter after a batch of runs: `make test-course`
class TestChapter13:
    def test_full_mode_without_the_full_data_set(self, fresh_clone: dict[str, str]) -> None:
        text = run_chapter("13", fresh_clone)
        assert "no conclusion asserted: one batch of training" in text


@pytest.mark.course  # a kernel per chapter after a batch of runs: `make test-course`
class TestChapter14:
    def test_full_mode_without_the_full_data_set(self, fresh_clone: dict[str, str]) -> None:
        run_chapter("14", fresh_clone)


@pytest.mark.course  # a kernel per chapter after a batch of runs: `make test-course`
class TestChapter15:
    def test_full_mode_without_the_full_data_set(self, fresh_clone: dict[str, str]) -> None:
        text = run_chapter("15", fresh_clone)
        assert "no accuracy bar: one batch of training" in text


@pytest.mark.course  # a kernel per chapter after a batch of runs: `make test-course`
class TestChapter16:
    def test_full_mode_without_the_full_data_set(self, fresh_clone: dict[str, str]) -> None:
        text = run_chapter("16", fresh_clone)
        assert "runs compared: split file" in text and "not trained here yet" not in text, \
            "the batch trains every model under each recipe: the same-recipe table is full"
        assert "no conclusion asserted: a dry run or smoke mode trains one batch" in text


def test_drawn_leaves_get_the_code_path_budget(capsys: pytest.CaptureFixture,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.MODE_VARIABLE, "full")
    assert pv.drawn_budget("tiny", 20, None) == (20, None), "full mode keeps its budgets (make runs' matches)"
    monkeypatch.setenv(config.MODE_VARIABLE, "quick")
    assert pv.drawn_budget("full", 20, None) == (20, None) and pv.drawn_budget("mini", 3, 12) == (3, 12)
    assert capsys.readouterr().out == ""
    assert pv.drawn_budget("tiny", 3, 12) == (pv.DRAWN_EPOCHS, pv.DRAWN_BATCHES)
    assert pv.drawn_budget("tiny", 20, None) == (1, 2) and pv.drawn_budget("tiny", 1, 1) == (1, 1)
    assert "drawn leaves: 1 epoch" in capsys.readouterr().out
    with pytest.raises(ValueError, match="full, mini, tiny"):
        pv.drawn_budget("local", 1, 1)
