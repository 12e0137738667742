"""A visitor reads the news on a phone (and once on a desktop), in English and in Chinese."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from news.models import NewsStory
from testkit.stories import make_story
from tests.browser.reader import expect_no_sideways_scrolling, expect_page_in, story_path, switch_language

ENGLISH_ONLY_TITLE = "Introducing Progress Visits"
CHINESE_ONLY_TITLE = "核实 ESCP 职员"
NEWEST_TITLE = re.compile(r"^Focus on Family-Friendly Spaces")


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_english_reader_finds_an_older_story_reads_it_in_chinese_and_returns_to_the_news(
    shared_news_site, request, screen
):
    page = request.getfixturevalue(f"shared_{screen}_page")
    english, chinese = shared_news_site.bilingual_story["en"], shared_news_site.bilingual_story["zh-hans"]

    page.goto("/news/")
    expect_page_in(page, "en", "Latest stories")
    expect(page).to_have_title("Latest stories · ICTI Ethical Toy Program")
    expect(page.locator(".story-card__title")).to_have_count(12)
    expect(page.locator(".story-card__title").first).to_have_text(NEWEST_TITLE)

    page.get_by_role("link", name="Older stories").click()
    expect(page).to_have_url(f"{shared_news_site.url}/news/?page=2")
    expect_page_in(page, "en", "Older stories")
    expect(page.locator(".pagination__position")).to_have_text("Page 2")
    expect(page.locator(".story-card__title")).to_have_count(11)
    # The last page: no link further.
    expect(page.get_by_role("link", name="Older stories")).to_have_count(0)

    page.get_by_role("link", name=english["title"]).click()
    expect(page).to_have_url(shared_news_site.url + story_path("", english["slug"]))
    expect_page_in(page, "en", english["title"])
    if screen == "phone":
        expect_no_sideways_scrolling(page)

    switch_language(page, "中文")
    expect(page).to_have_url(shared_news_site.url + story_path("/zh", chinese["slug"]))
    expect_page_in(page, "zh-Hans", chinese["title"])
    expect(page.locator("article.story .language-label")).to_have_count(0)

    page.get_by_role("link", name="全部新闻").click()
    expect(page).to_have_url(f"{shared_news_site.url}/zh/news/")
    expect_page_in(page, "zh-Hans", "最新动态")


def test_english_only_story_stays_in_english_with_a_label_after_switching_to_chinese(
    shared_news_site, shared_phone_page
):
    page = shared_phone_page
    page.goto("/news/?page=2")

    page.get_by_role("link", name=ENGLISH_ONLY_TITLE).click()
    expect(page).to_have_url(shared_news_site.url + story_path("", "introducing-progress-visits"))
    expect_page_in(page, "en", ENGLISH_ONLY_TITLE)

    switch_language(page, "中文")
    expect(page).to_have_url(shared_news_site.url + story_path("/zh", "introducing-progress-visits"))
    expect_page_in(page, "zh-Hans", ENGLISH_ONLY_TITLE)
    expect(page.locator("article.story").get_by_text("仅有英文版")).to_be_visible()
    expect(page.locator("article.story")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="全部新闻")).to_be_visible()
    expect_no_sideways_scrolling(page)

    page.get_by_role("link", name="全部新闻").click()
    expect(page).to_have_url(f"{shared_news_site.url}/zh/news/")
    expect_page_in(page, "zh-Hans", "最新动态")
    # English stories are listed in Chinese too, marked as English only.
    expect(page.get_by_role("link", name=NEWEST_TITLE)).to_be_visible()


def test_chinese_reader_finds_a_chinese_only_story_which_stays_in_chinese_in_english(
    shared_news_site, shared_phone_page
):
    page = shared_phone_page
    page.goto("/zh/news/")
    expect_page_in(page, "zh-Hans", "最新动态")
    expect(page).to_have_title("最新动态 · ICTI 玩具道德计划")
    expect(page.locator(".story-card__title")).to_have_count(12)

    page.get_by_role("link", name="较早的新闻").click()
    expect(page).to_have_url(f"{shared_news_site.url}/zh/news/?page=2")
    expect_page_in(page, "zh-Hans", "较早的新闻")
    expect(page.locator(".pagination__position")).to_have_text("第 2 页")

    page.get_by_role("link", name=CHINESE_ONLY_TITLE).click()
    expect(page).to_have_url(shared_news_site.url + story_path("/zh", "核实-escp-职员"))
    expect_page_in(page, "zh-Hans", CHINESE_ONLY_TITLE)
    expect(page.locator("article.story .language-label")).to_have_count(0)
    expect_no_sideways_scrolling(page)

    switch_language(page, "EN")
    expect(page).to_have_url(shared_news_site.url + story_path("", "核实-escp-职员"))
    expect_page_in(page, "en", CHINESE_ONLY_TITLE)
    expect(page.locator("article.story").get_by_text("In Chinese only")).to_be_visible()
    expect(page.locator("article.story")).to_have_attribute("lang", "zh-Hans")

    page.get_by_role("link", name="All stories").click()
    expect(page).to_have_url(f"{shared_news_site.url}/news/")
    expect_page_in(page, "en", "Latest stories")


def test_chinese_reader_switching_to_english_on_a_bilingual_story_gets_the_english_version(
    shared_news_site, shared_phone_page
):
    page = shared_phone_page
    english, chinese = shared_news_site.bilingual_story["en"], shared_news_site.bilingual_story["zh-hans"]
    page.goto("/zh/news/?page=2")

    page.get_by_role("link", name=chinese["title"]).click()
    expect(page).to_have_url(shared_news_site.url + story_path("/zh", chinese["slug"]))
    expect_page_in(page, "zh-Hans", chinese["title"])

    switch_language(page, "EN")
    expect(page).to_have_url(shared_news_site.url + story_path("", english["slug"]))
    expect_page_in(page, "en", english["title"])
    expect(page).to_have_title(f"{english['title']} · ICTI Ethical Toy Program")


def test_reader_follows_a_cards_category_chip_and_a_storys_date_to_their_pages(news_site, phone_page):
    make_story(
        {
            "en": {"title": "Toy fair in Hong Kong", "slug": "toy-fair", "event_place": "Hong Kong"},
            "zh-hans": {"title": "香港玩具展", "slug": "香港玩具展", "event_place": "香港"},
        },
        category=NewsStory.Category.EVENT,
        publish_date=datetime.date(2023, 11, 1),
        event_date=datetime.date(2024, 1, 8),
    )
    page = phone_page
    page.goto("/news/")

    # The chip sits above the link that covers the whole card: a tap on it opens the category.
    page.locator(".story-card", has_text="Toy fair in Hong Kong").get_by_role("link", name="Event").click()
    expect(page).to_have_url(f"{news_site.url}/news/category/event/")
    expect_page_in(page, "en", "Events")
    expect(page.locator(".story-card__event")).to_have_text(["Event: January 8, 2024, Hong Kong"])

    switch_language(page, "中文")
    expect(page).to_have_url(f"{news_site.url}/zh/news/category/event/")
    expect_page_in(page, "zh-Hans", "活动")

    page.get_by_role("link", name="香港玩具展").click()
    expect(page.locator(".story__event")).to_have_text("活动：2024年1月8日，香港")
    page.locator(".story__meta").get_by_role("link", name="2023年11月1日").click()
    expect(page).to_have_url(f"{news_site.url}/zh/news/2023/")
    expect_page_in(page, "zh-Hans", "2023年的新闻")
    page.get_by_role("link", name="2022年的新闻").click()
    expect(page).to_have_url(f"{news_site.url}/zh/news/2022/")
    expect_no_sideways_scrolling(page)
