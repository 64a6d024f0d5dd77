"""Scoring a finished run on any folder (helpers.evaluate): a tiny run at 64 px on the generated set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from helpers import config, engine
from helpers.checkpoint import load_checkpoint
from helpers.data.datasets import PlantVillageDataset
from helpers.data.tiny import PLANTVILLAGE_CLASSES, make_tiny_plantvillage
from helpers.data.transforms import MEAN, STD, ToNormalizedTensor
from helpers.evaluate import (
    EvaluationError,
    UnknownClassesError,
    evaluate_run,
    loose_key,
    main,
    match_classes,
)
from helpers.models import build_model
from helpers.predict import predict_files, prepare_image
from helpers.runs import load_run

KNOWN = ["Apple___Black_rot", "Grape___healthy", "Tomato___Late_blight"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated tiny set, 3 images per class (114 images)."""
    return make_tiny_plantvillage(tmp_path_factory.mktemp("data") / "tiny", n_per_class=3)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, tiny: Path, train_tiny_run) -> Path:
    """One batch of resnet_minimal at 64 px on the tiny set, by the training command."""
    return train_tiny_run(tmp_path_factory.mktemp("runs"), tiny, batch_size=4)


@pytest.fixture(scope="module")
def full(run_dir: Path, tiny: Path):
    """The run scored on the whole tiny set (written next to the run)."""
    return evaluate_run(run_dir, tiny.parent, batch_size=16, workers=0, device="cpu")


def _copy_classes(source: Path, target: Path, classes: list[str],
                  rename: dict[str, str] | None = None) -> Path:
    """Copy the images of ``classes`` from ``source`` into ``target/<class or its new name>/``."""
    for name in classes:
        shutil.copytree(source / name, target / (rename or {}).get(name, name))
    return target


def test_same_accuracy_as_an_independent_evaluation_of_the_checkpoint(full, run_dir: Path,
                                                                       tiny: Path) -> None:
    """The checkpoint rebuilt by hand and run through engine.predict at the size in results.json."""
    results = json.loads((run_dir / "results.json").read_text())
    state = load_checkpoint(run_dir / "checkpoint.pt")
    model = build_model("resnet_minimal", num_classes=38)
    model.load_state_dict(state["model"])
    size = results["image_size"]
    assert size == 64
    dataset = PlantVillageDataset(tiny, classes=results["class_names"], image_size=size,
                                  transform=ToNormalizedTensor(MEAN, STD))
    loader = torch.utils.data.DataLoader(dataset, batch_size=7)
    y_true, y_pred, probs = engine.predict(model, loader, torch.device("cpu"), precision="fp32")

    summary = full.summary
    assert summary["images"] == len(dataset) == 114
    assert summary["correct"] == int((y_true == y_pred).sum()), "exactly the same number right"
    assert full.accuracy == int((y_true == y_pred).sum()) / len(y_true)
    top5 = (probs.topk(5, dim=1).indices == y_true[:, None]).any(dim=1)
    assert summary["top5_accuracy"] == int(top5.sum()) / len(y_true)
    # Not only the same count: the same answer and the same confidence for every image.
    expected = pd.DataFrame({"file": dataset.files, "predicted": [results["class_names"][i] for i in y_pred],
                             "probability": probs.max(dim=1).values.numpy()}).sort_values("file")
    got = full.predictions.sort_values("file")
    assert got["file"].tolist() == expected["file"].tolist()
    assert got["predicted"].tolist() == expected["predicted"].tolist()
    assert torch.allclose(torch.tensor(got["probability"].to_numpy()),
                          torch.tensor(expected["probability"].to_numpy()), atol=1e-5)


