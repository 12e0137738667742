"""What the operators read: one line per request and per application event, as JSON with LOG_FORMAT=json, with no
visitor's personal data; and the visitor's address as the site's own proxies saw it."""

import json
import logging
import re
import subprocess
import sys

import pytest
from django.test import RequestFactory

from membership.models import MembershipApplication
from operations.log_format import JsonFormatter, TextFormatter
from site_shell.client_address import client_address
from testkit.applications import application_answers, application_form
from testkit.production import ROOT, production_env

EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def request_lines(caplog):
    return [json.loads(JsonFormatter().format(record)) for record in caplog.records if record.name == "ietp.requests"]


@pytest.mark.django_db
def test_each_request_is_one_json_line_with_what_an_operator_needs(client, caplog, make_story):
    story_url = make_story({"en": "Factory training reaches 1,200 workers"}).get_absolute_url()
    with caplog.at_level(logging.INFO):
        client.get("/news/", REMOTE_ADDR="198.51.100.23")
        client.get("/news/", REMOTE_ADDR="198.51.100.23")
        client.get("/zh/news/", REMOTE_ADDR="2001:db8:1234:5678::9")
        client.get(story_url + "?utm_source=mail&email=mei.chan@bright-toys.example.com")
        client.get("/no-such-page/")

    lines = request_lines(caplog)
    first, cached, chinese, story_line, missing = lines
    fields = ["level", "logger", "method", "path", "status", "language", "cache", "client"]
    assert {key: first[key] for key in fields} == {
        "level": "INFO",
        "logger": "ietp.requests",
        "method": "GET",
        "path": "/news/",
        "status": 200,
        "language": "en",
        "cache": "miss",
        "client": "198.51.100.0/24",  # the network, never the visitor's own address
    }
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert first["time"].endswith("+00:00") and first["message"].startswith("GET /news/ 200 ")
    assert cached["cache"] == "hit" and cached["duration_ms"] < first["duration_ms"]
    assert cached["language"] == "en"
    assert chinese["language"] == "zh-hans" and chinese["client"] == "2001:db8:1234::/48"
    # The query string may carry anything a visitor typed: never logged.
    assert story_line["path"] == story_url and "utm_source" not in json.dumps(story_line)
    assert missing["status"] == 404 and missing["cache"] == "bypass"


@pytest.mark.django_db
def test_a_membership_application_is_logged_as_an_event_without_personal_data(
    client, caplog, membership_settings, django_capture_on_commit_callbacks
):
    answers = application_answers()
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/buyer-membership/", application_form())
    application = MembershipApplication.objects.get()
    assert response.status_code == 302

    written = [JsonFormatter().format(record) for record in caplog.records]
    written += [TextFormatter().format(record) for record in caplog.records]
    events = [json.loads(line) for line in written[: len(caplog.records)] if "event" in json.loads(line)]
    assert [(event["event"], event["application"]) for event in events] == [
        ("membership_application_received", application.pk)
    ]
    assert any('"path": "/buyer-membership/"' in line and '"status": 302' in line for line in written)
    for personal in ["contact_email", "executive_email", "contact_name", "executive_name", "contact_phone"]:
        assert not any(answers[personal] in line for line in written), personal
    assert not any(EMAIL_ADDRESS.search(line) for line in written), [
        line for line in written if EMAIL_ADDRESS.search(line)
    ]


def test_email_addresses_are_left_out_of_any_line_even_from_an_exception():
    logger = logging.getLogger("membership.emails")
    try:
        raise OSError("{'mei.chan@bright-toys.example.com': (550, b'5.1.1 mailbox unavailable')}")
    except OSError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "Sending to %s failed", ("a@b.example",),
                                   sys.exc_info())  # fmt: skip

    for formatter in (JsonFormatter(), TextFormatter()):
        line = formatter.format(record)
        assert "5.1.1 mailbox unavailable" in line and "[email]" in line
        assert "@" not in line, line


@pytest.mark.slow
def test_log_format_json_writes_log_lines_as_json(tmp_path):
    """The setting as production reads it: a request through the whole stack, in a process of its own."""
    env = production_env(tmp_path, LOG_FORMAT="json", SECURE_SSL_REDIRECT="0", PAGE_CACHE="0")
    request = (
        "from django.test import Client; "
        "Client().get('/healthz', HTTP_HOST='127.0.0.1'); "
        "Client().get('/robots.txt?email=mei.chan@bright-toys.example.com', HTTP_HOST='127.0.0.1')"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", request],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    # What logging writes (the shell's own banner and Python's warnings are not log records).
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "ietp.requests"]
    assert [(line["path"], line["status"]) for line in requests] == [("/robots.txt", 200)]  # the probe: DEBUG
    assert "mei.chan" not in result.stderr


def visitor(**meta):
    return client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **meta))


def test_forwarded_for_is_read_only_behind_a_trusted_proxy(settings):
    settings.TRUST_X_FORWARDED_FOR = False
    assert visitor(HTTP_X_FORWARDED_FOR="198.51.100.7") == "10.0.0.2"


@pytest.mark.parametrize(
    ("networks", "forwarded_for", "expected"),
    [
        (["10.0.0.0/8"], "198.51.100.7", "198.51.100.7"),
        # The client wrote the left-most hop itself: only what the trusted front server appended counts.
        (["10.0.0.0/8"], "203.0.113.66, 198.51.100.7", "198.51.100.7"),
        # A CDN in front of the front server: the CDN appended the visitor, the front server the CDN.
        (["10.0.0.0/8", "192.0.2.0/24"], "203.0.113.66, 198.51.100.7, 192.0.2.10", "198.51.100.7"),
        (["10.0.0.0/8", "192.0.2.0/24"], "198.51.100.7", "198.51.100.7"),
        (["10.0.0.0/8"], "2001:db8::1", "2001:db8::1"),
        (["10.0.0.0/8"], "", "10.0.0.2"),
        (["10.0.0.0/8"], "not-an-address", "10.0.0.2"),
        # A peer that is not one of our proxies wrote the header itself: the peer is the visitor.
        (["192.0.2.0/24"], "198.51.100.7", "10.0.0.2"),
        ([], "198.51.100.7", "10.0.0.2"),
    ],
)
def test_the_visitor_is_the_right_most_hop_outside_the_proxy_networks(settings, networks, forwarded_for, expected):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.TRUSTED_PROXY_NETWORKS = networks

    assert visitor(HTTP_X_FORWARDED_FOR=forwarded_for) == expected


def test_text_lines_say_their_time_in_utc_whatever_the_process_time_zone(monkeypatch):
    """Issue 21, defect 2: gunicorn's master (container's UTC) and workers (Django's TZ) wrote local times."""
    import logging
    import time

    monkeypatch.setenv("TZ", "Asia/Hong_Kong")
    time.tzset()
    try:
        record = logging.LogRecord("ietp.requests", logging.INFO, __file__, 1, "GET /news/", (), None)
        record.created = 0.0
        record.msecs = 0.0
        line = TextFormatter().format(record)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert line.startswith("1970-01-01T00:00:00.000Z INFO ietp.requests GET /news/")
