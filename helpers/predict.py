"""Predict the disease on one leaf photo: any image file in, the top-k classes with probabilities out.

The image goes through exactly what validation images go through
(:func:`helpers.data.datasets.load_image`: RGB, alpha composited on white, resized to
the size the model was trained at; then :func:`helpers.data.transforms.eval_transform`), so a
PNG with transparency, a greyscale scan or a 4000-pixel phone photo are all accepted. A
file that is not an image raises :class:`NotAnImageError` with the file's name.

The size comes from the model: :func:`helpers.engine.fit` records the input size it trained
on (``model.trained_input_size``) and :func:`helpers.checkpoint.load_checkpoint` restores it.
A model trained at 128 px is asked at 128 px, not at the data set's 256.

From the command line, with a run of ``python -m helpers.train`` (its size and normalisation
come from the run, :func:`helpers.runs.load_run`)::

    python -m helpers.predict runs/resnet_minimal leaf.jpg scan.png -k 3
    python -m helpers.predict runs/resnet_minimal photos/*.jpg --json

A file that cannot be read is named with the reason and the others are still predicted; the
exit code is 1 when any file failed, 2 when the run cannot be loaded, else 0. In Python:
:func:`predict_files`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image, UnidentifiedImageError
from torch import nn

from helpers.checkpoint import CheckpointError, trained_image_size
from helpers.data.datasets import load_image
from helpers.data.locate import IMAGE_SIZE
from helpers.data.transforms import MEAN, STD, ToNormalizedTensor
from helpers.runs import Run, load_run

PathOrImage = str | Path | Image.Image


class NotAnImageError(ValueError):
    """The file given for prediction could not be read as an image."""


class DeviceNotAvailableError(ValueError):
    """The device asked for (``--device``) is not a device, or this machine does not have it."""


def _rgb(image: Image.Image, image_size: int) -> Image.Image:
    """A PIL image as RGB (transparency on white, like ``load_image``), resized to ``image_size``."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, (255, 255, 255))
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    else:
        rgb = image.convert("RGB")
    if rgb.size != (image_size, image_size):
        rgb = rgb.resize((image_size, image_size), Image.Resampling.BILINEAR)
    return rgb


def prepare_image(path_or_image: PathOrImage, image_size: int = IMAGE_SIZE, *,
                  mean: Sequence[float] = MEAN, std: Sequence[float] = STD,
                  decoder: str = "draft") -> torch.Tensor:
    """Read and normalise one image as the model expects it: a ``(1, 3, image_size, image_size)`` tensor.

    ``mean`` and ``std`` are the normalisation the model was trained with (the course's by default);
    ``decoder`` how it read its JPEGs (:data:`helpers.data.datasets.DECODERS`).
    """
    if isinstance(path_or_image, Image.Image):
        rgb = _rgb(path_or_image, image_size)
    else:
        path = Path(path_or_image)
        if not path.is_file():
            raise FileNotFoundError(f"No image file at {path}")
        try:
            rgb = load_image(path, image_size, decoder)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise NotAnImageError(
                f"{path.name} is not an image that PIL can read ({type(error).__name__}: {error}). "
                "Give a JPEG or PNG photo of a leaf."
            ) from None
    return ToNormalizedTensor(mean, std)(rgb).unsqueeze(0)


