"""Which PlantVillage photos show the same leaf: the published leaf maps, and a fallback for the rest.

The PlantVillage team photographed each leaf several times (mostly 4 photos, up to 33). The
dataset's authors published which photo shows which leaf: ``leaf_grouping/`` of
``spMohanty/PlantVillage-Dataset`` (Mohanty, Hughes & Salathé 2016), 35 CSV files shipped in
``helpers/data/leafmaps/`` (see the README there: format, licence, which CSV is which class).

:func:`leaf_groups` gives every image a *group*, so a split can keep each group on one side:

``map``
    The photo's original name (the part of the file name after ``___``, e.g. ``FREC_Scab 3438.JPG``)
    is in a map **of the image's own class** (:data:`CLASS_MAPS`); its group is (map, leaf #).
    Names are compared after :func:`photo_name`: case, extension, and runs of spaces and
    underscores are ignored (the mini set writes ``FREC_Scab_3438.jpg``), as is a trailing
    ``copy`` / ``copy 2`` (a copy of a photo is the same photo). Only the own class's maps are
    searched: ``RS_HL 0003.JPG`` is a different leaf in each of six healthy series.
``heuristic``
    Photos no map covers (7 classes have no map; some series are missing from the maps; some
    copies of the data set renamed the files) are grouped by their name: same class, same photo
    series (``FREC_Scab``), shot numbers close together. Photos of one leaf were taken one after
    the other, so their numbers are close: within a leaf, consecutive shots are 1 apart for 90%
    of the pairs in the maps, and a whole leaf spans 3 numbers (median), 11 for 95% of leaves.
    Two photos of one series whose numbers differ by at most :data:`NEAR_WINDOW` (10) are
    linked, and chains of links are cut into blocks spanning fewer than :data:`BLOCK_SPAN`
    (32) numbers: a series photographed without gaps would otherwise become one huge group (in
    the full set the numbers run on from one leaf to the next). Measured on the maps' own
    names with the maps hidden (:func:`heuristic_agreement`): the rule keeps 95% of the
    multi-photo leaves whole in a 10% sample of the photos and 86% when every photo is there
    (``tests/test_leaves.py`` holds these numbers); the leaves it cuts sit at block boundaries
    and leak only when the two blocks land on different sides. Names without a shot number stay alone.
``singleton``
    A photo the maps do not cover and the heuristic links to nothing: its own group.
"""

from __future__ import annotations

import csv
import functools
import os
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

LEAFMAPS_DIR = Path(__file__).resolve().parent / "leafmaps"
"""The 35 CSV maps, text unchanged: ``filtered_leafmaps/`` (19) and ``leaf_maps/`` (16)."""
MAPS_SOURCE = "github.com/spMohanty/PlantVillage-Dataset, leaf_grouping/, commit 40789680ba2e"
MAPS_CITATION = ("Mohanty, Hughes & Salathé (2016), Using deep learning for image-based plant disease "
                 "detection, Frontiers in Plant Science 7:1419, doi:10.3389/fpls.2016.01419")
NEAR_WINDOW = 10
"""Photos of one series whose shot numbers differ by at most this much are linked (heuristic)."""
BLOCK_SPAN = 32
"""A chain of linked photos is cut into blocks spanning fewer than this many shot numbers."""
RULES = ("map", "heuristic", "singleton")

