"""The PlantVillage API in one import, for notebooks: ``from helpers import plantvillage as pv``.

PlantVillage (Hughes & Salathé 2015, arXiv:1511.08060): 54,305 colour photographs of single
leaves, 256x256 JPEG, 38 classes named ``<crop>___<disease or healthy>``. This module holds no
code of its own; it gathers what chapters 10-16 use from the modules of :mod:`helpers.data`,
where each piece lives and is documented:

* finding the data (``pv.find_plantvillage``, ``pv.plantvillage_root``, ``pv.class_counts``), and
  saying which copy a chapter runs on (``pv.announce_data``, ``pv.pick_for_data``, ``pv.drawn_budget``):
  :mod:`helpers.data.locate`;
* images and the data set (``pv.load_image``, ``pv.PlantVillageDataset``): :mod:`helpers.data.datasets`;
* transforms (``pv.MEAN``, ``pv.eval_transform``, ``pv.train_transform``, ``pv.denormalize``):
  :mod:`helpers.data.transforms`;
* the saved stratified split, random or by leaf, and k-fold folds (``pv.split_for``,
  ``pv.make_split``, ``pv.load_split``, ``pv.kfold_splits``): :mod:`helpers.data.splits`;
* which photos show the same leaf (``pv.leaf_groups``): :mod:`helpers.data.leaves`;
* loaders and their speed (``pv.plantvillage_loaders``, ``pv.bench_loader``): :mod:`helpers.data.loaders`,
  :mod:`helpers.bench.loader`;
* the decoded-image cache (``pv.cached_datasets``, ``plantvillage_loaders(..., cache=True)``) and batch
  augmentation on the device (``pv.BatchAugment``): :mod:`helpers.data.cache`,
  :mod:`helpers.data.batch_transforms`;
* errors (``pv.DataNotFoundError``, ``pv.DataLayoutError``, ``pv.BadImageWarning``):
  :mod:`helpers.data.errors`.
"""

from __future__ import annotations

from helpers.bench.loader import bench_loader
from helpers.data.batch_transforms import BatchAugment, BatchNormalize
from helpers.data.cache import CachedDataset, cached_datasets
from helpers.data.datasets import PlantVillageDataset, first_image, load_image, plantvillage_datasets
from helpers.data.errors import BadImageWarning, DataLayoutError, DataNotFoundError
from helpers.data.leaves import leaf_groups
from helpers.data.loaders import (
    DeviceLoader,
    capped,
    item_indices,
    loader_throughput,
    make_loader,
    plantvillage_loaders,
)
from helpers.data.locate import (
    DATA_KINDS,
    DRAWN_BATCHES,
    DRAWN_EPOCHS,
    EXPECTED_CLASSES,
    EXPECTED_COUNTS,
    EXPECTED_IMAGES,
    GET_FULL_SET,
    HOW_TO_GET,
    IMAGE_EXTENSIONS,
    IMAGE_SIZE,
    KAGGLE_DATASET,
    KAGGLE_FOLDER,
    MAJORITY_CLASS,
    MAJORITY_COUNT,
    VARIANTS,
    announce_data,
    candidate_folders,
    class_counts,
    data_kind,
    default_root,
    describe_data,
    drawn_budget,
    find_plantvillage,
    mini_root,
    pick_for_data,
    plantvillage_root,
    scan_images,
    tiny_plantvillage_root,
)
from helpers.data.splits import (
    DEFAULT_FRACTIONS,
    GROUPINGS,
    SPLIT_NAMES,
    fingerprint,
    kfold_splits,
    load_split,
    make_split,
    save_split,
    split_for,
    split_path,
)
from helpers.data.transforms import (
    MEAN,
    STD,
    ToNormalizedTensor,
    augmentations,
    denormalize,
    eval_transform,
    train_transform,
)

__all__ = [
    "announce_data", "augmentations", "BadImageWarning", "BatchAugment",
    "BatchNormalize", "bench_loader", "cached_datasets", "CachedDataset", "candidate_folders", "capped",
    "item_indices", "class_counts", "data_kind", "DATA_KINDS", "DataLayoutError", "DataNotFoundError",
    "DEFAULT_FRACTIONS",
    "default_root", "denormalize", "describe_data", "DeviceLoader", "eval_transform", "EXPECTED_CLASSES",
    "EXPECTED_COUNTS", "EXPECTED_IMAGES", "find_plantvillage", "fingerprint", "first_image", "GET_FULL_SET",
    "GROUPINGS",
    "HOW_TO_GET",
    "IMAGE_EXTENSIONS", "IMAGE_SIZE", "KAGGLE_DATASET", "KAGGLE_FOLDER", "kfold_splits", "leaf_groups",
    "load_image", "load_split", "loader_throughput", "MAJORITY_CLASS", "MAJORITY_COUNT", "make_loader",
    "make_split", "MEAN", "mini_root", "drawn_budget", "DRAWN_BATCHES", "DRAWN_EPOCHS", "pick_for_data",
    "plantvillage_datasets", "plantvillage_loaders",
    "plantvillage_root", "PlantVillageDataset", "save_split", "scan_images", "split_for", "SPLIT_NAMES",
    "split_path", "STD", "tiny_plantvillage_root", "ToNormalizedTensor", "train_transform", "VARIANTS",
]
