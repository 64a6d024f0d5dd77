"""PlantVillage from the Hugging Face Hub (``mohanty/PlantVillage``), anonymously, as class folders.

The dataset author's Hub repository (linked from github.com/spMohanty/PlantVillage-Dataset) is
read by a ``datasets`` loading script, ``plant_village.py``, kept in that GitHub repository. It
says what the Hub repository holds: ``data.zip`` whose members are
``raw/<color|grayscale|segmented>/<class>/<original file name>``, the split lists
``splits/<variant>_{train,test}.txt`` and ``leaf_grouping/leaf-map.json``; its dataset card
(``README_HF.md``) lists the 38 class names in the course's order and 43,596 + 10,709 colour
images. The Hub may also serve a dataset as Parquet (an ``image`` column of ``{bytes, path}``,
an integer ``label``, here also ``image_path``) or as plain image folders, so
:func:`convert_snapshot` reads all three forms.

:func:`download_snapshot` fetches with ``huggingface_hub.snapshot_download`` (no account needed;
an interrupted download resumes) into ``<target>/.download/huggingface``, and
:func:`convert_snapshot` writes ``<target>/<variant>/<class>/<original file name>``, the layout
:func:`helpers.data.locate.find_plantvillage` reads. Conversion is resumable: a file already
there with the right size is skipped, and every file is written under a temporary name and then
renamed, so an interrupted run never leaves half an image under its real name.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from helpers.data.locate import IMAGE_EXTENSIONS
from helpers.data.tiny import PLANTVILLAGE_CLASSES

HF_DATASET = "mohanty/PlantVillage"
HF_URL = f"https://huggingface.co/datasets/{HF_DATASET}"
HF_ZIP_URL = f"{HF_URL}/resolve/main/data.zip"
DOWNLOAD_FOLDER = ".download"
"""Inside the target folder; hidden, so :func:`~helpers.data.locate.find_plantvillage` never reads it."""
INSTALL_HINT = 'pip install -e ".[download]"   (or: pip install huggingface_hub)'


class HubUnavailableError(RuntimeError):
    """The Hugging Face route cannot run here: the package is missing or the download failed."""


@dataclass
class Conversion:
    """What :func:`convert_snapshot` did: files written, files already there, and from which form."""

    written: int = 0
    skipped: int = 0
    forms: list[str] = field(default_factory=list)
    unnamed: int = 0
    """Parquet rows without an original file name (named ``<parquet file>-<row>.jpg`` instead)."""

    def summary(self) -> str:
        """One line for the terminal."""
        line = (f"converted from {', '.join(self.forms) or 'nothing'}: {self.written:,} images written, "
                f"{self.skipped:,} already there")
        if self.unnamed:
            line += f", {self.unnamed:,} without an original name"
        return line


def allow_patterns(variant: str) -> list[str]:
    """The files of the Hub repository worth fetching for ``variant`` (fnmatch: ``*`` spans folders)."""
    return ["*.zip", f"*{variant}*.parquet", f"{variant}/*", f"*/{variant}/*", "README.md"]


def hub_module():
    """The ``huggingface_hub`` package, or :class:`HubUnavailableError` saying how to install it."""
    try:
        return importlib.import_module("huggingface_hub")
    except ImportError:
        raise HubUnavailableError(f"the huggingface_hub package is not installed: {INSTALL_HINT}") from None


def download_snapshot(target: Path, variant: str = "color") -> Path:
    """Fetch the Hub files for ``variant`` into ``target/.download/huggingface``; return that folder."""
    hub = hub_module()
    folder = Path(target) / DOWNLOAD_FOLDER / "huggingface"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        path = hub.snapshot_download(repo_id=HF_DATASET, repo_type="dataset", local_dir=str(folder),
                                     allow_patterns=allow_patterns(variant))
    except Exception as error:  # offline, proxy, hub down, repository moved: all end in the other routes
        reason = f"the Hugging Face download failed: {type(error).__name__}: {str(error).rstrip('.')}"
        raise HubUnavailableError(reason) from error
    return Path(path)


def class_and_name(relative: str, variant: str) -> tuple[str, str] | None:
    """``(class, file name)`` for a path ``.../<variant>/<class>/<file>`` of an image, else None."""
    parts = [part for part in relative.replace("\\", "/").split("/") if part]
    if len(parts) < 3 or parts[-3] != variant or any(p.startswith((".", "__MACOSX")) for p in parts):
        return None
    name = parts[-1]
    if os.path.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
        return None
    return parts[-2], name


def write_file(dest: Path, source: BinaryIO, size: int | None) -> bool:
    """Copy ``source`` to ``dest`` via a temporary name; False when ``dest`` already has ``size`` bytes."""
    if size is not None and dest.is_file() and dest.stat().st_size == size:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    with open(tmp, "wb") as out:
        shutil.copyfileobj(source, out, length=1 << 20)
    os.replace(tmp, dest)
    return True


def _count(result: Conversion, written: bool) -> None:
    if written:
        result.written += 1
    else:
        result.skipped += 1


def check_space(folder: Path, needed: int) -> None:
    """Raise :class:`HubUnavailableError` when ``folder``'s disk has less than ``needed`` bytes free."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
    free = shutil.disk_usage(existing).free
    if needed > free:
        raise HubUnavailableError(
            f"writing the images needs {needed / 1e9:.1f} GB in {folder} but only {free / 1e9:.1f} GB "
            "are free; free some space or choose another folder with --to (the download resumes)")


