"""The request log: one line per request, for operators (settings.LOGGING sends it where the other logs go)."""

import logging
import time

from site_shell.client_address import anonymised_network, client_address, is_warm_up

request_logger = logging.getLogger("ietp.requests")


class RequestLogMiddleware:
    """One line per request: method, path (never the query string, which may carry what a visitor typed), status,
    duration, language, whether the page cache served it, and the visitor's network (not their address). Health
    probes are logged at DEBUG only: a probe every few seconds would bury everything else; so are the pages the
    background worker renders ahead of visitors (caching/warm_up.py), with client=warm-up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        log_request(request, response.status_code, started, response.get("Content-Language", ""))
        return response


def log_request(request, status, started, content_language=""):
    """Writes the request's line; `started` is when it began (time.perf_counter())."""
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    fields = {
        "method": request.method,
        "path": request.path[:200],
        "status": status,
        "duration_ms": duration_ms,
        # A page served from the cache is answered before the language is read from its path: its header says.
        "language": getattr(request, "LANGUAGE_CODE", "") or content_language,
        "cache": page_cache_outcome(request),
        "client": "warm-up" if is_warm_up(request) else anonymised_network(client_address(request)),
    }
    # Neither probes (one every few seconds) nor the worker's renderings ahead of visitors are visitors' traffic.
    is_traffic = not getattr(request, "is_health_probe", False) and not is_warm_up(request)
    level = logging.INFO if is_traffic else logging.DEBUG
    request_logger.log(
        level,
        "%(method)s %(path)s %(status)s %(duration_ms)sms lang=%(language)s cache=%(cache)s client=%(client)s",
        fields,
        extra=fields,
    )


def page_cache_outcome(request):
    """Whether the shared page cache (caching/page_cache.py) served the page: hit, miss, or bypass for a response it
    may not cache."""
    outcome = getattr(request, "page_cache", None)
    if outcome is None:
        return "bypass"
    return "hit" if outcome[2] else "miss"
