"""Predict the disease on one leaf photo: any image file in, the top-k classes with probabilities out.

The image goes through exactly what validation images go through
(:func:`helpers.data.datasets.load_image`: RGB, alpha composited on white, resized to
the size the model was trained at; then :func:`helpers.data.transforms.eval_transform`), so a
PNG with transparency, a greyscale scan or a 4000-pixel phone photo are all accepted. A
file that is not an image raises :class:`NotAnImageError` with the file's name.

The size comes from the model: :func:`helpers.engine.fit` records the input size it trained
on (``model.trained_input_size``) and :func:`helpers.checkpoint.load_checkpoint` restores it.
A model trained at 128 px is asked at 128 px, not at the data set's 256.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError
from torch import nn

from helpers.checkpoint import TRAINED_INPUT_SIZE, unwrap
from helpers.data.datasets import load_image
from helpers.data.locate import IMAGE_SIZE
from helpers.data.transforms import MEAN, STD, ToNormalizedTensor

PathOrImage = str | Path | Image.Image


class NotAnImageError(ValueError):
    """The file given for prediction could not be read as an image."""


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


def trained_image_size(model: nn.Module) -> int | None:
    """The side in pixels of the square images ``model`` was trained on, or None when not recorded."""
    size = getattr(unwrap(model), TRAINED_INPUT_SIZE, None)
    if not size or len(size) != 3:
        return None
    if size[1] != size[2]:
        raise ValueError(f"The model was trained on {size[1]}x{size[2]} inputs, not square images: "
                         "pass image_size explicitly")
    return int(size[2])


def prepare_image(path_or_image: PathOrImage, image_size: int = IMAGE_SIZE, *,
                  mean: Sequence[float] = MEAN, std: Sequence[float] = STD) -> torch.Tensor:
    """Read and normalise one image as the model expects it: a ``(1, 3, image_size, image_size)`` tensor.

    ``mean`` and ``std`` are the normalisation the model was trained with (the course's by default).
    """
    if isinstance(path_or_image, Image.Image):
        rgb = _rgb(path_or_image, image_size)
    else:
        path = Path(path_or_image)
        if not path.is_file():
            raise FileNotFoundError(f"No image file at {path}")
        try:
            rgb = load_image(path, image_size)
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
    inputs = prepare_image(path_or_image, image_size, mean=mean, std=std).to(device)
    model.eval()
    logits = model(inputs).float()
    if logits.shape[-1] != len(class_names):
        raise ValueError(f"The model gives {logits.shape[-1]} scores but {len(class_names)} class names "
                         "were given: pass the class names the model was trained with")
    probs = logits.softmax(dim=-1)[0].cpu()
    top = probs.topk(min(top_k, len(class_names)))
    return [(class_names[int(i)], float(p)) for p, i in zip(top.values, top.indices, strict=True)]
