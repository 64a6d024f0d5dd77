"""PlantVillage as PyTorch data sets: reading one image, the robust data set, the three splits.

:func:`load_image` opens any image as RGB (alpha composited on white) at the chosen size;
:class:`PlantVillageDataset` reads images lazily, and a file that cannot be read is named in a
:class:`~helpers.data.errors.BadImageWarning` and replaced by another image of the same class, so
an epoch never crashes on one broken file; :func:`plantvillage_datasets` gives train / validation /
test data sets over the saved split.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PIL import Image
from torch.utils.data import Dataset

from helpers.data.errors import BadImageWarning, DataNotFoundError
from helpers.data.locate import IMAGE_SIZE, _images_in, find_plantvillage, plantvillage_root, scan_images
from helpers.data.splits import DEFAULT_FRACTIONS, SPLIT_NAMES, split_for
from helpers.data.transforms import eval_transform, train_transform
from helpers.i18n import tr

DECODERS = ("draft", "full")
"""How a JPEG becomes ``image_size`` pixels: ``draft`` lets the JPEG decoder scale by 1/2, 1/4 or 1/8 on
the way (to the smallest size at least ``image_size``; faster) before the bilinear resize; ``full`` decodes
every pixel, then resizes. The two give slightly different pixels; ``python -m helpers.crossval`` compared
them (``ls-64`` and ``ls-64-full`` in :mod:`helpers.recipes`)."""


def load_image(path: str | Path, image_size: int | None = IMAGE_SIZE, decoder: str = "draft") -> Image.Image:
    """Open any image as RGB (alpha composited on white), resized to ``image_size`` squared.

    ``decoder`` is one of :data:`DECODERS`; ``draft`` (the default) reduces JPEGs while decoding them.
    """
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {', '.join(DECODERS)}, not {decoder!r}")
    with Image.open(path) as image:
        if image_size is not None and image.format == "JPEG" and decoder == "draft":
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


def first_image(class_name: str, image_size: int | None = IMAGE_SIZE,
                root: str | Path | None = None) -> Image.Image:
    """The first image (by file name) of one class of ``root`` (default: the best PlantVillage copy
    found, :func:`plantvillage_root`), read by :func:`load_image`: the same leaf every run, for pictures."""
    folder = find_plantvillage(root) if root is not None else plantvillage_root()[0]
    if not (folder / class_name).is_dir():
        raise DataNotFoundError(tr("no class folder {class_name!r} in {folder}", class_name=class_name,
                                   folder=folder))
    files = _images_in(folder / class_name)
    if not files:
        raise DataNotFoundError(tr("no image in {folder}", folder=folder / class_name))
    return load_image(folder / class_name / sorted(files)[0], image_size)


class PlantVillageDataset(Dataset):
    """An ImageFolder that survives bad files.

    Every image is opened lazily, converted to RGB and resized to ``image_size``. A file
    that cannot be read (corrupt, truncated, not an image) triggers a
    :class:`BadImageWarning` naming it, and the next readable image of the same class is
    returned instead, so an epoch never crashes on one broken file.
    """

    def __init__(self, root: str | Path, files: Sequence[str] | None = None,
                 classes: Sequence[str] | None = None, transform: Callable | None = None,
                 image_size: int = IMAGE_SIZE, decoder: str = "draft") -> None:
        self.root = Path(root)
        self.decoder = decoder
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
            raise ValueError(tr("file of unknown class {error} (classes: {classes})", error=error,
                                classes=self.classes)) from None
        self.transform = transform if transform is not None else eval_transform()
        self.image_size = image_size
        self.bad_files: set[str] = set()
        self._by_label: dict[int, list[int]] = {}
        for index, label in enumerate(self.targets):
            self._by_label.setdefault(label, []).append(index)

    def __len__(self) -> int:
        return len(self.files)

    @property
    def sample_bytes(self) -> int:
        """Bytes of one image as a float32 tensor (what a worker process hands over per image)."""
        return 3 * self.image_size**2 * 4

    def _load(self, index: int) -> Image.Image | None:
        name = self.files[index]
        if name in self.bad_files:
            return None
        try:
            return load_image(self.root / name, self.image_size, self.decoder)
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
                raise RuntimeError(tr("No readable image found near {value}: {bad_files} bad "
                                      "files so far; check the data folder",
                                      value=self.root / self.files[index],
                                      bad_files=len(self.bad_files)))
        return self.transform(image), self.targets[index]


def plantvillage_datasets(
    root: str | Path | None = None, image_size: int = IMAGE_SIZE, augment: bool = False,
    rotations: bool = False, *, variant: str = "color", fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seed: int = 42, split_file: str | Path | None = None, decoder: str = "draft",
) -> tuple[PlantVillageDataset, PlantVillageDataset, PlantVillageDataset, list[str]]:
    """Train / validation / test data sets over the saved split, and the class names.

    ``root`` may be any of the layouts :func:`find_plantvillage` accepts (default: the
    best copy from :func:`plantvillage_root`). Only the training set is augmented. Each
    data set carries ``.source`` (local/mini/tiny/custom) and ``.split_file``. ``decoder``: see
    :data:`DECODERS`.
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
        dataset = PlantVillageDataset(folder, split[name], classes, transform, image_size, decoder)
        dataset.source, dataset.split_file, dataset.split_name = source, split["path"], name
        sets.append(dataset)
    return sets[0], sets[1], sets[2], list(classes)
