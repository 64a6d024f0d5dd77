"""Tiny, generated stand-ins for the course's data sets (smoke mode, tests, offline demos).

Nothing here is downloaded or committed: the images are drawn by code, in the same
file formats as the real sets, with class-dependent patterns so a model can learn them.

* FashionMNIST format: real IDX files (28x28 grey, 10 classes) in torchvision's
  ``FashionMNIST/raw`` layout, readable by ``torchvision.datasets.FashionMNIST``.
* PlantVillage format: an ImageFolder ``color/<class>/<image>.jpg`` with the 38 real
  class names and 256x256 colour JPEGs, readable by ``torchvision.datasets.ImageFolder``.
"""

from __future__ import annotations

import colorsys
import gzip
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

PLANTVILLAGE_CLASSES = [
    "Apple___Apple_scab",
    "Apple___Black_rot",
    "Apple___Cedar_apple_rust",
    "Apple___healthy",
    "Blueberry___healthy",
    "Cherry_(including_sour)___Powdery_mildew",
    "Cherry_(including_sour)___healthy",
    "Corn_(maize)___Cercospora_leaf_spot Gray_leaf_spot",
    "Corn_(maize)___Common_rust_",
    "Corn_(maize)___Northern_Leaf_Blight",
    "Corn_(maize)___healthy",
    "Grape___Black_rot",
    "Grape___Esca_(Black_Measles)",
    "Grape___Leaf_blight_(Isariopsis_Leaf_Spot)",
    "Grape___healthy",
    "Orange___Haunglongbing_(Citrus_greening)",
    "Peach___Bacterial_spot",
    "Peach___healthy",
    "Pepper,_bell___Bacterial_spot",
    "Pepper,_bell___healthy",
    "Potato___Early_blight",
    "Potato___Late_blight",
    "Potato___healthy",
    "Raspberry___healthy",
    "Soybean___healthy",
    "Squash___Powdery_mildew",
    "Strawberry___Leaf_scorch",
    "Strawberry___healthy",
    "Tomato___Bacterial_spot",
    "Tomato___Early_blight",
    "Tomato___Late_blight",
    "Tomato___Leaf_Mold",
    "Tomato___Septoria_leaf_spot",
    "Tomato___Spider_mites Two-spotted_spider_mite",
    "Tomato___Target_Spot",
    "Tomato___Tomato_Yellow_Leaf_Curl_Virus",
    "Tomato___Tomato_mosaic_virus",
    "Tomato___healthy",
]

IDX_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

# Rectangles (row0, row1, col0, col1) on a 28x28 canvas: a crude silhouette per class.
_FASHION_SHAPES: dict[int, list[tuple[int, int, int, int]]] = {
    0: [(6, 22, 9, 19), (6, 11, 4, 24)],  # T-shirt: body + short sleeves
    1: [(4, 24, 8, 13), (4, 24, 15, 20), (4, 8, 8, 20)],  # trouser: two legs
    2: [(6, 22, 8, 20), (6, 22, 3, 7), (6, 22, 21, 25)],  # pullover: long sleeves
    3: [(4, 10, 11, 17), (10, 24, 7, 21)],  # dress: narrow top, wide skirt
    4: [(4, 25, 7, 21), (4, 25, 3, 6), (4, 25, 22, 25)],  # coat: long, long sleeves
    5: [(17, 19, 3, 25), (21, 23, 3, 25), (15, 23, 3, 5)],  # sandal: thin straps
    6: [(5, 23, 8, 20), (5, 16, 4, 7), (5, 16, 21, 24)],  # shirt: mid sleeves
    7: [(15, 22, 3, 25), (12, 15, 12, 25)],  # sneaker: low and wide
    8: [(10, 24, 5, 23), (5, 10, 10, 12), (5, 10, 16, 18), (5, 7, 10, 18)],  # bag + handle
    9: [(5, 22, 14, 21), (16, 23, 4, 21)],  # ankle boot: L shape
}


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (gzip-compressed when ``path`` ends in .gz)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    payload = header + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as handle:
            handle.write(payload)
    else:
        path.write_bytes(payload)
    return path


