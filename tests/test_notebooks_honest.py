"""Every course notebook passes the honest-numbers lint (CONTRIBUTING.md): no selection on test
metrics, no evaluation loader capped by hand, no assert that cannot fail."""

from __future__ import annotations

from pathlib import Path

from helpers.notebooks import lint, notebook_paths

ROOT = Path(__file__).resolve().parent.parent


def test_every_notebook_passes_the_lint() -> None:
    assert notebook_paths(ROOT / "notebooks"), "the course has notebooks"
    findings = lint(ROOT / "notebooks")
    listing = "\n".join(map(str, findings))
    assert not findings, f"fix these (CONTRIBUTING.md, 'Honest numbers'):\n{listing}"
