"""Live and draft, per language: a Save of a published translation keeps a draft that staff and preview links see,
Publish makes it live, Discard draft returns to the live text; restoring a revision fills the drafts and
unpublishes nothing (issue 20)."""

import datetime

import pytest
import reversion
from django.test import Client
from django.utils import timezone

from caching import page_cache
from news import publishing, revisions
from news.changes import describe
from news.models import NewsStory, TranslationDraft
from testkit.pages import card_titles, name_cache_generation, parse_page
from testkit.stories import story_form

LIST_URL = "/admin/news/newsstory/"


def change_url(story, language):
    return f"{LIST_URL}{story.pk}/change/?language={language}"


def correction(title="Worker committees, corrected", summary="Now in forty factories.", **fields):
    return (
        story_form(
            title=title, slug="worker-committees", summary=summary, publish_date="2023-10-27", publish_time="00:00"
        )
        | fields
    )


def visitor_sees(text):
    """Whether a visitor reads `text` on the list, the story page, the feed and in search."""
    visitor = Client()
    pages = [
        visitor.get("/news/"),
        visitor.get("/news/worker-committees/"),
        visitor.get("/news/feed/"),
        visitor.get("/search/", {"q": "forty"}),
    ]
    return [text in page.content.decode() for page in pages]


@pytest.fixture
def live_story(make_story):
    return make_story(
        {
            "en": {"title": "Worker committees", "slug": "worker-committees", "summary": "In thirty factories."},
            "zh-hans": {"title": "工人委员会", "slug": "工人委员会"},
        }
    )


def test_a_correction_saved_on_a_live_story_is_invisible_to_visitors_until_published(staff_client, live_story):
    saved = staff_client.post(change_url(live_story, "en"), correction(_continue="Save draft"), follow=True)

    assert "saved as a draft: readers see the published text" in saved.content.decode()
    assert visitor_sees("Worker committees, corrected") == [False, False, False, False]
    assert "Worker committees" in card_titles(Client().get("/news/"))
    # Staff check the correction on the public address, and the form carries on from it.
    assert "Now in forty factories." in staff_client.get("/news/worker-committees/").content.decode()
    form = parse_page(staff_client.get(change_url(live_story, "en")))
    assert form.find("input", name="title").attrs["value"] == "Worker committees, corrected"

    published = staff_client.post(
        change_url(live_story, "en"),
        correction(_publish="Publish", opened_draft=form.find("input", name="opened_draft").attrs["value"]),
        follow=True,
    )

    assert "The EN version is published." in published.content.decode()
    assert visitor_sees("Worker committees, corrected") == [True, True, True, True]
    assert not TranslationDraft.objects.exists()


def test_a_preview_link_shows_the_unpublished_changes(staff_client, live_story, editor):
    publishing.save_draft(live_story, "en", {"summary": "Draft summary for the reviewer."}, user=editor)
    link = publishing.create_preview_link(live_story, "en", user=editor)

    assert "Draft summary for the reviewer." in Client().get(link.get_absolute_url()).content.decode()
    assert "Draft summary" not in Client().get("/news/worker-committees/").content.decode()


def test_discard_draft_returns_the_form_to_the_live_text(staff_client, live_story):
    staff_client.post(change_url(live_story, "en"), correction())
    assert "Discard draft" in staff_client.get(change_url(live_story, "en")).content.decode()

    discarded = staff_client.post(change_url(live_story, "en"), {"_discard_draft": "Discard draft"}, follow=True)

    assert "The unpublished changes to the EN version are discarded." in discarded.content.decode()
    form = parse_page(discarded)
    assert form.find("input", name="title").attrs["value"] == "Worker committees"
    assert "Discard draft" not in discarded.content.decode()
    assert visitor_sees("Worker committees, corrected") == [False, False, False, False]


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("lin", "lin@example.org", "x", is_staff=True)


