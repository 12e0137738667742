"""Public pages from the shared cache: exactly fresh after any change, on every worker, on time for a scheduled story;
revalidated with 304s; never shared from or to staff; not poisoned by odd requests; and served without the cache
when the cache server is down. Runs against the embedded file cache and against Redis (both real)."""

import contextlib
import gzip
import logging
import os
import time
import urllib.request
import zlib

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import request_started
from django.template import Template, TemplateSyntaxError
from django.test import Client, RequestFactory, override_settings

from caching import page_cache
from caching.page_with_slots import Deflated, PageWithSlots, deflated
from caching.templatetags import render_once
from ietp_site.wsgi import application
from testkit import prepared
from testkit.pages import card_titles, name_cache_generation, parse_page
from testkit.production import manage, production_env
from testkit.servers import Gunicorn, redis_cache, redis_is_up
from testkit.wsgi import wsgi_get

pytestmark = pytest.mark.django_db

# The suite's Redis database, or the machine's database 1 (plus the number of the pytest-xdist worker).
REDIS_URL = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:6379/{1 + django_settings.WORKER_NUMBER}"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(params=["files", "redis"])
def shared_cache(request, tmp_path):
    """The site's cache as deployed: a directory every worker shares, or a Redis server."""
    if request.param == "files":
        caches = {
            "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
        }
    else:
        if not redis_is_up(REDIS_URL):
            if IN_CI:
                pytest.fail(f"No Redis at {REDIS_URL}: CI machines run one on 127.0.0.1:6379")
            pytest.skip(f"No Redis at {REDIS_URL}")
        caches = redis_cache(REDIS_URL)
    with override_settings(CACHES=caches):
        cache.clear()
        page_cache.CacheHealth.paused_until = 0.0
        yield request.param
        cache.clear()


def visitor():
    return Client()


# --- Served from the cache, exactly fresh -------------------------------------------------------------------------


def test_a_visitor_gets_a_cached_page_without_touching_the_database(
    shared_cache, make_story, django_assert_num_queries
):
    make_story({"en": "Cached story"})
    first = visitor().get("/news/")

    with django_assert_num_queries(0):
        again = visitor().get("/news/")

    assert again.status_code == 200 and again.content == first.content
    assert card_titles(again) == ["Cached story"]


@pytest.mark.parametrize(
    "change",
    ["edit the title", "unpublish", "publish the other language", "delete", "add a story", "replace the summary"],
)
def test_any_change_shows_on_the_next_request(shared_cache, make_story, change):
    story = make_story({"en": "Before", "zh-hans": {"title": "之前", "status": "draft"}})
    for path in ["/news/", "/zh/news/", "/news/before/"]:
        visitor().get(path)  # cached

    version = story.translations.get(language_code="en")
    if change == "edit the title":
        version.title = "After"
        version.save()
        expected = {"/news/": ["After"], "/zh/news/": ["After"]}
    elif change == "unpublish":
        version.status = "draft"
        version.save()
        expected = {"/news/": [], "/zh/news/": []}
    elif change == "publish the other language":
        chinese = story.translations.get(language_code="zh-hans")
        chinese.status = "published"
        chinese.save()
        expected = {"/news/": ["Before"], "/zh/news/": ["之前"]}
    elif change == "delete":
        story.delete()
        expected = {"/news/": [], "/zh/news/": []}
    elif change == "add a story":
        make_story({"en": "Newer"}, publish_date=None)
        expected = {"/news/": ["Before", "Newer"], "/zh/news/": ["Before", "Newer"]}
    else:
        version.summary = "A new summary"
        version.save()
        assert "A new summary" in visitor().get("/news/").content.decode()
        return

    for path, titles in expected.items():
        assert card_titles(visitor().get(path)) == titles, path


