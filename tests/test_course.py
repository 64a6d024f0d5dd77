"""helpers.course without running a chapter: the settings, the chapter order, the minutes table."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import config, course, doc_tables


def test_chapters_in_learning_order() -> None:
    ids = [course.chapter_id(p) for p in course.chapters()]
    assert ids[0] == "00" and ids.index("07a") < ids.index("07b") < ids.index("08a") < ids.index("08b")
    order = ["09a", "09b", "09c", "09d", "10a", "10b"]
    assert [ids.index(chapter) for chapter in order] == sorted(ids.index(chapter) for chapter in order)
    assert ids == sorted(ids) and len(ids) == len(set(ids))


def test_settings_run_what_their_readers_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.SHARED_VARIABLE, "none")
    drawn = course.prepare(course.SETTINGS["quick-drawn"], tmp_path / "drawn")
    assert drawn[config.MODE_VARIABLE] == "quick" and drawn[config.SHARED_VARIABLE] == "none"
    assert drawn[config.DATA_VARIABLE] == str(tmp_path / "drawn" / "data"), "private folders"
    assert course.available(course.SETTINGS["quick-mini"]) is not None, "no ../shared: the mini setting skips"
    small = course.full_shaped_counts(scale=1000, least=1)
    monkeypatch.setattr(course, "full_shaped_counts", lambda: small)
    full = course.prepare(course.SETTINGS["full-dry"], tmp_path / "full")
    assert full[config.MODE_VARIABLE] == "full" and full[config.DRY_RUN_VARIABLE] == "1"
    folder = tmp_path / "full" / "data" / "plantvillage" / "color"
    classes = {c.name: len(list(c.iterdir())) for c in folder.iterdir()}
    assert len(classes) == 38 and classes["Orange___Haunglongbing_(Citrus_greening)"] == 6
    assert classes["Potato___healthy"] == 1


def test_full_shaped_set_meets_the_largest_full_budget_and_keeps_the_shares() -> None:
    from helpers.data.locate import EXPECTED_IMAGES, MAJORITY_CLASS, MAJORITY_COUNT
    from helpers.data.splits import DEFAULT_FRACTIONS

    counts = course.full_shaped_counts()
    train = int(DEFAULT_FRACTIONS[0] * sum(counts.values()))
    assert train // 32 - 1 >= 40, "chapter 10a times 40 batches of 32 after a warm-up one in full mode"
    assert max(counts, key=counts.get) == MAJORITY_CLASS and min(counts.values()) >= 3
    assert abs(counts[MAJORITY_CLASS] / sum(counts.values()) - MAJORITY_COUNT / EXPECTED_IMAGES) < 0.002


def test_unknown_chapter_is_named() -> None:
    with pytest.raises(ValueError, match="unknown chapter.*'99'"):
        course.select(course.SETTINGS["quick-drawn"], ["99"])


SAVED = {"settings": {"quick-drawn": {"seconds": {"00": 30.0, "10": 150.0}},
                      "quick-mini": {"seconds": {"10": 270.0}}},
         "measured": {"command": "python -m helpers.course timings --measure", "date": "2026-12-05",
                      "machine": "x86_64, 2 CPU cores", "load_average": 1.0}}


def test_minutes_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course, "chapters", lambda folder=None: [Path("00_a.ipynb"), Path("10_b.ipynb")])
    table = course.minutes_table(SAVED)
    assert "| 00 | 0.5 | as drawn |" in table and "| 10 | 2.5 | 4.5 |" in table
    assert "| all | **3** | **5** |" in table, "the mini column adds the chapters it runs as drawn"
    assert "2026-12-05" in table and "timings --measure" in table


def test_guide_table_is_written_between_its_markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course, "chapters", lambda folder=None: [Path("00_a.ipynb"), Path("10_b.ipynb")])
    guide = tmp_path / "guide.md"
    start, end = doc_tables.markers(course.TABLE)
    guide.write_text(f"before\n{start}\nold\n{end}\nafter\n", encoding="utf-8")
    assert course.write_guide_table(guide, SAVED) is True
    text = guide.read_text(encoding="utf-8")
    assert "old" not in text and "| 10 | 2.5 | 4.5 |" in text and text.endswith("after\n")
    assert course.write_guide_table(guide, SAVED) is False, "a second write changes nothing"
    guide.write_text("no markers", encoding="utf-8")
    with pytest.raises(ValueError, match="lacks the markers"):
        course.write_guide_table(guide, SAVED)


def test_timing_some_chapters_again_keeps_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [course.chapter_id(p) for p in course.chapters()]
    saved_path = tmp_path / "minutes.json"
    monkeypatch.setattr(course, "available", lambda setting: None)
    monkeypatch.setattr(course, "run_setting", lambda setting, base, wanted=None, jobs=1:
                        {c: 60.0 for c in (wanted or ids)})
    course.measure(["quick-drawn"], tmp_path, saved_path)
    saved = course.load_minutes(saved_path)
    saved["settings"]["quick-drawn"]["seconds"]["99"] = 1.0        # a chapter that is gone
    saved_path.write_text(__import__("json").dumps(saved))
    monkeypatch.setattr(course, "run_setting", lambda setting, base, wanted=None, jobs=1:
                        {c: 120.0 for c in (wanted or ids)})
    again = course.measure(["quick-drawn"], tmp_path, saved_path, wanted=["09b"])
    seconds = again["settings"]["quick-drawn"]["seconds"]
    assert list(seconds) == ids, "every chapter still there, the one that is gone dropped"
    assert seconds["09b"] == 120.0 and seconds["00"] == 60.0, "09b timed again, the others kept"
    assert again["retimed"][-1]["chapters"] == ["09b"] and "--chapters 09b" in again["retimed"][-1]["command"]
    assert "Chapter(s) 09b timed again by" in course.minutes_table(again)
    course.measure(["quick-drawn"], tmp_path, saved_path)
    assert course.load_minutes(saved_path)["retimed"] == [], "a full measurement replaces every record"


def test_the_guide_shows_the_saved_measurement() -> None:
    """docs/instructors.md holds exactly what `timings --write` makes of docs/chapter-minutes.json."""
    saved = course.load_minutes()
    assert saved, "docs/chapter-minutes.json is missing: python -m helpers.course timings --measure"
    ids = [course.chapter_id(p) for p in course.chapters()]
    assert list(saved["settings"]["quick-drawn"]["seconds"]) == ids, "every chapter measured"
    shown = doc_tables.shown_table(course.GUIDE, course.TABLE)
    assert shown == course.minutes_table(saved), "edited by hand? python -m helpers.course timings --write"


def test_the_course_matrix_runs_its_longest_chapters_first() -> None:
    """conftest.py sorts the matrix by the saved minutes, so that two workers end together."""
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("course_conftest", config.project_root() / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def item(setting: str, chapter: str) -> SimpleNamespace:
        path = next(p for p in course.chapters() if course.chapter_id(p) == chapter)
        return SimpleNamespace(callspec=SimpleNamespace(params={"name": setting, "path": path}),
                               get_closest_marker=lambda name: object() if name == "course" else None)

    seconds = {name: s["seconds"] for name, s in course.load_minutes()["settings"].items()}
    slow = max(seconds["quick-drawn"], key=seconds["quick-drawn"].get)
    fast = min(seconds["quick-drawn"], key=seconds["quick-drawn"].get)
    plain = SimpleNamespace(get_closest_marker=lambda name: None)
    items = [plain, item("quick-drawn", fast), item("quick-drawn", slow), item("full-dry", "10a")]
    module.pytest_collection_modifyitems(None, items)
    assert [module.expected_seconds(i) for i in items] == sorted(
        [module.expected_seconds(i) for i in items], reverse=True)
    assert items[0].callspec.params["path"].name.startswith(slow) and items[-1] is plain
    assert module.expected_seconds(item("full-dry", "10a")) == 60.0, "a setting not in the table: a minute"
