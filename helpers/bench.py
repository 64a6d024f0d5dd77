"""Benchmarks on the machine at hand: ``python -m helpers.bench <subcommand> [options]``.

Subcommands::

    python -m helpers.bench fashionmnist [--epochs 3] [--batch-size 64] [--threads N]
        Train chapter 8's three models (linear, MLP, TinyVGG) on the real FashionMNIST
        and print parameters, test accuracy and seconds per epoch. Writes
        runs/bench/fashionmnist.csv and .json.

    python -m helpers.bench loader [--workers 0 4 8] [--batch-size 64] [--augment]
        Images per second of the PlantVillage training loader (helpers.plantvillage).

    python -m helpers.bench throughput [--image-size 256] [--workers N] [--models resnet_minimal]
        Images per second of the JPEG path and the decoded-image cache: uint8 batches, normalised
        batches on the device, and whole training steps (helpers.throughput). Writes
        runs/bench/throughput.csv and .json.

    python -m helpers.bench models [--batch-size 32] [--steps 2] [--models NAME ...]
        Training images/s and peak memory of the five PlantVillage models, each in a fresh
        process (helpers.modelbench). Writes runs/bench/models-<device>-<time>.csv.

    python -m helpers.bench gpu [--batch-size 64] [--budget-s 450] [--smoke]
        On a CUDA machine, in under 8 minutes: every PlantVillage model x {fp32, bf16} x
        {channels-last off, on} (images/s, peak memory) and the torch.compile speed-up
        (helpers.gpubench). Writes runs/bench/gpu-<device>-<time>.csv and .json.

Adding a subcommand: write ``add_<name>_parser(subparsers)`` that creates the parser and
calls ``parser.set_defaults(func=...)`` with a function taking the parsed arguments and
returning an exit code, then append it to :data:`SUBCOMMANDS`. Keep the work itself in a
plain function (like :func:`bench_fashionmnist`) so notebooks and tests can call it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader

from helpers import config, data, engine, models
from helpers.gpubench import add_gpu_parser
from helpers.modelbench import add_models_parser
from helpers.plantvillage import add_loader_parser
from helpers.throughput import add_throughput_parser

log = logging.getLogger(__name__)

# learnpytorch.io (Zero to Mastery PyTorch, notebook 03): test accuracy after 3 epochs.
LEARNPYTORCH_ANCHORS = {"linear": 0.834, "mlp": 0.750, "tinyvgg": 0.884}

# The chapter 8 models and how the bench trains them: Adam with a one-cycle schedule (warm up
# to ``lr``, then anneal), stepped every batch; the CNN in channels-last memory format, which
# oneDNN's CPU convolutions run about 25% faster. Chapter 8's notebook uses the same values.
FASHION_BENCH: dict[str, dict[str, Any]] = {
    "linear": {"build": models.LinearBaseline, "lr": 1e-2, "channels_last": False},
    "mlp": {"build": models.MLP, "lr": 3e-3, "channels_last": False},
    "tinyvgg": {"build": models.TinyVGG, "lr": 3e-3, "channels_last": True},
}
DEFAULT_BATCH_SIZE = 64


def _cgroup_cpu_limit() -> float | None:
    """The container's CPU quota in cores (cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us``), if any."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        return quota_us / period_us if quota_us > 0 else None
    except (OSError, ValueError):
        return None