@pytest.mark.slow
def test_an_edit_appears_on_the_next_request_on_every_worker(tmp_path):
    """Two gunicorn workers, the cache they share (this suite's: files or Redis), and an edit made elsewhere."""
    # Collected, migrated and seeded once for the run (testkit.prepared): this test is about the cache.
    prepared.collected_static(tmp_path / "static")
    prepared.seeded_sqlite(tmp_path / "production.sqlite3")
    server = Gunicorn(production_env(tmp_path, SECURE_SSL_REDIRECT="0"))
    try:
        server.start(tmp_path / "gunicorn.log")  # both workers up, so both can serve the list
        for _ in range(8):  # both workers serve, and cache, the list
            urllib.request.urlopen(f"{server.base_url}/news/", timeout=5).read()

        edit = (
            "from news.models import NewsStory; story = NewsStory.objects.first(); "
            "story.set_current_language(story.get_available_languages()[0]); "
            "story.title = 'Edited on another machine'; story.save()"
        )
        assert manage(tmp_path, "shell", "-c", edit).returncode == 0

        pages = [urllib.request.urlopen(f"{server.base_url}/news/", timeout=5).read() for _ in range(8)]
        assert all(b"Edited on another machine" in page for page in pages)
    finally:
        server.stop()


@pytest.mark.slow
def test_a_scheduled_story_appears_on_time_with_nobody_saving(shared_cache, make_story):
    from django.utils import timezone

    moment = timezone.now() + timezone.timedelta(seconds=1.5)
    make_story({"en": "On the dot"}, publish_at=moment)
    assert card_titles(visitor().get("/news/")) == []

    time.sleep(max(0, (moment - timezone.now()).total_seconds()) + 0.1)

    assert card_titles(visitor().get("/news/")) == ["On the dot"]


# --- Revalidation and headers -------------------------------------------------------------------------------------


def test_a_page_is_revalidated_with_a_304(shared_cache, make_story):
    make_story({"en": "Revalidated"})
    page = visitor().get("/news/revalidated/")
    assert page["ETag"] and page["Last-Modified"]

    by_etag = visitor().get("/news/revalidated/", HTTP_IF_NONE_MATCH=page["ETag"])
    by_date = visitor().get("/news/revalidated/", HTTP_IF_MODIFIED_SINCE=page["Last-Modified"])

    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_date.status_code == 304
    # After a change the old validators no longer match.
    make_story({"en": "Another"})
    assert visitor().get("/news/revalidated/", HTTP_IF_NONE_MATCH=page["ETag"]).status_code == 200


@contextlib.contextmanager
def requests_django_handled():
    """The paths of the requests Django's handler began while in the block (its request_started signal)."""
    handled = []

    def note(sender, environ, **kwargs):
        handled.append(environ["PATH_INFO"])

    request_started.connect(note, weak=False, dispatch_uid="requests_django_handled")
    try:
        yield handled
    finally:
        request_started.disconnect(dispatch_uid="requests_django_handled")


def test_a_revalidation_is_answered_from_the_version_alone_before_django_handles_the_request(
    shared_cache, make_story, django_assert_num_queries, caplog
):
    """As gunicorn calls the site (ietp_site.wsgi): the 304 needs neither the page nor Django's handler."""
    make_story({"en": "Kept"})
    _status, page, _body = wsgi_get(application, "/news/kept/", host="testserver")
    # The cached copy is gone (evicted): the visitor's copy is still the current version of the page.
    assert cache.delete(page_cache.page_key(RequestFactory().get("/news/kept/", HTTP_ACCEPT_ENCODING="gzip")))
    logged = caplog.at_level(logging.INFO, logger="ietp.requests")
    with requests_django_handled() as handled, django_assert_num_queries(0), logged:
        status, headers, body = wsgi_get(application, "/news/kept/", {"If-None-Match": page["ETag"]}, host="testserver")

    assert status == "304 Not Modified" and body == b""
    assert headers["ETag"] == page["ETag"] and headers["Cache-Control"] == page["Cache-Control"]
    assert handled == []
    assert "GET /news/kept/ 304" in caplog.text and "cache=hit" in caplog.text


def test_a_revalidation_that_does_not_match_or_comes_with_a_session_is_handled_by_django(shared_cache, make_story):
    make_story({"en": "Kept"})
    _status, page, _body = wsgi_get(application, "/news/kept/", host="testserver")
    with requests_django_handled() as handled:
        stale = wsgi_get(application, "/news/kept/", {"If-None-Match": '"1-0123456789abcdef"'}, host="testserver")
        with_session = wsgi_get(
            application,
            "/news/kept/",
            {"If-None-Match": page["ETag"], "Cookie": f"{django_settings.SESSION_COOKIE_NAME}=unknown"},
            host="testserver",
        )

    assert stale[0] == "200 OK" and b"Kept" in gzip.decompress(stale[2])
    assert with_session[0] == "200 OK"
    assert handled == ["/news/kept/", "/news/kept/"]


