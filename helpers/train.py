"""The training command: one PlantVillage model, start to finish, with every result written to files.

Examples::

    python -m helpers.train --model resnet_minimal --epochs 20 --augment --rotations \\
        --scheduler onecycle --weight-decay 1e-4 --grad-clip 1.0
    python -m helpers.train --model small_resnet --data data/plantvillage --epochs 1 --max-batches 5
    torchrun --nproc_per_node=4 -m helpers.train --model resnet_stride --epochs 20   # several GPUs
    python -m helpers.train --recipe small-data                     # ~20 photos per class (README)
    python -m helpers.train --recipe small-data --data my_leaves    # the same recipe on your folder

``--recipe NAME`` starts from a named set of options (:mod:`helpers.recipes`); options given on
the command line override it. ``--cache`` trains from the decoded-image cache of the whole folder
(:func:`helpers.data.cache.folder_cache`) with the augmentation applied to whole batches on the
device, which is what random-resized crops (``--crop-scale``) need. ``--train-on train+val``
trains on the validation images too (when the epochs are already chosen, e.g. by
cross-validation) and skips the per-epoch validation; ``--train-on all`` trains on every image of
the folder (the shipped ``small-data`` recipe: chosen by cross-validation, nothing left to score).
``--label-smoothing``, ``--mixup``, ``--cutmix``, ``--ema`` and ``--tta`` are the small-data tools of
:mod:`helpers.engine`.

The run directory (default ``runs/<model>/``) receives ``checkpoint.pt`` after every
epoch, with the previous epoch's kept as ``checkpoint.prev.pt`` (``--resume`` continues
from the newest, or from the previous one when the newest is corrupt or fails its
checksum), ``history.csv``, ``results.json`` and ``confusion_matrix.csv``.
``results.json`` records the precision actually used, channels-last, compile, the input
size and the normalisation, which :func:`helpers.runs.load_run` reads back for prediction. Notebooks read a
finished run back with :func:`load_results`. Under ``torchrun`` the model is wrapped in
DistributedDataParallel (NCCL on CUDA, Gloo on CPU), each process reads its share of
the data, and only rank 0 writes files.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from helpers import config, engine, metrics, recipes, runs
from helpers.checkpoint import previous_path, unwrap
from helpers.data import DataNotFoundError, make_loader
from helpers.data.batch_transforms import BatchAugment, BatchNormalize
from helpers.data.cache import collate_cached, folder_cache
from helpers.data.datasets import DECODERS, PlantVillageDataset, plantvillage_datasets
from helpers.data.loaders import DeviceLoader
from helpers.data.locate import (
    IMAGE_SIZE,
    find_plantvillage,
    mini_root,
    plantvillage_root,
    tiny_plantvillage_root,
)
from helpers.data.splits import GROUPINGS, SPLIT_NAMES, split_for, split_path
from helpers.data.transforms import MEAN, STD
from helpers.mixing import make_mix
from helpers.models import INITS, PLANTVILLAGE_MODELS, build_model, count_parameters, kaiming_init

log = logging.getLogger("helpers.train")

SCHEDULERS = ("none", "cosine", "step", "onecycle")
OPTIMIZERS = ("adam", "adamw", "sgd")
TRAIN_ON = ("train", "train+val", "all")


class SettingsError(ValueError):
    """The command's options cannot work together (e.g. simple_cnn at 64 px)."""


@dataclass
class TrainSettings:
    """One training run's settings, typed: a field per option of ``python -m helpers.train``
    (``batch_size`` is ``--batch-size``), with the command's defaults. The command line fills it
    (:func:`parse_args`); code builds it with :func:`make_settings` (``helpers.batch``,
    ``helpers.crossval``, chapter 15's :func:`write_notebook_run`), so a misspelt or renamed setting
    fails where it is written, not when the run starts. ``tests/test_train.py`` keeps the fields and
    the options the same."""

    recipe: str | None = None
    model: str | None = None
    data: Path | None = None
    variant: str = "color"
    decoder: str = "draft"
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    optimizer: str = "adamw"
    grad_clip: float | None = None
    patience: int | None = None
    augment: bool = False
    rotations: bool = False
    scheduler: str = "none"
    precision: str = "auto"
    channels_last: bool | None = None
    compile: bool = False
    workers: int | None = None
    threads: int | None = None
    max_batches: int | None = None
    image_size: int = IMAGE_SIZE
    init: str = "default"
    seed: int = 42
    split: str = "random"
    split_file: Path | None = None
    train_on: str = "train"
    cache: bool = False
    crop_scale: list[float] | None = None
    label_smoothing: float = 0.0
    mixup: float = 0.0
    cutmix: float = 0.0
    mix_prob: float = 1.0
    ema: float | None = None
    tta: list[str] = field(default_factory=list)
    run_name: str | None = None
    run_dir: Path | None = None
    resume: bool = False
    device: str | None = None
    no_progress: bool = False
    note: str | None = None


