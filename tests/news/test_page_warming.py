"""The pages that show a changed story rendered by the background worker once the change is committed
(news/page_warming.py): their first visitor is answered from the cache, with the change."""

import datetime
import gzip
import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.encoding import iri_to_uri
from django_tasks_db.models import DBTaskResult

from caching import page_cache
from caching.warm_up import render_for_visitors
from news import publishing
from news.models import NewsStory
from news.page_warming import pages_showing, render_pages_showing_story
from testkit.background import run_queued_tasks, waiting_jobs
from testkit.pages import card_titles, name_cache_generation
from testkit.ports import free_port
from testkit.servers import redis_cache

pytestmark = pytest.mark.django_db

# The queries of a page served from the page cache: none (the cache generation and the page are one cache read).
CACHED_PAGE_QUERIES = 0


@pytest.fixture
def stories(make_story):
    """Story 3 among four others a day apart, in both languages."""
    return {
        number: make_story(
            {"en": f"Story {number}", "zh-hans": f"新闻 {number}"}, publish_date=datetime.date(2024, 1, number)
        )
        for number in range(1, 6)
    }


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("lin", "lin@example.org", "x", is_staff=True)


class Browser(Client):
    """A visitor's browser: it accepts gzip, as every browser does (the page cache keeps a copy per encoding)."""

    def get(self, path, *args, **kwargs):
        response = super().get(path, *args, HTTP_ACCEPT_ENCODING="gzip", **kwargs)
        if response.get("Content-Encoding") == "gzip":
            response.content = gzip.decompress(response.content)
        return response


def warm_up_jobs():
    return DBTaskResult.objects.ready().filter(task_path=render_pages_showing_story.module_path)


def read_every_page():
    """Every page a visitor reads, cached as before the change."""
    for path in ["/news/", "/zh/news/", "/news/story-3/", "/zh/news/新闻-3/", "/news/story-4/"]:
        Browser().get(path)


def publish_correction(story, editor, django_capture_on_commit_callbacks, language="en", title="Story 3, corrected"):
    """An editor's saved change to the published text, then published, as the admin does: committed."""
    with django_capture_on_commit_callbacks(execute=True):
        publishing.save_draft(story, language, {"title": title}, user=editor)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish_draft(story, language, user=editor)