def _from_zip(archive: Path, out: Path, variant: str, result: Conversion) -> None:
    """Copy the ``<variant>/<class>/<file>`` members of a zip archive into ``out``."""
    with zipfile.ZipFile(archive) as zf:
        members = []
        for member in zf.infolist():
            found = None if member.is_dir() else class_and_name(member.filename, variant)
            if found is not None:
                members.append((member, out / found[0] / found[1]))
        todo = [(m, dest) for m, dest in members
                if not (dest.is_file() and dest.stat().st_size == m.file_size)]
        result.skipped += len(members) - len(todo)
        check_space(out, sum(m.file_size for m, _ in todo))
        for member, dest in todo:
            with zf.open(member) as source:
                _count(result, write_file(dest, source, member.file_size))


def _label_names(schema_metadata: dict[bytes, bytes] | None) -> list[str]:
    """The class names stored by ``datasets`` in a Parquet file's metadata, else the course's 38."""
    try:
        info = json.loads((schema_metadata or {})[b"huggingface"])
        names = info["info"]["features"]["label"]["names"]
        if isinstance(names, list) and names:
            return [str(name) for name in names]
    except (KeyError, TypeError, ValueError):
        pass
    return list(PLANTVILLAGE_CLASSES)


def _parquet_rows(path: Path) -> Iterator[dict]:
    """Rows of a Parquet file, a batch at a time (the files hold hundreds of MB of JPEG bytes)."""
    try:
        parquet = importlib.import_module("pyarrow.parquet")
    except ImportError:
        message = f"{path.name} is Parquet, which needs pyarrow: pip install pyarrow"
        raise HubUnavailableError(message) from None
    handle = parquet.ParquetFile(path)
    names = _label_names(handle.schema_arrow.metadata)
    for batch in handle.iter_batches(batch_size=256):
        for row in batch.to_pylist():
            row["_label_names"] = names
            yield row


def _from_parquet(path: Path, out: Path, variant: str, result: Conversion) -> None:
    """Write the images of one Parquet file into class folders, under their original names."""
    for index, row in enumerate(_parquet_rows(path)):
        image = row.get("image") or {}
        data = image.get("bytes") if isinstance(image, dict) else None
        if data is None:
            continue
        found = None
        for candidate in (row.get("image_path"), image.get("path")):
            if candidate:
                found = class_and_name(str(candidate), variant)
                if found is not None:
                    break
        if found is None:
            label = row.get("label")
            names = row["_label_names"]
            class_name = names[label] if isinstance(label, int) and 0 <= label < len(names) else str(label)
            original = next((str(p) for p in (row.get("image_path"), image.get("path")) if p), "")
            name = os.path.basename(original.replace("\\", "/"))
            if not name:
                name = f"{path.stem}-{index:06d}.jpg"
                result.unnamed += 1
            found = (class_name, name)
        _count(result, write_file(out / found[0] / found[1], io.BytesIO(data), len(data)))


def _from_folder(snapshot: Path, out: Path, variant: str, result: Conversion) -> None:
    """Copy plain image files ``.../<variant>/<class>/<file>`` of a snapshot into ``out``."""
    for path in sorted(snapshot.rglob("*")):
        relative = path.relative_to(snapshot).as_posix()
        found = class_and_name(relative, variant) if path.is_file() else None
        if found is None:
            continue
        with open(path, "rb") as source:
            _count(result, write_file(out / found[0] / found[1], source, path.stat().st_size))


def _visible(snapshot: Path, pattern: str) -> list[Path]:
    """Files matching ``pattern`` in a snapshot, outside hidden folders (huggingface_hub's ``.cache``)."""
    return sorted(p for p in snapshot.rglob(pattern)
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(snapshot).parts))


def convert_snapshot(snapshot: Path, target: Path, variant: str = "color") -> Conversion:
    """Write the ``variant`` images of a Hub snapshot into ``target/<variant>/<class>/<original name>``.

    Reads zip archives, Parquet files and plain image folders, whichever the snapshot holds.
    Resumable: files already written with the right size are skipped.
    """
    snapshot, out = Path(snapshot), Path(target) / variant
    result = Conversion()
    zips = _visible(snapshot, "*.zip")
    parquets = [p for p in _visible(snapshot, "*.parquet") if variant in p.relative_to(snapshot).as_posix()]
    for archive in zips:
        _from_zip(archive, out, variant, result)
    if zips:
        result.forms.append("zip")
    for path in parquets:
        _from_parquet(path, out, variant, result)
    if parquets:
        result.forms.append("parquet")
    before = result.written + result.skipped
    _from_folder(snapshot, out, variant, result)
    if result.written + result.skipped > before:
        result.forms.append("image folders")
    return result
