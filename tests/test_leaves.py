"""The shipped leaf maps and the leaf grouping (helpers.data.leaves): names, maps, heuristic, the mini set."""

from __future__ import annotations

import csv
import statistics
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from helpers import config
from helpers.data import leaves, splits
from helpers.data.locate import scan_images
from helpers.data.tiny import PLANTVILLAGE_CLASSES

ROOT = Path(__file__).resolve().parent.parent
SUBSUMED = {  # raw sheets whose rows the filtered map of the same class repeats
    "leaf_maps/Citrus_Citrus Greening June.csv", "leaf_maps/Citrus_Citrus Greening Oct..csv",
    "leaf_maps/Pepper_Bac spot NREC.csv", "leaf_maps/Pepper_Bacterial Spot JR.csv",
}


def _mini() -> Path:
    shared = config.shared_data_dir()
    if shared is None or not (shared / "plantvillage-mini" / "SOURCES.csv").is_file():
        pytest.skip("../shared/data/plantvillage-mini is not here (a student's clone)")
    return shared / "plantvillage-mini"


# --- The shipped files --------------------------------------------------------------------------


def test_the_35_maps_are_shipped_small_and_unchanged() -> None:
    files = leaves.map_files()
    assert len(files) == 35
    assert sum(f.startswith("filtered_leafmaps/") for f in files) == 19
    sizes = [(leaves.LEAFMAPS_DIR / f).stat().st_size for f in files]
    assert max(sizes) < 2**20 and sum(sizes) == 1_472_045  # the README's byte count
    rows = 0
    for name in files:
        raw = (leaves.LEAFMAPS_DIR / name).read_bytes()
        assert raw.startswith(b'"File Name","Leaf #"\r\n'), f"{name}: header or line endings changed"
        rows += raw.count(b"\r\n") - 1
    assert rows == 49_025
    shared = config.shared_data_dir()
    if shared is not None and (shared / "plantvillage-leafmaps").is_dir():  # the team's copy: same bytes
        for name in files:
            assert (leaves.LEAFMAPS_DIR / name).read_bytes() == (
                shared / "plantvillage-leafmaps" / name).read_bytes(), name
    readme = (leaves.LEAFMAPS_DIR / "README.md").read_text(encoding="utf-8")
    for needed in ("40789680ba2e6382608dba47b397688fcbd0d04a", "CC BY-SA 3.0", "Mohanty",
                   "Apple_Frogeye Spot"):
        assert needed in readme


def test_a_non_editable_install_ships_the_maps() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = ROOT / "helpers" / "data"
    shipped = {p.relative_to(package).as_posix() for p in (package / "leafmaps").rglob("*")
               if p.is_file() and p.name != ".gitattributes"}
    # setuptools globs each pattern in the package folder: "*" does not cross a "/"
    covered = {p.relative_to(package).as_posix() for pattern in patterns["helpers.data"]
               for p in package.glob(pattern)}
    assert shipped - covered == set(), "add these to [tool.setuptools.package-data]"
    assert len(shipped) == 36  # 35 CSVs and the README


def test_class_maps_name_31_real_classes_and_every_map_is_used() -> None:
    assert len(leaves.CLASS_MAPS) == 31
    assert set(leaves.CLASS_MAPS) <= set(PLANTVILLAGE_CLASSES)
    listed = {m for maps in leaves.CLASS_MAPS.values() for m in maps}
    assert listed | SUBSUMED == set(leaves.map_files())
    unmapped = set(PLANTVILLAGE_CLASSES) - set(leaves.CLASS_MAPS)
    assert sum(c.startswith("Corn") for c in unmapped) == 4 and len(unmapped) == 7


@pytest.mark.parametrize(("filtered", "sheets"), [
    ("filtered_leafmaps/Orange___Haunglongbing_(Citrus_greening).csv",
     ["leaf_maps/Citrus_Citrus Greening June.csv", "leaf_maps/Citrus_Citrus Greening Oct..csv"]),
    ("filtered_leafmaps/Pepper,_bell___Bacterial_spot.csv",
     ["leaf_maps/Pepper_Bac spot NREC.csv", "leaf_maps/Pepper_Bacterial Spot JR.csv"]),
])
def test_the_unlisted_sheets_group_exactly_like_the_filtered_map(filtered: str, sheets: list[str]) -> None:
    def partition(maps: dict[str, dict[str, str]]) -> set[frozenset[str]]:
        found = defaultdict(set)
        for source, names in maps.items():
            for name, leaf in names.items():
                found[(source, leaf)].add(name)
        return {frozenset(v) for v in found.values()}

    together = partition({s: leaves.load_map(s) for s in sheets})
    assert partition({filtered: leaves.load_map(filtered)}) == together