def make_settings(**options: Any) -> TrainSettings:
    """Settings from code, checked as the command line checks its options: a ``recipe``'s values
    first, then ``options`` (field names of :class:`TrainSettings`). A name that is no setting is a
    ``TypeError``; a value outside an option's choices, or no model, a :class:`SettingsError`."""
    recipe = options.get("recipe")
    settings = TrainSettings(**{**(recipes.recipe_settings(recipe) if recipe else {}), **options})
    for name in ("data", "split_file", "run_dir"):
        value = getattr(settings, name)
        if value is not None:
            setattr(settings, name, Path(value))
    for action in build_parser()._actions:
        if action.choices is None:
            continue
        value = getattr(settings, action.dest)
        values = value if isinstance(value, list | tuple) else [value]
        if any(v is not None and v not in action.choices for v in values):
            raise SettingsError(f"{action.dest}={value!r}: choose from {', '.join(map(str, action.choices))}")
    if settings.model is None:
        raise SettingsError("give model= (one of: " + ", ".join(PLANTVILLAGE_MODELS) + ") or a recipe=")
    return settings


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (``python -m helpers.train --help``)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default=None, choices=tuple(recipes.RECIPES) + tuple(recipes.CANDIDATES),
                        help="start from a named set of options (helpers.recipes); explicit options override "
                             "it. Without --data a recipe trains on the mini set")
    parser.add_argument("--model", default=None, choices=PLANTVILLAGE_MODELS,
                        help="architecture (required unless --recipe names one)")
    parser.add_argument("--data", type=Path, default=None,
                        help="PlantVillage folder, any layout (default: data/plantvillage, else the mini "
                             "or tiny set)")
    parser.add_argument("--variant", default="color", choices=("color", "grayscale", "segmented"))
    parser.add_argument("--decoder", default="draft", choices=DECODERS,
                        help="draft (default: JPEGs reduced while decoded, faster) or full (every pixel "
                             "decoded, then resized); helpers.evaluate reads images the way the run did")
    parser.add_argument("--epochs", type=int, default=20, help="total epochs (also when resuming)")
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate (the peak for onecycle)")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adamw",
                        help="adamw (default: weight decay applied to the weights, chapter 7b), adam "
                             "(weight decay as an L2 term in the gradient) or sgd with momentum 0.9")
    parser.add_argument("--grad-clip", type=float, default=None, help="clip the gradient norm to this")
    parser.add_argument("--patience", type=int, default=None, help="early stopping after N bad epochs")
    parser.add_argument("--augment", action="store_true", help="random flips and colour jitter")
    parser.add_argument("--rotations", action="store_true", help="random rotations (up to 30 degrees)")
    parser.add_argument("--scheduler", choices=SCHEDULERS, default="none")
    parser.add_argument("--precision", choices=engine.PRECISIONS, default="auto",
                        help="autocast precision; auto: bf16 on GPUs that have it, else fp16 with a "
                             "gradient scaler on CUDA, fp32 on a CPU")
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                        help="NHWC memory format (default: on with CUDA and CPUs, off on Apple GPUs)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (default: per machine)")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch (1 is fastest on a crowded shared CPU)")
    parser.add_argument("--max-batches", type=int, default=None, help="cap batches per epoch (smoke runs)")
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE, help="pixels (the models are for 256)")
    parser.add_argument("--init", choices=INITS, default="default",
                        help="weights at the start: PyTorch's default, or kaiming (chapter 11's fix)")
    parser.add_argument("--seed", type=int, default=42, help="seeds the split and the run")
    parser.add_argument("--split", choices=GROUPINGS, default="random",
                        help="random: images cut at random per class (the report's split; photos of one leaf "
                             "land in train and test); leaf: every photo of a leaf on one side (leaf maps)")
    parser.add_argument("--split-file", type=Path, default=None,
                        help="a saved split to use as it is (e.g. a cross-validation fold); beats --split")
    parser.add_argument("--train-on", choices=TRAIN_ON, default="train",
                        help="train+val: learn from the validation images too, no per-epoch validation "
                             "(when the epochs are already chosen, e.g. by cross-validation); all: "
                             "every image, no test either (score the model on other photos)")
    parser.add_argument("--cache", action=argparse.BooleanOptionalAction, default=False,
                        help="train from the decoded-image cache of the whole folder, augmenting whole "
                             "batches on the device (needed by --crop-scale)")
    parser.add_argument("--crop-scale", type=float, nargs=2, default=None, metavar=("MIN", "MAX"),
                        help="random-resized crops of this area fraction, rescaled to the image size "
                             "(with --cache)")
    parser.add_argument("--label-smoothing", type=float, default=0.0,
                        help="e.g. 0.1: targets 0.9 + 0.1/classes")
    parser.add_argument("--mixup", type=float, default=0.0, help="MixUp's Beta alpha (0: off), e.g. 0.2")
    parser.add_argument("--cutmix", type=float, default=0.0, help="CutMix's Beta alpha (0: off), e.g. 1.0")
    parser.add_argument("--mix-prob", type=float, default=1.0,
                        help="share of batches mixed (with --mixup/--cutmix)")
    parser.add_argument("--ema", type=float, default=None, metavar="DECAY",
                        help="keep an exponential moving average of the weights (e.g. 0.99) and use it")
    parser.add_argument("--tta", nargs="*", default=[], choices=tuple(engine.TTA_VIEWS),
                        help="test-time views averaged with the original, e.g. --tta hflip vflip hvflip")
    parser.add_argument("--run-name", default=None, help="folder name under runs/ (default: the model)")
    parser.add_argument("--run-dir", type=Path, default=None, help="exact output folder (beats --run-name)")
    parser.add_argument("--resume", action="store_true", help="continue from RUN_DIR/checkpoint.pt")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--note", default=None,
                        help="who started the run, saved in results.json (python -m helpers.batch writes "
                             "'make runs')")
    return parser


