"""The PlantVillage leaf data set: finding it, a robust Dataset, a saved stratified split, loaders.

PlantVillage (Hughes & Salathé 2015, arXiv:1511.08060) has 54,305 colour photographs of
single leaves, 256x256 JPEG, in 38 classes named ``<crop>___<disease or healthy>``.
People keep it in several layouts; :func:`find_plantvillage` accepts all of these under
``data/plantvillage`` (or any folder you pass):

* the Kaggle mirror ``plantvillage dataset/color/<class>/`` (also ``grayscale``, ``segmented``),
* the GitHub release ``raw/color/<class>/``,
* ``color/<class>/``,
* a plain ImageFolder: ``<class>/`` directly.

:func:`plantvillage_root` falls back to the course team's tiny real subset
(``../shared/data/plantvillage-mini``) and then to the generated tiny set, so every
notebook runs on a fresh clone. The split is stratified, deterministic and saved as JSON
under ``data/splits/`` so that every model trains and tests on the same images.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import re
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler
from torchvision import transforms

from helpers import config
from helpers.data import DataNotFoundError, make_loader
from helpers.tiny import ensure_tiny

log = logging.getLogger(__name__)

VARIANTS = ("color", "grayscale", "segmented")
KAGGLE_FOLDER = "plantvillage dataset"
KAGGLE_DATASET = "abdallahhalidev/plantvillage-dataset"
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
EXPECTED_IMAGES = 54_305
"""Colour images in the full data set (the data set's own count)."""
EXPECTED_CLASSES = 38
MAJORITY_CLASS = "Orange___Haunglongbing_(Citrus_greening)"
MAJORITY_COUNT = 5_507
"""The largest class of the full colour set: 5,507 of 54,305 images = 10.1%."""
IMAGE_SIZE = 256
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
SPLIT_NAMES = ("train", "val", "test")
# ImageNet's channel statistics: the usual choice, close enough for leaves on grey.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

HOW_TO_GET = (
    "Get it with `python -m helpers.data download plantvillage` (Kaggle, needs kagglehub and an API "
    "token), or download the Kaggle archive "
    f"https://www.kaggle.com/datasets/{KAGGLE_DATASET} and unpack it into data/plantvillage "
    "(README, section Data). Without it the notebooks use ../shared/data/plantvillage-mini or the "
    "generated tiny set."
)


class DataLayoutError(DataNotFoundError):
    """A PlantVillage folder exists but is not laid out as ``<class>/<image>`` folders."""


class BadImageWarning(UserWarning):
    """An image file could not be read; the data set used another image instead."""


# --- Finding the data --------------------------------------------------------------------------


def _is_image(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _subfolders(folder: Path) -> list[Path]:
    """Visible subfolders, sorted by name (the class order)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return sorted((Path(e.path) for e in entries if e.is_dir() and not e.name.startswith(".")),
                  key=lambda p: p.name)


def _images_in(folder: Path) -> list[str]:
    """Image file names directly inside ``folder``, sorted (PlantVillage's class folders are flat)."""
    try:
        return sorted(e.name for e in os.scandir(folder) if _is_image(e.name) and e.is_file())
    except OSError:
        return []


def scan_images(folder: str | Path) -> tuple[list[str], list[int], list[str]]:
    """List an ImageFolder: ``(files relative to folder, labels, class names)``, sorted.

    Class folders without images are left out with a warning, so the labels always
    index classes that have data.
    """
    folder = Path(folder)
    files: list[str] = []
    labels: list[int] = []
    classes: list[str] = []
    for sub in _subfolders(folder):
        images = _images_in(sub)
        if not images:
            log.warning("Class folder %s has no images: left out", sub)
            continue
        label = len(classes)
        classes.append(sub.name)
        files += [f"{sub.name}/{name}" for name in images]
        labels += [label] * len(images)
    return files, labels, classes


def _image_folder_problem(folder: Path) -> str | None:
    """Why ``folder`` is not an ImageFolder of class folders, or None when it is one."""
    subs = _subfolders(folder)
    loose = len(_images_in(folder))
    if not subs:
        if loose:
            return (f"{folder} holds {loose} images directly but no class folders: put each class's "
                    "images in a subfolder named after the class (e.g. Tomato___healthy/)")
        return f"{folder} has no class folders and no images"
    if all(sub.name in (*VARIANTS, "raw", KAGGLE_FOLDER) for sub in subs):
        names = ", ".join(sub.name for sub in subs)
        return f"{folder} holds only data-set variant folders ({names}), not class folders"
    if not any(_images_in(sub) for sub in subs):
        names = ", ".join(sub.name for sub in subs[:3]) + (", ..." if len(subs) > 3 else "")
        return (f"{folder} has {len(subs)} subfolders ({names}) but zero images directly in them "
                f"(image types read: {', '.join(sorted(IMAGE_EXTENSIONS))}); if the class folders are "
                "one level deeper, pass that folder")
    return None


def candidate_folders(root: Path, variant: str = "color") -> list[Path]:
    """The folders :func:`find_plantvillage` tries under ``root``, in order."""
    return [root / KAGGLE_FOLDER / variant, root / "raw" / variant, root / variant, root]


def default_root() -> Path:
    """Where the full data set is expected: ``data/plantvillage`` (``COURSE_DATA_DIR`` moves it)."""
    return config.data_dir() / "plantvillage"


def find_plantvillage(root: str | Path | None = None, variant: str = "color") -> Path:
    """Return the folder whose subfolders are the classes, from any of the usual layouts.

    ``root`` defaults to ``data/plantvillage``; ``variant`` picks ``color`` (default),
    ``grayscale`` or ``segmented`` where the layout has them. Raises
    :class:`DataNotFoundError` naming every folder looked in and how to get the data, or
    :class:`DataLayoutError` when a folder exists but does not hold class folders of images.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    root = Path(root).expanduser() if root is not None else default_root()
    candidates = candidate_folders(root, variant)
    problems: list[str] = []
    for folder in candidates:
        if not folder.is_dir():
            continue
        problem = _image_folder_problem(folder)
        if problem is None:
            return folder
        problems.append(problem)
    looked = "\n".join(f"  - {folder}" for folder in candidates)
    if root.is_dir():
        others = [v for v in VARIANTS if v != variant and any(
            (root / sub / v).is_dir() for sub in (KAGGLE_FOLDER, "raw", "."))]
        hint = f" (variants present: {', '.join(others)}; pass variant=...)" if others else ""
        raise DataLayoutError(
            f"PlantVillage ({variant}) found no class folders of images under {root}{hint}.\n"
            f"Looked in:\n{looked}\nWhat was there:\n" + "\n".join(f"  - {p}" for p in problems)
            + "\nExpected <folder>/<class name>/<image>.jpg, e.g. "
            f"{root / KAGGLE_FOLDER / variant / 'Tomato___healthy'}/<image>.jpg.\n{HOW_TO_GET}"
        )
    raise DataNotFoundError(
        f"PlantVillage not found: {root} does not exist.\nLooked in:\n{looked}\n{HOW_TO_GET}"
    )


def mini_root() -> Path | None:
    """The course team's tiny real subset (``../shared/data/plantvillage-mini/color``), if present."""
    shared = config.shared_data_dir()
    if shared is None:
        return None
    try:
        return find_plantvillage(shared / "plantvillage-mini")
    except DataNotFoundError:
        return None


def tiny_plantvillage_root() -> Path:
    """The generated tiny set (38 classes of drawn leaves), made on first use under ``data/tiny``."""
    return ensure_tiny(config.data_dir()) / "plantvillage" / "color"


def plantvillage_root(variant: str = "color") -> tuple[Path, str]:
    """The best PlantVillage copy here and where it came from: ``(folder, source)``.

    ``source`` is ``"local"`` (``data/plantvillage``, the full set), ``"mini"``
    (``../shared/data/plantvillage-mini``) or ``"tiny"`` (generated). Smoke mode skips
    the full set: mini if present, else tiny.
    """
    if not config.is_smoke():
        try:
            return find_plantvillage(None, variant), "local"
        except DataNotFoundError as error:
            log.warning("Full PlantVillage not used: %s", str(error).splitlines()[0])
    mini = mini_root()
    if mini is not None:
        return mini, "mini"
    return tiny_plantvillage_root(), "tiny"


def class_counts(root: str | Path | None = None) -> pd.Series:
    """Images per class (index: class name, in label order)."""
    folder = Path(root) if root is not None else plantvillage_root()[0]
    files, labels, classes = scan_images(find_plantvillage(folder))
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(classes))
    return pd.Series(counts, index=pd.Index(classes, name="class"), name="images")


# --- Images and transforms ----------------------------------------------------------------------


def load_image(path: str | Path, image_size: int | None = IMAGE_SIZE) -> Image.Image:
    """Open any image as RGB (alpha composited on white), resized to ``image_size`` squared."""
    with Image.open(path) as image:
        if image_size is not None and image.format == "JPEG":
            image.draft("RGB", (image_size, image_size))  # decode JPEGs at a reduced scale: faster
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            rgb = Image.new("RGB", rgba.size, (255, 255, 255))
            rgb.paste(rgba, mask=rgba.getchannel("A"))
        else:
            rgb = image.convert("RGB")  # forces the full decode: a broken file fails here
    if image_size is not None and rgb.size != (image_size, image_size):
        rgb = rgb.resize((image_size, image_size), Image.Resampling.BILINEAR)
    return rgb


class ToNormalizedTensor:
    """PIL RGB image -> float tensor (3, H, W), normalised by ``MEAN``/``STD``.

    The same numbers as ``ToTensor()`` + ``Normalize(MEAN, STD)``, computed in NumPy in one
    pass: torch's small-tensor ops in the main process fight for threads on a busy CPU
    and were 30x slower there.
    """

    def __init__(self, mean: Sequence[float] = MEAN, std: Sequence[float] = STD) -> None:
        self.mean = np.asarray(mean, dtype=np.float32) * 255
        self.scale = 1.0 / (np.asarray(std, dtype=np.float32) * 255)

    def __call__(self, image: Image.Image) -> torch.Tensor:
        array = (np.asarray(image.convert("RGB"), dtype=np.float32) - self.mean) * self.scale
        return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={MEAN}, std={STD})"


def eval_transform() -> Callable:
    """PIL image -> normalised tensor (no randomness): validation, test and prediction."""
    return transforms.Compose([ToNormalizedTensor()])


def augmentations(augment: bool = True, rotations: bool = False) -> list[Callable]:
    """The random PIL transforms behind :func:`train_transform` (flips, colour jitter, rotations)."""
    steps: list[Callable] = []
    if augment:
        steps += [
            transforms.RandomHorizontalFlip(),
            transforms.RandomVerticalFlip(),
            # no hue shift: a disease shows as yellow or brown, and hue jitter was 4x the cost of the rest
            transforms.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2),
        ]
    if rotations:
        steps.append(transforms.RandomRotation(30, fill=(127, 127, 127)))
    return steps


