"""Score a finished run on any folder of class subfolders: ``python -m helpers.evaluate RUN_DIR FOLDER``.

Examples::

    python -m helpers.evaluate runs/resnet_minimal ../shared/data/plantvillage-mini
    python -m helpers.evaluate runs/resnet_minimal ~/my_leaves --ignore-unknown --tta
    python -m helpers.evaluate runs/resnet_minimal data/plantvillage --max-images 2000 --device cuda

``FOLDER`` may be in any layout :func:`helpers.data.locate.find_plantvillage` accepts
(``plantvillage dataset/color/<class>/``, ``raw/color/<class>/``, ``color/<class>/`` or
``<class>/`` directly). Its class folders are matched to the run's classes by name: the exact
name, or else the same letters and digits ignoring case, spaces and punctuation (so the
Kaggle mirrors' ``Pepper__bell___Bacterial_spot`` or ``Tomato_Spider_mites_Two_spotted_spider_mite``
are found), but only when that loose key belongs to exactly one of the run's classes. A class
folder the run never learnt is an error that lists them (``--ignore-unknown`` skips their
images); classes the run knows but the folder lacks are fine.

Every image goes through what the run's validation images went through: RGB, transparency on
white, resized to the size the run was trained at, the run's normalisation
(:func:`helpers.runs.load_run`). Files that cannot be read are skipped and named. The command
prints accuracy, balanced accuracy and macro-F1 (every class weighs the same: PlantVillage's classes
hold 152 to 5,507 images), top-5 accuracy, per-class accuracy with support and two majority baselines,
and writes ``RUN_DIR/evaluations/<folder>-<hash>.csv`` (per class) and ``.json`` (summary,
settings, counts). The same in Python: :func:`evaluate_run`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset

from helpers import config, engine, metrics
from helpers.checkpoint import CheckpointError
from helpers.data.datasets import load_image
from helpers.data.errors import DataNotFoundError
from helpers.data.loaders import make_loader, representative_indices
from helpers.data.locate import VARIANTS, find_plantvillage, scan_images
from helpers.data.transforms import ToNormalizedTensor
from helpers.predict import DeviceNotAvailableError, usable_device
from helpers.runs import RESULTS_NAME, Run, load_run

EVALUATIONS = "evaluations"
"""The folder inside a run directory that receives the evaluation files."""
TOP_K = 5
"""Top-k accuracy is reported for this k (or all classes, when the run has fewer)."""


class EvaluationError(ValueError):
    """The folder cannot be scored with this run (nothing readable, classes that do not match, ...)."""


class UnknownClassesError(EvaluationError):
    """The folder has class folders the run never learnt; the message lists them."""


# --- Matching the folder's classes to the run's -------------------------------------------------


def loose_key(name: str) -> str:
    """A class name reduced to lower-case letters and digits: ``Pepper,_bell`` and ``pepper__bell`` agree."""
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


@dataclass
class ClassMatch:
    """How a folder's class names map onto a run's classes."""

    labels: dict[str, int]
    """Folder class name -> index of the run's class."""
    renamed: dict[str, str]
    """Folder class names matched by :func:`loose_key`, not exactly -> the run's name."""
    unknown: list[str]
    """Folder classes the run never learnt."""
    missing: list[str]
    """The run's classes with no folder here (fine: they are simply not scored)."""


def match_classes(folder_classes: Sequence[str], run_classes: Sequence[str]) -> ClassMatch:
    """Match folder names to the run's class names: exactly, else by a loose key that is unambiguous.

    A loose key (:func:`loose_key`) shared by two of the run's classes is never used, so a
    loose match can only find the one class that spells the same letters and digits.
    """
    exact = {name: i for i, name in enumerate(run_classes)}
    keys = Counter(loose_key(name) for name in run_classes)
    loose = {loose_key(name): i for i, name in enumerate(run_classes) if keys[loose_key(name)] == 1}
    labels: dict[str, int] = {}
    renamed: dict[str, str] = {}
    unknown: list[str] = []
    for name in folder_classes:
        if name in exact:
            labels[name] = exact[name]
        elif loose_key(name) in loose:
            labels[name] = loose[loose_key(name)]
            renamed[name] = run_classes[labels[name]]
        else:
            unknown.append(name)
    found = set(labels.values())
    missing = [name for i, name in enumerate(run_classes) if i not in found]
    return ClassMatch(labels, renamed, unknown, missing)


