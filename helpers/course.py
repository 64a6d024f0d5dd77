"""Running the chapters as their readers do: ``python -m helpers.course``.

CI's nbval run proves smoke mode. People run two other modes: students ``quick`` (the default on
every CPU), on whatever data their clone has; instructors ``full`` on a GPU hub. Each way the
course is run is a *setting* here, and ``make test-course`` executes every chapter in each:

``quick-drawn``
    A student's fresh clone: quick mode, no download, no ``../shared``, so the PlantVillage
    chapters run on the generated set of drawn leaves (``COURSE_SHARED_DIR=none``).
``quick-mini``
    A student with the course team's mini set of real photos (``../shared/data``): quick mode, the
    chapters that read PlantVillage (the others run exactly as in ``quick-drawn``).
``full-dry``
    A GPU hub where an instructor has just downloaded the full set: full mode on a generated
    *full-shaped* PlantVillage (the 38 classes in the full set's proportions at 1/20 of its size,
    :func:`full_shaped_counts`: every full-mode budget is met), with the dry-run caps
    (``COURSE_DRY_RUN=1``), chapters 08 on.
``full-early``
    The same hub, chapters 00 to 07b: full mode as it is (their toy data and budgets run in seconds on
    a CPU, so no dry-run caps are needed), no PlantVillage.

Every setting runs in private data, work and runs folders, so a developer's own data and runs are
never seen or touched. Examples::

    python -m helpers.course run quick-drawn                 # every chapter, one at a time
    python -m helpers.course run quick-mini --chapters 10a 10b 11
    python -m helpers.course timings --measure               # time every chapter, save the table
    python -m helpers.course timings                         # print the saved table

``timings --measure`` runs the two quick settings one chapter at a time and saves the minutes in
``docs/chapter-minutes.json``; ``timings --write`` puts the table into ``docs/instructors.md``
(chapter 00 reads the same file), so the minutes a student is told come from a run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from helpers import config, doc_tables

NOTEBOOKS = config.project_root() / "notebooks"
MINUTES_FILE = config.project_root() / "docs" / "chapter-minutes.json"
"""The measured minutes of every chapter in the quick settings (written by ``timings --measure``)."""
GUIDE = config.project_root() / "docs" / "instructors.md"
TABLE = "chapter-minutes"
"""The name of the table's markers in the guide (:mod:`helpers.doc_tables`)."""
FULL_SHAPED_SCALE, FULL_SHAPED_MIN = 20, 8
"""The generated full-shaped set: every class of the full set at 1/20 of its size, 8 images at least
(2,717 images; the majority class keeps its 10.1% share). Enough for every full-mode budget: the
largest is chapter 10a's loader timing, 1 warm-up + 40 batches of 32 training images (80%: 2,173)."""


def full_shaped_counts(scale: int = FULL_SHAPED_SCALE, least: int = FULL_SHAPED_MIN) -> dict[str, int]:
    """Images per class of the generated full-shaped PlantVillage: the full set's shares, scaled down."""
    from helpers.data.locate import EXPECTED_COUNTS

    return {name: max(least, round(count / scale)) for name, count in EXPECTED_COUNTS.items()}


CELL_TIMEOUT_S = 1200
KERNEL_START_S = 300
"""How long a kernel may take to start: on a loaded CI worker one took over nbclient's default 60 s."""


@dataclass(frozen=True)
class Setting:
    """One way people run the course: the environment a chapter gets and which chapters apply."""

    name: str
    summary: str
    env: dict[str, str]
    applies: Callable[[Path], bool]
    full_shaped: bool = False


def chapter_id(path: Path) -> str:
    """``"09a"`` for ``09a_cnn_layers.ipynb``."""
    return path.name.split("_", 1)[0]


def chapters(folder: Path = NOTEBOOKS) -> list[Path]:
    """Every chapter notebook of ``folder``, in learning order (``00`` ... ``09a``, ``09b``, ... ``16``)."""
    return sorted(p for p in folder.glob("[0-9][0-9]*_*.ipynb") if p.is_file())


