"""Leaf-grouped splits and k-fold folds (helpers.data.splits) on synthetic file names in a temp folder."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from helpers import config
from helpers.data import leaves, splits

pytestmark = pytest.mark.usefixtures("private_data_dir")


def _map_names(relative: str, n_leaves: int) -> list[str]:
    """Original names (as written in the map) of the photos of a shipped map's first ``n_leaves`` leaves."""
    with open(leaves.LEAFMAPS_DIR / relative, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    first = list(dict.fromkeys(r["Leaf #"] for r in rows))[:n_leaves]
    return [r["File Name"] for r in rows if r["Leaf #"] in first]


def synthetic_folder(root: Path) -> Path:
    """Empty image files with PlantVillage's names: mapped leaves (both spellings) and unmapped series."""
    names: dict[str, list[str]] = {}
    for cls, relative in (("Tomato___healthy", "filtered_leafmaps/Tomato___healthy.csv"),
                          ("Apple___Apple_scab", "leaf_maps/Apple_Scab.csv"),
                          ("Soybean___healthy", "filtered_leafmaps/Soybean___healthy.csv")):
        originals = _map_names(relative, 12)
        names[cls] = [o if i % 2 else o.replace(" ", "_").replace(".JPG", ".jpg")  # the mini set's spelling
                      for i, o in enumerate(originals)]
    names["Squash___Powdery_mildew"] = [f"UF.Sq_PM {n:04d}.JPG" for n in range(200, 520)]  # dense, no map
    names["Corn_(maize)___healthy"] = [f"R.S_HL {n:04d} copy.jpg" for n in (10, 12, 14, 500, 900, 1300, 1700)]
    names["Peach___healthy"] = ["peach_healthy.jpg"]
    for cls, files in names.items():
        folder = root / cls
        folder.mkdir(parents=True)
        for k, name in enumerate(files):
            (folder / f"{k:08x}-0000___{name}").write_bytes(b"")
    return root


def _groups(files: list[str]) -> dict[str, str]:
    return leaves.leaf_groups(files).group_of()


def test_leaf_split_keeps_every_group_on_one_side_and_is_deterministic(tmp_path: Path) -> None:
    root = synthetic_folder(tmp_path / "color")
    split = splits.make_split(root, save=False, grouping="leaf")
    everything = split["train"] + split["val"] + split["test"]
    assert len(everything) == len(set(everything)) == sum(p.is_file() for p in root.rglob("*"))
    group_of = _groups(everything)
    side = defaultdict(set)
    for name in splits.SPLIT_NAMES:
        for file in split[name]:
            side[group_of[file]].add(name)
    assert all(len(sides) == 1 for sides in side.values()), "a group on two sides"
    again = splits.make_split(root, save=False, grouping="leaf")
    assert all(split[n] == again[n] for n in splits.SPLIT_NAMES)
    other = splits.make_split(root, save=False, grouping="leaf", seed=7)
    assert any(other[n] != split[n] for n in splits.SPLIT_NAMES)
    random = splits.make_split(root, save=False, grouping="random")
    crossing = {group_of[f] for f in random["test"]} & {group_of[f] for f in random["train"]}
    assert crossing, "the random split of the same files puts some groups on two sides"


def test_leaf_split_is_stratified_as_far_as_groups_allow(tmp_path: Path) -> None:
    root = synthetic_folder(tmp_path / "color")
    split = splits.make_split(root, save=False, grouping="leaf")
    everything = split["train"] + split["val"] + split["test"]
    group_of = _groups(everything)
    for cls in split["classes"]:
        files = [f for f in everything if f.startswith(cls + "/")]
        largest = max(Counter(group_of[f] for f in files).values())
        counts = splits._split_counts(len(files), split["fractions"])
        for name, target in zip(splits.SPLIT_NAMES, counts, strict=True):
            got = sum(f.startswith(cls + "/") for f in split[name])
            assert abs(got - target) <= largest, (cls, name, got, target, largest)
        if len(set(group_of[f] for f in files)) >= 6:  # enough groups: every part gets some
            assert all(any(f.startswith(cls + "/") for f in split[n]) for n in splits.SPLIT_NAMES), cls
    assert not any(f.startswith("Peach___healthy/") for f in split["val"] + split["test"])


def test_leaf_split_reports_its_rules_and_is_saved_as_such(tmp_path: Path, private_data_dir: Path) -> None:
    root = synthetic_folder(tmp_path / "color")
    split = splits.split_for(root, grouping="leaf")
    path = Path(split["path"])
    assert path.name.endswith("-seed42-80-10-10-leaf.json")
    assert path.is_relative_to(config.work_dir() / "splits") and not path.is_relative_to(private_data_dir)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["grouping"] == "leaf" and saved["leaf_groups"]["window"] == leaves.NEAR_WINDOW
    rules = saved["leaf_groups"]["rules"]
    assert rules == leaves.leaf_groups(saved["train"] + saved["val"] + saved["test"]).counts()
    mapped_classes = ("Tomato___healthy", "Apple___Apple_scab", "Soybean___healthy")
    everything = saved["train"] + saved["val"] + saved["test"]
    assert rules["map"] == sum(f.split("/")[0] in mapped_classes for f in everything)
    assert rules["heuristic"] == 320 + 3, "the dense Squash series and Corn 10/12/14"
    assert rules["singleton"] == 4 + 1, "Corn 500, 900, 1300, 1700 and the one peach"
    random = splits.split_for(root)
    assert Path(random["path"]).name.endswith("-random.json") and random["grouping"] == "random"
    stamp = path.stat().st_mtime_ns
    assert splits.split_for(root, path=path)["grouping"] == "leaf", "a given file keeps its grouping"
    assert path.stat().st_mtime_ns == stamp, "reused, not rewritten"
    assert splits.split_for(root, path=path, grouping="random")["grouping"] == "random"
    assert splits.load_split(path)["grouping"] == "random", "asked for another grouping: remade"


def test_an_old_split_file_reads_as_random(tmp_path: Path) -> None:
    root = synthetic_folder(tmp_path / "color")
    split = splits.make_split(root, save=False)
    old = {k: v for k, v in split.items() if k != "grouping"} | {"version": 1}
    path = splits.save_split(old, tmp_path / "old.json")
    assert splits.split_for(root, path=path)["grouping"] == "random"


def test_unknown_grouping_is_a_clear_error(tmp_path: Path) -> None:
    root = synthetic_folder(tmp_path / "color")
    with pytest.raises(ValueError, match="grouping must be one of random, leaf"):
        splits.make_split(root, save=False, grouping="plant")
    with pytest.raises(ValueError, match="k must be an integer of at least 2"):
        splits.kfold_splits(root, k=1)


@pytest.mark.parametrize("grouping", ["leaf", "random"])
def test_kfold_folds_partition_the_data(tmp_path: Path, grouping: str) -> None:
    root = synthetic_folder(tmp_path / "color")
    folds = splits.kfold_splits(root, k=5, grouping=grouping)
    assert [f["fold"] for f in folds] == list(range(5))
    everything = sorted(folds[0]["train"] + folds[0]["val"])
    held = [file for fold in folds for file in fold["val"]]
    assert len(held) == len(set(held)), "an image in two folds"
    assert sorted(held + folds[0]["train_only"]) == everything, "folds + train-only = all images"
    assert folds[0]["train_only"] == ["Peach___healthy/00000000-0000___peach_healthy.jpg"]
    group_of = _groups(everything)
    for fold in folds:
        assert not set(fold["train"]) & set(fold["val"]) and fold["test"] == []
        if grouping == "leaf":
            assert not {group_of[f] for f in fold["train"]} & {group_of[f] for f in fold["val"]}
    sizes = defaultdict(list)
    for fold in folds:
        for cls, n in Counter(f.split("/")[0] for f in fold["val"]).items():
            sizes[cls].append(n)
    assert sizes["Squash___Powdery_mildew"] == [64] * 5, "320 images (10 blocks of 32): 64 in each fold"
    corn = sizes["Corn_(maize)___healthy"]  # 7 images; with leaves: 5 groups (10/12/14 together)
    assert sorted(corn) == ([1, 1, 1, 1, 3] if grouping == "leaf" else [1, 1, 1, 2, 2])


def test_kfold_is_deterministic_and_saved(tmp_path: Path) -> None:
    root = synthetic_folder(tmp_path / "color")
    first = splits.kfold_splits(root, k=3, seed=1, save=True)
    again = splits.kfold_splits(root, k=3, seed=1)
    assert [f["val"] for f in first] == [f["val"] for f in again]
    assert [f["val"] for f in splits.kfold_splits(root, k=3, seed=2)] != [f["val"] for f in first]
    path = Path(first[2]["path"])
    assert path.name.endswith("-seed1-3fold2-leaf.json")
    loaded = splits.load_split(path)
    assert loaded["val"] == first[2]["val"] and loaded["k"] == 3 and loaded["grouping"] == "leaf"


def test_a_stale_fold_file_is_an_error_not_overwritten(tmp_path: Path) -> None:
    root = synthetic_folder(tmp_path / "color")
    fold = splits.kfold_splits(root, k=3, save=True)[1]
    assert splits.split_for(root, path=fold["path"])["val"] == fold["val"], "a fold file is reused as it is"
    (root / "Peach___healthy" / "another___peach.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="make the folds again with kfold_splits"):
        splits.split_for(root, path=fold["path"])
    assert splits.load_split(fold["path"])["val"] == fold["val"], "the fold file is left as it was"
