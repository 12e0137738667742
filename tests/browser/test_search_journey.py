"""A visitor searches the news from the header, on a phone, in Chinese, and reads what was found."""

import re
from urllib.parse import quote

from playwright.sync_api import expect

from tests.browser.reader import (
    expect_no_sideways_scrolling,
    expect_page_in,
    story_path,
    switch_language,
)


def expect_header_in_one_row(page):
    tops = page.eval_on_selector_all(
        ".site-name, .site-nav a, .language-switch a", "elements => elements.map(e => e.getBoundingClientRect().top)"
    )
    assert max(tops) - min(tops) < 4, tops


def test_chinese_reader_searches_from_the_header_opens_a_result_and_reads_it_in_english(
    shared_news_site, shared_phone_page, assert_no_axe_violations
):
    page = shared_phone_page
    english, chinese = shared_news_site.bilingual_story["en"], shared_news_site.bilingual_story["zh-hans"]
    page.goto("/zh/news/")

    page.get_by_role("banner").get_by_role("link", name="搜索").click()
    expect(page).to_have_url(f"{shared_news_site.url}/zh/search/")
    expect_page_in(page, "zh-Hans", "搜索")
    expect_header_in_one_row(page)
    search_box = page.get_by_label("搜索中英文新闻")
    expect(search_box).to_be_focused()

    # A word inside the title "工人热线现提供五种语言服务": Chinese has no spaces between words.
    search_box.fill("热线")
    search_box.press("Enter")
    expect(page).to_have_url(f"{shared_news_site.url}/zh/search/?q={quote('热线')}")
    expect_page_in(page, "zh-Hans", "“热线”的搜索结果")
    expect(page).to_have_title(re.compile("^“热线”的搜索结果 · "))
    expect(page.get_by_text("找到 1 篇新闻")).to_be_visible()
    expect(page.locator(".story-card mark")).to_have_text(["热线"])
    expect_no_sideways_scrolling(page)
    assert_no_axe_violations(page)

    page.get_by_role("link", name=chinese["title"]).click()
    expect(page).to_have_url(shared_news_site.url + story_path("/zh", chinese["slug"]))
    expect_page_in(page, "zh-Hans", chinese["title"])
    # Under the story, the way to pass it on in WeChat.
    share = page.get_by_role("region", name="分享这篇新闻")
    share.scroll_into_view_if_needed()
    expect(share.get_by_role("img", name="本页网址的二维码")).to_be_visible()
    expect(share.get_by_text("扫码分享到微信")).to_be_visible()

    switch_language(page, "EN")
    expect(page).to_have_url(shared_news_site.url + story_path("", english["slug"]))
    expect_page_in(page, "en", english["title"])


def test_switching_language_on_the_results_keeps_the_search(shared_news_site, shared_phone_page):
    page = shared_phone_page
    page.goto("/search/?q=audits")
    expect_page_in(page, "en", "Search results for “audits”")
    expect(page.locator(".story-card mark").first).to_have_text(re.compile("^audit", re.I))
    expect_header_in_one_row(page)

    switch_language(page, "中文")
    expect(page).to_have_url(f"{shared_news_site.url}/zh/search/?q=audits")
    expect_page_in(page, "zh-Hans", "“audits”的搜索结果")
    # English stories found from the Chinese page are labelled.
    expect(page.locator(".story-card").first.get_by_text("仅有英文版")).to_be_visible()
