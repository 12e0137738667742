"""Two editors at once (issue 20, "no edit is lost"): a save made from a form opened before another editor's save
keeps the other editor's changes to every field this editor did not change; where both changed the same field,
the editor sees both versions side by side and chooses; two editors publishing the same language at once: one
wins, the other is told, nothing is half-written."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from reversion.models import Version

from news import publishing
from news.models import NewsStory, TranslationDraft
from testkit.pages import form_as_posted, parse_page

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/news/newsstory/"


def change_url(story, language, admin="/admin/"):
    return f"{admin}news/newsstory/{story.pk}/change/?language={language}"


def editor_client(django_user_model, username):
    """A browser of its own, logged in as an editor in the Editors group (not a superuser)."""
    editor = django_user_model.objects.create_user(username, f"{username}@example.org", "x", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def mei(django_user_model):
    return editor_client(django_user_model, "mei")


@pytest.fixture
def tom(django_user_model):
    return editor_client(django_user_model, "tom")


def opened_form(client, story, language, admin="/admin/"):
    """The story form as the editor's browser would post it back unchanged."""
    return posted_back(client.get(change_url(story, language, admin)))


def posted_back(page):
    return form_as_posted(page, "newsstory_form")


def english(story):
    return story.translations.get(language_code="en")


@pytest.fixture
def draft_story(make_story):
    """A story whose English version is still a draft: its row is what the form saves."""
    return make_story(
        {"en": {"title": "Audit pledge", "slug": "audit-pledge", "summary": "Twelve brands.", "status": "draft"}}
    )


@pytest.fixture
def live_story(make_story):
    """A story published in English: a Save keeps a draft (TranslationDraft)."""
    return make_story(
        {
            "en": {
                "title": "Audit pledge",
                "slug": "audit-pledge",
                "summary": "Twelve brands.",
                "body": "<p>The brands will share their audits.</p>",
            },
            "zh-hans": {"title": "审核承诺", "slug": "审核承诺"},
        }
    )


# --- Different fields: both kept ---------------------------------------------------------------------------------


def test_two_editors_changing_different_fields_of_a_draft_translation_both_keep_their_changes(mei, tom, draft_story):
    mei_form, tom_form = opened_form(mei, draft_story, "en"), opened_form(tom, draft_story, "en")

    saved = mei.post(change_url(draft_story, "en"), {**mei_form, "summary": "Forty brands.", "_continue": "1"})
    assert saved.status_code == 302
    merged = tom.post(
        change_url(draft_story, "en"), {**tom_form, "title": "Audit pledge signed", "_continue": "1"}, follow=True
    )

    text = english(draft_story)
    assert (text.title, text.summary) == ("Audit pledge signed", "Forty brands.")
    told = parse_page(merged).find(class_="messagelist").text
    assert "After you opened this story, mei saved it at" in told
    assert "their changes to summary are kept with yours" in told


def test_a_shared_field_changed_by_one_editor_survives_the_other_editors_save_of_the_text(mei, tom, live_story):
    mei_form, tom_form = opened_form(mei, live_story, "en"), opened_form(tom, live_story, "en")

    assert (
        mei.post(change_url(live_story, "en"), {**mei_form, "category": "event", "_continue": "1"}).status_code == 302
    )
    merged = tom.post(change_url(live_story, "en"), {**tom_form, "summary": "Forty brands.", "_continue": "1"})

    assert merged.status_code == 302
    live_story = NewsStory.objects.get(pk=live_story.pk)
    assert live_story.category == "event"
    assert publishing.draft_of(live_story, "en").content["summary"] == "Forty brands."


def test_two_editors_changing_different_fields_of_a_live_translations_draft_both_keep_them(mei, tom, live_story):
    mei_form, tom_form = opened_form(mei, live_story, "en"), opened_form(tom, live_story, "en")

    mei.post(change_url(live_story, "en"), {**mei_form, "summary": "Forty brands.", "_continue": "1"})
    merged = tom.post(
        change_url(live_story, "en"),
        {
            **tom_form,
            "body": "<p>The brands will share their audits <strong>with workers</strong>.</p>",
            "_continue": "1",
        },
        follow=True,
    )

    draft = publishing.draft_of(live_story, "en")
    assert draft.content["summary"] == "Forty brands."
    assert draft.content["body"] == "<p>The brands will share their audits <strong>with workers</strong>.</p>"
    assert draft.saved_by.username == "tom"
    assert english(live_story).summary == "Twelve brands."  # readers still read the published text
    # Named as whoever saved before Tom, not Tom, whose save is the newest once made.
    assert "After you opened this story, mei saved it at" in parse_page(merged).find(class_="messagelist").text