def train_transform(augment: bool = False, rotations: bool = False) -> Callable:
    """Training transform: optional flips + colour jitter and random rotations (±30°), then normalise."""
    return transforms.Compose([*augmentations(augment, rotations), eval_transform()])


def denormalize(tensor: torch.Tensor) -> torch.Tensor:
    """Undo :func:`eval_transform`'s normalisation (for showing images), clipped to [0, 1]."""
    mean = torch.tensor(MEAN).view(-1, 1, 1)
    std = torch.tensor(STD).view(-1, 1, 1)
    return (tensor * std + mean).clamp(0, 1)


# --- The data set -------------------------------------------------------------------------------


class PlantVillageDataset(Dataset):
    """An ImageFolder that survives bad files.

    Every image is opened lazily, converted to RGB and resized to ``image_size``. A file
    that cannot be read (corrupt, truncated, not an image) triggers a
    :class:`BadImageWarning` naming it, and the next readable image of the same class is
    returned instead, so an epoch never crashes on one broken file.
    """

    def __init__(self, root: str | Path, files: Sequence[str] | None = None,
                 classes: Sequence[str] | None = None, transform: Callable | None = None,
                 image_size: int = IMAGE_SIZE) -> None:
        self.root = Path(root)
        if files is None:
            files, _, found = scan_images(self.root)
            classes = classes or found
        if classes is None:
            classes = sorted({Path(f).parts[0] for f in files})
        self.classes = list(classes)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.files = list(files)
        try:
            self.targets = [self.class_to_idx[Path(f).parts[0]] for f in self.files]
        except KeyError as error:
            raise ValueError(f"file of unknown class {error} (classes: {self.classes})") from None
        self.transform = transform if transform is not None else eval_transform()
        self.image_size = image_size
        self.bad_files: set[str] = set()
        self._by_label: dict[int, list[int]] = {}
        for index, label in enumerate(self.targets):
            self._by_label.setdefault(label, []).append(index)

    def __len__(self) -> int:
        return len(self.files)

    def _load(self, index: int) -> Image.Image | None:
        name = self.files[index]
        if name in self.bad_files:
            return None
        try:
            return load_image(self.root / name, self.image_size)
        except Exception as error:  # PIL raises OSError, ValueError, SyntaxError...: all mean "skip it"
            self.bad_files.add(name)
            warnings.warn(f"Skipping unreadable image {self.root / name}: {type(error).__name__}: "
                          f"{error}", BadImageWarning, stacklevel=3)
            return None

    def _substitutes(self, index: int) -> Iterable[int]:
        """The other images of the same class after ``index``, then any other image."""
        same = self._by_label[self.targets[index]]
        start = same.index(index)
        yield from same[start + 1:] + same[:start]
        n = len(self.files)
        label = self.targets[index]
        yield from (i for i in ((index + k) % n for k in range(1, n)) if self.targets[i] != label)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self._load(index)
        if image is None:
            for tried, other in enumerate(self._substitutes(index)):
                if tried >= 100:
                    break
                image = self._load(other)
                if image is not None:
                    index = other
                    break
            if image is None:
                raise RuntimeError(f"No readable image found near {self.root / self.files[index]}: "
                                   f"{len(self.bad_files)} bad files so far; check the data folder")
        return self.transform(image), self.targets[index]


