"""FashionMNIST on the machine at hand (chapter 8): ``python -m helpers.bench fashionmnist``.

Chapter 8's three models (linear, MLP, TinyVGG) and, as the reference row, learnpytorch.io's
TinyVGG with their exact recipe, trained in one run on the same in-memory data and threads
(taking turns epoch by epoch): :func:`bench_fashionmnist`, one :class:`FashionRecipe` per model in
:data:`FASHION_BENCH`. :func:`pick_threads` measures the fastest torch thread count for a training
step. The command's options live in :mod:`helpers.bench.cli`.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from helpers import config, data, engine, models

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FashionRecipe:
    """How one FashionMNIST model is trained: the model, the optimizer, its learning rate, the batch size.

    ``one_cycle``: a ``OneCycleLR`` schedule with peak ``lr``, stepped every batch (else ``lr`` is
    constant). ``channels_last``: the images in (batch, height, width, channels) layout, which
    oneDNN's CPU convolutions prefer. ``source``: whose recipe it is.
    """

    build: Callable[[], nn.Module]
    optimizer: str
    lr: float
    batch_size: int
    one_cycle: bool = True
    label_smoothing: float = 0.0
    channels_last: bool = False
    source: str = "this course"

    def make_optimizer(self, model: nn.Module, steps_per_epoch: int,
                       epochs: int) -> tuple[torch.optim.Optimizer, Any | None]:
        """The optimizer and (with ``one_cycle``) the per-batch scheduler for ``model``."""
        if self.optimizer == "sgd":
            optimizer: torch.optim.Optimizer = torch.optim.SGD(model.parameters(), lr=self.lr)
        elif self.optimizer == "adam":
            optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        else:
            raise ValueError(f"optimizer must be 'sgd' or 'adam', not {self.optimizer!r}")
        scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=self.lr, epochs=epochs,
                                                         steps_per_epoch=steps_per_epoch)
                     if self.one_cycle else None)
        return optimizer, scheduler

    def loss_fn(self) -> nn.Module:
        """Cross-entropy, with this recipe's label smoothing."""
        return nn.CrossEntropyLoss(label_smoothing=self.label_smoothing)

    def describe(self) -> str:
        """``"Adam, one-cycle to 0.006, batch 128, label smoothing 0.1"``."""
        parts = [{"sgd": "SGD", "adam": "Adam"}[self.optimizer]
                 + (f", one-cycle to {self.lr:g}" if self.one_cycle else f", lr {self.lr:g}"),
                 f"batch {self.batch_size}"]
        if self.label_smoothing:
            parts.append(f"label smoothing {self.label_smoothing:g}")
        return ", ".join(parts)


COURSE_BATCH_SIZE = 128
# The chapter 8 models (this course's recipes: Adam with a one-cycle schedule, batch 128; the CNN
# in channels-last layout with label smoothing); as the reference row, learnpytorch.io's TinyVGG
# trained exactly as their notebook 03 does (SGD at lr 0.1, batch 32, plain cross-entropy); and
# their TinyVGG with the course CNN's recipe, and the course CNN with theirs (a 2 x 2 grid of model x recipe).
# Chapter 8's notebook trains with these same recipes.
FASHION_BENCH: dict[str, FashionRecipe] = {
    "linear": FashionRecipe(models.LinearBaseline, "adam", 1e-2, COURSE_BATCH_SIZE),
    "mlp": FashionRecipe(models.MLP, "adam", 3e-3, COURSE_BATCH_SIZE),
    "tinyvgg": FashionRecipe(models.TinyVGG, "adam", 6e-3, COURSE_BATCH_SIZE, label_smoothing=0.1,
                             channels_last=True),
    "learnpytorch_tinyvgg": FashionRecipe(models.learnpytorch_tinyvgg, "sgd", 0.1, 32, one_cycle=False,
                                          source="learnpytorch.io"),
    "learnpytorch_tinyvgg_course_recipe": FashionRecipe(
        models.learnpytorch_tinyvgg, "adam", 6e-3, COURSE_BATCH_SIZE, label_smoothing=0.1, channels_last=True,
        source="learnpytorch.io's model, this course's recipe"),
    "tinyvgg_learnpytorch_recipe": FashionRecipe(
        models.TinyVGG, "sgd", 0.1, 32, one_cycle=False, channels_last=True,
        source="this course's model, learnpytorch.io's recipe"),
}
REFERENCE = "learnpytorch_tinyvgg"
"""learnpytorch.io's TinyVGG trained with their recipe: the row every epoch time is compared with."""
THEIR_MODEL_OUR_RECIPE = "learnpytorch_tinyvgg_course_recipe"
"""Their model with the course CNN's recipe (its learning rate was chosen for the course CNN, not tuned for
their model): separates what the recipe buys from what the model buys."""
OUR_MODEL_THEIR_RECIPE = "tinyvgg_learnpytorch_recipe"
"""The course CNN with learnpytorch.io's recipe: the fourth cell of the 2 x 2 grid (model x recipe)."""
COURSE_CNN = "tinyvgg"

