"""Preview links are made from what is on the screen: "Create a preview link" submits the story form, which saves
the editor's changes first (a published translation's as its draft, never published), then makes the link and comes
back to the form showing it, with a Copy button (issue 20, finding 4)."""

import pytest
from django.test import Client

from news.models import PreviewLink, TranslationDraft
from testkit.pages import parse_page
from testkit.stories import story_form

LIST_URL = "/admin/news/newsstory/"


def change_url(story, language="en"):
    return f"{LIST_URL}{story.pk}/change/?language={language}"


def press_create_preview_link(staff_client, story, **fields):
    """The story form as the editor left it, posted by the "Create a preview link" button (not Save)."""
    form = story_form(title="Worker committees", slug="worker-committees", publish_time="00:00", _save=None)
    return staff_client.post(change_url(story), form | fields | {"_preview_link": "1"}, follow=True)


def shown_link(response):
    return parse_page(response).find("textarea", class_="preview-link").text


@pytest.fixture
def live_story(make_story):
    return make_story({"en": {"title": "Worker committees", "slug": "worker-committees", "summary": "In thirty."}})


def test_the_button_saves_a_published_storys_edits_as_a_draft_and_links_to_them(staff_client, live_story):
    response = press_create_preview_link(staff_client, live_story, summary="Now in forty factories.")

    assert response.redirect_chain[-1][0] == change_url(live_story)
    page = response.content.decode()
    assert "Your changes are saved and a preview link is created" in page
    assert "saved as a draft: readers see the published text" in page
    assert TranslationDraft.objects.get().content["summary"] == "Now in forty factories."
    # The form carries on from the draft, and shows the whole link with a Copy button, its labels translated.
    form = parse_page(response)
    assert form.find("textarea", name="summary").text.strip() == "Now in forty factories."
    copy = form.find("button", class_="copy-link")
    assert copy.text == "Copy"
    assert copy.attrs["data-copied-label"] == "Copied"
    link = shown_link(response)
    assert "Now in forty factories." in Client().get(link).content.decode()
    # Nothing is published: readers still read the live text.
    public = Client().get("/news/worker-committees/").content.decode()
    assert "In thirty." in public
    assert "Now in forty factories." not in public


def test_the_button_saves_an_unpublished_translation_and_links_to_it(staff_client, make_story):
    story = make_story({"en": {"title": "Worker committees", "slug": "worker-committees"}}, status="draft")

    response = press_create_preview_link(staff_client, story, status="draft", summary="Drafted in forty factories.")

    story.refresh_from_db()
    assert story.summary == "Drafted in forty factories."
    assert story.status == "draft"
    assert not TranslationDraft.objects.exists()
    assert "Drafted in forty factories." in Client().get(shown_link(response)).content.decode()
    assert Client().get("/news/worker-committees/").status_code == 404


def test_a_form_with_an_error_makes_no_link_and_keeps_what_was_typed(staff_client, live_story):
    response = press_create_preview_link(staff_client, live_story, title="", summary="Now in forty factories.")

    assert response.status_code == 200
    assert not response.redirect_chain
    assert not PreviewLink.objects.exists()
    assert not TranslationDraft.objects.exists()
    form = parse_page(response)
    assert form.find(class_="errorlist") is not None
    assert form.find("textarea", name="summary").text.strip() == "Now in forty factories."


def test_the_chinese_admin_labels_the_button_and_the_copy_button_in_chinese(staff_client, live_story):
    press_create_preview_link(staff_client, live_story)

    form = parse_page(staff_client.get(f"/zh{change_url(live_story)}"))
    assert form.find("button", class_="copy-link").text == "复制"
    assert form.find("button", class_="copy-link").attrs["data-copied-label"] == "已复制"
    assert "请先保存" not in str(form)


def test_the_story_form_loads_the_copy_and_unsaved_changes_scripts(staff_client, live_story):
    page = staff_client.get(change_url(live_story)).content.decode()

    assert "js/copy-link.js" in page
    assert "js/unsaved-changes.js" in page
    assert "Save your changes first" not in page


def test_revoke_saves_what_was_typed_first_and_stops_the_link(staff_client, live_story):
    press_create_preview_link(staff_client, live_story, summary="In thirty.")
    link = PreviewLink.objects.get()
    form = story_form(title="Worker committees", slug="worker-committees", publish_time="00:00", _save=None)

    response = staff_client.post(
        change_url(live_story), form | {"summary": "Typed, then revoked.", "_revoke_preview_link": link.pk}, follow=True
    )

    assert response.redirect_chain[-1][0] == change_url(live_story)
    assert "Your changes are saved and the preview link is revoked" in response.content.decode()
    # What the editor typed is kept as the draft and shown again; the link opens nothing any more.
    assert parse_page(response).find(id="id_summary").text.strip() == "Typed, then revoked."
    assert TranslationDraft.objects.get().content["summary"] == "Typed, then revoked."
    assert parse_page(response).find("textarea", class_="preview-link") is None
    assert Client().get(link.get_absolute_url()).status_code == 404
    assert "In thirty." in Client().get("/news/worker-committees/").content.decode()


def test_revoke_on_a_form_with_an_error_keeps_the_text_and_the_link(staff_client, live_story):
    press_create_preview_link(staff_client, live_story, summary="In thirty.")
    link = PreviewLink.objects.get()
    form = story_form(title="", slug="worker-committees", publish_time="00:00", _save=None)

    response = staff_client.post(
        change_url(live_story), form | {"summary": "Kept on screen.", "_revoke_preview_link": link.pk}
    )

    assert response.status_code == 200
    assert parse_page(response).find(id="id_summary").text.strip() == "Kept on screen."
    assert PreviewLink.objects.get().revoked_at is None
