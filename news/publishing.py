"""Publishing stories: each translation published, unpublished or scheduled on its own; changes to a published
translation kept as its draft until published or discarded; and preview links to a translation as it is now.
Plain functions the admin, views and management commands call; they take the story, the acting user and the
values, save, and return what changed (or raise), and know nothing of requests or messages.

A published translation's row holds its published text, read by every public page; an editor's Save of it keeps
the changes in its TranslationDraft, and Publish copies them into the row (see the model for why).

Restoring a revision into the draft is a workflow of the story's history: it is `revisions.restore_revision`.
"""

import reversion
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from caching.registry import content_changed
from site_shell.languages import SITE_LANGUAGES, site_language

from . import changes
from .models import (
    TRANSLATED_CONTENT_FIELDS,
    NewsStoryTranslation,
    PreviewLink,
    PublicationStatus,
    RemovedStoryAddress,
    TranslationDraft,
    next_scheduled_publication,
)


class NoDraft(ValueError):
    """The translation has no unpublished changes to publish: never saved, or published or discarded meanwhile."""

    def __init__(self, story, language_code):
        super().__init__(f"Story {story.pk} has no draft in {language_code!r}.")
        self.story, self.language_code = story, language_code


class NotWritten(ValueError):
    """The story has no translation in the language asked for."""

    def __init__(self, story, language_code):
        super().__init__(f"Story {story.pk} has no translation in {language_code!r}.")
        self.story, self.language_code = story, language_code


def describe_change(language_code, publish):
    """What publishing (or unpublishing) a translation, or with `language_code` None every translation, is called:
    the admin action's name."""
    if language_code is None:
        return (
            gettext("Publish the selected stories in every language")
            if publish
            else gettext("Unpublish the selected stories in every language (back to draft)")
        )
    template = (
        gettext("Publish the %(language)s version of the selected stories")
        if publish
        else gettext("Unpublish the %(language)s version of the selected stories (back to draft)")
    )
    return template % {"language": site_language(language_code).switch_label}


def set_status(story, status, *, user, language_code=None):
    """Gives the story's translation in `language_code` (None: every translation) the publication `status`, in one
    revision recorded as `user`'s. Publishing a translation publishes its unpublished changes too;
    unpublishing one makes them its text. Returns the language codes changed; none when each already had it (and
    then no revision is made)."""
    # In the site's order of languages (the revision lists them so), not the database's, which may be any.
    written = {translation.language_code: translation for translation in story.translations.all()}
    chosen = [written[code] for code in SITE_LANGUAGES if code in written and language_code in (None, code)]
    drafts = {draft.translation_id: draft for draft in TranslationDraft.objects.filter(translation__in=chosen)}
    changed = [translation for translation in chosen if translation.status != status or translation.pk in drafts]
    if not changed:
        return []
    # Addresses readers could open until now, and lose: they answer 410 Gone until published again.
    lost = public_addresses(story, language_code) if status == PublicationStatus.DRAFT else []
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        changes.record(
            "published" if status == PublicationStatus.PUBLISHED else "unpublished",
            languages=[translation.language_code for translation in changed],
        )
        for translation in changed:
            translation.status = status
            if translation.pk in drafts:
                # Published, the changes are live; unpublished, nothing is live and the row is the draft.
                drafts[translation.pk].apply_to(translation)
                drafts[translation.pk].delete()
            translation.save()
        for language, _address, slug in lost:
            RemovedStoryAddress.record(language.code, slug)
        story.save()  # the feed and the sitemap read updated_at; the revision records the story
    return [translation.language_code for translation in changed]


def public_addresses(story, language_code=None):
    """Where readers read the story's translation in `language_code` (None: every translation) now: a list of
    (SiteLanguage, address, slug), one per public translation; a draft or a translation still to come out has
    none. What unpublishing it takes away."""
    return [
        (state.language, story.url_in(state.language.code), state.translation.slug)
        for state in story.version_states()
        if state.is_public and language_code in (None, state.language.code)
    ]


def publish(story, *, user, language_code=None):
    """Publishes the story's translation in `language_code`, or every translation. A translation scheduled for later
    stays scheduled: it is public from its scheduled time. Returns the language codes published."""
    return set_status(story, PublicationStatus.PUBLISHED, user=user, language_code=language_code)


def unpublish(story, *, user, language_code=None):
    """Takes the story's translation in `language_code`, or every translation, back to draft. Returns the language
    codes unpublished."""
    return set_status(story, PublicationStatus.DRAFT, user=user, language_code=language_code)


def schedule(story, language_code, when, *, user):
    """Publishes the story's translation in `language_code` from `when` (a future, aware datetime) on: until then
    readers do not see it. Recorded as a revision of `user`'s. Returns the translation."""
    if when <= timezone.now():
        raise ValueError(f"A translation is scheduled for a time to come, not {when.isoformat()}.")
    translation = story.translations.filter(language_code=language_code).first()
    if translation is None:
        raise NotWritten(story, language_code)
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        changes.record("scheduled", language=language_code, time=changes.moment(when))
        translation.status = PublicationStatus.PUBLISHED
        translation.scheduled_for = when
        translation.save()
        story.save()
    return translation