def test_an_etag_revalidates_only_its_own_page(shared_cache, make_story):
    make_story({"en": "One"})
    make_story({"en": "Two"})
    one = visitor().get("/news/one/")

    assert visitor().get("/news/two/", HTTP_IF_NONE_MATCH=one["ETag"]).status_code == 200
    assert visitor().get("/zh/news/one/", HTTP_IF_NONE_MATCH=one["ETag"]).status_code == 200
    missing = visitor().get("/news/no-such-story/")
    assert missing.status_code == 404 and not missing.has_header("ETag")
    assert visitor().get("/news/no-such-story/", HTTP_IF_NONE_MATCH=one["ETag"]).status_code == 404


def test_public_pages_say_who_may_keep_them_and_vary_only_on_compression(shared_cache, make_story, settings):
    settings.PAGE_BROWSER_MAX_AGE, settings.PAGE_SHARED_MAX_AGE, settings.PAGE_STALE_WHILE_REVALIDATE = 30, 120, 600
    make_story({"en": "Headers"})

    for path in ["/news/", "/zh/news/", "/news/headers/", "/news/feed/", "/sitemap.xml"]:
        response = visitor().get(path, HTTP_ACCEPT_ENCODING="gzip", HTTP_ACCEPT_LANGUAGE="zh-CN")
        assert response["Cache-Control"] == "public, max-age=30, s-maxage=120, stale-while-revalidate=600", path
        vary = {value.strip() for value in response.get("Vary", "").split(",") if value.strip()}
        assert vary <= {"Accept-Encoding"}, (path, vary)
        assert not response.cookies, path


def test_a_head_request_is_answered_from_the_cache_without_a_body(shared_cache, make_story, django_assert_num_queries):
    make_story({"en": "Head"})
    visitor().get("/news/head/")

    with django_assert_num_queries(0):
        head = visitor().head("/news/head/")

    assert head.status_code == 200 and head.content == b""


# --- Never shared from or to staff, never with a form ----------------------------------------------------------


def test_staff_pages_are_never_cached_nor_given_to_visitors(shared_cache, staff_client, make_story):
    make_story({"en": {"title": "Secret draft", "slug": "secret-draft", "status": "draft"}})

    staff_page = staff_client.get("/news/secret-draft/")
    assert staff_page.status_code == 200 and "private" in staff_page["Cache-Control"]
    assert "no-store" in staff_page["Cache-Control"]

    assert visitor().get("/news/secret-draft/").status_code == 404
    assert "Secret draft" not in visitor().get("/news/").content.decode()


def test_a_visitors_cached_page_is_not_given_to_staff(shared_cache, staff_client, make_story):
    make_story({"en": {"title": "Public", "slug": "public"}, "zh-hans": {"title": "中文草稿", "status": "draft"}})
    visitor().get("/zh/news/public/")  # the English version, labelled, cached

    staff_page = staff_client.get("/zh/news/public/")

    # Staff see the Chinese draft (with its notice), not the visitors' copy.
    assert staff_page.status_code == 301 or "中文草稿" in staff_page.content.decode()


def test_the_membership_form_with_its_csrf_token_is_never_shared(shared_cache, django_assert_max_num_queries):
    first, second = visitor().get("/buyer-membership/"), visitor().get("/buyer-membership/")
    compressed = visitor().get("/buyer-membership/", HTTP_ACCEPT_ENCODING="gzip")

    tokens = [
        parse_page(page).find("input", name="csrfmiddlewaretoken").attrs["value"]
        for page in (first.content.decode(), second.content.decode(), gzip.decompress(compressed.content).decode())
    ]
    assert len(set(tokens)) == 3
    assert "public" not in first.get("Cache-Control", "")


