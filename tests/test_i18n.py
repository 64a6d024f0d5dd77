"""The French edition: no drift from the English notebooks, French messages at run time, the tooling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import i18n
from helpers.exercises.registry import all_exercises
from helpers.i18n import drift, messages
from helpers.i18n.__main__ import main as i18n_main

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


# --- A tiny English chapter and its French twin, built in a temporary folder ------------------------

EN_CELLS = [
    ("markdown", "# Gradient descent\n\nWe follow the slope downhill."),
    ("code", "import torch\n\nx = torch.ones(3)  # three ones\nprint(f\"sum = {x.sum()}\")"),
    ("code", "%time y = x * 2\ny.shape  # the shape"),
]
FR_CELLS = [
    "# Descente de gradient\n\nOn suit la pente vers le bas.",
    "import torch\n\nx = torch.ones(3)  # trois uns\nprint(f\"sum = {x.sum()}\")",
    "%time y = x * 2\ny.shape  # la forme",
]


def _notebook(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb.cells = [make[kind](source) for kind, source in cells]
    for index, cell in enumerate(nb.cells):
        cell.id = f"c{index:02d}"
    return nb


def _write_pair(folder: Path, name: str = "01_tiny.ipynb") -> tuple[Path, Path]:
    """An English notebook in ``folder`` and its up-to-date French twin in ``folder/fr``."""
    en, fr = _notebook(EN_CELLS), _notebook([(k, s) for (k, _), s in zip(EN_CELLS, FR_CELLS, strict=True)])
    for en_cell, fr_cell in zip(en.cells, fr.cells, strict=True):
        fr_cell.metadata["i18n"] = {"en_sha": drift.cell_hash(en_cell.source)}
    fr.metadata["i18n"] = {"lang": "fr", "source": f"../{name}"}
    (folder / "fr").mkdir(parents=True, exist_ok=True)
    nbformat.write(en, folder / name)
    nbformat.write(fr, folder / "fr" / name)
    return folder / name, folder / "fr" / name


def _edit(path: Path, index: int, source: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[index].source = source
    nbformat.write(nb, path)


def _kinds(folder: Path) -> list[tuple[str, int | None, int | None]]:
    return [(f.kind, f.en_index, f.fr_index) for f in drift.drift(folder)]


def test_cell_hash_is_the_format_s_hash() -> None:
    import hashlib

    text = "# Title\n\nsome *prose*"
    assert drift.cell_hash(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    assert drift.cell_hash({"source": ["# Title\n", "\n", "some *prose*"]}) == drift.cell_hash(text)


def test_an_up_to_date_pair_has_no_drift(tmp_path: Path) -> None:
    _write_pair(tmp_path)
    assert drift.drift(tmp_path) == []


def test_a_changed_english_markdown_cell_is_named_stale(tmp_path: Path) -> None:
    en, _ = _write_pair(tmp_path)
    _edit(en, 0, "# Gradient descent\n\nWe follow the slope downhill, one step at a time.")
    findings = drift.drift(tmp_path)
    assert [(f.kind, f.en_index, f.fr_index) for f in findings] == [(drift.STALE, 0, 0)]
    assert "01_tiny.ipynb (English cell 0, French cell 0): stale translation" in str(findings[0])


def test_a_changed_french_code_cell_is_drift_but_a_changed_comment_is_not(tmp_path: Path) -> None:
    _, fr = _write_pair(tmp_path)
    _edit(fr, 1, FR_CELLS[1].replace("# trois uns", "# un vecteur de trois uns"))
    assert drift.drift(tmp_path) == []
    _edit(fr, 1, FR_CELLS[1].replace('f"sum = ', 'f"somme = '))  # a string literal is code
    assert _kinds(tmp_path) == [(drift.CODE_DIFFERS, 1, 1)]
    _edit(fr, 1, FR_CELLS[1].replace("torch.ones(3)", "torch.ones(4)"))
    assert _kinds(tmp_path) == [(drift.CODE_DIFFERS, 1, 1)]


def test_magic_lines_must_stay_identical(tmp_path: Path) -> None:
    _, fr = _write_pair(tmp_path)
    _edit(fr, 2, FR_CELLS[2].replace("%time y = x * 2", "%time y = x * 3"))
    assert _kinds(tmp_path) == [(drift.CODE_DIFFERS, 2, 2)]


def test_a_missing_or_extra_cell_is_named(tmp_path: Path) -> None:
    en, fr = _write_pair(tmp_path)
    nb = nbformat.read(fr, as_version=4)
    del nb.cells[1]
    nbformat.write(nb, fr)
    assert _kinds(tmp_path) == [(drift.MISSING_CELL, 1, None)]
    _write_pair(tmp_path)
    nb = nbformat.read(en, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("A new paragraph."))
    nbformat.write(nb, en)
    assert _kinds(tmp_path) == [(drift.MISSING_CELL, 1, None)], "only the new cell, not every later one"
    _write_pair(tmp_path)
    nb = nbformat.read(en, as_version=4)
    del nb.cells[2]
    nbformat.write(nb, en)
    assert _kinds(tmp_path) == [(drift.EXTRA_CELL, None, 2)]


def test_a_type_mismatch_a_missing_hash_and_a_missing_notebook_are_named(tmp_path: Path) -> None:
    _, fr = _write_pair(tmp_path)
    nb = nbformat.read(fr, as_version=4)
    del nb.cells[0].metadata["i18n"]
    nbformat.write(nb, fr)
    assert _kinds(tmp_path) == [(drift.NO_HASH, 0, 0)]
    _write_pair(tmp_path)
    nb = nbformat.read(fr, as_version=4)
    sha = nb.cells[2].metadata["i18n"]
    nb.cells[2] = nbformat.v4.new_markdown_cell(FR_CELLS[2], metadata={"i18n": sha})
    nbformat.write(nb, fr)
    assert _kinds(tmp_path) == [(drift.TYPE_MISMATCH, 2, 2)]
    fr.unlink()
    assert _kinds(tmp_path) == [(drift.MISSING_NOTEBOOK, None, None)]


def test_status_exits_1_and_names_the_chapter_and_cell(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    en, _ = _write_pair(tmp_path)
    assert i18n_main(["status", "--notebooks", str(tmp_path)]) == 0
    assert "up to date" in capsys.readouterr().out
    _edit(en, 0, "# Gradient descent, again")
    assert i18n_main(["status", "--notebooks", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "01_tiny.ipynb (English cell 0, French cell 0): stale translation" in out


def test_update_code_fixes_code_drift_and_leaves_the_prose(tmp_path: Path) -> None:
    en, fr = _write_pair(tmp_path)
    _edit(en, 0, "# Gradient descent, revised")                                  # prose: for a translator
    _edit(en, 1, EN_CELLS[1][1].replace("torch.ones(3)", "torch.ones(5)"))       # code: for update-code
    nb = nbformat.read(en, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print(y)"))
    nbformat.write(nb, en)
    before = nbformat.read(fr, as_version=4).cells[0]
    assert {f.kind for f in drift.drift(tmp_path)} == {drift.STALE, drift.CODE_DIFFERS, drift.MISSING_CELL}
    assert drift.update_code(tmp_path) == {"01_tiny.ipynb": 2}
    after = nbformat.read(fr, as_version=4)
    assert after.cells[0] == before, "markdown untouched"
    assert after.cells[1].source == nbformat.read(en, as_version=4).cells[1].source
    assert after.cells[2].source == FR_CELLS[2], "an unchanged code cell keeps its French comments"
    assert after.cells[3].source == "print(y)"
    assert _kinds(tmp_path) == [(drift.STALE, 0, 0)]
    assert drift.update_code(tmp_path) == {}, "a second run changes nothing"


# --- The real French edition -----------------------------------------------------------------------


def test_the_french_edition_does_not_drift_from_the_english() -> None:
    if not (NOTEBOOKS / drift.FRENCH_FOLDER).is_dir():
        pytest.skip("notebooks/fr does not exist yet on this branch (the translations come from others)")
    findings = drift.drift(NOTEBOOKS)
    assert not findings, (f"{len(findings)} finding(s); `python -m helpers.i18n status` explains, "
                          "`update-code` fixes the code cells:\n" + "\n".join(map(str, findings)))
    french = drift.english_notebooks(NOTEBOOKS / drift.FRENCH_FOLDER)
    assert [p.name for p in french] == [p.name for p in drift.english_notebooks(NOTEBOOKS)]


# --- The language setting and the translation function ----------------------------------------------


def test_language_comes_from_course_lang_else_the_french_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(i18n.LANG_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    assert i18n.language() == "en"
    french = tmp_path / "notebooks" / "fr"
    french.mkdir(parents=True)
    monkeypatch.chdir(french)
    assert i18n.language() == "fr", "a kernel started in notebooks/fr speaks French"
    monkeypatch.setenv(i18n.LANG_VARIABLE, "en")
    assert i18n.language() == "en", "COURSE_LANG wins over the folder"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(i18n.LANG_VARIABLE, "FR")
    assert i18n.language() == "fr"
    monkeypatch.setenv(i18n.LANG_VARIABLE, "de")
    with pytest.raises(ValueError, match="COURSE_LANG='de' is not a course language: use one of en, fr"):
        i18n.language()


def test_tr_formats_in_the_language_with_english_as_the_fallback(monkeypatch) -> None:
    monkeypatch.setenv(i18n.LANG_VARIABLE, "fr")
    assert i18n.tr("{what} should be a tensor, got {kind}", what="your answer", kind="int") == (
        "votre réponse doit être un tenseur, reçu int"), "a field that is a catalogued message is translated"
    assert i18n.tr("no translation for {this} yet", this=3) == "no translation for 3 yet"
    monkeypatch.setenv(i18n.LANG_VARIABLE, "en")
    assert i18n.tr("{what} should be a tensor, got {kind}", what="your answer", kind="int") == (
        "your answer should be a tensor, got int")
    assert i18n.mark("your answer") == "your answer"


def test_every_message_a_student_meets_has_a_french_version() -> None:
    missing = sorted(messages.untranslated("fr").items(), key=lambda item: item[1])
    assert not missing, (f"{len(missing)} message(s) without a French version in helpers/i18n/fr.py:\n"
                         + "\n".join(f"  {where}: {text!r}" for text, where in missing))


def test_the_messages_command_lists_what_to_translate(monkeypatch, capsys: pytest.CaptureFixture) -> None:
    assert i18n_main(["messages"]) == 0
    assert "0 message(s) to translate" in capsys.readouterr().out
    monkeypatch.setattr(messages, "untranslated", lambda lang: {"a new message": "helpers/x.py:3"})
    assert i18n_main(["messages"]) == 1
    assert "helpers/x.py:3: 'a new message'" in capsys.readouterr().out


def test_the_message_list_covers_the_exercises_and_the_data_errors() -> None:
    found = messages.all_messages()
    assert len(found) > 600
    assert "not answered yet" in found and "correct!" in found
    assert "PlantVillage not found: {root} does not exist.\nLooked in:\n{looked}\n{how_to_get}" in found
    assert "file of unknown class {error} (classes: {classes})" in found
    for exercises in all_exercises().values():
        for exercise in exercises:
            assert exercise.title in found and all(hint in found for hint in exercise.hints)


def test_french_templates_keep_the_fields_and_the_spaces_of_the_english() -> None:
    assert messages.catalogue_problems("fr") == []


def test_catalogue_checks_catch_a_lost_field_and_a_lost_space(monkeypatch) -> None:
    broken = {**i18n.catalogue("fr"), "{what} should be a tensor, got {kind}": "{what} doit être un tenseur",
              " or ": "ou"}
    monkeypatch.setattr(i18n, "catalogue", lambda lang: broken)
    monkeypatch.setattr(messages, "catalogue", lambda lang: broken)
    problems = messages.catalogue_problems("fr")
    assert any("fields ['what'] instead of ['kind', 'what']" in p for p in problems)
    assert any("leading space not kept" in p for p in problems)


def test_a_marker_needs_a_string_literal(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text('from helpers.i18n import tr\nname = "x"\nprint(tr(f"hello {name}"))\n')
    with pytest.raises(ValueError, match="bad.py:3: tr\\(\\) needs a string literal"):
        messages.source_messages(tmp_path)


def test_the_how_to_get_text_names_the_kaggle_data_set() -> None:
    from helpers.data import locate

    assert locate.KAGGLE_DATASET in locate.HOW_TO_GET, "HOW_TO_GET spells the data set out (a catalogue key)"


# --- What a student reads, in French and in English --------------------------------------------------


@pytest.fixture
def private_progress(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    return path


def _check(exercise, answer, capsys: pytest.CaptureFixture) -> str:
    context = exercise.context() if exercise.context else {}
    exercise.check(answer(**context) if callable(answer) else answer, **context)
    return capsys.readouterr().out


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_exercise_feedback_follows_course_lang(lang: str, monkeypatch, private_progress: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    from helpers.exercises import ch01, ch05, ch07a

    monkeypatch.setenv(i18n.LANG_VARIABLE, lang)
    out = _check(ch01.q1, ch01.q1.wrong_answers[0], capsys)
    expected = {"fr": "✗ 01.q1 (dJ/dw sans biais): grad_w(0.5, x, y) a renvoyé -2.66667 sur 3 points, "
                      "autograd donne -5.33333. Vous êtes à un facteur 2 près : la dérivée de e² est 2e.",
                "en": "✗ 01.q1 (dJ/dw without a bias): grad_w(0.5, x, y) returned -2.66667 on 3 points, "
                      "autograd says -5.33333. You are off by a factor 2: the derivative of e² is 2e."}
    assert out.strip() == expected[lang]
    out = _check(ch05.q1, (5, 1, 4), capsys)
    assert out.startswith({"fr": "✗ 05.q1 (Une forme après broadcasting): ",
                           "en": "✗ 05.q1 (A broadcast shape): "}[lang])
    out = _check(ch07a.q2, ..., capsys)
    assert {"fr": "pas encore de réponse", "en": "not answered yet"}[lang] in out
    out = _check(ch07a.q2, "not a function", capsys)
    assert {"fr": "donnez la fonction elle-même (accuracy), reçu str",
            "en": "give the function itself (accuracy), got str"}[lang] in out
    out = _check(ch01.q1, ch01.q1.solve, capsys)
    assert out.startswith({"fr": "✓ 01.q1 (dJ/dw sans biais): correct ! dJ/dw",
                           "en": "✓ 01.q1 (dJ/dw without a bias): correct! dJ/dw"}[lang])
    monkeypatch.setattr(ch01.q2, "_hints_shown", 0)  # the first hint again
    ch01.q2.hint()
    ch01.q2.solution()
    out = capsys.readouterr().out
    assert out.startswith({"fr": "Indice 1/2 pour 01.q2 (Le plus grand taux d'apprentissage stable) : "
                                 "Construisez",
                           "en": "Hint 1/2 for 01.q2 (The largest stable learning rate): Build"}[lang])
    assert {"fr": "Une solution pour 01.q2", "en": "A solution for 01.q2"}[lang] in out


def test_data_messages_follow_course_lang(tmp_path: Path, monkeypatch) -> None:
    from helpers.data import datasets, locate
    from helpers.data.errors import DataNotFoundError

    for name in ("Apple___healthy", "Tomato___healthy"):
        (tmp_path / "set" / name).mkdir(parents=True)
        (tmp_path / "set" / name / "a.jpg").write_bytes(b"")
    monkeypatch.setenv(i18n.LANG_VARIABLE, "fr")
    text = locate.describe_data(tmp_path / "set", "tiny")
    assert text.startswith("Données : le petit jeu généré de feuilles dessinées")
    assert "2 images dans 2 classes, et non les 54,305 du jeu complet" in text
    assert "Pour obtenir le jeu complet dans" in text
    with pytest.raises(DataNotFoundError, match="PlantVillage introuvable : .* n'existe pas") as error:
        locate.find_plantvillage(tmp_path / "nowhere")
    assert "Obtenez-le avec `pip install" in str(error.value)
    with pytest.raises(ValueError, match="fichier d'une classe inconnue 'Pear___healthy'"):
        datasets.PlantVillageDataset(tmp_path / "set", files=["Pear___healthy/a.jpg"],
                                     classes=["Apple___healthy"])
    monkeypatch.setenv(i18n.LANG_VARIABLE, "en")
    assert locate.describe_data(tmp_path / "set", "tiny").startswith("Data: the generated tiny set")
    with pytest.raises(DataNotFoundError, match="PlantVillage not found: .* does not exist"):
        locate.find_plantvillage(tmp_path / "nowhere")


# --- make test leaves the French edition to make test-fr --------------------------------------------


def test_the_french_edition_is_collected_only_when_asked_for(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    root_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root_conftest)
    french_edition_skipped = root_conftest.french_edition_skipped

    french = tmp_path / "notebooks" / "fr" / "01_x.ipynb"
    english = tmp_path / "notebooks" / "01_x.ipynb"
    testpaths = [str(tmp_path / "tests"), str(tmp_path / "notebooks")]
    assert french_edition_skipped(french, testpaths, {})
    assert french_edition_skipped(french.parent, testpaths, {})
    assert not french_edition_skipped(english, testpaths, {})
    assert not french_edition_skipped(french, testpaths, {"COURSE_TEST_FR": "1"})
    assert not french_edition_skipped(french, [str(french.parent)], {})
    assert not french_edition_skipped(french, [f"{french}::Cell 0"], {})


def test_pytest_collects_notebooks_fr_only_for_make_test_fr(tmp_path: Path) -> None:
    """A real collection in a copy of the layout: the root conftest.py, testpaths tests + notebooks."""
    import shutil

    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = notebooks\n"
                                         "addopts = --nbval-lax -p no:cacheprovider\n")
    (tmp_path / "notebooks" / "fr").mkdir(parents=True)
    nb = _notebook([("code", "x = 1")])
    nbformat.write(nb, tmp_path / "notebooks" / "01_x.ipynb")
    nbformat.write(nb, tmp_path / "notebooks" / "fr" / "01_x.ipynb")

    def collected(*args: str, **env: str) -> str:
        command = [sys.executable, "-m", "pytest", "--collect-only", "-q", *args]
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "COURSE_TEST_FR": "", **env})
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "notebooks/01_x.ipynb::Cell 0" in collected() and "notebooks/fr/" not in collected()
    assert "notebooks/fr/01_x.ipynb::Cell 0" in collected("notebooks/fr")
    assert "notebooks/fr/01_x.ipynb::Cell 0" in collected(COURSE_TEST_FR="1")


def test_make_lab_opens_the_edition_asked_for() -> None:
    import shutil

    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def lab_line(*args: str, **env: str) -> str:
        environ = {k: v for k, v in os.environ.items() if k not in ("COURSE_LANG", "EDITION")}
        dry = subprocess.run(["make", "-n", "lab", *args], cwd=ROOT, capture_output=True, text=True,
                             check=True, env={**environ, **env}).stdout
        return next(line for line in dry.splitlines() if "jupyter lab" in line)

    assert lab_line().endswith(" notebooks/")
    assert lab_line("EDITION=fr").endswith(" notebooks/fr/")
    assert lab_line(COURSE_LANG="fr").endswith(" notebooks/fr/")
    assert lab_line(LANG="fr_FR.UTF-8").endswith(" notebooks/"), "the locale does not pick the edition"
    ci = (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    longer = makefile.split("\ntest-course:", 1)[1].split("\n\n", 1)[0]
    # CI runs the French chapters in make test-course: the website's smoke build executes them all (and
    # fails on a cell's error), and tests/test_site.py wants a page with outputs for each of them.
    assert "make test-course" in ci and "test-site" in longer, "CI builds the site (make test-course)"
    site_test = (ROOT / "tests" / "test_site.py").read_text(encoding="utf-8")
    assert 'ROOT / "notebooks" / "fr"' in site_test, "the site test checks a page for every French chapter"


def test_the_drift_check_on_a_copy_of_the_real_editions(tmp_path: Path) -> None:
    """On the real chapters: a changed English cell, a changed French code cell, a missing cell."""
    import shutil

    if not (NOTEBOOKS / drift.FRENCH_FOLDER).is_dir():
        pytest.skip("notebooks/fr does not exist yet on this branch (the translations come from others)")
    shutil.copytree(NOTEBOOKS, tmp_path / "notebooks", ignore=shutil.ignore_patterns(".*"))
    copy = tmp_path / "notebooks"
    name = drift.english_notebooks(copy)[1].name
    en_nb = nbformat.read(copy / name, as_version=4)
    markdown = next(i for i, c in enumerate(en_nb.cells) if c.cell_type == "markdown")
    code = next(i for i, c in enumerate(en_nb.cells) if c.cell_type == "code")
    assert drift.drift(copy) == []
    _edit(copy / name, markdown, en_nb.cells[markdown].source + "\n\nOne more English sentence.")
    assert _kinds(copy) == [(drift.STALE, markdown, markdown)]
    shutil.copy(NOTEBOOKS / name, copy / name)
    french_code = nbformat.read(copy / "fr" / name, as_version=4).cells[code].source
    _edit(copy / "fr" / name, code, french_code + "\nx = 0")
    assert _kinds(copy) == [(drift.CODE_DIFFERS, code, code)]
    assert drift.update_code(copy) == {name: 1} and drift.drift(copy) == []
    fr_nb = nbformat.read(copy / "fr" / name, as_version=4)
    del fr_nb.cells[markdown]
    nbformat.write(fr_nb, copy / "fr" / name)
    assert _kinds(copy) == [(drift.MISSING_CELL, markdown, None)]


def test_the_french_notebooks_are_committed_without_outputs() -> None:
    from helpers.notebooks import has_outputs, notebook_paths

    if not (NOTEBOOKS / drift.FRENCH_FOLDER).is_dir():
        pytest.skip("notebooks/fr does not exist yet on this branch (the translations come from others)")
    dirty = [p.name for p in notebook_paths(NOTEBOOKS / drift.FRENCH_FOLDER) if has_outputs(p)]
    assert not dirty, f"French notebooks with outputs (run `make strip`): {', '.join(dirty)}"
    makefile = (ROOT / "Makefile").read_text()
    assert "helpers.notebooks strip notebooks/fr" in makefile
