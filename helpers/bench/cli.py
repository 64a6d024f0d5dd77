"""The command ``python -m helpers.bench <subcommand>``: one parser and one runner per benchmark.

Each ``add_<name>_parser`` creates a subparser whose ``func`` turns the parsed options into a
call of the library function (in :mod:`helpers.bench.fashionmnist`, :mod:`~helpers.bench.loader`,
:mod:`~helpers.bench.throughput`, :mod:`~helpers.bench.modelbench`, :mod:`~helpers.bench.gpubench`),
prints the result and returns the exit code. The subcommands are listed in :mod:`helpers.bench`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import helpers.bench
from helpers import config
from helpers.bench import fashionmnist, gpubench, modelbench, throughput
from helpers.bench.loader import bench_loader
from helpers.data.errors import DataNotFoundError
from helpers.engine import PRECISIONS
from helpers.models import IMAGE_SIZE, PLANTVILLAGE_MODELS

log = logging.getLogger("helpers.bench")


# --- fashionmnist ---------------------------------------------------------------------------------


def _run_fashionmnist(args: argparse.Namespace) -> int:
    try:
        table = fashionmnist.bench_fashionmnist(
            epochs=args.epochs, names=args.models, threads=args.threads,
            device=torch.device(args.device) if args.device else None, max_batches=args.max_batches,
            interleave=not args.one_by_one, out_dir=args.out)
    except DataNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"FashionMNIST, {args.epochs} epochs, device {table['device'].iloc[0]}, CPU threads "
          f"{int(table['threads'].iloc[0])}, data in memory:")
    print(fashionmnist.format_table(table))
    print("published acc: learnpytorch.io's own result for their recipe (their run, 60,000 training images); "
          "every other number was measured in this run.")
    print(f"saved to {(args.out or config.runs_dir() / 'bench') / 'fashionmnist.csv'} and .json")
    return 0


def add_fashionmnist_parser(subparsers: argparse._SubParsersAction) -> None:
    """``fashionmnist``: chapter 8's three models and learnpytorch.io's recipe, 3 epochs each, same run."""
    parser = subparsers.add_parser(
        "fashionmnist", help="train chapter 8's models and learnpytorch.io's TinyVGG recipe on FashionMNIST")
    parser.add_argument("--epochs", type=int, default=3)
    recipes = list(fashionmnist.FASHION_BENCH)
    parser.add_argument("--models", nargs="+", default=recipes, choices=recipes)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: the fastest count, measured now; see pick_threads)")
    parser.add_argument("--device", default=None, help="cpu (default), cuda, mps: where data and models live")
    parser.add_argument("--one-by-one", action="store_true",
                        help="train each model to the end before the next (default: take turns every epoch)")
    parser.add_argument("--max-batches", type=int, default=None, help="cap batches per epoch (a dry run)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default runs/bench)")
    parser.set_defaults(func=_run_fashionmnist)


# --- loader ---------------------------------------------------------------------------------------


def _run_loader_bench(args: argparse.Namespace) -> int:
    """Print the loader's images/s for each requested worker count."""
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        for workers in args.workers or [None]:
            result = bench_loader(args.data, batch_size=args.batch_size, batches=args.batches,
                                  workers=workers, image_size=args.image_size, augment=args.augment)
            print(f"PlantVillage loader ({result['source']}, {result['train_images']:,} training images, "
                  f"batch {result['batch_size']}, {result['image_size']} px, augment={result['augment']}, "
                  f"workers={result['workers']}, pin_memory={result['pin_memory']}): "
                  f"{result['images_per_s']:,.0f} images/s ({result['images']} images in "
                  f"{result['seconds']:.2f} s)")
    except DataNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def add_loader_parser(subparsers: argparse._SubParsersAction) -> None:
    """``python -m helpers.bench loader``: images/s of the PlantVillage training loader."""
    parser = subparsers.add_parser("loader", help="PlantVillage training-loader throughput (images/s)")
    parser.add_argument("--data", type=Path, default=None,
                        help="PlantVillage folder (default: data/plantvillage, else the mini or tiny set)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=20, help="batches timed (after one warm-up batch)")
    parser.add_argument("--workers", type=int, nargs="*", default=None,
                        help="one or more worker counts to compare (default: chosen for the machine)")
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE)
    parser.add_argument("--augment", action="store_true", help="time the augmented training transform")
    parser.add_argument("--threads", type=int, default=None, help="torch threads in the main process")
    parser.set_defaults(func=_run_loader_bench)


