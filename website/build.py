"""Build the course website: ``python website/build.py --out site`` (what ``make site`` runs).

1. Stage the sources in ``build/site/src``, laid out as in the repository so that the notebooks' links
   (``../docs/instructors.md``) resolve: the pages of ``website/pages``, ``notebooks/*.ipynb``,
   ``notebooks/fr/*.ipynb`` (the French edition, when it exists) with a French landing page,
   ``docs/instructors.md``, the README (its "Measured here" section is included, not copied by hand)
   and a generated chapter map. Unchanged files keep their time stamps, so Sphinx re-reads only what
   changed.
2. Run Sphinx (website/conf.py): myst-nb executes each notebook in the mode of ``COURSE_MODE``
   (``quick`` unless set) through jupyter-cache, which re-executes a notebook only when its code
   changed. The cache and Sphinx's doctrees are kept per mode and per data found
   (``build/site/cache/<key>``), since the outputs depend on both: the best PlantVillage copy here
   (full set > mini set > drawn set) and FashionMNIST (real or the drawn tiny set of smoke mode).

Progress bars are off (``CI=1``) so that no widget output lands in a page. A failing cell stops the
build with the notebook's path and the failing cell's source and traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
WEBSITE = ROOT / "website"
WORK = ROOT / "build" / "site"
MODES = ("smoke", "quick", "full")
NOTEBOOK = re.compile(r"^(?P<number>\d{2}[a-z]?)_[a-z0-9_]+\.ipynb$")
MINUTES_HEADING = "## 8. What each chapter costs"
USES_PLANTVILLAGE = re.compile(r"plantvillage|\bpv\.")
USES_FASHION = re.compile(r"fashion_mnist|FashionMNIST")


def chapter_notebooks(folder: Path) -> list[Path]:
    """The chapter notebooks of a folder (``NN_topic.ipynb``), in learning order."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if NOTEBOOK.match(p.name))


def notebook_title(path: Path) -> str:
    """The first heading of a notebook's first markdown cell, without the ``#``."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def notebook_code(path: Path) -> str:
    """All code cells of a notebook, joined."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def table_rows(markdown: str, after: str | None = None) -> dict[str, list[str]]:
    """The rows of the first markdown table (after the line ``after``, if given) whose first cell starts
    with a chapter number: ``{"01": [cells after the first], ...}``; the number is the cell's first word."""
    lines = markdown.splitlines()
    if after is not None:
        lines = lines[lines.index(after) + 1:] if after in lines else []
    rows: dict[str, list[str]] = {}
    for line in lines:
        if rows and not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if cells and re.match(r"^\d{2}[a-z]?\b", cells[0]):
            rows[cells[0].split()[0]] = cells[1:]
    return rows


def data_found(mode: str) -> dict[str, str]:
    """Which copy of each data set the notebooks will find in this mode, without creating anything:
    PlantVillage ``full`` > ``mini`` > ``tiny`` (as ``helpers.data.locate.plantvillage_root`` picks),
    FashionMNIST ``real`` (found, unpacked from Debian's package or downloaded) or ``tiny`` (smoke mode)."""
    os.environ["COURSE_MODE"] = mode
    from helpers.data import locate
    from helpers.data.errors import DataNotFoundError

    plantvillage = None
    if mode != "smoke":
        try:
            locate.find_plantvillage(None)
            plantvillage = "full"
        except DataNotFoundError:
            pass
    if plantvillage is None:
        plantvillage = "mini" if locate.mini_root() is not None else "tiny"
    return {"plantvillage": plantvillage, "fashion": "tiny" if mode == "smoke" else "real"}


DATA_WORDS = {"plantvillage": {"full": "the full set", "mini": "the team's mini set of real photos",
                               "tiny": "the generated set of drawn leaves"},
              "fashion": {"real": "the real set", "tiny": "the generated tiny set"}}


