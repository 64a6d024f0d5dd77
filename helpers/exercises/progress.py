"""Your progress through the exercises, kept in a small JSON file on this machine.

Every ``q.check(answer)`` that passes records the exercise as done (a wrong answer after a right
one does not erase it). :func:`helpers.exercises.show_progress` lists, per chapter, the exercises
passed so far.
The file is ``$COURSE_PROGRESS_FILE`` when set, else ``progress.json`` under
``$XDG_STATE_HOME/plantvillage-course`` (``~/.local/state/plantvillage-course`` by default).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

PROGRESS_VARIABLE = "COURSE_PROGRESS_FILE"
MOVED = {"07.q1": "07a.q1", "07.q2": "07a.q2", "07.q3": "07a.q3", "07.q4": "07b.q1",
         "08.q1": "08b.q1", "08.q2": "08a.q2", "08.q3": "08b.q3",
         "10.q1": "10a.q1", "10.q2": "10b.q1", "10.q3": "10b.q3"}
"""Exercises that moved when a chapter split (7, 8 and 10 into a and b): old key -> new key."""

LAYOUT_KEY, LAYOUT = "_layout", 2
RENUMBERED = {
    "09a.q2": "09b.q1", "09a.q3": "09a.q2", "09a.q4": "09b.q3",    # 9a split into 9a (layers) and 9b (costs)
    **{f"09b.q{n}": f"09c.q{n}" for n in (1, 2, 3)},               # the old 9b is now 9c
    **{f"09c.q{n}": f"09d.q{n}" for n in (1, 2, 3)},               # the old 9c is now 9d
}
"""Layout 2 (chapter 9 in four parts) reuses the keys 09b and 09c for other exercises, so a file of layout 1
(no ``_layout`` entry) is renamed all at once, old key -> new key; a new file records its layout."""


def progress_file() -> Path:
    """Where progress is stored (see the module docstring)."""
    custom = os.environ.get(PROGRESS_VARIABLE)
    if custom:
        return Path(custom).expanduser()
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "plantvillage-course" / "progress.json"


def load() -> dict[str, dict[str, object]]:
    """``{"01.q1": {"passed": True, "when": "..."}, ...}``; empty when nothing is stored yet.

    An exercise passed under its old key (:data:`MOVED`, :data:`RENUMBERED`) counts under its new one.
    """
    path = progress_file()
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    if not isinstance(stored, dict):
        return {}
    if stored.get(LAYOUT_KEY, {}).get("version", 1) < LAYOUT:
        stored = {RENUMBERED.get(key, key): value for key, value in stored.items()}
    stored[LAYOUT_KEY] = {"version": LAYOUT}
    for old, new in MOVED.items():
        if old in stored and new not in stored:
            stored[new] = stored[old]
    return stored


def record(key: str, passed: bool) -> None:
    """Remember the outcome of a check; a pass is never overwritten by a later failure."""
    stored = load()
    if stored.get(key, {}).get("passed") and not passed:
        return
    stored[key] = {"passed": bool(passed), "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    path = progress_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(stored, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a read-only home must not break a notebook: progress is a convenience
        pass


def reset() -> None:
    """Forget all progress on this machine."""
    progress_file().unlink(missing_ok=True)
