"""The editors' workflow through the real admin pages."""

import datetime

import pytest
from django.test import Client
from pytest_django.asserts import assertInHTML

from news.models import NewsStory
from tests.builders import parse_page, story_form

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/news/newsstory/add/"
LIST_URL = "/admin/news/newsstory/"
DRAFT = {
    "title": "Family-Friendly Spaces expand",
    "summary": "18 factories this summer.",
    "body": "691 children and 788 parents together for the summer.",
    "status": "draft",
    "publish_date": "2023-05-04",
    "dateline": "4 May 2023, Hong Kong",
}


def draft_form(**changes):
    """The add form for a draft of "Family-Friendly Spaces expand", as an editor fills it in."""
    return story_form(**(DRAFT | changes))


def test_editor_writes_a_bilingual_story_publishes_it_and_sees_it_on_the_site(staff_client):
    add_page = staff_client.get(ADD_URL + "?language=en")
    assert add_page.status_code == 200
    assert "简体中文" in add_page.content.decode() or "Simplified Chinese" in add_page.content.decode()

    response = staff_client.post(ADD_URL + "?language=en", draft_form())
    assert response.status_code == 302
    story = NewsStory.objects.get()
    assert story.status == "draft"

    chinese = draft_form(
        title="家庭友好空间扩展", slug="家庭友好空间扩展", summary="今年夏天18家工厂。", body="", dateline=""
    )
    change_url = f"{LIST_URL}{story.pk}/change/?language=zh-hans"
    assert staff_client.post(change_url, chinese).status_code == 302
    assert sorted(story.get_available_languages()) == ["en", "zh-hans"]

    visitor = Client()
    assert visitor.get("/news/family-friendly-spaces-expand/").status_code == 404

    published = staff_client.post(LIST_URL, {"action": "publish", "_selected_action": [story.pk]}, follow=True)
    assert "1 story published." in published.content.decode()

    english_page = visitor.get("/news/family-friendly-spaces-expand/").content.decode()
    chinese_page = visitor.get("/zh/news/家庭友好空间扩展/").content.decode()
    assertInHTML("<h1>Family-Friendly Spaces expand</h1>", english_page)
    assertInHTML("<h1>家庭友好空间扩展</h1>", chinese_page)
    assert "家庭友好空间扩展" in visitor.get("/zh/news/").content.decode()

    unpublished = staff_client.post(LIST_URL, {"action": "unpublish", "_selected_action": [story.pk]}, follow=True)
    assert "1 story unpublished." in unpublished.content.decode()
    assert visitor.get("/news/family-friendly-spaces-expand/").status_code == 404
    assert "Family-Friendly Spaces expand" not in visitor.get("/news/").content.decode()


@pytest.mark.parametrize("action", ["publish", "unpublish"])
def test_publishing_from_the_list_dates_the_change_in_the_feed_and_sitemap(staff_client, make_story, client, action):
    story = make_story({"en": "Dated change"}, status="draft" if action == "publish" else "published")
    NewsStory.objects.filter(pk=story.pk).update(updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))

    staff_client.post(LIST_URL, {"action": action, "_selected_action": [story.pk]})

    story.refresh_from_db()
    assert story.updated_at.date() == datetime.date.today()
    if action == "publish":
        assert f"<lastmod>{datetime.date.today():%Y-%m-%d}</lastmod>" in client.get("/sitemap.xml").content.decode()


def test_opening_the_chinese_tab_of_an_english_story_shows_the_form_named_by_its_english_title(
    staff_client, make_story
):
    story = make_story({"en": "Family-Friendly Spaces expand"})

    response = staff_client.get(f"{LIST_URL}{story.pk}/change/?language=zh-hans")

    assert response.status_code == 200
    assertInHTML("<h2>Family-Friendly Spaces expand</h2>", response.content.decode())
    assert not parse_page(response).find("input", name="title").attrs.get("value")  # the Chinese title is to be written


def test_story_list_shows_title_date_status_and_languages(staff_client, make_story):
    make_story({"zh-hans": "核实 ESCP 职员"}, publish_date=datetime.date(2021, 11, 24))

    page = staff_client.get(LIST_URL).content.decode()

    assert "核实 ESCP 职员" in page
    assert "November 24, 2021" in page
    assert "Published" in page
    languages = {link.text: link for link in parse_page(page).find_all("a", class_="lang-code")}
    assert languages.keys() == {"EN", "ZH-HANS"}
    assert "untranslated" in languages["EN"].attrs["class"] and languages["EN"].attrs["href"].endswith("language=en")
    assert "active" in languages["ZH-HANS"].attrs["class"]
    assert languages["ZH-HANS"].attrs["href"].endswith("language=zh-hans")


