"""Fetch PlantVillage from Kaggle for users who are online: ``python -m helpers.data download plantvillage``.

With ``kagglehub`` installed (``pip install -e ".[download]"``) and a Kaggle API token
(``~/.kaggle/kaggle.json`` or ``KAGGLE_USERNAME``/``KAGGLE_KEY``), the Kaggle mirror
``abdallahhalidev/plantvillage-dataset`` is downloaded into kagglehub's cache (which
resumes and skips what it already has), checked (54,305 colour images, 38 classes, no
empty files) and linked as ``data/plantvillage``. Otherwise the manual steps are printed.
Nothing is downloaded when ``data/plantvillage`` already holds the complete set.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers.data.errors import DataNotFoundError
from helpers.data.locate import (
    EXPECTED_CLASSES,
    EXPECTED_IMAGES,
    KAGGLE_DATASET,
    KAGGLE_FOLDER,
    VARIANTS,
    find_plantvillage,
    scan_images,
)

KAGGLE_URL = f"https://www.kaggle.com/datasets/{KAGGLE_DATASET}"


@dataclass
class Check:
    """What a PlantVillage folder holds, compared with the full colour set."""

    folder: Path
    images: int
    classes: int
    bytes: int
    empty_files: list[str]
    expected_images: int | None = EXPECTED_IMAGES
    expected_classes: int = EXPECTED_CLASSES

    @property
    def complete(self) -> bool:
        """True when the counts match and no file is empty."""
        images_ok = self.expected_images is None or self.images == self.expected_images
        return images_ok and self.classes == self.expected_classes and not self.empty_files

    def summary(self) -> str:
        """One line for the terminal."""
        expected = f" of {self.expected_images:,}" if self.expected_images else ""
        state = "complete" if self.complete else "INCOMPLETE"
        line = (f"{self.folder}: {self.images:,}{expected} images, {self.classes} of "
                f"{self.expected_classes} classes, {self.bytes / 2**20:,.0f} MB: {state}")
        if self.empty_files:
            line += f"; {len(self.empty_files)} empty files, e.g. {self.empty_files[0]}"
        return line


def check_folder(folder: Path, variant: str = "color") -> Check:
    """Count images, classes and bytes in a class-folder tree (colour: 54,305 images expected)."""
    files, _, classes = scan_images(folder)
    sizes = {name: (folder / name).stat().st_size for name in files}
    return Check(folder=folder, images=len(files), classes=len(classes), bytes=sum(sizes.values()),
                 empty_files=[name for name, size in sizes.items() if size == 0],
                 expected_images=EXPECTED_IMAGES if variant == "color" else None,
                 expected_classes=EXPECTED_CLASSES)


def kaggle_credentials() -> str | None:
    """Where kagglehub will find Kaggle credentials (environment or ``kaggle.json``), or None."""
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return "KAGGLE_USERNAME/KAGGLE_KEY"
    if os.environ.get("KAGGLE_API_TOKEN"):  # newer kagglehub releases read this token too
        return "KAGGLE_API_TOKEN"
    folder = Path(os.environ.get("KAGGLE_CONFIG_DIR") or Path.home() / ".kaggle")
    token = folder / "kaggle.json"
    return str(token) if token.is_file() else None


def manual_steps(target: Path, reason: str) -> str:
    """The by-hand instructions, printed when the automatic download cannot run."""
    return (
        f"PlantVillage was not downloaded: {reason}.\n"
        "Either let the course download it:\n"
        '  1. pip install kagglehub          (or: pip install -e ".[download]")\n'
        "  2. Create a Kaggle API token: kaggle.com > Settings > API > Create New Token; save\n"
        "     kaggle.json as ~/.kaggle/kaggle.json (chmod 600), or export KAGGLE_USERNAME and KAGGLE_KEY\n"
        "  3. python -m helpers.data download plantvillage\n"
        "or do it by hand:\n"
        f"  1. Download the archive (~2 GB) from {KAGGLE_URL}\n"
        f"  2. Unzip it into {target}, so that {target / KAGGLE_FOLDER / 'color'}/<38 class folders> exists\n"
        "  3. python -m helpers.data download plantvillage --check"
    )


def _locate(path: Path, variant: str, depth: int = 3) -> Path | None:
    """The class-folder tree for ``variant`` inside a download, up to ``depth`` levels down."""
    try:
        return find_plantvillage(path, variant)
    except DataNotFoundError:
        pass
    if depth == 0:
        return None
    for sub in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found = _locate(sub, variant, depth - 1)
        if found is not None:
            return found
    return None


def place(source: Path, target: Path, copy: bool = False) -> Path:
    """Make ``target`` (data/plantvillage) point at ``source``: a symlink, or a copy if asked or needed."""
    if target.is_symlink():
        target.unlink()
    elif target.is_dir():
        if any(target.iterdir()):
            raise FileExistsError(
                f"{target} already holds files that are not a complete PlantVillage; move it away "
                "and run again (nothing was changed)")
        target.rmdir()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not copy:
        try:
            target.symlink_to(source.resolve(), target_is_directory=True)
            return target
        except OSError as error:  # e.g. Windows without developer mode
            print(f"Could not link {target} -> {source} ({error}); copying instead (~2 GB)")
    shutil.copytree(source, target)
    return target


def download_kaggle(force: bool = False) -> Path:
    """Download (or reuse kagglehub's cached copy of) the Kaggle mirror; return its folder."""
    kagglehub = importlib.import_module("kagglehub")
    return Path(kagglehub.dataset_download(KAGGLE_DATASET, force_download=force))


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.data download plantvillage`` (argv: data folder, then options)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.data download plantvillage",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_root", type=Path, help="the course's data folder (data/)")
    parser.add_argument("--variant", choices=VARIANTS, default="color", help="which images to check")
    parser.add_argument("--check", action="store_true", help="only check data/plantvillage, download nothing")
    parser.add_argument("--force", action="store_true", help="download again even if cached")
    parser.add_argument("--copy", action="store_true", help="copy into data/plantvillage instead of linking")
    args = parser.parse_args(argv)
    target = args.data_root / "plantvillage"

    try:
        existing = check_folder(find_plantvillage(target, args.variant), args.variant)
    except DataNotFoundError as error:
        existing = None
        if args.check:
            print(error, file=sys.stderr)
            return 1
    if existing is not None:
        print(existing.summary())
        if existing.complete and not args.force:
            print("Nothing to download.")
            return 0
        if args.check:
            return 1

    try:
        importlib.import_module("kagglehub")
    except ImportError:
        print(manual_steps(target, "the kagglehub package is not installed"), file=sys.stderr)
        return 1
    credentials = kaggle_credentials()
    if credentials is None:
        print(manual_steps(target, "no Kaggle API token (~/.kaggle/kaggle.json or KAGGLE_USERNAME/"
                                   "KAGGLE_KEY)"), file=sys.stderr)
        return 1
    print(f"Downloading {KAGGLE_DATASET} with kagglehub (credentials: {credentials}); an interrupted "
          "download resumes when you run this again.")
    try:
        downloaded = download_kaggle(force=args.force)
    except Exception as error:  # network, quota, licence not accepted: all end in the manual steps
        print(manual_steps(target, f"kagglehub failed: {type(error).__name__}: {error}"), file=sys.stderr)
        return 1
    found = _locate(downloaded, args.variant)
    if found is None:
        print(f"The download in {downloaded} has no '{args.variant}' class folders; remove it and run "
              "again with --force.", file=sys.stderr)
        return 1
    check = check_folder(found, args.variant)
    print(check.summary())
    if not check.complete:
        print("The download looks incomplete: run again (kagglehub resumes), or with --force to start "
              "over.", file=sys.stderr)
        return 1
    # Link the folder that holds the variants (color, grayscale, segmented), so all three stay reachable.
    source = found.parent if found.name == args.variant else found
    try:
        place(source, target, copy=args.copy)
    except FileExistsError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"PlantVillage ready: {find_plantvillage(target, args.variant)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