def test_after_a_publication_and_the_job_the_first_visitors_pages_come_from_the_cache_with_the_change(
    stories, editor, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    read_every_page()
    publish_correction(stories[3], editor, django_capture_on_commit_callbacks)
    publish_correction(stories[3], editor, django_capture_on_commit_callbacks, "zh-hans", "新闻 3，更正")

    assert warm_up_jobs().count() == 1  # one job waiting per story, however many saves
    assert run_queued_tasks() == 1

    for path, title in [
        ("/news/story-3/", "Story 3, corrected"),
        ("/zh/news/新闻-3/", "新闻 3，更正"),
        ("/news/story-4/", "Story 3, corrected"),  # its newer neighbour's page, which links to it
    ]:
        with django_assert_max_num_queries(CACHED_PAGE_QUERIES):
            page = Browser().get(path)
        assert page.status_code == 200 and title in page.content.decode(), path
    for path, title in [("/news/", "Story 3, corrected"), ("/zh/news/", "新闻 3，更正")]:
        with django_assert_max_num_queries(CACHED_PAGE_QUERIES):
            page = Browser().get(path)
        assert title in card_titles(page), path


def test_the_job_fills_the_rendered_pages_cache_too(stories, editor, django_capture_on_commit_callbacks):
    """After the next change elsewhere, the pages that showed the story are cached rendered pages (rendered_pages):
    their first visitor then makes at most the two small queries of one."""
    publish_correction(stories[3], editor, django_capture_on_commit_callbacks)
    run_queued_tasks()

    page_cache.start_new_generation()  # a change elsewhere: every cached page is stale
    name_cache_generation()

    for path in ["/news/story-3/", "/zh/news/", "/news/"]:
        with CaptureQueriesContext(connection) as queries:
            assert Browser().get(path).status_code == 200
        assert len(queries) <= 2, (path, [query["sql"] for query in queries])


def test_an_unpublished_story_leaves_the_lists_before_anyone_asks(
    stories, editor, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    read_every_page()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.unpublish(NewsStory.objects.get(pk=stories[3].pk), user=editor)
    run_queued_tasks()

    for path in ["/news/", "/zh/news/"]:
        with django_assert_max_num_queries(CACHED_PAGE_QUERIES):
            titles = card_titles(Browser().get(path))
        assert titles and not {"Story 3", "新闻 3"} & set(titles), path
    assert Browser().get("/news/story-3/").status_code == 410


def test_a_draft_changes_nothing_visitors_see_and_queues_nothing(
    stories, make_story, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = make_story({"en": "Not yet"}, status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        draft.set_current_language("en")
        draft.title = "Not yet, still"
        draft.save()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.save_draft(stories[3], "en", {"title": "An unpublished correction"}, user=editor)

    assert waiting_jobs() == 0


def test_a_staff_preview_is_never_what_the_job_caches(
    stories, editor, staff_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publishing.save_draft(stories[3], "en", {"title": "An unpublished correction"}, user=editor)
        stories[4].set_current_language("en")
        stories[4].summary = "A published summary."
        stories[4].save()  # a published change to its neighbour
    assert "An unpublished correction" in staff_client.get("/news/story-3/").content.decode()
    run_queued_tasks()

    for path in ["/news/story-3/", "/news/story-4/", "/news/"]:
        assert "An unpublished correction" not in Browser().get(path).content.decode(), path


def test_the_job_asks_for_the_pages_that_show_the_story_in_both_languages(stories, make_story):
    english_only = make_story({"en": "Only in English"}, publish_date=datetime.date(2024, 1, 6))

    assert pages_showing(english_only.pk) == [
        iri_to_uri(path)
        for path in [
            "/news/",
            "/news/category/news/",
            "/news/only-in-english/",
            "/news/story-5/",  # its older neighbour
            "/news/story-4/",  # related: the newest others of its category
            "/news/story-3/",
            "/zh/news/",
            "/zh/news/category/news/",
            "/zh/news/only-in-english/",  # the Chinese pages show it in English, labelled
            "/zh/news/新闻-5/",
            "/zh/news/新闻-4/",
            "/zh/news/新闻-3/",
        ]
    ]


def test_a_story_gone_meanwhile_or_twice_run_is_no_error(stories, caplog):
    story_id = stories[3].pk
    NewsStory.objects.filter(pk=story_id).delete()

    with caplog.at_level(logging.WARNING, logger="caching.warm_up"):
        assert render_pages_showing_story.call(story_id) == 2  # the lists, in both languages
        assert render_pages_showing_story.call(story_id) == 2
    assert not caplog.records


def test_a_page_that_is_missing_is_reported_and_never_raised(stories):
    statuses = render_for_visitors(["/news/no-such-story/", "/zh/news/", "/news/?page=99"])

    assert statuses == {"/news/no-such-story/": 404, "/zh/news/": 200, "/news/?page=99": 404}


def test_with_the_cache_server_down_the_job_completes_having_rendered_nothing(
    stories, editor, django_capture_on_commit_callbacks
):
    with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{free_port()}/0")):
        page_cache.CacheHealth.paused_until = 0.0
        publish_correction(stories[3], editor, django_capture_on_commit_callbacks)

        assert run_queued_tasks() == 1
        assert DBTaskResult.objects.get(task_path=render_pages_showing_story.module_path).status == "SUCCESSFUL"
    page_cache.CacheHealth.paused_until = 0.0
    cache.clear()


def test_the_worker_s_requests_are_not_logged_as_visitors(stories, caplog):
    with caplog.at_level(logging.DEBUG, logger="ietp.requests"):
        render_for_visitors(["/news/"])

    (line,) = [record for record in caplog.records if record.name == "ietp.requests"]
    assert line.levelno == logging.DEBUG and line.client == "warm-up"


def test_on_the_site_s_public_address_the_page_rendered_is_the_one_its_visitors_get(
    stories, settings, django_assert_max_num_queries
):
    """In production visitors come through nginx: Host as their browser sent it, X-Forwarded-Proto https."""
    settings.SITE_URL = "https://news.example.org"
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    render_pages_showing_story.call(stories[3].pk)

    browser = Browser(HTTP_HOST="news.example.org", HTTP_X_FORWARDED_PROTO="https")
    with django_assert_max_num_queries(CACHED_PAGE_QUERIES):
        page = browser.get("/news/story-3/")
    assert page.status_code == 200 and "Story 3" in page.content.decode()
