"""The headers a security scanner grades, under production settings over HTTPS: an A+ by the MDN HTTP Observatory's
rules (tests/site_shell/observatory.py) on the pages people visit, the form and the admin's login, fresh or from the
cache."""

import base64
import hashlib

import pytest
from django.conf import settings as django_settings

from testkit.pages import parse_page
from testkit.stories import make_story
from tests.site_shell import observatory

HOST = "ietp.example.org"


@pytest.fixture
def production(settings):
    """Production's settings where the test settings differ: HTTPS redirection on, the public host name."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = [HOST]
    assert not settings.DEBUG and settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.PAGE_CACHE and settings.SECURE_HSTS_SECONDS >= observatory.SIX_MONTHS
    return settings


def scan(client, path):
    response = client.get(path, secure=True, HTTP_HOST=HOST)
    assert response.status_code == 200, path
    return response, observatory.score(
        response,
        http_response=client.get(path, HTTP_HOST=HOST),
        cors_response=client.get(path, secure=True, HTTP_HOST=HOST, HTTP_ORIGIN=observatory.OBSERVATORY_ORIGIN),
    )


def public_pages():
    story = make_story({"en": "Factory training reaches 1,200 workers"})
    return ["/news/", story.get_absolute_url(), "/buyer-membership/", "/zh/news/", "/search/?q=training"]


@pytest.mark.django_db
def test_public_pages_and_the_admin_login_score_a_plus(client, production):
    for path in [*public_pages(), "/admin/login/"]:
        response, result = scan(client, path)
        assert result.score >= 100, f"{path}\n{result}"
        # What the score rests on, named: a policy without 'unsafe-inline', framing refused by the policy itself.
        assert result.results["content-security-policy"][1] > 0 or path.startswith("/admin/"), f"{path}\n{result}"
        assert result.results["x-frame-options"][0] == "x-frame-options-implemented-via-csp", path


@pytest.mark.django_db
def test_a_page_from_the_shared_cache_carries_the_same_headers(client, production):
    path = public_pages()[1]
    fresh, fresh_score = scan(client, path)
    cached, cached_score = scan(client, path)

    assert cached.wsgi_request.page_cache[2], "the second visit should be served from the page cache"
    for header in ["Content-Security-Policy", "Permissions-Policy", "Cross-Origin-Resource-Policy",
                   "Cross-Origin-Opener-Policy", "Strict-Transport-Security", "Referrer-Policy",
                   "X-Content-Type-Options"]:  # fmt: skip
        assert cached[header] == fresh[header], header
    assert cached_score.score == fresh_score.score >= 100


@pytest.mark.django_db
def test_public_pages_run_only_the_sites_own_script_files(client, production):
    response, _result = scan(client, public_pages()[1])
    policy = observatory.parse_csp([response["Content-Security-Policy"]])

    assert policy["default-src"] == {"'self'"} and policy["script-src"] == {"'self'"}
    assert style_sources(response) == {"'self'", inline_style_source(response)} and policy["object-src"] == {"'none'"}
    assert policy["frame-ancestors"] == {"'none'"} and policy["base-uri"] == {"'self'"}
    assert policy["form-action"] == {"'self'"}
    assert "unsafe" not in response["Content-Security-Policy"] and "nonce" not in response["Content-Security-Policy"]
    # Nothing inline that the policy would block: the share script is a file, JSON-LD is data.
    html = response.content.decode()
    finder = observatory.ScriptFinder()
    finder.feed(html)
    assert all(script.get("src") or script.get("type") == "application/ld+json" for script in finder.scripts)
    assert " style=" not in html and " onclick=" not in html


def style_sources(response):
    """The policy's style-src, as written (a hash is case-sensitive; the Observatory's reading lowercases it)."""
    (directive,) = [d.split() for d in response["Content-Security-Policy"].split(";") if d.split()[:1] == ["style-src"]]
    return set(directive[1:])


def inline_style_source(response):
    """The policy's source for the page's one <style> element (the site's stylesheet): its text's SHA-256."""
    (style,) = parse_page(response).find_all("style")
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.inner_html.encode()).digest()).decode() + "'"


@pytest.mark.django_db
def test_every_public_page_allows_exactly_its_inline_styles_by_hash(client, production):
    for path in public_pages():
        response, _result = scan(client, path)

        assert style_sources(response) == {"'self'", inline_style_source(response)}, path


@pytest.mark.django_db
def test_the_admin_allows_its_editors_import_map_by_hash_and_no_unsafe_script(staff_client, production):
    story = make_story({"en": "Factory training reaches 1,200 workers"})
    response = staff_client.get(f"/admin/news/newsstory/{story.pk}/change/", secure=True, HTTP_HOST=HOST)
    policy = observatory.parse_csp([response["Content-Security-Policy"]])

    assert '<script type="importmap">' in response.content.decode()
    assert any(source.startswith("'sha256-") for source in policy["script-src"])
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & policy["script-src"]
    assert policy["frame-ancestors"] == {"'none'"} and policy["object-src"] == {"'none'"}


@pytest.mark.django_db
def test_cookies_are_secure_http_only_and_same_site_lax(staff_client, client, production):
    form = client.get("/buyer-membership/", secure=True, HTTP_HOST=HOST)
    csrf = form.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"

    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": "correct horse"},
        secure=True,
        HTTP_HOST=HOST,
        HTTP_REFERER=f"https://{HOST}/admin/login/",
    )
    session = login.cookies[django_settings.SESSION_COOKIE_NAME]
    assert login.status_code == 302
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


@pytest.mark.django_db
def test_static_files_carry_the_policy_and_may_be_shown_by_other_sites(client, production):
    response = client.get("/static/img/ietp-share.jpg", secure=True, HTTP_HOST=HOST)

    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_error_pages_need_no_inline_style_or_script(rf):
    from site_shell import error_pages

    for page in [error_pages.server_error(rf.get("/news/")), error_pages.service_unavailable(rf.get("/zh/news/"))]:
        html = page.content.decode()
        assert " style=" not in html and "<style" not in html and "<script" not in html
        assert '<link rel="stylesheet" href="/static/css/error-page.css">' in html


@pytest.mark.django_db
def test_with_debug_on_the_policy_still_allows_the_pages_styles(client, settings):
    settings.DEBUG = True  # django-csp builds the policy for each response then (site_shell/middleware.py)

    response = client.get("/news/")

    assert style_sources(response) == {"'self'", inline_style_source(response)}
