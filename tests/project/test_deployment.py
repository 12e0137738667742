"""The production set-up the Dockerfile relies on: each of its commands, run for real."""

import os
import re
import shutil
import subprocess
import sys
import urllib.request

import pytest
from django.conf import settings
from django.core.management import call_command

from testkit import prepared
from testkit.ports import free_port
from testkit.production import ROOT, fetch_when_up, manage, production_env


@pytest.mark.slow
def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_server_refuses_to_start_without_a_secret_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import ietp_site.wsgi"],
        cwd=ROOT,
        env=production_env(tmp_path, SECRET_KEY=""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_management_commands_without_a_secret_key_say_exactly_what_to_set(tmp_path):
    forgotten = manage(tmp_path, "migrate", SECRET_KEY="")

    assert forgotten.returncode != 0
    assert "Set SECRET_KEY in the environment" in forgotten.stderr and "set DEBUG=1" in forgotten.stderr
    assert "Traceback" not in forgotten.stderr
    assert not (tmp_path / "production.sqlite3").exists()  # nothing ran on a development fallback


@pytest.mark.slow
def test_development_is_chosen_explicitly_with_debug(tmp_path):
    result = manage(tmp_path, "check", SECRET_KEY="", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_committed_translations_are_compiled_and_complete(tmp_path, monkeypatch):
    compiled = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", compiled)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [compiled])

    call_command("compilemessages", verbosity=0)

    po = compiled / "zh_Hans" / "LC_MESSAGES" / "django.po"
    statistics = subprocess.run(["msgfmt", "--statistics", "-o", os.devnull, str(po)], capture_output=True, text=True)
    assert "untranslated" not in statistics.stderr and "fuzzy" not in statistics.stderr, statistics.stderr
    committed_mo = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    assert committed_mo.read_bytes() == po.with_suffix(".mo").read_bytes(), "run compilemessages and commit the .mo"


@pytest.mark.slow
def test_gunicorn_serves_the_site_and_its_collected_static_files(tmp_path):
    # `manage.py collectstatic`, `migrate` and `load_seed_stories` as deployed, run once for the test run
    # (testkit.prepared) and copied.
    prepared.collected_static(tmp_path / "static")
    prepared.seeded_sqlite(tmp_path / "production.sqlite3")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "ietp_site.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=production_env(tmp_path, SECURE_SSL_REDIRECT="0"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        page = fetch_when_up(f"http://127.0.0.1:{port}/zh/news/")
        assert "最新动态" in page.read().decode()
        stylesheet = next((tmp_path / "static" / "css").glob("site.*.css")).name
        served = urllib.request.urlopen(
            urllib.request.Request(
                f"http://127.0.0.1:{port}/static/css/{stylesheet}", headers={"Accept-Encoding": "br"}
            )
        )
        assert served.status == 200
        assert served.headers["Content-Encoding"] == "br"
        assert "immutable" in served.headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_dockerfile_runs_only_documented_commands():
    dockerfile = (ROOT / "Dockerfile").read_text()
    runbook = (ROOT / "docs" / "operations.md").read_text()
    for command in ["manage.py collectstatic --no-input", "gunicorn ietp_site.wsgi"]:
        assert command in dockerfile.replace('", "', " ").replace('["', "")
        assert command in runbook
    # The committed .mo files are what runs (test_committed_translations_are_compiled_and_complete).
    assert "compilemessages" not in dockerfile and "gettext" not in dockerfile


def test_a_rolling_release_stops_the_old_containers_only_once_nginx_can_know_the_new_ones():
    """nginx keeps Docker's DNS answer for `valid` seconds; one taken just before the new web containers started names
    only the old ones (tests/containers/test_stack.py: a release under load answered 1,750 requests 503 without the
    wait)."""
    template = (ROOT / "deploy" / "nginx" / "ietp.conf.template").read_text()
    kept_for = int(re.search(r"^resolver \S+ valid=(\d+)s", template, re.MULTILINE)[1])
    script = (ROOT / "deploy" / "rolling-release").read_text()
    waited = int(re.search(r"^sleep (\d+)$", script, re.MULTILINE)[1])

    assert waited > kept_for
    assert script.index("--wait") < script.index("\nsleep ") < script.index("docker stop")


@pytest.mark.slow
@pytest.mark.parametrize("debug", ["", "1"])
def test_each_logged_event_is_printed_once(tmp_path, debug):
    result = manage(
        tmp_path,
        "shell",
        "-c",
        "import logging; logging.getLogger('django.request').warning('Not Found: /no-such-page/')",
        DEBUG=debug,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Not Found: /no-such-page/") == 1, result.stderr