def chapter_map(notebooks: list[Path], found: dict[str, str], mode: str) -> str:
    """The landing page's chapter table: title, what you learn (chapter 00's map), minutes
    (docs/instructors.md, section 8) and the data each chapter reads, generated from those files."""
    start = notebooks[0].parent / "00_start_here.ipynb"
    learn = table_rows("\n".join("".join(c["source"]) for c in json.loads(start.read_text())["cells"]
                                 if c["cell_type"] == "markdown")) if start.is_file() else {}
    minutes = table_rows((ROOT / "docs" / "instructors.md").read_text(encoding="utf-8"), MINUTES_HEADING)
    lines = ["| # | chapter | what you will be able to do | minutes (CPU, quick mode) | data |",
             "|---|---|---|---|---|"]
    for path in notebooks:
        number = NOTEBOOK.match(path.name)["number"]
        code = notebook_code(path)
        data = []
        if USES_FASHION.search(code):
            data.append(f"FashionMNIST ({DATA_WORDS['fashion'][found['fashion']]} here)")
        if USES_PLANTVILLAGE.search(code):
            data.append(f"PlantVillage ({DATA_WORDS['plantvillage'][found['plantvillage']]} here)")
        what = learn.get(number, ["", "the map, the environment check, how to run the course"])[-1]
        cost = minutes.get(number, ["not measured yet"])[0]
        lines.append(f"| {number} | [{notebook_title(path)}](notebooks/{path.name}) | {what} | {cost} | "
                     f"{'; '.join(data) or 'made in the notebook'} |")
    return ("<!-- Generated by website/build.py from the notebooks, chapter 00's map and "
            "docs/instructors.md, section 8: edit those, not this. -->\n\n" + "\n".join(lines) + "\n\n"
            "*Generated table.* The minutes are docs/instructors.md's measurements (section 8, a loaded "
            f"2-core CPU); chapters without one are not measured yet. This site was executed in **{mode}** "
            "mode; the data column says which copy of each data set the build found, and each chapter page "
            "says what its outputs come from.\n")


def french_map(notebooks: list[Path]) -> str:
    """The French landing page's list of chapters (titles from the French notebooks)."""
    lines = ["| # | chapitre |", "|---|---|"]
    lines += [f"| {NOTEBOOK.match(p.name)['number']} | [{notebook_title(p)}](/notebooks/fr/{p.name}) |"
              for p in notebooks]
    return "<!-- Generated by website/build.py from notebooks/fr/. -->\n\n" + "\n".join(lines) + "\n"


def toctree(french: bool) -> str:
    """The landing page's table of contents: the chapters, the guides, the French edition when present."""
    parts = ["```{toctree}\n:caption: Chapters\n:glob:\n:maxdepth: 1\n\nnotebooks/[0-9]*\n```\n",
             "```{toctree}\n:caption: Guides\n:maxdepth: 1\n\ndocs/instructors\nmeasured\n```\n"]
    if french:
        parts.append("```{toctree}\n:caption: Français\n:maxdepth: 1\n\nfr/index\n```\n")
    return "\n".join(parts)


