"""``python -m helpers.train --split random|leaf``: the split is used, saved and recorded (seconds)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import train
from helpers.data import leaves, splits

FAST = ["--model", "resnet_minimal", "--image-size", "32", "--batch-size", "8", "--max-batches", "1",
        "--workers", "0", "--no-progress", "--threads", "1", "--epochs", "1"]


pytestmark = pytest.mark.usefixtures("isolated_training")


def leafy_folder(root: Path) -> Path:
    """Three classes of small JPEGs named like PlantVillage's photos: 4 photos per leaf in the mapped ones."""
    rng = np.random.default_rng(0)
    for cls, relative in (("Tomato___healthy", "filtered_leafmaps/Tomato___healthy.csv"),
                          ("Potato___Late_blight", "leaf_maps/Potato_Late Blight Fungus.csv")):
        with open(leaves.LEAFMAPS_DIR / relative, encoding="utf-8", newline="") as handle:
            names = [row["File Name"] for row in csv.DictReader(handle)][:40]
        (root / cls).mkdir(parents=True)
        for k, name in enumerate(names):
            pixels = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / cls / f"{k:04x}___{name.replace(' ', '_')}")
    (root / "Squash___Powdery_mildew").mkdir()
    for n in range(20):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(
            root / "Squash___Powdery_mildew" / f"UF.Sq_PM {1000 + 40 * n}.JPG")
    return root


@pytest.mark.parametrize("split", ["leaf", "random"])
def test_split_option_is_used_saved_and_recorded(tmp_path: Path, split: str) -> None:
    data = leafy_folder(tmp_path / "images")
    run = tmp_path / "run"
    assert train.main([*FAST, "--data", str(data), "--run-dir", str(run), "--split", split]) == 0
    results = json.loads((run / "results.json").read_text())
    assert results["split"] == split and results["settings"]["split"] == split
    saved = splits.load_split(results["split_file"])
    assert saved["grouping"] == split and Path(results["split_file"]).name.endswith(f"-{split}.json")
    assert results["images"] == {name: len(saved[name]) for name in splits.SPLIT_NAMES}
    group_of = leaves.leaf_groups(saved["train"] + saved["val"] + saved["test"]).group_of()
    shared = {group_of[f] for f in saved["train"]} & {group_of[f] for f in saved["test"]}
    if split == "leaf":
        assert not shared and saved["leaf_groups"]["rules"]["map"] == 80
    else:
        assert shared, "40 photos of 10 leaves per class cut at random: some leaf is on both sides"


def test_default_split_is_random() -> None:
    assert train.build_parser().parse_args(["--model", "resnet_minimal"]).split == "random"
    with pytest.raises(SystemExit):
        train.build_parser().parse_args(["--model", "resnet_minimal", "--split", "plant"])