def reads_plantvillage(path: Path) -> bool:
    """True when the chapter's code reads a PlantVillage copy (the others never see it)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    return any(word in code for word in ("announce_data", "plantvillage_root", "plantvillage_loaders",
                                         "load_results", "pv.", "plantvillage."))


def _from(first: str) -> Callable[[Path], bool]:
    return lambda path: chapter_id(path) >= first


SETTINGS: dict[str, Setting] = {
    "quick-drawn": Setting(
        "quick-drawn", "quick mode, a fresh clone: no download, no ../shared (drawn leaves)",
        {config.MODE_VARIABLE: "quick", config.SHARED_VARIABLE: "none"}, lambda path: True),
    "quick-mini": Setting(
        "quick-mini", "quick mode with the mini set of real photos (../shared/data)",
        {config.MODE_VARIABLE: "quick"}, reads_plantvillage),
    "full-dry": Setting(
        "full-dry", "full mode on a generated full-shaped PlantVillage, dry-run caps (a GPU hub's path)",
        {config.MODE_VARIABLE: "full", config.DRY_RUN_VARIABLE: "1", config.SHARED_VARIABLE: "none"},
        _from("08"), full_shaped=True),
    "full-early": Setting(
        "full-early", "full mode, the chapters before 08 (toy data: their full budgets run as they are)",
        {config.MODE_VARIABLE: "full", config.SHARED_VARIABLE: "none"}, lambda path: chapter_id(path) < "08"),
}


class ChapterFailed(RuntimeError):
    """A chapter raised: the message names the setting, the chapter and the cell."""


def available(setting: Setting) -> str | None:
    """Why ``setting`` cannot run on this machine (``None`` when it can)."""
    if setting.name == "quick-mini" and config.shared_data_dir() is None:
        return "no ../shared/data here (COURSE_SHARED_DIR): the mini set is the course team's"
    if setting.name == "quick-mini":
        from helpers.data.locate import mini_root

        if mini_root() is None:
            return f"no plantvillage-mini in {config.shared_data_dir()}"
    return None


def prepare(setting: Setting, base: Path) -> dict[str, str]:
    """Private folders under ``base`` (and the full-shaped set when the setting needs it); the env."""
    from helpers.data.tiny import make_tiny_plantvillage

    data, work, runs = base / "data", base / "work", base / "runs"
    for folder in (data, work, runs):
        folder.mkdir(parents=True, exist_ok=True)
    if setting.full_shaped and not (data / "plantvillage" / "color").is_dir():
        scratch = data / f".plantvillage-{os.getpid()}"
        make_tiny_plantvillage(scratch, n_per_class=full_shaped_counts())
        os.replace(scratch, data / "plantvillage")
    env = {key: value for key, value in os.environ.items() if not key.startswith("COURSE_")}
    for key in (config.SHARED_VARIABLE,):  # a chosen ../shared stays chosen unless the setting hides it
        if key in os.environ:
            env[key] = os.environ[key]
    env.update({config.DATA_VARIABLE: str(data), config.WORK_VARIABLE: str(work),
                config.RUNS_VARIABLE: str(runs), "MPLBACKEND": "Agg",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(config.project_root()),
                                                            os.environ.get("PYTHONPATH")]))})
    env.update(setting.env)
    return env


@dataclass(frozen=True)
class ChapterRun:
    """One chapter executed: its wall-clock seconds and everything its cells printed."""

    seconds: float
    printed: str


def run_chapter(path: Path, env: dict[str, str], setting: str = "",
                timeout: int = CELL_TIMEOUT_S) -> ChapterRun:
    """Execute one notebook top to bottom in a fresh kernel with ``env``: its seconds and printout.

    Raises :class:`ChapterFailed` naming the chapter and the cell (its index among all cells).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, startup_timeout=KERNEL_START_S,
                            kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    try:
        client.execute(env=env)
    except CellExecutionError as error:
        cell = next((i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and any(
            o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        last = str(error).strip().splitlines()
        raise ChapterFailed(f"{setting}: chapter {chapter_id(path)} ({path.name}) failed in cell {cell}: "
                            f"{last[-1] if last else error}") from None
    seconds = time.perf_counter() - started
    printed = "".join(out.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    return ChapterRun(seconds, printed)


def select(setting: Setting, wanted: Sequence[str] | None = None, folder: Path = NOTEBOOKS) -> list[Path]:
    """The chapters ``setting`` runs (restricted to the ids in ``wanted`` when given)."""
    paths = [p for p in chapters(folder) if setting.applies(p)]
    if wanted:
        unknown = set(wanted) - {chapter_id(p) for p in chapters(folder)}
        if unknown:
            raise ValueError(f"unknown chapter(s) {sorted(unknown)}; chapters: "
                             + ", ".join(chapter_id(p) for p in chapters(folder)))
        paths = [p for p in paths if chapter_id(p) in wanted]
    return paths


def run_setting(setting: Setting, base: Path, wanted: Sequence[str] | None = None, jobs: int = 1,
                report: Callable[[str], None] = print) -> dict[str, float]:
    """Run the setting's chapters, ``jobs`` at a time; return the seconds of each, in learning order.

    With ``jobs > 1`` each chapter's kernel gets ``cpu_count // jobs`` threads, so the chapters share the
    cores instead of fighting for them. The first failure is raised once the running chapters end.
    """
    env = prepare(setting, base)
    if jobs > 1:
        env["OMP_NUM_THREADS"] = str(max(1, config.cpu_count() // jobs))
    paths = select(setting, wanted)

    def one(path: Path) -> float:
        seconds = run_chapter(path, env, setting.name).seconds
        report(f"{setting.name}: chapter {chapter_id(path)} ran in {seconds:.0f} s")
        return seconds

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:  # each chapter runs in its own kernel process
        futures = {chapter_id(path): pool.submit(one, path) for path in paths}
    return {chapter: future.result() for chapter, future in futures.items()}


# --- The minutes table -----------------------------------------------------------------------------


def _machine() -> str:
    cpus = config.cpu_count()
    return f"{platform.machine()}, {cpus} CPU core{'s' if cpus != 1 else ''}, torch {_torch_version()}"


def _torch_version() -> str:
    import torch

    return torch.__version__.split("+")[0]


def load_minutes(path: Path = MINUTES_FILE) -> dict:
    """The saved measurement (empty when none was made)."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def minutes_table(saved: dict | None = None) -> str:
    """The Markdown table of minutes per chapter, one column per measured quick setting."""
    saved = load_minutes() if saved is None else saved
    columns = [name for name in ("quick-drawn", "quick-mini") if name in saved.get("settings", {})]
    if not columns:
        return "(no measurement saved yet: `python -m helpers.course timings --measure`)"
    titles = {"quick-drawn": "quick, fresh clone (drawn leaves)",
              "quick-mini": "quick, mini set (real photos)"}
    ids = [chapter_id(p) for p in chapters()]
    lines = ["| chapter | " + " | ".join(titles[c] for c in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for chapter in ids:
        cells = []
        for column in columns:
            seconds = saved["settings"][column]["seconds"].get(chapter)
            same = column == "quick-mini" and seconds is None
            cells.append("as drawn" if same else "-" if seconds is None else f"{seconds / 60:.1f}")
        lines.append(f"| {chapter} | " + " | ".join(cells) + " |")
    totals = []
    for column in columns:
        own = saved["settings"][column]["seconds"]
        if column == "quick-mini":  # the chapters without PlantVillage run as in the drawn setting
            own = {**saved["settings"].get("quick-drawn", {}).get("seconds", {}), **own}
        totals.append(f"**{sum(own.values()) / 60:.0f}**")
    lines.append("| all | " + " | ".join(totals) + " |")
    meta = saved.get("measured", {})
    lines.append("")
    lines.append(f"Minutes of wall-clock time per chapter, measured by `{meta.get('command', '?')}` on "
                 f"{meta.get('date', '?')} ({meta.get('machine', '?')}; load average "
                 f"{meta.get('load_average', '?')} at the start; {meta.get('jobs', 1)} chapter(s) at a "
                 "time). \"as drawn\": the chapter reads no PlantVillage, so it runs as on a fresh clone.")
    for again in saved.get("retimed", []):
        lines[-1] += (f" Chapter(s) {', '.join(again['chapters'])} timed again by `{again['command']}` on "
                      f"{again['date']} (load average {again.get('load_average', '?')} at the start).")
    return "\n".join(lines)


def write_guide_table(guide: Path = GUIDE, saved: dict | None = None) -> bool:
    """Put :func:`minutes_table` between the guide's markers; True when the file changed."""
    return doc_tables.write_table(guide, TABLE, minutes_table(saved))


def measure(names: Sequence[str], base: Path, path: Path = MINUTES_FILE, jobs: int = 1,
            wanted: Sequence[str] | None = None) -> dict:
    """Time every chapter of each quick setting (``jobs`` at a time) and save the result in ``path``.

    With ``wanted`` (chapter ids) only those chapters are timed again: their minutes replace the saved
    ones, the others stay, and the record says which chapters were re-timed when. Chapters no longer in
    the folder are dropped.
    """
    saved = load_minutes(path) or {"settings": {}}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    present = [chapter_id(p) for p in chapters()]
    for name in names:
        setting = SETTINGS[name]
        why = available(setting)
        if why:
            print(f"{name}: skipped ({why})")
            continue
        seconds = run_setting(setting, base / name, wanted, jobs=jobs)
        old = saved["settings"].get(name, {}).get("seconds", {}) if wanted else {}
        merged = {**old, **{k: round(v, 1) for k, v in seconds.items()}}
        saved["settings"][name] = {"summary": setting.summary,
                                   "seconds": {k: merged[k] for k in present if k in merged}}
    command = "python -m helpers.course timings --measure" + (f" --jobs {jobs}" if jobs > 1 else "")
    record = {"command": command + (" --chapters " + " ".join(wanted) if wanted else ""), "jobs": jobs,
              "date": time.strftime("%Y-%m-%d"), "machine": _machine(),
              "load_average": None if load is None else round(load, 2)}
    if wanted:
        saved["retimed"] = [*saved.get("retimed", []), {**record, "chapters": list(wanted)}]
    else:
        saved["measured"], saved["retimed"] = record, []
    path.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
    return saved


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.course run|timings``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run every chapter of a setting")
    run.add_argument("setting", choices=tuple(SETTINGS))
    run.add_argument("--chapters", nargs="+", default=None, metavar="ID", help="e.g. 10a 11 09a")
    run.add_argument("--jobs", type=int, default=1, help="chapters at a time (default 1)")
    run.add_argument("--base", type=Path, default=None,
                     help="folder for the setting's private data/work/runs (default: a temporary one)")
    timings = sub.add_parser("timings", help="print (or measure, or write) the minutes per chapter")
    timings.add_argument("--measure", action="store_true", help="time every chapter in the quick settings")
    timings.add_argument("--write", action="store_true", help=f"update the table in {GUIDE.name}")
    timings.add_argument("--jobs", type=int, default=1,
                         help="chapters at a time (default 1: what a student sees)")
    timings.add_argument("--chapters", nargs="+", default=None, metavar="ID",
                         help="with --measure: time only these chapters again, keep the others' minutes")
    timings.add_argument("--base", type=Path, default=None)
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="course-") as scratch:
        base = args.base or Path(scratch)
        try:
            if args.command == "run":
                setting = SETTINGS[args.setting]
                why = available(setting)
                if why:
                    print(f"{setting.name}: skipped ({why})")
                    return 0
                seconds = run_setting(setting, base, args.chapters, jobs=args.jobs)
                print(f"{setting.name}: {len(seconds)} chapters ran, {sum(seconds.values()) / 60:.1f} min")
                return 0
            saved = (measure(("quick-drawn", "quick-mini"), base, jobs=args.jobs, wanted=args.chapters)
                     if args.measure else load_minutes())
        except (ChapterFailed, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print(minutes_table(saved))
    if args.write or args.measure:
        write_guide_table(saved=saved)
        print(f"(table written into {config.shown_path(GUIDE)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