def test_report_baselines_and_files_written(full, run_dir: Path, tiny: Path) -> None:
    summary = full.summary
    results = json.loads((run_dir / "results.json").read_text())
    majority = results["baselines"]["majority_class"]
    truth = full.predictions["true"]
    assert summary["baselines"]["training_majority_acc"] == pytest.approx(
        (truth == PLANTVILLAGE_CLASSES[majority]).mean())
    share = truth.value_counts().max() / len(truth)
    assert summary["baselines"]["folder_majority_share"] == pytest.approx(share)
    assert summary["overlap_with_training_split"] == {"train": 38, "val": 38, "test": 38}, "its own data"
    assert summary["settings"]["image_size"] == 64 and summary["settings"]["mean"] == list(MEAN)
    assert summary["folder"]["classes_root"] == str(tiny)
    per_class = full.per_class
    assert len(per_class) == 38 and (per_class["support"] == 3).all()
    assert per_class["correct"].sum() == summary["correct"]
    saved = json.loads(full.files["json"].read_text())
    assert full.files["json"].parent == run_dir / "evaluations"
    assert saved["accuracy"] == summary["accuracy"] and saved["counts"]["scored"] == 114
    assert pd.read_csv(full.files["csv"])["support"].sum() == 114
    text = full.report()
    assert f"{summary['accuracy']:7.2%}" in text and "training-majority class" in text
    assert "Tomato___Late_blight" in text and "trained on" in text


def by_hand(predictions: pd.DataFrame) -> tuple[float, float]:
    """Balanced accuracy and macro-F1 counted from the per-image predictions, not from a confusion matrix."""
    true, predicted = predictions["true"], predictions["predicted"]
    recalls = [(predicted[true == c] == c).mean() for c in sorted(set(true))]
    f1 = [2 * ((true == c) & (predicted == c)).sum() / ((true == c).sum() + (predicted == c).sum())
          for c in sorted(set(true) | set(predicted))]
    return float(np.mean(recalls)), float(np.mean(f1))


def test_balanced_accuracy_and_macro_f1_are_printed_and_saved(full, run_dir: Path, tiny: Path,
                                                              tmp_path: Path) -> None:
    summary = full.summary
    balanced, f1 = by_hand(full.predictions)
    assert summary["balanced_accuracy"] == pytest.approx(balanced)
    assert summary["balanced_accuracy"] == pytest.approx(full.per_class["accuracy"].mean()), "38 classes of 3"
    assert summary["macro_f1"] == pytest.approx(f1) and summary["classes_scored"] == 38
    saved = json.loads(full.files["json"].read_text())
    assert [saved[key] for key in ("balanced_accuracy", "macro_f1")] == [
        summary["balanced_accuracy"], summary["macro_f1"]]
    text = full.report()
    assert f"balanced acc.   {summary['balanced_accuracy']:7.2%}" in text
    assert f"macro-F1        {summary['macro_f1']:7.2%}" in text
    # Unequal classes: 3, 2 and 1 images. Balanced accuracy weighs each class the same, accuracy each image.
    folder = _copy_classes(tiny, tmp_path / "unequal", KNOWN)
    for name, keep in zip(KNOWN, (3, 2, 1), strict=True):
        for image in sorted((folder / name).iterdir())[keep:]:
            image.unlink()
    evaluation = evaluate_run(run_dir, folder, workers=0, save=False)
    assert evaluation.summary["images"] == 6 and evaluation.summary["classes_scored"] == 3
    assert (evaluation.summary["balanced_accuracy"], evaluation.summary["macro_f1"]) == pytest.approx(
        by_hand(evaluation.predictions))


def test_the_model_sees_the_image_size_it_was_trained_at(run_dir: Path, tiny: Path) -> None:
    run = load_run(run_dir)
    shapes: list[tuple[int, ...]] = []
    run.model.register_forward_hook(lambda module, inputs, output: shapes.append(tuple(inputs[0].shape[1:])))
    evaluation = evaluate_run(run, tiny, max_images=10, workers=0, save=False)
    assert run.image_size == 64 and shapes and set(shapes) == {(3, 64, 64)}, "64 px, never the data set's 256"
    assert evaluation.summary["images"] == 10


def test_predict_files_agrees_with_the_evaluation(full, run_dir: Path, tiny: Path) -> None:
    row = full.predictions.iloc[5]
    [entry] = predict_files(run_dir, [tiny / row["file"]], k=3)
    assert entry["error"] is None and len(entry["top"]) == 3
    assert entry["top"][0]["class"] == row["predicted"]
    assert entry["top"][0]["probability"] == pytest.approx(row["probability"], abs=1e-5)


