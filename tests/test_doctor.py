"""The pre-flight check (python -m helpers.doctor): each check fails for real, with its fix."""

from __future__ import annotations

import errno
import os
from collections import namedtuple
from pathlib import Path

import pytest
import torch

from helpers import doctor
from helpers.data import download, loaders
from helpers.data.locate import GET_FULL_SET


@pytest.fixture(autouse=True)
def fresh_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Data and runs in a temporary folder, no team data, no mode set: a fresh clone's view."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("COURSE_SHARED_DIR", "none")
    monkeypatch.delenv("COURSE_MODE", raising=False)
    monkeypatch.delenv("COURSE_DRY_RUN", raising=False)
    return tmp_path


def _by_check(findings: list[doctor.Finding]) -> dict[str, doctor.Finding]:
    return {f.check: f for f in findings}


def _fake_plantvillage(root: Path, classes: int = 38, empty: int = 0) -> Path:
    """``classes`` class folders of one small file each (the check counts, it does not decode)."""
    for k in range(classes):
        folder = root / f"Crop___disease_{k:02d}"
        folder.mkdir(parents=True)
        (folder / "leaf.jpg").write_bytes(b"" if k < empty else b"\xff\xd8 not decoded")
    return root


def test_a_fresh_clone_is_ready_and_only_warns_about_the_missing_data(capsys: pytest.CaptureFixture) -> None:
    assert doctor.main([]) == 0
    out = capsys.readouterr().out
    findings = _by_check(doctor.run_checks())
    assert {"python", "torch", "cuda", "/dev/shm", "disk", "data", "runs", "splits", "cache",
            "settings", "widgets"} <= set(findings)
    assert not [f for f in findings.values() if f.status == doctor.FAIL]
    data = findings["data"]
    assert data.status == doctor.WARN and "generated tiny set" in data.found
    assert GET_FULL_SET in data.fix
    assert "0 FAIL: ready" in out.splitlines()[-1]
    assert not (Path(os.environ["COURSE_RUNS_DIR"])).exists(), "the doctor creates no folder"


