# Two commands for a fresh clone (see README.md): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test install

install: $(VENV)/.installed

# Reinstalls whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# Development server on SQLite with the sample stories.
run: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py load_seed_stories --if-empty
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# The whole suite; DATABASE_URL=postgres://... runs it on PostgreSQL.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)
