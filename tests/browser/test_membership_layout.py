"""How the membership form sits on a screen, in both languages: measured in Chromium, not guessed from the CSS."""

import pytest
from playwright.sync_api import expect

FORMS = {"/buyer-membership/": "Submit application", "/zh/buyer-membership/": "提交申请"}
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
