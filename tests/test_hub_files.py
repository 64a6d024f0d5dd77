"""The hub files of docs/instructors.md: postBuild installs the course; the Z2JH profile has its keys."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from helpers import config

ROOT = Path(__file__).resolve().parent.parent
POSTBUILD = ROOT / "postBuild"
PROFILE = ROOT / "docs" / "z2jh-profile.yaml"
GUIDE = ROOT / "docs" / "instructors.md"


def _profile() -> dict[str, Any]:
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))


def _volume(singleuser: dict[str, Any], name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A volume of ``singleuser.storage`` and its mount, by name."""
    storage = singleuser["storage"]
    volume = next(v for v in storage["extraVolumes"] if v["name"] == name)
    mount = next(m for m in storage["extraVolumeMounts"] if m["name"] == name)
    return volume, mount


def test_the_z2jh_profile_asks_for_a_gpu_a_larger_shm_and_a_read_only_data_volume() -> None:
    singleuser = _profile()["singleuser"]
    profiles = singleuser["profileList"]
    gpu_profiles = [p for p in profiles
                    if "nvidia.com/gpu" in p.get("kubespawner_override", {}).get("extra_resource_limits", {})]
    assert len(gpu_profiles) == 1, "one profile with a GPU"
    assert gpu_profiles[0]["kubespawner_override"]["extra_resource_limits"]["nvidia.com/gpu"] == "1", \
        "Kubernetes wants the quantity as a string"
    assert any(p.get("default") for p in singleuser["profileList"]), "a default profile"

    shm, shm_mount = _volume(singleuser, "shm")
    assert shm["emptyDir"]["medium"] == "Memory" and shm_mount["mountPath"] == "/dev/shm"

    data, data_mount = _volume(singleuser, "course-data")
    assert data["persistentVolumeClaim"]["readOnly"] is True and data_mount["readOnly"] is True
    env = singleuser["extraEnv"]
    assert env[config.DATA_VARIABLE] == data_mount["mountPath"], "the course reads the mounted volume"
    for variable in (config.WORK_VARIABLE, config.RUNS_VARIABLE):
        assert env[variable].startswith("/home/jovyan/"), f"{variable}: per user, on the persistent home"
    assert config.MODE_VARIABLE not in env, "COURSE_MODE follows the GPU unless an instructor sets it"
    assert "lifecycleHooks" not in singleuser, "no start hook: the course creates its folders itself"


