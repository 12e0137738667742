"""The environment variables, each declared once (ietp_site/environment.py): a bad value stops start-up naming the
variable and what it expects, and .env.example and docs/environment.md are the list, written out."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured

from ietp_site import environment
from ietp_site.environment import BY_NAME, VARIABLES, read

ROOT = Path(__file__).resolve().parents[2]


def check_with(tmp_path, **variables):
    """`manage.py check` with production settings and these variables, in a process of its own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DEBUG", "DATABASE_URL"))}
    env.update(SECRET_KEY="x" * 50, ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_CONNECT_TIMEOUT", "abc", "DATABASE_CONNECT_TIMEOUT must be a whole number of seconds, got 'abc'"),
        ("PAGE_CACHE", "maybe", "PAGE_CACHE must be 1 or 0 (or true/false, yes/no, on/off), got 'maybe'"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must be a Redis URL such as redis://redis:6379/0"),
        ("DATABASE_URL", "postgres//ietp@db/ietp", "DATABASE_URL must be a database URL such as postgres://"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable_and_what_it_expects(tmp_path, name, value, message):
    result = check_with(tmp_path, **{name: value})

    assert result.returncode == 1
    assert message in result.stderr and repr(value) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_url_is_reported_without_its_password():
    with pytest.raises(ImproperlyConfigured) as error:
        read("DATABASE_URL", {"DATABASE_URL": "postgres://ietp:s3cret-word@db:five/ietp"})

    assert "postgres://ietp:***@db:five/ietp" in str(error.value) and "s3cret" not in str(error.value)


def test_unset_variables_take_their_default_and_development_ones_their_own():
    assert read("DATABASE_CONNECT_TIMEOUT", {}) == 3
    assert read("PAGE_CACHE", {}) is True and read("PAGE_CACHE", {"DEBUG": "1"}) is False
    assert read("ALLOWED_HOSTS", {}) == [] and read("ALLOWED_HOSTS", {"DEBUG": "1"}) == ["127.0.0.1", "localhost"]
    assert read("DEBUG", {"DEBUG": ""}) is False  # DEBUG= in a file means off, as it always has
    assert read("PRIVACY_CONTACT_EMAIL", {"ORGANISATION_EMAIL": "office@example.org"}) == "office@example.org"
    assert read("PRIVACY_CONTACT_EMAIL", {"ORGANISATION_EMAIL": "a@example.org", "PRIVACY_CONTACT_EMAIL": ""}) == ""
    assert read("STATIC_ROOT", {}) == ROOT / "staticfiles"


# Directories are read as paths beside the code; a default taken from another variable has no value of its own.
PLAIN_DEFAULTS = [
    variable
    for variable in VARIABLES
    if variable.read_by == "settings" and variable.kind is not environment.DIRECTORY and not variable.default_from
]


@pytest.mark.parametrize("variable", PLAIN_DEFAULTS, ids=lambda variable: variable.name)
def test_each_default_written_out_reads_back_as_itself(variable):
    written = environment.as_environment_text(variable.default)
    assert read(variable.name, {variable.name: written}) == variable.default


def test_env_example_and_the_reference_page_are_generated_from_the_list():
    for path, render in environment.GENERATED.items():
        assert path.read_text() == render(), f"{path.name} disagrees with the list: run {environment.GENERATE}"


def test_every_value_in_the_env_example_fits_its_variable():
    example = (ROOT / ".env.example").read_text()
    values = re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=(\S*)", example, flags=re.MULTILINE)
    assert {name for name, _value in values} == set(BY_NAME)
    for name, value in values:
        if value:
            read(name, {name: value})


def test_settings_read_every_variable_of_theirs_through_the_list_and_no_other():
    source = (ROOT / "ietp_site" / "settings.py").read_text()

    assert "os.environ" not in source and "getenv" not in source
    read_by_settings = set(re.findall(r'env\("([A-Z][A-Z0-9_]*)"\)', source))
    assert read_by_settings == {variable.name for variable in VARIABLES if variable.read_by == "settings"}


def test_gunicorn_reads_the_listed_variables_with_the_listed_defaults(monkeypatch):
    config_file = ROOT / "deploy" / "gunicorn.conf.py"
    gunicorn = [variable for variable in VARIABLES if variable.read_by == "gunicorn"]
    for variable in gunicorn:
        monkeypatch.delenv(variable.name, raising=False)
    config = {}
    exec(config_file.read_text(), {"__builtins__": __builtins__}, config)

    assert {variable.name for variable in gunicorn} <= set(re.findall(r"[A-Z][A-Z0-9_]{3,}", config_file.read_text()))
    assert (
        config["bind"],
        config["workers"],
        config["timeout"],
        config["graceful_timeout"],
        config["forwarded_allow_ips"],
        config["max_requests"],
    ) == tuple(
        BY_NAME[name].default
        for name in [
            "GUNICORN_BIND",
            "WEB_CONCURRENCY",
            "GUNICORN_TIMEOUT",
            "GUNICORN_GRACEFUL_TIMEOUT",
            "FORWARDED_ALLOW_IPS",
            "GUNICORN_MAX_REQUESTS",
        ]
    )


def test_every_variable_compose_yaml_sets_or_uses_is_declared():
    text = (ROOT / "compose.yaml").read_text()
    services = yaml.safe_load(text)["services"]
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))
    set_for_the_site = set(services["web"]["environment"]) | set(services["migrate"]["environment"])

    assert used | set_for_the_site <= set(BY_NAME)
