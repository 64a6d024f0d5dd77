"""The main job in a real browser: JupyterLab serves chapter 0 and headless Chromium runs every cell.

The test starts JupyterLab from the course's virtual environment on a free local port, over a
temporary copy of ``notebooks/`` (JupyterLab saves outputs into the notebooks it runs, and the real
ones must stay clean), opens ``00_start_here.ipynb`` in Chromium driven by Playwright, chooses
Run > Run All Cells in the menu, waits for the kernel, then checks both what the page shows and
what JupyterLab saved: every code cell ran, none shows an error. A screenshot is left in the test's
temporary folder. Chromium is Debian's ``chromium`` package (or ``$COURSE_CHROMIUM``); the test
skips, saying why, where Playwright or Chromium is missing (``make setup`` installs Playwright with the
dev extra; ``make test`` installs Chromium with apt-get when run as root).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from helpers.notebooks import strip

pytestmark = pytest.mark.course  # ~30 s of server and browser: `make test-course`

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "00_start_here.ipynb"
CHROMIUM_VARIABLE = "COURSE_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MACOS_BROWSERS = ("/Applications/Chromium.app/Contents/MacOS/Chromium",
                  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
SERVER_START_S = 60
OPEN_S = 60
RUN_ALL_S = 120


def find_chromium() -> str | None:
    """A Chromium to drive: ``$COURSE_CHROMIUM``, else the first one on the PATH or in macOS's
    Applications, else None."""
    custom = os.environ.get(CHROMIUM_VARIABLE)
    if custom:
        return custom if Path(custom).is_file() else None
    found = [shutil.which(name) for name in CHROMIUM_NAMES] + [p for p in MACOS_BROWSERS if Path(p).is_file()]
    return next((path for path in found if path), None)


@pytest.fixture
def chromium() -> tuple[ModuleType, str]:
    """Playwright's sync API and a Chromium executable, or a skip that says what is missing."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install playwright; make setup does)")
    path = find_chromium()
    if path is None:
        with sync_api.sync_playwright() as playwright:  # a browser from `playwright install chromium`?
            bundled = playwright.chromium.executable_path
        path = bundled if Path(bundled).is_file() else None
    if path is None:
        pytest.skip(f"no Chromium found: apt-get install chromium (make test does it as root), "
                    f"or set {CHROMIUM_VARIABLE} to a Chromium or Chrome executable")
    return sync_api, path


