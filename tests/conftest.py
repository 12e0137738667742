import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from caching import page_cache
from tests import builders


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty shared cache (Redis or files): a page cached by another test, whose database
    rows are gone, must not be served; and with the cache in use, whatever happened to it in an earlier test."""
    page_cache.CacheHealth.paused_until = 0.0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_story(db):
    """builders.make_story: a published story; translations given as {language: title} or {language: {field: value}}."""
    return builders.make_story


@pytest.fixture
def staff_client(client, django_user_model):
    editor = django_user_model.objects.create_superuser("editor", "editor@example.org", "correct horse")
    client.force_login(editor)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads go to a temporary directory, so tests leave no files behind."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def private_media_root(settings, tmp_path):
    """Letters of support go to a temporary private directory, beside (not inside) a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def membership_settings(settings):
    """The membership form for a client that posts at once: no minimum time before submitting (rather than
    sleeping), a fresh per-IP count (the rate limit counts in the cache), and staff addresses to notify."""
    cache.clear()
    settings.MEMBERSHIP_MIN_SECONDS_TO_SUBMIT = 0
    settings.MEMBERSHIP_NOTIFY_EMAILS = builders.MEMBERSHIP_STAFF
    settings.MEMBERSHIP_SUBMISSIONS_PER_IP = 10
    settings.TRUST_X_FORWARDED_FOR = False
    yield settings
    cache.clear()


class SiteProcesses:
    """Runs the site's own commands in other processes, on this test's database."""

    root = Path(__file__).resolve().parent.parent

    def __init__(self, env):
        self.env = env

    def command(self, *args):
        return [sys.executable, "manage.py", *args]

    def manage(self, *args, timeout=120):
        finished = subprocess.run(
            self.command(*args), cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert finished.returncode == 0, finished.stderr
        return finished.stdout

    def python(self, code):
        """Runs Python code in the site's shell; what it prints."""
        return self.manage("shell", "--no-imports", "-c", code)


@pytest.fixture
def site_processes(tmp_path, transactional_db):
    """Other processes (gunicorn workers, a command killed halfway) on this test's database: a migrated file for
    SQLite (an in-memory test database is not shared between processes), the test database on PostgreSQL."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    else:
        database_url = (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DEBUG="1",
        DATABASE_URL=database_url,
        DATABASE_POOL="0",
        CACHE_DIR=str(tmp_path / "cache"),
        PAGE_CACHE="0",
        PYTHONUNBUFFERED="1",
    )
    processes = SiteProcesses(env)
    if connection.vendor == "sqlite":
        processes.manage("migrate", "--no-input")
    return processes
