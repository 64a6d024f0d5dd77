"""Tests for helpers.bench: the subcommand dispatcher and a dry run of the FashionMNIST bench on tiny data."""

from __future__ import annotations

import json

import pytest
import torch

from helpers import bench


def test_parser_dispatches_subcommands() -> None:
    args = bench.build_parser().parse_args(["fashionmnist", "--epochs", "2", "--batch-size", "32"])
    assert args.command == "fashionmnist" and args.epochs == 2 and args.batch_size == 32
    assert args.func is bench._run_fashionmnist
    with pytest.raises(SystemExit):
        bench.build_parser().parse_args([])  # a subcommand is required


def test_a_new_subcommand_plugs_in(monkeypatch) -> None:
    def add_demo(subparsers) -> None:
        subparsers.add_parser("demo").set_defaults(func=lambda args: 7)

    monkeypatch.setattr(bench, "SUBCOMMANDS", [*bench.SUBCOMMANDS, add_demo])
    assert bench.main(["demo"]) == 7


def test_fashionmnist_dry_run_on_tiny_data(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("COURSE_MODE", "smoke")  # the tiny generated set, never the real data
    monkeypatch.setenv("CI", "true")
    code = bench.main(["fashionmnist", "--epochs", "1", "--max-batches", "2", "--models", "linear", "tinyvgg",
                       "--threads", "1", "--out", str(tmp_path)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "linear" in printed and "tinyvgg" in printed and "learnpytorch.io's" in printed
    saved = json.loads((tmp_path / "fashionmnist.json").read_text())
    rows = {row["model"]: row for row in saved["results"]}
    assert set(rows) == {"linear", "tinyvgg"}
    assert rows["linear"]["parameters"] == 784 * 10 + 10
    assert rows["tinyvgg"]["learnpytorch_acc"] == pytest.approx(0.884)
    assert 0.0 <= rows["tinyvgg"]["test_acc"] <= 1.0 and rows["tinyvgg"]["sec_per_epoch"] > 0
    assert (tmp_path / "fashionmnist.csv").read_text().startswith("model,parameters,test_acc")


def test_unknown_model_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="Unknown FashionMNIST model 'resnet'"):
        bench.bench_fashionmnist(names=["resnet"], out_dir=tmp_path)


def test_pick_threads_prefers_the_fastest_and_fewer_on_ties(monkeypatch) -> None:
    busy = {1: 0.05, 2: 0.20}  # a shared machine: two threads wait for each other
    monkeypatch.setattr(bench, "_time_conv", lambda n: busy[n])
    assert bench.pick_threads(2) == 1
    idle = {1: 0.10, 2: 0.055, 4: 0.05}  # an idle machine: more threads, faster
    monkeypatch.setattr(bench, "_time_conv", lambda n: idle[n])
    assert bench.pick_threads(4) == 2, "within 10% of the fastest, fewer threads win"
    assert bench.pick_threads(1) == 1


def test_pick_threads_restores_the_setting() -> None:
    before = torch.get_num_threads()
    assert 1 <= bench.pick_threads() <= bench.cpu_count()
    assert torch.get_num_threads() == before


def test_cpu_count_respects_a_container_quota(monkeypatch) -> None:
    monkeypatch.setattr(bench, "_cgroup_cpu_limit", lambda: 1.5)
    assert bench.cpu_count() == 1
    monkeypatch.setattr(bench, "_cgroup_cpu_limit", lambda: None)
    assert bench.cpu_count() >= 1
