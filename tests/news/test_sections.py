"""Category and year pages, and event dates and places, as a visitor sees them in English and Chinese."""

import datetime

import pytest
from pytest_django.asserts import assertContains, assertInHTML

from news.models import NewsStory
from testkit.pages import card_titles, name_cache_generation, parse_page

pytestmark = pytest.mark.django_db

EVENT = NewsStory.Category.EVENT
BLOG = NewsStory.Category.BLOG


def links(page, rel):
    return [link.attrs["href"] for link in parse_page(page).find_all("a", rel=rel)]


# --- Category pages -----------------------------------------------------------------------------


def test_category_page_lists_only_that_category_newest_first(client, make_story):
    make_story({"en": "Old fair", "zh-hans": "旧展会"}, category=EVENT, publish_date=datetime.date(2021, 3, 1))
    make_story({"en": "New fair", "zh-hans": "新展会"}, category=EVENT, publish_date=datetime.date(2024, 3, 1))
    make_story({"en": "Plain news"}, publish_date=datetime.date(2024, 5, 1))
    make_story({"en": "A blog post"}, category=BLOG)

    english = client.get("/news/category/event/")
    chinese = client.get("/zh/news/category/event/")

    assert english.status_code == 200 and chinese.status_code == 200
    assert card_titles(english) == ["New fair", "Old fair"]
    assert card_titles(chinese) == ["新展会", "旧展会"]
    assertContains(english, "<h1>Events</h1>", html=True)
    assertContains(chinese, "<h1>活动</h1>", html=True)
    assert parse_page(english).find("title").text.startswith("Events ·")
    assert parse_page(chinese).find("title").text.startswith("活动 ·")
    assert card_titles(client.get("/news/category/blog/")) == ["A blog post"]
    assertContains(client.get("/zh/news/category/blog/"), "<h1>博客文章</h1>", html=True)
    assert card_titles(client.get("/news/category/news/")) == ["Plain news"]


def test_empty_category_is_a_page_that_says_so(client, db):
    response = client.get("/zh/news/category/blog/")
    assert response.status_code == 200
    assert "这里暂无已发布的新闻。" in response.content.decode()


@pytest.mark.parametrize("category", ["events", "Event", "nope", "%00", "x" * 300])
def test_unknown_categories_are_not_found(client, make_story, category):
    make_story({"en": "A fair"}, category=EVENT)
    assert client.get(f"/news/category/{category}/").status_code == 404
    assert client.get(f"/zh/news/category/{category}/").status_code == 404


def test_category_pages_are_paginated_like_the_list(client, make_story):
    for day in range(1, 15):
        make_story({"en": f"Fair {day}"}, category=EVENT, publish_date=datetime.date(2023, 1, day))

    first = client.get("/news/category/event/")
    second = client.get("/zh/news/category/event/?page=2")

    assert len(card_titles(first)) == 12 and links(first, "next") == ["?page=2"]
    assert card_titles(second) == ["Fair 2", "Fair 1"] and links(second, "prev") == ["?page=1"]
    assert parse_page(second).find("title").text.startswith("活动，第 2 页 ·")
    for page in ["0", "3", "abc", "99999999999999999999999"]:
        assert client.get(f"/news/category/event/?page={page}").status_code == 404


def test_category_pages_link_the_other_language(client, make_story):
    make_story({"en": "A fair"}, category=EVENT)

    english = client.get("/news/category/event/?page=1").content.decode()
    chinese = client.get("/zh/news/category/event/").content.decode()

    assertInHTML('<link rel="alternate" hreflang="zh-Hans" href="http://testserver/zh/news/category/event/">', english)
    assert parse_page(english).find("a", href="/zh/news/category/event/", hreflang="zh-Hans")
    assert parse_page(chinese).find("a", href="/news/category/event/", hreflang="en")


# --- Year pages ---------------------------------------------------------------------------------