def test_unknown_classes_are_one_paragraph_and_can_be_ignored(
        run_dir: Path, tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy_classes(tiny, tmp_path / "field", KNOWN[:2])
    for name in ("Banana___Black_sigatoka", "Tomato___Late_blite"):
        shutil.copytree(tiny / "Apple___Apple_scab", folder / name)
    with pytest.raises(UnknownClassesError) as raised:
        evaluate_run(run_dir, folder, workers=0, save=False)
    message = str(raised.value)
    assert "\n" not in message, "one paragraph"
    assert "Banana___Black_sigatoka (3 images)" in message and "--ignore-unknown" in message
    assert "closest known: Tomato___Late_blight" in message
    assert main([str(run_dir), str(folder), "--workers", "0", "--no-save"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1

    evaluation = evaluate_run(run_dir, folder, workers=0, save=False, ignore_unknown=True)
    counts = evaluation.summary["counts"]
    assert counts["images_skipped_unknown"] == 6 and counts["scored"] == 6
    assert counts["images_in_folder"] == 12
    assert set(evaluation.per_class["class"]) == set(KNOWN[:2])
    assert main([str(run_dir), str(folder), "--workers", "0", "--no-save", "--ignore-unknown"]) == 0
    assert "Skipped 6 images of 2 classes the run never learnt" in capsys.readouterr().out


@pytest.mark.parametrize("layout", ["plantvillage dataset/color", "raw/color", "color", "."])
def test_every_accepted_layout_and_a_folder_lacking_classes(full, run_dir: Path, tiny: Path, tmp_path: Path,
                                                            layout: str) -> None:
    _copy_classes(tiny, tmp_path / "mine" / layout, KNOWN)
    evaluation = evaluate_run(run_dir, tmp_path / "mine", workers=0, save=False)
    assert evaluation.summary["counts"]["run_classes_not_in_folder"] == 35, "35 classes absent: fine"
    assert list(evaluation.per_class["class"]) == KNOWN and (evaluation.per_class["support"] == 3).all()
    same = full.predictions[full.predictions["true"].isin(KNOWN)].reset_index(drop=True)
    assert evaluation.predictions["predicted"].tolist() == same["predicted"].tolist(), "as on the full set"
    assert evaluation.accuracy == pytest.approx(same["correct"].mean())


def test_usual_spelling_differences_are_matched_safely(full, run_dir: Path, tiny: Path,
                                                        tmp_path: Path) -> None:
    rename = {"Pepper,_bell___Bacterial_spot": "Pepper__bell___Bacterial_spot",
              "Tomato___Spider_mites Two-spotted_spider_mite": "Tomato_Spider_mites_Two_spotted_spider_mite"}
    folder = _copy_classes(tiny, tmp_path / "kaggle", list(rename), rename)
    evaluation = evaluate_run(run_dir, folder, workers=0, save=False)
    assert evaluation.summary["renamed_classes"] == {new: old for old, new in rename.items()}
    assert sorted(evaluation.per_class["class"]) == sorted(rename)
    same = full.predictions[full.predictions["true"].isin(rename)]
    assert evaluation.summary["correct"] == int(same["correct"].sum())


def test_match_classes_never_guesses_between_two_classes() -> None:
    run = ["Tomato___healthy", "Tomato__healthy", "Corn_(maize)___healthy", "Apple___Black_rot"]
    match = match_classes(["tomato healthy", "Tomato__healthy", "Corn___healthy", "apple black rot"], run)
    assert match.labels == {"Tomato__healthy": 1, "apple black rot": 3}, "exact first; a shared key unused"
    assert match.unknown == ["tomato healthy", "Corn___healthy"] and match.renamed == {
        "apple black rot": "Apple___Black_rot"}
    assert match.missing == ["Tomato___healthy", "Corn_(maize)___healthy"]
    assert loose_key("Pepper,_bell___Bacterial_spot") == loose_key("Pepper__bell___Bacterial_spot")
    kaggle = "Tomato__Tomato_YellowLeaf__Curl_Virus"
    assert loose_key("Tomato___Tomato_Yellow_Leaf_Curl_Virus") == loose_key(kaggle)


def test_bad_files_are_skipped_and_named(full, run_dir: Path, tiny: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy_classes(tiny, tmp_path / "dirty", KNOWN)
    (folder / KNOWN[0] / "notes.jpg").write_text("not a photo\n")
    whole = min((tiny / KNOWN[1]).glob("*.jpg")).read_bytes()
    (folder / KNOWN[1] / "truncated.jpg").write_bytes(whole[:300])
    Image.new("RGBA", (90, 70), (30, 140, 30, 128)).save(folder / KNOWN[2] / "rgba.png")
    evaluation = evaluate_run(run_dir, folder, workers=0, save=False)
    bad = {item["file"]: item["reason"] for item in evaluation.summary["unreadable_files"]}
    assert set(bad) == {f"{KNOWN[0]}/notes.jpg", f"{KNOWN[1]}/truncated.jpg"}
    assert all(bad.values()), "each with its reason"
    assert evaluation.summary["counts"]["scored"] == 10, "9 good copies and the RGBA PNG"
    assert main([str(run_dir), str(folder), "--workers", "0", "--no-save"]) == 0
    out = capsys.readouterr().out
    assert "Skipped 2 unreadable files" in out and "notes.jpg" in out and "truncated.jpg" in out


def test_max_images_is_a_seeded_stratified_sample(run_dir: Path, tiny: Path) -> None:
    first = evaluate_run(run_dir, tiny, max_images=38, workers=0)
    again = evaluate_run(run_dir, tiny, max_images=38, workers=0, save=False)
    assert first.predictions["file"].tolist() == again.predictions["file"].tolist(), "seeded"
    assert len(first.per_class) == 38 and (first.per_class["support"] == 1).all(), "every class, not 38 first"
    other = evaluate_run(run_dir, tiny, max_images=38, seed=1, workers=0, save=False)
    assert other.predictions["file"].tolist() != first.predictions["file"].tolist()
    assert first.files["json"].name.endswith("-max38-seed0.json")


def test_tta_averages_the_four_flips(full, run_dir: Path, tiny: Path, tmp_path: Path) -> None:
    folder = _copy_classes(tiny, tmp_path / "flip", KNOWN[:1])
    evaluation = evaluate_run(run_dir, folder, workers=0, save=False, tta=True)
    run = load_run(run_dir)
    row = evaluation.predictions.iloc[0]
    x = prepare_image(folder / row["file"], 64)
    with torch.no_grad():
        views = [x, x.flip(-1), x.flip(-2), x.flip(-2, -1)]
        probs = torch.stack([run.model(v).softmax(dim=-1)[0] for v in views]).mean(dim=0)
    assert run.class_names[int(probs.argmax())] == row["predicted"]
    assert float(probs.max()) == pytest.approx(row["probability"], abs=1e-5)
    assert evaluation.summary["settings"]["tta_views"] == 4


def test_clear_errors_without_a_trace(run_dir: Path, tiny: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), str(tiny)]) == 1
    assert "No checkpoint.pt in" in capsys.readouterr().err
    assert main([str(run_dir), str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "flat").mkdir()
    shutil.copy(min((tiny / KNOWN[0]).glob("*.jpg")), tmp_path / "flat")
    assert main([str(run_dir), str(tmp_path / "flat")]) == 1
    assert "no class folders" in capsys.readouterr().err
    with pytest.raises(EvaluationError, match="max_images"):
        evaluate_run(run_dir, tiny, max_images=0)


def test_on_the_real_mini_set_when_present(run_dir: Path) -> None:
    """The course team's real leaves (../shared/data/plantvillage-mini): same answers as engine.predict."""
    shared = config.shared_data_dir()
    if shared is None or not (shared / "plantvillage-mini").is_dir():
        pytest.skip("../shared/data/plantvillage-mini is not here")
    evaluation = evaluate_run(run_dir, shared / "plantvillage-mini", max_images=38, workers=0, save=False)
    assert len(evaluation.per_class) == 38, "a stratified sample: every class once"
    run = load_run(run_dir)
    files = evaluation.predictions["file"].tolist()
    dataset = PlantVillageDataset(shared / "plantvillage-mini" / "color", files, run.class_names,
                                  transform=ToNormalizedTensor(run.mean, run.std), image_size=run.image_size)
    y_true, y_pred, _ = engine.predict(run.model, torch.utils.data.DataLoader(dataset, batch_size=9),
                                       torch.device("cpu"), precision="fp32")
    assert evaluation.summary["correct"] == int((y_true == y_pred).sum())
    assert evaluation.predictions["predicted"].tolist() == [run.class_names[i] for i in y_pred]
