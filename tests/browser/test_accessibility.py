"""Every public page passes axe-core and can be used with the keyboard alone, in both languages."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

BILINGUAL_STORY = quote("worker-helplines-in-five-languages")
CHINESE_ONLY_STORY = quote("核实-escp-职员")
ENGLISH_ONLY_STORY = "introducing-progress-visits"

MEMBERSHIP_PAGES = [
    "/buyer-membership/",
    "/buyer-membership/thank-you/",
    "/zh/buyer-membership/",
    "/zh/buyer-membership/thank-you/",
]
PUBLIC_PAGES = [
    "/news/",
    "/news/?page=2",
    f"/news/{BILINGUAL_STORY}/",
    f"/news/{CHINESE_ONLY_STORY}/",
    "/news/no-such-story/",
    "/news/category/blog/",
    "/news/2023/",
    "/zh/news/",
    "/zh/news/category/blog/",
    "/zh/news/2022/",
    "/zh/news/?page=2",
    f"/zh/news/{quote('工人热线五种语言')}/",
    f"/zh/news/{CHINESE_ONLY_STORY}/",
    f"/zh/news/{ENGLISH_ONLY_STORY}/",
    "/zh/news/no-such-story/",
    *MEMBERSHIP_PAGES,
    "/privacy/",
    "/zh/privacy/",
    "/search/",
    "/search/?q=audits",
    f"/zh/search/?q={quote('微信')}",
    "/zh/search/?q=no-such-word",
]

# What a keyboard reaches, in the order the page's HTML lists it: every visible, enabled control without
# tabindex="-1", and one stop per radio group (its checked button, or the first when none is checked).
# Each is numbered in data-tab-order; returns their names.
FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]"
NUMBER_TAB_STOPS = """elements => {
  const stops = elements.filter(element => {
    if (element.disabled || element.tabIndex < 0 || !element.checkVisibility()) return false;
    if (element.type !== "radio") return true;
    const group = Array.from(element.form.elements)
      .filter(other => other.type === "radio" && other.name === element.name);
    const checked = group.find(other => other.checked);
    return checked ? element === checked : element === group[0];
  });
  return stops.map((element, order) => {
    element.dataset.tabOrder = order;
    return (element.labels && element.labels[0] ? element.labels[0] : element).textContent.trim();
  });
}"""
FOCUSED_ELEMENT = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  return {
    order: element.dataset.tabOrder === undefined ? null : Number(element.dataset.tabOrder),
    name: (element.labels && element.labels[0] ? element.labels[0] : element).textContent.trim(),
    focusVisible: style.outlineStyle !== "none" || style.boxShadow !== "none",
  };
}"""
SUBMIT = {"/buyer-membership/": "Submit application", "/zh/buyer-membership/": "提交申请"}
PRIVACY_NOTICE = {"/buyer-membership/": "Privacy notice", "/zh/buyer-membership/": "隐私声明"}


def assert_tab_reaches_every_control_in_order(page):
    """Tabs from the top of the page to past its last control; returns the names of the controls reached."""
    stops = page.eval_on_selector_all(FOCUSABLE, NUMBER_TAB_STOPS)
    reached = []
    for _ in range(len(stops) + 1):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_ELEMENT)
        if focused is None:  # past the last control, focus leaves the page
            break
        assert focused["focusVisible"], f"no visible focus on {focused['name']!r}"
        reached.append(focused["order"])

    assert reached == list(range(len(stops))), f"tab order {reached} for {stops}"
    return stops


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_axe_violations(shared_news_site, shared_phone_page, assert_no_axe_violations, path):
    response = shared_phone_page.goto(path)

    assert response.status == (404 if "no-such-story" in path else 200)
    assert_no_axe_violations(shared_phone_page)


@pytest.mark.parametrize("path", ["/news/", "/zh/news/"])
def test_first_tab_reaches_a_visible_skip_link_that_moves_focus_to_the_content(
    shared_news_site, shared_phone_page, path
):
    page = shared_phone_page
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
def test_tab_reaches_every_link_in_order_with_a_visible_focus(shared_news_site, shared_phone_page, path, language_link):
    page = shared_phone_page
    page.goto(path)
    reached = assert_tab_reaches_every_control_in_order(page)

    assert language_link in reached
    assert set(page.locator(".story-card__title a").all_inner_texts()) <= set(reached)


@pytest.mark.parametrize("path", SUBMIT)
def test_membership_form_with_errors_has_no_axe_violations(membership_site, phone_page, assert_no_axe_violations, path):
    page = phone_page
    page.goto(path)
    page.get_by_role("button", name=SUBMIT[path]).click()

    expect(page.get_by_role("alert")).to_be_focused()
    assert_no_axe_violations(page)


@pytest.mark.parametrize("path", SUBMIT)
def test_too_many_submissions_page_has_no_axe_violations(
    membership_site, settings, phone_page, assert_no_axe_violations, path
):
    settings.MEMBERSHIP_POSTS_PER_IP = 0  # any post, even an empty form, is over the ceiling
    page = phone_page
    page.goto(path)
    with page.expect_response(lambda response: response.request.method == "POST") as submitted:
        page.get_by_role("button", name=SUBMIT[path]).click()

    assert submitted.value.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Too many submissions|提交次数过多"))
    assert_no_axe_violations(page)


@pytest.mark.parametrize("path", SUBMIT)
def test_tab_reaches_every_membership_form_control_in_order_with_a_visible_focus(membership_site, phone_page, path):
    page = phone_page
    page.goto(path)

    reached = assert_tab_reaches_every_control_in_order(page)

    # Submitting ends the form; only the footer's link to the privacy notice comes after it.
    assert reached[-2:] == [SUBMIT[path], PRIVACY_NOTICE[path]]
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name=PRIVACY_NOTICE[path], exact=True)).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name=SUBMIT[path])).to_be_focused()
