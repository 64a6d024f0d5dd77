"""Training recipes: named sets of ``helpers.train`` options, and the candidates they were chosen from.

A recipe is a dictionary of the training command's options (the ``dest`` names of
``python -m helpers.train --help``): ``python -m helpers.train --recipe small-data`` starts from
it, and any option given on the command line overrides it. ``results.json`` records the recipe's
name and settings.

``small-data`` is for the common case of about 20 photos per class. It trains the course's
ResNet_minimal from scratch on the train + validation images of a leaf-grouped split (the
epochs are fixed in advance, so no validation set is needed to stop), at a reduced resolution,
from the decoded-image cache with augmentation on whole batches, and evaluates the test images
once with flipped views averaged. It is the ``ls-64`` rung of the screening ladder
(:data:`CANDIDATES`). Score it, or any candidate, by 5-fold leaf-grouped cross-validation on the
mini set: ``python -m helpers.crossval --recipe small-data --folds 5`` (the mean over folds is
what compares candidates; never one split). The course team's measurements so far are in the
README ("Measured here"): the ladder itself has not been run to the end on the course's CPU, so
no rung is claimed to be the best.
"""

from __future__ import annotations

import argparse
from typing import Any

SMALL_DATA_BASE: dict[str, Any] = {
    "model": "resnet_minimal",
    "split": "leaf",
    "cache": True,
    "batch_size": 32,
    "image_size": 64,
    "optimizer": "adamw",
    "lr": 2e-3,
    "weight_decay": 0.05,
    "scheduler": "onecycle",
    "augment": True,
    "rotations": True,
    "crop_scale": [0.35, 1.0],
    "label_smoothing": 0.1,
    "mixup": 0.0,
    "cutmix": 0.0,
    "mix_prob": 1.0,
    "ema": 0.99,
    "tta": ["hflip", "vflip", "hvflip"],
    "train_on": "train+val",
}
"""What every small-data candidate shares unless it says otherwise."""


def _candidate(**changes: Any) -> dict[str, Any]:
    return {**SMALL_DATA_BASE, **changes}


PLAIN = {"optimizer": "adam", "lr": 1e-3, "weight_decay": 0.0, "scheduler": "none", "augment": False,
         "rotations": False, "crop_scale": None, "label_smoothing": 0.0}
"""The course's defaults (Adam 1e-3, constant rate, no augmentation): the baseline of the ladder."""

CANDIDATES: dict[str, dict[str, Any]] = {
    # The ladder at 64 px, 20 epochs: each rung adds one thing to the one before.
    "plain-64": _candidate(epochs=20, **PLAIN),
    "aug-64": _candidate(epochs=20, crop_scale=None, label_smoothing=0.0),
    "crop-64": _candidate(epochs=20, label_smoothing=0.0),
    "ls-64": _candidate(epochs=20),
    "mix-64": _candidate(epochs=20, mixup=0.2, cutmix=1.0, mix_prob=0.5),
    # The same compute at other resolutions (epochs x pixels constant) and the other small model.
    "ls-48": _candidate(epochs=36, image_size=48),
    "ls-96": _candidate(epochs=9, image_size=96),
    "ls-64-small_resnet": _candidate(epochs=16, model="small_resnet"),
    # Optimiser settings at 64 px.
    "ls-64-lr1e-3": _candidate(epochs=20, lr=1e-3),
    "ls-64-lr4e-3": _candidate(epochs=20, lr=4e-3),
    "ls-64-bs16": _candidate(epochs=20, batch_size=16),
    "ls-64-wd5e-4": _candidate(epochs=20, weight_decay=5e-4),
    # Larger images with a fair budget (issue 19): about the compute of 112 px x 30 epochs each,
    # milder crops (0.7-1: a crop of a third of a leaf may hide the spot that names the disease).
    "r96-e40": _candidate(epochs=40, image_size=96, crop_scale=[0.7, 1.0]),
    "r112-e30": _candidate(epochs=30, image_size=112, crop_scale=[0.7, 1.0]),
    "r128-e24": _candidate(epochs=24, image_size=128, crop_scale=[0.7, 1.0]),
}
"""The screening grid: ``python -m helpers.crossval --candidates NAME ... --folds 5 --only-folds 0 1 2``."""

RECIPES: dict[str, dict[str, Any]] = {
    "small-data": CANDIDATES["ls-64"],
}
"""The shipped recipes (``python -m helpers.train --recipe NAME``)."""


def recipe_settings(name: str) -> dict[str, Any]:
    """The options of recipe or candidate ``name`` (a copy); a clear error lists the names when unknown."""
    for table in (RECIPES, CANDIDATES):
        if name in table:
            return {key: list(value) if isinstance(value, list) else value
                    for key, value in table[name].items()}
    raise ValueError(f"Unknown recipe {name!r}; recipes: {', '.join(RECIPES)}; "
                     f"candidates: {', '.join(CANDIDATES)}")


def apply_recipe(parser: argparse.ArgumentParser, argv: list[str] | None) -> str | None:
    """Make the ``--recipe`` named in ``argv`` the parser's defaults (explicit options still win)."""
    first, _ = parser.parse_known_args(argv)
    name = getattr(first, "recipe", None)
    if name is None:
        return None
    settings = recipe_settings(name)
    known = {action.dest for action in parser._actions}
    unknown = set(settings) - known
    if unknown:  # a recipe naming an option the command lacks is a bug in this file
        raise ValueError(f"recipe {name!r} sets unknown option(s) {sorted(unknown)}")
    parser.set_defaults(**settings)
    return name
