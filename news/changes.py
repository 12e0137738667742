"""What a revision did, recorded as data and told in the language of whoever reads the history.

Each revision's comment (django-reversion's `Revision.comment`) holds a small JSON document, e.g.
{"action": "changed", "language": "en", "fields": ["summary", "body"]}: the action, the language codes and the
model field names, never words. `describe(revision)` turns it into a sentence in the active language, with the
fields' verbose names and the languages' labels, so an English editor and a Chinese one read the same history
each in their own. Revisions saved before this format have a sentence as their comment: it is shown as it is.

The actions and what they carry:
- "created", "saved" (without changes), "marked_up_to_date": "language".
- "changed": "language", "fields"; and "marked_up_to_date" (true) when "up to date" was ticked in the same save.
- any save: "published" (true) when saved with Publish; "retired": [{"address", "story"}], old addresses taken.
- "published", "unpublished": "languages" (the codes changed).
- "published_changes": "language", "scheduled_for" (ISO time, or null when published by hand).
- "scheduled": "language", "time" (ISO time).
- "restored": "from" ({"revision": id, "date": ISO time}), "languages".
"""

import datetime
import json

import reversion
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from site_shell.languages import SITE_LANGUAGES, site_language

from .models import NewsStory, NewsStoryTranslation, TranslationDraft

# Fields of the story form that are not a model field of the same name: the model field whose name they show.
FORM_FIELD_SOURCES = {"publish_changes_at": (TranslationDraft, "publish_at")}


def record(action, **details):
    """Sets the comment of the revision being made (inside reversion.create_revision()) to `action` and
    `details`, which must be plain JSON values: codes, field names, ISO times."""
    reversion.set_comment(json.dumps({"action": action, **details}, ensure_ascii=False))


def moment(value):
    """A time as recorded: ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def field_name(name):
    """A model field's name as the reader says it: its verbose name in the active language."""
    model, name = FORM_FIELD_SOURCES.get(name, (None, name))
    for candidate in [model] if model else [NewsStoryTranslation, NewsStory]:
        try:
            return str(candidate._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return name


def language_name(code):
    return site_language(code).switch_label if code in SITE_LANGUAGES else str(code)


def listed(items):
    return pgettext("separator of a list of names", ", ").join(items)


def also():
    return pgettext("separator of the clauses of one sentence", "; ")


def when(value):
    return date_format(timezone.localtime(datetime.datetime.fromisoformat(value)), "DATETIME_FORMAT")


def describe(revision):
    """What `revision` did, in a line in the active language; an old revision's sentence as it was written."""
    try:
        change = json.loads(revision.comment)
    except ValueError:
        return revision.comment
    if not isinstance(change, dict) or "action" not in change:
        return revision.comment
    return sentence(change)


def sentence(change):
    """A recorded change (the decoded JSON document) as a line in the active language."""
    action = change["action"]
    language = language_name(change.get("language") or "")
    languages = listed(language_name(code) for code in change.get("languages", []))
    if action == "created":
        text = gettext("Created (%(language)s)") % {"language": language}
    elif action == "changed":
        fields = listed(field_name(name) for name in change.get("fields", []))
        text = gettext("%(language)s: changed %(fields)s") % {"language": language, "fields": fields}
        if change.get("marked_up_to_date"):
            text += also() + gettext("marked as up to date")
    elif action == "marked_up_to_date":
        text = gettext("%(language)s: marked as up to date") % {"language": language}
    elif action == "saved":
        text = gettext("%(language)s: saved without changes") % {"language": language}
    elif action == "published":
        text = gettext("Published (%(languages)s)") % {"languages": languages}
    elif action == "unpublished":
        text = gettext("Unpublished, back to draft (%(languages)s)") % {"languages": languages}
    elif action == "published_changes" and change.get("scheduled_for"):
        text = gettext("%(language)s: published the changes scheduled for %(time)s") % {
            "language": language,
            "time": when(change["scheduled_for"]),
        }
    elif action == "published_changes":
        text = gettext("%(language)s: published the changes") % {"language": language}
    elif action == "scheduled":
        text = f"{language}: " + gettext("◷ Scheduled for %(time)s") % {"time": when(change["time"])}
    elif action == "restored":
        text = gettext("Restored the revision of %(time)s into the draft (%(languages)s)") % {
            "time": when(change["from"]["date"]),
            "languages": languages,
        }
    else:
        text = action
    if change.get("published"):
        text += also() + gettext("published")
    for retired in change.get("retired", []):
        text += also() + gettext("retired the old address %(address)s of “%(story)s”") % retired
    return text
