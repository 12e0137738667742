"""The linters the project pins are run with the tests, so a finding fails the suite as a broken page would."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*command, **env):
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env or None)


def test_python_code_passes_ruff():
    result = run(BIN / "ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_python_code_is_formatted_by_ruff():
    result = run(BIN / "ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, "run `.venv/bin/ruff format .`\n" + result.stdout + result.stderr


def test_templates_are_indented_by_djhtml():
    result = run(BIN / "djhtml", "--check", "--tabwidth", "2", "templates")
    assert result.returncode == 0, "run `.venv/bin/djhtml --tabwidth 2 templates`\n" + result.stdout + result.stderr


@pytest.mark.django_db
def test_models_and_migrations_agree():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
