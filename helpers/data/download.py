"""Fetch PlantVillage once, for a student or a whole class: ``python -m helpers.data download --to DIR``.

Three routes, tried in this order (``--source`` picks one):

1. **Hugging Face** (``--source hf``): the dataset author's public copy ``mohanty/PlantVillage``,
   downloaded anonymously with ``huggingface_hub`` (``pip install -e ".[download]"``) and converted
   to class folders ``DIR/plantvillage/<variant>/<class>/<original file name>``
   (:mod:`helpers.data.huggingface`). Interrupted downloads and conversions resume.
2. **Kaggle** (``--source kaggle``): the mirror ``abdallahhalidev/plantvillage-dataset`` through
   ``kagglehub`` with a Kaggle API token, linked as ``DIR/plantvillage``.
3. **By hand**: the steps are printed when neither route can run.

Either way the result is verified: images per class against the published counts (54,305 colour
images, 38 classes), empty files, and (``--check`` and after a download) every image opened, the
unreadable ones listed. Nothing is downloaded when ``DIR/plantvillage`` already holds the complete set.
For a class, download once into a shared folder and point everyone's ``COURSE_DATA_DIR`` at it: the
course only reads that folder (splits, caches and runs go to each user's own folders).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from helpers import config
from helpers.data import huggingface as hf
from helpers.data.errors import DataNotFoundError
from helpers.data.locate import (
    EXPECTED_CLASSES,
    EXPECTED_COUNTS,
    EXPECTED_IMAGES,
    KAGGLE_DATASET,
    KAGGLE_FOLDER,
    VARIANTS,
    find_plantvillage,
    scan_images,
)
from helpers.i18n import tr

KAGGLE_URL = f"https://www.kaggle.com/datasets/{KAGGLE_DATASET}"
SOURCES = ("auto", "hf", "kaggle")


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
    class_counts: dict[str, int] = field(default_factory=dict)
    expected_counts: dict[str, int] | None = None
    bad_files: list[str] | None = None
    """Images that do not open (None: not looked at; ``check_folder(..., open_images=True)`` looks)."""

    @property
    def wrong_counts(self) -> list[str]:
        """``"<class>: <n> of <expected>"`` for each class whose count differs from the published one."""
        if not self.expected_counts:
            return []
        names = sorted(set(self.expected_counts) | set(self.class_counts))
        return [f"{name}: {self.class_counts.get(name, 0):,} of {self.expected_counts.get(name, 0):,}"
                for name in names if self.class_counts.get(name, 0) != self.expected_counts.get(name, 0)]

    @property
    def complete(self) -> bool:
        """True when the counts (total, classes, per class) match and no file is empty or unreadable."""
        images_ok = self.expected_images is None or self.images == self.expected_images
        return (images_ok and self.classes == self.expected_classes and not self.empty_files
                and not self.wrong_counts and not self.bad_files)

    def summary(self) -> str:
        """A few lines for the terminal: the counts, then what is wrong, if anything."""
        expected = f" of {self.expected_images:,}" if self.expected_images else ""
        state = "complete" if self.complete else "INCOMPLETE"
        line = (f"{self.folder}: {self.images:,}{expected} images, {self.classes} of "
                f"{self.expected_classes} classes, {self.bytes / 2**20:,.0f} MB: {state}")
        if self.empty_files:
            line += f"; {len(self.empty_files)} empty files, e.g. {self.empty_files[0]}"
        if self.bad_files is not None:
            line += f"; every image opened: {len(self.bad_files)} unreadable"
        wrong = self.wrong_counts
        if wrong:
            line += f"\n  {len(wrong)} classes differ from the published counts:\n    "
            line += "\n    ".join(wrong[:10])
            if len(wrong) > 10:
                line += f"\n    ... and {len(wrong) - 10} more"
        if self.bad_files:
            line += "\n  unreadable images (delete them and run again to fetch them anew):\n    " + \
                "\n    ".join(self.bad_files[:20])
            if len(self.bad_files) > 20:
                line += f"\n    ... and {len(self.bad_files) - 20} more"
        return line


def unreadable(folder: Path, files: list[str]) -> list[str]:
    """The images among ``files`` (relative to ``folder``) that PIL cannot read, with the reason."""
    bad = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PIL's warnings on odd but readable files are not our business
        for name in files:
            try:
                with Image.open(folder / name) as image:
                    image.verify()
            except Exception as error:  # PIL raises many kinds; every one means "unreadable"
                bad.append(f"{name} ({type(error).__name__})")
    return bad


def check_folder(folder: Path, variant: str = "color", open_images: bool = False) -> Check:
    """Count images, classes and bytes per class in a class-folder tree; optionally open every image."""
    files, labels, classes = scan_images(folder)
    sizes = {name: (folder / name).stat().st_size for name in files}
    counts = {name: 0 for name in classes}
    for label in labels:
        counts[classes[label]] += 1
    return Check(folder=folder, images=len(files), classes=len(classes), bytes=sum(sizes.values()),
                 empty_files=[name for name, size in sizes.items() if size == 0],
                 expected_images=EXPECTED_IMAGES if variant == "color" else None,
                 expected_classes=EXPECTED_CLASSES, class_counts=counts,
                 expected_counts=EXPECTED_COUNTS if variant == "color" else None,
                 bad_files=unreadable(folder, files) if open_images else None)


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
    """The by-hand instructions, printed when no automatic route can run."""
    data_root = target.parent
    return (
        f"PlantVillage was not downloaded: {reason}.\n"
        "Let the course download it (no account needed):\n"
        f'  1. {hf.INSTALL_HINT}\n'
        f"  2. python -m helpers.data download --to {data_root}\n"
        "or from Kaggle (needs an account):\n"
        "  1. pip install kagglehub          (or: pip install -e \".[download]\")\n"
        "  2. Create a Kaggle API token: kaggle.com > Settings > API > Create New Token; save\n"
        "     kaggle.json as ~/.kaggle/kaggle.json (chmod 600), or export KAGGLE_USERNAME and KAGGLE_KEY\n"
        f"  3. python -m helpers.data download --to {data_root} --source kaggle\n"
        "or do it by hand:\n"
        f"  1. Download {hf.HF_ZIP_URL} (~2 GB, no account),\n"
        f"     or the archive from {KAGGLE_URL}\n"
        f"  2. Unzip it into {target}, so that {target / 'raw' / 'color'}/<38 class folders> (Hugging Face)\n"
        f"     or {target / KAGGLE_FOLDER / 'color'}/<38 class folders> (Kaggle) exists\n"
        f"  3. python -m helpers.data download --to {data_root} --check"
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
                tr("{target} already holds files that are not a complete PlantVillage; move it away and "
                   "run again (nothing was changed)", target=target))
        target.rmdir()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not copy:
        try:
            target.symlink_to(source.resolve(), target_is_directory=True)
            return target
        except OSError as error:  # e.g. Windows without developer mode
            print(tr("Could not link {target} -> {source} ({error}); copying instead (~2 GB)",
                     target=target, source=source, error=error))
    shutil.copytree(source, target)
    return target


def download_kaggle(force: bool = False) -> Path:
    """Download (or reuse kagglehub's cached copy of) the Kaggle mirror; return its folder."""
    kagglehub = importlib.import_module("kagglehub")
    return Path(kagglehub.dataset_download(KAGGLE_DATASET, force_download=force))


class RouteFailed(RuntimeError):
    """A download route could not run; the message says why (it ends up in the manual steps)."""


def _hf_target_problem(target: Path) -> str | None:
    """Why the Hugging Face route may not write into ``target``, or None."""
    if target.is_symlink():
        return (f"{target} is a link to {os.readlink(target)} (an earlier Kaggle download?); remove the "
                "link and run again (nothing was changed)")
    if target.is_dir():
        foreign = sorted(p.name for p in target.iterdir() if p.name not in (*VARIANTS, hf.DOWNLOAD_FOLDER))
        if foreign:
            return (f"{target} already holds {', '.join(foreign[:3])}, which this command did not write; "
                    "move them away and run again (nothing was changed)")
    return None


def route_hf(target: Path, variant: str, keep_download: bool) -> Check:
    """The Hugging Face route: download, convert to ``target/<variant>``, verify; RouteFailed if it can't."""
    problem = _hf_target_problem(target)
    if problem is not None:
        raise FileExistsError(problem)
    try:
        hf.hub_module()
        print(tr("Downloading {hf_HF_DATASET} ({variant}) from Hugging Face, no account needed; an "
                 "interrupted download or conversion continues when you run this again.",
                 hf_HF_DATASET=hf.HF_DATASET, variant=variant))
        snapshot = hf.download_snapshot(target, variant)
        conversion = hf.convert_snapshot(snapshot, target, variant)
    except hf.HubUnavailableError as error:
        raise RouteFailed(str(error)) from error
    print(conversion.summary())
    if conversion.written + conversion.skipped == 0:
        raise RouteFailed(tr("the Hugging Face snapshot in {snapshot} holds no '{variant}' images (has the "
                             "repository {hf_HF_URL} changed its layout?)", snapshot=snapshot,
                             variant=variant, hf_HF_URL=hf.HF_URL))
    check = check_folder(target / variant, variant, open_images=True)
    if check.complete and not keep_download:
        shutil.rmtree(target / hf.DOWNLOAD_FOLDER, ignore_errors=True)  # the ~2 GB archive: not needed now
    return check


def route_kaggle(target: Path, variant: str, force: bool, copy: bool) -> Check:
    """The Kaggle route: kagglehub download, check, link as ``target``; RouteFailed if it cannot."""
    try:
        importlib.import_module("kagglehub")
    except ImportError:
        raise RouteFailed(tr("the kagglehub package is not installed")) from None
    credentials = kaggle_credentials()
    if credentials is None:
        raise RouteFailed(tr("no Kaggle API token (~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY)"))
    print(tr("Downloading {KAGGLE_DATASET} with kagglehub (credentials: {credentials}); an interrupted "
             "download resumes when you run this again.", KAGGLE_DATASET=KAGGLE_DATASET,
             credentials=credentials))
    try:
        downloaded = download_kaggle(force=force)
    except Exception as error:  # network, quota, licence not accepted: all end in the manual steps
        raise RouteFailed(tr("kagglehub failed: {type_error_name}: {error}",
                             type_error_name=type(error).__name__, error=error)) from error
    found = _locate(downloaded, variant)
    if found is None:
        raise FileNotFoundError(tr("The download in {downloaded} has no '{variant}' class folders; remove "
                                   "it and run again with --force.", downloaded=downloaded, variant=variant))
    check = check_folder(found, variant, open_images=True)
    leftover = target / hf.DOWNLOAD_FOLDER
    if check.complete and leftover.is_dir() and {p.name for p in target.iterdir()} == {hf.DOWNLOAD_FOLDER}:
        print(tr("Removing {leftover}: the Hugging Face download that failed earlier is not needed now.",
                 leftover=leftover))
        shutil.rmtree(leftover)
    if check.complete:
        # Link the folder that holds the variants (color, grayscale, segmented), so all three stay reachable.
        place(found.parent if found.name == variant else found, target, copy=copy)
    return check


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.data download --to DIR`` (argv: the data folder, then options)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.data download [plantvillage]",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_root", type=Path,
                        help="the data folder (data/, or the shared folder COURSE_DATA_DIR will point at)")
    parser.add_argument("--source", choices=SOURCES, default="auto",
                        help="hf: Hugging Face (no account); kaggle: Kaggle (token); auto: hf, then kaggle")
    parser.add_argument("--variant", choices=VARIANTS, default="color", help="which images (default color)")
    parser.add_argument("--check", action="store_true", help="only verify DIR/plantvillage, download nothing")
    parser.add_argument("--force", action="store_true", help="Kaggle: download again even if cached")
    parser.add_argument("--copy", action="store_true", help="Kaggle: copy into DIR/plantvillage, not link")
    parser.add_argument("--keep-download", action="store_true",
                        help="Hugging Face: keep the downloaded archive in DIR/plantvillage/.download")
    args = parser.parse_args(argv)
    target = args.data_root / "plantvillage"

    try:
        existing = check_folder(find_plantvillage(target, args.variant), args.variant, open_images=args.check)
    except DataNotFoundError as error:
        existing = None
        if args.check:
            print(error, file=sys.stderr)
            return 1
    if existing is not None:
        print(existing.summary())
        if existing.complete and not args.force:
            print(tr("Nothing to download."))
            return 0
        if args.check:
            return 1

    routes = {"hf": ["hf"], "kaggle": ["kaggle"], "auto": ["hf", "kaggle"]}[args.source]
    reasons: list[str] = []
    for route in routes:
        try:
            if route == "hf":
                check = route_hf(target, args.variant, args.keep_download)
            else:
                check = route_kaggle(target, args.variant, args.force, args.copy)
        except RouteFailed as error:
            reasons.append(str(error))
            if route != routes[-1]:
                print(tr("{error}; trying Kaggle next.", error=error), file=sys.stderr)
            continue
        except (FileExistsError, FileNotFoundError) as error:
            print(error, file=sys.stderr)
            return 1
        print(check.summary())
        if not check.complete:
            print(tr("The data looks incomplete: run again (downloads and conversions resume; with Kaggle, "
                     "--force starts over); delete any files listed as unreadable first."), file=sys.stderr)
            return 1
        print(tr("PlantVillage ready: {value}", value=find_plantvillage(target, args.variant)))
        if args.data_root.resolve() != config.data_dir().resolve():
            print(tr("To use it (everyone in a class can share it, read-only): export "
                     "{config_DATA_VARIABLE}={args_data_root_resolve}",
                     config_DATA_VARIABLE=config.DATA_VARIABLE,
                     args_data_root_resolve=args.data_root.resolve()))
        return 0
    print(manual_steps(target, "; and ".join(reasons)), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
