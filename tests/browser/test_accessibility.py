"""Every public page passes axe-core and can be used with the keyboard alone, in both languages."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

BILINGUAL_STORY = quote("worker-helplines-in-five-languages")
CHINESE_ONLY_STORY = quote("核实-escp-职员")
ENGLISH_ONLY_STORY = "introducing-progress-visits"

PUBLIC_PAGES = [
    "/news/",
    "/news/?page=2",
    f"/news/{BILINGUAL_STORY}/",
    f"/news/{CHINESE_ONLY_STORY}/",
    "/news/no-such-story/",
    "/zh/news/",
    "/zh/news/?page=2",
    f"/zh/news/{quote('工人热线五种语言')}/",
    f"/zh/news/{CHINESE_ONLY_STORY}/",
    f"/zh/news/{ENGLISH_ONLY_STORY}/",
    "/zh/news/no-such-story/",
]

# Everything a keyboard can reach, in the order the page's HTML lists it.
FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])'
FOCUSED_ELEMENT = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  return {
    order: element.dataset.tabOrder === undefined ? null : Number(element.dataset.tabOrder),
    text: element.textContent.trim(),
    focusVisible: style.outlineStyle !== "none" || style.boxShadow !== "none",
  };
}"""


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_axe_violations(news_site, phone_page, assert_no_axe_violations, path):
    response = phone_page.goto(path)

    assert response.status == (404 if "no-such-story" in path else 200)
    assert_no_axe_violations(phone_page)


@pytest.mark.parametrize("path", ["/news/", "/zh/news/"])
def test_first_tab_reaches_a_visible_skip_link_that_moves_focus_to_the_content(news_site, phone_page, path):
    page = phone_page
    page.goto(path)

    page.keyboard.press("Tab")
    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    box = skip_link.bounding_box()
    viewport = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]

    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    # The next Tab goes on from the content, not from the top of the page.
    page.keyboard.press("Tab")
    expect(page.locator(".story-card__title a").first).to_be_focused()


@pytest.mark.parametrize(
    ("path", "language_link"),
    [("/news/", "中文"), ("/zh/news/?page=2", "EN"), (f"/news/{BILINGUAL_STORY}/", "中文")],
)
def test_tab_reaches_every_link_in_order_with_a_visible_focus(news_site, phone_page, path, language_link):
    page = phone_page
    page.goto(path)
    focusable = page.eval_on_selector_all(
        FOCUSABLE,
        """elements => elements.map((element, order) => {
            element.dataset.tabOrder = order;
            return element.textContent.trim();
        })""",
    )
    assert language_link in focusable
    assert set(page.locator(".story-card__title a").all_inner_texts()) <= set(focusable)

    reached = []
    for _ in range(len(focusable) + 1):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_ELEMENT)
        if focused is None:  # past the last control, focus leaves the page
            break
        assert focused["focusVisible"], f"no visible focus on {focused['text']!r}"
        reached.append(focused["order"])

    assert reached == list(range(len(focusable))), f"tab order {reached} for {focusable}"
