"""News pages cached as rendered under the versions of the stories they show (news/rendered_pages.py): what a visitor
reads is always the page as it would be rendered now, and after a change elsewhere it costs a query or two."""

import datetime
import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from news import publishing
from news.models import NewsStory
from testkit.files import minimal_pdf
from testkit.pages import name_cache_generation, parse_page

pytestmark = pytest.mark.django_db

STORY = "/news/story-3/"


@pytest.fixture
def stories(make_story, settings):
    """Five news stories a day apart (story-3's page shows 2 and 4 around it, and related ones), ten older ones, and
    an event older still, on the list's second page."""
    settings.PAGE_CACHE = False  # every request reaches the view, as on a page cache miss
    made = {
        number: make_story(
            {"en": f"Story {number}", "zh-hans": f"新闻 {number}"},
            publish_date=datetime.date(2024, 1, number),
        )
        for number in range(1, 6)
    }
    for number in range(10):
        make_story({"en": f"Archive {number}"}, publish_date=datetime.date(2019, 1, 1 + number))
    made["event"] = make_story(
        {"en": "Family day"}, category=NewsStory.Category.EVENT, publish_date=datetime.date(2018, 1, 1)
    )
    return made


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("lin", "lin@example.org", "x", is_staff=True)


def read_three_times(path):
    """The page as first rendered, rendered again with its stories known, and as cached."""
    return [Client().get(path).content.decode() for _time in range(3)]


def retitled(story, title, language="en"):
    story.set_current_language(language)
    story.title = title
    story.save()


@pytest.mark.parametrize("path", [STORY, "/zh/news/新闻-3/", "/news/", "/zh/news/"])
def test_a_cached_page_is_the_page_as_rendered(stories, path):
    first, second, cached = read_three_times(path)

    assert cached == first == second
    assert "Story 4" in cached or "新闻 4" in cached


@pytest.mark.parametrize("path", [STORY, "/zh/news/"])
def test_a_browser_that_accepts_gzip_gets_the_cached_page_compressed_and_the_same(stories, path):
    """The cached page is kept compressed (caching/compressed.py): a browser gets it as kept, and it reads as the page
    rendered; a client without gzip gets it plain."""
    rendered = Client().get(path).content.decode()
    Client().get(path)  # its stories known: the next request renders it and caches it

    # Rendered (and compressed by GZipMiddleware), then twice from the cache.
    responses = [Client().get(path, headers={"Accept-Encoding": "gzip, deflate, br"}) for _time in range(3)]
    for compressed in responses:
        assert compressed["Content-Encoding"] == "gzip" and "Accept-Encoding" in compressed["Vary"]
        assert gzip.decompress(compressed.content).decode() == rendered
    # The copy kept, not compressed again (GZipMiddleware's file name has a random length each time).
    assert responses[1].content == responses[2].content
    plain = Client().get(path)
    assert not plain.has_header("Content-Encoding") and "Accept-Encoding" in plain["Vary"]
    assert plain.content.decode() == rendered


@pytest.mark.parametrize("path", [STORY, "/news/"])
def test_after_a_change_to_a_story_the_page_does_not_show_it_is_the_cached_one(
    stories, path, django_assert_max_num_queries
):
    before = read_three_times(path)[-1]

    stories["event"].set_current_language("en")
    stories["event"].summary = "Bring the children."
    stories["event"].save()

    name_cache_generation()  # the change's one-time work, done by whichever request comes first
    with django_assert_max_num_queries(2):  # the versions of the stories it shows (and a story's documents)
        assert Client().get(path).content.decode() == before


@pytest.mark.parametrize("changed", [2, 3, 4])
def test_a_change_to_any_story_a_page_shows_is_on_the_next_page(stories, changed):
    read_three_times(STORY)
    read_three_times("/news/")

    retitled(stories[changed], f"Story {changed}, corrected")

    assert f"Story {changed}, corrected" in Client().get(STORY).content.decode()
    assert f"Story {changed}, corrected" in Client().get("/news/").content.decode()


def test_a_document_added_to_a_story_is_on_its_page_at_once(stories, media_root):
    read_three_times(STORY)

    upload = SimpleUploadedFile("audit.pdf", minimal_pdf(), content_type="application/pdf")
    stories[3].documents.create(language_code="en", title="Audit report", file=upload)

    assert "Audit report" in Client().get(STORY).content.decode()


def test_a_story_published_since_moves_the_pages_stories(stories, make_story):
    read_three_times(STORY)
    read_three_times("/news/")

    make_story({"en": "Newest"}, publish_date=datetime.date(2024, 1, 6))
    make_story({"en": "In between"}, publish_date=datetime.date(2024, 1, 3))  # after story 3 on its day

    assert "Newest" in Client().get("/news/").content.decode()
    story_nav = parse_page(Client().get(STORY).content.decode()).find("nav", class_="story-nav")
    assert "In between" in story_nav.text and "Story 4" not in story_nav.text


def test_a_story_unpublished_leaves_every_page(stories, editor):
    read_three_times(STORY)
    read_three_times("/news/")

    publishing.unpublish(NewsStory.objects.get(pk=stories[4].pk), user=editor, language_code="en")
    publishing.unpublish(NewsStory.objects.get(pk=stories[4].pk), user=editor, language_code="zh-hans")

    assert "Story 4" not in Client().get("/news/").content.decode()
    assert "Story 4" not in Client().get(STORY).content.decode()


def test_staff_see_their_drafts_and_visitors_never_get_a_page_rendered_for_staff(stories, staff_client, editor):
    read_three_times(STORY)
    publishing.save_draft(stories[3], "en", {"summary": "An unpublished correction."}, user=editor)

    for _time in range(3):
        assert "An unpublished correction." in staff_client.get(STORY).content.decode()

    for page in read_three_times(STORY):
        assert "An unpublished correction." not in page


def test_a_list_page_asked_for_in_other_words_is_the_same_page_and_a_wrong_number_is_not_found(stories):
    asked = ["/news/?page=2", "/news/?page=02", "/news/?page=2&utm_source=wechat", "/news/?page=2"]

    pages = [Client().get(path) for path in asked]

    assert {page.status_code for page in pages} == {200}
    assert len({page.content for page in pages}) == 1 and b"Family day" in pages[0].content
    for wrong in ["/news/?page=2x", "/news/?page=99", "/news/?page=-1"]:
        assert Client().get(wrong).status_code == 404
