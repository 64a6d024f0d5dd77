"""``python -m helpers.i18n status`` / ``update-code`` / ``messages``: keep the French edition in step.

``status`` prints every finding of :func:`helpers.i18n.drift.drift` (the chapter, the cell, what to do)
and exits with 1 when there is any; ``update-code`` copies the changed English code cells into the
French notebooks (markdown untouched), after which ``status`` lists only the prose to translate;
``messages`` lists the run-time messages (exercise feedback, data-set messages) that have no French
version yet in :mod:`helpers.i18n.fr`, and exits with 1 when there is any.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from helpers.i18n import drift, messages

ROOT = Path(__file__).resolve().parents[2]

ADVICE = {
    drift.STALE: "translate the English cell again, then set its en_sha",
    drift.CODE_DIFFERS: "run `python -m helpers.i18n update-code`",
    drift.METADATA_DIFFERS: "run `python -m helpers.i18n update-code`",
    drift.MISSING_CELL: "add the translated cell (update-code adds code cells)",
    drift.EXTRA_CELL: "remove it (update-code removes code cells)",
    drift.TYPE_MISMATCH: "make the French cell the same type as the English",
    drift.NO_HASH: "store the English cell's hash in metadata.i18n.en_sha",
    drift.MISSING_NOTEBOOK: "translate the chapter (see CONTRIBUTING.md, French edition)",
    drift.EXTRA_NOTEBOOK: "remove it, or add the English chapter",
}


def status(notebooks_dir: Path) -> int:
    """Print what needs translating or updating; 1 when anything does, else 0."""
    findings = drift.drift(notebooks_dir)
    if not findings:
        count = len(drift.english_notebooks(notebooks_dir))
        print(f"The French edition is up to date: {count} chapters, no drift.")
        return 0
    for finding in findings:
        print(f"{finding}\n    -> {ADVICE[finding.kind]}")
    kinds = Counter(f.kind for f in findings)
    chapters = len({f.chapter for f in findings})
    print(f"\n{len(findings)} finding(s) in {chapters} chapter(s): "
          + ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()))
    return 1


def update_code(notebooks_dir: Path) -> int:
    """Copy the changed English code cells into the French notebooks; print which; always 0."""
    changed = drift.update_code(notebooks_dir)
    for chapter, count in changed.items():
        print(f"{chapter}: {count} code cell(s) updated from the English")
    print(f"{sum(changed.values())} code cell(s) updated in {len(changed)} chapter(s); markdown untouched. "
          "`python -m helpers.i18n status` lists what is left to translate.")
    return 0


def untranslated_messages(_notebooks_dir: Path) -> int:
    """Print the messages without a French version and where they are defined; 1 when there is any."""
    missing = sorted(messages.untranslated("fr").items(), key=lambda item: item[1])
    for text, where in missing:
        print(f"{where}: {text!r}")
    problems = messages.catalogue_problems("fr")
    for problem in problems:
        print(f"helpers/i18n/fr.py: {problem}")
    print(f"{len(missing)} message(s) to translate in helpers/i18n/fr.py, "
          f"{len(problems)} catalogue problem(s).")
    return 1 if missing or problems else 0


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.i18n", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["status", "update-code", "messages"])
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks",
                        help="the English notebooks (the French in its fr/; default: %(default)s)")
    args = parser.parse_args(argv)
    run = {"status": status, "update-code": update_code, "messages": untranslated_messages}[args.command]
    return run(args.notebooks)


if __name__ == "__main__":
    sys.exit(main())