# --- The same field: side by side, then chosen ----------------------------------------------------------------


def conflict_boxes(page):
    return {
        box.find("legend").text.strip(): [
            version.text.split() for version in box.find_all(class_="save-conflict__version")
        ]
        for box in parse_page(page).find_all(class_="save-conflict")
    }


def test_both_changing_the_same_field_saves_nothing_and_shows_both_versions_side_by_side(mei, tom, live_story):
    mei_form, tom_form = opened_form(mei, live_story, "en"), opened_form(tom, live_story, "en")
    mei.post(
        change_url(live_story, "en"),
        {**mei_form, "summary": "Forty brands.", "body": "<h2>Who</h2><p>Forty <em>brands</em>.</p>", "_continue": "1"},
    )

    refused = tom.post(
        change_url(live_story, "en"),
        {
            **tom_form,
            "summary": "Thirty brands.",
            "body": "<p>Thirty brands <script>alert(1)</script>and <a href='https://ietp.example/'>a link</a>.</p>",
            "title": "Audit pledge signed",
            "_continue": "1",
        },
    )

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Please correct the error" not in page
    assert "After you opened this story, mei saved it at" in page
    boxes = conflict_boxes(refused)
    assert list(boxes) == ["Summary", "Body"]
    assert boxes["Summary"] == [["Keep", "theirs", "Forty", "brands."], ["Keep", "mine", "Thirty", "brands."]]
    body = parse_page(refused).find_all(class_="save-conflict")[1]
    theirs, mine = body.find_all(class_="save-conflict__text")
    assert theirs.find("h2").text == "Who" and theirs.find("em").text == "brands"
    assert mine.find("a").attrs["href"] == "https://ietp.example/"
    assert mine.find("script") is None and "alert" not in mine.text
    # Tom's typed text is still in the form; nothing of his was saved.
    form = parse_page(refused)
    assert form.find("textarea", name="summary").text.strip() == "Thirty brands."
    assert form.find("input", name="title").attrs["value"] == "Audit pledge signed"
    assert publishing.draft_of(live_story, "en").content["summary"] == "Forty brands."
    assert publishing.draft_of(live_story, "en").content["title"] == "Audit pledge"


@pytest.mark.parametrize(
    ("summary_choice", "body_choice", "expected_summary", "expected_body"),
    [
        ("theirs", "mine", "Forty brands.", "<p>Thirty brands.</p>"),
        ("mine", "theirs", "Thirty brands.", "<p>Forty brands.</p>"),
    ],
)
def test_each_field_in_conflict_is_saved_as_chosen(
    mei, tom, live_story, summary_choice, body_choice, expected_summary, expected_body
):
    mei_form, tom_form = opened_form(mei, live_story, "en"), opened_form(tom, live_story, "en")
    mei.post(
        change_url(live_story, "en"),
        {**mei_form, "summary": "Forty brands.", "body": "<p>Forty brands.</p>", "_continue": "1"},
    )
    tom_edits = {"summary": "Thirty brands.", "body": "<p>Thirty brands.</p>", "title": "Audit pledge signed"}
    refused = tom.post(change_url(live_story, "en"), {**tom_form, **tom_edits, "_continue": "1"})
    returned = posted_back(refused)

    saved = tom.post(
        change_url(live_story, "en"),
        {**returned, "keep_summary": summary_choice, "keep_body": body_choice, "_continue": "1"},
    )

    assert saved.status_code == 302
    draft = publishing.draft_of(live_story, "en")
    assert (draft.content["summary"], draft.content["body"]) == (expected_summary, expected_body)
    assert draft.content["title"] == "Audit pledge signed"


def test_saving_the_conflict_without_choosing_asks_again_and_saves_nothing(mei, tom, live_story):
    mei_form, tom_form = opened_form(mei, live_story, "en"), opened_form(tom, live_story, "en")
    mei.post(change_url(live_story, "en"), {**mei_form, "summary": "Forty brands.", "_continue": "1"})
    refused = tom.post(change_url(live_story, "en"), {**tom_form, "summary": "Thirty brands.", "_continue": "1"})

    again = tom.post(change_url(live_story, "en"), {**posted_back(refused), "_continue": "1"})

    assert again.status_code == 200
    assert list(conflict_boxes(again)) == ["Summary"]
    assert publishing.draft_of(live_story, "en").content["summary"] == "Forty brands."


