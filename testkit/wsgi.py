"""Requests made to the site's WSGI application in this process, as gunicorn makes them (ietp_site.wsgi: what runs
before Django's handler runs too), without a server."""

from django.core.signals import request_started
from django.db import close_old_connections

from caching.warm_up import get_environ


def wsgi_get(application, path, headers=None, host="127.0.0.1"):
    """The status line, headers and body of a GET of `path` ("/news/?page=2") at `host`; `headers` as
    {"If-None-Match": ...}. The client accepts gzip, as browsers do."""
    environ = get_environ(path, "http", host, headers)
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started.update(status=status, headers=dict(response_headers))

    # As Django's test client does: a request must not close the test's database connection, whose transaction holds
    # the test's rows (on PostgreSQL, closing it would hide them from the request).
    request_started.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
    return started["status"], started["headers"], body