def test_only_pages_shared_here_are_marked_for_nginx_and_only_until_this_second_ends(
    shared_cache, staff_client, make_story
):
    """nginx in front caches exactly what carries X-Accel-Expires (deploy/nginx/ietp.conf.template)."""
    make_story({"en": {"title": "Marked", "slug": "marked"}})
    make_story({"en": {"title": "Staff only", "slug": "staff-only", "status": "draft"}})
    before = int(time.time())
    rendered, from_cache = visitor().get("/news/marked/"), visitor().get("/news/marked/")
    for response in (rendered, from_cache):
        assert response["Cache-Control"].startswith("public, ")
        # Never cached with the page in the site's cache: a copy from it is marked for the second it is sent.
        assert before <= int(response["X-Accel-Expires"].removeprefix("@")) <= time.time()

    form = visitor().get("/buyer-membership/")
    assert form.status_code == 200 and form.cookies and not form.has_header("X-Accel-Expires")
    for staff_page in (staff_client.get("/news/marked/"), staff_client.get("/news/staff-only/")):
        assert staff_page.status_code == 200 and "no-store" in staff_page["Cache-Control"]
        assert not staff_page.has_header("X-Accel-Expires")
    session = visitor()
    session.cookies["sessionid"] = "not-a-session"
    assert not session.get("/news/marked/").has_header("X-Accel-Expires")


# --- Rendered once per process: the header's links, the footer, the blank form -------------------------------------


def current_nav_link(response):
    """The header link marked as the page the reader is on (its address), or None."""
    link = parse_page(response).find("nav", class_="site-nav").find("a", **{"aria-current": "page"})
    return link and link.attrs["href"]


def test_the_header_rendered_once_marks_the_page_each_reader_is_on_in_their_language(make_story):
    make_story({"en": {"title": "Marked", "slug": "marked"}, "zh-hans": {"title": "标记", "slug": "标记"}})
    render_once.rendered.clear()  # as in a worker just started
    pages = {
        "/news/": "/news/",
        "/news/marked/": "/news/",
        "/buyer-membership/": "/buyer-membership/",
        "/search/?q=marked": "/search/",
        "/privacy/": None,
        "/zh/news/": "/zh/news/",
        "/zh/buyer-membership/": "/zh/buyer-membership/",
        "/zh/privacy/": None,
    }
    # Twice over, in one process: the second time every header comes from what the first drew.
    for _pass in range(2):
        for path, current in pages.items():
            assert current_nav_link(visitor().get(path)) == current, path


def rendered_parts(response):
    """What base.html renders once per process: the site's name and links, and the footer."""
    document = parse_page(response)
    parts = [document.find("a", class_="site-name"), document.find("nav", class_="site-nav")]
    return [part.inner_html for part in [*parts, document.find("div", class_="site-footer__inner")]]


def test_what_is_rendered_once_holds_nothing_of_the_first_reader(staff_client, make_story):
    make_story({"en": {"title": "Shared parts", "slug": "shared-parts"}})
    render_once.rendered.clear()  # as in a worker just started
    # Rendered first for staff on a story, then for a visitor given the form's CSRF token.
    staff_client.get("/news/shared-parts/")
    form = visitor().get("/buyer-membership/")
    token = parse_page(form).find("input", name="csrfmiddlewaretoken").attrs["value"]

    for response in [visitor().get("/news/shared-parts/"), visitor().get("/buyer-membership/")]:
        for part in rendered_parts(response):
            assert token not in part and "editor" not in part and "shared-parts" not in part


@pytest.mark.parametrize("inside", ["{% csrf_token %}", "{% block extra %}{% endblock %}"])
def test_a_part_rendered_once_cannot_hold_a_visitors_token_or_a_pages_own_content(inside):
    with pytest.raises(TemplateSyntaxError, match="render_once"):
        Template('{% load render_once %}{% render_once "part" %}' + inside + "{% endrender_once %}")


# --- A page cached with slots for each request's values (the membership form's tokens) ----------------------------

PARAGRAPHS = "".join(f"<p>Paragraph {number}</p>" for number in range(2000))
SLOTTED_PAGE = f"<!DOCTYPE html><p>第一段</p>[first]{PARAGRAPHS}[second]<p>结束</p>"


@pytest.mark.parametrize("encoding", ["gzip", "br;q=1, gzip;q=0", "deflate, gzip", "identity", "", "GZIP"])
def test_a_page_with_slots_reads_as_the_page_filled_in_whatever_the_encoding(encoding):
    page = PageWithSlots(SLOTTED_PAGE, "[first]", "[second]")
    response = page.response(RequestFactory().get("/", HTTP_ACCEPT_ENCODING=encoding), "ŧoken-1", "<b>two</b>")

    filled = SLOTTED_PAGE.replace("[first]", "ŧoken-1").replace("[second]", "<b>two</b>").encode()
    assert "Accept-Encoding" in response["Vary"]
    if response.get("Content-Encoding") == "gzip":
        # One gzip stream, as browsers expect, smaller than the page.
        stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        assert stream.decompress(response.content) == filled and stream.eof and not stream.unused_data
        assert len(response.content) < len(filled) / 5
    else:
        assert "gzip" not in encoding and response.content == filled


