"""Every exercise's solution passes its check, and every check rejects its known wrong answers."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from helpers.exercises import all_exercises, core, progress, registry
from helpers.notebooks import notebook_paths

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = [ex for chapter in all_exercises().values() for ex in chapter]
IDS = [ex.key for ex in EXERCISES]


@pytest.fixture(autouse=True)
def private_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Checks record progress: keep it out of the user's home."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv(progress.PROGRESS_VARIABLE, str(path))
    return path


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_solution_passes_and_wrong_answers_fail(exercise: core.Exercise) -> None:
    context = exercise.context() if exercise.context else {}
    result = exercise.evaluate(exercise.solve(**context), **context)
    assert result.status == core.CORRECT, result.line()
    assert exercise.wrong_answers, f"{exercise.key}: declare at least one known wrong answer"
    for wrong in exercise.wrong_answers:
        outcome = exercise.evaluate(wrong(**context), **context)
        assert outcome.status in (core.WRONG, core.ERROR), f"{exercise.key} accepted a wrong answer"
        assert len(outcome.message) > 15, f"{exercise.key}: say what is wrong, not only 'wrong'"
    assert exercise.evaluate(..., **context).status == core.UNANSWERED


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_an_unfilled_function_stub_is_never_reported_as_a_crash(exercise: core.Exercise) -> None:
    """The notebooks' stubs ``raise NotImplementedError``: that is "not answered yet" (or, where a value
    is expected, a Wrong that says so), never "your answer raised ..." (it is a RuntimeError too)."""
    def stub(*args: object, **kwargs: object) -> None:
        raise NotImplementedError

    context = exercise.context() if exercise.context else {}
    result = exercise.evaluate(stub, **context)
    assert result.status in (core.UNANSWERED, core.WRONG), result.line()


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_every_exercise_has_a_hint_and_a_printable_solution(exercise: core.Exercise,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert exercise.hints, exercise.key
    exercise.solution()
    assert "def " in capsys.readouterr().out


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def test_chapters_have_checked_exercises_with_stubs() -> None:
    registered = all_exercises()
    for path in notebook_paths(ROOT / "notebooks"):
        chapter = path.name.split("_", 1)[0]
        minimum = 1 if chapter == "00" else 3
        exercises = registered.get(chapter, [])
        assert len(exercises) >= minimum, f"{path.name}: {len(exercises)} checked exercises, need {minimum}"
        cells = _code_cells(path)
        for ex in exercises:
            using = [c for c in cells if f".{ex.name}.check(" in c]
            assert using, f"{path.name}: no cell calls {ex.name}.check(...)"
            stubbed = any(("..." in c or "NotImplementedError" in c) for c in using)
            assert stubbed, f"{path.name}: the cell that checks {ex.name} must hold a stub for the student"


def test_check_prints_and_records_progress(private_progress: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    exercise = all_exercises()["00"][0]
    exercise.check(...)
    assert "not answered yet" in capsys.readouterr().out
    assert not private_progress.exists(), "an unanswered stub records nothing"
    exercise.check(exercise.wrong_answers[0]())
    assert "✗" in capsys.readouterr().out
    exercise.check(exercise.solve())
    assert "✓" in capsys.readouterr().out
    exercise.check(exercise.wrong_answers[0]())
    table = registry.table().set_index("chapter")
    assert table.loc["00", "passed"] == 1, "a later wrong answer does not erase a pass"


def test_a_pass_recorded_before_a_chapter_split_still_counts(private_progress: Path) -> None:
    private_progress.write_text(json.dumps({"10.q2": {"passed": True, "when": "2026-11-30 10:00:00"},
                                            "10.q3": {"passed": False, "when": "2026-11-30 10:05:00"}}))
    stored = progress.load()
    assert stored["10b.q1"]["passed"] and not stored["10b.q3"]["passed"] and "10a.q1" not in stored
    table = registry.table().set_index("chapter")
    assert table.loc["10b", "passed"] == 1 and table.loc["10b", "done"] == "q1"
    keys = {ex.key for exercises in all_exercises().values() for ex in exercises}
    assert set(progress.MOVED.values()) <= keys and not set(progress.MOVED) & keys, "old keys are gone"


def test_a_failing_student_function_is_reported_not_raised() -> None:
    def broken(x: int) -> int:
        return 1 // x

    with pytest.raises(core.Wrong, match=r"raised ZeroDivisionError"):
        core.expect_function(broken, [((0,), 0)], name="broken")
    with pytest.raises(core.Wrong, match=r"expected shape \(64, 10\), got \(64, 1\)"):
        import torch

        core.expect_shape(torch.zeros(64, 1), (64, 10))


def test_chapter_9_renumbered_keeps_each_pass_with_its_exercise(private_progress: Path) -> None:
    """Before chapter 9a split, 09b and 09c named today's 9c and 9d: an old file's passes move with their
    exercises, and a key reused by a new exercise (09b.q1, 09a.q3) is not credited by mistake."""
    old = {"09a.q1": True, "09a.q2": True, "09a.q3": False, "09a.q4": True, "09b.q1": True, "09c.q3": True}
    private_progress.write_text(json.dumps({key: {"passed": passed, "when": "2026-12-01 10:00:00"}
                                            for key, passed in old.items()}))
    stored = progress.load()
    passed = {key for key, value in stored.items() if value.get("passed")}
    assert passed == {"09a.q1", "09b.q1", "09b.q3", "09c.q1", "09d.q3"}
    assert not stored["09a.q2"]["passed"] and "09a.q3" not in stored
    core_key = next(ex for ex in all_exercises()["09b"] if ex.name == "q1").key
    progress.record(core_key, passed=True)       # a file written now records its layout ...
    again = progress.load()
    assert again["09b.q1"]["passed"] and again["09c.q1"]["passed"], "... and is not renamed twice"
    keys = {ex.key for exercises in all_exercises().values() for ex in exercises}
    assert set(progress.RENUMBERED.values()) <= keys


CALLABLE_CHECKS = [ex for ex in EXERCISES if "expect_callable(" in inspect.getsource(ex.checker)]


@pytest.mark.parametrize("exercise", CALLABLE_CHECKS, ids=[ex.key for ex in CALLABLE_CHECKS])
def test_a_value_where_a_function_is_asked_gets_one_message(exercise: core.Exercise) -> None:
    """The function-asking checks share core.expect_callable: a value (what calling the function by
    mistake returns) is rejected with a message that names the function."""
    context = exercise.context() if exercise.context else {}
    outcome = exercise.evaluate(42, **context)
    assert outcome.status == core.WRONG and "give the function itself" in outcome.message, outcome.line()
    assert "got int" in outcome.message


def test_expect_callable_says_what_the_mistake_looks_like() -> None:
    core.expect_callable(len, "len")
    with pytest.raises(core.Wrong, match=r"^give the function itself \(f, not f\(10\)\); got float$"):
        core.expect_callable(3.0, "f", "f(10)")
    with pytest.raises(core.Wrong, match=r"^give the function itself \(f\), got list$"):
        core.expect_callable([], "f")