LEARNPYTORCH_PUBLISHED = {
    "linear (their model_0: 784-10-10, no activation)": 0.8343,
    "MLP (their model_1: 784-10-10, ReLU after each layer)": 0.7502,
    "TinyVGG (their model_2, hidden_units=10)": 0.8838,
}
"""learnpytorch.io's published test accuracies after 3 epochs (their notebook 03, their run, trained on
all 60,000 training images): for comparison only, never measured here."""
PUBLISHED_REFERENCE_ACC = LEARNPYTORCH_PUBLISHED["TinyVGG (their model_2, hidden_units=10)"]


THREAD_MARGIN = 0.15
"""More threads must be at least this much faster (median over repeats) to be chosen."""


def training_step(model: nn.Module, batch_size: int = 256, input_shape: tuple[int, ...] = (1, 28, 28),
                  num_classes: int = 10, *, channels_last: bool = False) -> Callable[[], None]:
    """One training step (forward, cross-entropy, backward, SGD update) of a copy of ``model``
    on a fixed random batch: the work whose speed decides the number of threads."""
    model = copy.deepcopy(model).cpu().train()
    generator = torch.Generator().manual_seed(0)
    inputs = torch.rand(batch_size, *input_shape, generator=generator)
    targets = torch.randint(0, num_classes, (batch_size,), generator=generator)
    if channels_last and inputs.dim() == 4:
        model, inputs = model.to(memory_format=torch.channels_last), inputs.contiguous(
            memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(inputs), targets).backward()
        optimizer.step()

    return step


def default_probe() -> Callable[[], None]:
    """The probe :func:`pick_threads` times by default: a training step of chapter 8's CNN."""
    recipe = FASHION_BENCH[COURSE_CNN]
    return training_step(recipe.build(), recipe.batch_size, channels_last=recipe.channels_last)


def time_threads(step: Callable[[], None], counts: Sequence[int], *, repeats: int = 7,
                 min_repeats: int = 3, budget_s: float = 1.5,
                 min_seconds: float = 0.02) -> dict[int, list[float]]:
    """Seconds per call of ``step`` with each thread count in ``counts``, up to ``repeats`` samples each.

    The counts take turns (1, 2, 2, 1, 1, 2, ...), so a burst of load from another program hits
    all of them alike instead of spoiling one; each sample runs ``step`` often enough to last
    ``min_seconds``. Every count is warmed up first (thread pool, oneDNN's kernel caches).
    After ``min_repeats`` rounds, no new round starts once ``budget_s`` has passed.
    """
    started = time.perf_counter()
    for n in counts:  # warm-up: thread pool, oneDNN's kernels for this shape
        torch.set_num_threads(n)
        step()
    torch.set_num_threads(max(counts))
    one = time.perf_counter()
    step()
    calls = max(1, math.ceil(min_seconds / max(time.perf_counter() - one, 1e-6)))
    samples: dict[int, list[float]] = {n: [] for n in counts}
    for round_ in range(repeats):
        if round_ >= min_repeats and time.perf_counter() - started > budget_s:
            break
        for n in (counts if round_ % 2 == 0 else list(reversed(counts))):
            torch.set_num_threads(n)
            begin = time.perf_counter()
            for _ in range(calls):
                step()
            samples[n].append((time.perf_counter() - begin) / calls)
    return samples