_NAMED_AFTER_THEIR_CLASS = (
    "Apple___healthy", "Blueberry___healthy", "Cherry_(including_sour)___Powdery_mildew", "Grape___Black_rot",
    "Grape___Esca_(Black_Measles)", "Grape___Leaf_blight_(Isariopsis_Leaf_Spot)",
    # The filtered Orange map is the June sheet followed by the October sheet (leaves "OCT_n").
    "Orange___Haunglongbing_(Citrus_greening)", "Peach___healthy",
    # The filtered Pepper map is the NREC sheet followed by the JR sheet (leaves "JR_n").
    "Pepper,_bell___Bacterial_spot", "Potato___healthy", "Soybean___healthy", "Strawberry___Leaf_scorch",
    "Strawberry___healthy", "Tomato___Bacterial_spot", "Tomato___Early_blight", "Tomato___Target_Spot",
    "Tomato___Tomato_Yellow_Leaf_Curl_Virus", "Tomato___healthy",
)
CLASS_MAPS: dict[str, tuple[str, ...]] = {
    **{name: (f"filtered_leafmaps/{name}.csv",) for name in _NAMED_AFTER_THEIR_CLASS},
    # Frogeye leaf spot is the leaf symptom of apple black rot; its JR_FrgE.S photos are in Black_rot.
    "Apple___Black_rot": ("filtered_leafmaps/Apple_Frogeye Spot.csv",),
    "Apple___Apple_scab": ("leaf_maps/Apple_Scab.csv",),
    "Apple___Cedar_apple_rust": ("leaf_maps/Apple_Cedar Apple Rust.csv",),
    "Cherry_(including_sour)___healthy": ("leaf_maps/Cherry_Healthy.csv",),
    "Peach___Bacterial_spot": ("leaf_maps/Peach_Bacterial Spot.csv",),
    "Pepper,_bell___healthy": ("leaf_maps/Pepper_Healthy.csv",),
    "Potato___Early_blight": ("leaf_maps/Potato_Early Blight Fungus.csv",),
    "Potato___Late_blight": ("leaf_maps/Potato_Late Blight Fungus.csv",),
    "Raspberry___healthy": ("leaf_maps/Raspberry_Sheet1.csv",),  # Mary_HL: healthy raspberry leaves
    "Tomato___Late_blight": ("leaf_maps/Tomato_Late Blight Water Mold.csv",),
    "Tomato___Leaf_Mold": ("leaf_maps/Tomato_Leaf Mold Fungus.csv",),
    "Tomato___Septoria_leaf_spot": ("leaf_maps/Tomato_Septoria Leaf Spot Fungus.csv",),
    "Tomato___Spider_mites Two-spotted_spider_mite": ("leaf_maps/Tomato_Spider Mite Damage Insect.csv",),
}
"""The maps of each of the 31 mapped classes, searched in order (the first that has the photo wins).

The raw sheets ``leaf_maps/Citrus_Citrus Greening June.csv``, ``...Oct..csv``, ``Pepper_Bac spot
NREC.csv`` and ``Pepper_Bacterial Spot JR.csv`` are shipped too but not listed: the filtered Orange
and Pepper maps hold exactly their rows. No map exists for Corn (4 classes), Grape___healthy,
Squash___Powdery_mildew and Tomato___Tomato_mosaic_virus."""

_SEPARATORS = re.compile(r"[ _]+")
_COPY = re.compile(r"(_copy(_\d+)?)+$")
_MASKED = re.compile(r"_final_masked$")  # the Kaggle mirror's segmented variant adds this
_SHOT = re.compile(r"^(?P<series>.*?)_?(?P<number>\d+)(?:[._]\d+)*$")


def photo_name(file: str | Path) -> str:
    """A photo's original name in comparable form: ``<uuid>___FREC_Scab 3438.JPG`` -> ``frec_scab_3438``.

    The class folder and the ``<uuid>___`` prefix are dropped, the extension too, runs of spaces
    and underscores become one ``_``, and the result is lower-cased.
    """
    base = os.path.basename(str(file))
    if "___" in base:
        base = base.split("___", 1)[1]
    stem = os.path.splitext(base)[0]
    return _MASKED.sub("", _SEPARATORS.sub("_", stem.strip()).lower())


def without_copy(name: str) -> str:
    """``photo_name`` without a trailing ``_copy`` / ``_copy_2`` (a copy is the same photo)."""
    return _COPY.sub("", name)


def shot_number(name: str) -> tuple[str, int] | None:
    """``(series, shot number)`` of a :func:`photo_name`: ``frec_scab_3438`` -> ``("frec_scab", 3438)``.

    A decimal or counter after the number (``ghlb2_leaf_153.2``, Soybean's ``rs_hl_5518_1``)
    belongs to the same shot; None when the name has no number.
    """
    match = _SHOT.match(without_copy(name))
    if match is None or not match["series"]:
        return None
    return match["series"], int(match["number"])