# --- The split ----------------------------------------------------------------------------------


def _class_seed(seed: int, name: str) -> np.random.Generator:
    """A generator per class from the seed and the class name (independent of other classes)."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def _split_counts(n: int, fractions: Sequence[float]) -> tuple[int, int, int]:
    """How many of a class's ``n`` images go to train/val/test: 1-2 images stay in train."""
    if n < 3:
        return n, 0, 0
    val, test = (max(1, math.floor(n * f + 0.5)) if f > 0 else 0 for f in fractions[1:3])
    while val + test >= n:  # keep at least one training image
        if test >= val and test > 0:
            test -= 1
        else:
            val -= 1
    return n - val - test, val, test


def fingerprint(files: Sequence[str]) -> str:
    """A short hash of the sorted file list: a split is reused only for the same files."""
    return hashlib.sha256("\n".join(sorted(files)).encode("utf-8")).hexdigest()[:16]


def make_split(root: str | Path, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42,
               path: str | Path | None = None, save: bool = True) -> dict[str, Any]:
    """A stratified, deterministic train/val/test split of the ImageFolder ``root``.

    Each class is shuffled with its own generator (seed + class name) and cut by
    ``fractions``; classes of 1-2 images go entirely to train. The split (relative file
    paths and class names) is saved as JSON to ``path`` (default :func:`split_path`)
    unless ``save=False``.
    """
    if len(fractions) != 3 or not np.isclose(sum(fractions), 1.0) or min(fractions) < 0:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    root = Path(root)
    files, labels, classes = scan_images(root)
    if not files:
        raise DataLayoutError(f"{root} has no images to split")
    parts: dict[str, list[str]] = {name: [] for name in SPLIT_NAMES}
    by_class: dict[int, list[str]] = {}
    for name, label in zip(files, labels, strict=True):
        by_class.setdefault(label, []).append(name)
    for label, names in by_class.items():
        order = _class_seed(seed, classes[label]).permutation(len(names))
        shuffled = [names[i] for i in order]
        n_train, n_val, _ = _split_counts(len(names), fractions)
        parts["train"] += shuffled[:n_train]
        parts["val"] += shuffled[n_train:n_train + n_val]
        parts["test"] += shuffled[n_train + n_val:]
    split = {
        "version": 1, "root": str(root), "seed": seed, "fractions": list(fractions),
        "classes": classes, "fingerprint": fingerprint(files), "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        **{name: sorted(parts[name]) for name in SPLIT_NAMES},
    }
    if save:
        split["path"] = str(save_split(split, path or split_path(root, fractions, seed)))
    return split


