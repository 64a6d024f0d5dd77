"""The Hugging Face route of helpers.data.download with local fake snapshots: never the network.

A fake ``huggingface_hub`` module's ``snapshot_download`` writes a miniature copy of what the
Hub repository ``mohanty/PlantVillage`` serves (``data.zip`` with ``raw/<variant>/<class>/<file>``,
or Parquet, or plain image folders) into the folder it is given, as the real one does.
"""

from __future__ import annotations

import io
import json
import sys
import types
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from helpers.data import download
from helpers.data import huggingface as hf
from helpers.data import locate as pv
from helpers.data.__main__ import main as data_cli

CLASSES = ["Apple___healthy", "Corn_(maize)___Common_rust_", "Tomato___Spider_mites Two-spotted_spider_mite"]
# Original PlantVillage names: a uuid, the photographer's code, upper-case extension, spaces.
NAMES = {name: [f"{k}{i}a7c-0b1d___RS_HL {1000 + i}.JPG" for i in range(2)] for k, name in enumerate(CLASSES)}


def jpeg(seed: int) -> bytes:
    """A small, real JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (seed * 40 % 256, 120, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def member_files(variant: str = "color") -> dict[str, bytes]:
    """``raw/<variant>/<class>/<name>`` -> bytes, as in the Hub's data.zip."""
    return {f"raw/{variant}/{name}/{file}": jpeg(k * 10 + i)
            for k, name in enumerate(CLASSES) for i, file in enumerate(NAMES[name])}


def zip_snapshot(folder: Path, corrupt: str | None = None) -> None:
    """data.zip (colour and grayscale), the split lists and the card, as the Hub repository holds them."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "data.zip", "w") as zf:
        for variant in ("color", "grayscale"):
            for path, data in member_files(variant).items():
                zf.writestr(path, b"not a jpeg at all" if corrupt and path.endswith(corrupt) else data)
    (folder / "splits").mkdir(exist_ok=True)
    (folder / "splits" / "color_train.txt").write_text("\n".join(member_files()))
    (folder / "README.md").write_text("---\nlicense: cc-by-sa-3.0\n---\n")


@pytest.fixture
def small_expectations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the full set is these 3 classes x 2 images, so a fake snapshot counts as complete."""
    monkeypatch.setattr(download, "EXPECTED_IMAGES", len(CLASSES) * 2)
    monkeypatch.setattr(download, "EXPECTED_CLASSES", len(CLASSES))
    monkeypatch.setattr(download, "EXPECTED_COUNTS", dict.fromkeys(CLASSES, 2))


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """A huggingface_hub module whose snapshot_download fills ``local_dir`` with ``state.build``."""
    state = types.SimpleNamespace(calls=[], build=zip_snapshot)

    def snapshot_download(repo_id: str, *, repo_type: str, local_dir: str, allow_patterns: list[str]) -> str:
        state.calls.append({"repo_id": repo_id, "repo_type": repo_type, "allow_patterns": allow_patterns})
        state.build(Path(local_dir))
        return local_dir

    module = types.ModuleType("huggingface_hub")
    module.snapshot_download = snapshot_download
    monkeypatch.setitem(sys.modules, "huggingface_hub", module)
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # the Kaggle route is never what runs here
    return state


