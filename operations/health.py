"""Health probes for the container platform or load balancer: /healthz (liveness) and /readyz (readiness).

Answered by a middleware near the top of the stack rather than by URL patterns, so that a probe
- is answered whatever its Host header (probes use the container's IP address, which no ALLOWED_HOSTS names):
  the request never reaches CommonMiddleware, CSRF or a view, the only places that validate the host;
- costs nothing beyond the checks themselves: no session, language, page cache or URL resolution;
- is never page-cached, never listed in the sitemap, and never redirected to HTTPS (SECURE_REDIRECT_EXEMPT:
  probes speak plain HTTP inside the network).
"""

import functools
import json
import logging

from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

from background.queue import queue_state

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
PROBE_PATHS = {LIVENESS_PATH, READINESS_PATH}
PROBE_CACHE_KEY = "health:probe"


@functools.cache
def migrations_on_disk():
    """Every migration this release ships: read from disk once per process (the code does not change under it)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    # A read proves the server answers; nothing is written on every probe.
    cache.get(PROBE_CACHE_KEY)


def check_migrations():
    applied = set(MigrationRecorder(connection).applied_migrations())
    missing = migrations_on_disk() - applied
    if missing:
        raise RuntimeError(f"{len(missing)} migration(s) not applied, e.g. {'.'.join(sorted(missing)[0])}")


CHECKS = {"database": check_database, "cache": check_cache, "migrations": check_migrations}


def readiness():
    """Each part's state, "ok" or why not; the migrations are not checked without a database."""
    states = {}
    for name, check in CHECKS.items():
        if name == "migrations" and states.get("database") != "ok":
            states[name] = "not checked: no database"
            continue
        try:
            check()
        except Exception as error:  # noqa: BLE001 - whatever fails, the probe answers and names the part
            logger.warning("Readiness: %s failed: %s", name, error)
            states[name] = f"failed: {type(error).__name__}"
        else:
            states[name] = "ok"
    return states


def probe_response(payload, status):
    response = HttpResponse(json.dumps(payload), content_type="application/json", status=status)
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before anything looks at the host, the session or the language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in PROBE_PATHS or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        request.is_health_probe = True
        if request.path == LIVENESS_PATH:
            return probe_response({"status": "ok"}, 200)
        states = readiness()
        ready = all(state == "ok" for state in states.values())
        payload = {"status": "ok" if ready else "unavailable", "checks": states}
        if states["database"] == "ok" and states["migrations"] == "ok":
            # Reported, not judged: a long queue slows images and emails down, not the pages.
            payload["background"] = queue_state()
        return probe_response(payload, 200 if ready else 503)
