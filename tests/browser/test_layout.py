"""The layout holds at every width, in both languages, with real glyphs (Debian's Noto CJK font)."""

import datetime
from urllib.parse import quote

import pytest

from testkit.stories import make_story

from .conftest import at_each_width

CHINESE_ONLY_STORY = quote("核实-escp-职员")
ENGLISH_ONLY_STORY = "introducing-progress-visits"
HOSTILE_TITLES = {
    "long-word": "Supercalifragilisticexpialidociousfactoryauditingprogrammeannouncement" * 2,
    "long-url": "See https://ethicaltoyprogram.org/news/a-very-long-address-that-never-breaks-at-a-space/",
    "long-chinese": "审核截止日期" * 33 + "止",
}
WIDTHS = [320, 375, 768, 1280]


@pytest.fixture
def awkward_stories(news_site):
    """Stories that test a layout: unbroken words, a long URL, a 200-character Chinese title, no text at all."""
    for slug, title in HOSTILE_TITLES.items():
        language = "zh-hans" if slug == "long-chinese" else "en"
        make_story({language: {"title": title, "slug": slug, "summary": title}}, publish_date=datetime.date(2026, 1, 1))
    return news_site


def public_paths():
    for prefix in ["", "/zh"]:
        yield from [
            f"{prefix}/news/",
            f"{prefix}/news/?page=2",
            f"{prefix}/news/{CHINESE_ONLY_STORY}/",
            f"{prefix}/news/{ENGLISH_ONLY_STORY}/",
            f"{prefix}/news/long-word/",
            f"{prefix}/news/long-url/",
            f"{prefix}/news/long-chinese/",
            f"{prefix}/buyer-membership/",
            f"{prefix}/buyer-membership/thank-you/",
            f"{prefix}/privacy/",
            f"{prefix}/news/category/news/",
            f"{prefix}/news/2023/",
            f"{prefix}/news/no-such-story/",
        ]


def test_no_public_page_scrolls_sideways(awkward_stories, open_page):
    page = open_page({"width": WIDTHS[0], "height": 800})
    too_wide = []
    for path in public_paths():
        page.goto(path)
        for width in at_each_width(page, WIDTHS):
            if page.evaluate("document.documentElement.scrollWidth") > width:
                too_wide.append(f"{path} at {width} px")

    assert too_wide == []


@pytest.mark.parametrize("path", ["/news/", "/zh/news/"])
def test_phone_header_is_one_row(shared_news_site, open_shared_page, path):
    page = open_shared_page({"width": 320, "height": 800})
    page.goto(path)

    for width in at_each_width(page, [320, 375, 430]):
        tops = page.eval_on_selector_all(
            ".site-name, .site-nav a, .language-switch a",
            "elements => elements.map(e => e.getBoundingClientRect().top)",
        )
        assert max(tops) - min(tops) < 4, f"{width} px: {tops}"


CARD_TEXT_STYLE = """card => {
  const style = getComputedStyle(card.querySelector(".story-card__summary") || card.querySelector("h2"));
  return {fontFamily: style.fontFamily, lineHeight: style.lineHeight};
}"""


@pytest.mark.parametrize("title", ["核实 ESCP 职员", "Introducing Progress Visits"])
def test_a_card_is_set_in_its_own_languages_type_on_either_page(shared_news_site, shared_desktop_page, title):
    styles = []
    for path in ["/news/", "/zh/news/", "/news/?page=2", "/zh/news/?page=2"]:
        shared_desktop_page.goto(path)
        card = shared_desktop_page.locator(".story-card", has_text=title)
        if card.count():
            styles.append(card.evaluate(CARD_TEXT_STYLE))

    assert len(styles) == 2 and styles[0] == styles[1]
    # The Chinese stack names Chinese fonts before system-ui; the Latin one starts with system-ui.
    assert styles[0]["fontFamily"].startswith("-apple-system") == (title == "核实 ESCP 职员")


def test_chinese_pages_use_the_chinese_font_stack_and_line_height(shared_news_site, shared_desktop_page):
    shared_desktop_page.goto("/zh/news/")
    body = shared_desktop_page.evaluate(
        "(() => { const s = getComputedStyle(document.body); return [s.fontFamily, s.lineHeight, s.fontSize]; })()"
    )

    font_family, line_height, font_size = body
    assert font_family.startswith("-apple-system") and "Noto Sans CJK SC" in font_family
    assert float(line_height.removesuffix("px")) == pytest.approx(1.8 * float(font_size.removesuffix("px")))


def test_wechat_qr_code_in_the_footer_scans_to_the_account(shared_news_site, settings, shared_phone_page):
    import io

    import zxingcpp
    from PIL import Image

    settings.WECHAT_ACCOUNT_URL = "https://weixin.qq.com/r/ietp-escp-example"
    shared_phone_page.goto("/zh/news/")
    code = shared_phone_page.get_by_role("img", name="本计划微信公众号的二维码")
    code.scroll_into_view_if_needed()
    shared_phone_page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=code.element_handle())

    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())))

    assert [result.text for result in scanned] == ["https://weixin.qq.com/r/ietp-escp-example"]
