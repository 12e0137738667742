"""How the membership form sits on a screen, in both languages: measured in Chromium, not guessed from the CSS."""

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, at_each_width

FORMS = {"/buyer-membership/": "Submit application", "/zh/buyer-membership/": "提交申请"}
DESKTOP_HEIGHT = DESKTOP["height"]
CONSENT = {"/buyer-membership/": "I consent to IETP", "/zh/buyer-membership/": "我同意 IETP"}


def submit_empty(page, path):
    page.goto(path)
    page.get_by_role("button", name=FORMS[path]).click()
    expect(page.get_by_role("alert")).to_be_focused()


@pytest.mark.parametrize("path", FORMS)
def test_a_checkbox_with_an_error_keeps_its_label_help_and_error_in_one_column_on_a_phone(
    membership_site, phone_page, path
):
    page = phone_page
    submit_empty(page, path)

    checkbox = page.get_by_role("checkbox", name=CONSENT[path])
    field = page.locator(".form-field").filter(has=checkbox)
    label, help_text, error = [
        field.locator(selector).bounding_box()
        for selector in [".form-field__choice-text", ".form-field__help", ".form-field__errors"]
    ]

    assert label["x"] == pytest.approx(help_text["x"], abs=1) and label["x"] == pytest.approx(error["x"], abs=1)
    assert label["y"] + label["height"] <= help_text["y"] + 1
    assert help_text["y"] + help_text["height"] <= error["y"] + 1
    # The words get the row's width, not a sliver of it.
    assert min(label["width"], help_text["width"], error["width"]) > 0.8 * (field.bounding_box()["width"] - 30)
    box = checkbox.bounding_box()
    assert box["x"] < label["x"] and box["y"] < label["y"] + label["height"]


@pytest.mark.parametrize("path", FORMS)
def test_on_a_desktop_the_form_starts_on_the_first_screen_beside_what_membership_means(
    membership_site, desktop_page, path
):
    page = desktop_page
    page.goto(path)

    first_field = page.locator("form.membership-form").locator("input:visible, select, textarea").first
    assert first_field.get_attribute("name") == "company_name"
    assert first_field.bounding_box()["y"] + first_field.bounding_box()["height"] < DESKTOP_HEIGHT
    # Who can join sits to the left of the form, not above it.
    who_can_join = page.locator("#who-title").bounding_box()
    assert who_can_join["x"] + who_can_join["width"] < first_field.bounding_box()["x"]


@pytest.mark.parametrize("path", FORMS)
def test_section_headings_stand_above_labels_and_boxes_fit_what_goes_in_them(membership_site, desktop_page, path):
    page = desktop_page
    page.goto(path)

    def font_size(locator):
        return float(locator.evaluate("element => getComputedStyle(element).fontSize").removesuffix("px"))

    section_heading = page.locator(".membership-form__section h3").first
    for label in [page.locator("label[for=id_company_name]"), page.locator("fieldset legend").first]:
        assert font_size(section_heading) >= 1.25 * font_size(label)
    company_name = page.locator("#id_company_name").bounding_box()["width"]
    factory_count = page.locator("#id_supplier_factory_count").bounding_box()["width"]
    message = page.locator("#id_message").bounding_box()["width"]
    assert factory_count <= 160 < company_name < message


# What a finger taps: boxes, buttons, the rows of choices, and the summaries that unfold.
TAP_TARGETS = """() => Array.from(document.querySelectorAll(
  'main input:not([type=checkbox], [type=radio], [type=hidden]), main select, main textarea, main button, '
  + 'main summary, main label:has(input[type=checkbox], input[type=radio])'
)).filter(element => element.checkVisibility()).map(element => ({
  what: element.outerHTML.slice(0, 80), height: element.getBoundingClientRect().height,
}))"""


@pytest.mark.parametrize("path", FORMS)
def test_every_tap_target_on_the_form_is_at_least_44_px_high_on_a_phone(membership_site, phone_page, path):
    page = phone_page
    submit_empty(page, path)
    page.locator("details.country-choices__others > summary").click()

    targets = page.evaluate(TAP_TARGETS)

    assert len(targets) > 250  # the unfolded countries included
    assert [target["what"] for target in targets if target["height"] < 43.5] == []


@pytest.mark.parametrize("path", FORMS)
def test_the_form_with_mistakes_never_scrolls_sideways(membership_site, open_page, path):
    page = open_page({"width": 320, "height": 800})
    submit_empty(page, path)
    page.locator("details.country-choices__others > summary").click()

    too_wide = [
        width
        for width in at_each_width(page, [320, 375, 768, 1280])
        if page.evaluate("document.documentElement.scrollWidth") > width
    ]
    assert too_wide == []