def cpu_count() -> int:
    """CPUs this process may use: the affinity mask, capped by a container's CPU quota.

    A JupyterHub pod limited to 2 CPUs on a 64-core node sees 64 cores in ``os.cpu_count()``.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    limit = _cgroup_cpu_limit()
    return max(1, min(cpus, int(limit))) if limit else cpus


def _time_conv(threads: int, repeats: int = 3) -> float:
    """Median seconds of a few small convolutions (a TinyVGG-sized layer) with ``threads`` threads."""
    torch.set_num_threads(threads)
    x, w = torch.randn(64, 16, 28, 28), torch.randn(16, 16, 3, 3)
    torch.nn.functional.conv2d(x, w, padding=1)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(4):
            torch.nn.functional.conv2d(x, w, padding=1)
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def pick_threads(max_threads: int | None = None) -> int:
    """The number of CPU threads that computes fastest *now*, measured in well under a second.

    PyTorch uses one thread per core by default. When other programs keep the cores busy (a
    shared server, a JupyterHub node), each operation waits for its slowest thread and training
    can get several times slower than with a single thread; on an idle machine, all cores win.
    Timing a small convolution with 1 thread and with every usable core tells which case we are in.
    Ties go to fewer threads. The previous thread setting is restored.
    """
    cpus = max_threads or cpu_count()
    if cpus <= 1:
        return 1
    before = torch.get_num_threads()
    try:
        candidates = sorted({1, max(1, cpus // 2), cpus})
        timings = {n: _time_conv(n) for n in candidates}
    finally:
        torch.set_num_threads(before)
    fastest = min(timings.values())
    return min(n for n, t in timings.items() if t <= 1.1 * fastest)


def set_threads(threads: int | None = None) -> int:
    """Use ``threads`` intra-op threads (default: :func:`pick_threads`); returns the number set."""
    threads = threads or pick_threads()
    torch.set_num_threads(threads)
    return threads


def fashion_mnist_bench_loaders(
    batch_size: int, *, workers: int | None = None, device: torch.device | None = None
) -> tuple[DataLoader, DataLoader, DataLoader]:
    """FashionMNIST train / validation / test loaders (``workers``: see :func:`data.make_loader`)."""
    train_full = data.fashion_mnist(train=True)
    test = data.fashion_mnist(train=False)
    train, val = data.train_val_split(train_full, 0.1, seed=42)
    return (data.make_loader(train, batch_size, shuffle=True, device=device, workers=workers),
            data.make_loader(val, 512, device=device, workers=workers),
            data.make_loader(test, 512, device=device, workers=workers))


def bench_fashionmnist(
    *,
    epochs: int = 3,
    batch_size: int = DEFAULT_BATCH_SIZE,
    names: Sequence[str] = tuple(FASHION_BENCH),
    threads: int | None = None,
    workers: int | None = None,
    device: torch.device | None = None,
    max_batches: int | None = None,
    seed: int = 42,
    out_dir: Path | None = None,
) -> pd.DataFrame:
    """Train each FashionMNIST model for ``epochs`` epochs; return and save the comparison table.

    Columns: model, parameters, test_acc, val_acc, sec_per_epoch (mean wall-clock training time
    of one epoch), cpu_sec_per_epoch (CPU time of one epoch, training and validation: with one
    thread, what an idle core would need even when other programs share the machine), total_s,
    epochs, batch_size, max_lr, device, threads, and learnpytorch.io's 3-epoch accuracy
    (``learnpytorch_acc``: their run, for comparison).
    """
    unknown = [name for name in names if name not in FASHION_BENCH]
    if unknown:
        raise ValueError(f"Unknown FashionMNIST model {unknown[0]!r}; choose from {', '.join(FASHION_BENCH)}")
    device = device or torch.device("cpu")
    threads = set_threads(threads)
    if workers is None:  # decode images in worker processes only on cores the model leaves free
        workers = data.num_workers() if threads < cpu_count() else 0
    train_loader, val_loader, test_loader = fashion_mnist_bench_loaders(batch_size, workers=workers,
                                                                        device=device)
    rows = []
    for name in names:
        recipe = FASHION_BENCH[name]
        config.seed_everything(seed)
        model = recipe["build"]()
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
        steps = min(len(train_loader), max_batches or len(train_loader))
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe["lr"], epochs=epochs,
                                                        steps_per_epoch=steps)
        started, cpu_started = time.perf_counter(), time.process_time()
        history = engine.fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer,
                             scheduler=scheduler, scheduler_interval="batch", device=device,
                             channels_last=recipe["channels_last"], max_batches=max_batches,
                             settings={"bench": "fashionmnist", "name": name})
        cpu_seconds = time.process_time() - cpu_started
        test = engine.evaluate(model, test_loader, nn.CrossEntropyLoss(), device, max_batches=max_batches)
        rows.append({
            "model": name,
            "parameters": models.count_parameters(model),
            "test_acc": test["acc"],
            "val_acc": float(history["val_acc"].iloc[-1]),
            "sec_per_epoch": float(history["epoch_time_s"].mean()),
            "cpu_sec_per_epoch": cpu_seconds / epochs,
            "total_s": time.perf_counter() - started,
            "epochs": epochs,
            "batch_size": batch_size,
            "max_lr": recipe["lr"],
            "device": str(device),
            "threads": threads,
            "learnpytorch_acc": LEARNPYTORCH_ANCHORS.get(name),
        })
        log.info("%s: test accuracy %.4f, %.1f s/epoch", name, test["acc"], rows[-1]["sec_per_epoch"])
    table = pd.DataFrame(rows)
    out_dir = Path(out_dir) if out_dir is not None else config.runs_dir() / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "fashionmnist.csv", index=False)
    meta = {"torch": torch.__version__, "cpus": cpu_count(), "max_batches": max_batches,
            "workers": workers, "seed": seed, "results": table.to_dict(orient="records")}
    (out_dir / "fashionmnist.json").write_text(json.dumps(meta, indent=2))
    return table


def format_table(table: pd.DataFrame) -> str:
    """The comparison as aligned text: accuracies in percent, seconds with one decimal."""
    shown = pd.DataFrame({
        "model": table["model"],
        "parameters": table["parameters"].map("{:,}".format),
        "test acc (%)": (100 * table["test_acc"]).map("{:.2f}".format),
        "s/epoch": table["sec_per_epoch"].map("{:.1f}".format),
        "CPU s/epoch": table["cpu_sec_per_epoch"].map("{:.1f}".format),
        "learnpytorch.io's acc (%)": table["learnpytorch_acc"].map(
            lambda v: "" if pd.isna(v) else f"{100 * v:.1f}"),
    })
    return shown.to_string(index=False)


def _run_fashionmnist(args: argparse.Namespace) -> int:
    try:
        table = bench_fashionmnist(epochs=args.epochs, batch_size=args.batch_size, names=args.models,
                                   threads=args.threads, workers=args.workers, max_batches=args.max_batches,
                                   out_dir=args.out)
    except data.DataNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"FashionMNIST, {args.epochs} epochs, batch {args.batch_size}, CPU threads "
          f"{int(table['threads'].iloc[0])}:")
    print(format_table(table))
    print(f"saved to {(args.out or config.runs_dir() / 'bench') / 'fashionmnist.csv'} and .json")
    return 0


def add_fashionmnist_parser(subparsers: argparse._SubParsersAction) -> None:
    """``fashionmnist``: chapter 8's three models on the real data, 3 epochs each, on the CPU."""
    parser = subparsers.add_parser("fashionmnist", help="train the chapter 8 models on FashionMNIST (CPU)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--models", nargs="+", default=list(FASHION_BENCH), choices=list(FASHION_BENCH))
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: the fastest count, measured now; see pick_threads)")
    parser.add_argument("--workers", type=int, default=None,
                        help="DataLoader workers (default: data.num_workers() when the model leaves "
                             "cores free, else 0)")
    parser.add_argument("--max-batches", type=int, default=None, help="cap batches per epoch (a dry run)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default runs/bench)")
    parser.set_defaults(func=_run_fashionmnist)


SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_fashionmnist_parser, add_loader_parser, add_models_parser, add_gpu_parser,
    add_throughput_parser]


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m helpers.bench`` parser with one subparser per entry of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(prog="python -m helpers.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen benchmark."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
