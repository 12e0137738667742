# Two commands for a fresh clone (see README.md): `make run` and `make test`.
# Development settings are chosen here, explicitly (DEBUG=1); production sets SECRET_KEY instead.
# .venv's interpreter: the system's /usr/bin/python3 when it is 3.11 or newer, else the first python3 on the PATH;
# PYTHON=... chooses another. Debian's (a static interpreter, built with Debian's optimisations, as the image's is)
# runs the suite's Python about 7% faster than a plain source build such as pyenv's (bench/README.md).
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys; assert sys.version_info >= (3, 11); print(sys.executable)' \
	2>/dev/null || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
DEV := DEBUG=1 $(PY) manage.py
# Some machines set PYTHONDONTWRITEBYTECODE: then every process compiles the project's modules again (0.1 s of
# each manage.py, 3 s of each test worker's collection), and the suite starts some two hundred.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test fast containers install editor superuser messages

install: $(VENV)/.installed

# Reinstalls whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# Development server on SQLite with the sample stories, and the background worker beside it (images, letters,
# emails, pages); Ctrl+C stops both.
run: install
	$(DEV) migrate --no-input
	$(DEV) load_seed_stories --if-empty
	$(DEV) run_worker --no-reload & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; $(DEV) runserver 127.0.0.1:8000

# Test workers (pytest-xdist), one more than the machine's cores: a sixth of a test's time is spent waiting (on a
# server it started, a socket, a subprocess), which a third worker fills on two cores (whole suite: 4:48 on two
# workers, 4:07-4:14 on three; bench/README.md). At most 8: each has a Redis database of its own (REDIS_URL's + its
# number) among Redis's 16.
WORKERS ?= $(shell cores=$$(nproc); echo $$(( cores < 8 ? cores + 1 : 8 )))

# The whole suite; DATABASE_URL=postgres://... runs it on PostgreSQL. The browser tests need Debian's
# Chromium and a Chinese font, the validator tests Java and the npm packages vnu-jar and Lighthouse: installed here
# when missing (as root), or named for you to install.
test: install
	tests/browser/install-browser
	tests/validators/install-validators
	$(PY) -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

# The fast loop: the suite without the slow and the browser tests, on WORKERS processes, each test file on one of
# them (their servers and module fixtures stay together). About 2 minutes on two cores (1,288 tests);
# PYTEST_ARGS="--lf" reruns what failed last.
fast: install
	$(PY) -m pytest -m "not slow and not browser" -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

# The image and compose.yaml's stack under a real container engine (tests/containers/; a few minutes): start one
# first with ../shared/containers/start-engine (.ci/run does, and stops it after). Not part of `make test`. -s: the
# stack's figures (build, up, backup, restore, load under faults) are printed at the end.
containers: install
	$(PY) -m pytest -m containers tests/containers -s $(PYTEST_ARGS)

# An editor's account for the development site's admin: staff in the Editors group, not a superuser.
editor: install
	$(DEV) create_editor

# An administrator's account (a superuser: user accounts, membership applications, everything).
superuser: install
	$(DEV) createsuperuser

# After changing interface strings: update the Chinese catalogue, translate what is new, then compile.
messages: install
	$(DEV) makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles --ignore=media --no-obsolete --add-location=file
	$(DEV) compilemessages --ignore=.venv