def unknown_classes_message(unknown: dict[str, int], run_classes: Sequence[str], folder: Path,
                            run_dir: Path, listed: int = 20) -> str:
    """One paragraph: which class folders the run never learnt, the closest names, and what to do."""
    parts = []
    for name, count in list(unknown.items())[:listed]:
        close = get_close_matches(name, run_classes, n=1, cutoff=0.6)
        hint = f", closest known: {close[0]}" if close else ""
        parts.append(f"{name} ({count} image{'s' * (count != 1)}{hint})")
    more = f" and {len(unknown) - listed} more" if len(unknown) > listed else ""
    images = sum(unknown.values())
    return (
        f"{folder} has {len(unknown)} class folder{'s' * (len(unknown) != 1)} that the run in {run_dir} "
        f"never learnt: {'; '.join(parts)}{more}. The run knows {len(run_classes)} classes "
        f"(e.g. {', '.join(run_classes[:3])}); class folders are matched by exact name, or ignoring "
        "case, spaces and punctuation. Rename those folders to the run's class names, or pass "
        f"--ignore-unknown (ignore_unknown=True in Python) to skip their {images} "
        f"image{'s' * (images != 1)} and score the rest."
    )


# --- Reading the images -------------------------------------------------------------------------


class FolderImages(Dataset):
    """A folder's images, each read like a validation image; an unreadable file gives its error instead."""

    def __init__(self, root: Path, files: Sequence[str], targets: Sequence[int], image_size: int,
                 mean: Sequence[float], std: Sequence[float], decoder: str = "draft") -> None:
        self.root = Path(root)
        self.decoder = decoder
        self.files = list(files)
        self.targets = list(targets)
        self.image_size = image_size
        self.to_tensor = ToNormalizedTensor(mean, std)

    def __len__(self) -> int:
        return len(self.files)

    @property
    def sample_bytes(self) -> int:
        """Bytes of one image as a float32 tensor (for the loader's shared-memory sizing)."""
        return 3 * self.image_size**2 * 4

    def __getitem__(self, index: int) -> tuple[torch.Tensor | None, int, int, str | None]:
        try:
            image = load_image(self.root / self.files[index], self.image_size, self.decoder)
        except Exception as error:  # PIL raises OSError, ValueError, SyntaxError...: all mean "skip it"
            return None, self.targets[index], index, f"{type(error).__name__}: {error}"
        return self.to_tensor(image), self.targets[index], index, None


def collate_readable(items: list[tuple[torch.Tensor | None, int, int, str | None]]) -> dict[str, Any]:
    """A batch of the readable images, with the indices and errors of the others."""
    good = [item for item in items if item[0] is not None]
    return {
        "inputs": torch.stack([item[0] for item in good]) if good else None,
        "targets": torch.tensor([item[1] for item in good], dtype=torch.long),
        "indices": torch.tensor([item[2] for item in good], dtype=torch.long),
        "bad": [(item[2], item[3]) for item in items if item[0] is None],
    }


@torch.no_grad()
def predict_folder(model: nn.Module, loader: Any, device: torch.device, *, tta: bool = False,
                   precision: str = "auto") -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, str]]]:
    """``(indices, probabilities, bad files)`` for every image of a :class:`FolderImages` loader.

    With ``tta`` the probabilities are the mean over the image and its three flips
    (:data:`helpers.engine.TTA_VIEWS`).
    """
    model.eval()
    precision = engine.resolve_precision(precision, device)
    channels_last = engine.resolve_channels_last(None, device)
    views = list(engine.TTA_VIEWS.values()) if tta else []
    indices, probs, bad = [], [], []
    for batch in loader:
        bad += batch["bad"]
        if batch["inputs"] is None:
            continue
        inputs = batch["inputs"].to(device, non_blocking=True)
        if channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        p, _ = engine.view_probabilities(model, inputs, views, precision, device)
        probs.append(p.cpu())
        indices.append(batch["indices"])
    if not probs:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0), bad
    return torch.cat(indices), torch.cat(probs), bad


