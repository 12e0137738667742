"""Deep pages of the lists and the sitemap start from their first story, found once per cache generation, instead of
walking every story before them (OFFSET): the same stories, in the same order, as reading them one by one."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from news import pagination
from news.models import LIST_ORDER, NewsStory
from news.sitemaps import StorySitemap
from testkit.pages import card_titles, name_cache_generation

PER_PAGE = 12


@pytest.fixture
def read_from_positions_after_page_one(monkeypatch):
    monkeypatch.setattr(pagination, "PAGES_READ_DIRECTLY", 1)


@pytest.fixture
def forty_stories(make_story):
    """Dated stories, several on the same moment (ties broken by id), undated ones (listed last), two categories."""
    for number in range(40):
        day = None if number % 9 == 0 else datetime.date(2022, 1, 1) + datetime.timedelta(days=number // 3)
        category = NewsStory.Category.EVENT if number % 2 else NewsStory.Category.NEWS
        make_story({"en": f"Story {number}"}, publish_date=day, category=category)


def titles_in_list_order(stories):
    return [story.safe_translation_getter("title") for story in stories.order_by(*LIST_ORDER)]


def pages_of(titles):
    return [titles[start : start + PER_PAGE] for start in range(0, len(titles), PER_PAGE)]


def without_offset(path, client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert not [query["sql"] for query in queries.captured_queries if "OFFSET" in query["sql"].upper()], path
    return response


@pytest.mark.django_db
def test_every_page_of_the_list_shows_the_stories_in_order_without_offset(
    client, forty_stories, read_from_positions_after_page_one
):
    expected = pages_of(titles_in_list_order(NewsStory.objects.published()))
    assert len(expected) == 4

    name_cache_generation()
    client.get("/news/")
    for number, titles in enumerate(expected[1:], start=2):
        for path in (f"/news/?page={number}", f"/zh/news/?page={number}"):
            assert card_titles(without_offset(path, client)) == titles, path
    assert client.get("/news/?page=5").status_code == 404
    assert card_titles(client.get("/news/?page=last")) == expected[-1]


@pytest.mark.django_db
def test_a_category_page_reads_its_own_positions(client, forty_stories, read_from_positions_after_page_one):
    events = NewsStory.objects.published().filter(category=NewsStory.Category.EVENT)
    expected = pages_of(titles_in_list_order(events))

    assert card_titles(without_offset("/news/category/event/?page=2", client)) == expected[1]


@pytest.mark.django_db
def test_a_new_story_moves_every_page_on_at_once(client, forty_stories, make_story, read_from_positions_after_page_one):
    before = card_titles(client.get("/news/?page=2"))
    make_story({"en": "Breaking"})

    after = card_titles(client.get("/news/?page=2"))

    assert after != before and after == pages_of(titles_in_list_order(NewsStory.objects.published()))[1]


@pytest.mark.django_db
def test_deep_sitemap_pages_list_every_story_once_without_offset(
    client, make_story, monkeypatch, read_from_positions_after_page_one
):
    monkeypatch.setattr(StorySitemap, "limit", 3)
    for number in range(10):
        make_story({"en": f"Story {number}"})

    locations = []
    for number in range(1, 5):
        page = without_offset(f"/sitemap-stories-{number}.xml", client).content.decode()
        locations += [line for line in page.split("<loc>")[1:]]
    assert len(locations) == 10 and len(set(locations)) == 10
    assert client.get("/sitemap-stories-5.xml").status_code == 404
