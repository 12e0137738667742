"""Answers the site gives when it cannot give the page: rendered without the database, a session or a context
processor, so that they work whatever else has failed. The language comes from the address alone (/zh/... is Chinese).
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .languages import SITE_LANGUAGES

logger = logging.getLogger(__name__)

# Seconds a visitor (or a crawler) is asked to wait before trying again while the database is down.
RETRY_AFTER_SECONDS = 30


def database_unavailable():
    """The exceptions that mean the database cannot be reached now (down, restarting, or out of connections), for
    `except database_unavailable():` (evaluated only when something was raised). The connection pool's timeout is
    one where the pool is in use, which has loaded psycopg_pool: on SQLite, loading it (and psycopg) for this was a
    tenth of each process's start."""
    pool = sys.modules.get("psycopg_pool")
    return (OperationalError, InterfaceError, pool.PoolTimeout) if pool else (OperationalError, InterfaceError)


def is_database_unavailable(error):
    return isinstance(error, database_unavailable())


def language_of_path(path):
    """The Django language code of the address: its first segment names it; English has no prefix."""
    first_segment = path.lstrip("/").split("/", 1)[0]
    return next(
        (code for code, language in SITE_LANGUAGES.items() if first_segment and first_segment == language.url_prefix),
        settings.LANGUAGE_CODE,
    )


def plain_page(request, status, title, message, **headers):
    """A short page in the visitor's language, with nothing in it that could fail."""
    code = language_of_path(request.path_info if request is not None else "/")
    with translation.override(code):
        page = render_to_string(
            "site_shell/plain_page.html",
            {"html_code": SITE_LANGUAGES[code].html_code, "title": str(title), "message": str(message)},
        )
    response = HttpResponse(page, status=status, headers=headers)
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = SITE_LANGUAGES[code].html_code
    return response


def service_unavailable(request, error=None):
    logger.warning("Database unavailable, answered 503 for %s: %s", request.path, error)
    return plain_page(
        request,
        503,
        _("The site is briefly unavailable"),
        _("We cannot show this page just now. Please try again in a minute or two."),
        **{"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def request_too_large(request, limit):
    return plain_page(
        request,
        413,
        _("What you sent is too large"),
        _("The site accepts at most %(limit)s here. Please send smaller files and try again.")
        % {"limit": f"{limit / 1024 / 1024:.0f} MB"},
    )


def length_required(request):
    return plain_page(
        request,
        411,
        _("What you sent could not be read"),
        _("Your browser sent the form without saying how large it is. Please try again, or use another browser."),
    )


def bad_request(request, exception=None):
    """handler400. Unlike Django's, it needs no CSRF check: the request that failed may be unreadable, and reading
    it again for a token would only fail again."""
    return plain_page(
        request,
        400,
        _("What you sent could not be read"),
        _("The site could not read what your browser sent. Please go back, reload the page and try again."),
    )


def server_error(request):
    """handler500. A database outage met outside a view (in the session or authentication middleware) arrives
    here too, and gets the 503 page; anything else, the 500 page, which says operators were told only when they
    were."""
    error = sys.exc_info()[1]
    if is_database_unavailable(error):
        return service_unavailable(request, error)
    page = render_to_string("500.html", {"operators_told": bool(settings.ADMINS)})
    return HttpResponse(page, status=500, headers={"Cache-Control": "no-store"})