# --- throughput -----------------------------------------------------------------------------------


def _run_throughput(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        table = throughput.bench_throughput(
            args.data, image_size=args.image_size, batch_size=args.batch_size, batches=args.batches,
            workers=args.workers, augment=args.augment, model_names=args.models, steps=args.steps,
            precision=args.precision, channels_last=args.channels_last,
            device=config.resolve_device(args.device), paths=args.paths, out_dir=args.out)
    except DataNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    first = table.iloc[0]
    per_path = table.groupby("path", sort=False)["workers"].first()
    workers = ", ".join(f"{path} {n}" for path, n in per_path.items())
    print(f"PlantVillage throughput ({first['source']}, {first['train_images']:,} training images, "
          f"{args.image_size} px, batch {args.batch_size}, workers: {workers}, "
          f"augment={args.augment}, device={first['device']}), images/s:")
    print(throughput.format_throughput(table))
    print(f"saved to {Path(args.out or config.runs_dir() / 'bench') / 'throughput.csv'} and .json")
    return 0


def add_throughput_parser(subparsers: argparse._SubParsersAction) -> None:
    """``python -m helpers.bench throughput``: images/s of the JPEG and cache paths (and training steps)."""
    parser = subparsers.add_parser("throughput", help="images/s of the JPEG path and the decoded cache")
    parser.add_argument("--data", type=Path, default=None,
                        help="PlantVillage folder (default: data/plantvillage, else the mini or tiny set)")
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=20, help="batches timed per measurement")
    parser.add_argument("--workers", type=int, default=None,
                        help="DataLoader workers for both paths (default: JPEG per machine, cache 0)")
    parser.add_argument("--augment", action="store_true", help="flips, jitter and rotations included")
    parser.add_argument("--models", nargs="*", default=[], choices=PLANTVILLAGE_MODELS,
                        help="also time whole training steps of these models")
    parser.add_argument("--steps", type=int, default=10, help="training steps timed per model")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="training-step precision (default: bf16 on recent GPUs, fp32 on a CPU)")
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                        help="NHWC memory format (default: on with CUDA and CPUs, off on Apple GPUs)")
    parser.add_argument("--paths", nargs="+", default=["jpeg", "cache"], choices=["jpeg", "cache"])
    parser.add_argument("--device", default=None, help="cpu, cuda (default: the best available)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads in the main process")
    parser.add_argument("--out", type=Path, default=None, help="folder for the CSV/JSON (default runs/bench)")
    parser.set_defaults(func=_run_throughput)


# --- models ---------------------------------------------------------------------------------------


def _run_models(args: Any) -> int:
    """``python -m helpers.bench models``: measure, print, save the table; returns the exit code."""
    device = config.resolve_device(args.device)
    table = modelbench.benchmark_models(
        args.models, isolate=not args.same_process, batch_size=args.batch_size, steps=args.steps,
        warmup=args.warmup, image_size=args.image_size, device=device, precision=args.precision,
        channels_last=args.channels_last, compile=args.compile, threads=args.threads)
    path = modelbench.save_table(table)
    print(f"Training step of each model on random {args.image_size}px images, batch {args.batch_size}, "
          f"fastest of {args.steps} steps after {args.warmup} warm-up, on {table['device_name'].iloc[0]}:")
    print(modelbench.format_table(table))
    print(f"saved to {path}")
    return 0


