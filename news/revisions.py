"""A story's history as editors see it: the revisions django-reversion keeps, what changed between two of them in
words, and an earlier revision restored into the drafts.

A revision holds the story and each translation (parler's translation rows, followed from the story) as
they were after one save. django-reversion was chosen over django-simple-history for that: one revision groups
every row a save wrote, so the English and Chinese versions of one moment are restored together; simple-history
keeps a separate history table per model and leaves it to us to know which translation rows belong together.
"""

import difflib
import html

import reversion
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from reversion.models import Version

from site_shell.languages import SITE_LANGUAGES, site_language

from . import changes, publishing
from .models import TRANSLATED_CONTENT_FIELDS, NewsStory, NewsStoryTranslation, PublicationStatus
from .story_body import body_diff, clean_story_body

# What a revision restores: what the story says and shows, never its publication (a restore is a draft).
RESTORED_STORY_FIELDS = ["publish_at", "category", "event_date"]
RESTORED_VERSION_FIELDS = [*TRANSLATED_CONTENT_FIELDS, "scheduled_for"]
COMPARED_STORY_FIELDS = [*RESTORED_STORY_FIELDS, "image"]
COMPARED_VERSION_FIELDS = ["status", *RESTORED_VERSION_FIELDS]


def story_revisions(story):
    """The story's versions in django-reversion, newest first, with their revision (who, when, comment)."""
    return Version.objects.get_for_object(story).select_related("revision__user")


class RevisionContent:
    """The story and its translations as one revision saved them: {field: value} dictionaries."""

    def __init__(self, story_version):
        self.revision = story_version.revision
        self.story = story_version.field_dict
        translation_type = ContentType.objects.get_for_model(NewsStoryTranslation)
        self.versions = {}
        for version in self.revision.version_set.filter(content_type=translation_type):
            fields = version.field_dict
            self.versions[fields["language_code"]] = fields


def display_value(field_name, value):
    """A stored value as an editor reads it."""
    if value in (None, ""):
        return ""
    if field_name == "body":
        return clean_story_body(value)
    if field_name == "status":
        return str(PublicationStatus(value).label)
    if field_name == "category":
        return str(NewsStory.Category(value).label)
    if field_name in ("publish_at", "scheduled_for"):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if field_name == "event_date":
        return date_format(value, "DATE_FORMAT")
    return str(value)


def word_diff(old, new):
    """The two texts with removed words struck out and added words underlined (HTML, escaped)."""
    old_words, new_words = old.split(" "), new.split(" ")
    parts = []
    for operation, old_start, old_end, new_start, new_end in difflib.SequenceMatcher(
        None, old_words, new_words, autojunk=False
    ).get_opcodes():
        if operation == "equal":
            parts.append(html.escape(" ".join(old_words[old_start:old_end])))
            continue
        if old_end > old_start:
            parts.append(format_html("<del>{}</del>", " ".join(old_words[old_start:old_end])))
        if new_end > new_start:
            parts.append(format_html("<ins>{}</ins>", " ".join(new_words[new_start:new_end])))
    return mark_safe(" ".join(parts))  # noqa: S308 - every part is escaped above


def field_label(model, field_name):
    return str(model._meta.get_field(field_name).verbose_name).capitalize()


def change_row(model, name, old, new):
    """A field's change: its label, and the new value with removed words struck out and added ones underlined; the
    body keeps its formatting (headings, bold, links, lists), built from its cleaned HTML only."""
    if name == "body":
        diff = mark_safe(body_diff(old, new))  # noqa: S308 - body_diff cleans its result with the body's allow-list
        return {"field": field_label(model, name), "diff": diff, "formatted": True}
    return {"field": field_label(model, name), "diff": word_diff(old, new)}


def compare(older, newer):
    """What changed from one revision to another: [{"section", "rows": [{"field", "diff", "formatted"}]}]."""
    sections = []
    rows = []
    for name in COMPARED_STORY_FIELDS:
        old, new = display_value(name, older.story.get(name)), display_value(name, newer.story.get(name))
        if old != new:
            rows.append(change_row(NewsStory, name, old, new))
    if rows:
        sections.append({"section": _("Every language"), "rows": rows})
    for code in SITE_LANGUAGES:
        old_version, new_version = older.versions.get(code, {}), newer.versions.get(code, {})
        rows = []
        for name in COMPARED_VERSION_FIELDS:
            old, new = display_value(name, old_version.get(name)), display_value(name, new_version.get(name))
            if old != new:
                rows.append(change_row(NewsStoryTranslation, name, old, new))
        if rows:
            sections.append({"section": site_language(code).switch_label, "rows": rows})
    return sections


def files_exist(story, name, renditions):
    """Whether an image a revision names, and all its renditions, are still in storage."""
    storage = story.image.storage
    paths = [name]
    for rendition_set in (renditions or {}).values():
        for format_name in ("webp", "jpeg"):
            paths += [path for _width, path in rendition_set.get(format_name, [])]
    return all(storage.exists(path) for path in paths)


