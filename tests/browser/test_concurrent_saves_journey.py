"""Two editors edit the same story at once, each in a browser of their own, in either admin language: changes to
different fields are both kept; where both changed the same field, the second to save sees both versions side by
side, chooses per field, and saves (news/merging.py)."""

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from news import publishing
from news.roles import ensure_editors_group
from testkit.stories import make_story

PASSWORD = "correct horse battery staple"
DESKTOP = {"width": 1280, "height": 900}
PHONE_390 = {"width": 390, "height": 844}
ADMINS = {"/admin/": "en", "/zh/admin/": "zh-hans"}


def said(message, language):
    with translation.override(language):
        return gettext(message)


@pytest.fixture
def live_story(transactional_db, live_server):
    return make_story(
        {
            "en": {
                "title": "Twelve brands sign the audit pledge",
                "slug": "twelve-brands-sign-the-audit-pledge",
                "summary": "The brands will share audit results.",
                "body": "<h2>What they promised</h2><p>Each brand will <strong>publish</strong> its audits.</p>",
            }
        }
    )


def editor_page(page_logged_in_as, django_user_model, username):
    """A browser of its own, logged in to the admin as an editor in the Editors group."""
    editor = django_user_model.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    # The live server's database is emptied after each test, the group with it: made again here.
    editor.groups.add(ensure_editors_group())
    return page_logged_in_as(editor)


def open_story(page, story, admin):
    page.goto(f"{admin}news/newsstory/{story.pk}/change/?language=en")
    expect(page.locator("#id_title")).to_have_value(story.title)


def save_draft(page):
    page.locator("input[name=_continue]").click()
    page.wait_for_load_state()


def type_at_end_of_body(page, text):
    body = page.locator(".field-body [contenteditable=true]")
    body.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


@pytest.mark.parametrize("admin", ADMINS)
def test_two_editors_keep_both_their_changes_and_choose_where_they_changed_the_same_field(
    page_logged_in_as, django_user_model, live_story, admin
):
    language = ADMINS[admin]
    mei = editor_page(page_logged_in_as, django_user_model, "mei")
    tom = editor_page(page_logged_in_as, django_user_model, "tom")
    open_story(mei, live_story, admin)
    open_story(tom, live_story, admin)

    # Different fields: Mei the summary, Tom the title; both kept.
    mei.locator("#id_summary").fill("Forty brands will share audit results with workers.")
    save_draft(mei)
    tom.locator("#id_title").fill("Forty brands sign the audit pledge")
    save_draft(tom)
    expect(tom.locator(".messagelist")).to_contain_text("mei")  # who saved before them
    expect(tom.locator("#id_title")).to_have_value("Forty brands sign the audit pledge")
    expect(tom.locator("#id_summary")).to_have_value("Forty brands will share audit results with workers.")
    draft = publishing.draft_of(live_story, "en").content
    assert draft["title"] == "Forty brands sign the audit pledge"
    assert draft["summary"] == "Forty brands will share audit results with workers."

    # The same fields: Tom saves a new title and body; Mei, whose form is from before, changes both too.
    tom.locator("#id_title").fill("Forty-one brands sign the audit pledge")
    type_at_end_of_body(tom, " Tom's addition.")
    save_draft(tom)
    expect(tom.locator("#id_title")).to_have_value("Forty-one brands sign the audit pledge")
    mei.locator("#id_title").fill("Forty brands sign the pledge")
    type_at_end_of_body(mei, " Mei's addition.")
    save_draft(mei)

    conflicts = mei.locator(".save-conflicts")
    expect(conflicts).to_contain_text(said("Another editor saved this story while you were editing it", language))
    expect(conflicts).to_contain_text("tom")
    expect(mei.locator(".errornote")).to_have_count(0)
    body = conflicts.locator(".save-conflict").nth(1)
    expect(body.locator(".save-conflict__text h2").first).to_have_text("What they promised")
    expect(body.locator(".save-conflict__version").nth(0)).to_contain_text("Tom's addition.")
    expect(body.locator(".save-conflict__version").nth(1)).to_contain_text("Mei's addition.")
    # Her typed text is still in the form; Tom's summary... and title as he left them are not lost either.
    expect(mei.locator("#id_title")).to_have_value("Forty brands sign the pledge")
    the_choice_fits_a_phone(mei, conflicts)

    title = conflicts.locator(".save-conflict").nth(0)
    title.get_by_role("radio", name=said("Keep mine", language)).check()
    body.get_by_role("radio", name=said("Keep theirs", language)).check()
    save_draft(mei)

    expect(mei.locator(".save-conflicts")).to_have_count(0)
    expect(mei.locator("#id_title")).to_have_value("Forty brands sign the pledge")
    draft = publishing.draft_of(live_story, "en").content
    assert draft["title"] == "Forty brands sign the pledge"
    assert "Tom's addition." in draft["body"] and "Mei's addition." not in draft["body"]
    assert draft["summary"] == "Forty brands will share audit results with workers."


def the_choice_fits_a_phone(page, conflicts):
    """On a 390 px phone nothing of the side-by-side choice is wider than the screen."""
    page.set_viewport_size(PHONE_390)
    conflicts.scroll_into_view_if_needed()
    box = conflicts.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_390["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    page.set_viewport_size(DESKTOP)
