import gc
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.template.base import Template
from django.test.utils import instrumented_test_render
from django.utils import translation

from caching import page_cache
from testkit import prepared, stories
from testkit.applications import MEMBERSHIP_STAFF
from testkit.object_storage import s3_buckets, s3_server  # noqa: F401 - fixtures for every test module
from testkit.ports import free_port
from testkit.servers import IN_CI, redis_is_up

# A test process makes and drops objects by the million (requests, querysets, parsed pages): at Python's default
# thresholds its cyclic garbage collector ran up to 4,000 times a worker, 8% of the worker's CPU (bench/README.md,
# "Four cuts found by sampling every Python process"). Collections of the youngest objects every 50,000 allocations
# rather than 700 keep the cycles collected at a cost that does not show.
gc.set_threshold(50_000, 20, 20)


def pytest_collection_finish(session):
    """What importing and collecting made (Django's apps, the modules, the tests) lives until the end: moved out of
    the collector's sight, a full collection no longer walks it."""
    gc.collect()
    gc.freeze()


# Template rendering as the site does it, taken before the test environment instruments it.
PLAIN_RENDER = Template._render


@pytest.fixture(autouse=True, scope="session")
def pages_rendered_as_in_production(django_test_environment):
    """Templates render as in production, without the test environment's instrumentation, which sends a signal and
    copies the context for every template rendered so that response.context can be read: the membership form with
    mistakes renders some 1,700 small templates (its 500 country options), and took twice as long. The tests read
    the page a visitor gets, never response.context."""
    assert PLAIN_RENDER is not instrumented_test_render, "conftest.py was imported after the test set-up"
    instrumented, Template._render = Template._render, PLAIN_RENDER
    yield
    Template._render = instrumented


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, dropped at the end without a connection left to it: a thread a test started
    (a concurrent save, the live server's) may still hold one, and PostgreSQL refuses to drop a database in use ("1
    other session"), which left the test database behind with a warning."""
    yield
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()


@pytest.fixture(autouse=True, scope="session")
def prepared_once_per_run(tmp_path_factory):
    """testkit.prepared makes its migrated database and collected static files in a directory every xdist worker of
    this run shares (the parent of the workers' own temporary directories), so the first worker to need one makes
    it for all."""
    base = tmp_path_factory.getbasetemp()
    prepared.shared_directory = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "prepared"
    yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty shared cache (Redis or files): a page cached by another test, whose database
    rows are gone, must not be served; and with the cache in use, whatever happened to it in an earlier test."""
    page_cache.CacheHealth.paused_until = 0.0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language: a request the test client sends to a Chinese page leaves
    Chinese active in the test's thread, which would word the next test's messages in Chinese."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def make_story(db):
    """A published story (testkit.stories): translations as {language: title} or {language: {field: value}}."""
    return stories.make_story


@pytest.fixture
def staff_client(client, django_user_model):
    editor = django_user_model.objects.create_superuser("editor", "editor@example.org", "correct horse")
    client.force_login(editor)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads go to a temporary directory, so tests leave no files behind; so do uploads waiting, privately, for the
    background job that cleans them (pending_images_root)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pending_images_root(media_root, settings):
    """Where uploaded images wait, as received, for the background job (private storage, never served)."""
    return settings.PRIVATE_MEDIA_ROOT / "pending-images"


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
    settings.MEMBERSHIP_NOTIFY_EMAILS = MEMBERSHIP_STAFF
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
    if connection.vendor == "sqlite":
        prepared.migrated_sqlite(tmp_path / "site.sqlite3")
    return SiteProcesses(env)


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, on another port: the machine's is never stopped."""
    if not shutil.which("redis-server"):
        if IN_CI:
            pytest.fail("redis-server is missing")
        pytest.skip("redis-server is missing")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not redis_is_up(url):
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    yield server, url
    server.kill()
    server.wait(timeout=10)


def pytest_sessionfinish(session):
    """The run's own process, once every xdist worker has finished (or pytest without xdist): the PostgreSQL
    templates testkit.prepared made for the run are dropped."""
    if not hasattr(session.config, "workerinput"):
        prepared.drop_postgres_templates(session.config._tmp_path_factory.getbasetemp() / "prepared")


def pytest_ignore_collect(collection_path, config):
    """tests/containers/ needs a container engine and minutes: collected only when asked for (`make containers`,
    `-m containers`), never by `make test` or `make fast`."""
    if collection_path.name == "containers" and collection_path.parent.name == "tests":
        return "containers" not in (config.getoption("markexpr") or "")
    return None


# The files that take longest (seconds on two workers, --durations), started first: with `--dist loadfile` each
# file goes whole to one worker, in the order collected (see pytest_xdist_make_scheduler), and the longest started
# last would leave the other workers idle at the end.
LONGEST_FIRST = [
    "tests/validators/test_lighthouse.py",
    "tests/stack/test_faults.py",
    "tests/operations/test_backup.py",
    "tests/browser/test_newsroom_trust_journeys.py",
    "tests/membership/test_letter_checks.py",
    "tests/stack/test_production.py",
    "tests/membership/test_workflow.py",
    "tests/uploads/test_object_storage.py",
    "tests/browser/test_accessibility.py",
    "tests/stack/test_fuzz.py",
    "tests/membership/test_letters.py",
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The longest files first (LONGEST_FIRST), then the other files with slow or browser tests, then the rest:
    each file's tests stay together and in their order (pytest-django's, transactional tests last)."""

    def rank(item):
        path = item.nodeid.split("::")[0]
        if path in LONGEST_FIRST:
            return LONGEST_FIRST.index(path)
        return len(LONGEST_FIRST) + (0 if path in slow_files else 1)

    slow_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    slow_files |= {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("browser")}
    first_seen = {}
    for index, item in enumerate(items):
        first_seen.setdefault(item.nodeid.split("::")[0], index)
    items.sort(key=lambda item: (rank(item), first_seen[item.nodeid.split("::")[0]]))


VALIDATORS = "tests/validators/"


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's: pytest -p no:xdist has none
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` with two changes. The validator files are one unit, on one worker: they share the site
    their session fixture builds and serves (tests/validators/conftest.py, some 5 s of CPU), which each worker that
    ran one of them built again. And the files go in the order collected (LONGEST_FIRST), not xdist's default of
    the files with the most tests first, which started the longest files (few tests each) last."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ValidatorsTogether(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return VALIDATORS if nodeid.startswith(VALIDATORS) else super()._split_scope(nodeid)

    config.option.loadscopereorder = False
    return ValidatorsTogether(config, log)