def test_year_page_lists_that_years_stories_and_links_the_neighbouring_years(client, make_story):
    make_story({"en": "Late 2023", "zh-hans": "2023年末"}, publish_date=datetime.date(2023, 12, 31))
    make_story({"en": "Early 2023", "zh-hans": "2023年初"}, publish_date=datetime.date(2023, 1, 1))
    make_story({"en": "From 2024"}, publish_date=datetime.date(2024, 1, 1))
    make_story({"en": "From 2021"}, publish_date=datetime.date(2021, 6, 1))
    make_story({"en": "Undated"}, publish_date=None)
    make_story({"en": "Draft of 2023"}, publish_date=datetime.date(2023, 5, 5), status=NewsStory.Status.DRAFT)

    english = client.get("/news/2023/")
    chinese = client.get("/zh/news/2023/")

    assert card_titles(english) == ["Late 2023", "Early 2023"]
    assert card_titles(chinese) == ["2023年末", "2023年初"]
    assertContains(english, "<h1>Stories from 2023</h1>", html=True)
    assertContains(chinese, "<h1>2023年的新闻</h1>", html=True)
    other_years = parse_page(chinese).find("nav", class_="section-nav")
    assert [(link.attrs["href"], link.text) for link in other_years.find_all("a")] == [
        ("/zh/news/2024/", "2024年的新闻"),
        ("/zh/news/2021/", "2021年的新闻"),
        ("/zh/news/", "全部新闻"),
    ]
    assert parse_page(english).find("a", href="/zh/news/2023/", hreflang="zh-Hans")
    assert parse_page(chinese).find("a", href="/news/2023/", hreflang="en")


@pytest.mark.parametrize("year", ["2022", "2030", "0000", "9999", "1999"])
def test_years_without_published_stories_are_not_found(client, make_story, year):
    make_story({"en": "Of 2023"}, publish_date=datetime.date(2023, 5, 1))
    make_story({"en": "Draft of 2022"}, publish_date=datetime.date(2022, 5, 1), status=NewsStory.Status.DRAFT)
    make_story({"en": "Scheduled"}, publish_date=datetime.date(2030, 5, 1))

    assert client.get(f"/news/{year}/").status_code == 404
    assert client.get(f"/zh/news/{year}/").status_code == 404


def test_year_pages_are_paginated_and_bad_page_numbers_are_not_found(client, make_story):
    for day in range(1, 15):
        make_story({"en": f"Day {day}"}, publish_date=datetime.date(2023, 1, day))

    second = client.get("/news/2023/?page=2")

    assert card_titles(second) == ["Day 2", "Day 1"]
    assert parse_page(second).find("title").text.startswith("Stories from 2023, page 2 ·")
    for page in ["0", "3", "abc", "1.5"]:
        assert client.get(f"/zh/news/2023/?page={page}").status_code == 404


def test_stories_slugged_like_a_year_or_category_keep_their_addresses(client, make_story):
    make_story({"en": {"title": "The year in review", "slug": "2023"}}, publish_date=datetime.date(2023, 12, 1))
    make_story({"en": {"title": "What a category is", "slug": "category"}})

    by_year_slug = client.get("/news/2023/")
    by_category_slug = client.get("/news/category/")

    assert by_year_slug.status_code == 200
    assertContains(by_year_slug, "<h1>The year in review</h1>", html=True)
    assertContains(by_category_slug, "<h1>What a category is</h1>", html=True)
    # Renamed, the story's old address still leads to it, as every old address does.
    story = NewsStory.objects.get(translations__slug="2023")
    story.set_current_language("en")
    story.slug = "the-year-in-review"
    story.save()
    redirect = client.get("/news/2023/")
    assert redirect.status_code == 301 and redirect.headers["Location"] == "/news/the-year-in-review/"
    # Other years still have their pages.
    assert client.get("/news/2022/").status_code == 404
    make_story({"en": "Of 2022"}, publish_date=datetime.date(2022, 1, 1))
    assert card_titles(client.get("/news/2022/")) == ["Of 2022"]


# --- Links to them ------------------------------------------------------------------------------


def test_card_chips_lead_to_their_category_and_plain_news_has_none(client, make_story):
    make_story({"en": "A fair", "zh-hans": "展会"}, category=EVENT)
    make_story({"en": "A post"}, category=BLOG)
    make_story({"en": "Plain news"})

    english = parse_page(client.get("/news/"))
    chinese = parse_page(client.get("/zh/news/"))

    chips = [(chip.attrs["href"], chip.text) for chip in english.find_all("a", class_="story-card__category")]
    assert sorted(chips) == [("/news/category/blog/", "Blog"), ("/news/category/event/", "Event")]
    assert chinese.find("a", class_="story-card__category", href="/zh/news/category/event/").text == "活动"