def tree(folder: Path) -> dict[str, bytes]:
    """Every visible file under ``folder`` (relative path -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def expected_tree(variant: str = "color") -> dict[str, bytes]:
    """What the course should find in ``plantvillage/``: ``<variant>/<class>/<original name>``."""
    return {path.removeprefix("raw/"): data for path, data in member_files(variant).items()}


def test_hf_route_writes_class_folders_with_original_names(tmp_path, fake_hub, small_expectations,
                                                           capsys) -> None:
    data_root = tmp_path / "shared"
    assert download.main([str(data_root), "--source", "hf"]) == 0
    out = capsys.readouterr().out
    assert "6 images written, 0 already there" in out and "6 of 6 images, 3 of 3 classes" in out
    assert "every image opened: 0 unreadable" in out
    target = data_root / "plantvillage"
    assert tree(target) == expected_tree()  # only colour, same bytes, original names, nothing else
    assert pv.find_plantvillage(target) == target / "color"
    assert pv.class_counts(target).to_dict() == dict.fromkeys(CLASSES, 2)
    assert not (target / hf.DOWNLOAD_FOLDER).exists()  # the archive is removed once the set is verified
    assert fake_hub.calls == [{"repo_id": "mohanty/PlantVillage", "repo_type": "dataset",
                               "allow_patterns": hf.allow_patterns("color")}]
    assert f"COURSE_DATA_DIR={data_root.resolve()}" in out  # how a class points at the shared copy

    assert download.main([str(data_root)]) == 0  # complete: nothing is downloaded again
    assert "Nothing to download" in capsys.readouterr().out
    assert len(fake_hub.calls) == 1


def test_other_variant_and_the_command_line(tmp_path, fake_hub, small_expectations, capsys) -> None:
    code = data_cli(["download", "--to", str(tmp_path), "--source", "hf", "--variant", "grayscale"])
    assert code == 0, capsys.readouterr().err
    assert tree(tmp_path / "plantvillage") == expected_tree("grayscale")
    assert fake_hub.calls[0]["allow_patterns"] == hf.allow_patterns("grayscale")


def test_interrupted_conversion_resumes(tmp_path, fake_hub, small_expectations, monkeypatch, capsys) -> None:
    real_write, writes = hf.write_file, []

    def crash_after_three(dest, source, size):
        if len(writes) == 3:
            raise KeyboardInterrupt  # e.g. the session ends half-way
        writes.append(dest)
        return real_write(dest, source, size)

    monkeypatch.setattr(hf, "write_file", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        download.main([str(tmp_path), "--source", "hf"])
    target = tmp_path / "plantvillage"
    assert len(tree(target)) == 3
    done = {p: p.stat().st_mtime_ns for p in writes}
    first = writes[0]
    first.write_bytes(first.read_bytes()[:10])  # a file cut short (wrong size) is written again
    (first.parent / f".{first.name}.part").write_bytes(b"half")  # what a crash mid-file leaves

    monkeypatch.setattr(hf, "write_file", real_write)
    assert download.main([str(tmp_path), "--source", "hf"]) == 0
    assert "4 images written, 2 already there" in capsys.readouterr().out
    assert tree(target) == expected_tree()
    assert all(p.stat().st_mtime_ns == t for p, t in done.items() if p != first)  # not rewritten
    assert not list(target.rglob("*.part"))


def test_unreadable_image_is_listed_and_the_download_kept(tmp_path, fake_hub, small_expectations,
                                                          capsys) -> None:
    bad = NAMES[CLASSES[1]][0]
    fake_hub.build = lambda folder: zip_snapshot(folder, corrupt=bad)
    assert download.main([str(tmp_path), "--source", "hf"]) == 1
    captured = capsys.readouterr()
    assert "INCOMPLETE" in captured.out and "every image opened: 1 unreadable" in captured.out
    assert f"{CLASSES[1]}/{bad} (UnidentifiedImageError)" in captured.out
    assert "delete any files listed as unreadable" in captured.err
    assert (tmp_path / "plantvillage" / hf.DOWNLOAD_FOLDER).is_dir()  # kept until the set is verified
    assert download.main([str(tmp_path), "--check"]) == 1  # the check alone finds it too
    assert f"{CLASSES[1]}/{bad}" in capsys.readouterr().out


def test_too_little_disk_space_is_said_before_writing(tmp_path, fake_hub, monkeypatch, capsys) -> None:
    monkeypatch.setattr(hf.shutil, "disk_usage", lambda path: types.SimpleNamespace(free=100))
    assert download.main([str(tmp_path), "--source", "hf"]) == 1
    err = capsys.readouterr().err
    assert "writing the images needs" in err and "only 0.0 GB are free" in err
    assert not (tmp_path / "plantvillage" / "color").exists()


def test_parquet_snapshot(tmp_path, fake_hub, small_expectations, capsys) -> None:
    pa = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")

    def build(folder: Path) -> None:
        rows = []
        for path, data in member_files().items():
            _, _, name, file = path.split("/")
            keep_path = name != CLASSES[2]  # the last class: label id only, original name in image.path
            rows.append({"image": {"bytes": data, "path": file},
                         "image_path": path if keep_path else None, "label": CLASSES.index(name)})
        table = pa.Table.from_pylist(rows)
        names = {"info": {"features": {"label": {"_type": "ClassLabel", "names": CLASSES}}}}
        table = table.replace_schema_metadata({"huggingface": json.dumps(names)})
        (folder / "color" / "train").mkdir(parents=True)
        parquet.write_table(table, folder / "color" / "train" / "0000.parquet")

    fake_hub.build = build
    assert download.main([str(tmp_path), "--source", "hf"]) == 0, capsys.readouterr().err
    assert "converted from parquet: 6 images written" in capsys.readouterr().out
    assert tree(tmp_path / "plantvillage") == expected_tree()


def test_image_folder_snapshot(tmp_path, fake_hub, small_expectations, capsys) -> None:
    def build(folder: Path) -> None:
        for path, data in {**member_files(), **member_files("segmented")}.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)

    fake_hub.build = build
    assert download.main([str(tmp_path), "--source", "hf"]) == 0
    assert "converted from image folders: 6 images written" in capsys.readouterr().out
    assert tree(tmp_path / "plantvillage") == expected_tree()


def test_without_huggingface_hub_says_how_to_install(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import huggingface_hub -> ImportError
    assert download.main([str(tmp_path), "--source", "hf"]) == 1
    err = capsys.readouterr().err
    assert "huggingface_hub package is not installed" in err and 'pip install -e ".[download]"' in err
    assert hf.HF_ZIP_URL in err and f"download --to {tmp_path}" in err  # then the manual steps
    assert not (tmp_path / "plantvillage").exists()


def test_network_failure_ends_in_the_manual_steps(tmp_path, fake_hub, capsys) -> None:
    def offline(folder: Path) -> None:
        raise ConnectionError("no network")

    fake_hub.build = offline
    assert download.main([str(tmp_path)]) == 1  # auto: Hugging Face fails, Kaggle is not installed
    err = capsys.readouterr().err
    assert "Hugging Face download failed: ConnectionError: no network" in err
    assert "kagglehub package is not installed" in err and "do it by hand" in err


def test_auto_falls_back_to_kaggle(tmp_path, fake_hub, small_expectations, monkeypatch, capsys) -> None:
    def offline(folder: Path) -> None:
        (folder / "data.zip.incomplete").write_bytes(b"half")  # what the failed download left behind
        raise ConnectionError("no network")

    def dataset_download(handle: str, *, force_download: bool = False) -> str:
        for path, data in expected_tree().items():  # the Kaggle mirror's layout: <folder>/color/<class>/
            (tmp_path / "kaggle" / "plantvillage dataset" / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "kaggle" / "plantvillage dataset" / path).write_bytes(data)
        return str(tmp_path / "kaggle")

    fake_hub.build = offline
    monkeypatch.setitem(sys.modules, "kagglehub", types.SimpleNamespace(dataset_download=dataset_download))
    monkeypatch.setenv("KAGGLE_USERNAME", "student")
    monkeypatch.setenv("KAGGLE_KEY", "not-a-real-key")
    assert download.main([str(tmp_path / "data")]) == 0
    captured = capsys.readouterr()
    assert "ConnectionError: no network; trying Kaggle next" in captured.err
    target = tmp_path / "data" / "plantvillage"
    assert target.is_symlink() and tree(target) == expected_tree()


def test_foreign_files_in_the_target_are_left_alone(tmp_path, fake_hub, capsys) -> None:
    other = tmp_path / "plantvillage" / "notes.txt"
    other.parent.mkdir()
    other.write_text("mine")
    assert download.main([str(tmp_path), "--source", "hf"]) == 1
    assert "notes.txt" in capsys.readouterr().err and fake_hub.calls == []
    assert other.read_text() == "mine"


def test_per_class_counts_are_checked(tmp_path) -> None:
    assert list(pv.EXPECTED_COUNTS) == sorted(pv.EXPECTED_COUNTS) and len(pv.EXPECTED_COUNTS) == 38
    assert sum(pv.EXPECTED_COUNTS.values()) == pv.EXPECTED_IMAGES
    folder = tmp_path / "color"
    for name, n in (("Apple___healthy", 2), ("Potato___healthy", 1)):
        (folder / name).mkdir(parents=True)
        for i in range(n):
            (folder / name / f"{i}.jpg").write_bytes(jpeg(i))
    check = download.check_folder(folder)
    assert "Apple___healthy: 2 of 1,645" in check.wrong_counts and not check.complete
    assert "Tomato___healthy: 0 of 1,591" in check.wrong_counts and len(check.wrong_counts) == 38
    assert "38 classes differ" in check.summary() and "... and 28 more" in check.summary()  # the first 10


def test_allow_patterns_pick_the_variant_with_the_real_filter() -> None:
    """huggingface_hub's own filter (when installed) keeps the archive and this variant's files only."""
    utils = pytest.importorskip("huggingface_hub.utils")
    files = ["data.zip", "README.md", "PlantVillage.py", "splits/color_train.txt",
             "leaf_grouping/leaf-map.json", "raw/color/Apple___healthy/a.JPG",
             "raw/grayscale/Apple___healthy/a.JPG",
             "color/train/0000.parquet", "segmented/train/0000.parquet"]
    kept = list(utils.filter_repo_objects(files, allow_patterns=hf.allow_patterns("color")))
    assert kept == ["data.zip", "README.md", "raw/color/Apple___healthy/a.JPG", "color/train/0000.parquet"]