def test_search_finds_titles_in_both_languages(staff_client, make_story):
    make_story({"en": "Verify ESCP staff", "zh-hans": "核实 ESCP 职员"})
    make_story({"en": "Introducing Progress Visits"})

    by_chinese = staff_client.get(LIST_URL, {"q": "核实"}).content.decode()
    by_english = staff_client.get(LIST_URL, {"q": "progress"}).content.decode()

    assert "1 result" in by_chinese and "Verify ESCP staff" in by_chinese
    assert "1 result" in by_english and "Introducing Progress Visits" in by_english


def test_filters_by_status_category_and_language(staff_client, make_story):
    make_story({"en": "English draft"}, status="draft")
    make_story({"zh-hans": "中文活动"}, category="event")

    drafts = staff_client.get(LIST_URL, {"status__exact": "draft"}).content.decode()
    events = staff_client.get(LIST_URL, {"category__exact": "event"}).content.decode()
    chinese = staff_client.get(LIST_URL, {"language": "zh-hans"}).content.decode()

    assert "English draft" in drafts and "中文活动" not in drafts
    assert "中文活动" in events and "English draft" not in events
    assert "中文活动" in chinese and "English draft" not in chinese


def test_two_stories_cannot_share_a_slug_in_one_language(staff_client, make_story):
    make_story({"en": {"title": "First", "slug": "same-slug"}})

    response = staff_client.post(ADD_URL + "?language=en", draft_form(slug="same-slug"))

    assert response.status_code == 200
    assert "Another story in this language already uses this slug." in response.content.decode()
    assert NewsStory.objects.count() == 1


def test_the_same_slug_is_allowed_in_another_language(staff_client, make_story):
    story = make_story({"en": {"title": "Shared", "slug": "shared"}})

    other = staff_client.post(ADD_URL + "?language=zh-hans", draft_form(title="共享", slug="shared"))

    assert other.status_code == 302
    assert NewsStory.objects.count() == 2
    assert story.slug == "shared"


def test_chinese_slug_typed_by_an_editor_is_accepted(staff_client):
    response = staff_client.post(
        ADD_URL + "?language=zh-hans", draft_form(title="微信公众号", slug="微信公众号", status="published")
    )
    assert response.status_code == 302
    assert Client().get("/zh/news/微信公众号/").status_code == 200


@pytest.mark.parametrize("slug", ["has space", "a/b", "x" * 201, "<script>"])
def test_unusable_slugs_are_refused_with_a_message(staff_client, slug):
    response = staff_client.post(ADD_URL + "?language=en", draft_form(slug=slug))
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert NewsStory.objects.count() == 0


def test_view_on_site_leads_to_the_story(staff_client, make_story):
    story = make_story({"en": "On site"})
    page = staff_client.get(f"{LIST_URL}{story.pk}/change/?language=en").content.decode()

    view_on_site = parse_page(page).find("a", class_="viewsitelink", href=True)

    assert view_on_site, "no View on site link"
    assert staff_client.get(view_on_site.attrs["href"]).headers["Location"].endswith("/news/on-site/")


def test_admin_is_for_staff_only(client, make_story):
    assert client.get(LIST_URL).status_code == 302


def test_editors_can_use_the_admin_in_chinese(staff_client, make_story):
    make_story({"zh-hans": "核实 ESCP 职员"})

    page = staff_client.get("/zh/admin/news/newsstory/").content.decode()

    assert parse_page(page).find("html").attrs["lang"] == "zh-hans"
    assert "新闻" in page and "核实 ESCP 职员" in page
    assert "发布所选新闻" in page


def test_admin_is_named_for_the_site_in_each_language(staff_client):
    assert "IETP site administration" in staff_client.get("/admin/").content.decode()
    chinese = staff_client.get("/zh/admin/").content.decode()
    assert "IETP 网站管理" in chinese and "新闻与会员申请" in chinese
    assert "Django" not in parse_page(chinese).find("header").text
