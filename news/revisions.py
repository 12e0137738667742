"""A story's history as editors see it: the revisions django-reversion keeps, what changed between two of them in
words, and an earlier revision restored as a draft.

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
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from reversion.models import Version

from site_shell.languages import SITE_LANGUAGES, site_language

from .models import TRANSLATED_CONTENT_FIELDS, NewsStory, NewsStoryTranslation, PublicationStatus
from .story_body import story_body_text

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
        return story_body_text(value)
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


def compare(older, newer):
    """What changed from one revision to another: [{"section", "rows": [{"field", "old", "new", "diff"}]}]."""
    sections = []
    rows = []
    for name in COMPARED_STORY_FIELDS:
        old, new = display_value(name, older.story.get(name)), display_value(name, newer.story.get(name))
        if old != new:
            rows.append({"field": field_label(NewsStory, name), "old": old, "new": new, "diff": word_diff(old, new)})
    if rows:
        sections.append({"section": _("Every language"), "rows": rows})
    for code in SITE_LANGUAGES:
        old_version, new_version = older.versions.get(code, {}), newer.versions.get(code, {})
        rows = []
        for name in COMPARED_VERSION_FIELDS:
            old, new = display_value(name, old_version.get(name)), display_value(name, new_version.get(name))
            if old != new:
                label = field_label(NewsStoryTranslation, name)
                rows.append({"field": label, "old": old, "new": new, "diff": word_diff(old, new)})
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


@transaction.atomic
def restore_as_draft(story, content):
    """Put an earlier revision's text, dates and image back into the story, every language as a draft.

    Returns what an editor should know: notes on what could not be restored (an image since deleted, a slug
    another story took meanwhile).
    """
    notes = []
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
    for version in story.translations.all():
        values = content.versions.get(version.language_code)
        if values is not None:
            slug_taken = (
                NewsStoryTranslation.objects.filter(language_code=version.language_code, slug=values["slug"])
                .exclude(master=story)
                .exists()
            )
            for name in RESTORED_VERSION_FIELDS:
                if name == "slug" and slug_taken:
                    notes.append(
                        _("Another story now uses the address of that revision (%(slug)s): the current one was kept.")
                        % {"slug": values["slug"]}
                    )
                    continue
                setattr(version, name, values[name])
        version.status = PublicationStatus.DRAFT
        version.save()
    for code, values in content.versions.items():
        if not story.translations.filter(language_code=code).exists():
            restored = NewsStoryTranslation(master=story, language_code=code, status=PublicationStatus.DRAFT)
            for name in RESTORED_VERSION_FIELDS:
                setattr(restored, name, values[name])
            restored.save()
    return notes


def restore_revision(story, version, *, user):
    """Restores `version` (one of story_revisions(story)) as a draft in every translation, itself a revision
    recorded as `user`'s, so nothing in the history is lost. Returns notes on what could not be restored."""
    if version.object_id != str(story.pk) or version.content_type.model_class() is not NewsStory:
        raise ValueError(f"Version {version.pk} is not a revision of story {story.pk}.")
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        when = date_format(timezone.localtime(version.revision.date_created), "DATETIME_FORMAT")
        reversion.set_comment(_("Restored the revision of %(time)s as a draft") % {"time": when})
        return restore_as_draft(story, RevisionContent(version))


def revision_summary(revision):
    """One line for the history list: when, who, what."""
    when = date_format(timezone.localtime(revision.date_created), "DATETIME_FORMAT")
    who = revision.user.get_username() if revision.user else _("(unknown)")
    return format_html("{} · {} · {}", when, who, revision.comment or "")


def language_list(codes):
    return format_html_join(", ", "{}", ((site_language(code).switch_label,) for code in codes))