@torch.no_grad()
def predict_image(
    model: nn.Module,
    path_or_image: PathOrImage,
    class_names: Sequence[str],
    top_k: int = 5,
    *,
    device: torch.device | None = None,
    image_size: int | None = None,
    mean: Sequence[float] = MEAN,
    std: Sequence[float] = STD,
    decoder: str = "draft",
) -> list[tuple[str, float]]:
    """The ``top_k`` most probable classes for one image, as ``(class name, probability)``, best first.

    ``path_or_image`` is an image file (JPEG, PNG, ...; any size; colour, greyscale or with
    transparency) or a PIL image. ``image_size`` defaults to the size the model was trained
    at (:func:`trained_image_size`: recorded by ``fit``, restored by ``load_checkpoint``);
    only when nothing is recorded (a model that was never trained with the course's tools)
    is it 256 px, the data set's size. The model is put in eval mode; probabilities are a
    softmax over all classes, so they sum to 1 over ``class_names``.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, not {top_k}")
    if device is None:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
    if image_size is None:
        image_size = trained_image_size(model) or IMAGE_SIZE
    inputs = prepare_image(path_or_image, image_size, mean=mean, std=std, decoder=decoder).to(device)
    model.eval()
    logits = model(inputs).float()
    if logits.shape[-1] != len(class_names):
        raise ValueError(f"The model gives {logits.shape[-1]} scores but {len(class_names)} class names "
                         "were given: pass the class names the model was trained with")
    probs = logits.softmax(dim=-1)[0].cpu()
    top = probs.topk(min(top_k, len(class_names)))
    return [(class_names[int(i)], float(p)) for p, i in zip(top.values, top.indices, strict=True)]


def usable_device(requested: str | torch.device) -> torch.device:
    """``requested`` as a device, or :class:`DeviceNotAvailableError` when this machine does not have it."""
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": hasattr(torch.backends, "mps") and torch.backends.mps.is_available()}
    here = ", ".join(name for name, present in available.items() if present)
    try:
        device = torch.device(requested)
    except RuntimeError:
        device = None
    if device is None or not available.get(device.type, False):
        raise DeviceNotAvailableError(f"Device {str(requested)!r} is not available here; this machine has: "
                                      f"{here} (e.g. --device cpu)")
    return device


def predict_files(run: Run | str | Path, paths: Sequence[str | Path], k: int = 5, *,
                  device: str | torch.device | None = None) -> list[dict[str, Any]]:
    """The top-``k`` classes of each file, read at the run's image size, decoder and normalisation.

    ``run`` is a run directory or a :class:`helpers.runs.Run`. Returns one dictionary per
    path, in order: ``file``, ``top`` (a list of ``{"class", "probability"}``, best first)
    and ``error`` (None, or why the file could not be predicted; the other files still are).
    """
    if not isinstance(run, Run):
        run = load_run(run, device=usable_device(device or "cpu"))
    elif device is not None:
        run.model.to(usable_device(device))
    results = []
    for path in paths:
        entry: dict[str, Any] = {"file": str(path), "top": [], "error": None}
        if Path(path).is_dir():
            entry["error"] = (f"{path} is a folder, not an image: pass its files (e.g. "
                              f"{Path(path) / '*.jpg'}), or score a folder of class subfolders with "
                              "python -m helpers.evaluate")
        else:
            try:
                top = predict_image(run.model, path, run.class_names, top_k=k, image_size=run.image_size,
                                    mean=run.mean, std=run.std, decoder=run.decoder)
                entry["top"] = [{"class": name, "probability": prob} for name, prob in top]
            except (NotAnImageError, FileNotFoundError) as error:
                entry["error"] = str(error)
        results.append(entry)
    return results


def format_predictions(results: Sequence[dict[str, Any]]) -> str:
    """The predictions as text: each file, then its classes with probabilities (or the error)."""
    lines = []
    for entry in results:
        if entry["error"]:
            lines.append(f"{entry['file']}: error: {entry['error']}")
            continue
        lines.append(entry["file"])
        width = max(len(item["class"]) for item in entry["top"])
        lines += [f"  {rank}. {item['class']:<{width}}  {item['probability']:.3f}"
                  for rank, item in enumerate(entry["top"], start=1)]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (``python -m helpers.predict --help``)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.predict", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="a python -m helpers.train run folder (has checkpoint.pt)")
    parser.add_argument("images", nargs="+", type=Path, help="image files (JPEG, PNG, ...; any size)")
    parser.add_argument("-k", "--top-k", type=int, default=5, help="classes per image (default 5)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.predict RUN_DIR IMAGE...``: 0 when every file was predicted, 1 if any failed."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.top_k < 1:
        parser.error(f"-k must be at least 1, not {args.top_k}")
    try:
        results = predict_files(args.run_dir, args.images, args.top_k, device=args.device)
    except (CheckpointError, DeviceNotAvailableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=2) if args.json else format_predictions(results))
    failed = [entry["file"] for entry in results if entry["error"]]
    if failed and not args.json:
        print(f"{len(failed)} of {len(results)} files could not be predicted: {', '.join(failed)}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
