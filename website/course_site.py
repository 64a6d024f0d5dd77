"""Sphinx extension of the course website: what each chapter page adds to the rendered notebook.

* A box at the top of every chapter: the mode its outputs were executed in and the data they come
  from (full set > mini set > drawn set, as website/build.py found them), a link to download the
  ``.ipynb``, a Binder launch link and the nbgitpuller link template of docs/instructors.md.
* ``course_twin`` in every page's template context: the same page in the other language
  (``notebooks/NAME`` <-> ``notebooks/fr/NAME``), else the other language's landing page; the
  theme's article header shows it (``_templates/language-switch.html``).
* The chapters' ``.ipynb`` files next to their pages, and MathJax (from the jupyter-server-mathjax
  package) in ``_static/mathjax``: nothing is fetched from another host when a page is read.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

log = logging.getLogger(__name__)

CHAPTER = re.compile(r"^notebooks/(?:(?P<fr>fr)/)?(?P<name>\d{2}[a-z]?_[a-z0-9_]+)$")
USES_PLANTVILLAGE = re.compile(r"plantvillage|\bpv\.")
USES_FASHION = re.compile(r"fashion_mnist|FashionMNIST")
PRINTED_MODE = re.compile(r"\bmode: (smoke|quick|full)\b")
LANDING = {"en": "index", "fr": "fr/index"}

TEXT = {
    "en": {
        "box": "This page",
        "ran": "The outputs below come from running this notebook in <strong>{mode}</strong> "
        "mode (<code>COURSE_MODE={mode}</code>) on: {data}.",
        "download": "Download the notebook (.ipynb)", "binder": "Launch on Binder",
        "binder_template": "Binder (replace ORG/REPO with the repository)",
        "hub": "On a JupyterHub (nbgitpuller; replace HUB, and ORG/REPO if shown; "
               "docs/instructors.md, step 4):",
        "plantvillage": {"full": "PlantVillage, the full set (54,305 photos)",
                         "mini": "PlantVillage, the course team's mini set of real photos (not the full set: "
                                 "the accuracies are not the report's)",
                         "tiny": "PlantVillage, the generated tiny set of drawn leaves (the code path only: "
                                 "nothing measured says anything about PlantVillage)"},
        "fashion": {"real": "FashionMNIST, the real set (70,000 images)",
                    "tiny": "FashionMNIST, the generated tiny set (the code path only)"},
        "none": "data made in the notebook itself (no downloaded data set)",
        "switch": "Français", "switch_title": "Cette page en français",
        "switch_landing": "L'édition française du cours", "lang": "fr",
    },
    "fr": {
        "box": "Cette page", "ran": "Les sorties ci-dessous viennent de l'exécution de ce notebook en mode "
        "<strong>{mode}</strong> (<code>COURSE_MODE={mode}</code>) sur : {data}.",
        "download": "Télécharger le notebook (.ipynb)", "binder": "Lancer sur Binder",
        "binder_template": "Binder (remplacer ORG/REPO par le dépôt)",
        "hub": "Sur un JupyterHub (nbgitpuller ; remplacer HUB, et ORG/REPO s'il apparaît ; "
               "docs/instructors.md, étape 4) :",
        "plantvillage": {"full": "PlantVillage, le jeu complet (54 305 photos)",
                         "mini": "PlantVillage, le mini-jeu de vraies photos de l'équipe "
                                 "(pas le jeu complet : les précisions ne sont pas celles du rapport)",
                         "tiny": "PlantVillage, le petit jeu généré de feuilles dessinées (le chemin du code "
                                 "seulement)"},
        "fashion": {"real": "FashionMNIST, le vrai jeu (70 000 images)",
                    "tiny": "FashionMNIST, le petit jeu généré (le chemin du code seulement)"},
        "none": "des données créées dans le notebook (aucun jeu téléchargé)",
        "switch": "English", "switch_title": "This page in English",
        "switch_landing": "The course in English", "lang": "en",
    },
}


def chapter_of(docname: str) -> tuple[str, str] | None:
    """``(language, notebook name)`` of a chapter page (notebooks/NAME, notebooks/fr/NAME), else None."""
    match = CHAPTER.match(docname)
    if match is None:
        return None
    return ("fr" if match["fr"] else "en"), match["name"]


def language_of(docname: str) -> str:
    """``"fr"`` for the French pages (``fr/...``, ``notebooks/fr/...``), else ``"en"``."""
    return "fr" if docname.startswith(("fr/", "notebooks/fr/")) else "en"


def twin_of(docname: str, docnames: set[str]) -> str | None:
    """The page in the other language: the same chapter when it exists there, else that language's landing
    page; None when the site has one language only."""
    if not set(LANDING.values()) <= docnames:
        return None
    chapter = chapter_of(docname)
    if chapter is not None:
        lang, name = chapter
        twin = f"notebooks/{name}" if lang == "fr" else f"notebooks/fr/{name}"
        if twin in docnames:
            return twin
    return LANDING["en" if language_of(docname) == "fr" else "fr"]


def data_used(code: str, found: dict[str, str], lang: str) -> str:
    """The data a chapter's outputs come from: the data sets its code reads, in the copies the build found."""
    text = TEXT[lang]
    parts = []
    if USES_FASHION.search(code):
        parts.append(text["fashion"][found.get("fashion", "tiny")])
    if USES_PLANTVILLAGE.search(code):
        parts.append(text["plantvillage"][found.get("plantvillage", "tiny")])
    return "; ".join(parts) or text["none"]


