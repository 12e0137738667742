"""Public pages served to visitors from the shared cache, exactly as fresh as the content.

Every cached page is kept with the content *version* it was drawn for: any saved change to the news bumps it
(news/signals.py), and so does the passing of the next scheduled publication time, found once per version. No
page is ever purged and none waits for a timeout: a page kept for an older version is simply not served (it is
replaced when drawn again), on every worker, since the version lives in the shared cache itself and is read in
the same round trip as the page. A visitor with a session (staff, or someone the site remembers) never
shares a cached page; nor does anything with a cookie, a CSRF token or a status other than 200, 301 or 404.

The same pages are marked for nginx in front (deploy/nginx/ietp.conf.template), which may keep each until the
second it was served ends (X-Accel-Expires), so that a spike is answered by nginx; nothing else is marked.

When the cache server fails, pages are rendered as if there were no cache: each worker stops asking it for a few
seconds rather than waiting on it for every request.
"""

import hashlib
import logging
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.http import http_date

from .error_pages import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)

VERSION_KEY = "page-cache:version"
# Views whose pages are the same for every visitor without a session (see README.md, "Caching").
CACHEABLE_VIEWS = {
    "news:list",
    "news:story",
    "news:category",
    "news:year",
    "news:feed",
    "news:old_site_story",
    "privacy_notice",
    "sitemap",
    "sitemap_section",
    "robots",
}
RESPONSE_STATUSES_KEPT = {200, 301, 404}
PAUSE_AFTER_FAILURE_SECONDS = 5


def templates_fingerprint():
    """Changes when the site's templates do: a deploy with new templates starts from new keys."""
    digest = hashlib.sha256(settings.RELEASE_ID.encode())
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:12]


RELEASE = templates_fingerprint()


class CacheHealth:
    """Per worker: after a failure, the cache is left alone for a few seconds (a stopped server costs each
    request a connection attempt otherwise)."""

    paused_until = 0.0

    @classmethod
    def available(cls):
        return time.monotonic() >= cls.paused_until

    @classmethod
    def failed(cls, error):
        cls.paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
        logger.warning("Page cache unavailable, rendering without it for %ss: %s", PAUSE_AFTER_FAILURE_SECONDS, error)


def content_changed():
    """Every cached page is out of date from now: called once a change to the news is committed. The next
    request starts a new version."""
    try:
        cache.delete(VERSION_KEY)
    except Exception as error:  # noqa: BLE001 - any cache failure means the same: render without the cache
        CacheHealth.failed(error)


def new_version():
    """A version names its content by when it began, and knows when the next scheduled publication falls."""
    from news.models import next_scheduled_publication

    next_change = next_scheduled_publication()
    return {"began": time.time(), "next_change": next_change.timestamp() if next_change else None}


def current_version():
    """The content version now, or None when the cache cannot be used."""
    if not CacheHealth.available():
        return None
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            # The first request since a change: whichever worker gets here first names the version.
            candidate = new_version()
            version = candidate if cache.add(VERSION_KEY, candidate, timeout=None) else cache.get(VERSION_KEY)
            version = version or candidate
        elif version["next_change"] is not None and time.time() >= version["next_change"]:
            # A scheduled story's time has come, with no one saving anything: every page may have changed.
            version = new_version()
            cache.set(VERSION_KEY, version, timeout=None)
        return version
    except DATABASE_UNAVAILABLE:
        return None  # the database is down, not the cache: the page is drawn (or refused) as if uncached
    except Exception as error:  # noqa: BLE001
        CacheHealth.failed(error)
        return None


def page_key(request):
    """The key of this request's page: what can change it (address, page number, compression), nothing else: other
    query parameters (utm_source...) share the page's copy, and cannot fill the cache with variants. The content
    version is kept in the entry, not the key, so that one round trip asks for both (version_and_page)."""
    page = request.GET.get("page", "")[:8]
    encoding = "gzip" if "gzip" in request.headers.get("Accept-Encoding", "").lower() else "identity"
    # Hashed: an address or page number may hold anything a visitor typed (a NUL, spaces), never fit for a key.
    address = hashlib.sha256(f"{request.path}?page={page}".encode()).hexdigest()[:32]
    return f"page:{RELEASE}:{request.scheme}:{request.get_host()}:{address}:{encoding}"


def version_and_page(key):
    """The content version now, and the page kept under `key` if it was drawn for that version (else None); both
    asked for at once, one round trip for a page served from the cache. (None, None) when the cache cannot be used."""
    if not CacheHealth.available():
        return None, None
    try:
        kept = cache.get_many([VERSION_KEY, key])
    except Exception as error:  # noqa: BLE001 - any cache failure means the same: render without the cache
        CacheHealth.failed(error)
        return None, None
    version, entry = kept.get(VERSION_KEY), kept.get(key)
    if version is None or (version["next_change"] is not None and time.time() >= version["next_change"]):
        return current_version(), None  # a new version begins: nothing kept is for it
    if entry is None or entry[0] != version["began"]:
        return version, None
    return version, response_from(entry[1:])


def is_anonymous_read(request):
    """A GET from a visitor the site knows nothing about: no session (staff have one), no credentials."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "Authorization" not in request.headers
    )


def is_shareable(request, response):
    """Whether this response may be given to other visitors: the same for all, and telling nothing of this one."""
    return (
        response.status_code in RESPONSE_STATUSES_KEPT
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def time_to_keep(version):
    """Seconds an entry may live: until the next scheduled publication at most (it is out of date then)."""
    keep = settings.PAGE_CACHE_SECONDS
    if version["next_change"] is not None:
        keep = min(keep, max(1, int(version["next_change"] - time.time()) + 1))
    return keep


def store(key, response, version):
    entry = (version["began"], response.status_code, list(response.items()), response.content)
    try:
        cache.set(key, entry, timeout=time_to_keep(version))
    except Exception as error:  # noqa: BLE001
        CacheHealth.failed(error)


def response_from(entry):
    status, headers, content = entry
    response = HttpResponse(content, status=status)
    for header, value in headers:
        response[header] = value
    return response


def add_validators(response, version):
    """ETag and Last-Modified, so that a browser or CDN can revalidate with a 304 instead of a download."""
    if not response.has_header("ETag"):
        response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
    response["Last-Modified"] = http_date(version["began"])


def public_cache_control(response):
    response["Cache-Control"] = (
        f"public, max-age={settings.PAGE_BROWSER_MAX_AGE}, s-maxage={settings.PAGE_SHARED_MAX_AGE}, "
        f"stale-while-revalidate={settings.PAGE_STALE_WHILE_REVALIDATE}"
    )


def let_front_server_keep(response):
    """Lets nginx in front keep this shared page until the end of the current second, never longer: one request a
    second per page reaches the site in a spike, and a change shows through nginx within a second, as here.
    An absolute time (`@`), set as the page is sent (never kept with it in the cache): a relative `1` would let
    nginx, whose clock counts whole seconds, keep it up to two. nginx reads the header and never forwards it."""
    response["X-Accel-Expires"] = f"@{int(time.time())}"
