"""Finding PlantVillage on this machine: the accepted layouts, the fallbacks, listing the images.

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
notebook runs on a fresh clone.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from helpers import config
from helpers.data.errors import DataLayoutError, DataNotFoundError
from helpers.data.tiny import ensure_tiny
from helpers.i18n import mark, tr

log = logging.getLogger(__name__)

T = TypeVar("T")

VARIANTS = ("color", "grayscale", "segmented")
KAGGLE_FOLDER = "plantvillage dataset"
KAGGLE_DATASET = "abdallahhalidev/plantvillage-dataset"
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
EXPECTED_IMAGES = 54_305
"""Colour images in the full data set (the data set's own count)."""
EXPECTED_CLASSES = 38
EXPECTED_COUNTS = {
    "Apple___Apple_scab": 630, "Apple___Black_rot": 621, "Apple___Cedar_apple_rust": 275,
    "Apple___healthy": 1645, "Blueberry___healthy": 1502, "Cherry_(including_sour)___Powdery_mildew": 1052,
    "Cherry_(including_sour)___healthy": 854, "Corn_(maize)___Cercospora_leaf_spot Gray_leaf_spot": 513,
    "Corn_(maize)___Common_rust_": 1192, "Corn_(maize)___Northern_Leaf_Blight": 985,
    "Corn_(maize)___healthy": 1162, "Grape___Black_rot": 1180, "Grape___Esca_(Black_Measles)": 1383,
    "Grape___Leaf_blight_(Isariopsis_Leaf_Spot)": 1076, "Grape___healthy": 423,
    "Orange___Haunglongbing_(Citrus_greening)": 5507, "Peach___Bacterial_spot": 2297, "Peach___healthy": 360,
    "Pepper,_bell___Bacterial_spot": 997, "Pepper,_bell___healthy": 1478, "Potato___Early_blight": 1000,
    "Potato___Late_blight": 1000, "Potato___healthy": 152, "Raspberry___healthy": 371,
    "Soybean___healthy": 5090, "Squash___Powdery_mildew": 1835, "Strawberry___Leaf_scorch": 1109,
    "Strawberry___healthy": 456, "Tomato___Bacterial_spot": 2127, "Tomato___Early_blight": 1000,
    "Tomato___Late_blight": 1909, "Tomato___Leaf_Mold": 952, "Tomato___Septoria_leaf_spot": 1771,
    "Tomato___Spider_mites Two-spotted_spider_mite": 1676, "Tomato___Target_Spot": 1404,
    "Tomato___Tomato_Yellow_Leaf_Curl_Virus": 5357, "Tomato___Tomato_mosaic_virus": 373,
    "Tomato___healthy": 1591,
}
"""Colour images per class in the full set (the published per-class counts; they sum to 54,305)."""
MAJORITY_CLASS = "Orange___Haunglongbing_(Citrus_greening)"
MAJORITY_COUNT = 5_507
"""The largest class of the full colour set: 5,507 of 54,305 images = 10.1%."""
IMAGE_SIZE = 256
"""The side of PlantVillage's square images, and the size the course trains at by default."""

GET_FULL_SET = "python -m helpers.data download plantvillage"
"""The one command that fetches the full set into data/plantvillage (Hugging Face, no account; or Kaggle)."""
DATA_KINDS = ("full", "mini", "tiny")
"""What a PlantVillage copy can show: the full set, the team's mini set of real photos, generated leaves."""
_KIND_OF_SOURCE = {"local": "full", "custom": "full", "mini": "mini", "tiny": "tiny"}

HOW_TO_GET = mark(
    "Get it with `pip install -e \".[download]\"` and `python -m helpers.data download plantvillage` "
    "(Hugging Face's public copy mohanty/PlantVillage, no account needed; Kaggle second), or unpack "
    "the Hugging Face data.zip or the Kaggle archive "
    "https://www.kaggle.com/datasets/abdallahhalidev/plantvillage-dataset into data/plantvillage "
    "(README, section Data). Without it the notebooks use ../shared/data/plantvillage-mini or the "
    "generated tiny set."
)
"""How to get the full set (translated where it is shown; it names :data:`KAGGLE_DATASET`'s page)."""


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
            return (tr("{folder} holds {loose} images directly but no class folders: put each class's "
                       "images in a subfolder named after the class (e.g. Tomato___healthy/)",
                       folder=folder, loose=loose))
        return tr("{folder} has no class folders and no images", folder=folder)
    if all(sub.name in (*VARIANTS, "raw", KAGGLE_FOLDER) for sub in subs):
        names = ", ".join(sub.name for sub in subs)
        return tr("{folder} holds only data-set variant folders ({names}), not class folders",
                  folder=folder, names=names)
    if not any(_images_in(sub) for sub in subs):
        names = ", ".join(sub.name for sub in subs[:3]) + (", ..." if len(subs) > 3 else "")
        return (tr("{folder} has {len_subs} subfolders ({names}) but zero images directly in them (image "
                   "types read: {value}); if the class folders are one level deeper, pass that folder",
                   folder=folder, len_subs=len(subs), names=names,
                   value=", ".join(sorted(IMAGE_EXTENSIONS))))
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
        raise ValueError(tr("variant must be one of {variants}, not {variant!r}",
                            variants=", ".join(VARIANTS), variant=variant))
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
        hint = (tr(" (variants present: {others}; pass variant=...)", others=", ".join(others))
                if others else "")
        raise DataLayoutError(tr(
            "PlantVillage ({variant}) found no class folders of images under {root}{hint}.\n"
            "Looked in:\n{looked}\nWhat was there:\n{problems}\n"
            "Expected <folder>/<class name>/<image>.jpg, e.g. {example}/<image>.jpg.\n{how_to_get}",
            variant=variant, root=root, hint=hint, looked=looked,
            problems="\n".join(f"  - {p}" for p in problems),
            example=root / KAGGLE_FOLDER / variant / "Tomato___healthy", how_to_get=HOW_TO_GET))
    raise DataNotFoundError(
        tr("PlantVillage not found: {root} does not exist.\nLooked in:\n{looked}\n{how_to_get}",
           root=root, looked=looked, how_to_get=HOW_TO_GET)
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
    """The generated tiny set (38 classes of drawn leaves), made on first use under ``data/tiny``.

    It is written to the work folder (:func:`helpers.config.work_dir`), never to a shared data folder.
    """
    return ensure_tiny(config.work_dir()) / "plantvillage" / "color"


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


def data_kind(source: str) -> str:
    """``"full"``, ``"mini"`` or ``"tiny"`` for a data set's ``source`` (local, custom, mini, tiny)."""
    try:
        return _KIND_OF_SOURCE[source]
    except KeyError:
        raise ValueError(tr("unknown PlantVillage source {source!r}; expected one of {sources}",
                            source=source, sources=", ".join(_KIND_OF_SOURCE))) from None


def describe_data(folder: str | Path, source: str) -> str:
    """What a chapter runs on: which PlantVillage copy, what its numbers can show, how to get the full set."""
    kind = data_kind(source)
    if kind == "full":
        return (tr("Data: the full PlantVillage set ({folder}). Accuracies can be set against the "
                   "report's, which were measured on this set.", folder=folder))
    files, _, classes = scan_images(folder)
    size = tr("{len_files:,} images in {len_classes} classes, not the full set's {EXPECTED_IMAGES:,}",
              len_files=len(files), len_classes=len(classes), EXPECTED_IMAGES=EXPECTED_IMAGES)
    if kind == "mini":
        what = (tr("Data: the course team's mini set of real photos ({folder}; {size}). The chapter's "
                   "checks are set for this set: they show the mechanics, not the report's accuracies.",
                   folder=folder, size=size))
    else:
        what = (tr("Data: the generated tiny set of drawn leaves ({folder}; {size}). It runs the "
                   "chapter's code path; nothing it measures says anything about PlantVillage, so the "
                   "checks on what the model learns are skipped.", folder=folder, size=size))
    return (tr("{what}\nTo get the full set into {default_root}: `{command}` (after "
               "`pip install -e \".[download]\"`; no account needed; README, section Data), then run the "
               "chapter again.", what=what, default_root=default_root(), command=GET_FULL_SET))


def announce_data(variant: str = "color") -> str:
    """Print which PlantVillage copy this chapter runs on and how to get the full set; return its kind.

    The kind (``"full"``, ``"mini"`` or ``"tiny"``) is what budgets and thresholds are keyed to
    with :func:`pick_for_data`, besides ``COURSE_MODE``: a chapter never asserts full-data
    accuracies on a smaller copy.
    """
    folder, source = plantvillage_root(variant)
    print(describe_data(folder, source))
    return data_kind(source)


def pick_for_data(kind: str, *, full: T, mini: T, tiny: T) -> T:
    """The value for the data a chapter runs on (``kind`` from :func:`announce_data`)."""
    if kind not in DATA_KINDS:
        raise ValueError(tr("data kind must be one of {kinds}, not {kind!r}",
                            kinds=", ".join(DATA_KINDS), kind=kind))
    return {"full": full, "mini": mini, "tiny": tiny}[kind]


DRAWN_EPOCHS, DRAWN_BATCHES = 1, 2
"""A training budget on the drawn leaves: one epoch of two batches runs the code path (``drawn_budget``)."""


def drawn_budget(kind: str, epochs: int, max_batches: int | None) -> tuple[int, int | None]:
    """``(epochs, max_batches)`` for the data a chapter runs on: as given, except on the drawn leaves.

    On the generated tiny set (``kind == "tiny"``, a student's fresh clone) nothing a model learns
    says anything about PlantVillage and the chapters assert no conclusion from it, so more training
    teaches nothing: in quick mode a chapter trains :data:`DRAWN_EPOCHS` epoch of at most
    :data:`DRAWN_BATCHES` batches there, and says so. Full mode keeps its budgets (a GPU hub's runs of
    ``make runs`` are matched by their settings, epochs included).
    """
    if kind not in DATA_KINDS:
        raise ValueError(f"data kind must be one of {', '.join(DATA_KINDS)}, not {kind!r}")
    if kind != "tiny" or config.mode() == "full":
        return epochs, max_batches
    capped = DRAWN_BATCHES if max_batches is None else min(max_batches, DRAWN_BATCHES)
    epochs = min(epochs, DRAWN_EPOCHS)
    print(f"drawn leaves: {epochs} epoch of at most {capped} batches per training run (the code path; "
          "get the mini or the full set for runs that show something)")
    return epochs, capped
