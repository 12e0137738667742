"""Publishing, unpublishing and scheduling translations, restoring a revision and preview links, called as the admin,
views and commands call them: no client, no admin."""

import datetime

import pytest
import reversion
from django.utils import timezone
from reversion.models import Version

from news import publishing, revisions
from news.changes import describe
from news.models import NewsStory, PreviewLink, next_scheduled_publication
from testkit.stories import make_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("editor", "editor@example.org", "correct horse", is_staff=True)


def statuses(story):
    return dict(story.translations.values_list("language_code", "status"))


def public_languages(story):
    return sorted(
        state.language.code for state in NewsStory.objects.get(pk=story.pk).version_states() if state.is_public
    )


def revisions_of(story):
    return list(Version.objects.get_for_object(story).select_related("revision__user"))


def test_publishing_one_translation_leaves_the_other_as_it_was_and_is_a_revision(editor):
    story = make_story({"en": "Fair dates", "zh-hans": "展会日期"}, status="draft")

    published = publishing.publish(story, user=editor, language_code="zh-hans")

    assert published == ["zh-hans"]
    assert statuses(story) == {"en": "draft", "zh-hans": "published"}
    assert public_languages(story) == ["zh-hans"]
    assert [story.pk for story in NewsStory.objects.published()] == [story.pk]
    [revision] = revisions_of(story)
    assert revision.revision.user == editor
    assert describe(revision.revision) == "Published (中文)"


def test_publishing_what_is_already_public_changes_nothing_and_makes_no_revision(editor):
    story = make_story({"en": "Already out"})
    updated_at = NewsStory.objects.get(pk=story.pk).updated_at

    assert publishing.publish(story, user=editor) == []

    assert revisions_of(story) == []
    assert NewsStory.objects.get(pk=story.pk).updated_at == updated_at


def test_unpublishing_every_translation_takes_the_story_off_the_site(editor):
    story = make_story({"en": "Withdrawn", "zh-hans": "撤回"})

    unpublished = publishing.unpublish(story, user=editor)

    assert sorted(unpublished) == ["en", "zh-hans"]
    assert statuses(story) == {"en": "draft", "zh-hans": "draft"}
    assert not NewsStory.objects.published().exists()
    [revision] = revisions_of(story)
    assert describe(revision.revision) == "Unpublished, back to draft (EN, 中文)"


def test_a_scheduled_translation_is_public_from_its_time_on(editor):
    story = make_story({"en": "Embargoed", "zh-hans": "禁发"}, status="draft")
    when = timezone.now() + datetime.timedelta(days=2)

    publishing.schedule(story, "en", when, user=editor)

    english = story.translations.get(language_code="en")
    assert (english.status, english.scheduled_for) == ("published", when)
    assert public_languages(story) == []
    assert next_scheduled_publication() == when
    later = NewsStory.objects.get(pk=story.pk).version_states(now=when + datetime.timedelta(minutes=1))
    assert [state.language.code for state in later if state.is_public] == ["en"]
    assert statuses(story)["zh-hans"] == "draft"
    assert describe(revisions_of(story)[0].revision).startswith("EN: ◷ Scheduled for")


def test_scheduling_refuses_a_time_gone_by_and_a_language_not_written(editor):
    story = make_story({"en": "Only English"}, status="draft")

    with pytest.raises(ValueError):
        publishing.schedule(story, "en", timezone.now() - datetime.timedelta(minutes=1), user=editor)
    with pytest.raises(publishing.NotWritten):
        publishing.schedule(story, "zh-hans", timezone.now() + datetime.timedelta(days=1), user=editor)

    assert statuses(story) == {"en": "draft"} and revisions_of(story) == []