def test_a_runs_folder_that_cannot_be_created_fails_with_the_variable_to_set(
        fresh_clone: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    blocker = fresh_clone / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_RUNS_DIR", str(blocker / "runs"))
    runs = _by_check(doctor.run_checks())["runs"]
    assert runs.status == doctor.FAIL and "is a file" in runs.found
    assert "COURSE_RUNS_DIR" in runs.fix
    assert doctor.main([]) == 1
    assert "NOT ready" in capsys.readouterr().out


def test_a_data_folder_under_a_file_fails_splits_and_cache(fresh_clone: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = fresh_clone / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("COURSE_DATA_DIR", str(blocker / "data"))
    findings = _by_check(doctor.run_checks())
    for name in ("splits", "cache"):
        assert findings[name].status == doctor.FAIL, findings[name]
        assert "COURSE_DATA_DIR" in findings[name].fix
    assert findings["runs"].status == doctor.OK


def test_a_read_only_folder_fails_even_for_root(fresh_clone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores chmod, so a read-only mount is simulated where the doctor writes its probe file."""
    (fresh_clone / "runs").mkdir()
    real_mkstemp = doctor.tempfile.mkstemp

    def read_only(*args, dir: Path, **kwargs):  # noqa: A002 - tempfile's own keyword
        if Path(dir) == fresh_clone / "runs":
            raise OSError(errno.EROFS, "Read-only file system")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(doctor.tempfile, "mkstemp", read_only)
    findings = _by_check(doctor.run_checks())
    assert findings["runs"].status == doctor.FAIL and "Read-only file system" in findings["runs"].found
    assert findings["splits"].status == doctor.OK
    assert not list((fresh_clone / "runs").iterdir()), "the probe file of a writable folder is removed"


def test_a_small_dev_shm_warns_and_says_how_to_enlarge_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loaders, "_shm_bytes", lambda: 64 * 2**20)
    shm = doctor.check_shm()
    assert shm.status == doctor.WARN and "64 MB" in shm.found and "fall back" in shm.found
    assert "emptyDir" in shm.fix and "medium: Memory" in shm.fix
    monkeypatch.setattr(loaders, "_shm_bytes", lambda: 4 * 2**30)
    assert doctor.check_shm().status == doctor.OK
    monkeypatch.setattr(loaders, "_shm_bytes", lambda: None)
    assert doctor.check_shm().status == doctor.OK


def test_disk_space_is_priced_with_the_cache_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    usage = namedtuple("usage", "total used free")
    need_128 = doctor.data_cache.cache_bytes(doctor.EXPECTED_IMAGES, 128)
    need_256 = doctor.data_cache.cache_bytes(doctor.EXPECTED_IMAGES, 256)
    cases = {need_256 + 1: (doctor.OK, ""), need_128 + 1: (doctor.WARN, "--image-size 128"),
             need_128 - 1: (doctor.WARN, "without --cache"), 10**9: (doctor.WARN, "COURSE_DATA_DIR")}
    for free, (status, fix) in cases.items():
        monkeypatch.setattr(doctor.shutil, "disk_usage", lambda _path, free=free: usage(0, 0, free))
        finding = doctor.check_disk()
        assert finding.status == status and fix in finding.fix, (free, finding)
    assert "10.7 GB at 256 px" in finding.found and "2.7 GB at 128 px" in finding.found


def test_an_incomplete_data_set_fails_and_a_complete_one_passes(fresh_clone: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_plantvillage(fresh_clone / "data" / "plantvillage", empty=1)
    data = doctor.check_data()
    assert data.status == doctor.FAIL and "INCOMPLETE" in data.found and "empty" in data.found
    assert "--check" in data.fix
    (root / "Crop___disease_00" / "leaf.jpg").write_bytes(b"\xff\xd8 now full")
    monkeypatch.setattr(download, "EXPECTED_IMAGES", 38)  # 38 one-image classes stand in for 54,305 images
    assert doctor.check_data().status == doctor.OK


def test_a_data_folder_in_the_wrong_layout_fails(fresh_clone: Path) -> None:
    loose = fresh_clone / "data" / "plantvillage"
    loose.mkdir(parents=True)
    (loose / "leaf.jpg").write_bytes(b"\xff\xd8")
    data = doctor.check_data()
    assert data.status == doctor.FAIL and "class folders" in data.found


def test_a_bad_course_mode_fails_and_full_mode_on_a_cpu_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_MODE", "fast")
    settings = doctor.check_settings()
    assert settings.status == doctor.FAIL and "fast" in settings.found
    monkeypatch.setenv("COURSE_MODE", "full")
    assert "COURSE_MODE=full" in doctor.check_settings().found
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(doctor, "nvidia_present", lambda: False)
    cuda = doctor.check_cuda()
    assert cuda.status == doctor.WARN and "unset COURSE_MODE" in cuda.fix


def test_a_cpu_only_torch_on_a_gpu_machine_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(doctor, "nvidia_present", lambda: True)
    monkeypatch.setattr(torch.version, "cuda", None)
    cuda = doctor.check_cuda()
    assert cuda.status == doctor.FAIL and "CPU-only build" in cuda.found and "CONDA_OVERRIDE_CUDA" in cuda.fix
    monkeypatch.setattr(torch.version, "cuda", "12.6")
    cuda = doctor.check_cuda()
    assert cuda.status == doctor.FAIL and "nvidia.com/gpu" in cuda.fix


def test_a_gpu_is_named_with_its_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    props = namedtuple("props", "name total_memory")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    for memory, status in ((80 * 2**30, doctor.OK), (2 * 2**30, doctor.WARN)):
        monkeypatch.setattr(torch.cuda, "get_device_properties", lambda _i, m=memory: props("Test GPU", m))
        cuda = doctor.check_cuda()
        assert cuda.status == status and "Test GPU" in cuda.found
        assert f"{memory / 2**30:.1f} GiB" in cuda.found


def test_a_check_that_crashes_is_a_failure_not_a_stack_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> doctor.Finding:
        raise RuntimeError("driver exploded")

    monkeypatch.setattr(doctor, "CHECKS", (doctor.check_python, broken))
    findings = doctor.run_checks()
    assert [f.status for f in findings] == [doctor.OK, doctor.FAIL]
    assert "driver exploded" in findings[1].found and findings[1].check == "broken"