def launch(playwright, sync_api: ModuleType, path: str):
    """Headless Chromium; skips the test, saying why, when the browser does not start."""
    try:
        return playwright.chromium.launch(
            executable_path=path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"])  # containers often have a 64 MB /dev/shm
    except sync_api.Error as exc:  # e.g. Ubuntu's snap-only chromium package inside a container
        pytest.skip(f"Chromium at {path} does not start: {str(exc).splitlines()[0]}")


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_environment(home: Path) -> dict[str, str]:
    """The server's environment: smoke mode, and every Jupyter folder private to this test.

    Private folders keep a user's own settings, workspaces and kernels out of the test; the one
    kernel, ``python3``, is this interpreter (the course venv), and it inherits ``COURSE_MODE``.
    """
    jupyter = home / "jupyter"
    kernel = jupyter / "path" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (course)", "language": "python"}))
    # All cells in the page at once (no windowing), so that the page can be read cell by cell.
    settings = jupyter / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    # No news and update pop-ups over the notebook.
    apputils = jupyter / "lab-settings" / "@jupyterlab" / "apputils-extension"
    apputils.mkdir(parents=True)
    (apputils / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    return {**os.environ,
            "COURSE_MODE": "smoke", "OMP_NUM_THREADS": "1",
            "COURSE_PROGRESS_FILE": str(home / "progress.json"),
            "JUPYTER_PATH": str(jupyter / "path"),
            "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
            "JUPYTER_DATA_DIR": str(jupyter / "data"),
            "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(jupyter / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(jupyter / "workspaces")}


def stop(server: subprocess.Popen, shutdown_url: str) -> None:
    """Shut the server down through its API (which stops the kernels too); kill it if it hangs."""
    try:
        urllib.request.urlopen(urllib.request.Request(shutdown_url, method="POST"), timeout=5).close()
        server.wait(timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab over a stripped copy of notebooks/: yields (base URL with token, the copy)."""
    copy = tmp_path / "course" / "notebooks"
    shutil.copytree(ROOT / "notebooks", copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for path in copy.glob("*.ipynb"):
        strip(path)  # a copy of notebooks a student already ran starts clean too
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={copy}"]
    if os.getuid() == 0:
        command.append("--allow-root")  # containers and CI run as root; Jupyter refuses it unasked
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(command, env=lab_environment(tmp_path), cwd=copy, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n"
                            + (tmp_path / "lab.log").read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in {SERVER_START_S} s:\n"
                                + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield f"{base}/lab/tree/{NOTEBOOK}?token={token}", copy
    finally:
        stop(server, f"http://127.0.0.1:{port}/api/shutdown?token={token}")
        log.close()


def code_prompts(page) -> list[str]:
    """The execution prompt of every code cell on the page: "[3]:", "[*]:" (running) or "[ ]:"."""
    return [text.strip() for text in page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()]


def test_chapter_0_runs_in_jupyterlab_in_a_real_browser(
        chromium: tuple[ModuleType, str], lab: tuple[str, Path], tmp_path: Path) -> None:
    sync_api, path = chromium
    url, copy = lab
    real = (ROOT / "notebooks" / NOTEBOOK).read_bytes()
    saved = copy / NOTEBOOK
    expected = sum(c["cell_type"] == "code" for c in json.loads(saved.read_text())["cells"])
    shot = tmp_path / "chapter00.png"
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright, sync_api, path)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            started = time.monotonic()
            page.goto(url)
            indicator = page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator")
            # The notebook is drawn and its kernel (the course's python3) has started and is idle.
            sync_api.expect(page.locator(".jp-CodeCell")).to_have_count(expected, timeout=OPEN_S * 1000)
            sync_api.expect(page.locator(".jp-StatusBar-TextItem", has_text="| Idle")).to_have_count(
                1, timeout=OPEN_S * 1000)
            sync_api.expect(indicator).to_have_attribute("data-status", "idle")
            opened = time.monotonic()

            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            # Queued and running cells show [*]; the run is over when none does and the kernel is idle
            # again (an error stops it early: the cells after it keep [ ]).
            deadline, seen_running = time.monotonic() + RUN_ALL_S, False
            while True:
                prompts = code_prompts(page)
                running = any("*" in p for p in prompts)
                seen_running |= running
                all_run = all(p[1:-2].strip().isdigit() for p in prompts)
                if (seen_running or all_run) and not running \
                        and indicator.get_attribute("data-status") == "idle":
                    break
                if time.monotonic() > deadline:
                    page.screenshot(path=shot)
                    pytest.fail(f"cells still not run after {RUN_ALL_S} s: {prompts} (screenshot {shot})")
                time.sleep(0.5)
            ran = time.monotonic()
            page.keyboard.press("Control+s")  # save, as a student would: what JupyterLab writes
            texts = page.locator(".jp-CodeCell .jp-OutputArea-output").all_inner_texts()
            stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            stderr_texts = stderr.all_inner_texts()
            page.locator(".jp-CodeCell").last.scroll_into_view_if_needed()
            page.screenshot(path=tmp_path / "chapter00_end.png")
            notebook = page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer")
            notebook.evaluate("panel => panel.scrollTo(0, 0)")
            page.screenshot(path=shot)  # the top: the setup cell's versions, device and mode
        finally:
            browser.close()

    print(f"page and kernel ready in {opened - started:.1f} s, Run All Cells took {ran - opened:.1f} s; "
          f"screenshot: {shot}")
    shown_errors = [t for t in dict.fromkeys(texts + stderr_texts) if "Traceback" in t or "Error:" in t]
    assert not shown_errors, f"the page shows an error (screenshot {shot}):\n" + "\n---\n".join(shown_errors)
    assert prompts == [f"[{n}]:" for n in range(1, expected + 1)], f"every cell ran once, in order: {prompts}"
    numbers = list(range(1, expected + 1))
    assert any("mode: smoke" in t for t in texts), f"the kernel runs in smoke mode: {texts[:1]}"

    deadline = time.monotonic() + 10
    while True:  # the save is asynchronous: wait for the file JupyterLab writes
        cells = [c for c in json.loads(saved.read_text())["cells"] if c["cell_type"] == "code"]
        if all(c["execution_count"] for c in cells) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert [c["execution_count"] for c in cells] == numbers, "the saved notebook has every cell run"
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"saved error outputs: {[e['ename'] + ': ' + e['evalue'] for e in errors]}"
    assert (ROOT / "notebooks" / NOTEBOOK).read_bytes() == real, "the real notebook was not touched"


def _make_browser(tmp_path: Path, uid: int, tools: dict[str, str]) -> tuple[str, str]:
    """``make browser`` (setup assumed done) with only ``tools`` (name -> sh script) on the PATH: (stdout,
    the tools' calls)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    bin_dir = tmp_path / f"bin{len(list(tmp_path.glob('bin*')))}"
    bin_dir.mkdir()
    calls = bin_dir / "calls.log"
    for name, script in {"id": f"echo {uid}", **tools}.items():
        (bin_dir / name).write_text(f"#!/bin/sh\necho {name} \"$@\" >> {calls}\n{script}\n")
        (bin_dir / name).chmod(0o755)
    shutil.copy(ROOT / "Makefile", bin_dir / "Makefile")  # away from the real .venv, whatever happens
    done = subprocess.run([shutil.which("make"), "-s", "-C", str(bin_dir), "-o", "setup", "browser"],
                          env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout, calls.read_text() if calls.exists() else ""


def test_make_browser_installs_chromium_as_root_only_when_missing_and_never_fails(tmp_path: Path) -> None:
    out, calls = _make_browser(tmp_path, 0, {"apt-get": "exit 100"})  # root, apt-get offline
    assert "apt-get -qq" in calls and "update" in calls
    assert "warning: could not install Chromium" in out
    out, calls = _make_browser(tmp_path, 0, {"apt-get": "exit 0"})  # root, apt-get works
    assert "install -y --no-install-recommends chromium" in calls and "warning" not in out
    out, calls = _make_browser(tmp_path, 0, {"apt-get": "exit 0", "chromium": "exit 0"})  # present
    assert "apt-get" not in calls and out == ""
    out, calls = _make_browser(tmp_path, 1000, {"apt-get": "exit 0"})  # a user: never apt-get
    assert "apt-get" not in calls and "tests/test_browser.py will skip" in out


def test_course_chromium_names_the_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = tmp_path / "my-chrome"
    browser.write_text("")
    monkeypatch.setenv(CHROMIUM_VARIABLE, str(browser))
    assert find_chromium() == str(browser)
    monkeypatch.setenv(CHROMIUM_VARIABLE, str(tmp_path / "missing"))
    assert find_chromium() is None  # a wrong path is not silently replaced by another browser
