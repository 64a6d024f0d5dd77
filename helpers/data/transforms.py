"""Per-image transforms for PlantVillage: normalisation, the augmentations, and the way back for plots.

Every image is normalised with ImageNet's channel statistics (``MEAN``, ``STD``); the
training transform adds random flips, colour jitter without hue, and (optionally)
rotations filled with mid-grey.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

# ImageNet's channel statistics: the usual choice, close enough for leaves on grey.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
ROTATION_FILL = (127, 127, 127)
"""The grey that fills the corners a rotation uncovers (the same in every chapter)."""
MAX_ROTATION = 30
"""Random rotations turn by up to this many degrees either way."""
JITTER = {"brightness": 0.2, "contrast": 0.2, "saturation": 0.2}
"""Colour jitter strengths. No hue: a disease shows as yellow or brown, and hue jitter cost 4x the rest."""


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
    return T.Compose([ToNormalizedTensor()])


def augmentations(augment: bool = True, rotations: bool = False) -> list[Callable]:
    """The random PIL transforms behind :func:`train_transform` (flips, colour jitter, rotations)."""
    steps: list[Callable] = []
    if augment:
        steps += [
            T.RandomHorizontalFlip(),
            T.RandomVerticalFlip(),
            T.ColorJitter(**JITTER),  # no hue: see JITTER
        ]
    if rotations:
        steps.append(T.RandomRotation(MAX_ROTATION, fill=ROTATION_FILL))
    return steps


def train_transform(augment: bool = False, rotations: bool = False) -> Callable:
    """Training transform: optional flips + colour jitter and random rotations (±30°), then normalise."""
    return T.Compose([*augmentations(augment, rotations), eval_transform()])


def denormalize(tensor: torch.Tensor) -> torch.Tensor:
    """Undo :func:`eval_transform`'s normalisation (for showing images), clipped to [0, 1]."""
    mean = torch.tensor(MEAN).view(-1, 1, 1)
    std = torch.tensor(STD).view(-1, 1, 1)
    return (tensor * std + mean).clamp(0, 1)