# --- Distributed set-up -------------------------------------------------------------------------


def setup_distributed(requested: str | None) -> tuple[torch.device, int, int]:
    """Start the process group under ``torchrun``; return ``(device, rank, world size)``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return config.resolve_device(requested), 0, 1
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and (requested or "cuda").startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return device, dist.get_rank(), dist.get_world_size()


def _barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


# --- Pieces of a run ----------------------------------------------------------------------------


def check_image_size(model: nn.Module, name: str, image_size: int) -> None:
    """Fail early, with a clear message, when the model cannot take images of this size."""
    if image_size == IMAGE_SIZE:
        return
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, image_size, image_size))
    except RuntimeError as error:
        raise SettingsError(
            f"{name} cannot take {image_size}px images ({str(error).splitlines()[0]}). simple_cnn needs "
            "256 px (its Linear layer expects 512x8x8) and deep_cnn at least 256 px; the ResNets end "
            "with AdaptiveAvgPool and take any size from 32 px."
        ) from None


def make_optimizer(name: str, params: Any, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """AdamW (the command's default), Adam or SGD with momentum 0.9.

    With ``weight_decay`` Adam adds an L2 term to the gradient, which its per-weight scaling then
    undoes for weights with large gradients and exaggerates for the others; AdamW multiplies every
    weight by the same factor, ``1 - lr * weight_decay``, each step (chapter 7b measures the difference).
    """
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def make_scheduler(name: str, optimizer: torch.optim.Optimizer, epochs: int,
                   steps_per_epoch: int) -> tuple[Any | None, str]:
    """The LR scheduler and when it steps ("epoch" or "batch")."""
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1)), "epoch"
    if name == "step":  # large steps first, then smaller: divide by 10 every third of the run
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(epochs // 3, 1), gamma=0.1), "epoch"
    if name == "onecycle":
        max_lr = optimizer.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=max_lr, total_steps=max(epochs * steps_per_epoch, 1)), "batch"
    return None, "epoch"


def run_complete(history: pd.DataFrame, epochs: int, patience: int | None) -> bool:
    """True when the run reached its last epoch or stopped early on purpose (not interrupted)."""
    if history.empty:
        return False
    if int(history["epoch"].iloc[-1]) >= epochs:
        return True
    if patience is None or history["val_loss"].isna().all():
        return False
    best = int(history["val_loss"].to_numpy().argmin())
    return len(history) - 1 - best >= patience


def majority_baseline(train_targets: list[int], test_targets: list[int], num_classes: int) -> dict[str, Any]:
    """What guessing scores on the test set: uniform random, and always the training majority class."""
    counts = np.bincount(np.asarray(train_targets, dtype=np.int64), minlength=num_classes)
    majority = int(counts.argmax())
    test = np.asarray(test_targets, dtype=np.int64)
    return {"random_guess": 1.0 / num_classes, "majority_class": majority,
            "majority_class_acc": float((test == majority).mean()) if len(test) else float("nan"),
            "majority_class_train_share": metrics.baselines(train_targets, num_classes)["majority_class"]}


def test_metrics(model: nn.Module, loader: Any, device: torch.device, num_classes: int,
                 max_batches: int | None, precision: str = "auto", channels_last: bool | None = None,
                 tta: Any = ()) -> tuple[dict[str, float], np.ndarray]:
    """Test loss, accuracy, balanced accuracy and macro-F1, and the confusion matrix from ``engine.predict``
    (``tta``: its views)."""
    y_true, y_pred, probs = engine.predict(model, loader, device, max_batches=max_batches,
                                           precision=precision, channels_last=channels_last, tta=tta)
    if len(y_true) == 0:
        return {"test_loss": float("nan"), "test_acc": float("nan"), "test_balanced_acc": float("nan"),
                "test_macro_f1": float("nan"), "test_images": 0}, np.zeros(
            (num_classes, num_classes), dtype=np.int64)
    picked = probs[torch.arange(len(y_true)), y_true].clamp_min(1e-12)
    cm = metrics.confusion_matrix(y_true, y_pred, num_classes)
    scores = metrics.scores(cm)
    return {"test_loss": float(-picked.log().mean()), "test_acc": float((y_true == y_pred).float().mean()),
            "test_balanced_acc": scores["balanced_accuracy"], "test_macro_f1": scores["macro_f1"],
            "test_images": len(y_true)}, cm


def recipe_data(variant: str = "color") -> tuple[Path, str]:
    """A recipe's data when no ``--data`` is given: the mini set (20 photos per class), else the tiny set."""
    mini = mini_root() if variant == "color" else None
    if mini is not None:
        return mini, "mini"
    log.warning("The mini set (../shared/data/plantvillage-mini/color) is not here: training on the "
                "generated tiny set instead. Give your own folder of class subfolders with --data.")
    return tiny_plantvillage_root(), "tiny"


def make_datasets(args: TrainSettings, folder: Path, source: str,
                  split: dict[str, Any]) -> tuple[Any, Any, Any, list[str]]:
    """Train / validation / test sets over ``split``: JPEGs, or views of the folder's cache (``--cache``).

    With ``--train-on train+val`` the training set also holds the validation images and the
    validation set is empty; with ``--train-on all`` it holds every image and the test set is empty too.
    """
    classes = list(split["classes"])
    if args.crop_scale is not None and not args.cache:
        raise SettingsError("--crop-scale crops whole batches on the device: add --cache (the decoded-image "
                            "cache of the folder, built once)")
    names = dict(zip(SPLIT_NAMES, SPLIT_NAMES, strict=True))
    if args.train_on in ("train+val", "all"):
        everything = args.train_on == "all"
        merged = list(split["train"]) + list(split["val"]) + (list(split["test"]) if everything else [])
        split = {**split, "train": merged, "val": [], "test": [] if everything else split["test"]}
        names["train"] = args.train_on
    if args.cache:
        whole = folder_cache(folder, args.image_size, variant=args.variant,
                             progress=False if args.no_progress else None, decoder=args.decoder)
        if whole.classes != classes:
            raise SettingsError(f"The split {split.get('path')} has other classes than {folder}: make the "
                                "split again (delete the file) or give the matching --data")
        sets = [whole.select(split[name], names[name]) for name in SPLIT_NAMES]
    else:
        train_set, val_set, test_set, _ = plantvillage_datasets(
            folder, args.image_size, args.augment, args.rotations, variant=args.variant, seed=args.seed,
            split_file=split["path"], decoder=args.decoder)
        if args.train_on in ("train+val", "all"):
            files = train_set.files + val_set.files + (test_set.files if args.train_on == "all" else [])
            merged = PlantVillageDataset(folder, files, classes, train_set.transform, args.image_size,
                                         args.decoder)
            train_set, val_set = merged, PlantVillageDataset(folder, [], classes, val_set.transform,
                                                             args.image_size, args.decoder)
            if args.train_on == "all":
                test_set = PlantVillageDataset(folder, [], classes, test_set.transform, args.image_size,
                                               args.decoder)
        sets = [train_set, val_set, test_set]
    for dataset, name in zip(sets, SPLIT_NAMES, strict=True):
        dataset.source, dataset.split_file, dataset.split_name = source, split["path"], names[name]
    return sets[0], sets[1], sets[2], classes


def make_loader_for(args: TrainSettings, dataset: Any, device: torch.device, distributed: bool,
                    train: bool = False, drop_last: bool = False) -> Any:
    """The loader of one data set: ``make_loader``, and with ``--cache`` batch transforms on the device."""
    sampler = DistributedSampler(dataset, shuffle=train, seed=args.seed) if distributed else None
    if not args.cache:
        return make_loader(dataset, args.batch_size, shuffle=train, device=device, workers=args.workers,
                           sampler=sampler, drop_last=drop_last)
    loader = make_loader(dataset, args.batch_size, shuffle=train, device=device,
                         workers=0 if args.workers is None else args.workers, sampler=sampler,
                         drop_last=drop_last, collate_fn=collate_cached)
    if not train:
        return DeviceLoader(loader, device, BatchNormalize())
    crop = tuple(args.crop_scale) if args.crop_scale is not None else None
    return DeviceLoader(loader, device, BatchAugment(args.augment, args.rotations, crop_scale=crop))


def run_settings(args: TrainSettings, folder: Path, source: str, train_set: Any, val_set: Any,
                 classes: list[str], *, precision: str, channels_last: bool, drop_last: bool = False,
                 world: int = 1) -> dict[str, Any]:
    """The settings saved in the checkpoint and ``results.json``: the options and what they resolved to."""
    settings = {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()}
    settings.update(model=args.model, data=str(folder), data_source=source, world_size=world,
                    train_images=len(train_set),
                    split_file=train_set.split_file, batch_size_total=args.batch_size * world,
                    val_images=len(val_set), precision=precision, precision_requested=args.precision,
                    channels_last=channels_last, drop_last=drop_last, class_names=list(classes),
                    normalization={"mean": list(MEAN), "std": list(STD)})
    return settings


# --- The command --------------------------------------------------------------------------------


def choose_data(args: TrainSettings) -> tuple[Path, str]:
    """The PlantVillage folder to train on and where it comes from (``custom``, a recipe's, the default)."""
    if args.data is not None:
        return find_plantvillage(args.data, args.variant), "custom"
    if args.recipe is not None:
        return recipe_data(args.variant)
    return plantvillage_root(args.variant)


def split_datasets(args: TrainSettings, folder: Path, source: str,
                   main_process: bool) -> tuple[Any, Any, Any, list[str]]:
    """The split (``--split-file``, else the seeded one of ``--split``) and its three data sets.

    Rank 0 writes (or checks) the split file and the cache first; the other ranks then read them.
    """
    if args.split_file is not None:
        split_file, grouping = Path(args.split_file), None  # the file's own grouping
    else:
        split_file, grouping = split_path(folder, seed=args.seed, grouping=args.split), args.split
    if not main_process:
        _barrier()
    split = split_for(folder, seed=args.seed, path=split_file, grouping=grouping)
    datasets = make_datasets(args, folder, source, split)
    if main_process:
        _barrier()
    return datasets


def _announce(args: TrainSettings, checkpoint: Path, parameters: int, folder: Path, source: str,
              sets: tuple[Any, Any, Any], num_classes: int, device: torch.device, world: int) -> None:
    """Rank 0's log of what is about to train: resume or start over, model, data, device, recipe."""
    has_checkpoint = checkpoint.exists() or previous_path(checkpoint).exists()
    if args.resume and not has_checkpoint:
        log.info("No checkpoint in %s yet: starting from epoch 1", checkpoint.parent)
    elif not args.resume and checkpoint.exists():
        log.warning("%s exists: starting over and replacing it (use --resume to continue)", checkpoint)
    train_set, val_set, test_set = sets
    log.info("%s (%s parameters) on %s: %d train / %d val / %d test images of %d classes (%s, %s), "
             "device %s x %d", args.model, f"{parameters:,}", folder, len(train_set), len(val_set),
             len(test_set), num_classes, source, Path(train_set.split_file).name, device, world)
    if args.recipe:
        log.info("Recipe %s: %s", args.recipe, ", ".join(f"{key}={getattr(args, key)}" for key in
                                                        recipes.recipe_settings(args.recipe)))


def train(args: TrainSettings) -> dict[str, Any] | None:
    """Run the whole training described by ``args``; rank 0 returns the results (others None)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    device, rank, world = setup_distributed(args.device)
    main_process = rank == 0
    logging.basicConfig(level=logging.INFO if main_process else logging.WARNING,
                        format="%(message)s", force=True)
    config.seed_everything(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    run_dir = args.run_dir or config.runs_dir() / (args.run_name or args.model)
    checkpoint = run_dir / runs.CHECKPOINT_NAME

    folder, source = choose_data(args)
    train_set, val_set, test_set, classes = split_datasets(args, folder, source, main_process)
    num_classes = len(classes)

    model = build_model(args.model, num_classes=num_classes)
    if args.init == "kaiming":
        kaiming_init(model)
    check_image_size(model, args.model, args.image_size)
    parameters = count_parameters(model)
    precision = engine.resolve_precision(args.precision, device)
    channels_last = engine.resolve_channels_last(args.channels_last, device)
    model.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)

    distributed = world > 1
    # On CUDA every training batch has the same shape (cudnn.benchmark times its algorithms once);
    # the dropped images differ from epoch to epoch since the order is shuffled.
    drop_last = device.type == "cuda" and len(train_set) // world >= args.batch_size
    train_loader = make_loader_for(args, train_set, device, distributed, train=True, drop_last=drop_last)
    val_loader = make_loader_for(args, val_set, device, distributed) if len(val_set) else None
    if distributed:
        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    steps = len(train_loader) if args.max_batches is None else min(len(train_loader), args.max_batches)
    scheduler, interval = make_scheduler(args.scheduler, optimizer, args.epochs, steps)
    settings = run_settings(args, folder, source, train_set, val_set, classes, precision=precision,
                            channels_last=channels_last, drop_last=drop_last, world=world)
    if main_process:
        _announce(args, checkpoint, parameters, folder, source, (train_set, val_set, test_set), num_classes,
                  device, world)

    history = engine.fit(
        model, train_loader, val_loader, epochs=args.epochs, optimizer=optimizer, scheduler=scheduler,
        scheduler_interval=interval, device=device, grad_clip=args.grad_clip, patience=args.patience,
        precision=precision, compile=args.compile, channels_last=channels_last, checkpoint=checkpoint,
        resume=args.resume, max_batches=args.max_batches, settings=settings,
        progress=False if args.no_progress else None,
        loss_fn=nn.CrossEntropyLoss(label_smoothing=args.label_smoothing),
        mix=make_mix(num_classes, args.mixup, args.cutmix, args.mix_prob), ema_decay=args.ema,
    )
    complete = run_complete(history, config.cap_epochs(args.epochs), args.patience)  # COURSE_DRY_RUN: 2
    results = None
    if main_process:
        test_loader = make_loader_for(args, test_set, device, distributed=False)
        results = write_results(args, run_dir, unwrap(model), history, complete, device, world, parameters,
                                classes, train_set, test_set, test_loader, folder, source, settings, started,
                                cpu_started)
    _barrier()
    if distributed:
        dist.destroy_process_group()
    return results


def write_results(args: TrainSettings, run_dir: Path, model: nn.Module, history: pd.DataFrame,
                  complete: bool, device: torch.device, world: int, parameters: int, classes: list[str],
                  train_set: Any, test_set: Any, test_loader: Any, folder: Path, source: str,
                  settings: dict[str, Any], started: float, cpu_started: float | None) -> dict[str, Any]:
    """Rank 0: test the model, then write history.csv, confusion_matrix.csv and results.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    history.to_csv(run_dir / runs.HISTORY_NAME, index=False)
    num_classes = len(classes)
    test: dict[str, Any] = {"test_loss": None, "test_acc": None, "test_balanced_acc": None,
                            "test_macro_f1": None, "test_images": 0}
    if complete and len(test_set):
        test, cm = test_metrics(model, test_loader, device, num_classes, args.max_batches,
                                settings["precision"], settings["channels_last"], tta=args.tta)
        pd.DataFrame(cm, index=pd.Index(classes, name="true \\ predicted"), columns=classes).to_csv(
            run_dir / runs.CONFUSION_NAME)
    elif not complete:
        log.warning("Run interrupted after epoch %d of %d: no test evaluation. Continue with --resume.",
                    int(history["epoch"].iloc[-1]) if len(history) else 0, args.epochs)
    times = history["epoch_time_s"].tolist() if len(history) else []
    peak = max([engine.peak_memory_mb(device), *history.get("peak_memory_mb", pd.Series(dtype=float))])
    results = {
        "model": args.model, "parameters": parameters, "complete": complete,
        **test,
        "val_acc": float(history["val_acc"].iloc[-1]) if len(history) and history["val_acc"].notna().any()
        else None,
        "train_acc": float(history["train_acc"].iloc[-1]) if len(history) else None,
        "baselines": majority_baseline(train_set.targets, test_set.targets, num_classes),
        "epochs": len(history), "epochs_requested": args.epochs,
        "time_per_epoch_s": float(np.mean(times)) if times else None, "epoch_times_s": times,
        "peak_memory_mb": float(peak), "device": str(device),
        "precision": settings["precision"], "channels_last": settings["channels_last"],
        "compile": args.compile, "input_size": list(engine.trained_input_size(model) or []) or None,
        "image_size": args.image_size, "normalization": settings["normalization"],
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
        or platform.machine(),
        "world_size": world, "torch": torch.__version__,
        "data_source": source, "data": str(folder), "split_file": train_set.split_file,
        "split": args.split, "train_on": args.train_on,
        "recipe": args.recipe, "init": args.init, "note": args.note,
        "recipe_settings": recipes.recipe_settings(args.recipe) if args.recipe else None,
        "augmentation": {"augment": args.augment, "rotations": args.rotations,
                         "crop_scale": args.crop_scale, "label_smoothing": args.label_smoothing,
                         "mixup": args.mixup, "cutmix": args.cutmix, "mix_prob": args.mix_prob,
                         "ema": args.ema, "tta": list(args.tta), "cache": args.cache},
        "images": {"train": len(train_set), "val": settings.get("val_images"), "test": len(test_set)},
        "class_names": classes, "settings": settings,
        "run_dir": str(run_dir), "files": {name: str(run_dir / name) for name in runs.RUN_FILES},
        "wall_time_s": time.perf_counter() - started,
        "cpu_time_s": None if cpu_started is None else time.process_time() - cpu_started,
        "threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    runs.write_json(run_dir / runs.RESULTS_NAME, results)
    baseline = results["baselines"]
    if complete and test["test_acc"] is not None:
        log.info("%s: test accuracy %.2f%% on %d images (majority class %.2f%%, random %.2f%%), "
                 "%.1f s/epoch, peak memory %.0f MB", args.model, 100 * test["test_acc"], test["test_images"],
                 100 * baseline["majority_class_acc"], 100 * baseline["random_guess"],
                 results["time_per_epoch_s"] or 0, peak)
    log.info("Results in %s", run_dir)
    return results


def write_notebook_run(model: nn.Module, history: pd.DataFrame, run_dir: str | Path, options: TrainSettings,
                       loaders: tuple[Any, Any, Any], device: torch.device, started: float,
                       note: str) -> dict[str, Any]:
    """Test a model trained in a notebook and write its run as the training command does (same files).

    ``options`` are the training settings that say what the notebook did (``make_settings(model=
    "resnet_minimal", epochs=20, ...)``); ``run_dir`` holds the checkpoint ``fit`` wrote;
    ``loaders`` are the train, validation and test loaders. :func:`load_results` then finds the run,
    so a later chapter reuses it (chapter 15).
    """
    args = replace(options, run_dir=Path(run_dir), note=note)
    train_set, val_set, test_set = (loader.dataset for loader in loaders)
    folder, source, classes = Path(train_set.root), train_set.source, list(train_set.classes)
    precision = engine.resolve_precision(args.precision, device)
    channels_last = engine.resolve_channels_last(args.channels_last, device)
    settings = run_settings(args, folder, source, train_set, val_set, classes, precision=precision,
                            channels_last=channels_last)
    complete = run_complete(history, config.cap_epochs(args.epochs), args.patience)
    return write_results(args, Path(run_dir), model, history, complete, device, 1, count_parameters(model),
                         classes, train_set, test_set, loaders[2], folder, source, settings, started, None)


def _finished_runs(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every readable ``results.json`` under ``root`` of a complete run, dry runs left out."""
    found = []
    for path in root.rglob(runs.RESULTS_NAME):
        if "dry-run" in path.relative_to(root).parts[:-1]:
            continue  # a dry run (COURSE_DRY_RUN=1) writes under runs/dry-run: never a real run's result
        results = runs.read_results(path.parent)
        if results is not None and results.get("complete"):
            found.append((path, results))
    return found


def _setting(results: dict[str, Any], key: str) -> Any:
    """A run's setting: from its ``settings`` (the command's options), else from ``results.json`` itself."""
    return (results.get("settings") or {}).get(key, results.get(key))


def load_results(model_name: str, runs_dir: str | Path | None = None, *,
                 where: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The newest finished run of ``model_name`` under ``runs_dir`` (default ``runs/``), or None.

    ``where`` keeps only runs whose settings have these values, e.g. ``{"augment": True,
    "image_size": 256}`` (the keys are the training command's options, plus ``split_file``).
    Dry runs (``runs/dry-run``, see :func:`helpers.config.dry_run`) are never returned, except to a
    dry run, whose ``runs_dir`` is that folder.

    The dictionary is ``results.json`` plus ``history`` (a DataFrame from ``history.csv``)
    and ``confusion_matrix`` (a DataFrame, classes as index and columns) when present.
    """
    return runs.find_results(model_name, Path(runs_dir) if runs_dir is not None else config.runs_dir(), where)


COMPARABLE_KEYS = ("split_file", "data", "image_size")
"""What runs must share to be compared: the same split file, the same data folder, the same image size."""


def comparable_results(model_names: list[str], runs_dir: str | Path | None = None, *,
                       keys: tuple[str, ...] = COMPARABLE_KEYS,
                       among: list[dict[str, Any]] | None = None,
                       where: dict[str, dict[str, Any]] | None = None,
                       ) -> tuple[dict[str, dict[str, Any] | None], dict[str, Any] | None]:
    """The newest finished run of each model, among runs that share a split file, data and image size.

    ``keys`` names what they share. Of the settings the finished runs of these models were trained
    with, the one that covers the most models is chosen (ties: the one with the newest run), and each
    model gets its newest run with that setting (:func:`load_results` with ``where``), or None.
    Returns ``(results per model, the setting)``; the setting is None when no model has a finished
    run. Runs on another split, another copy of the data or another image size are left out, so that a
    table never puts them side by side. ``among`` (settings dictionaries) keeps only the runs that match
    one of them when choosing the setting, e.g. the recipes of :func:`helpers.batch.same_recipe_results`;
    ``where`` (model name -> settings) keeps, for each model, only its runs with those settings, e.g. the
    run each chapter shows (:func:`helpers.batch.run_settings`).
    """
    root = Path(runs_dir) if runs_dir is not None else config.runs_dir()
    groups: dict[tuple[Any, ...], tuple[set[str], str]] = {}
    for _, results in _finished_runs(root) if root.is_dir() else []:
        if results.get("model") not in model_names:
            continue
        if among is not None and not any(all(_setting(results, key) == value for key, value in wanted.items())
                                         for wanted in among):
            continue
        if where and not all(_setting(results, key) == value
                             for key, value in where.get(results["model"], {}).items()):
            continue
        setting = tuple(json.dumps(_setting(results, key), sort_keys=True) for key in keys)
        models_there, newest = groups.get(setting, (set(), ""))
        groups[setting] = (models_there | {results["model"]}, max(newest, results.get("finished_at", "")))
    if not groups:
        return dict.fromkeys(model_names), None
    chosen = max(groups, key=lambda setting: (len(groups[setting][0]), groups[setting][1]))
    shared = {key: json.loads(value) for key, value in zip(keys, chosen, strict=True)}
    return {name: load_results(name, root, where={**shared, **(where or {}).get(name, {})})
            for name in model_names}, shared


def parse_args(argv: list[str] | None = None) -> TrainSettings:
    """The settings ``argv`` gives: a ``--recipe``'s settings first, then the options given."""
    parser = build_parser()
    recipes.apply_recipe(parser, argv)
    args = parser.parse_args(argv)
    if args.model is None:
        parser.error("give --model (one of: " + ", ".join(PLANTVILLAGE_MODELS) + ") or a --recipe")
    return TrainSettings(**vars(args))


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.train ...``: returns 0 on success, 1 on a data or settings error."""
    args = parse_args(argv)
    try:
        train(args)
    except (DataNotFoundError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