# --- The evaluation -----------------------------------------------------------------------------


@dataclass
class Evaluation:
    """What :func:`evaluate_run` measured: a summary, a per-class table and one row per image."""

    summary: dict[str, Any]
    per_class: pd.DataFrame
    predictions: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        """Top-1 accuracy on the images scored."""
        return float(self.summary["accuracy"])

    def report(self) -> str:
        """The printed summary: accuracy, top-5, baselines, per-class table, skipped files."""
        return format_report(self)


def folder_slug(folder: Path) -> str:
    """A file name for a folder: its last two path parts and a short hash of its full path."""
    resolved = Path(folder).resolve()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(resolved.parts[-2:])).strip("-._") or "folder"
    return f"{slug}-{hashlib.sha256(str(resolved).encode('utf-8')).hexdigest()[:6]}"


def _training_majority(run: Run) -> tuple[int | None, str]:
    """The run's training-majority class (index) and where that came from."""
    baselines = (run.results or {}).get("baselines") or {}
    if isinstance(baselines.get("majority_class"), int):
        return baselines["majority_class"], RESULTS_NAME
    split_file = run.settings.get("split_file")
    try:
        split = json.loads(Path(split_file).read_text(encoding="utf-8")) if split_file else None
    except (OSError, json.JSONDecodeError):
        split = None
    if not split or not split.get("train"):
        return None, f"unknown (no {RESULTS_NAME} baselines or split file)"
    index = {name: i for i, name in enumerate(run.class_names)}
    counts = Counter(index.get(Path(f).parts[0]) for f in split["train"])
    counts.pop(None, None)
    return (counts.most_common(1)[0][0], "split file") if counts else (None, "unknown")


def _trained_on(run: Run, root: Path, files: Sequence[str]) -> dict[str, int] | None:
    """How many of ``files`` were in the run's train/val/test split, if ``root`` is the run's data folder."""
    data = run.settings.get("data")
    if not data or Path(data).resolve() != root.resolve():
        return None
    try:
        split = json.loads(Path(run.settings.get("split_file", "")).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, TypeError):
        return {"unknown": len(files)}
    wanted = set(files)
    return {name: len(wanted.intersection(split.get(name, []))) for name in ("train", "val", "test")}


def _per_class(run: Run, targets: np.ndarray, predicted: np.ndarray, in_top: np.ndarray,
               folder_names: dict[int, list[str]]) -> pd.DataFrame:
    """Support, correct, accuracy, top-k accuracy and the most frequent mistake of each class present."""
    rows = []
    for label in sorted(set(targets.tolist())):
        mine = targets == label
        wrong = Counter(predicted[mine & (predicted != label)].tolist()).most_common(1)
        rows.append({
            "class": run.class_names[label], "folder": "; ".join(folder_names.get(label, [])),
            "support": int(mine.sum()), "correct": int((predicted[mine] == label).sum()),
            "accuracy": float((predicted[mine] == label).mean()), "top5_accuracy": float(in_top[mine].mean()),
            "most_taken_for": run.class_names[wrong[0][0]] if wrong else "",
            "times_taken_for_it": wrong[0][1] if wrong else 0,
        })
    return pd.DataFrame(rows)