def _fashion_images(n_per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for label, boxes in _FASHION_SHAPES.items():
        template = np.zeros((28, 28), dtype=np.float32)
        for r0, r1, c0, c1 in boxes:
            template[r0:r1, c0:c1] = 1.0
        for _ in range(n_per_class):
            shifted = np.roll(template, shift=tuple(rng.integers(-2, 3, size=2)), axis=(0, 1))
            brightness = rng.uniform(0.55, 1.0)
            noise = rng.normal(0.0, 0.12, size=(28, 28))
            image = np.clip(shifted * brightness + noise * (shifted > 0) + 0.03 * noise, 0, 1)
            images.append((image * 255).astype(np.uint8))
            labels.append(label)
    order = rng.permutation(len(labels))
    return np.stack(images)[order], np.array(labels, dtype=np.uint8)[order]


def make_tiny_fashion_mnist(
    root: Path, n_train_per_class: int = 50, n_test_per_class: int = 15, seed: int = 0
) -> Path:
    """Write a tiny FashionMNIST-format set into ``root/FashionMNIST/raw``; return that folder."""
    return write_fashion_idx(Path(root) / "FashionMNIST" / "raw", n_train_per_class, n_test_per_class, seed)


def write_fashion_idx(
    raw: Path, n_train_per_class: int = 50, n_test_per_class: int = 15, seed: int = 0
) -> Path:
    """Write the four tiny FashionMNIST IDX files into the folder ``raw``."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train_per_class), ("test", n_test_per_class)):
        images, labels = _fashion_images(n, rng)
        write_idx(raw / IDX_FILES[(split, "images")], images)
        write_idx(raw / IDX_FILES[(split, "labels")], labels)
    return raw


def _leaf_image(label: int, rng: np.random.Generator, size: int = 256) -> Image.Image:
    """A synthetic 'leaf': hue, spot count and vein angle all depend on the class."""
    hue = (label * 11 % 38) / 38.0
    r, g, b = (int(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.65, 0.75))
    background = tuple(int(v) for v in rng.integers(170, 215, size=3))
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    cx, cy = (size // 2 + int(v) for v in rng.integers(-12, 13, size=2))
    rx, ry = int(size * 0.36), int(size * 0.24)
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(r, g, b))
    n_spots = label % 5 * 3
    spot = (max(r - 90, 0), max(g - 90, 0), max(b - 60, 0))
    for _ in range(n_spots):
        sx = cx + int(rng.integers(-rx + 20, rx - 20))
        sy = cy + int(rng.integers(-ry + 15, ry - 15))
        radius = 5 + label % 3 * 3
        draw.ellipse((sx - radius, sy - radius, sx + radius, sy + radius), fill=spot)
    for k in range(label % 4 + 1):  # veins: their number is part of the class signature
        offset = (k - label % 4 / 2) * 18
        draw.line((cx - rx + 15, cy + offset, cx + rx - 15, cy - offset), fill=(240, 240, 200), width=3)
    pixels = np.asarray(image, dtype=np.int16) + rng.integers(-12, 13, size=(size, size, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def sample_leaf(label: int = 0, size: int = 256, seed: int = 0) -> Image.Image:
    """One generated leaf of class ``label`` (same drawing as the tiny set; ``size`` >= 128)."""
    if not 0 <= label < len(PLANTVILLAGE_CLASSES):
        raise ValueError(f"label must be in 0..{len(PLANTVILLAGE_CLASSES) - 1}, got {label}")
    if size < 128:
        raise ValueError(f"size must be at least 128 pixels, got {size}; resize the result instead")
    return _leaf_image(label, np.random.default_rng(seed), size)


def make_tiny_plantvillage(root: Path, n_per_class: int | Mapping[str, int] = 6, seed: int = 0) -> Path:
    """Write a tiny PlantVillage-format ImageFolder into ``root/color``; return that folder.

    ``n_per_class``: drawings per class, the same for all, or one count per class name.
    """
    rng = np.random.default_rng(seed)
    color = Path(root) / "color"
    for label, name in enumerate(PLANTVILLAGE_CLASSES):
        folder = color / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class if isinstance(n_per_class, int) else n_per_class[name]):
            # Every drawing is a leaf of its own: a name that ends in a number would read as a series
            # of shots of one leaf to the leaf grouping (helpers.data.leaves), hence "_leaf".
            _leaf_image(label, rng).save(folder / f"tiny_{i:03d}_leaf.jpg", quality=85)
    return color


def tiny_root(data_root: Path) -> Path:
    """The folder that holds the generated tiny sets inside a data folder."""
    return Path(data_root) / "tiny"


def _build_once(target: Path, build: Callable[[Path], object]) -> None:
    """Build ``target`` in a private temporary folder, then rename it into place.

    Several processes (a DDP run, parallel tests) may ask at once: exactly one rename wins,
    the others discard their copy, and nobody ever reads a half-written set.
    """
    if target.exists():
        return
    scratch = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    build(scratch)
    try:
        os.rename(scratch, target)
    except OSError:  # another process finished first
        shutil.rmtree(scratch, ignore_errors=True)


def ensure_tiny(data_root: Path) -> Path:
    """Generate both tiny sets under ``data_root/tiny`` unless they are already there."""
    root = tiny_root(data_root)
    root.mkdir(parents=True, exist_ok=True)
    _build_once(root / "FashionMNIST", lambda folder: write_fashion_idx(folder / "raw"))
    _build_once(root / "plantvillage", make_tiny_plantvillage)
    return root