def split_path(root: str | Path, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42) -> Path:
    """Where the split of ``root`` is saved: ``data/splits/<folder>-<hash>-seed42-80-10-10.json``.

    Under the course's data folder rather than next to the images, because the images
    may sit on a read-only volume (``../shared``, a hub's data mount).
    """
    resolved = Path(root).resolve()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(resolved.parts[-2:])).strip("_") or "data"
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:8]
    cuts = "-".join(str(round(100 * f)) for f in fractions)
    return config.data_dir() / "splits" / f"{slug}-{digest}-seed{seed}-{cuts}.json"


def save_split(split: dict[str, Any], path: str | Path) -> Path:
    """Write a split as JSON, atomically (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {key: value for key, value in split.items() if key != "path"}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_split(path: str | Path) -> dict[str, Any]:
    """Read a split saved by :func:`make_split` (checks its keys)."""
    path = Path(path)
    try:
        split = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"No split file at {path}; make one with make_split(root)") from None
    missing = [key for key in ("classes", *SPLIT_NAMES) if key not in split]
    if missing:
        raise ValueError(f"{path} is not a split file (missing {', '.join(missing)})")
    split["path"] = str(path)
    return split


def split_for(root: str | Path, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42,
              path: str | Path | None = None) -> dict[str, Any]:
    """The saved split of ``root`` when it matches the files there, else a new one (saved)."""
    root = Path(root)
    path = Path(path) if path is not None else split_path(root, fractions, seed)
    if path.exists():
        try:
            split = load_split(path)
            files, _, _ = scan_images(root)
            if split.get("fingerprint") == fingerprint(files):
                return split
            log.warning("The files in %s changed since %s was made: making a new split", root, path)
        except (ValueError, json.JSONDecodeError) as error:
            log.warning("Ignoring unreadable split file %s (%s): making a new one", path, error)
    return make_split(root, fractions, seed, path=path)


# --- Data sets and loaders ----------------------------------------------------------------------


def plantvillage_datasets(
    root: str | Path | None = None, image_size: int = IMAGE_SIZE, augment: bool = False,
    rotations: bool = False, *, variant: str = "color", fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seed: int = 42, split_file: str | Path | None = None,
) -> tuple[PlantVillageDataset, PlantVillageDataset, PlantVillageDataset, list[str]]:
    """Train / validation / test data sets over the saved split, and the class names.

    ``root`` may be any of the layouts :func:`find_plantvillage` accepts (default: the
    best copy from :func:`plantvillage_root`). Only the training set is augmented. Each
    data set carries ``.source`` (local/mini/tiny/custom) and ``.split_file``.
    """
    if root is None:
        folder, source = plantvillage_root(variant)
    else:
        folder, source = find_plantvillage(root, variant), "custom"
    split = split_for(folder, fractions, seed, split_file)
    classes = split["classes"]
    sets = []
    for name in SPLIT_NAMES:
        transform = train_transform(augment, rotations) if name == "train" else eval_transform()
        dataset = PlantVillageDataset(folder, split[name], classes, transform, image_size)
        dataset.source, dataset.split_file, dataset.split_name = source, split["path"], name
        sets.append(dataset)
    return sets[0], sets[1], sets[2], list(classes)


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def plantvillage_loaders(
    batch_size: int = 32, root: str | Path | None = None, augment: bool = False, rotations: bool = False,
    device: torch.device | None = None, workers: int | None = None, *, image_size: int = IMAGE_SIZE,
    variant: str = "color", seed: int = 42, split_file: str | Path | None = None,
    distributed: bool | None = None,
) -> tuple[DataLoader, DataLoader, DataLoader, list[str]]:
    """Train (shuffled) / validation / test loaders and the class names, tuned by ``make_loader``.

    In a ``torchrun`` job (``distributed`` defaults to whether one is running) every
    loader gets a ``DistributedSampler``, so each process sees its own share.
    """
    train, val, test, classes = plantvillage_datasets(root, image_size, augment, rotations,
                                                      variant=variant, seed=seed, split_file=split_file)
    distributed = _distributed() if distributed is None else distributed
    loaders = []
    for dataset, shuffle in ((train, True), (val, False), (test, False)):
        sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed) if distributed else None
        loaders.append(make_loader(dataset, batch_size, shuffle=shuffle, device=device,
                                   workers=workers, sampler=sampler))
    return loaders[0], loaders[1], loaders[2], classes


def loader_throughput(loader: Iterable, batches: int = 20, warmup: int = 1) -> dict[str, float]:
    """Images per second that ``loader`` delivers, timed over ``batches`` batches after ``warmup``.

    The warm-up batches (worker start, first file reads) are not timed. Returns
    ``images_per_s``, ``batches``, ``images``, ``seconds``.
    """
    iterator = iter(loader)
    for _ in range(warmup):
        next(iterator, None)
    images, timed = 0, 0
    started = time.perf_counter()
    for inputs, _ in iterator:
        images += len(inputs)
        timed += 1
        if timed >= batches:
            break
    seconds = time.perf_counter() - started
    return {"images_per_s": images / seconds if seconds > 0 else float("nan"),
            "batches": timed, "images": images, "seconds": seconds}


def bench_loader(root: str | Path | None = None, batch_size: int = 64, batches: int = 20,
                 workers: int | None = None, image_size: int = IMAGE_SIZE, augment: bool = False,
                 device: torch.device | None = None) -> dict[str, Any]:
    """Throughput of the PlantVillage training loader as the course builds it (for ``helpers.bench``)."""
    train, _, _, _ = plantvillage_loaders(batch_size, root, augment=augment, device=device,
                                          workers=workers, image_size=image_size, distributed=False)
    result = loader_throughput(train, batches=batches)
    dataset = train.dataset
    result.update(workers=train.num_workers, batch_size=batch_size, image_size=image_size,
                  augment=augment, pin_memory=train.pin_memory, source=getattr(dataset, "source", "?"),
                  folder=str(dataset.root), train_images=len(dataset))
    return result


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
