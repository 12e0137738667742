"""/healthz and /readyz as a container platform or load balancer probes them: plain HTTP, any Host, often."""

import json
import logging
import socket

import pytest
from django.db.migrations.recorder import MigrationRecorder

# Probes reach the container at its own address, which ALLOWED_HOSTS never names, over plain HTTP.
PROBE = {"HTTP_HOST": "10.0.3.7:8000"}
# The first of these ports that nothing listens on stands for a stopped Redis: a real refused connection.
TEST_PORTS = range(18300, 18400)


def port_nothing_listens_on():
    for port in TEST_PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.fail("Every port from 18300 to 18399 is in use")


@pytest.fixture
def production_redirects(settings):
    # The test settings leave HTTPS redirection off; production has it on.
    settings.SECURE_SSL_REDIRECT = True
    return settings


def probe(client, path):
    response = client.get(path, **PROBE)
    return response, json.loads(response.content)


def test_liveness_answers_any_host_over_plain_http_without_the_database(client, production_redirects):
    # No django_db mark: any database access here would raise.
    response, body = probe(client, "/healthz")

    assert response.status_code == 200 and body == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_checks_database_cache_and_migrations(client, production_redirects):
    response, body = probe(client, "/readyz")

    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "cache": "ok", "migrations": "ok"}
    assert body["background"] == {"waiting": 0, "running": 0, "failed_last_day": 0, "oldest_waiting_seconds": 0}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_names_the_cache_when_redis_cannot_be_reached(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port_nothing_listens_on()}/3",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }

    response, body = probe(client, "/readyz")

    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"].startswith("failed: ConnectionError")
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"


@pytest.mark.django_db
def test_readiness_fails_while_a_migration_is_not_applied_and_is_never_cached(client):
    assert probe(client, "/readyz")[0].status_code == 200
    MigrationRecorder.Migration.objects.filter(app="news").order_by("-id").first().delete()

    response, body = probe(client, "/readyz")

    assert response.status_code == 503
    assert body["checks"]["migrations"].startswith("failed:")
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_probes_are_logged_at_debug_only(client, caplog):
    with caplog.at_level(logging.INFO, logger="ietp.requests"):
        probe(client, "/healthz")
        probe(client, "/readyz")
        client.get("/news/")
    assert [record.path for record in caplog.records if record.name == "ietp.requests"] == ["/news/"]

    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="ietp.requests"):
        probe(client, "/readyz")
    assert [(record.levelname, record.path) for record in caplog.records] == [("DEBUG", "/readyz")]


@pytest.mark.django_db
def test_probes_are_not_in_the_sitemap(client):
    sitemaps = client.get("/sitemap.xml").content.decode() + client.get("/sitemap-pages-1.xml").content.decode()

    assert "/sitemap-pages-1.xml" in sitemaps
    assert "healthz" not in sitemaps and "readyz" not in sitemaps
