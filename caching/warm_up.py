"""Pages rendered ahead of visitors: the site's own WSGI application (ietp_site.wsgi, as gunicorn calls it) asked
for an address in this process, as an anonymous visitor's browser asks for it, so that the page lands in the caches
that visitor's request reads (the page cache under the current generation, and whatever the view caches itself).

The request is a visitor's in every way the page's cache key or content can see: the site's own address (the Host
and scheme of SITE_URL, which nginx passes on as the browser sent them; else the first ALLOWED_HOSTS name, over
HTTP), no cookie (so never a staff session: staff previews are never rendered here), Accept-Encoding gzip as
browsers send. One thing tells it apart, an environ key no visitor can send (WARM_UP_ENVIRON_KEY, in
site_shell/client_address.py): the page cache renders the page even when a copy is cached, and the request log
writes its line at DEBUG with client=warm-up, not as a visitor's.
"""

import functools
import io
import logging
import sys
from urllib.parse import unquote_to_bytes, urlsplit

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import translation

from site_shell.client_address import WARM_UP_ENVIRON_KEY

logger = logging.getLogger(__name__)


@functools.cache
def site_application():
    # Django's handler, as ietp_site.wsgi wraps it for gunicorn: its wrappers act only on request bodies and
    # revalidations (If-None-Match), which a warm-up never sends. Built when first needed: it loads every middleware.
    return get_wsgi_application()


def visitors_address():
    """(scheme, host) of the site as visitors' browsers ask for it."""
    if settings.SITE_URL:
        parts = urlsplit(settings.SITE_URL)
        return parts.scheme, parts.netloc
    host = next((name for name in settings.ALLOWED_HOSTS if not name.startswith(".") and name != "*"), "localhost")
    return "http", host


def render_for_visitors(paths):
    """Asks the site for each of `paths` ("/zh/news/") as a visitor would; returns {path: status code}. A page that
    is missing (404, 410) or fails (500: Django's handler has logged it) is only reported: the others are rendered
    all the same, and nothing is raised."""
    scheme, host = visitors_address()
    statuses = {}
    # The worker's own database connection (and, in the tests, the test's transaction) is not a request's to close:
    # as Django's test client does, the request signals do not close it. The language the request activates is
    # put back after it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with translation.override(translation.get_language()):
            for path in paths:
                statuses[path] = request_as_visitor(path, scheme, host)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    for path, status in statuses.items():
        if status >= 500:
            logger.warning("Rendering %s ahead of visitors answered %s", path, status)
    return statuses


def get_environ(path, scheme, host, headers=None):
    """The WSGI environ of a browser's GET of `path` ("/news/?page=2") at `host`, through nginx, as gunicorn passes
    it; `headers` as {"If-None-Match": ...}. The browser accepts gzip."""
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        # As a server passes it: the path's bytes, %-escapes decoded (a Chinese slug's UTF-8), each byte a character.
        "PATH_INFO": unquote_to_bytes(path).decode("iso-8859-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": host.partition(":")[0],
        "SERVER_PORT": host.partition(":")[2] or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "HTTP_ACCEPT_ENCODING": "gzip",
        "HTTP_X_FORWARDED_PROTO": scheme,  # as nginx passes it (SECURE_PROXY_SSL_HEADER)
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in (headers or {}).items()})
    return environ


def request_as_visitor(path, scheme, host):
    """The status of a GET of `path` at `host`, the response read to its end and closed, as a server does."""
    environ = {**get_environ(path, scheme, host), WARM_UP_ENVIRON_KEY: True}
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"] = int(status.split(" ", 1)[0])

    response = site_application()(environ, start_response)
    try:
        for _chunk in response:
            pass
    finally:
        if hasattr(response, "close"):
            response.close()  # request_finished: what Django does at the end of every request
    return started["status"]
