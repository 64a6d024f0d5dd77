"""helpers.bench.throughput and ``python -m helpers.bench throughput`` on the tiny set (seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from helpers.bench import cli, throughput
from helpers.data.tiny import make_tiny_plantvillage


def test_batches_continue_across_passes_without_an_extra_batch() -> None:
    loader = DataLoader(TensorDataset(torch.arange(10).float(), torch.arange(10)), batch_size=4)
    stream = throughput.Batches(loader)
    first = [y.tolist() for _, y in stream.take(2)]
    assert len(stream) == 2 and first == [[0, 1, 2, 3], [4, 5, 6, 7]]
    after = [y.tolist() for _, y in stream.take(2)]
    assert after == [[8, 9], [0, 1, 2, 3]], "the next pass starts where the last one stopped"
    assert stream.images == 14
    assert throughput.data_rate(loader, batches=3, warmup=1)["images"] == 10  # 4 + 2 + 4 after 4


def test_throughput_command_on_the_tiny_set(data_root: Path, tmp_path: Path, capsys) -> None:
    root = make_tiny_plantvillage(tmp_path / "tiny", n_per_class=2)  # the tiny set's format, 76 images
    threads = torch.get_num_threads()
    code = cli.main(["throughput", "--data", str(root), "--image-size", "32", "--batch-size", "8",
                       "--batches", "2", "--workers", "0", "--models", "resnet_minimal", "--steps", "2",
                       "--augment", "--device", "cpu", "--threads", "1", "--out", str(tmp_path)])
    torch.set_num_threads(threads)
    assert code == 0
    printed = capsys.readouterr().out
    assert "cache / jpeg" in printed and "train step resnet_minimal" in printed
    table = pd.read_csv(tmp_path / "throughput.csv")
    assert set(table["path"]) == {"jpeg", "cache"}
    assert set(table["stage"]) == {"uint8", "float on cpu", "train step resnet_minimal"}
    assert (table["images"] == 16).all() and (table["workers"] == 0).all()
    assert (table["train_images"] == 76).all(), "2 images per class: all in the training split"
    assert (table["images_per_s"] > 0).all()
    cache_rows = table[table["path"] == "cache"]
    assert cache_rows["vs_jpeg"].notna().all()
    saved = json.loads((tmp_path / "throughput.json").read_text())
    assert saved["meta"]["device"] == "cpu" and len(saved["results"]) == 6


def test_bad_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision must be one of"):
        throughput.bench_throughput(precision="fp8")  # refused before any data is read