def test_the_list_and_the_tab_say_published_with_unpublished_changes_by_whom(staff_client, live_story):
    staff_client.post(change_url(live_story, "en"), correction())

    listed = parse_page(staff_client.get(LIST_URL)).find(class_="field-version_states").text
    tab = parse_page(staff_client.get(change_url(live_story, "en"))).find(class_="field-publication_state").text
    chinese = parse_page(staff_client.get("/zh" + LIST_URL)).find(class_="field-version_states").text

    assert "● Published · unpublished changes (editor," in listed
    assert "● Published · unpublished changes (editor," in tab
    assert "未发布的更改（editor，" in chinese
    chinese_form = parse_page(staff_client.get(f"/zh{change_url(live_story, 'en')}"))
    buttons = [button.attrs["value"] for button in chinese_form.find(class_="submit-row").find_all("input")]
    assert buttons == ["保存草稿", "发布", "舍弃草稿"]


def test_publishing_a_draft_another_editor_just_discarded_is_refused_and_nothing_is_written(
    staff_client, live_story, editor
):
    staff_client.post(change_url(live_story, "en"), correction())
    opened = parse_page(staff_client.get(change_url(live_story, "en")))
    opened_draft = opened.find("input", name="opened_draft").attrs["value"]
    opened_version = opened.find("input", name="opened_version").attrs["value"]
    assert publishing.discard_draft(live_story, "en")  # another editor, meanwhile

    refused = staff_client.post(
        change_url(live_story, "en"),
        correction(_publish="Publish", opened_draft=opened_draft, opened_version=opened_version),
    )

    assert refused.status_code == 200
    assert "Another editor published or discarded the unpublished changes you opened." in refused.content.decode()
    assert visitor_sees("Worker committees, corrected") == [False, False, False, False]
    assert not TranslationDraft.objects.exists()
    with pytest.raises(publishing.NoDraft):
        publishing.publish_draft(live_story, "en", user=editor)
    assert live_story.translations.get(language_code="en").title == "Worker committees"


def test_a_save_keeps_the_cache_generation_and_a_publish_starts_a_new_one(
    staff_client, live_story, django_capture_on_commit_callbacks
):
    before = name_cache_generation()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(change_url(live_story, "en"), correction())
    assert page_cache.current_generation() == before

    opened_draft = parse_page(staff_client.get(change_url(live_story, "en"))).find("input", name="opened_draft")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            change_url(live_story, "en"), correction(_publish="Publish", opened_draft=opened_draft.attrs["value"])
        )
    assert page_cache.current_generation() != before


def test_restoring_a_revision_changes_no_public_page(staff_client, live_story):
    with reversion.create_revision():
        live_story.save()
    first = revisions.story_revisions(live_story).first()
    staff_client.post(change_url(live_story, "en"), correction(_publish="Publish"))
    visitor = Client()
    addresses = ["/news/", "/news/worker-committees/", "/zh/news/工人委员会/", "/news/feed/"]
    before = [visitor.get(address).content for address in addresses]

    staff_client.post(f"{LIST_URL}{live_story.pk}/history/{first.pk}/restore/", {"language": ["en"]})

    assert [visitor.get(address).content for address in addresses] == before
    assert publishing.draft_of(live_story, "en").content["title"] == "Worker committees"
    assert publishing.draft_of(live_story, "zh-hans") is None  # not chosen


def test_unpublishing_a_translation_with_a_draft_makes_the_draft_its_text(live_story, editor):
    publishing.save_draft(live_story, "en", {"summary": "Not yet public."}, user=editor)

    publishing.unpublish(NewsStory.objects.get(pk=live_story.pk), user=editor, language_code="en")

    english = live_story.translations.get(language_code="en")
    assert (english.status, english.summary) == ("draft", "Not yet public.")
    assert not TranslationDraft.objects.exists()