# --- Names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "expected"), [
    ("Apple___Apple_scab/44dbb7a4-4c41___FREC_Scab 3438.JPG", "frec_scab_3438"),
    ("Apple___Apple_scab/44dbb7a4-4c41___FREC_Scab_3438.jpg", "frec_scab_3438"),
    ("FREC_Scab  3438.jpeg", "frec_scab_3438"),
    ("x___RS_HL 5518 1.JPG", "rs_hl_5518_1"),
    ("Corn/uuid___R.S_HL 0596 copy.jpg", "r.s_hl_0596_copy"),
    ("segmented/uuid___Com.G_SpM_FL 1139_final_masked.jpg", "com.g_spm_fl_1139"),
])
def test_photo_name_ignores_spaces_underscores_case_and_extension(file: str, expected: str) -> None:
    assert leaves.photo_name(file) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("frec_scab_3438", ("frec_scab", 3438)),
    ("black_rot1077", ("black_rot", 1077)),
    ("uf.grc_ylcv_lab_01324", ("uf.grc_ylcv_lab", 1324)),
    ("r.s_hl_0634_copy_4", ("r.s_hl", 634)),
    ("rs_hl_5518_1", ("rs_hl", 5518)),
    ("ghlb2_leaf_153.2", ("ghlb2_leaf", 153)),
    ("peach_bacterial_spot", None),
    ("1234", None),
])
def test_shot_number(name: str, expected: tuple[str, int] | None) -> None:
    assert leaves.shot_number(name) == expected


# --- Grouping -----------------------------------------------------------------------------------


def test_names_are_looked_up_in_the_image_s_own_class_only() -> None:
    apple = leaves.load_map("filtered_leafmaps/Apple___healthy.csv")
    soy = leaves.load_map("filtered_leafmaps/Soybean___healthy.csv")
    shared = sorted(set(apple) & set(soy))
    assert len(shared) > 900  # the README: 977 RS_HL names in both
    name = shared[0]
    files = [f"Apple___healthy/a___{name}.JPG", f"Soybean___healthy/b___{name}.jpg",
             f"Corn_(maize)___healthy/c___{name}.jpg"]
    groups = leaves.leaf_groups(files)
    assert groups.rule == ("map", "map", "singleton")
    assert len(set(groups.group)) == 3, "one name, three classes: three different leaves"
    assert groups.group[0] == f"map:filtered_leafmaps/Apple___healthy.csv:{apple[name]}"


