"""Tests for helpers.plantvillage: finding the data, bad images, the saved split, loaders (seconds)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from helpers import config
from helpers import plantvillage as pv
from helpers.data import DataNotFoundError

ODD_CLASSES = [
    "Corn_(maize)___Cercospora_leaf_spot Gray_leaf_spot",
    "Pepper,_bell___healthy",
    "Tomato___Spider_mites Two-spotted_spider_mite",
]


def write_images(folder: Path, n: int, size: int = 32, seed: int = 0, prefix: str = "img") -> list[Path]:
    """``n`` small random RGB JPEGs in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        path = folder / f"{prefix} {i:03d}.jpg"
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def image_folder(root: Path, counts: dict[str, int], size: int = 32) -> Path:
    """An ImageFolder under ``root`` with ``counts[class]`` images per class."""
    for k, (name, n) in enumerate(counts.items()):
        write_images(root / name, n, size=size, seed=k)
    return root


pytestmark = pytest.mark.usefixtures("private_data_dir")


# --- Finding the data ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["plantvillage dataset/color", "raw/color", "color", ""])
def test_find_each_layout(tmp_path: Path, layout: str) -> None:
    root = tmp_path / "plantvillage"
    expected = root / layout if layout else root
    image_folder(expected, {"Apple___healthy": 2, "Tomato___healthy": 1})
    assert pv.find_plantvillage(root) == expected


def test_default_root_is_data_plantvillage(private_data_dir: Path) -> None:
    expected = private_data_dir / "plantvillage" / "raw" / "color"
    image_folder(expected, {"Apple___healthy": 1})
    assert pv.find_plantvillage() == expected


def test_variant_choice(tmp_path: Path) -> None:
    for variant in pv.VARIANTS:
        image_folder(tmp_path / pv.KAGGLE_FOLDER / variant, {"Apple___healthy": 1})
    assert pv.find_plantvillage(tmp_path).name == "color"
    assert pv.find_plantvillage(tmp_path, variant="segmented") == tmp_path / pv.KAGGLE_FOLDER / "segmented"
    with pytest.raises(ValueError, match="variant"):
        pv.find_plantvillage(tmp_path, variant="colour")


def test_missing_data_names_every_folder_and_the_fix(tmp_path: Path) -> None:
    root = tmp_path / "nowhere"
    with pytest.raises(DataNotFoundError) as info:
        pv.find_plantvillage(root)
    message = str(info.value)
    for folder in pv.candidate_folders(root):
        assert str(folder) in message
    assert "python -m helpers.data download plantvillage" in message
    assert "README" in message and "data/plantvillage" in message


def test_images_without_class_folders_is_a_layout_error(tmp_path: Path) -> None:
    write_images(tmp_path, 3)
    with pytest.raises(pv.DataLayoutError, match="3 images directly but no class folders"):
        pv.find_plantvillage(tmp_path)


def test_class_folders_without_images_is_a_layout_error(tmp_path: Path) -> None:
    (tmp_path / "color" / "Apple___healthy").mkdir(parents=True)
    (tmp_path / "color" / "Apple___healthy" / "notes.txt").write_text("not an image")
    with pytest.raises(pv.DataLayoutError, match="zero images"):
        pv.find_plantvillage(tmp_path)
    assert issubclass(pv.DataLayoutError, DataNotFoundError)  # callers catching the base still work


def test_other_variant_only_is_named(tmp_path: Path) -> None:
    image_folder(tmp_path / pv.KAGGLE_FOLDER / "grayscale", {"Apple___healthy": 1})
    with pytest.raises(pv.DataLayoutError, match="variants present: grayscale"):
        pv.find_plantvillage(tmp_path)