def launch_links(name: str, lang: str, repo: str, branch: str) -> tuple[str, str]:
    """(Binder URL, nbgitpuller URL template) for a notebook, as in docs/instructors.md."""
    path = f"notebooks/{'fr/' if lang == 'fr' else ''}{name}.ipynb"
    org_repo = repo or "ORG/REPO"
    repo_name = org_repo.split("/")[-1]
    binder = f"https://mybinder.org/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{path}"
    pull = ("https://HUB/hub/user-redirect/git-pull?repo="
            + quote(f"https://github.com/{org_repo}", safe="")
            + f"&branch={quote(branch, safe='')}&urlpath=" + quote(f"lab/tree/{repo_name}/{path}", safe=""))
    return binder, pull


def box_html(name: str, lang: str, mode: str, data: str, repo: str, branch: str) -> str:
    """The box at the top of a chapter page."""
    text = TEXT[lang]
    binder, pull = launch_links(name, lang, repo, branch)
    if repo:
        binder_part = f'<a class="course-binder" href="{html.escape(binder)}">{text["binder"]}</a>'
    else:
        binder_part = f'{text["binder_template"]}: <code>{html.escape(binder)}</code>'
    return (
        f'<div class="admonition note course-chapter-box">\n<p class="admonition-title">{text["box"]}</p>\n'
        f'<p class="course-executed" data-mode="{html.escape(mode)}">'
        f'{text["ran"].format(mode=html.escape(mode), data=html.escape(data))}</p>\n'
        f'<p><a class="course-download" href="{name}.ipynb" download>{text["download"]}</a> · '
        f'{binder_part}</p>\n'
        f'<p>{text["hub"]}<br><code class="course-nbgitpuller">{html.escape(pull)}</code></p>\n</div>\n')


def _output_text(doctree: nodes.document) -> str:
    """The text of every cell output in a rendered notebook."""
    return "\n".join(node.astext() for node in doctree.findall(nodes.literal_block)
                     if "output" in node.get("classes", []))


def add_chapter_box(app: Sphinx, doctree: nodes.document) -> None:
    """doctree-read: put the box under the chapter's title."""
    docname = app.env.docname
    chapter = chapter_of(docname)
    if chapter is None:
        return
    lang, name = chapter
    source = Path(app.env.doc2path(docname))
    cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    mode = app.config.course_site_mode or "quick"
    printed = PRINTED_MODE.search(_output_text(doctree))
    if printed and printed[1] != mode:
        log.warning(f"{docname}: the outputs say mode {printed[1]}, the build runs {mode}", location=docname)
        mode = printed[1]
    found = json.loads(app.config.course_site_data or "{}")
    box = nodes.raw("", box_html(name, lang, mode, data_used(code, found, lang),
                                 app.config.course_site_repo, app.config.course_site_branch), format="html")
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and isinstance(section[0], nodes.title):
        section.insert(1, box)
    else:
        doctree.insert(0, box)


def add_twin(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """html-page-context: ``course_twin`` (url, label, lang, title) for the language switch."""
    twin = twin_of(pagename, set(app.env.found_docs))
    if twin is None:
        context["course_twin"] = None
        return
    text = TEXT[language_of(pagename)]
    title = text["switch_landing"] if twin in LANDING.values() and pagename not in LANDING.values() \
        else text["switch_title"]
    context["course_twin"] = {"url": app.builder.get_relative_uri(pagename, twin), "label": text["switch"],
                              "lang": text["lang"], "title": title}


def mathjax_folder() -> Path:
    """MathJax 2 as the jupyter-server-mathjax package ships it."""
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).parent / "static"


def copy_files(app: Sphinx, exception: Exception | None) -> None:
    """build-finished: each chapter's .ipynb beside its page, MathJax under _static/mathjax."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    for docname in app.env.found_docs:
        if chapter_of(docname) is not None:
            target = out / f"{docname}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(app.env.doc2path(docname), target)
    mathjax = out / "_static" / "mathjax"
    if not (mathjax / "MathJax.js").is_file():
        shutil.copytree(mathjax_folder(), mathjax, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict:
    """Register the extension's settings and events."""
    app.add_config_value("course_site_repo", "", "env")
    app.add_config_value("course_site_branch", "main", "env")
    app.add_config_value("course_site_mode", "", "env")
    app.add_config_value("course_site_data", "", "env")
    app.connect("doctree-read", add_chapter_box)
    app.connect("html-page-context", add_twin)
    app.connect("build-finished", copy_files)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