def add_models_parser(subparsers: Any) -> None:
    """``models``: images/s and peak memory of the five PlantVillage models (one fresh process each)."""
    parser = subparsers.add_parser("models", help="training speed and peak memory of the PlantVillage models")
    parser.add_argument("--models", nargs="+", default=list(PLANTVILLAGE_MODELS), choices=PLANTVILLAGE_MODELS)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=2, help="timed steps per model (the fastest counts)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE)
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="autocast precision (auto: bf16 or fp16 on CUDA, fp32 elsewhere)")
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                        help="NHWC memory format (default: on with CUDA and CPUs, off on Apple GPUs)")
    parser.add_argument("--compile", action="store_true", help="torch.compile each model")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--same-process", action="store_true",
                        help="all models in this process (faster; CPU memory then not per model)")
    parser.set_defaults(func=_run_models)


# --- gpu ------------------------------------------------------------------------------------------


def _run_gpu(args: argparse.Namespace) -> int:
    """``python -m helpers.bench gpu``: measure, save after each row, print the table last."""
    device = config.resolve_device(args.device)
    defaults = gpubench.SMOKE if args.smoke else gpubench.FULL
    chosen = {key: default if getattr(args, key) is None else getattr(args, key)
              for key, default in defaults.items()}
    if device.type != "cuda" and not args.smoke:
        log.warning("No CUDA GPU here (device %s): the full benchmark would be slow; the time budget "
                    "of %.0f s stops it. Use --smoke to check the command.", device, args.budget_s)
    compile_model = None if args.no_compile else gpubench.COMPILE_MODEL
    table = gpubench.bench_gpu(precisions=args.precisions, compile_model=compile_model,
                               budget_s=args.budget_s, device=device, out_dir=args.out,
                               data=not args.no_data, data_root=args.data,
                               data_batches=2 if args.smoke else 20, **chosen)
    print(f"GPU benchmark on {table.attrs['device_name']} (torch {torch.__version__}), "
          f"batch {chosen['batch_size']}, {chosen['image_size']} px, fastest of {chosen['steps']} steps "
          f"after {chosen['warmup']} warm-up; random images on the device (the model alone, no data loading)")
    print(f"saved to {table.attrs['csv']} and .json")
    print(gpubench.format_gpu_table(table))
    return 0 if (table["status"] == "ok").any() else 1


def add_gpu_parser(subparsers: Any) -> None:
    """``gpu``: every PlantVillage model x {fp32, bf16} x {channels-last}, and the compile speed-up."""
    parser = subparsers.add_parser("gpu", help="the instructor's GPU benchmark (all models, precisions, "
                                               "channels-last, torch.compile) in under 8 minutes")
    parser.add_argument("--models", nargs="+", default=None, choices=PLANTVILLAGE_MODELS,
                        help="default: all six")
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=PRECISIONS[1:])
    parser.add_argument("--batch-size", type=int, default=None, help=f"default {gpubench.FULL['batch_size']}")
    parser.add_argument("--image-size", type=int, default=None, help=f"default {gpubench.FULL['image_size']}")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per configuration, the fastest counts "
                             f"(default {gpubench.FULL['steps']})")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed steps first: cuDNN tuning, compilation "
                             f"(default {gpubench.FULL['warmup']})")
    parser.add_argument("--budget-s", type=float, default=gpubench.DEFAULT_BUDGET_S,
                        help="skip the configurations left once this many seconds are spent")
    parser.add_argument("--no-compile", action="store_true", help="leave out the torch.compile comparison")
    parser.add_argument("--compile-backend", default=None, help="torch.compile backend (default inductor)")
    parser.add_argument("--no-data", action="store_true", help="leave out the data path (JPEG vs cache)")
    parser.add_argument("--data", type=Path, default=None,
                        help="PlantVillage folder for the data path (default: data/plantvillage, else the "
                             "mini or tiny set)")
    parser.add_argument("--device", default=None, help="cuda, cpu, ... (default: the best available)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default runs/bench)")
    parser.add_argument("--smoke", action="store_true",
                        help="a seconds-long check of the command (two small models, 64 px, batch 2, one "
                             "step, eager-backend compile); options given explicitly still win")
    parser.set_defaults(func=_run_gpu)


# --- the dispatcher -------------------------------------------------------------------------------


SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_fashionmnist_parser, add_loader_parser, add_models_parser, add_gpu_parser,
    add_throughput_parser]


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m helpers.bench`` parser with one subparser per entry of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(prog="python -m helpers.bench", description=helpers.bench.__doc__,
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
