"""Tests for python -m helpers.crossval: leaf-grouped folds, a training run per fold, resumable (seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from helpers import crossval
from helpers.data.leaves import leaf_groups
from helpers.data.locate import scan_images
from helpers.data.splits import load_split

pytestmark = pytest.mark.usefixtures("isolated_training")


def test_smoke_run_writes_folds_tables_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "cv"
    assert crossval.main(["--smoke", "--jobs", "1", "--out", str(out)]) == 0
    table = pd.read_csv(out / "small-data.csv")
    summary = json.loads((out / "small-data.json").read_text())
    assert table["fold"].tolist() == [0, 1] and summary["folds_done"] == [0, 1] and summary["k"] == 2
    # The recipe scores with EMA weights and flips: its accuracy is that variant's, fold by fold.
    assert table["acc"].tolist() == pytest.approx(table["acc_ema_tta"].tolist())
    assert {"acc_raw", "acc_raw_tta", "acc_ema"} <= set(table.columns)
    assert summary["acc_mean"] == pytest.approx(table["acc"].mean())
    assert summary["acc_sd"] == pytest.approx(table["acc"].std(ddof=1))
    assert summary["settings"]["epochs"] == crossval.SMOKE["epochs"]
    assert summary["settings"]["image_size"] == crossval.SMOKE["image_size"]

    # The two held-out folds partition the images, and no leaf group is on both sides of a fold.
    folder = Path(json.loads((out / "small-data" / "fold0" / crossval.FOLD_FILE).read_text())["split_file"])
    splits = [load_split(folder.with_name(folder.name.replace("fold0", f"fold{i}"))) for i in range(2)]
    files, _, _ = scan_images(splits[0]["root"])
    assert sorted(splits[0]["test"] + splits[1]["test"]) == sorted(files)
    group = dict(zip(files, leaf_groups(files).group, strict=True))
    for split in splits:
        assert split["val"] == [] and not set(split["train"]) & set(split["test"])
        assert not {group[f] for f in split["train"]} & {group[f] for f in split["test"]}

    # Resumable: a second call finds every fold done and trains nothing.
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("small-data/fold*/checkpoint.pt")}
    assert crossval.main(["--smoke", "--jobs", "1", "--out", str(out)]) == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps

    shown = crossval.crossval_table(out)
    assert shown["candidate"].tolist() == ["small-data"] and shown["folds"].tolist() == [2]
    assert shown["acc"].iloc[0] == pytest.approx(100 * summary["acc_mean"])


def test_an_interrupted_fold_continues_from_its_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "cv"
    assert crossval.main(["--smoke", "--jobs", "1", "--out", str(out), "--only-folds", "0"]) == 0
    record = out / "small-data" / "fold0" / crossval.FOLD_FILE
    record.unlink()  # as if the process died after the last epoch's checkpoint, before scoring
    checkpoint = out / "small-data" / "fold0" / "checkpoint.pt"
    stamp = checkpoint.stat().st_mtime_ns
    assert crossval.main(["--smoke", "--jobs", "1", "--out", str(out), "--only-folds", "0"]) == 0
    assert record.is_file() and checkpoint.stat().st_mtime_ns == stamp, "scored again, not retrained"


def test_bad_fold_numbers_are_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert crossval.main(["--smoke", "--jobs", "1", "--out", str(tmp_path / "cv"), "--only-folds", "7"]) == 1
    assert "outside 0..1" in capsys.readouterr().err


def test_table_is_empty_without_runs(tmp_path: Path) -> None:
    assert crossval.crossval_table(tmp_path / "nothing").empty


def _summary(root: Path, name: str, accs: list[float], k: int = 3, size: int = 64) -> None:
    import statistics
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.json").write_text(json.dumps({
        "candidate": name, "k": k, "folds_done": list(range(len(accs))), "settings": {"image_size": size},
        "acc_mean": statistics.fmean(accs), "acc_sd": statistics.stdev(accs) if len(accs) > 1 else None,
        "acc_raw_mean": statistics.fmean(accs) - 0.02, "acc_ema_mean": statistics.fmean(accs) - 0.005,
        "acc_ema_tta_mean": statistics.fmean(accs),
        "epochs": 20, "image_size": size, "model": "resnet_minimal", "cpu_time_s_mean": 600.0,
        "wall_time_s_mean": 700.0, "machine": "x86_64, 2 CPUs, Linux"}))


def test_publish_needs_every_fold_and_ranks_by_the_mean(tmp_path: Path) -> None:
    root = tmp_path / "cv"
    _summary(root, "small", [0.5, 0.6, 0.55])
    _summary(root, "large", [0.7, 0.72, 0.68], size=128)
    _summary(root, "unfinished", [0.9])
    with pytest.raises(ValueError, match="unfinished: 1 of 3 folds done"):
        crossval.publish(root, ["small", "unfinished"], "cmd", tmp_path / "pub.json")
    saved = crossval.publish(root, ["small", "large"], "python -m helpers.crossval x", tmp_path / "pub.json")
    assert crossval.load_published(tmp_path / "pub.json") == saved
    table = crossval.published_table(saved)
    assert table["candidate"].tolist() == ["large", "small"], "best mean first"
    text = crossval.markdown_table(saved)
    assert "| `large` | 128 | 20 | 70.0 ± 2.0 (3 folds) | 68.0 | +1.5 | +0.5 | 10 |" in text
    assert text.index("`large`") < text.index("`small`") and "python -m helpers.crossval x" in text


def test_publishing_more_candidates_keeps_the_earlier_rows_with_their_command(tmp_path: Path) -> None:
    root, path = tmp_path / "cv", tmp_path / "pub.json"
    _summary(root, "small", [0.5, 0.6, 0.55])
    crossval.publish(root, ["small"], "python -m helpers.crossval first", path)
    _summary(root, "large", [0.7, 0.72, 0.68], size=128)
    saved = crossval.publish(root, ["large"], "python -m helpers.crossval second", path)
    assert [r["candidate"] for r in saved["rows"]] == ["large", "small"]
    text = crossval.markdown_table(saved)
    assert "`python -m helpers.crossval second`" in text and "`python -m helpers.crossval first`" in text
    _summary(root, "small", [0.52, 0.6, 0.55])
    again = crossval.publish(root, ["small"], "python -m helpers.crossval third", path)
    assert sorted(r["candidate"] for r in again["rows"]) == ["large", "small"], "replaced, not added twice"
    _summary(root, "five", [0.5] * 5, k=5)
    with pytest.raises(ValueError, match="published with 3 folds, not 5"):
        crossval.publish(root, ["five"], "python -m helpers.crossval --folds 5", path)


def test_published_rows_keep_each_folds_score_for_a_paired_comparison(tmp_path: Path) -> None:
    root, path = tmp_path / "cv", tmp_path / "pub.json"
    for name, accs in (("a", [0.5, 0.6, 0.55]), ("b", [0.52, 0.61, 0.58])):
        _summary(root, name, accs)
        for fold, acc in enumerate(accs):
            folder = root / name / f"fold{fold}"
            folder.mkdir(parents=True)
            (folder / crossval.FOLD_FILE).write_text(json.dumps({"fold": fold, "acc": acc}))
    saved = crossval.publish(root, ["a", "b"], "cmd", path)
    table = crossval.by_fold(saved)
    assert table.shape == (3, 2) and table["b"].tolist() == pytest.approx([52, 61, 58])
    assert (table["b"] - table["a"]).min() > 0, "b beats a on every fold"


def test_the_readme_shows_the_published_cross_validation_and_ships_its_winner() -> None:
    """README's table is what `--publish` wrote; `small-data` is the best mean, trained on every image."""
    from helpers import doc_tables, recipes

    saved = crossval.load_published()
    assert saved, "docs/small-data-crossval.json is missing: python -m helpers.crossval ... --publish"
    assert doc_tables.shown_table(crossval.README, crossval.TABLE) == crossval.markdown_table(saved)
    table = crossval.published_table(saved)
    assert set(table["candidate"]) == set(recipes.CANDIDATES), "every candidate run to the end, no other"
    best = dict(recipes.CANDIDATES[table["candidate"].iloc[0]], train_on="all")
    assert recipes.RECIPES["small-data"] == best
