"""One release digest for every cache key: a release that changes only a translation, or only Python code, never
serves a page the previous release rendered and cached."""

import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation import gettext_lazy

from operations.release import digest_of, release_digest, release_inputs, stable_repr
from testkit import prepared
from testkit.ports import free_port
from testkit.production import ROOT, fetch_when_up, production_env

# Not what a release renders pages from: a virtualenv in the project (670 MB, copied for every test) is named by
# pyproject.toml's pins, as the digest says.
NOT_THE_SITE = shutil.ignore_patterns(
    ".git",
    ".cache",
    "__pycache__",
    "*.sqlite3",
    "media",
    "private-media",
    "staticfiles",
    "backups",
    "tests",
    "bench",
    ".venv",
    ".ruff_cache",
    "node_modules",
    "*.egg-info",
    "test-artifacts",
)


def copy_of_the_site(destination):
    shutil.copytree(ROOT, destination, ignore=NOT_THE_SITE)
    return destination


def digest_of_copy(copy):
    """The release digest of `copy`, a copy of this project, with the running site's settings."""
    folders, markup = release_inputs()
    root = Path(settings.BASE_DIR)
    return digest_of([copy / folder.relative_to(root) for folder in folders], markup, copy)


def test_the_digest_is_the_same_wherever_the_release_is_installed(tmp_path):
    # Every server of one release shares the cache: the digest names files by their place in the project.
    assert digest_of_copy(copy_of_the_site(tmp_path / "site")) == release_digest()


def test_the_settings_are_digested_alike_in_every_process():
    # A lazy translation's own repr names its address in memory, which differs from one worker to the next.
    languages = [("en", gettext_lazy("English")), ("zh-hans", gettext_lazy("Simplified Chinese"))]
    assert stable_repr({"LANGUAGES": languages}) == stable_repr(
        {"LANGUAGES": [("en", "English"), ("zh-hans", "Simplified Chinese")]}
    )


def test_a_python_only_change_makes_a_new_digest(tmp_path):
    copy = copy_of_the_site(tmp_path / "site")
    before = digest_of_copy(copy)

    with open(copy / "news" / "views.py", "a") as views:
        views.write("\nCHANGED_IN_THIS_RELEASE = True\n")

    assert digest_of_copy(copy) != before


def test_a_translation_or_a_markup_setting_makes_a_new_digest_and_an_uncompiled_one_does_not(tmp_path):
    copy = copy_of_the_site(tmp_path / "site")
    folders, markup = release_inputs()
    before = digest_of_copy(copy)
    messages = copy / "locale" / "zh_Hans" / "LC_MESSAGES"

    with open(messages / "django.po", "a") as po:
        po.write('\nmsgid "Not compiled yet"\nmsgstr "尚未编译"\n')
    assert digest_of_copy(copy) == before  # the .mo is what runs
    with open(messages / "django.mo", "ab") as mo:
        mo.write(b"\0")
    assert digest_of_copy(copy) != before

    other_time_zone = {**markup, "TIME_ZONE": "Europe/London"}
    assert digest_of(folders, other_time_zone, settings.BASE_DIR) != digest_of(folders, markup, settings.BASE_DIR)


class Server:
    """gunicorn serving `site` (a copy of the project), as a release is started."""

    def __init__(self, site, env, log):
        self.port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "ietp_site.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "1"],
            cwd=site,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(log, "w"),
        )

    def get(self, path):
        fetch_when_up(f"http://127.0.0.1:{self.port}/healthz")
        # The site's own name, as the front server passes it: the port changes from one start to the next.
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers={"Host": "ietp.example.org"})
        return urllib.request.urlopen(request, timeout=10).read().decode()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        return Path(self.log).read_text()


@pytest.mark.slow
def test_after_a_translation_only_release_the_next_request_renders_the_new_translation(tmp_path):
    """The page cached by the previous release's process, in the cache every process shares, is not served by the
    next one when only a compiled translation changed."""
    site = copy_of_the_site(tmp_path / "site")
    env = production_env(tmp_path, SECURE_SSL_REDIRECT="0", CACHE_DIR=str(tmp_path / "cache"), LOG_FORMAT="text")
    # Collected, migrated and seeded once for the run (the copy's static files, migrations and stories are this
    # project's).
    prepared.collected_static(tmp_path / "static")
    prepared.seeded_sqlite(tmp_path / "production.sqlite3")

    first = Server(site, env, tmp_path / "first.log")
    try:
        pages = [first.get("/zh/news/") for _ in range(2)]
    finally:
        log = first.stop()
    assert all("<h1>最新动态</h1>" in page for page in pages)
    assert "cache=hit" in log.split("GET /zh/news/")[2].splitlines()[0], log  # cached in the shared cache

    # The same release started again serves that cached page: the cache outlives the process.
    again = Server(site, env, tmp_path / "again.log")
    try:
        again.get("/zh/news/")
    finally:
        log = again.stop()
    assert "cache=hit" in log.split("GET /zh/news/")[1].splitlines()[0], log

    # A release that changes one translation, and nothing else.
    messages = site / "locale" / "zh_Hans" / "LC_MESSAGES"
    po = (messages / "django.po").read_text()
    assert po.count('msgstr "最新动态"') == 1
    (messages / "django.po").write_text(po.replace('msgstr "最新动态"', 'msgstr "最新消息"'))
    subprocess.run(["msgfmt", "-o", messages / "django.mo", messages / "django.po"], check=True)

    released = Server(site, env, tmp_path / "released.log")
    try:
        page = released.get("/zh/news/")
    finally:
        log = released.stop()
    assert "<h1>最新消息</h1>" in page and "<h1>最新动态</h1>" not in page
    assert "cache=miss" in log.split("GET /zh/news/")[1].splitlines()[0], log