def evaluate_run(
    run: Run | str | Path,
    folder: str | Path,
    *,
    batch_size: int = 64,
    device: str | torch.device | None = None,
    workers: int | None = None,
    max_images: int | None = None,
    seed: int = 0,
    tta: bool = False,
    ignore_unknown: bool = False,
    variant: str = "color",
    precision: str = "auto",
    save: bool = True,
) -> Evaluation:
    """Score a run (its directory, or a :class:`helpers.runs.Run`) on every image of ``folder``.

    ``folder`` may be any layout :func:`find_plantvillage` accepts; its class folders are
    matched to the run's classes (:func:`match_classes`). Images are read at the run's image
    size with its normalisation. ``max_images`` scores a seeded, stratified sample
    (:func:`helpers.data.loaders.representative_indices`), never the first files of a sorted
    list. ``tta`` averages the four flips of each image. Raises :class:`UnknownClassesError`
    when the folder has classes the run never learnt (unless ``ignore_unknown``), and
    :class:`EvaluationError` when nothing can be scored. With ``save`` the per-class CSV and
    the summary JSON go to ``RUN_DIR/evaluations/``.
    """
    started, started_at = time.perf_counter(), time.strftime("%Y-%m-%dT%H:%M:%S")
    if max_images is not None and max_images < 1:
        raise EvaluationError(f"max_images must be at least 1, not {max_images}")
    if batch_size < 1:
        raise EvaluationError(f"batch_size must be at least 1, not {batch_size}")
    run, device = _open_run(run, device)
    images = _known_images(run, find_plantvillage(Path(folder).expanduser(), variant), ignore_unknown)
    dataset = _sample(images, run, max_images, seed)
    loader = make_loader(dataset, batch_size, device=device, workers=workers, collate_fn=collate_readable)
    indices, probs, bad = predict_folder(run.model, loader, device, tta=tta, precision=precision)
    bad_files = sorted((dataset.files[i], reason) for i, reason in bad)
    if len(indices) == 0:
        raise EvaluationError(f"None of the {len(dataset)} images chosen in {images.root} could be read "
                              f"(first: {bad_files[0][0]}: {bad_files[0][1]})")
    scored = _score(run, dataset, images.match, indices, probs)
    summary = _summary(run, images, scored, dataset, bad_files, folder=folder, variant=variant)
    elapsed = time.perf_counter() - started
    summary["settings"] = {
        "image_size": run.image_size, "mean": list(run.mean), "std": list(run.std), "batch_size": batch_size,
        "device": str(device), "workers": loader.num_workers,
        "precision": engine.resolve_precision(precision, device), "tta": tta,
        "tta_views": 1 + len(engine.TTA_VIEWS) if tta else 1, "max_images": max_images, "seed": seed,
        "ignore_unknown": ignore_unknown}
    summary.update(started_at=started_at, wall_time_s=elapsed,
                   images_per_s=scored.images / elapsed if elapsed > 0 else None, torch=torch.__version__)
    evaluation = Evaluation(summary, scored.per_class, scored.predictions)
    if save:
        try:
            evaluation.files = save_evaluation(evaluation, run.run_dir, images.root)
        except OSError as error:  # e.g. a run on a read-only volume: the numbers are still printed
            summary["not_saved"] = f"could not write to {Path(run.run_dir) / EVALUATIONS}: {error}"
    return evaluation


def _open_run(run: Run | str | Path, device: str | torch.device | None) -> tuple[Run, torch.device]:
    """The run (loaded from its folder when a path is given) and the device its model is on."""
    if isinstance(run, Run):
        if device is not None:
            run.model.to(usable_device(device))
        param = next(run.model.parameters(), None)
        return run, param.device if param is not None else torch.device("cpu")
    device = usable_device(config.resolve_device(device))
    return load_run(run, device=device), device


@dataclass
class _KnownImages:
    """A folder's images of the classes the run knows, and what was left out."""

    root: Path
    match: ClassMatch
    all_files: list[str]
    folder_classes: list[str]
    unknown_counts: Counter
    files: list[str]
    targets: list[int]