def translation_in(story, language_code, *, for_update=False):
    """The story's translation in `language_code`, read from the database (locked with for_update); raises
    NotWritten."""
    translations = NewsStoryTranslation.objects.filter(master=story, language_code=language_code)
    translation = (translations.select_for_update() if for_update else translations).first()
    if translation is None:
        raise NotWritten(story, language_code)
    return translation


def draft_of(story, language_code):
    """The unpublished changes to the story's translation in `language_code`, or None."""
    return (
        TranslationDraft.objects.filter(translation__master=story, translation__language_code=language_code)
        .select_related("saved_by")
        .first()
    )


def save_draft(story, language_code, values, *, user, publish_at=None):
    """Keeps `values` ({field: value} of the translated fields) as the draft of the story's published translation
    in `language_code`, saved by `user`, to be published at `publish_at` if given: readers keep seeing the published
    text. Nothing public changes, so the cache generation stays as it is; only a new or changed publication time
    ends it (the page cache learns when the news next changes by itself when a generation begins). Returns the
    draft, or None when the values are the published text. A translation that is not published has no draft: its
    changes are saved in it (the admin's form does that), and this raises ValueError."""
    translation = translation_in(story, language_code)
    if translation.status != PublicationStatus.PUBLISHED:
        raise ValueError(f"The {language_code!r} translation of story {story.pk} is not published: it is its draft.")
    content = {name: values.get(name, getattr(translation, name)) for name in TRANSLATED_CONTENT_FIELDS}
    earlier = TranslationDraft.objects.filter(translation=translation).values_list("publish_at", flat=True).first()
    if all(content[name] == getattr(translation, name) for name in TRANSLATED_CONTENT_FIELDS):
        # Saved back to the published text: nothing is waiting to be published.
        TranslationDraft.objects.filter(translation=translation).delete()
        return None
    draft, _created = TranslationDraft.objects.update_or_create(
        translation=translation,
        defaults={"content": content, "saved_by": user, "saved_at": timezone.now(), "publish_at": publish_at},
    )
    if publish_at is not None and publish_at != earlier:
        transaction.on_commit(content_changed)
    return draft


def publish_draft(story, language_code, *, user, due_at=None):
    """Makes the draft of the story's translation in `language_code` its published text, in one revision recorded
    as `user`'s: visitors read it on their next request (the translation's save makes every cached page stale).
    Raises NoDraft when there is none (another editor published or discarded it meanwhile), or, with `due_at`,
    none scheduled for then or before: nothing is changed."""
    with transaction.atomic(), reversion.create_revision():
        translation = translation_in(story, language_code, for_update=True)
        draft = TranslationDraft.objects.select_for_update().filter(translation=translation).first()
        if draft is None or (due_at is not None and (draft.publish_at is None or draft.publish_at > due_at)):
            raise NoDraft(story, language_code)
        reversion.set_user(user)
        scheduled_for = changes.moment(draft.publish_at) if due_at is not None else None
        changes.record("published_changes", language=language_code, scheduled_for=scheduled_for)
        draft.apply_to(translation)
        draft.delete()
        translation.status = PublicationStatus.PUBLISHED
        translation.save()
        story.save()  # the feed and the sitemap read updated_at; the revision records the story
    return translation


def publish_due_drafts(now=None):
    """Publishes the drafts scheduled for `now` or before, each as a revision of the editor who scheduled it.
    Returns the translations published; a draft published, discarded or moved to a later time meanwhile is left."""
    now = now or timezone.now()
    published = []
    due = TranslationDraft.objects.filter(publish_at__lte=now).select_related("translation__master", "saved_by")
    for draft in due:
        code = draft.translation.language_code
        try:
            published.append(publish_draft(draft.translation.master, code, user=draft.saved_by, due_at=now))
        except NoDraft:
            continue
    return published


def next_change_with_due_drafts_published():
    """The news' answer to the page cache's "when does content next change by itself?" (news/apps.py), asked when
    a cache generation begins, which is when a scheduled time has come: the drafts due by now are published first,
    so that the generation beginning shows them."""
    publish_due_drafts()
    return next_scheduled_publication()


def discard_draft(story, language_code):
    """Drops the unpublished changes to the story's translation in `language_code`: its editor's form shows the
    published text again. Returns whether there were any."""
    deleted, _kinds = TranslationDraft.objects.filter(
        translation__master=story, translation__language_code=language_code
    ).delete()
    return bool(deleted)


def active_preview_links(story, language_code):
    """The preview links to the story's translation in `language_code` that still open it, newest first."""
    return story.preview_links.filter(
        language_code=language_code, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def create_preview_link(story, language_code, *, user):
    """A new preview link to the story's translation in `language_code` as last saved, made by `user`; it works for
    settings.PREVIEW_LINK_DAYS days or until revoked. Raises NotWritten for a language the story is not written in."""
    if language_code not in SITE_LANGUAGES or not story.has_translation(language_code):
        raise NotWritten(story, language_code)
    return PreviewLink.objects.create(story=story, language_code=language_code, created_by=user)


def revoke_preview_link(link):
    """Stops the link from opening the story, from now on."""
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    return link
