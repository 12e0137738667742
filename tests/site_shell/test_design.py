"""What a visitor notices of the site's design: everything comes from this site, it fits a phone,
it prints and follows dark mode, keyboard users can skip to the content, and the footer speaks both languages."""

import gzip
import re

import pytest
from pytest_django.asserts import assertInHTML

from testkit.pages import parse_page

pytestmark = pytest.mark.django_db


def asset_urls(response):
    """Every URL the browser would fetch to render the page (not the links a reader follows)."""
    urls = []
    for element in parse_page(response).find_all():
        attrs = element.attrs
        if element.name == "link" and attrs.get("rel") not in {"alternate", "canonical"}:  # links, not fetched
            urls.append(attrs.get("href", ""))
        if element.name in {"script", "img", "source", "iframe", "video", "audio"}:
            urls += [attrs[name] for name in ("src", "srcset") if attrs.get(name)]
        if attrs.get("style"):
            urls += re.findall(r"url\(([^)]*)\)", attrs["style"])
    return urls


def page_styles(page):
    """The styles a page holds in its <head>."""
    return "".join(style.inner_html for style in parse_page(page).find("head").find_all("style"))


def footer(page):
    return parse_page(page).find("footer", class_="site-footer")


@pytest.fixture
def story_pages(make_story):
    story = make_story(
        {
            "en": {"title": "Audit deadlines", "summary": "No audits over the New Year.", "body": "See the calendar."},
            "zh-hans": {"title": "审核截止日期", "summary": "春节期间不进行审核。", "body": "请查看日历。"},
        }
    )
    return [story.url_in("en"), story.url_in("zh-hans")]


def test_every_page_loads_its_styles_scripts_and_images_from_this_site_only(client, story_pages):
    for url in ["/news/", "/zh/news/", *story_pages]:
        response = client.get(url)
        assets = asset_urls(response)

        assert response.status_code == 200
        assert [asset for asset in assets if re.match(r"\s*(https?:)?//", asset)] == [], url


def test_pages_are_drawn_from_their_first_response_without_waiting_for_a_stylesheet(client, story_pages):
    for url in ["/news/", "/zh/news/", *story_pages, "/buyer-membership/", "/privacy/", "/news/no-such-story/"]:
        response = client.get(url)
        head = parse_page(response).find("head")

        assert head.find_all("link", rel="stylesheet") == [], url
        assert ".site-header{" in page_styles(response), url


def test_pages_styles_follow_dark_mode_print_and_reduced_motion(client):
    css = page_styles(client.get("/news/"))

    assert "@media (prefers-color-scheme: dark)" in css
    assert "@media print" in css
    assert "prefers-reduced-motion" in css
    assert ":focus-visible" in css
    assert "@import" not in css and "http" not in css.replace("http://www.w3.org", "")


def test_news_list_with_its_stylesheet_stays_under_30_kb_compressed(client, make_story):
    for day in range(1, 15):
        make_story({"en": {"title": f"A story of some length, number {day}", "summary": "A summary. " * 20}})
    page = client.get("/news/")

    assert len(gzip.compress(page.content)) < 30 * 1024  # the styles are in the page


@pytest.mark.parametrize("url", ["/news/", "/zh/news/"])
def test_skip_link_leads_to_the_main_content(client, url):
    page = parse_page(client.get(url))

    assert page.find("a", class_="skip-link", href="#content")
    assert len(page.find_all(id="content")) == 1
    assert page.find("main", id="content")


def test_skip_link_is_translated(client):
    assertInHTML('<a class="skip-link" href="#content">跳到正文</a>', client.get("/zh/news/").content.decode())


def test_pages_fit_the_width_of_a_phone(client, story_pages):
    for url in ["/news/", "/zh/news/", *story_pages]:
        page = client.get(url).content.decode()

        assertInHTML('<meta name="viewport" content="width=device-width, initial-scale=1">', page, msg_prefix=url)


@pytest.mark.parametrize(
    ("url", "invitation", "apply_link", "about"),
    [
        (
            "/news/",
            "Become a Buyer Member",
            "/buyer-membership/",
            "certifies toy factories for safe, fair and family-friendly working conditions",
        ),
        ("/zh/news/", "成为买家会员", "/zh/buyer-membership/", "确保工作条件安全、公平、关爱家庭"),
    ],
)
def test_footer_invites_buyers_and_explains_the_programme_in_the_page_language(
    client, url, invitation, apply_link, about
):
    site_footer = footer(client.get(url))

    assert invitation in site_footer.text
    assert site_footer.find("a", href=apply_link)
    assert about in site_footer.text
    assert "ESCP" in site_footer.text


def test_chinese_footer_has_no_english_left(client):
    visible_text = footer(client.get("/zh/news/")).text

    assert "Become a Buyer Member" not in visible_text
    assert "About the programme" not in visible_text
    assert "Apply for Buyer Membership" not in visible_text