def _known_images(run: Run, root: Path, ignore_unknown: bool) -> _KnownImages:
    """Every image of ``root`` whose class folder matches one of the run's classes, labelled with the
    run's class index; :class:`UnknownClassesError` for other classes unless ``ignore_unknown``."""
    all_files, folder_labels, folder_classes = scan_images(root)
    match = match_classes(folder_classes, run.class_names)
    names = [folder_classes[label] for label in folder_labels]
    unknown_counts = Counter(name for name in names if name in match.unknown)
    if match.unknown and not ignore_unknown:
        raise UnknownClassesError(unknown_classes_message(
            {name: unknown_counts[name] for name in match.unknown}, run.class_names, root, run.run_dir))
    kept = [(file, match.labels[name]) for file, name in zip(all_files, names, strict=True)
            if name in match.labels]
    if not kept:
        raise EvaluationError(f"None of the {len(all_files)} images in {root} belongs to a class the run in "
                              f"{run.run_dir} knows ({len(folder_classes)} class folders, none matching): "
                              "nothing to score")
    files, targets = (list(column) for column in zip(*kept, strict=True))
    return _KnownImages(root, match, all_files, folder_classes, unknown_counts, files, targets)


def _sample(images: _KnownImages, run: Run, max_images: int | None, seed: int) -> FolderImages:
    """The images to score: all, or a seeded stratified sample of ``max_images``."""
    dataset = FolderImages(images.root, images.files, images.targets, run.image_size, run.mean, run.std,
                           run.decoder)
    if max_images is None or max_images >= len(dataset):
        return dataset
    sample = np.sort(representative_indices(dataset, max_images, seed))
    return FolderImages(images.root, [images.files[i] for i in sample], [images.targets[i] for i in sample],
                        run.image_size, run.mean, run.std, run.decoder)


@dataclass
class _Scored:
    """The predictions on the images that could be read, in file order."""

    y_true: np.ndarray
    y_pred: np.ndarray
    in_top: np.ndarray
    top_k: int
    per_class: pd.DataFrame
    predictions: pd.DataFrame

    @property
    def images(self) -> int:
        return len(self.y_true)


def _score(run: Run, dataset: FolderImages, match: ClassMatch, indices: torch.Tensor,
           probs: torch.Tensor) -> _Scored:
    """Top-1 and top-k predictions against the labels: per class and per image."""
    order = indices.argsort()
    indices, probs = indices[order].numpy(), probs[order]
    y_true = np.asarray(dataset.targets)[indices]
    k = min(TOP_K, len(run.class_names))
    top = probs.topk(k, dim=1).indices.numpy()
    y_pred = top[:, 0]
    in_top = (top == y_true[:, None]).any(axis=1)
    folder_names: dict[int, list[str]] = {}
    for name, label in match.labels.items():
        folder_names.setdefault(label, []).append(name)
    predictions = pd.DataFrame({
        "file": [dataset.files[i] for i in indices], "true": [run.class_names[t] for t in y_true],
        "predicted": [run.class_names[p] for p in y_pred],
        "probability": probs.gather(1, torch.as_tensor(y_pred)[:, None]).squeeze(1).numpy(),
        "correct": y_pred == y_true,
    })
    return _Scored(y_true, y_pred, in_top, k, _per_class(run, y_true, y_pred, in_top, folder_names),
                   predictions)


