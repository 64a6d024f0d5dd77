"""The course's data code, one module per concern.

Modules (each imports the others directly, never through this file)::

    errors            DataNotFoundError, DataLayoutError, BadImageWarning, CacheSpaceError
    tiny              generated stand-ins for FashionMNIST and PlantVillage (smoke mode, tests, offline)
    toy               chapter 7's 2-D sets: two rings, three spiral arms, the 70 / 15 / 15 split
    fashion           FashionMNIST: IDX files, finding it, torchvision's data set, in-memory loaders
    locate            finding PlantVillage: layouts, data/plantvillage -> mini -> tiny, listing images
    transforms        normalisation (MEAN, STD), the per-image augmentations, denormalize for plots
    batch_transforms  the same augmentations and normalisation for whole batches, on GPU or CPU
    datasets          load_image, PlantVillageDataset (survives bad files), plantvillage_datasets
    leaves            which photos show the same leaf: the published leaf maps (leafmaps/), else nearby shots
    splits            seeded splits; PlantVillage's stratified split (random or by leaf) saved as JSON; k-fold
    cache             the decoded-image cache: each split decoded once into a uint8 memory map
    loaders           DataLoader settings (workers within /dev/shm), capped passes, DeviceLoader,
                      PlantVillage's loaders (from JPEGs or the cache), loader throughput
    download          fetching PlantVillage: Hugging Face, then Kaggle, then by hand
    huggingface       the Hugging Face route: snapshot download, conversion to class folders
    __main__          the command line: python -m helpers.data make-tiny | fashion-mnist | download | cache

This file only re-exports the names notebooks and tests use (``from helpers import data``,
then ``data.make_loader``, ``data.fashion_mnist``, ...). Notebooks about PlantVillage use the
facade :mod:`helpers.plantvillage` (``from helpers import plantvillage as pv``).
"""

from __future__ import annotations

from helpers.data.batch_transforms import BatchAugment, BatchNormalize, normalize_batch
from helpers.data.cache import CachedDataset, cached_datasets
from helpers.data.errors import BadImageWarning, CacheSpaceError, DataLayoutError, DataNotFoundError
from helpers.data.fashion import (
    DEBIAN_FASHION_DIR,
    FashionTensors,
    InMemoryLoader,
    fashion_mnist,
    fashion_mnist_help,
    fashion_mnist_loaders,
    fashion_mnist_tensors,
    has_torchvision_layout,
    install_from_idx_dir,
    locate_fashion_mnist,
    read_idx,
    to_unit_range,
)
from helpers.data.loaders import (
    DeviceLoader,
    capped,
    dataset_targets,
    item_indices,
    make_loader,
    num_workers,
    representative_indices,
    worker_plan,
)
from helpers.data.splits import split_indices, train_val_split
from helpers.data.tiny import FASHION_CLASSES, PLANTVILLAGE_CLASSES, ensure_tiny

__all__ = [
    "BatchAugment",
    "BatchNormalize",
    "CacheSpaceError",
    "CachedDataset",
    "DeviceLoader",
    "cached_datasets",
    "normalize_batch",
    "DEBIAN_FASHION_DIR",
    "FASHION_CLASSES",
    "PLANTVILLAGE_CLASSES",
    "BadImageWarning",
    "DataLayoutError",
    "DataNotFoundError",
    "FashionTensors",
    "InMemoryLoader",
    "capped",
    "item_indices",
    "dataset_targets",
    "ensure_tiny",
    "fashion_mnist",
    "fashion_mnist_help",
    "fashion_mnist_loaders",
    "fashion_mnist_tensors",
    "has_torchvision_layout",
    "install_from_idx_dir",
    "locate_fashion_mnist",
    "make_loader",
    "num_workers",
    "read_idx",
    "representative_indices",
    "split_indices",
    "to_unit_range",
    "train_val_split",
    "worker_plan",
]