def test_the_conflict_is_told_in_chinese_in_the_chinese_admin(mei, tom, live_story):
    mei_form, tom_form = opened_form(mei, live_story, "en"), opened_form(tom, live_story, "en", admin="/zh/admin/")
    mei.post(change_url(live_story, "en"), {**mei_form, "summary": "Forty brands.", "_continue": "1"})

    refused = tom.post(
        change_url(live_story, "en", admin="/zh/admin/"), {**tom_form, "summary": "Thirty brands.", "_continue": "1"}
    )

    section = parse_page(refused).find(class_="save-conflicts")
    assert "另一位编辑在您编辑时保存了这篇新闻" in section.find("h2").text
    assert "mei" in section.text
    assert [label.text.strip() for label in section.find_all("label")] == ["保留对方的", "保留我的"]


# --- Publishing the same language at once --------------------------------------------------------------------


def test_two_editors_publishing_the_same_draft_at_once_one_wins_and_the_other_is_told(mei, tom, live_story):
    publishing.save_draft(live_story, "en", {"summary": "Forty brands."}, user=None)
    mei_form, tom_form = opened_form(mei, live_story, "en"), opened_form(tom, live_story, "en")
    revisions_before = Version.objects.get_for_object(live_story).count()

    published = mei.post(change_url(live_story, "en"), {**mei_form, "_publish": "1"})
    refused = tom.post(change_url(live_story, "en"), {**tom_form, "_publish": "1"})

    assert published.status_code == 302 and refused.status_code == 200
    page = refused.content.decode()
    assert "Another editor published or discarded the unpublished changes you opened." in page
    assert "Please correct the error" not in page
    assert english(live_story).summary == "Forty brands."
    assert not TranslationDraft.objects.exists()
    assert Version.objects.get_for_object(live_story).count() == revisions_before + 1


def test_two_editors_publishing_a_new_translation_at_once_publish_both_their_changes_and_the_second_is_told(
    mei, tom, draft_story
):
    mei_form, tom_form = opened_form(mei, draft_story, "en"), opened_form(tom, draft_story, "en")

    mei.post(change_url(draft_story, "en"), {**mei_form, "title": "Audit pledge signed", "_publish": "1"})
    second = tom.post(
        change_url(draft_story, "en"), {**tom_form, "summary": "Forty brands.", "_publish": "1"}, follow=True
    )

    text = english(draft_story)
    assert (text.status, text.title, text.summary) == ("published", "Audit pledge signed", "Forty brands.")
    assert not TranslationDraft.objects.exists()
    told = parse_page(second).find(class_="messagelist").text
    assert "After you opened this story, mei saved it at" in told and "The EN version is published." in told


# --- What counts as a change ------------------------------------------------------------------------------------


def test_a_browsers_own_line_endings_are_not_a_change_that_overwrites_the_other_editors(mei, tom, make_story):
    story = make_story({"en": {"title": "Audit pledge", "summary": "Line one.\nLine two.", "status": "draft"}})
    mei_form, tom_form = opened_form(mei, story, "en"), opened_form(tom, story, "en")
    mei.post(change_url(story, "en"), {**mei_form, "summary": "Mei's summary.", "_continue": "1"})

    # Browsers post a box's line breaks as CR LF.
    tom.post(
        change_url(story, "en"),
        {**tom_form, "summary": "Line one.\r\nLine two.", "title": "Audit pledge signed", "_continue": "1"},
    )

    assert (english(story).title, english(story).summary) == ("Audit pledge signed", "Mei's summary.")


def test_a_tampered_snapshot_is_not_trusted_and_the_form_saves_as_posted(mei, tom, draft_story):
    tom_form = opened_form(tom, draft_story, "en")
    mei.post(
        change_url(draft_story, "en"), {**opened_form(mei, draft_story, "en"), "summary": "Mei's.", "_continue": "1"}
    )

    tom.post(
        change_url(draft_story, "en"),
        {**tom_form, "opened_version": tom_form["opened_version"][:-2] + "xx", "title": "Tom's", "_continue": "1"},
    )

    # Without a snapshot it can trust, the save cannot know what Tom changed: his form is saved as posted.
    assert (english(draft_story).title, english(draft_story).summary) == ("Tom's", "Twelve brands.")


def test_an_unchanged_body_reformatted_by_the_editor_is_not_a_change(mei, tom, live_story):
    mei_form, tom_form = opened_form(mei, live_story, "en"), opened_form(tom, live_story, "en")
    mei.post(change_url(live_story, "en"), {**mei_form, "body": "<p>Mei's body.</p>", "_continue": "1"})

    tom.post(
        change_url(live_story, "en"),
        {**tom_form, "body": "<p>The brands will share their audits.</p><p></p>", "title": "Tom's", "_continue": "1"},
    )

    draft = publishing.draft_of(live_story, "en").content
    assert (draft["title"], draft["body"]) == ("Tom's", "<p>Mei's body.</p>")