def test_plantvillage_root_prefers_local_data(private_data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv(config.MODE_VARIABLE, "quick")
    local = image_folder(private_data_dir / "plantvillage" / "color", {"Apple___healthy": 1})
    assert pv.plantvillage_root() == (local, "local")
    monkeypatch.setenv(config.MODE_VARIABLE, "smoke")  # smoke mode never reads the full set
    assert pv.plantvillage_root()[1] in ("mini", "tiny")


def test_plantvillage_root_falls_back_to_tiny(private_data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv(config.MODE_VARIABLE, "smoke")
    monkeypatch.setattr(config, "shared_data_dir", lambda: None)  # a student's clone: no ../shared
    folder, source = pv.plantvillage_root()
    assert source == "tiny" and folder.is_relative_to(config.work_dir())
    assert not folder.is_relative_to(private_data_dir)  # generated into the work folder, not the data folder
    counts = pv.class_counts(folder)
    assert len(counts) == 38 and counts.min() > 0


# --- Images: special names and bad files --------------------------------------------------------


def test_class_names_with_spaces_commas_parentheses(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "color", dict.fromkeys(ODD_CLASSES, 5))
    train, val, test, classes = pv.plantvillage_datasets(tmp_path, image_size=32)
    assert classes == sorted(ODD_CLASSES)
    split = pv.load_split(train.split_file)
    assert split["classes"] == classes
    assert all(Path(f).parts[0] in ODD_CLASSES for f in split["train"] + split["val"] + split["test"])
    image, label = test[0]
    assert image.shape == (3, 32, 32) and classes[label] == Path(test.files[0]).parts[0]
    assert (root / test.files[0]).exists()


def _bad_file(folder: Path, case: str) -> Path:
    """One problematic image file of the given kind."""
    path = folder / f"bad {case}.jpg"
    rng = np.random.default_rng(1)
    if case == "corrupt":
        path.write_bytes(b"\xff\xd8\xff\xe0" + rng.integers(0, 255, 500, dtype=np.uint8).tobytes())
    elif case == "truncated":
        good = folder / "full.jpg"
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(good, quality=95)
        path.write_bytes(good.read_bytes()[:1500])
        good.unlink()
    elif case == "not_an_image":
        path.write_text("this is a text file with a .jpg name\n")
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "png_alpha":
        path = folder / "alpha.png"
        Image.new("RGBA", (40, 40), (0, 128, 0, 0)).save(path)
    elif case == "greyscale":
        Image.new("L", (32, 32), 100).save(path)
    elif case == "wrong_size":
        Image.new("RGB", (300, 200), (10, 200, 10)).save(path)
    elif case == "cmyk":
        Image.new("CMYK", (32, 32), (0, 50, 50, 0)).save(path)
    return path


@pytest.mark.parametrize("case", ["png_alpha", "greyscale", "wrong_size", "cmyk"])
def test_odd_but_valid_images_load_as_rgb_at_image_size(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "Apple___healthy"
    folder.mkdir()
    bad = _bad_file(folder, case)
    dataset = pv.PlantVillageDataset(tmp_path, image_size=48)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pv.BadImageWarning)
        image, label = dataset[dataset.files.index(f"Apple___healthy/{bad.name}")]
    assert image.shape == (3, 48, 48) and image.dtype == torch.float32 and label == 0
    if case == "png_alpha":  # transparent pixels become white, not the hidden green
        assert np.allclose(np.asarray(pv.load_image(bad, 48)), 255)


@pytest.mark.parametrize("case", ["corrupt", "truncated", "not_an_image", "empty"])
def test_unreadable_images_are_skipped_with_a_warning(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "Apple___healthy"
    write_images(folder, 2)
    write_images(tmp_path / "Tomato___healthy", 2)
    bad = _bad_file(folder, case)
    dataset = pv.PlantVillageDataset(tmp_path, image_size=32)
    index = dataset.files.index(f"Apple___healthy/{bad.name}")
    with pytest.warns(pv.BadImageWarning, match=bad.name):
        image, label = dataset[index]
    assert image.shape == (3, 32, 32)
    assert dataset.classes[label] == "Apple___healthy"  # the substitute comes from the same class
    assert f"Apple___healthy/{bad.name}" in dataset.bad_files


def test_an_epoch_over_every_bad_case_does_not_crash(tmp_path: Path) -> None:
    folder = tmp_path / "Apple___healthy"
    write_images(folder, 2)
    for case in ["corrupt", "truncated", "not_an_image", "empty", "png_alpha", "greyscale", "wrong_size"]:
        _bad_file(folder, case)
    dataset = pv.PlantVillageDataset(tmp_path, image_size=32)
    loader = torch.utils.data.DataLoader(dataset, batch_size=4)
    with pytest.warns(pv.BadImageWarning):
        seen = sum(len(images) for images, _ in loader)
    assert seen == len(dataset) == 9
    assert len(dataset.bad_files) == 4


def test_only_bad_images_gives_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "Apple___healthy"
    folder.mkdir()
    _bad_file(folder, "corrupt")
    dataset = pv.PlantVillageDataset(tmp_path)
    with pytest.warns(pv.BadImageWarning), pytest.raises(RuntimeError, match="No readable image"):
        dataset[0]


# --- Transforms ---------------------------------------------------------------------------------


def test_transforms() -> None:
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    reference = transforms.Compose([transforms.ToTensor(), transforms.Normalize(pv.MEAN, pv.STD)])(image)
    assert torch.allclose(pv.eval_transform()(image), reference, atol=1e-5)
    assert torch.allclose(pv.denormalize(reference), transforms.ToTensor()(image), atol=1e-5)
    torch.manual_seed(0)
    augmented = torch.stack([pv.train_transform(augment=True, rotations=True)(image) for _ in range(4)])
    assert augmented.shape == (4, 3, 64, 64)
    assert not torch.allclose(augmented[0], reference)  # random flips/jitter/rotation changed it
    assert torch.equal(pv.train_transform()(image), pv.eval_transform()(image))


# --- The split ----------------------------------------------------------------------------------

COUNTS = {"Apple___healthy": 20, "Grape___Black_rot": 11, "Peach___healthy": 1, "Soybean___healthy": 2,
          "Squash___Powdery_mildew": 3, "Tomato___healthy": 40}


def test_split_is_stratified_deterministic_and_complete(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "color", COUNTS, size=8)
    first = pv.make_split(root, save=False)
    again = pv.make_split(root, save=False)
    assert all(first[name] == again[name] for name in pv.SPLIT_NAMES)
    everything = first["train"] + first["val"] + first["test"]
    assert len(everything) == len(set(everything)) == sum(COUNTS.values())  # disjoint and complete
    per_class = {name: {c: sum(f.startswith(c + "/") for f in first[name]) for c in COUNTS}
                 for name in pv.SPLIT_NAMES}
    assert per_class["val"]["Tomato___healthy"] == per_class["test"]["Tomato___healthy"] == 4
    assert per_class["val"]["Apple___healthy"] == per_class["test"]["Apple___healthy"] == 2
    for cls in ("Peach___healthy", "Soybean___healthy"):  # 1-2 images: all in train, no crash
        assert per_class["train"][cls] == COUNTS[cls]
    assert per_class["train"]["Squash___Powdery_mildew"] >= 1
    other = pv.make_split(root, seed=7, save=False)
    assert other["test"] != first["test"]


def test_split_file_saved_and_reloaded(tmp_path: Path, private_data_dir: Path) -> None:
    root = image_folder(tmp_path / "color", COUNTS, size=8)
    split = pv.split_for(root)
    path = Path(split["path"])
    assert path.is_relative_to(config.work_dir() / "splits")  # in the writable work folder,
    assert not path.is_relative_to(private_data_dir)  # never in the (maybe read-only) data folder
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["classes"] == sorted(COUNTS) and saved["seed"] == 42
    assert all(not Path(f).is_absolute() for f in saved["train"])
    stamp = path.stat().st_mtime_ns
    reloaded = pv.split_for(root)
    assert path.stat().st_mtime_ns == stamp  # reused, not rewritten
    assert reloaded["test"] == split["test"] == pv.load_split(path)["test"]
    write_images(root / "Apple___healthy", 1, size=8, prefix="new")  # files changed: a new split
    assert len(pv.split_for(root)["train"]) + len(pv.split_for(root)["val"]) > len(split["train"]) + len(
        split["val"])


def test_loaders_and_throughput(tmp_path: Path) -> None:
    image_folder(tmp_path / "color", {"A": 10, "B": 10}, size=40)
    train, val, test, classes = pv.plantvillage_loaders(4, root=tmp_path, image_size=32, augment=True,
                                                        workers=0)
    images, labels = next(iter(train))
    assert images.shape == (4, 3, 32, 32) and labels.dtype == torch.int64
    assert classes == ["A", "B"] and len(test.dataset) == 2 and len(val.dataset) == 2
    speed = pv.loader_throughput(train, batches=2)
    assert speed["images"] == 8 and speed["images_per_s"] > 0


# --- The real mini set --------------------------------------------------------------------------


def test_mini_set() -> None:
    shared = config.shared_data_dir()
    if shared is None or not (shared / "plantvillage-mini").is_dir():
        pytest.skip("../shared/data/plantvillage-mini is not here (a student's clone)")
    folder = pv.find_plantvillage(shared / "plantvillage-mini")
    counts = pv.class_counts(folder)
    assert len(counts) == 38 and counts.sum() == 684
    assert counts.idxmax() in counts.index and counts.min() == 1
    train, val, test, classes = pv.plantvillage_datasets(folder, image_size=64)
    assert (len(train), len(val), len(test)) == (548, 68, 68)
    singletons = [c for c in classes if counts[c] == 1]
    assert len(singletons) == 4
    assert all(any(f.startswith(c + "/") for f in train.files) for c in singletons)
    image, label = val[0]
    assert image.shape == (3, 64, 64) and 0 <= label < 38


def test_bench_loader_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from helpers.bench import cli

    image_folder(tmp_path / "color", {"A": 10, "B": 10}, size=40)
    args = ["loader", "--data", str(tmp_path), "--batch-size", "4", "--batches", "2", "--workers", "0",
            "--image-size", "32"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "workers=0" in out and "images/s (8 images" in out
    assert cli.main(["loader", "--data", str(tmp_path / "missing")]) == 1


def test_first_image_is_the_first_file_of_the_class_and_a_wrong_name_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "leaves" / "Apple___healthy"
    folder.mkdir(parents=True)
    for name, value in (("b.jpg", 200), ("a.png", 10), ("notes.txt", None)):
        if value is None:
            (folder / name).write_text("not an image")
        else:
            Image.new("RGB", (40, 30), (value, value, value)).save(folder / name)
    image = pv.first_image("Apple___healthy", 16, root=tmp_path / "leaves")
    assert image.size == (16, 16) and image.getpixel((8, 8)) == (10, 10, 10), "a.png comes first"
    with pytest.raises(DataNotFoundError, match="no class folder 'Tomato___healthy'"):
        pv.first_image("Tomato___healthy", root=tmp_path / "leaves")