def _summary(run: Run, images: _KnownImages, scored: _Scored, dataset: FolderImages,
             bad_files: list[tuple[str, str]], *, folder: str | Path, variant: str) -> dict[str, Any]:
    """Accuracy, top-k, baselines, what was scored and what was left out (the settings come after)."""
    y_true, y_pred, n = scored.y_true, scored.y_pred, scored.images
    counts = np.bincount(y_true, minlength=len(run.class_names))
    balanced = metrics.scores(metrics.confusion_matrix(y_true, y_pred, len(run.class_names)))
    majority, majority_source = _training_majority(run)
    match, unknown_counts = images.match, images.unknown_counts
    return {
        "accuracy": float((y_pred == y_true).mean()), "correct": int((y_pred == y_true).sum()),
        "balanced_accuracy": balanced["balanced_accuracy"], "macro_f1": balanced["macro_f1"],
        "classes_scored": int((counts > 0).sum()),
        "top5_accuracy": float(scored.in_top.mean()), "top_k": scored.top_k, "images": n,
        "baselines": {
            "folder_majority_class": run.class_names[int(counts.argmax())],
            "folder_majority_share": float(counts.max() / n),
            "training_majority_class": run.class_names[majority] if majority is not None else None,
            "training_majority_acc": float((y_true == majority).mean()) if majority is not None else None,
            "training_majority_source": majority_source,
            "random_guess": 1.0 / len(run.class_names),
        },
        "run": {"run_dir": str(run.run_dir), "model": run.settings.get("model"), "epoch": run.epoch,
                "classes": len(run.class_names), "trained_data": run.settings.get("data")},
        "folder": {"given": str(folder), "classes_root": str(images.root), "variant": variant},
        "counts": {
            "images_in_folder": len(images.all_files), "class_folders": len(images.folder_classes),
            "matched_classes": len(match.labels), "images_of_known_classes": len(images.files),
            "sampled": len(dataset) if len(dataset) < len(images.files) else None,
            "unknown_classes": dict(unknown_counts), "images_skipped_unknown": sum(unknown_counts.values()),
            "unreadable": len(bad_files), "scored": n, "run_classes_not_in_folder": len(match.missing),
        },
        "renamed_classes": match.renamed,
        "run_classes_not_in_folder": match.missing,
        "unreadable_files": [{"file": name, "reason": reason} for name, reason in bad_files],
        "overlap_with_training_split": _trained_on(run, images.root, dataset.files),
    }


