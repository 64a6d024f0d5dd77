"""Sphinx configuration of the course website (``make site``; website/build.py stages the sources).

Everything the pages need is local: the theme (sphinx-book-theme) and its fonts come with the Python
packages, MathJax with ``jupyter-server-mathjax`` (copied into ``_static/mathjax`` by course_site),
search is Sphinx's own index. The notebooks are executed by myst-nb through jupyter-cache: a
rebuild executes only the notebooks whose code changed. website/build.py sets the environment
variables read here; a plain ``sphinx-build -c website SRC OUT`` gets the defaults.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the course_site extension

project = "PlantVillage PyTorch course"
author = "the course team"
copyright = "the course team, MIT licence"  # noqa: A001 (Sphinx's name)

extensions = ["myst_nb", "sphinx.ext.mathjax", "course_site"]
root_doc = "index"
exclude_patterns = ["_include", "_generated", "**/.ipynb_checkpoints", "jupyter_execute"]
templates_path = ["_templates"]
# The README section included under "Measured here" starts at ###; a notebook output does the same.
suppress_warnings = ["misc.highlighting_failure", "myst.header"]

# Notebooks: executed on build, cached per notebook (key: the code cells), a failing cell fails the build.
nb_execution_mode = "cache"
nb_execution_cache_path = os.environ.get("COURSE_SITE_CACHE", str(HERE.parent / "build" / "site" / "cache"))
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = int(os.environ.get("COURSE_SITE_CELL_TIMEOUT", "1800"))
nb_execution_excludepatterns: list[str] = []
nb_merge_streams = True
nb_ipywidgets_js: dict = {}  # no widget manager from a CDN: the build runs with CI=1, so no widget bars
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
myst_update_mathjax = False

# MathJax 2 from the jupyter-server-mathjax package, served from this site (course_site copies it). The
# package ships one combined configuration (with the HTML-CSS output) and the STIX-Web fonts only: the
# settings below are the Jupyter Notebook's, which used the same files.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True},
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None},
    "showMathMenu": False,
}

html_theme = "sphinx_book_theme"
html_title = "PlantVillage PyTorch course"
html_static_path: list[str] = []
html_last_updated_fmt = None
html_copy_source = True
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": False,  # course_site's box on each chapter links the .ipynb instead
    "use_fullscreen_button": False,
    "article_header_end": ["language-switch.html", "article-header-buttons.html"],
    "show_toc_level": 2,
}

course_site_repo = os.environ.get("COURSE_SITE_REPO", "")
course_site_branch = os.environ.get("COURSE_SITE_BRANCH", "main")
course_site_mode = os.environ.get("COURSE_MODE", "")
course_site_data = os.environ.get("COURSE_SITE_DATA", "")


def _keep_executed_notebooks_in_build(app) -> None:
    """myst-nb writes the executed notebooks next to the output folder, which for ``make site`` (out:
    site/) is the repository's root: keep them under build/site/ with the rest of the build's files."""
    folder = HERE.parent / "build" / "site" / "jupyter_execute"
    app.env.mystnb_config = app.env.mystnb_config.copy(output_folder=str(folder))


def setup(app) -> None:
    """After myst-nb sets its folders on builder-inited (priority 500), move the executed notebooks."""
    app.connect("builder-inited", _keep_executed_notebooks_in_build, priority=900)