def test_map_groups_match_spaces_underscores_copies_and_extension_case() -> None:
    with open(leaves.LEAFMAPS_DIR / "leaf_maps/Apple_Scab.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    first_leaf = [r["File Name"] for r in rows if r["Leaf #"] == rows[0]["Leaf #"]]
    assert len(first_leaf) >= 3
    files = [f"Apple___Apple_scab/u1___{first_leaf[0]}",  # as in the maps: spaces, .JPG
             "Apple___Apple_scab/u2___" + first_leaf[1].replace(" ", "_").replace(".JPG", ".jpg"),
             "Apple___Apple_scab/u3___" + first_leaf[2].replace(".JPG", " copy 2.png")]
    groups = leaves.leaf_groups(files)
    assert groups.rule == ("map", "map", "map") and len(set(groups.group)) == 1


def test_the_heuristic_links_nearby_shots_of_one_series_within_one_class() -> None:
    cls = "Corn_(maize)___Common_rust_"
    files = [f"{cls}/a___RS_Rust 1697.JPG", f"{cls}/b___RS_Rust_1700.jpg", f"{cls}/c___RS_Rust 1700 copy.jpg",
             f"{cls}/d___RS_Rust 16979.JPG",  # far away
             f"{cls}/e___RS_GLSp 1698.JPG",  # another series
             "Corn_(maize)___healthy/f___RS_Rust 1698.JPG",  # another class
             f"{cls}/no_number.jpg"]
    groups = leaves.leaf_groups(files)
    assert groups.rule == ("heuristic",) * 3 + ("singleton",) * 4
    assert len(set(groups.group[:3])) == 1 and groups.n_groups == 5
    assert groups.counts() == {"map": 0, "heuristic": 3, "singleton": 4}
    assert "3 by series + nearby shot numbers" in groups.summary()


def test_the_heuristic_window_and_the_block_span() -> None:
    cls = "Squash___Powdery_mildew"
    gap = [f"{cls}/x___S {n}.JPG" for n in (100, 100 + leaves.NEAR_WINDOW, 100 + 2 * leaves.NEAR_WINDOW + 1)]
    groups = leaves.leaf_groups(gap)
    assert groups.group[0] == groups.group[1] != groups.group[2]
    dense = [f"{cls}/x___S {n}.JPG" for n in range(1000, 1100)]  # shot after shot: cut into blocks
    blocks = defaultdict(list)
    for file, key in zip(dense, leaves.leaf_groups(dense).group, strict=True):
        blocks[key].append(leaves.shot_number(leaves.photo_name(file))[1])
    assert all(max(v) - min(v) < leaves.BLOCK_SPAN for v in blocks.values())
    assert len(blocks) == -(-100 // leaves.BLOCK_SPAN)


def test_the_window_and_span_follow_the_maps() -> None:
    """The module's documented numbers: leaf spans, shot gaps, and how well the heuristic finds leaves."""
    spans, gaps = [], []
    for relative in sorted({m for maps in leaves.CLASS_MAPS.values() for m in maps}):
        by_leaf = defaultdict(list)
        for name, leaf in leaves.load_map(relative).items():
            shot = leaves.shot_number(name)
            if shot:
                by_leaf[(shot[0], leaf)].append(shot[1])
        for numbers in by_leaf.values():
            numbers.sort()
            spans.append(numbers[-1] - numbers[0])
            gaps += [b - a for a, b in zip(numbers, numbers[1:], strict=False)]
    spans.sort()
    assert statistics.median(spans) == 3
    assert spans[int(0.95 * (len(spans) - 1))] == 11 <= leaves.NEAR_WINDOW + 1
    assert sum(g == 1 for g in gaps) / len(gaps) >= 0.9
    sample = leaves.heuristic_agreement(fraction=0.1)
    everything = leaves.heuristic_agreement(fraction=1.0)
    assert sample["leaves_whole"] >= 0.95 and everything["leaves_whole"] >= 0.86
    assert everything["leaves"] > 7000 and everything["mean_group_size"] < leaves.BLOCK_SPAN


# --- The real mini set --------------------------------------------------------------------------


def _true_leaves(mini: Path) -> dict[str, tuple[str, str]]:
    """Mini file -> (map, leaf #), from SOURCES.csv's ORIGINAL names (spaces, .JPG), compared verbatim."""
    truth = {}
    raw = {}
    for m in {m for maps in leaves.CLASS_MAPS.values() for m in maps}:
        with open(leaves.LEAFMAPS_DIR / m, encoding="utf-8", newline="") as handle:
            raw[m] = {r["File Name"]: r["Leaf #"] for r in csv.DictReader(handle)}
    with open(mini / "SOURCES.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            original = row["source_path"].rsplit("/", 1)[-1].split("___", 1)[-1]
            for m in leaves.CLASS_MAPS.get(row["class"], ()):
                if raw[m].get(original, "n/a") != "n/a":
                    truth[row["file"].removeprefix("color/")] = (m, raw[m][original])
                    break
    return truth


def test_mini_set_grouping_counts_and_no_leaf_on_two_sides() -> None:
    mini = _mini()
    truth = _true_leaves(mini)
    assert len(truth) == 436 and len(set(truth.values())) == 410  # the maps' README
    root = mini / "color"
    files, _, _ = scan_images(root)
    groups = leaves.leaf_groups(files)
    assert groups.counts() == {"map": 436, "heuristic": 74, "singleton": 174}
    mapped = {f: g for f, g, r in zip(groups.files, groups.group, groups.rule, strict=True) if r == "map"}
    assert set(mapped) == set(truth), "the renamed mini files (underscores, .jpg) match the original names"

    def crossing(split: dict) -> int:
        side = {f: name for name in splits.SPLIT_NAMES for f in split[name]}
        by_leaf = defaultdict(set)
        for file, leaf in truth.items():
            by_leaf[leaf].add(side[file])
        return sum(len(sides) > 1 for sides in by_leaf.values())

    leaf = splits.make_split(root, save=False, grouping="leaf")
    assert crossing(leaf) == 0
    assert leaf["leaf_groups"]["rules"] == groups.counts()
    assert crossing(splits.make_split(root, save=False, grouping="random")) > 0, "the check can fail"
    for fold in splits.kfold_splits(root, k=5, grouping="leaf"):
        assert crossing({"train": fold["train"], "val": fold["val"], "test": []}) == 0


def test_each_generated_tiny_leaf_is_its_own_group(tmp_path: Path) -> None:
    from helpers.data.tiny import make_tiny_plantvillage

    root = make_tiny_plantvillage(tmp_path, n_per_class=3)
    files, _, _ = scan_images(root)
    assert leaves.leaf_groups(files).counts() == {"map": 0, "heuristic": 0, "singleton": len(files)}
    split = splits.make_split(root, save=False, grouping="leaf")
    assert len(split["val"]) == len(split["test"]) == 38, "one validation and one test drawing per class"
