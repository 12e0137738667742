import pytest
from django.core.cache import cache

from base import page_cache
from tests import builders


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty shared cache (Redis or files): a page cached by another test, whose database
    rows are gone, must not be served; and with the cache in use, whatever happened to it in an earlier test."""
    page_cache.CacheHealth.paused_until = 0.0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_story(db):
    """builders.make_story: a published story; translations given as {language: title} or {language: {field: value}}."""
    return builders.make_story


@pytest.fixture
def staff_client(client, django_user_model):
    editor = django_user_model.objects.create_superuser("editor", "editor@example.org", "correct horse")
    client.force_login(editor)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads go to a temporary directory, so tests leave no files behind."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def private_media_root(settings, tmp_path):
    """Letters of support go to a temporary private directory, beside (not inside) a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def membership_settings(settings):
    """The membership form for a client that posts at once: no minimum time before submitting (rather than
    sleeping), a fresh per-IP count (the rate limit counts in the cache), and staff addresses to notify."""
    cache.clear()
    settings.MEMBERSHIP_MIN_SECONDS_TO_SUBMIT = 0
    settings.MEMBERSHIP_NOTIFY_EMAILS = builders.MEMBERSHIP_STAFF
    settings.MEMBERSHIP_SUBMISSIONS_PER_IP = 10
    settings.TRUST_X_FORWARDED_FOR = False
    yield settings
    cache.clear()
