"""Hostile requests (testkit/hostile_requests.py) against a live gunicorn with production settings: never a 500, never a
traceback in its log."""

import io
import os

import pytest

from testkit import hostile_requests
from testkit.native_stack import HOST, NativeStack
from testkit.production import manage


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """gunicorn alone (production settings), reached as the front server reaches it."""
    with NativeStack(
        tmp_path_factory.mktemp("fuzz"),
        database_url=os.environ.get("DATABASE_URL", ""),
        redis_url=os.environ.get("REDIS_URL", ""),
        name="fuzz",
        front=False,
    ) as running:
        yield running


def fuzz_site(site, **options):
    report = io.StringIO()
    counts, failures, tracebacks = hostile_requests.run(
        f"http://127.0.0.1:{site.web_port}",
        host=HOST,
        as_front=True,
        logs=[site.gunicorn_log],
        concurrency=4,
        out=report,
        **options,
    )
    return counts, failures, tracebacks, report.getvalue()


@pytest.mark.slow
def test_a_thousand_hostile_requests_get_no_500_and_leave_no_traceback(site):
    counts, failures, tracebacks, report = fuzz_site(site, requests=1000, seed=13, odd_charsets=False)

    assert sum(counts.values()) == 1000
    assert counts[500] == 0, "\n".join(failures)
    assert tracebacks == [], report
    # The run reached the site's views, not only its error pages.
    assert counts[200] > 50 and counts[400] > 50 and counts[404] > 50, report


@pytest.mark.slow
def test_form_posts_naming_any_charset_get_no_500_and_leave_no_traceback(site):
    counts, failures, tracebacks, report = fuzz_site(site, requests=200, seed=14, kinds=["form", "multipart"])

    assert counts[500] == 0, "\n".join(failures)
    assert tracebacks == [], report


@pytest.mark.slow
@pytest.mark.parametrize("debug", ["", "1"])
def test_a_refused_request_is_logged_in_one_line_and_a_crash_with_its_traceback(tmp_path, debug):
    result = manage(
        tmp_path,
        "shell",
        "-c",
        "import logging\n"
        "try:\n"
        "    raise ValueError('inside')\n"
        "except ValueError as error:\n"
        "    logging.getLogger('django.security.DisallowedHost').error(\n"
        "        'Invalid HTTP_HOST header: evil.example', exc_info=error, extra={'status_code': 400})\n"
        "    logging.getLogger('django.request').error(\n"
        "        'Internal Server Error: /news/', exc_info=error, extra={'status_code': 500})\n",
        DEBUG=debug,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Invalid HTTP_HOST header: evil.example") == 1
    assert result.stderr.count("Traceback") == 1, result.stderr
    assert result.stderr.index("Traceback") > result.stderr.index("Internal Server Error")


@pytest.mark.slow
def test_a_refused_upload_is_read_to_its_end_so_the_refusal_reaches_the_visitor(site):
    """Refused before its body was read (too large for an anonymous post), a 20 MB post still gets the site's 413:
    gunicorn does not reset the connection under a client, or the front server, still sending (nginx would answer
    502)."""
    connection = site.connection("web", timeout=30)
    connection.request(
        "POST",
        "/admin/login/",
        body=b"a" * (20 * 1024 * 1024),
        headers={"Host": HOST, "X-Forwarded-Proto": "https", "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()

    assert response.status == 413