def test_a_page_with_slots_takes_short_long_empty_and_precompressed_values_into_one_gzip_stream():
    page = PageWithSlots(SLOTTED_PAGE, "[first]", "[second]")
    results = "<li>" + "审核 audit " * 5000 + "</li>"
    precompressed = Deflated(results, deflated(results.encode(), last=False))
    for first, second in [("", results), ("ŧoken", precompressed), (results, ""), ("", "")]:
        response = page.response(RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip"), first, second)

        stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        filled = SLOTTED_PAGE.replace("[first]", first).replace("[second]", second).encode()
        assert stream.decompress(response.content) == filled and stream.eof and not stream.unused_data
        assert len(response.content) < len(filled) / 5


def test_a_page_without_one_of_its_slots_is_refused():
    with pytest.raises(ValueError, match="third"):
        PageWithSlots(SLOTTED_PAGE, "[first]", "[third]")


# --- Poisoning --------------------------------------------------------------------------------------------------


def test_another_host_is_refused_and_never_cached(shared_cache, make_story):
    make_story({"en": "Host"})

    assert visitor().get("/news/", HTTP_HOST="evil.example").status_code == 400
    forwarded = visitor().get("/news/", HTTP_X_FORWARDED_HOST="evil.example")

    assert "evil.example" not in forwarded.content.decode()
    assert "evil.example" not in visitor().get("/news/").content.decode()


@pytest.mark.parametrize(
    "encoding", ["br;q=1, gzip;q=0", "identity", "*", "x" * 500, "gzip, gzip, gzip", "GZIP", "\x00gzip"]
)
def test_unusual_encodings_get_a_readable_page_of_one_of_two_kinds(shared_cache, make_story, encoding):
    make_story({"en": "Encoded"})
    plain = visitor().get("/news/", HTTP_ACCEPT_ENCODING="identity")

    response = visitor().get("/news/", HTTP_ACCEPT_ENCODING=encoding)

    assert response.status_code == 200
    if response.get("Content-Encoding") == "gzip":
        assert gzip.decompress(response.content) == plain.content
    else:
        assert response.content == plain.content


def test_the_language_comes_from_the_address_never_from_accept_language(shared_cache, make_story):
    make_story({"en": "English", "zh-hans": "中文"})
    visitor().get("/news/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert card_titles(visitor().get("/news/", HTTP_ACCEPT_LANGUAGE="en")) == ["English"]
    assert card_titles(visitor().get("/news/", HTTP_ACCEPT_LANGUAGE="zh-CN")) == ["English"]
    assert card_titles(visitor().get("/zh/news/", HTTP_ACCEPT_LANGUAGE="en")) == ["中文"]


def test_tracking_parameters_share_the_pages_copy_and_page_numbers_do_not(
    shared_cache, make_story, django_assert_num_queries
):
    for day in range(1, 15):
        make_story({"en": f"Day {day}"}, publish_date=None)
    name_cache_generation()
    visitor().get("/news/")
    page_two = visitor().get("/news/?page=2")

    with django_assert_num_queries(0):
        shared = [visitor().get(f"/news/?utm_source=wechat&n={number}") for number in range(20)]

    assert all(response.content == shared[0].content for response in shared)
    assert card_titles(page_two) != card_titles(shared[0])


# --- The cache server down ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_pages_are_served_when_the_cache_server_stops(own_redis, make_story, membership_settings):
    server, url = own_redis
    make_story({"en": "Still here"})
    with override_settings(CACHES=redis_cache(url)):
        page_cache.CacheHealth.paused_until = 0.0
        assert card_titles(visitor().get("/news/")) == ["Still here"]  # cached in Redis

        server.kill()
        server.wait(timeout=10)

        for path in ["/news/", "/zh/news/", "/news/still-here/"]:
            response = visitor().get(path)
            assert response.status_code == 200, path
        assert "Still here" in visitor().get("/news/still-here/").content.decode()
        # An editor's change is not lost for want of a cache either.
        make_story({"en": "Added while the cache is down"})
        assert "Added while the cache is down" in visitor().get("/news/").content.decode()