def test_public_pages_keep_their_query_counts_with_drafts_waiting(
    client, make_story, editor, django_assert_max_num_queries
):
    stories = [make_story({"en": f"Story {number}"}) for number in range(5)]
    for story in stories:
        publishing.save_draft(story, "en", {"summary": "Waiting."}, user=editor)
    name_cache_generation()

    with django_assert_max_num_queries(3):
        assert client.get("/news/").status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get(stories[0].get_absolute_url()).status_code == 200


def test_the_list_filters_stories_with_unpublished_changes(staff_client, live_story, make_story, editor):
    make_story({"en": "Nothing waiting"})
    publishing.save_draft(live_story, "en", {"summary": "Waiting."}, user=editor)

    filtered = card_titles_in_admin(staff_client.get(LIST_URL, {"publication": "changes"}))

    assert filtered == ["Worker committees"]


def card_titles_in_admin(page):
    return [cell.text for cell in parse_page(page).find_all("th", class_="field-title_in_any_language")]


def test_changes_scheduled_for_later_are_published_then_by_themselves(staff_client, live_story):
    when = timezone.localtime() + datetime.timedelta(hours=2)
    schedule = {"publish_changes_at_0": when.strftime("%Y-%m-%d"), "publish_changes_at_1": when.strftime("%H:%M")}
    staff_client.post(change_url(live_story, "en"), correction(**schedule))

    listed = parse_page(staff_client.get(LIST_URL)).find(class_="field-version_states").text
    assert "· ◷ to be published" in listed
    assert visitor_sees("Worker committees, corrected") == [False, False, False, False]
    assert publishing.publish_due_drafts() == []

    [published] = publishing.publish_due_drafts(now=timezone.now() + datetime.timedelta(hours=3))

    assert published.title == "Worker committees, corrected"
    assert visitor_sees("Worker committees, corrected") == [True, True, True, True]
    [latest, *_] = revisions.story_revisions(live_story)
    assert latest.revision.user.username == "editor" and "published the changes scheduled for" in describe(
        latest.revision
    )


def test_a_cache_generation_beginning_after_the_scheduled_time_publishes_the_changes(live_story, editor):
    publishing.save_draft(
        live_story, "en", {"title": "Worker committees, corrected"}, user=editor, publish_at=timezone.now()
    )

    page_cache.start_new_generation()  # as when the generation's next change comes
    name_cache_generation()

    assert live_story.translations.get(language_code="en").title == "Worker committees, corrected"
    assert not TranslationDraft.objects.exists()


# --- The story's own fields (shared by every language) have no draft: the form says so beside them ----------


def shared_fields_notes(response):
    return [note.text for note in parse_page(response).find_all(class_="shared-fields-note")]


@pytest.mark.parametrize(
    ("admin", "date_note", "image_note"),
    [
        ("", "changes to its date and time, category or event date", "a new or removed image goes live when you save"),
        ("/zh", "对日期和时间、类别或活动日期的更改", "新图片或删除图片在保存时即在所有语言中上线"),
    ],
)
def test_a_published_storys_shared_fields_say_they_go_live_when_saved(
    staff_client, live_story, admin, date_note, image_note
):
    notes = shared_fields_notes(staff_client.get(admin + change_url(live_story, "en")))

    assert len(notes) == 2
    assert date_note in notes[0]
    assert image_note in notes[1]


def test_a_story_not_yet_public_has_no_such_note(staff_client, make_story):
    story = make_story({"en": "Not out yet"}, status="draft")

    assert shared_fields_notes(staff_client.get(change_url(story, "en"))) == []


def test_a_shared_field_saved_on_a_published_story_is_live_at_once_as_the_note_says(staff_client, live_story):
    staff_client.post(change_url(live_story, "en"), correction(category="blog", _continue="1"))

    assert NewsStory.objects.get(pk=live_story.pk).category == "blog"
    assert "Blog" in Client().get("/news/worker-committees/").content.decode()