def save_evaluation(evaluation: Evaluation, run_dir: Path, root: Path) -> dict[str, Path]:
    """Write the per-class CSV and the summary JSON under ``run_dir/evaluations/``; return their paths."""
    settings = evaluation.summary["settings"]
    name = folder_slug(root)
    if settings["max_images"] is not None:
        name += f"-max{settings['max_images']}-seed{settings['seed']}"
    if settings["tta"]:
        name += "-tta"
    out = Path(run_dir) / EVALUATIONS
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / f"{name}.csv", "json": out / f"{name}.json"}
    evaluation.per_class.to_csv(paths["csv"], index=False)
    payload = {**evaluation.summary, "files": {key: str(path) for key, path in paths.items()}}
    tmp = paths["json"].with_name(f".{paths['json'].name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, paths["json"])
    return paths


# --- Printing -----------------------------------------------------------------------------------


def per_class_table(per_class: pd.DataFrame, top_k: int = TOP_K) -> str:
    """The per-class table as text: class, support, correct, accuracy, top-k, the most frequent mistake."""
    width = max([len("class"), *(len(name) for name in per_class["class"])])
    rows = [f"{'class':<{width}}  support  correct  accuracy  {f'top-{top_k}':>6}  most often taken for"]
    for row in per_class.itertuples(index=False):
        mistake = f"{row.most_taken_for} ({row.times_taken_for_it})" if row.times_taken_for_it else ""
        rows.append(f"{row[0]:<{width}}  {row.support:7d}  {row.correct:7d}  {row.accuracy:8.1%}  "
                    f"{row.top5_accuracy:6.1%}  {mistake}")
    return "\n".join(rows)


def format_report(evaluation: Evaluation) -> str:
    """The evaluation as text: headline numbers, baselines, the per-class table, what was skipped."""
    s = evaluation.summary
    run, counts, settings, base = s["run"], s["counts"], s["settings"], s["baselines"]
    lines = [
        f"Run {run['run_dir']} ({run['model']}, epoch {run['epoch']}, {run['classes']} classes), images at "
        f"{settings['image_size']} px with the run's normalisation, {settings['device']}"
        + (", test-time flips (4 views)" if settings["tta"] else ""),
        f"Folder {s['folder']['classes_root']}: {counts['images_in_folder']} images in "
        f"{counts['class_folders']} class folders, {counts['matched_classes']} matched to the run's classes",
    ]
    if counts["sampled"] is not None:
        lines.append(f"Scored a stratified sample of {counts['sampled']} of "
                     f"{counts['images_of_known_classes']} images (seed {settings['seed']})")
    if counts["images_skipped_unknown"]:
        lines.append(f"Skipped {counts['images_skipped_unknown']} images of {len(counts['unknown_classes'])} "
                     f"classes the run never learnt: {', '.join(counts['unknown_classes'])}")
    for name, known in s["renamed_classes"].items():
        lines.append(f"Folder {name!r} taken as the run's class {known!r} (same letters and digits)")
    if counts["run_classes_not_in_folder"]:
        lines.append(f"{counts['run_classes_not_in_folder']} of the run's classes have no folder here "
                     "(not scored; predictions may still name them)")
    overlap = s["overlap_with_training_split"]
    if overlap:
        lines.append(f"Warning: this is the folder the run was trained on (split counts of the scored "
                     f"images: {overlap}); training images inflate the accuracy")
    lines += [
        "",
        f"accuracy        {s['accuracy']:7.2%}  ({s['correct']} of {s['images']} images)",
        f"balanced acc.   {s['balanced_accuracy']:7.2%}  (mean recall of the {s['classes_scored']} classes "
        "here: each class weighs the same)",
        f"macro-F1        {s['macro_f1']:7.2%}  (mean F1 of the classes here or predicted)",
        f"top-{s['top_k']} accuracy  {s['top5_accuracy']:7.2%}",
        f"baselines       the folder's majority class {base['folder_majority_share']:.2%} "
        f"({base['folder_majority_class']})",
    ]
    if base["training_majority_acc"] is not None:
        lines.append(f"                always the run's training-majority class "
                     f"{base['training_majority_acc']:.2%} ({base['training_majority_class']})")
    lines += [f"                random guess {base['random_guess']:.2%}", "", "per class:"]
    lines.append(per_class_table(evaluation.per_class, s["top_k"]))
    if s["unreadable_files"]:
        lines.append(f"\nSkipped {len(s['unreadable_files'])} unreadable files:")
        lines += [f"  {item['file']}: {item['reason']}" for item in s["unreadable_files"]]
    lines.append(f"\n{s['images']} images in {s['wall_time_s']:.1f} s")
    if evaluation.files:
        lines.append("Written: " + ", ".join(str(path) for path in evaluation.files.values()))
    if s.get("not_saved"):
        lines.append(f"Not saved: {s['not_saved']}")
    return "\n".join(lines)


# --- The command --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (``python -m helpers.evaluate --help``)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="a python -m helpers.train run folder (has checkpoint.pt)")
    parser.add_argument("folder", type=Path, help="folder of class subfolders (any accepted layout)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (default: per machine)")
    parser.add_argument("--max-images", type=int, default=None,
                        help="score a seeded, stratified sample of this many images")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --max-images sample")
    parser.add_argument("--tta", action="store_true", help="average the four flips of each image")
    parser.add_argument("--ignore-unknown", action="store_true",
                        help="skip images of classes the run never learnt (default: an error)")
    parser.add_argument("--variant", default="color", choices=VARIANTS, help="for layouts that have variants")
    parser.add_argument("--precision", choices=engine.PRECISIONS, default="auto")
    parser.add_argument("--no-save", action="store_true", help="print only; write no CSV/JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.evaluate RUN_DIR FOLDER``: 0 on success, 1 with a one-paragraph error."""
    args = build_parser().parse_args(argv)
    try:
        evaluation = evaluate_run(
            args.run_dir, args.folder, batch_size=args.batch_size, device=args.device, workers=args.workers,
            max_images=args.max_images, seed=args.seed, tta=args.tta, ignore_unknown=args.ignore_unknown,
            variant=args.variant, precision=args.precision, save=not args.no_save)
    except (EvaluationError, CheckpointError, DataNotFoundError, DeviceNotAvailableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(evaluation.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