def test_story_page_links_its_category_and_its_year(client, make_story):
    make_story(
        {"en": {"title": "Toy fair", "slug": "toy-fair"}, "zh-hans": {"title": "玩具展", "slug": "玩具展"}},
        category=EVENT,
        publish_date=datetime.date(2023, 10, 18),
    )

    english = parse_page(client.get("/news/toy-fair/")).find("p", class_="story__meta")
    chinese = parse_page(client.get("/zh/news/玩具展/")).find("p", class_="story__meta")

    assert english.find("a", href="/news/category/event/").text == "Event"
    assert english.find("a", href="/news/2023/").text == "October 18, 2023"
    assert chinese.find("a", href="/zh/news/category/event/").text == "活动"
    assert chinese.find("a", href="/zh/news/2023/").text == "2023年10月18日"


# --- Event date and place -----------------------------------------------------------------------


def test_event_date_and_place_are_shown_on_card_and_page_in_the_page_language(client, make_story):
    make_story(
        {
            "en": {"title": "Toy fair", "slug": "toy-fair", "event_place": "Shenzhen"},
            "zh-hans": {"title": "玩具展", "slug": "玩具展", "event_place": "深圳"},
        },
        category=EVENT,
        event_date=datetime.date(2024, 3, 12),
    )

    english_card = parse_page(client.get("/news/")).find(class_="story-card__event")
    chinese_card = parse_page(client.get("/zh/news/")).find(class_="story-card__event")
    english_page = parse_page(client.get("/news/toy-fair/")).find(class_="story__event")
    chinese_page = parse_page(client.get("/zh/news/玩具展/")).find(class_="story__event")

    assert english_card.text == english_page.text == "Event: March 12, 2024, Shenzhen"
    assert chinese_card.text == chinese_page.text == "活动：2024年3月12日，深圳"


def test_event_with_only_a_date_or_a_place_shows_what_it_has(client, make_story):
    make_story({"en": "Dated fair"}, category=EVENT, event_date=datetime.date(2024, 3, 12))
    make_story({"en": {"title": "Placed fair", "event_place": "Dongguan"}}, category=EVENT)
    make_story({"en": "Fair without details"}, category=EVENT)

    details = [p.text for p in parse_page(client.get("/news/")).find_all(class_="story-card__event")]

    assert sorted(details) == ["Event: Dongguan", "Event: March 12, 2024"]


def test_event_details_are_shown_only_for_events(client, make_story):
    make_story({"en": {"title": "Was an event", "event_place": "Shenzhen"}}, event_date=datetime.date(2024, 3, 12))

    assert parse_page(client.get("/news/")).find(class_="story-card__event") is None


# --- Speed --------------------------------------------------------------------------------------


@pytest.mark.parametrize("story_count", [10, 200])
def test_category_and_year_pages_run_a_fixed_number_of_queries(
    client, make_story, django_assert_max_num_queries, story_count
):
    for number in range(story_count):
        make_story(
            {"en": f"Story {number}", "zh-hans": f"新闻 {number}"} if number % 2 else {"en": f"Story {number}"},
            publish_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=number),
            category=[EVENT, BLOG, NewsStory.Category.NEWS][number % 3],
        )

    # Category pages: count, stories, translations.
    name_cache_generation()  # once per change, not per page: see tests/caching/test_page_cache.py
    for path in ["/news/category/event/", "/zh/news/category/blog/?page=last"]:
        with django_assert_max_num_queries(3):
            assert client.get(path).status_code == 200
    # Year pages also ask whether a story has, or had, the year as its slug, whether the year has stories
    # (YearArchiveView asks twice), and which years come before and after (the story it reads for each arrives
    # with its public versions).
    for path in ["/news/2020/", "/zh/news/2020/?page=last"]:
        with django_assert_max_num_queries(10):
            assert client.get(path).status_code == 200