def restore_into_drafts(story, content, language_codes, *, user):
    """Put an earlier revision's text back into the drafts of the story's translations in `language_codes`: a
    published translation's draft (its published text stays public until Publish), an unpublished translation
    itself, and a translation written then but deleted since as a new unpublished one. The story's date,
    category, event date and image are shared by every language and shown by a published one at once: they are
    restored only while no translation is published.

    Returns what an editor should know: notes on what could not be restored (an image since deleted, a slug
    another story took meanwhile, the story's fields a published page shows).
    """
    notes = []
    translations = {translation.language_code: translation for translation in story.translations.all()}
    if any(translation.status == PublicationStatus.PUBLISHED for translation in translations.values()):
        if story_fields_differ(story, content):
            notes.append(
                _(
                    "The date, category, event date and image are shared by the published page and were left as "
                    "they are: change them in the form if you need to."
                )
            )
    else:
        restore_story_fields(story, content, notes)
    for code in language_codes:
        values = content.versions.get(code)
        if values is None:
            continue
        restored = {name: values[name] for name in RESTORED_VERSION_FIELDS}
        slug_taken = (
            NewsStoryTranslation.objects.filter(language_code=code, slug=values["slug"]).exclude(master=story).exists()
        )
        if slug_taken:
            notes.append(
                _("Another story now uses the address of that revision (%(slug)s): the current one was kept.")
                % {"slug": values["slug"]}
            )
            del restored["slug"]
        translation = translations.get(code)
        if translation is not None and translation.status == PublicationStatus.PUBLISHED:
            publishing.save_draft(story, code, restored, user=user)
            continue
        if translation is None:
            translation = NewsStoryTranslation(master=story, language_code=code, status=PublicationStatus.DRAFT)
            restored.setdefault("slug", values["slug"] if not slug_taken else f"{values['slug']}-{story.pk}")
        for name, value in restored.items():
            setattr(translation, name, value)
        translation.save()
    return notes


def story_fields_differ(story, content):
    old_image = getattr(content.story.get("image"), "name", None) or ""
    return old_image != story.image.name or any(
        content.story.get(name) != getattr(story, name) for name in RESTORED_STORY_FIELDS
    )


def restore_story_fields(story, content, notes):
    for name in RESTORED_STORY_FIELDS:
        setattr(story, name, content.story.get(name))
    old_image = getattr(content.story.get("image"), "name", None) or ""
    if old_image != story.image.name:
        if not old_image:
            story.image = ""
            story.image_renditions = {}
        elif files_exist(story, old_image, content.story.get("image_renditions")):
            story.image = old_image
            story.image_renditions = content.story.get("image_renditions") or {}
        else:
            notes.append(
                _("The image of that revision has since been replaced and deleted: the current image was kept.")
            )
    story.save()


def restorable_languages(version):
    """The SiteLanguages a revision holds a translation in."""
    codes = RevisionContent(version).versions
    return [site_language(code) for code in SITE_LANGUAGES if code in codes]


def restore_revision(story, version, *, user, language_codes=None):
    """Restores `version` (one of story_revisions(story)) into the drafts of the translations in `language_codes`
    (None: every language the revision holds), never unpublishing anything: visitors keep reading the published
    text until an editor publishes. Itself a revision recorded as `user`'s, so nothing in the history is lost.
    Returns notes on what could not be restored."""
    if version.object_id != str(story.pk) or version.content_type.model_class() is not NewsStory:
        raise ValueError(f"Version {version.pk} is not a revision of story {story.pk}.")
    content = RevisionContent(version)
    codes = [code for code in SITE_LANGUAGES if code in content.versions and code in (language_codes or SITE_LANGUAGES)]
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        changes.record(
            "restored",
            **{"from": {"revision": version.revision_id, "date": changes.moment(version.revision.date_created)}},
            languages=codes,
        )
        # Recorded even when only drafts changed: the history says who restored what.
        reversion.add_to_revision(story)
        return restore_into_drafts(story, content, codes, user=user)


def record_save(story, language_code, *, created, changed_fields, marked_up_to_date, published, retired_redirects):
    """Records what an editor's save of the story's translation in `language_code` did, as the comment of the
    revision being made: created, the fields changed (model or form field names), "up to date" ticked, published
    with the save, old addresses retired."""
    details = {"language": language_code}
    if created:
        action = "created"
    elif changed_fields:
        action = "changed"
        details["fields"] = list(changed_fields)
        if marked_up_to_date:
            details["marked_up_to_date"] = True
    else:
        action = "marked_up_to_date" if marked_up_to_date else "saved"
    if published:
        details["published"] = True
    if retired_redirects:
        details["retired"] = [
            {"address": redirect.old_url, "story": str(redirect.story)} for redirect in retired_redirects
        ]
    changes.record(action, **details)
