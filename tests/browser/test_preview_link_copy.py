"""The story form in a browser: "Create a preview link" saves what is on the screen and shows the link, whose Copy
button puts it in the clipboard; leaving the form with unsaved changes asks first (issue 20, finding 4)."""

from django.contrib.auth.models import User
from playwright.sync_api import expect

from news.models import PreviewLink
from testkit.stories import make_story

PASSWORD = "correct horse battery staple"


def test_the_preview_link_is_made_from_the_screen_and_copied_by_its_button(page_logged_in_as, news_site):
    story = make_story({"en": {"title": "Worker committees", "slug": "worker-committees", "summary": "In thirty."}})
    chief = User.objects.create_superuser("chief", "chief@example.org", PASSWORD)
    page = page_logged_in_as(chief, {"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"/admin/news/newsstory/{story.pk}/change/?language=en")

    page.locator("#id_summary").fill("Now in forty factories.")
    # Leaving now would lose the edit: the browser asks first.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]

    # The edit is still on the screen; the button saves it (no question asked) and makes the link.
    page.get_by_role("button", name="Create a preview link for this language").click()
    expect(page.locator(".messagelist")).to_contain_text("preview link is created")
    expect(page.locator("#id_summary")).to_have_value("Now in forty factories.")
    link = page.get_by_role("textbox", name="Preview link")
    url = link.input_value()
    assert url.startswith(f"{news_site.url}/news/preview/")

    copy = page.get_by_role("button", name="Copy", exact=True)
    expect(copy).to_be_visible()
    copy.click()
    # Found by its class: its name is "Copied" for a moment.
    expect(page.locator("button.copy-link")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == url
    # The link is shown in full: wrapped in its box, nothing scrolled out of sight.
    assert link.evaluate("box => box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight")


def test_enter_in_a_box_saves_the_form_and_makes_no_preview_link(page_logged_in_as, news_site):
    story = make_story({"en": {"title": "Worker committees", "slug": "worker-committees", "summary": "In thirty."}})
    chief = User.objects.create_superuser("chief", "chief@example.org", PASSWORD)
    page = page_logged_in_as(chief, {"width": 1280, "height": 900})
    page.goto(f"/admin/news/newsstory/{story.pk}/change/?language=en")

    page.locator("#id_title").fill("Worker committees, corrected")
    page.locator("#id_title").press("Enter")

    expect(page.locator(".messagelist")).to_contain_text("saved as a draft")
    expect(page.locator("#id_title")).to_have_value("Worker committees, corrected")
    assert not PreviewLink.objects.exists()
