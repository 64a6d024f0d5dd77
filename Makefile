# Task runner for the course. `make lab` sets everything up and opens the course;
# `make test` runs the whole test suite (pytest + every notebook in smoke mode).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Wheels saved by `make wheelhouse` let a later setup work with no network at all.
WHEELHOUSE ?= $(HOME)/.cache/plantvillage-course/wheels
PIP := $(PY) -m pip install --disable-pip-version-check -q
# The test suite runs in parallel (pytest-xdist, one notebook per worker: --dist loadscope), one
# torch thread per worker so that workers do not fight for the cores.
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(max(1, min(4, os.cpu_count() or 1)))")
TEST_FLAGS ?= -n $(TEST_WORKERS) --dist loadscope

.PHONY: setup browser fashion lab course test test-course test-fr test-site site i18n tiny runs lint strip bench wheelhouse clean-venv help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The stamp is newer than pyproject.toml once installed: a second run installs nothing.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) --retries 1 --timeout 20 -e ".[dev]" || { \
	  echo "Online install failed; installing offline from $(WHEELHOUSE) (made by make wheelhouse)"; \
	  $(PIP) --no-index --find-links "$(WHEELHOUSE)" -e ".[dev]"; }
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv if missing and install the course (idempotent)

# tests/test_browser.py runs chapter 0 in JupyterLab in headless Chromium, driven by Playwright (in the dev
# extra). Chromium comes from the system: as root with apt-get (CI, containers) it is installed when
# missing; anywhere else, or offline, this only says so and the browser test skips.
browser: setup  ## install Chromium for the browser test if missing (as root, with apt-get; never fails)
	@if [ -n "$$COURSE_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 \
	    || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Chromium for the browser test (apt-get install chromium)..."; \
	  { apt-get -qq -o Acquire::Retries=0 -o Acquire::http::Timeout=20 update \
	    && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends chromium; } \
	    >/dev/null 2>&1 \
	  || echo "warning: could not install Chromium (offline?): tests/test_browser.py will skip"; \
	else \
	  echo "note: no Chromium: tests/test_browser.py will skip (install chromium, or set COURSE_CHROMIUM)"; \
	fi

# Quick mode (make test-course) reads the real FashionMNIST in chapters 7-9. Debian ships it offline
# (dataset-fashion-mnist): as root with apt-get it is installed when missing; otherwise chapter 8
# downloads it on first use (a student's laptop) and this only says so.
fashion: setup  ## install Debian's FashionMNIST if missing (as root, with apt-get; never fails)
	@if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing FashionMNIST (apt-get install dataset-fashion-mnist)..."; \
	  { apt-get -qq -o Acquire::Retries=0 -o Acquire::http::Timeout=20 update \
	    && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends dataset-fashion-mnist; } \
	    >/dev/null 2>&1 \
	  || echo "warning: could not install dataset-fashion-mnist (offline?): chapter 8 will try to download"; \
	else \
	  echo "note: no Debian FashionMNIST: quick mode downloads it on first use (apt-get install dataset-fashion-mnist)"; \
	fi

# Jupyter refuses to start as root (containers, many hubs) unless told that it is on purpose.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

# The edition `make lab` opens: EDITION=fr (or COURSE_LANG=fr) opens the French notebooks, notebooks/fr/.
# (Not LANG: that is the shell's locale variable, set on most machines.)
EDITION ?= $(if $(filter fr,$(COURSE_LANG)),fr,en)
LAB_DIR := $(if $(filter fr,$(EDITION)),notebooks/fr/,notebooks/)

lab: setup  ## set up, then open JupyterLab on notebooks/ (EDITION=fr: the French edition, notebooks/fr/)
	$(VENV)/bin/jupyter lab $(LAB_FLAGS) $(LAB_DIR)

course: setup  ## run every notebook headless in smoke mode (no browser)
	COURSE_MODE=smoke OMP_NUM_THREADS=1 $(PY) -m pytest $(TEST_FLAGS) notebooks -q

test: setup browser  ## the test suite: package tests + every notebook in smoke mode (about 5 minutes)
	COURSE_MODE=smoke OMP_NUM_THREADS=1 $(PY) -m pytest $(TEST_FLAGS) -m "not course and not site"

# The modes people run (helpers/course.py): every chapter in quick mode on a fresh clone's drawn leaves
# and on the mini set, full mode with dry-run caps on a generated full-shaped set (as it is before 08); plus the browser,
# a fresh venv and torchrun. --dist load: one chapter per free worker, the longest first (conftest.py). Then
# the website in smoke mode, which executes every French chapter too (CI's run of the French edition).
test-course: setup browser fashion  ## the longer checks: chapters in quick and full mode, French edition, website
	COURSE_MODE=smoke OMP_NUM_THREADS=1 $(PY) -m pytest -n $(TEST_WORKERS) --dist load -m course --durations=15 tests
	$(MAKE) --no-print-directory test-site

# The French chapters (notebooks/fr) under nbval in smoke mode. `make test` leaves them out (conftest.py):
# their code is the English code (tests/test_i18n.py proves it), so CI runs them in a second step.
test-fr: setup  ## run the French edition's notebooks in smoke mode (nbval), like `make course` in French
	@if [ -d notebooks/fr ]; then \
	  COURSE_MODE=smoke OMP_NUM_THREADS=1 COURSE_TEST_FR=1 $(PY) -m pytest $(TEST_FLAGS) notebooks/fr -q; \
	else echo "notebooks/fr does not exist: no French edition to run"; fi

i18n: setup  ## what the French edition needs after an English change (python -m helpers.i18n status)
	$(PY) -m helpers.i18n status

# The course website (website/build.py): every chapter executed in SITE_MODE (quick by default; smoke for
# a fast check) on the best data here, cached in build/site/ so that a rebuild re-executes only changed
# notebooks. Offline: the theme, fonts and MathJax come with the Python packages.
SITE_MODE ?= quick
SITE_DIR ?= site

site: setup  ## build the course website into site/ (SITE_MODE=smoke for a fast build)
	COURSE_MODE=$(SITE_MODE) OMP_NUM_THREADS=1 $(PY) website/build.py --mode $(SITE_MODE) --out $(SITE_DIR)

test-site: setup browser  ## build the site in smoke mode and check it in headless Chromium (tests/test_site.py)
	COURSE_MODE=smoke OMP_NUM_THREADS=1 $(PY) -m pytest tests/test_site.py -m site -v

tiny: setup  ## generate the tiny FashionMNIST and PlantVillage sets into data/tiny
	$(PY) -m helpers.data make-tiny

# RUNS_FLAGS: options of python -m helpers.batch, e.g. make runs RUNS_FLAGS="--models resnet_minimal".
runs: setup  ## train every run chapters 11-16 reuse (helpers/batch_runs.toml; resumable, finished runs skipped)
	$(PY) -m helpers.batch $(RUNS_FLAGS)

lint: setup  ## ruff over the package, the tests and the notebooks, then the notebooks' honest-numbers lint
	$(VENV)/bin/ruff check helpers tests notebooks conftest.py website
	$(PY) -m helpers.notebooks lint notebooks

strip: setup  ## remove outputs from every notebook before committing (the French edition's too)
	$(PY) -m helpers.notebooks strip notebooks
	@if [ -d notebooks/fr ]; then $(PY) -m helpers.notebooks strip notebooks/fr; fi

bench: setup  ## FashionMNIST benchmark on CPU (3 epochs per model)
	$(PY) -m helpers.bench fashionmnist

wheelhouse: setup  ## save every wheel the course needs, for offline setups later
	$(PY) -m pip download --disable-pip-version-check -q -d "$(WHEELHOUSE)" ".[dev]" setuptools wheel

clean-venv:  ## delete the virtual environment
	rm -rf $(VENV)