def choose_threads(samples: dict[int, Sequence[float]], margin: float = THREAD_MARGIN) -> int:
    """The thread count to use, from timings ``{threads: [seconds, ...]}``.

    Start from the fewest threads; a larger count is taken only when its median is more than
    ``margin`` faster than the count chosen so far. So an idle machine gets all its cores (the
    work really speeds up), a loaded one stays at one thread (extra threads wait for cores that
    other programs hold), and a difference within the noise keeps the fewer threads.
    """
    if not samples:
        raise ValueError("choose_threads needs timings for at least one thread count")
    medians = {n: statistics.median(times) for n, times in samples.items()}
    chosen = min(medians)
    for n in sorted(medians):
        if medians[n] * (1 + margin) < medians[chosen]:
            chosen = n
    return chosen


def pick_threads(max_threads: int | None = None, *, step: Callable[[], None] | None = None,
                 repeats: int = 7, budget_s: float = 1.5, margin: float = THREAD_MARGIN,
                 report: dict[str, Any] | None = None) -> int:
    """The number of CPU threads that trains fastest *now*, measured in about a second.

    PyTorch uses one thread per core by default. When other programs keep the cores busy (a
    shared server, a JupyterHub node), each operation waits for its slowest thread and training
    can get several times slower than with a single thread; on an idle machine, all cores win.
    This times ``step`` (default: a training step of chapter 8's CNN, :func:`default_probe`)
    with 1 thread, half the usable cores and all of them, taking turns (:func:`time_threads`,
    about a second), and applies :func:`choose_threads`. ``report``, when given, receives the
    medians. The previous thread setting is restored.
    """
    cpus = max_threads or config.cpu_count()
    if cpus <= 1:
        return 1
    counts = sorted({1, max(1, cpus // 2), cpus})
    before = torch.get_num_threads()
    try:
        samples = time_threads(step or default_probe(), counts, repeats=repeats, budget_s=budget_s)
    finally:
        torch.set_num_threads(before)
    chosen = choose_threads(samples, margin)
    if report is not None:
        report.update({f"median_s_{n}_threads": statistics.median(t) for n, t in samples.items()})
        report["chosen"] = chosen
    log.info("threads: %s -> %d", ", ".join(f"{n}: {statistics.median(t) * 1e3:.1f} ms"
                                             for n, t in samples.items()), chosen)
    return chosen


def set_threads(threads: int | None = None) -> int:
    """Use ``threads`` intra-op threads (default: :func:`pick_threads`); returns the number set."""
    threads = threads or pick_threads()
    torch.set_num_threads(threads)
    return threads


@dataclass
class RecipeRun:
    """A model being trained with its recipe: what :func:`train_recipe` and the bench step through."""

    name: str
    model: nn.Module
    loader: data.InMemoryLoader
    optimizer: torch.optim.Optimizer
    scheduler: Any | None
    history: pd.DataFrame
    cpu_seconds: float = 0.0

    def train(self, val_loader: Any, epochs: int, *, device: torch.device | None,
              max_batches: int | None) -> pd.DataFrame:
        """Train ``epochs`` more epochs with ``engine.fit``; the history grows, epochs numbered on."""
        recipe = FASHION_BENCH[self.name]
        cpu_started = time.process_time()
        more = engine.fit(self.model, self.loader, val_loader, epochs=epochs, optimizer=self.optimizer,
                          scheduler=self.scheduler, scheduler_interval="batch", loss_fn=recipe.loss_fn(),
                          device=device, channels_last=recipe.channels_last, max_batches=max_batches,
                          settings={"bench": "fashionmnist", "name": self.name, "recipe": recipe.describe()})
        self.cpu_seconds += time.process_time() - cpu_started
        more["epoch"] += len(self.history)
        self.history = pd.concat([self.history, more], ignore_index=True)
        return self.history


def start_recipe(name: str, train_loader: data.InMemoryLoader, *, epochs: int = 3,
                 max_batches: int | None = None, seed: int = 42) -> RecipeRun:
    """A fresh model of :data:`FASHION_BENCH` ``[name]`` (seeded), its optimizer and schedule for
    ``epochs`` epochs, and ``train_loader`` re-batched to the recipe's batch size (same seeded shuffling)."""
    if name not in FASHION_BENCH:
        raise ValueError(f"Unknown FashionMNIST model {name!r}; choose from {', '.join(FASHION_BENCH)}")
    recipe = FASHION_BENCH[name]
    loader = train_loader.with_batch_size(recipe.batch_size, seed=seed)
    config.seed_everything(seed)
    model = recipe.build()
    steps = min(len(loader), max_batches or len(loader))
    optimizer, scheduler = recipe.make_optimizer(model, steps, epochs)
    return RecipeRun(name, model, loader, optimizer, scheduler, pd.DataFrame())


def train_recipes(names: Sequence[str], train_loader: data.InMemoryLoader, val_loader: Any, *,
                  epochs: int = 3, device: torch.device | None = None, max_batches: int | None = None,
                  seed: int = 42, interleave: bool = True) -> dict[str, RecipeRun]:
    """Train several recipes on the same data; with ``interleave`` they take turns epoch by epoch
    (epoch 1 of each, then epoch 2 of each, ...), so a burst of load from another program slows
    them alike and their epoch times compare."""
    runs = {name: start_recipe(name, train_loader, epochs=epochs, max_batches=max_batches, seed=seed)
            for name in names}
    rounds = ([(run, 1) for _ in range(epochs) for run in runs.values()] if interleave
              else [(run, epochs) for run in runs.values()])
    for run, count in rounds:
        run.train(val_loader, count, device=device, max_batches=max_batches)
        log.info("%s: epoch %d, %.1f s", run.name, len(run.history), run.history["epoch_time_s"].iloc[-1])
    return runs


def train_recipe(name: str, train_loader: data.InMemoryLoader, val_loader: Any, *, epochs: int = 3,
                 device: torch.device | None = None, max_batches: int | None = None,
                 seed: int = 42) -> tuple[nn.Module, pd.DataFrame]:
    """Train the model of :data:`FASHION_BENCH` ``[name]`` with its recipe; return it and its history."""
    run = start_recipe(name, train_loader, epochs=epochs, max_batches=max_batches, seed=seed)
    run.train(val_loader, epochs, device=device, max_batches=max_batches)
    return run.model, run.history


def bench_fashionmnist(
    *,
    epochs: int = 3,
    names: Sequence[str] = tuple(FASHION_BENCH),
    threads: int | None = None,
    device: torch.device | None = None,
    max_batches: int | None = None,
    seed: int = 42,
    interleave: bool = True,
    out_dir: Path | None = None,
) -> pd.DataFrame:
    """Train each FashionMNIST recipe for ``epochs`` epochs in this process; return and save the table.

    All models see the same in-memory data (:func:`helpers.data.fashion_mnist_loaders`: 54,000
    training, 6,000 validation and 10,000 test images), the same thread count and the same
    machine. With ``interleave`` the models take turns epoch by epoch (epoch 1 of each, then
    epoch 2 of each, ...), so a burst of load from another program slows them alike.

    Columns: model, source (whose recipe), recipe, parameters, test_acc, val_acc, sec_per_epoch
    (mean wall-clock time of one training epoch), cpu_sec_per_epoch (CPU time of one epoch,
    training and validation), vs_reference (epoch time divided by learnpytorch.io's recipe's,
    when it ran), published_acc (learnpytorch.io's own result for their recipe), epochs,
    batch_size, lr, device, threads. The JSON also holds every epoch's history, the total time
    and the load average before and after.
    """
    unknown = [name for name in names if name not in FASHION_BENCH]
    if unknown:
        raise ValueError(f"Unknown FashionMNIST model {unknown[0]!r}; choose from {', '.join(FASHION_BENCH)}")
    device = device or torch.device("cpu")
    threads = set_threads(threads) if device.type == "cpu" else torch.get_num_threads()
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    started = time.perf_counter()
    train_loader, val_loader, test_loader = data.fashion_mnist_loaders(
        COURSE_BATCH_SIZE, eval_batch_size=1000, seed=seed, device=device)
    runs = train_recipes(names, train_loader, val_loader, epochs=epochs, device=device,
                         max_batches=max_batches, seed=seed, interleave=interleave)
    rows = []
    for run in runs.values():
        recipe = FASHION_BENCH[run.name]
        test = engine.evaluate(run.model, test_loader, nn.CrossEntropyLoss(), device, max_batches=max_batches)
        rows.append({
            "model": run.name,
            "source": recipe.source,
            "recipe": recipe.describe(),
            "parameters": models.count_parameters(run.model),
            "test_acc": test["acc"],
            "val_acc": float(run.history["val_acc"].iloc[-1]),
            "sec_per_epoch": float(run.history["epoch_time_s"].mean()),
            "cpu_sec_per_epoch": run.cpu_seconds / epochs,
            "published_acc": PUBLISHED_REFERENCE_ACC if run.name == REFERENCE else None,
            "epochs": epochs,
            "batch_size": recipe.batch_size,
            "lr": recipe.lr,
            "device": str(device),
            "threads": threads,
        })
        log.info("%s: test accuracy %.4f, %.1f s/epoch", run.name, test["acc"], rows[-1]["sec_per_epoch"])
    table = pd.DataFrame(rows)
    reference = table.loc[table["model"] == REFERENCE, "sec_per_epoch"]
    table.insert(table.columns.get_loc("cpu_sec_per_epoch") + 1, "vs_reference",
                 table["sec_per_epoch"] / reference.iloc[0] if len(reference) else float("nan"))
    out_dir = Path(out_dir) if out_dir is not None else config.runs_dir() / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "fashionmnist.csv", index=False)
    meta = {"torch": torch.__version__, "cpus": config.cpu_count(), "max_batches": max_batches, "seed": seed,
            "interleave": interleave, "total_s": time.perf_counter() - started,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "published_by_learnpytorch (theirs)": LEARNPYTORCH_PUBLISHED,
            "histories": {name: run.history.to_dict(orient="list") for name, run in runs.items()},
            "results": table.to_dict(orient="records")}
    (out_dir / "fashionmnist.json").write_text(json.dumps(meta, indent=2, default=str))
    return table


def format_table(table: pd.DataFrame) -> str:
    """The comparison as aligned text: accuracies in percent, seconds with one decimal."""
    shown = pd.DataFrame({
        "model": table["model"],
        "recipe (whose)": table["recipe"] + " (" + table["source"] + ")",
        "parameters": table["parameters"].map("{:,}".format),
        "test acc (%)": (100 * table["test_acc"]).map("{:.2f}".format),
        "s/epoch": table["sec_per_epoch"].map("{:.1f}".format),
        "x reference": table["vs_reference"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
        "CPU s/epoch": table["cpu_sec_per_epoch"].map("{:.1f}".format),
        "published acc (%, theirs)": table["published_acc"].map(
            lambda v: "" if pd.isna(v) else f"{100 * v:.1f}"),
    })
    return shown.to_string(index=False)
