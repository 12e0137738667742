"""Public pages served to visitors from the shared cache, exactly as fresh as the content.

Every cached page is stored with the *cache generation* it was rendered in: any saved change to the content starts a
new one (the feature apps call caching.registry.content_changed() once it is committed: news/models.py), and so does
the passing of the next scheduled change (caching.registry.next_scheduled_change(), found once per generation). No
page is ever purged and none waits for a timeout: a page cached in an older generation is simply not served (it is
replaced when rendered again), on every worker, since the generation lives in the shared cache itself and is read in
the same round trip as the page. A visitor with a session (staff, or someone the site remembers) never
shares a cached page; nor does anything with a cookie, a CSRF token or a status other than 200, 301 or 404.
Each page's key holds the release digest (operations/release.py): a new release never serves a page the previous
one rendered.

The same pages are marked for nginx in front (deploy/nginx/ietp.conf.template), which may cache each until the
second it was served ends (X-Accel-Expires), so that a spike is answered by nginx; nothing else is marked.

When the cache server fails, pages are rendered as if there were no cache: each worker stops asking it for a few
seconds rather than waiting on it for every request.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.utils.http import http_date

from operations.release import release_digest
from site_shell.error_pages import database_unavailable

from . import registry

logger = logging.getLogger(__name__)

GENERATION_KEY = "page-cache:generation"
RESPONSE_STATUSES_CACHED = {200, 301, 404}
PAUSE_AFTER_FAILURE_SECONDS = 5


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


def start_new_generation():
    """Every cached page is stale from now (caching.registry.content_changed()): the next request starts a new
    cache generation."""
    try:
        cache.delete(GENERATION_KEY)
    except Exception as error:  # noqa: BLE001 - any cache failure means the same: render without the cache
        CacheHealth.failed(error)


def new_generation():
    """A cache generation is named by when it began, and knows when the next scheduled change falls."""
    next_change = registry.next_scheduled_change()
    return {"began": time.time(), "next_change": next_change.timestamp() if next_change else None}


def has_ended(generation):
    """Whether a scheduled change has come since the generation began: its pages may be out of date."""
    return generation["next_change"] is not None and time.time() >= generation["next_change"]


def current_generation():
    """The cache generation now, or None when the cache cannot be used."""
    if not CacheHealth.available():
        return None
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            # The first request since a change: whichever worker gets here first names the generation.
            candidate = new_generation()
            added = cache.add(GENERATION_KEY, candidate, timeout=None)
            generation = (candidate if added else cache.get(GENERATION_KEY)) or candidate
        elif has_ended(generation):
            # A scheduled story's time has come, with no one saving anything: every page may have changed.
            generation = new_generation()
            cache.set(GENERATION_KEY, generation, timeout=None)
        return generation
    except database_unavailable():
        return None  # the database is down, not the cache: the page is rendered (or refused) as if uncached
    except Exception as error:  # noqa: BLE001
        CacheHealth.failed(error)
        return None


def generation_key(*parts, generation=None):
    """The shared cache's key for something read from the content that stays true for as long as the current cache
    generation lasts (the stories a page shows, where a list's pages start, a search's results): nothing saved and
    no scheduled time can change it before the generation ends, so it never needs invalidating. The release digest
    and the generation (`generation`, when the request has read it already), then `parts`; None when the cache
    cannot be used now."""
    generation = generation or current_generation()
    if generation is None:
        return None
    return ":".join(str(part) for part in ["generation", release_digest(), generation["began"], *parts])


def read_for_generation(key):
    """What was kept under a generation_key() in this generation, or None."""
    if key is None or not CacheHealth.available():
        return None
    try:
        return cache.get(key)
    except Exception as error:  # noqa: BLE001 - any cache failure means the same: read the database
        CacheHealth.failed(error)
        return None


def keep_for_generation(key, value):
    if key is None or not CacheHealth.available():
        return
    try:
        # An hour at most: a generation that lasts longer is rare, and whatever is read then is kept again.
        cache.set(key, value, timeout=3600)
    except Exception as error:  # noqa: BLE001
        CacheHealth.failed(error)


def page_key(request):
    """The key of this request's page: what can change it (address, page number, compression), nothing else: other
    query parameters (utm_source...) share the page's copy, and cannot fill the cache with variants. The release
    digest is in the key; the cache generation is stored in the entry, not the key, so that one round trip asks for
    both (generation_and_page)."""
    page = request.GET.get("page", "")[:8]
    encoding = "gzip" if "gzip" in request.headers.get("Accept-Encoding", "").lower() else "identity"
    # Hashed: an address or page number may hold anything a visitor typed (a NUL, spaces), never fit for a key.
    address = hashlib.sha256(f"{request.path}?page={page}".encode()).hexdigest()[:32]
    return f"page:{release_digest()}:{request.scheme}:{request.get_host()}:{address}:{encoding}"


def generation_and_page(key):
    """The cache generation now, and the page cached under `key` if it was rendered in that generation (else None);
    both asked for at once, one round trip for a page served from the cache. (None, None) when the cache cannot be
    used."""
    if not CacheHealth.available():
        return None, None
    try:
        cached = cache.get_many([GENERATION_KEY, key])
    except Exception as error:  # noqa: BLE001 - any cache failure means the same: render without the cache
        CacheHealth.failed(error)
        return None, None
    generation, entry = cached.get(GENERATION_KEY), cached.get(key)
    if generation is None or has_ended(generation):
        return current_generation(), None  # a new generation begins: nothing cached is from it
    if entry is None or entry[0] != generation["began"]:
        return generation, None
    return generation, response_from(entry[1:])


def generation_and_entries(keys):
    """The cache generation now, and {key: value} of what the cache holds under `keys` (from any generation: each
    entry says which, if it matters), asked for in one round trip with the generation. (None, {}) when the cache
    cannot be used."""
    if not CacheHealth.available():
        return None, {}
    try:
        cached = cache.get_many([GENERATION_KEY, *keys])
    except Exception as error:  # noqa: BLE001 - any cache failure means the same: render without the cache
        CacheHealth.failed(error)
        return None, {}
    generation = cached.pop(GENERATION_KEY, None)
    if generation is None or has_ended(generation):
        generation = current_generation()  # a new generation begins
    return generation, cached


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
        response.status_code in RESPONSE_STATUSES_CACHED
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def time_to_cache(generation):
    """Seconds an entry may live: until the next scheduled change at most (it is out of date then)."""
    seconds = settings.PAGE_CACHE_SECONDS
    if generation["next_change"] is not None:
        seconds = min(seconds, max(1, int(generation["next_change"] - time.time()) + 1))
    return seconds


def store(key, response, generation):
    entry = (generation["began"], response.status_code, list(response.items()), response.content)
    try:
        cache.set(key, entry, timeout=time_to_cache(generation))
    except Exception as error:  # noqa: BLE001
        CacheHealth.failed(error)


def response_from(entry):
    status, headers, content = entry
    response = HttpResponse(content, status=status)
    for header, value in headers:
        response[header] = value
    return response


def page_etag(key, generation):
    """The ETag of the page cached under `key` in `generation`: made from the version alone (the release, in the key,
    and the generation), so that a revalidation is answered without fetching or rendering the page
    (revalidated())."""
    return f'"{int(generation["began"] * 1000)}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"'


def add_validators(response, key, generation):
    """ETag and Last-Modified on a page every visitor shares, so that a browser or CDN can revalidate with a 304
    instead of a download. Only a 200 has them: a redirect or a missing page is not revalidated."""
    if response.status_code == 200:
        response["ETag"] = page_etag(key, generation)
        response["Last-Modified"] = http_date(generation["began"])


def revalidated(request, key):
    """The generation now and the page's ETag, when the visitor's copy of the page under `key` (its If-None-Match) is
    still the current one; else None. One small read of the cache: the page itself is neither fetched nor rendered."""
    if_none_match = request.headers.get("If-None-Match")
    if not if_none_match or not CacheHealth.available():
        return None
    try:
        generation = cache.get(GENERATION_KEY)
    except Exception as error:  # noqa: BLE001
        CacheHealth.failed(error)
        return None
    if generation is None or has_ended(generation):
        return None
    etag = page_etag(key, generation)
    offered = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return (generation, etag) if etag in offered else None


def answer_to_revalidation(request):
    """The headers of a 304 for a visitor without a session whose copy of the page (If-None-Match) is the current
    one: its validators and how long it may be kept, as the 200 had them; else None. request.page_cache says it was a
    hit, for the request log."""
    if not is_anonymous_read(request):
        return None
    try:
        key = page_key(request)
    except DisallowedHost:
        return None  # Django's handler answers it (400)
    current = revalidated(request, key)
    if current is None:
        return None
    generation, etag = current
    request.page_cache = (key, generation, True)
    return [
        ("ETag", etag),
        ("Last-Modified", http_date(generation["began"])),
        ("Vary", "Accept-Encoding"),
        ("Cache-Control", public_cache_control_value()),
    ]


def public_cache_control(response):
    response["Cache-Control"] = public_cache_control_value()


def public_cache_control_value():
    return (
        f"public, max-age={settings.PAGE_BROWSER_MAX_AGE}, s-maxage={settings.PAGE_SHARED_MAX_AGE}, "
        f"stale-while-revalidate={settings.PAGE_STALE_WHILE_REVALIDATE}"
    )


def let_front_server_cache(response):
    """Lets nginx in front cache this shared page until the end of the current second, never longer: one request a
    second per page reaches the site in a spike, and a change (or a new release) shows through nginx within a
    second, as here. An absolute time (`@`), set as the page is sent (never cached with it): a relative `1` would let
    nginx, whose clock counts whole seconds, cache it up to two. nginx reads the header and never forwards it."""
    response["X-Accel-Expires"] = f"@{int(time.time())}"