def read_map(path: str | Path) -> dict[str, str]:
    """One CSV map as ``{photo_name: leaf id}`` (rows whose leaf is ``n/a`` are left out)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and set(rows[0]) != {"File Name", "Leaf #"}:
        raise ValueError(f"{path} is not a leaf map: its columns are {sorted(rows[0])}, not "
                         "'File Name', 'Leaf #'")
    leaves = {}
    for row in rows:
        leaf = row["Leaf #"].strip()
        if leaf and leaf.lower() != "n/a":
            leaves[photo_name(row["File Name"])] = leaf
    return leaves


@functools.cache
def load_map(relative: str) -> dict[str, str]:
    """A shipped map by its path under :data:`LEAFMAPS_DIR`, read once per process."""
    path = LEAFMAPS_DIR / relative
    if not path.is_file():
        raise FileNotFoundError(f"Leaf map {path} is missing: the helpers package is incomplete "
                                "(reinstall it, or check out helpers/data/leafmaps/)")
    return read_map(path)


def map_files() -> list[str]:
    """Every shipped CSV map, relative to :data:`LEAFMAPS_DIR`, sorted."""
    return sorted(p.relative_to(LEAFMAPS_DIR).as_posix() for p in LEAFMAPS_DIR.glob("*/*.csv"))


@dataclass(frozen=True)
class LeafGroups:
    """A group and the rule that made it for every file (same order as the files given)."""

    files: tuple[str, ...]
    group: tuple[str, ...]
    rule: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        """Images grouped by each rule: ``{"map": ..., "heuristic": ..., "singleton": ...}``."""
        found = Counter(self.rule)
        return {rule: found.get(rule, 0) for rule in RULES}

    @property
    def n_groups(self) -> int:
        """How many distinct groups (leaves, or blocks of nearby shots, or single photos)."""
        return len(set(self.group))

    def group_of(self) -> dict[str, str]:
        """``{file: group}``."""
        return dict(zip(self.files, self.group, strict=True))

    def summary(self) -> str:
        """One line: images per rule and the number of groups."""
        counts = self.counts()
        return (f"{len(self.files)} images in {self.n_groups} groups: {counts['map']} by the leaf maps, "
                f"{counts['heuristic']} by series + nearby shot numbers, {counts['singleton']} alone")


def _blocks(numbers: Sequence[int], window: int, span: int) -> list[int]:
    """Block index of each (sorted) shot number: a new block after a gap > window or at the span limit."""
    blocks: list[int] = []
    start = previous = None
    block = -1
    for number in numbers:
        if previous is None or number - previous > window or number - start >= span:
            block += 1
            start = number
        blocks.append(block)
        previous = number
    return blocks


def nearby_groups(names: Sequence[tuple[str, str]], window: int = NEAR_WINDOW,
                  span: int = BLOCK_SPAN) -> list[str | None]:
    """The heuristic alone: a group key per ``(class, photo_name)``, None for names without a shot number."""
    keys: list[str | None] = [None] * len(names)
    series: dict[tuple[str, str], list[tuple[int, str, int]]] = defaultdict(list)
    for index, (cls, name) in enumerate(names):
        shot = shot_number(name)
        if shot is not None:
            series[(cls, shot[0])].append((shot[1], name, index))
    for (cls, prefix), shots in series.items():
        shots.sort()
        for block, (_, _, index) in zip(_blocks([n for n, _, _ in shots], window, span), shots, strict=True):
            keys[index] = f"near:{cls}:{prefix}:{block}"
    return keys


def leaf_groups(files: Iterable[str], window: int = NEAR_WINDOW, span: int = BLOCK_SPAN) -> LeafGroups:
    """A leaf group for every file ``"<class>/<file name>"`` (the split files' form); see the module doc."""
    files = tuple(files)
    group: list[str | None] = [None] * len(files)
    rule = ["singleton"] * len(files)
    unmapped: list[int] = []
    for index, file in enumerate(files):
        cls = Path(file).parts[0] if len(Path(file).parts) > 1 else ""
        name = photo_name(file)
        for relative in CLASS_MAPS.get(cls, ()):
            leaves = load_map(relative)
            leaf = leaves.get(name) or leaves.get(without_copy(name))
            if leaf is not None:
                group[index], rule[index] = f"map:{relative}:{leaf}", "map"
                break
        else:
            unmapped.append(index)
    near = nearby_groups([(Path(files[i]).parts[0], photo_name(files[i])) for i in unmapped], window, span)
    sizes = Counter(key for key in near if key is not None)
    for index, key in zip(unmapped, near, strict=True):
        if key is not None and sizes[key] > 1:
            group[index], rule[index] = key, "heuristic"
        else:
            group[index] = f"single:{files[index]}"
    return LeafGroups(files, tuple(g for g in group if g is not None), tuple(rule))


def heuristic_agreement(fraction: float = 1.0, seed: int = 0, window: int = NEAR_WINDOW,
                        span: int = BLOCK_SPAN) -> dict[str, float]:
    """How well the heuristic finds the maps' leaves when the maps are hidden.

    Each map's names (a random ``fraction`` of them, like a subset of the data set) are grouped
    by :func:`nearby_groups` alone and compared with the map. Returns ``leaves_whole``: the share
    of leaves with 2+ photos that the heuristic keeps in one group, ``mean_group_size`` and
    ``leaves`` (how many multi-photo leaves were compared). The two raw sheets that the filtered
    Orange and Pepper maps repeat are skipped.
    """
    rng = random.Random(seed)
    listed = {m for maps in CLASS_MAPS.values() for m in maps}
    whole = total = 0
    sizes: list[int] = []
    for relative in sorted(listed):
        names = [(name, leaf) for name, leaf in load_map(relative).items() if rng.random() < fraction]
        keys = nearby_groups([(relative, name) for name, _ in names], window, span)
        sizes += list(Counter(k for k in keys if k is not None).values())
        by_leaf: dict[str, set[str | None]] = defaultdict(set)
        photos: Counter[str] = Counter()
        for (_, leaf), key in zip(names, keys, strict=True):
            by_leaf[leaf].add(key)
            photos[leaf] += 1
        for leaf, found in by_leaf.items():
            if photos[leaf] > 1:
                total += 1
                whole += len(found) == 1 and None not in found
    return {"leaves_whole": whole / total if total else float("nan"),
            "mean_group_size": sum(sizes) / len(sizes) if sizes else float("nan"), "leaves": total}
