"""The data command line: ``python -m helpers.data <command> [options]``.

Commands::

    python -m helpers.data make-tiny              # tiny generated sets into data/tiny
    python -m helpers.data fashion-mnist          # find/install FashionMNIST, print counts
    python -m helpers.data download --to DIR      # fetch PlantVillage into DIR/plantvillage (HF, Kaggle)
    python -m helpers.data cache [--image-size N]  # decode PlantVillage's splits once into data/cache

Adding a command: write ``add_<name>_parser(subparsers)`` that creates the parser and calls
``parser.set_defaults(func=...)`` with a function taking ``(args, rest)`` (the parsed options
and, with ``passes_rest=True``, the options it leaves to another parser) and returning an exit
code; append it to :data:`COMMANDS`.
Keep the work itself in the module that owns it (e.g. :mod:`helpers.data.fashion`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from torchvision import datasets

from helpers import config
from helpers.data.cache import add_cache_parser
from helpers.data.download import SOURCES
from helpers.data.download import __doc__ as download_doc
from helpers.data.download import main as download_plantvillage
from helpers.data.errors import DataNotFoundError
from helpers.data.fashion import locate_fashion_mnist
from helpers.data.locate import VARIANTS
from helpers.data.tiny import FASHION_CLASSES, ensure_tiny


def _make_tiny(args: argparse.Namespace, rest: list[str]) -> int:
    root = ensure_tiny(args.data or config.work_dir())
    print(f"tiny data sets ready in {root}")
    return 0


def _fashion_mnist(args: argparse.Namespace, rest: list[str]) -> int:
    # No --data: read data/ (or COURSE_DATA_DIR), unpack or download into the writable work folder.
    folder, source = locate_fashion_mnist(args.data, download=not getattr(args, "no_download", False))
    train = datasets.FashionMNIST(folder, train=True, download=False)
    test = datasets.FashionMNIST(folder, train=False, download=False)
    print(f"FashionMNIST ({source}) in {folder}: {len(train)} train, {len(test)} test, "
          f"classes: {', '.join(FASHION_CLASSES)}")
    return 0


def _download(args: argparse.Namespace, rest: list[str]) -> int:
    if args.name == "fashion-mnist":
        return _fashion_mnist(args, rest)
    forwarded = [str(args.data or config.data_dir())]
    for option in ("source", "variant"):
        if getattr(args, option) is not None:
            forwarded += [f"--{option}", getattr(args, option)]
    forwarded += [f"--{flag}" for flag in ("check", "force", "copy", "keep-download")
                  if getattr(args, flag.replace("-", "_"))]
    return download_plantvillage(forwarded)


def add_make_tiny_parser(subparsers: argparse._SubParsersAction) -> None:
    """``make-tiny``: generate the tiny stand-in sets."""
    parser = subparsers.add_parser("make-tiny", help="generate the tiny sets into DATA/tiny")
    parser.add_argument("--data", type=Path, default=None,
                        help="folder to write into (default: the work folder, data/ or COURSE_WORK_DIR)")
    parser.set_defaults(func=_make_tiny)


def add_fashion_mnist_parser(subparsers: argparse._SubParsersAction) -> None:
    """``fashion-mnist``: find (or fetch) FashionMNIST and print its counts."""
    parser = subparsers.add_parser("fashion-mnist", help="find or fetch FashionMNIST, print counts")
    parser.add_argument("--data", type=Path, default=None, help="data folder (default data/)")
    parser.add_argument("--no-download", action="store_true")
    parser.set_defaults(func=_fashion_mnist)


def add_download_parser(subparsers: argparse._SubParsersAction) -> None:
    """``download``: fetch a data set (options after the name go to :mod:`helpers.data.download`)."""
    parser = subparsers.add_parser(
        "download", help="download a data set (internet); PlantVillage: --to DIR [--source hf|kaggle|auto]",
        description=download_doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", default="plantvillage", choices=["plantvillage", "fashion-mnist"])
    parser.add_argument("--to", "--data", dest="data", type=Path, default=None, metavar="DIR",
                        help="data folder to fill (default data/, or COURSE_DATA_DIR); PlantVillage goes "
                             "to DIR/plantvillage")
    # PlantVillage's options, declared here so that `download --source hf` parses; passed on as given.
    parser.add_argument("--source", choices=SOURCES, default=None,
                        help="hf: Hugging Face (no account); kaggle: Kaggle (token); auto (default): both")
    parser.add_argument("--variant", choices=VARIANTS, default=None,
                        help="color (default), grayscale, segmented")
    for flag, text in (("--check", "only verify DIR/plantvillage, download nothing"),
                       ("--force", "Kaggle: download again even if cached"),
                       ("--copy", "Kaggle: copy into DIR/plantvillage instead of linking"),
                       ("--keep-download", "Hugging Face: keep the downloaded archive")):
        parser.add_argument(flag, action="store_true", help=text)
    parser.set_defaults(func=_download)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_make_tiny_parser,
    add_fashion_mnist_parser,
    add_download_parser,
    add_cache_parser,
]


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m helpers.data`` parser, one subparser per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one data command; a missing data set ends in its message, not a stack trace."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "passes_rest", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return args.func(args, rest)
    except DataNotFoundError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
