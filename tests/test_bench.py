"""Tests for helpers.bench: the subcommand dispatcher, the FashionMNIST recipes (learnpytorch.io's exactly),
a dry run of the FashionMNIST bench on tiny data, and the thread choice from injected timings."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from helpers import config, data, models
from helpers.bench import cli
from helpers.bench import fashionmnist as bench


def test_parser_dispatches_subcommands() -> None:
    args = cli.build_parser().parse_args(["fashionmnist", "--epochs", "2", "--threads", "1"])
    assert args.command == "fashionmnist" and args.epochs == 2 and args.threads == 1
    assert args.func is cli._run_fashionmnist and not args.one_by_one
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args([])  # a subcommand is required


def test_a_new_subcommand_plugs_in(monkeypatch) -> None:
    def add_demo(subparsers) -> None:
        subparsers.add_parser("demo").set_defaults(func=lambda args: 7)

    monkeypatch.setattr(cli, "SUBCOMMANDS", [*cli.SUBCOMMANDS, add_demo])
    assert cli.main(["demo"]) == 7


def test_the_reference_is_learnpytorchs_exact_recipe() -> None:
    recipe = bench.FASHION_BENCH[bench.REFERENCE]
    assert (recipe.optimizer, recipe.lr, recipe.batch_size, recipe.one_cycle) == ("sgd", 0.1, 32, False)
    assert recipe.label_smoothing == 0.0 and recipe.source == "learnpytorch.io"
    model = recipe.build()
    layers = [type(m) for m in model.modules() if not isinstance(m, nn.Sequential | models.TinyVGG)]
    assert layers == [nn.Conv2d, nn.ReLU, nn.Conv2d, nn.ReLU, nn.MaxPool2d] * 2 + [nn.Flatten, nn.Linear]
    assert {m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)} == {10}
    assert models.count_parameters(model) == 7_740
    optimizer, scheduler = recipe.make_optimizer(model, steps_per_epoch=10, epochs=3)
    assert type(optimizer) is torch.optim.SGD and scheduler is None
    assert optimizer.defaults["lr"] == 0.1 and optimizer.defaults["momentum"] == 0
    assert recipe.loss_fn().label_smoothing == 0.0
    assert "SGD, lr 0.1, batch 32" == recipe.describe()


def test_the_grid_swaps_only_the_model_or_only_the_recipe() -> None:
    grid = {(model, recipe): bench.FASHION_BENCH[name] for (model, recipe), name in {
        ("theirs", "theirs"): bench.REFERENCE, ("theirs", "ours"): bench.THEIR_MODEL_OUR_RECIPE,
        ("ours", "theirs"): bench.OUR_MODEL_THEIR_RECIPE, ("ours", "ours"): bench.COURSE_CNN}.items()}

    def training(recipe: bench.FashionRecipe) -> tuple:
        return recipe.optimizer, recipe.lr, recipe.batch_size, recipe.one_cycle, recipe.label_smoothing

    for model in ("theirs", "ours"):
        assert grid[model, "theirs"].build is grid[model, "ours"].build, "one model, two recipes"
    for recipe in ("theirs", "ours"):
        assert training(grid["theirs", recipe]) == training(grid["ours", recipe]), "one recipe, two models"
    assert grid["ours", "ours"].build is not grid["theirs", "theirs"].build
    assert training(grid["ours", "ours"]) != training(grid["theirs", "theirs"])


def test_the_course_recipes_use_one_cycle_adam() -> None:
    recipe = bench.FASHION_BENCH[bench.COURSE_CNN]
    optimizer, scheduler = recipe.make_optimizer(recipe.build(), steps_per_epoch=10, epochs=3)
    assert type(optimizer) is torch.optim.Adam and isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR)
    assert scheduler.total_steps == 30
    with pytest.raises(ValueError, match="'sgd' or 'adam'"):
        bench.FashionRecipe(models.LinearBaseline, "rmsprop", 1e-3, 8).make_optimizer(nn.Linear(1, 1), 1, 1)


def test_fashionmnist_dry_run_on_tiny_data(tmp_path, monkeypatch, capsys, data_root) -> None:
    monkeypatch.setenv("CI", "true")
    code = cli.main(["fashionmnist", "--epochs", "2", "--max-batches", "2", "--models", "linear",
                       bench.REFERENCE, "--threads", "1", "--out", str(tmp_path)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "linear" in printed and bench.REFERENCE in printed and "theirs" in printed
    saved = json.loads((tmp_path / "fashionmnist.json").read_text())
    rows = {row["model"]: row for row in saved["results"]}
    assert set(rows) == {"linear", bench.REFERENCE}
    assert rows["linear"]["parameters"] == 784 * 10 + 10 and math.isnan(rows["linear"]["published_acc"])
    assert rows[bench.REFERENCE]["published_acc"] == pytest.approx(0.8838)
    assert rows[bench.REFERENCE]["vs_reference"] == pytest.approx(1.0)
    assert rows[bench.REFERENCE]["batch_size"] == 32 and rows["linear"]["threads"] == 1
    histories = saved["histories"]
    assert histories["linear"]["epoch"] == [1, 2], "interleaved epochs are numbered on"
    assert (tmp_path / "fashionmnist.csv").read_text().startswith("model,source,recipe,parameters")


def test_unknown_model_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="Unknown FashionMNIST model 'resnet'"):
        bench.bench_fashionmnist(names=["resnet"], out_dir=tmp_path)


def test_recipes_run_on_an_in_memory_loader(data_root) -> None:
    train, val, _ = data.fashion_mnist_loaders(16)
    model, history = bench.train_recipe(bench.REFERENCE, train, val, epochs=1, max_batches=3)
    assert len(history) == 1 and isinstance(model, models.TinyVGG)


def test_choose_threads_keeps_fewer_threads_unless_more_are_clearly_faster() -> None:
    idle = {1: [0.100, 0.104, 0.098, 0.101, 0.150], 2: [0.060, 0.058, 0.061, 0.110, 0.059]}
    assert bench.choose_threads(idle) == 2, "an idle 2-core machine: both cores"
    loaded = {1: [0.10, 0.11, 0.10], 2: [0.30, 0.45, 0.28]}  # another program holds a core
    assert bench.choose_threads(loaded) == 1
    close = {1: [0.100, 0.100, 0.100], 2: [0.090, 0.091, 0.089]}  # 10% faster: within the margin
    assert bench.choose_threads(close) == 1
    assert bench.choose_threads(close, margin=0.05) == 2
    four = {1: [0.40] * 3, 2: [0.21] * 3, 4: [0.20] * 3}  # 4 threads not 15% faster than 2
    assert bench.choose_threads(four) == 2
    assert bench.choose_threads({4: [0.1]}) == 4
    with pytest.raises(ValueError):
        bench.choose_threads({})


def test_time_threads_takes_turns_and_stops_on_its_budget() -> None:
    calls: list[int] = []

    def step() -> None:
        calls.append(torch.get_num_threads())

    before = torch.get_num_threads()
    samples = bench.time_threads(step, [1, 2], repeats=4, budget_s=10.0, min_seconds=0.0)
    assert {n: len(times) for n, times in samples.items()} == {1: 4, 2: 4}
    timed = calls[3:]  # after the warm-ups (one per count) and the calibration call
    assert timed == [1, 2, 2, 1, 1, 2, 2, 1], "the counts take turns, alternating who goes first"
    quick = bench.time_threads(step, [1, 2], repeats=50, min_repeats=3, budget_s=0.0, min_seconds=0.0)
    assert len(quick[1]) == 3, "no new round once the budget is spent"
    torch.set_num_threads(before)


def test_pick_threads_measures_the_given_step_and_restores_the_setting(monkeypatch) -> None:
    seen = {}

    def fake_time_threads(step, counts, **kwargs):
        seen["counts"] = counts
        return {n: [0.2 / n] for n in counts}  # scales perfectly: all cores

    monkeypatch.setattr(bench, "time_threads", fake_time_threads)
    before = torch.get_num_threads()
    report: dict = {}
    assert bench.pick_threads(4, step=lambda: None, report=report) == 4
    assert seen["counts"] == [1, 2, 4] and report["chosen"] == 4 and report["median_s_1_threads"] == 0.2
    assert bench.pick_threads(1) == 1, "one core: nothing to measure"
    assert torch.get_num_threads() == before


def test_pick_threads_runs_on_this_machine() -> None:
    before = torch.get_num_threads()
    step = bench.training_step(models.learnpytorch_tinyvgg(), batch_size=8)
    assert 1 <= bench.pick_threads(step=step, repeats=3, budget_s=0.2) <= config.cpu_count()
    assert torch.get_num_threads() == before


def test_cpu_count_respects_a_container_quota(monkeypatch) -> None:
    monkeypatch.setattr(config, "_cgroup_cpu_limit", lambda: 1.5)
    assert config.cpu_count() == 1
    monkeypatch.setattr(config, "_cgroup_cpu_limit", lambda: None)
    assert config.cpu_count() >= 1


def test_loaders_plan_workers_within_a_cpu_quota(monkeypatch) -> None:
    """A hub pod with a 2-CPU quota on a 64-core node: the loaders plan for the pod, not the node."""
    from helpers.data import loaders

    monkeypatch.setattr(config.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(config, "_cgroup_cpu_limit", lambda: None)
    monkeypatch.setenv(config.MODE_VARIABLE, "quick")
    unlimited = loaders.num_workers(min_shm_mb=0)
    monkeypatch.setattr(config, "_cgroup_cpu_limit", lambda: 2.0)
    assert config.cpu_count() == 2
    assert loaders.num_workers(min_shm_mb=0) == 1 < unlimited == 8
