"""Every mode people run is a mode CI proves: each chapter in each setting of :mod:`helpers.course`.

``make test`` proves smoke mode. Here (``make test-course``, marker ``course``) every chapter runs top
to bottom in a fresh kernel as its readers run it: quick mode on a fresh clone's drawn leaves, quick
mode on the mini set of real photos (when ``../shared`` is here), and full mode on a generated
full-shaped PlantVillage with the dry-run caps (a GPU hub that has just downloaded the set). Each
setting gets private data, work and runs folders, made once per session and shared by the xdist
workers (a lock: the first worker builds, the others wait). A chapter that reads PlantVillage must
say which copy it ran on: the one the setting gives it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from helpers import course
from helpers.data.locate import GET_FULL_SET

pytestmark = pytest.mark.course

CASES = [pytest.param(name, path, id=f"{name}-{course.chapter_id(path)}")
         for name, setting in course.SETTINGS.items() for path in course.select(setting)]
SAYS = {"quick-drawn": "generated tiny set of drawn leaves", "quick-mini": "mini set of real photos",
        "full-dry": "Data: the full PlantVillage set"}
"""What a chapter that announces its data prints in each setting."""


@pytest.fixture(scope="session")
def setting_env(tmp_path_factory: pytest.TempPathFactory):
    """``env(name)``: the environment of setting ``name``, its folders prepared once per session."""
    base = tmp_path_factory.getbasetemp()
    base = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base

    def env(name: str) -> dict[str, str]:
        with open(base / f"course-{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            prepared = course.prepare(course.SETTINGS[name], base / f"course-{name}")
            fcntl.flock(lock, fcntl.LOCK_UN)
        return {**prepared, "OMP_NUM_THREADS": "1", "CI": "true"}

    return env


def test_every_chapter_is_in_the_quick_matrix() -> None:
    drawn = [p.name for p in course.select(course.SETTINGS["quick-drawn"])]
    assert drawn == [p.name for p in course.chapters()] and len(drawn) >= 18
    assert {course.chapter_id(p) for p in course.select(course.SETTINGS["full-dry"])} >= {
        "08a", "08b", "09a", "09b", "09c", "09d", "10a", "10b", "11", "12", "13", "14", "15", "16"}
    full = [p.name for name in ("full-early", "full-dry") for p in course.select(course.SETTINGS[name])]
    assert full == drawn, "every chapter runs in full mode too, once"
    mini = {course.chapter_id(p) for p in course.select(course.SETTINGS["quick-mini"])}
    assert {"10a", "10b", "11", "12", "13", "14", "15", "16"} <= mini and "01" not in mini


@pytest.mark.parametrize(("name", "path"), CASES)
def test_chapter_runs_in_the_mode_people_use(name: str, path: Path, setting_env) -> None:
    why = course.available(course.SETTINGS[name])
    if why:
        pytest.skip(why)
    run = course.run_chapter(path, setting_env(name), name)
    if "announce_data" in path.read_text(encoding="utf-8"):
        assert SAYS[name] in run.printed, f"{path.name} does not say it runs on the setting's data"
        assert name == "full-dry" or GET_FULL_SET in run.printed, "and how to get the full set"
    mode = course.SETTINGS[name].env["COURSE_MODE"]
    assert f"mode: {mode}" in run.printed or "config.setup" not in path.read_text(encoding="utf-8")
