"""Absolute addresses on public pages (canonical, og:url, alternates, feed, sitemap, robots.txt) are on SITE_URL when
it is set, never on the host and port a request named (issue 22, finding 8); without it (development), on the
request's."""

import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db

SITE = "https://ethicaltoyprogram.org"
HOSTILE = {"HTTP_HOST": "127.0.0.1:6666"}


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]


def absolute_urls(content):
    return re.findall(r"https?://[^\s\"'<>]+", content)


def own_urls(content):
    """The absolute addresses that point at this site (not at schema.org or another site)."""
    hosts = {"ethicaltoyprogram.org", "127.0.0.1", "127.0.0.1:6666"}
    return [url for url in absolute_urls(content) if urlsplit(url).netloc in hosts]


def test_canonical_and_og_url_are_on_site_url_whatever_the_host(client, site_url, make_story):
    story = make_story({"en": "Factories audited"})

    for path in ["/news/", story.get_absolute_url()]:
        page = client.get(path, **HOSTILE).content.decode()
        canonical = re.search(r'<link rel="canonical" href="([^"]+)"', page).group(1)
        og_url = re.search(r'<meta property="og:url" content="([^"]+)"', page).group(1)
        assert canonical == og_url == SITE + path
        assert own_urls(page) and all(url.startswith(SITE + "/") for url in own_urls(page)), path


def test_feed_and_sitemaps_are_on_site_url_whatever_the_host(client, site_url, make_story):
    make_story({"en": "Factories audited"})

    for path in ["/news/feed/", "/sitemap.xml", "/sitemap-stories-1.xml", "/sitemap-pages-1.xml", "/robots.txt"]:
        response = client.get(path, **HOSTILE)
        assert response.status_code == 200, path
        urls = own_urls(response.content.decode())
        assert urls and all(url.startswith(SITE + "/") for url in urls), (path, urls)


def test_without_site_url_pages_name_the_request_host(client, settings):
    settings.SITE_URL = ""

    page = client.get("/news/", HTTP_HOST="localhost:8001").content.decode()

    assert '<link rel="canonical" href="http://localhost:8001/news/">' in page


def test_deployment_check_asks_for_site_url_among_the_allowed_hosts(settings):
    from django.core import checks

    settings.SITE_URL = ""
    assert [error.id for error in checks.run_checks(include_deployment_checks=True)].count("site_shell.E001") == 1
    settings.SITE_URL, settings.ALLOWED_HOSTS = SITE, ["example.com"]
    assert "site_shell.E002" in [error.id for error in checks.run_checks(include_deployment_checks=True)]
    settings.ALLOWED_HOSTS = ["ethicaltoyprogram.org"]
    ids = [error.id for error in checks.run_checks(include_deployment_checks=True)]
    assert not {"site_shell.E001", "site_shell.E002", "site_shell.E003"} & set(ids)
