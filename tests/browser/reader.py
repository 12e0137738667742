"""What a reader does and checks on the news pages, on a phone: steps the visitor and search journeys share."""

import re
from urllib.parse import quote

from playwright.sync_api import expect


def story_path(language_prefix, slug):
    return f"{language_prefix}/news/{quote(slug)}/"


def expect_page_in(page, html_lang, heading):
    expect(page.locator("html")).to_have_attribute("lang", html_lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def expect_no_sideways_scrolling(page):
    # Nothing wider than the phone: a reader never scrolls sideways to finish a line.
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def switch_language(page, label):
    page.get_by_role("navigation", name=re.compile("Language|语言")).get_by_role("link", name=label).click()