def test_a_preview_link_opens_the_draft_translation_until_it_is_revoked(editor, settings):
    story = make_story({"en": "Public", "zh-hans": "草稿"}, status="draft")

    link = publishing.create_preview_link(story, "zh-hans", user=editor)

    assert (link.story, link.language_code, link.created_by) == (story, "zh-hans", editor)
    assert link.get_absolute_url().startswith("/zh/")
    assert PreviewLink.active_for_token(link.token) == link
    assert (
        abs(link.expires_at - timezone.now() - datetime.timedelta(days=settings.PREVIEW_LINK_DAYS)).total_seconds() < 60
    )
    assert list(publishing.active_preview_links(story, "zh-hans")) == [link]
    assert list(publishing.active_preview_links(story, "en")) == []

    publishing.revoke_preview_link(link)

    assert PreviewLink.active_for_token(link.token) is None
    assert list(publishing.active_preview_links(story, "zh-hans")) == []


@pytest.mark.parametrize("language", ["zh-hans", "fr"])
def test_no_preview_link_to_a_language_the_story_is_not_written_in(editor, language):
    story = make_story({"en": "English only"})

    with pytest.raises(publishing.NotWritten):
        publishing.create_preview_link(story, language, user=editor)

    assert not PreviewLink.objects.exists()


def saved_as_revision(story, user, **changes):
    """The story with `changes` to its English translation, saved as one revision, as the admin's form saves it."""
    with reversion.create_revision():
        reversion.set_user(user)
        story.set_current_language("en")
        for name, value in changes.items():
            setattr(story, name, value)
        story.save()
    return revisions_of(story)[0]


def test_restoring_a_revision_brings_its_text_back_into_the_drafts_as_a_revision_of_its_own_unpublishing_nothing(
    editor,
):
    story = make_story({"en": "Original title", "zh-hans": "原来的标题"})
    first = saved_as_revision(story, editor, summary="The original summary")
    saved_as_revision(story, editor, title="Vandalised", slug="vandalised", summary="Wrong")

    notes = revisions.restore_revision(story, first, user=editor)

    assert notes == []
    english = story.translations.get(language_code="en")
    assert (english.title, english.slug, english.summary, english.status) == (
        "Vandalised",
        "vandalised",
        "Wrong",
        "published",
    )
    draft = publishing.draft_of(story, "en")
    assert (draft.content["title"], draft.content["slug"], draft.content["summary"]) == (
        "Original title",
        "original-title",
        "The original summary",
    )
    assert draft.saved_by == editor
    assert statuses(story) == {"en": "published", "zh-hans": "published"}
    assert public_languages(story) == ["en", "zh-hans"]
    [restore, *_earlier] = revisions_of(story)
    assert restore.revision.user == editor and describe(restore.revision).startswith("Restored the revision of")
    assert len(revisions_of(story)) == 3

    publishing.publish_draft(story, "en", user=editor)

    english.refresh_from_db()
    assert (english.title, english.slug, english.summary) == (
        "Original title",
        "original-title",
        "The original summary",
    )


def test_restoring_a_revision_whose_address_another_story_took_keeps_the_current_one(editor):
    story = make_story({"en": {"title": "Taken", "slug": "taken"}})
    first = saved_as_revision(story, editor, summary="First")
    saved_as_revision(story, editor, slug="moved-on")
    make_story({"en": {"title": "Newcomer", "slug": "taken"}})

    notes = revisions.restore_revision(story, first, user=editor)

    assert notes == ["Another story now uses the address of that revision (taken): the current one was kept."]
    # The rest of that revision is the text published now: nothing is left to publish.
    assert publishing.draft_of(story, "en") is None and story.translations.get().slug == "moved-on"


def test_a_revision_of_another_story_is_not_restored(editor):
    story = make_story({"en": "Mine"})
    other = make_story({"en": "Another"})
    other_revision = saved_as_revision(other, editor, summary="Theirs")

    with pytest.raises(ValueError):
        revisions.restore_revision(story, other_revision, user=editor)

    assert story.translations.get().title == "Mine" and revisions_of(story) == []
