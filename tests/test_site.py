"""The course website (``make site``) built in smoke mode and read in headless Chromium.

The slow test (marked ``site``: ``make test-site``; a plain ``pytest`` deselects it) builds the site with
``website/build.py --mode smoke`` into a temporary folder (or checks the one ``$COURSE_SITE_DIR`` names),
serves it on 127.0.0.1 and opens it in Chromium with Playwright, as tests/test_browser.py does: the landing
page and its chapter map, every chapter page with its outputs (the box saying the mode and the data, at
least one figure where the notebook draws one, MathJax typeset from the site's own copy), search finding a
term of chapter 9a, every relative link and anchor of every page, and no request to another host (any is
recorded and aborted). The fast tests below it check the pieces of website/ without building anything.
"""

from __future__ import annotations

import functools
import html.parser
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

import pytest
from test_browser import find_chromium, launch

ROOT = Path(__file__).resolve().parent.parent
SITE_VARIABLE = "COURSE_SITE_DIR"
BUILD_S = 3600
SEARCH_TERM = "sliding"  # chapter 9a's "sliding window"; checked to be in the notebook below
DRAWS = re.compile(r"\bplt\.|\bplots\.")
PAGE_S = 30


def _load(name: str) -> ModuleType:
    """A module of website/ (not a package) by path."""
    spec = importlib.util.spec_from_file_location(f"website_{name}", ROOT / "website" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course_site = _load("course_site")
build_script = _load("build")


def chapters(site: Path) -> list[Path]:
    """The notebooks the site must have a page for: notebooks/*.ipynb and notebooks/fr/*.ipynb."""
    return build_script.chapter_notebooks(ROOT / "notebooks") + build_script.chapter_notebooks(
        ROOT / "notebooks" / "fr")


def page_of(notebook: Path) -> str:
    """The page's path in the site: notebooks/NAME.html or notebooks/fr/NAME.html."""
    return notebook.relative_to(ROOT).with_suffix(".html").as_posix()


# ---------------------------------------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The website: $COURSE_SITE_DIR when set, else built in smoke mode into a temporary folder."""
    prebuilt = os.environ.get(SITE_VARIABLE)
    if prebuilt:
        folder = Path(prebuilt)
        assert (folder / "index.html").is_file(), f"{SITE_VARIABLE}={prebuilt} holds no index.html"
        return folder
    folder = tmp_path_factory.mktemp("website") / "site"
    done = subprocess.run([sys.executable, str(ROOT / "website" / "build.py"), "--mode", "smoke", "--quiet",
                           "--out", str(folder)], capture_output=True, text=True, timeout=BUILD_S,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, f"the site build failed:\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}"
    assert not (folder.parent / "jupyter_execute").exists(), "executed notebooks stay in build/site"
    return folder


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        """No access log on the test's output."""


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site on http://127.0.0.1:PORT (the base URL, with a trailing slash)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser_page(served: str) -> Iterator[tuple[object, list[str], ModuleType]]:
    """A Chromium page whose requests to anything but the local server are recorded and aborted:
    (page, foreign requests, Playwright's sync API)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (make setup)")
    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium found: apt-get install chromium, or set COURSE_CHROMIUM")
    foreign: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        if url.startswith((served, "data:", "blob:", "about:")):
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright, sync_api, path)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", guard)
            page = context.new_page()
            page.set_default_timeout(PAGE_S * 1000)
            yield page, foreign, sync_api
        finally:
            browser.close()


def open_page(page, url: str) -> None:
    """Go to ``url`` and check the server answered it."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response.status if response else 'no response'}"


@pytest.mark.site
def test_landing_page_has_the_map_and_the_ways_to_run(browser_page, served: str, site: Path) -> None:
    page, foreign, _ = browser_page
    open_page(page, served + "index.html")
    assert "PlantVillage PyTorch course" in page.title()
    english = [p for p in chapters(site) if p.parent.name == "notebooks"]
    table_links = page.locator("article table a[href^='notebooks/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    assert [link.split("#")[0] for link in table_links] == [page_of(p) for p in english], table_links
    text = page.locator("article").inner_text()
    for needed in ("make lab", "mybinder.org", "git-pull?repo=", "minutes (CPU, quick mode)",
                   "Generated table"):
        assert needed in text, f"the landing page lacks {needed!r}"
    for guide in ("docs/instructors.html", "measured.html"):
        assert page.locator(f"a[href='{guide}']").count() >= 1, f"no link to {guide}"
    open_page(page, served + "measured.html")
    assert "python -m helpers.bench fashionmnist" in page.locator("article").inner_text(), \
        "the README's measured tables are on the site"
    assert not foreign, f"requests to other hosts: {foreign}"


@pytest.mark.site
def test_every_chapter_page_shows_its_outputs(browser_page, served: str, site: Path) -> None:
    page, foreign, _ = browser_page
    notebooks = chapters(site)
    assert len(notebooks) >= 18
    problems = []
    for notebook in notebooks:
        url = served + page_of(notebook)
        open_page(page, url)
        box = page.locator(".course-executed")
        if box.count() != 1 or box.get_attribute("data-mode") != "smoke":
            problems.append(f"{notebook.name}: no box saying it was executed in smoke mode")
        if page.locator(".cell_output").count() == 0:
            problems.append(f"{notebook.name}: no cell output on the page")
        draws = bool(DRAWS.search(build_script.notebook_code(notebook)))
        images = page.locator(".cell_output img")
        if draws:
            widths = images.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
            if not widths or min(widths) == 0:
                problems.append(f"{notebook.name}: draws figures but the page shows {widths} (image widths)")
        if page.locator(".course-download").get_attribute("href") != f"{notebook.stem}.ipynb":
            problems.append(f"{notebook.name}: no download link to its .ipynb")
        switches = 1 if (ROOT / "notebooks" / "fr").is_dir() else 0
        if page.locator("a.course-language-switch").count() != switches:
            problems.append(f"{notebook.name}: the language switch is wrong")
    assert not problems, "\n".join(problems)
    assert not foreign, f"requests to other hosts: {foreign}"


@pytest.mark.site
def test_math_is_typeset_by_the_sites_own_mathjax(browser_page, served: str) -> None:
    page, foreign, sync_api = browser_page
    open_page(page, served + "notebooks/01_ml_foundations.html")
    sync_api.expect(page.locator(".MathJax, .MathJax_Display, .MathJax_CHTML").first).to_be_attached()
    assert not foreign, f"requests to other hosts: {foreign}"


@pytest.mark.site
def test_search_finds_a_term_of_chapter_9a(browser_page, served: str) -> None:
    page, foreign, sync_api = browser_page
    source = (ROOT / "notebooks" / "09a_cnn_layers.ipynb").read_text(encoding="utf-8")
    assert SEARCH_TERM in source, f"pick another term: {SEARCH_TERM!r} is no longer in chapter 9a"
    open_page(page, served + f"search.html?q={SEARCH_TERM}")
    hit = page.locator("#search-results a[href*='notebooks/09a_cnn_layers']")
    sync_api.expect(hit.first).to_be_attached(timeout=PAGE_S * 1000)
    assert not foreign, f"requests to other hosts: {foreign}"


class _Links(html.parser.HTMLParser):
    """The ids of a page and the URLs of its href and src attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            elif name in ("href", "src") and value:
                self.urls.append(value)


def parse(path: Path) -> _Links:
    links = _Links()
    links.feed(path.read_text(encoding="utf-8", errors="replace"))
    return links


def broken_links(site: Path) -> list[str]:
    """Every relative href/src of every page whose file, or anchor in it, is missing. Pages are the .html
    files outside _static/ (where the theme keeps Jinja macro files that are not pages)."""
    pages = {path: parse(path) for path in site.rglob("*.html")
             if "_static" not in path.relative_to(site).parts}
    problems = []
    for path, links in pages.items():
        for url in links.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url == "#":  # another host, mailto:, javascript:, a button
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(site)}: {url}"
            if not target.is_file():
                problems.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where} (no such anchor)")
    return problems


@pytest.mark.site
def test_no_broken_internal_link(site: Path) -> None:
    problems = broken_links(site)
    assert not problems, f"{len(problems)} broken links:\n" + "\n".join(problems[:40])


@pytest.mark.site
def test_a_failing_cell_fails_the_build_naming_the_notebook_and_the_cell(tmp_path: Path) -> None:
    """website/conf.py's settings on a one-chapter site whose second code cell raises."""
    src = tmp_path / "src"
    (src / "notebooks").mkdir(parents=True)
    (src / "index.md").write_text("# A broken course\n\n```{toctree}\nnotebooks/99_broken\n```\n")
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# 99. Broken"}] + [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
        for source in ("x = 1\nprint(x)", "y = x / 0  # the failing cell")]
    (src / "notebooks" / "99_broken.ipynb").write_text(json.dumps({
        "cells": cells, "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}))
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(ROOT / "website"),
                           str(src), str(tmp_path / "out")], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COURSE_SITE_CACHE": str(tmp_path / "cache")})
    said = done.stdout + done.stderr
    assert done.returncode != 0, "a failing cell fails the build"
    for named in ("99_broken.ipynb", "y = x / 0  # the failing cell", "ZeroDivisionError"):
        assert named in said, f"the build's messages name {named!r}:\n{said[-3000:]}"


# ----------------------------------------------------------------------- the pieces, without a build (fast)


def test_broken_links_are_found(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text('<p id="here"><a href="b.html#there">b</a><a href="a.html#here">a</a>'
                                     '<img src="_static/x.png"><a href="https://example.org/">out</a></p>')
    (tmp_path / "b.html").write_text('<a href="missing.html">m</a><a href="#nowhere">n</a>')
    assert sorted(broken_links(tmp_path)) == [
        "a.html: _static/x.png (no such file)", "a.html: b.html#there (no such anchor)",
        "b.html: #nowhere (no such anchor)", "b.html: missing.html (no such file)"]


def test_language_twins() -> None:
    both = {"index", "fr/index", "notebooks/05_tensors", "notebooks/fr/05_tensors",
            "notebooks/06_pytorch_workflow", "docs/instructors"}
    assert course_site.twin_of("notebooks/05_tensors", both) == "notebooks/fr/05_tensors"
    assert course_site.twin_of("notebooks/fr/05_tensors", both) == "notebooks/05_tensors"
    assert course_site.twin_of("notebooks/06_pytorch_workflow", both) == "fr/index"  # not translated yet
    assert course_site.twin_of("docs/instructors", both) == "fr/index"
    assert course_site.twin_of("fr/index", both) == "index"
    assert course_site.twin_of("search", both) == "fr/index"
    english_only = {"index", "notebooks/05_tensors"}
    assert course_site.twin_of("notebooks/05_tensors", english_only) is None


def test_chapter_box_names_the_data_and_the_launch_links() -> None:
    found = {"plantvillage": "mini", "fashion": "real"}
    assert "mini set" in course_site.data_used("DATA = pv.announce_data()", found, "en")
    assert "real set" in course_site.data_used("data.fashion_mnist(train=True)", found, "en")
    assert course_site.data_used("x = torch.randn(3)", found, "en").startswith("data made in the notebook")
    binder, pull = course_site.launch_links("05_tensors", "fr", "org/course", "main")
    assert binder == "https://mybinder.org/v2/gh/org/course/main?urlpath=lab/tree/notebooks/fr/05_tensors.ipynb"
    assert pull == ("https://HUB/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Forg%2Fcourse"
                    "&branch=main&urlpath=lab%2Ftree%2Fcourse%2Fnotebooks%2Ffr%2F05_tensors.ipynb")
    box = course_site.box_html("05_tensors", "en", "quick", "x", "", "main")
    assert 'href="05_tensors.ipynb"' in box
    assert "<code>https://mybinder.org/v2/gh/ORG/REPO" in box  # no repository known: a template, not a link


def test_the_landing_page_gets_the_repository_when_it_is_known() -> None:
    landing = (ROOT / "website" / "pages" / "index.md").read_text()
    assert build_script.with_repository(landing, "") == landing  # unknown: the templates stay
    filled = build_script.with_repository(landing, "plant-lab/pv-course")
    left = [line for line in filled.splitlines() if "ORG" in line or "REPO" in line]
    assert not left, left
    assert "https://mybinder.org/v2/gh/plant-lab/pv-course/main?urlpath=" in filled
    pull = "repo=https%3A%2F%2Fgithub.com%2Fplant-lab%2Fpv-course&branch=main&urlpath=lab%2Ftree%2Fpv-course"
    assert pull in filled


def test_chapter_map_reuses_chapter_0_and_the_instructors_minutes() -> None:
    notebooks = build_script.chapter_notebooks(ROOT / "notebooks")
    table = build_script.chapter_map(notebooks, {"plantvillage": "tiny", "fashion": "tiny"}, "smoke")
    rows = [line for line in table.splitlines() if line.startswith("| ") and "](notebooks/" in line]
    assert len(rows) == len(notebooks)
    minutes = build_script.table_rows((ROOT / "docs" / "instructors.md").read_text(),
                                      build_script.MINUTES_HEADING)
    assert minutes, "docs/instructors.md's section 8 table was found"
    for row, notebook in zip(rows, notebooks, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        number = cells[0]
        assert notebook.name.startswith(number)
        assert cells[3] == minutes.get(number, ["not measured yet"])[0]
    assert "| 08a |" in table and "FashionMNIST (the generated tiny set here)" in table


def test_staging_lays_out_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a French folder the staged sources hold both editions and the French landing page; without it,
    neither. The real notebooks/ is never touched: ROOT points at a copy."""
    copy = tmp_path / "repo"
    copy.mkdir()
    for part in ("website", "docs"):
        (copy / part).symlink_to(ROOT / part)
    (copy / "README.md").write_text((ROOT / "README.md").read_text())
    (copy / "notebooks" / "fr").mkdir(parents=True)
    for name in ("00_start_here.ipynb", "05_tensors.ipynb"):
        (copy / "notebooks" / name).write_text((ROOT / "notebooks" / name).read_text())
    monkeypatch.setattr(build_script, "ROOT", copy)
    found = {"plantvillage": "tiny", "fashion": "tiny"}
    english_only = build_script.stage(tmp_path / "src", "smoke", found)
    assert "fr/index.md" not in english_only and "notebooks/05_tensors.ipynb" in english_only
    french = copy / "notebooks" / "fr" / "05_tensors.ipynb"
    french.write_text((ROOT / "notebooks" / "05_tensors.ipynb").read_text())
    both = build_script.stage(tmp_path / "src", "smoke", found)
    assert {"fr/index.md", "notebooks/fr/05_tensors.ipynb", "_generated/french_map.md"} <= set(both)
    assert "fr/index" in (tmp_path / "src" / "_generated" / "toctree.md").read_text()
    french.unlink()
    build_script.stage(tmp_path / "src", "smoke", found)
    assert not (tmp_path / "src" / "notebooks" / "fr").exists(), "a removed notebook leaves the staging too"
    assert json.loads((tmp_path / "src" / "notebooks" / "05_tensors.ipynb").read_text())["cells"]