def with_repository(text: str, repo: str) -> str:
    """A page's ``ORG/REPO`` templates (clone, Binder and nbgitpuller URLs) filled in with ``repo``
    (``org/name``, from ``COURSE_SITE_REPO``); unchanged when it is empty."""
    if not repo:
        return text
    name = repo.split("/")[-1]
    return (text.replace("ORG/REPO", repo).replace("ORG%2FREPO", quote(repo, safe=""))
            .replace("%2FREPO%2F", f"%2F{quote(name, safe='')}%2F").replace("cd REPO", f"cd {name}")
            .replace("Replace `HUB`, `ORG` and `REPO`", "Replace `HUB`"))


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds it (its time stamp then tells Sphinx nothing changed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def copy_if_changed(source: Path, target: Path) -> None:
    """Copy a file unless the target already has the same bytes. The copy is stamped with the time of
    copying, not the source's: a notebook edited while a build was reading it is older than that read, and
    Sphinx, which compares time stamps, would keep the old page."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)


def stage(src: Path, mode: str, found: dict[str, str]) -> list[str]:
    """Lay out the Sphinx sources in ``src``; return the staged files (relative paths). Files left over from
    an earlier staging (a deleted notebook) are removed."""
    english = chapter_notebooks(ROOT / "notebooks")
    french = chapter_notebooks(ROOT / "notebooks" / "fr")
    files: dict[str, Path | str] = {p.relative_to(WEBSITE / "pages").as_posix(): p
                                    for p in sorted((WEBSITE / "pages").rglob("*")) if p.is_file()}
    if not french:
        files = {k: v for k, v in files.items() if not k.startswith("fr/")}
    files.update({f"notebooks/{p.name}": p for p in english})
    files.update({f"notebooks/fr/{p.name}": p for p in french})
    files["docs/instructors.md"] = ROOT / "docs" / "instructors.md"
    files["_include/README.md"] = ROOT / "README.md"
    files["_generated/chapter_map.md"] = chapter_map(english, found, mode)
    files["_generated/toctree.md"] = toctree(bool(french))
    if french:
        files["_generated/french_map.md"] = french_map(french)
    repo = os.environ.get("COURSE_SITE_REPO", "")
    for relative, what in files.items():
        if isinstance(what, Path) and relative.endswith("index.md") and not relative.startswith("_"):
            write_if_changed(src / relative, with_repository(what.read_text(encoding="utf-8"), repo))
        elif isinstance(what, Path):
            copy_if_changed(what, src / relative)
        else:
            write_if_changed(src / relative, what)
    for path in sorted(src.rglob("*"), reverse=True):
        relative = path.relative_to(src).as_posix()
        if path.is_file() and relative not in files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return sorted(files)


def build(out: Path, mode: str, quiet: bool = False, jobs: int = 1) -> Path:
    """Stage and build the site into ``out``; returns ``out``. Raises SystemExit when Sphinx fails.

    ``jobs > 1`` reads (and so executes) that many notebooks at a time, each kernel on one thread.
    """
    if mode not in MODES:
        raise SystemExit(f"SITE_MODE/COURSE_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    found = data_found(mode)
    key = f"{mode}-plantvillage_{found['plantvillage']}-fashion_{found['fashion']}"
    src = WORK / "src"
    stage(src, mode, found)
    os.environ.update({"COURSE_MODE": mode, "CI": "1", "COURSE_SITE_CACHE": str(WORK / "cache" / key),
                       "COURSE_SITE_DATA": json.dumps(found, sort_keys=True)})
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # The kernels import this checkout's helpers, whatever the environment's editable install points at.
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    out.mkdir(parents=True, exist_ok=True)
    marker = out / ".course-site"
    rewrite_all = not marker.is_file() or marker.read_text() != key  # pages from another mode or data
    from sphinx.cmd.build import build_main

    args = ["-b", "html", "-c", str(WEBSITE), "-d", str(WORK / "doctrees" / key), str(src), str(out)]
    args += ["-a"] * rewrite_all + ["-q"] * quiet + ["-j", str(jobs)] * (jobs > 1)
    print(f"Building the site into {out}: mode {mode}, data {found} (cache {WORK / 'cache' / key})",
          flush=True)
    started = time.monotonic()
    status = build_main(args)
    if status != 0:
        raise SystemExit(f"the site build failed (Sphinx exit status {status}). A failing notebook cell is "
                         "reported above as 'Executing notebook failed', with the notebook's path, the "
                         "cell's source and its traceback.")
    marker.write_text(key)
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ and _sources/ as they are
    print(f"Site built in {time.monotonic() - started:.0f} s: {out / 'index.html'}", flush=True)
    return out


MAX_JOBS = 4
"""Notebooks executed at a time by default: every kernel holds its data and model in memory."""


def default_jobs() -> int:
    """The CPU cores this process may use (a container's quota included), at most :data:`MAX_JOBS`."""
    sys.path.insert(0, str(ROOT))
    from helpers.config import cpu_count

    return max(1, min(MAX_JOBS, cpu_count()))


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python website/build.py [--out site] [--mode quick] [--quiet]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="output folder (default: site/)")
    parser.add_argument("--mode", default=os.environ.get("COURSE_MODE") or "quick", choices=MODES,
                        help="COURSE_MODE the notebooks are executed in (default: $COURSE_MODE, else quick)")
    parser.add_argument("--quiet", action="store_true", help="only warnings and errors from Sphinx")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="notebooks executed at a time, each kernel on one thread (default: the CPU "
                             f"cores, at most {MAX_JOBS}: {default_jobs()} here)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    build(args.out.resolve(), args.mode, args.quiet, args.jobs)


if __name__ == "__main__":
    main()