def _snapshot(folder: Path) -> dict[str, tuple[bool, int, int]]:
    """Every path under ``folder``: is it a folder, its size, its modification time."""
    paths = [folder, *folder.rglob("*")]
    return {p.relative_to(folder).as_posix(): (p.is_dir(), p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in paths}


def _read_only(folder: Path, read_only: bool) -> None:
    """chmod a folder tree a-w (or back to u+w): a read-only mount for anyone but root."""
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        os.chmod(path, mode & ~0o222 if read_only else mode | 0o200)


def test_the_profile_layout_reads_the_shared_set_and_writes_only_in_the_users_folders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile's environment with its paths moved under tmp_path: the course finds the read-only set,
    writes a split and a checkpoint in the user's folders, and leaves the data volume untouched."""
    from helpers import doctor
    from helpers.checkpoint import save_checkpoint
    from helpers.data.locate import find_plantvillage
    from helpers.data.splits import split_for
    from helpers.data.tiny import make_tiny_plantvillage

    singleuser = _profile()["singleuser"]
    _, data_mount = _volume(singleuser, "course-data")
    home, mount = tmp_path / "home", tmp_path / "srv" / "course-data"
    moved = {"/home/jovyan": str(home), data_mount["mountPath"]: str(mount)}

    def move(text: str) -> str:
        for old, new in moved.items():
            text = text.replace(old, new)
        return text

    color = make_tiny_plantvillage(mount / "plantvillage", n_per_class=2)  # what `download --to` leaves
    home.mkdir()
    for variable, value in singleuser["extraEnv"].items():
        monkeypatch.setenv(variable, move(str(value)))
    monkeypatch.delenv(config.DRY_RUN_VARIABLE, raising=False)
    _read_only(mount, True)
    try:
        before = _snapshot(mount)
        assert find_plantvillage(None).resolve() == color.resolve(), "the course finds the shared set"
        assert config.data_dir() == mount
        assert config.work_dir().is_relative_to(home) and config.runs_dir().is_relative_to(home)

        findings = {f.check: f for f in doctor.check_folders()}
        assert all(f.status == doctor.OK for f in findings.values()), findings
        assert "read-only is fine" in findings["data-dir"].found
        for name in ("runs", "splits", "cache", "tiny"):
            assert str(home) in findings[name].found, f"{name} goes to the user's folder: {findings[name]}"

        split = Path(split_for(color)["path"])
        checkpoint = save_checkpoint(config.runs_dir() / "model" / "last.pt", model=torch.nn.Linear(2, 2),
                                     epoch=1)
        assert split.is_file() and split.is_relative_to(home / "course-work")
        assert checkpoint.is_file() and checkpoint.is_relative_to(home / "course-runs")
        assert _snapshot(mount) == before, "nothing written, added or changed in the data volume"
    finally:
        _read_only(mount, False)  # so that pytest can clean up


def test_postbuild_is_an_executable_bash_script() -> None:
    text = POSTBUILD.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash\n"), "repo2docker runs postBuild by its shebang"
    assert os.access(POSTBUILD, os.X_OK), "repo2docker needs postBuild executable (chmod +x postBuild)"
    mode = subprocess.run(["git", "ls-files", "-s", "postBuild"], cwd=ROOT, capture_output=True,
                          text=True).stdout
    assert not mode or mode.startswith("100755"), f"git must store it executable: {mode}"
    assert "set -euo pipefail" in text, "a failing step must fail the image build"
    if shutil.which("bash"):
        subprocess.run(["bash", "-n", str(POSTBUILD)], check=True)
    assert not (ROOT / "binder").exists(), "a binder/ folder would make repo2docker ignore the root files"


def _copy_repository(target: Path) -> None:
    """The repository's files as a fresh clone has them (tracked, plus new files not ignored)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.mark.course  # a fresh venv, ~20 s: `make test-course`
def test_postbuild_installs_the_course_into_a_fresh_environment(tmp_path: Path) -> None:
    """Run postBuild in a copy of the repository with a new venv first on PATH, offline.

    The venv reuses this environment's packages through a path file (torch is not installed again),
    without its ``.pth`` hooks, so this environment's own editable install of ``helpers`` stays out.
    """
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to list the repository's files")
    repo, venv = tmp_path / "course", tmp_path / "venv"
    _copy_repository(repo)
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                          capture_output=True, text=True, timeout=120)
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtual environment here: {made.stderr.strip()[-300:]}")
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "course-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {key: value for key, value in os.environ.items()
           if key != "PYTHONPATH" and not key.startswith("COURSE_")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               PIP_NO_INDEX="1", COURSE_SHARED_DIR="none")
    built = subprocess.run([str(repo / "postBuild")], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]

    where = subprocess.run([python, "-c", "import helpers, helpers.config as c; "
                            "print(helpers.__file__); print(c.project_root())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr[-2000:]
    module, root = where.stdout.split()
    assert Path(module).resolve() == (repo / "helpers" / "__init__.py").resolve(), module
    assert Path(root).resolve() == repo.resolve()
    tiny = repo / "data" / "tiny" / "plantvillage" / "color"
    assert len([p for p in tiny.iterdir() if p.is_dir()]) == 38, "postBuild drew the tiny PlantVillage"


def test_the_guide_links_its_files_and_the_doctor() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    for needed in ("postBuild", "environment.yml", "docs/z2jh-profile.yaml", "python -m helpers.doctor",
                   "user-redirect/git-pull?repo=", config.DATA_VARIABLE, config.WORK_VARIABLE,
                   config.RUNS_VARIABLE, config.MODE_VARIABLE, "download plantvillage --to"):
        assert needed.removeprefix("docs/") in guide, f"docs/instructors.md does not mention {needed}"
    for variable, value in _profile()["singleuser"]["extraEnv"].items():
        assert f"| `singleuser.extraEnv.{variable}` | `{value}` |" in guide, f"the guide's table: {variable}"
    assert "docs/instructors.md" in (ROOT / "README.md").read_text(encoding="utf-8")
