"""Two editors at once: a save made from a form opened before another editor's save keeps the other editor's
changes to every field this editor did not change; where both changed the same field, nothing is saved and the
editor sees both versions side by side and chooses, field by field.

What the form was opened with travels with it, as a signed snapshot of its fields' values in a hidden field
(`opened_version`). A revision id would not do: a published translation's draft is one row updated in place
(TranslationDraft), so what the editor opened may be gone from the database by the time they save, and a story
written by code has no revision at all. The snapshot is signed so that a form cannot claim to have opened values
it never showed; it is compressed, so even a long body adds little to the page.

On a save, for each field: "yours changed" compares the value posted with the value opened, "theirs changed"
compares the value stored now with the value opened. A field only theirs changed is put back into the posted form
(so it is saved as they left it); a field both changed to different values is a conflict.
"""

import datetime
import json
from dataclasses import dataclass

from django import forms
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import changes
from .models import NewsStory, NewsStoryTranslation, TranslationDraft
from .revisions import story_revisions
from .story_body import clean_story_body

SNAPSHOT_FIELD = "opened_version"
CHOICE_PREFIX = "keep_"
THEIRS, MINE = "theirs", "mine"
SNAPSHOT_SALT = "news.merging.opened-values"
# Form fields that are not the story's content: what the form was opened with, and choices that act once
# ("up to date", retiring an old address). An image is replaced by uploading one: an upload is always the
# editor's own change, and a form that uploads nothing keeps the stored image whoever changed it.
NOT_MERGED = {SNAPSHOT_FIELD, "opened_draft", "mark_up_to_date", "retire_redirect", "image"}


def merged_fields(form):
    """The form's fields whose values two editors' saves are merged by: its content, shared and translated."""
    return [
        name
        for name, field in form.fields.items()
        if name not in NOT_MERGED and not name.startswith(CHOICE_PREFIX) and not isinstance(field, forms.FileField)
    ]


def snapshot(form, values, conflicts=()):
    """The signed snapshot of `values` ({field: value}) for the form's story and language."""
    return signing.dumps(
        {
            "story": form.instance.pk,
            "language": form.language_code,
            "values": values,
            "conflicts": list(conflicts),
        },
        salt=SNAPSHOT_SALT,
        serializer=SnapshotSerializer,
        compress=True,
    )


class SnapshotSerializer:
    """signing's JSON serializer, with times and dates written as ISO 8601 (read back by the field's type)."""

    def dumps(self, obj):
        return json.dumps(obj, separators=(",", ":"), cls=DjangoJSONEncoder).encode("latin-1")

    def loads(self, data):
        return json.loads(data.decode("latin-1"))


def stored_values(form):
    """The values of the merged fields as the form shows them before any editing: the story as stored now
    (with the open language's draft, if it has one)."""
    return {name: form[name].initial for name in merged_fields(form)}


def opened_snapshot(form):
    """What the posted form says it was opened with: {"values": {field: value}, "conflicts": [field]}, or None for
    a form without one (a script's post, or a snapshot of another story or language, or one tampered with)."""
    token = form.data.get(form.add_prefix(SNAPSHOT_FIELD)) or ""
    try:
        opened = signing.loads(token, salt=SNAPSHOT_SALT, serializer=SnapshotSerializer)
    except signing.BadSignature:
        return None
    if opened.get("story") != form.instance.pk or opened.get("language") != form.language_code:
        return None
    fields = form.fields
    opened["values"] = {
        name: read_value(fields[name], value) for name, value in opened["values"].items() if name in fields
    }
    return opened


def read_value(field, value):
    """A snapshot's JSON value back as the field's initial value: times and dates were written as text."""
    if isinstance(value, str) and isinstance(field, (forms.DateTimeField, forms.SplitDateTimeField)):
        return parse_datetime(value)
    if isinstance(value, str) and isinstance(field, forms.DateField):
        return parse_date(value)
    return value


def comparable(field, value):
    """A value as two editors would call it the same: text without its line-ending style or outer spaces, a body
    as the site cleans it, a time to the second, nothing and empty alike."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").strip()
        if field.__class__.__name__ == "ProseEditorFormField":
            value = clean_story_body(value)
    if isinstance(value, datetime.datetime):
        value = value.replace(microsecond=0)
    return "" if value is None else value


def posted_value(form, name):
    """The field's value as posted, cleaned as the form would clean it; the raw value if it does not clean."""
    field = form.fields[name]
    raw = form[name].data
    try:
        return field.clean(raw)
    except forms.ValidationError:
        return raw


def put_back(form, name, value):
    """Changes the posted data of field `name` to `value`, as the form's own widget would post it."""
    bound = form[name]
    context = bound.field.widget.get_context(bound.html_name, bound.field.prepare_value(value), None)["widget"]
    for part in context.get("subwidgets") or [context]:
        posted = part["value"]
        posted = [str(item) for item in posted] if isinstance(posted, (list, tuple)) else [posted or ""]
        form.data.setlist(part["name"], posted)


@dataclass
class Conflict:
    """A field both editors changed: their value (stored now) and this editor's (posted)."""

    name: str
    field: forms.Field
    theirs: object
    yours: object
    choice: object  # the BoundField of the keep-theirs / keep-mine radio buttons

    @property
    def label(self):
        return self.field.label

    @property
    def versions(self):
        """(choice value, its label, the version shown) for theirs and this editor's, in that order."""
        return [
            (THEIRS, gettext("Keep theirs"), shown_value(self.field, self.name, self.theirs)),
            (MINE, gettext("Keep mine"), shown_value(self.field, self.name, self.yours)),
        ]


@dataclass
class Merge:
    """What merging a posted form with the story as stored now found: the fields another editor changed and this
    editor did not (kept as the other editor left them), and the conflicts."""

    taken_from_them: list
    conflicts: list
    # Who saved last and when, as read before this editor's save: (name, time as the editor reads it).
    last_save: tuple = ("", "")


NO_MERGE = Merge([], [])


def merge_concurrent_changes(form):
    """Merges the bound story form with the story as stored now (read under lock, see lock_story), field by field,
    by rewriting its posted data; returns the Merge. Conflicting fields keep this editor's text and get a choice
    (keep theirs / keep mine); a conflict met before and answered is settled by the answer."""
    opened = opened_snapshot(form)
    if opened is None:
        return NO_MERGE
    form.data = form.data.copy()
    opened_values = opened["values"]
    now = stored_values(form)
    merge = Merge([], [])
    # Conflicts shown before: "keep theirs" takes the value shown as theirs (the snapshot's), "keep mine" the
    # posted one; unanswered, they are shown again.
    for name in opened.get("conflicts", []):
        if name not in opened_values or name not in form.fields:
            continue
        choice = add_choice(form, name)
        if choice.data == THEIRS:
            put_back(form, name, opened_values[name])
        elif choice.data != MINE:
            merge.conflicts.append(
                Conflict(name, form.fields[name], opened_values[name], posted_value(form, name), choice)
            )
    for name in merged_fields(form):
        if name not in opened_values or name in [conflict.name for conflict in merge.conflicts]:
            continue
        field = form.fields[name]
        opened_value, stored_value = comparable(field, opened_values[name]), comparable(field, now[name])
        if opened_value == stored_value:
            continue
        yours = posted_value(form, name)
        if comparable(field, yours) == opened_value:
            put_back(form, name, now[name])
            merge.taken_from_them.append(name)
        elif comparable(field, yours) != stored_value:
            # Asked afresh: an earlier answer was about another version of theirs.
            form.data.pop(form.add_prefix(CHOICE_PREFIX + name), None)
            merge.conflicts.append(Conflict(name, field, now[name], yours, add_choice(form, name)))
    if merge.taken_from_them or merge.conflicts:
        merge.last_save = last_save(form.instance, form.language_code)
    if merge.taken_from_them or merge.conflicts or opened.get("conflicts"):
        # Saved again, the form is compared with the story as it is now; the conflicts still need an answer.
        form.data[form.add_prefix(SNAPSHOT_FIELD)] = snapshot(form, now, [c.name for c in merge.conflicts])
    return merge


def add_choice(form, name):
    """The keep-theirs / keep-mine radio buttons of a conflicting field (rendered by save_conflicts.html)."""
    choice_name = CHOICE_PREFIX + name
    form.fields[choice_name] = forms.ChoiceField(
        label=form.fields[name].label, choices=[(THEIRS, _("Keep theirs")), (MINE, _("Keep mine"))], required=False
    )
    return form[choice_name]


def shown_value(field, name, value):
    """A field's value as the side-by-side comparison shows it (HTML): the body formatted and cleaned as the
    site cleans it, a choice by its label, a time in the site's time zone, text with its line breaks."""
    if value in (None, ""):
        return format_html('<span class="merge-empty">{}</span>', gettext("(empty)"))
    if name == "body":
        return mark_safe(clean_story_body(value))  # noqa: S308 - cleaned with the site's allow-list
    if getattr(field, "choices", None):
        return str(dict(field.choices).get(value, value))
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "DATE_FORMAT")
    return mark_safe(linebreaks(str(value), autoescape=True))  # noqa: S308 - escaped by linebreaks


def last_save(story, language_code):
    """Who saved the story (or the draft of its translation in `language_code`) last, and when: (name, time)."""
    draft = (
        TranslationDraft.objects.filter(translation__master=story, translation__language_code=language_code)
        .select_related("saved_by")
        .first()
    )
    saves = [(draft.saved_at, draft.saved_by)] if draft else []
    latest = story_revisions(story).first()
    if latest is not None:
        saves.append((latest.revision.date_created, latest.revision.user))
    when, who = max(saves, key=lambda save: save[0], default=(story.updated_at, None))
    name = who.get_username() if who is not None else gettext("another editor")
    return name, date_format(timezone.localtime(when), "DATETIME_FORMAT")


def conflict_message(merge):
    who, when = merge.last_save
    return gettext(
        "After you opened this story, %(who)s saved it at %(time)s and changed some of the fields you changed. "
        "Nothing is saved yet: their changes to other fields are now in the form with yours. For each field "
        "below, keep their version or yours, then save again."
    ) % {"who": who, "time": when}


def taken_message(merge):
    who, when = merge.last_save
    return gettext(
        "After you opened this story, %(who)s saved it at %(time)s: their changes to %(fields)s are kept with yours."
    ) % {
        "who": who,
        "time": when,
        "fields": changes.listed(changes.field_name(name) for name in merge.taken_from_them),
    }


def lock_story(story_id):
    """Holds the story's rows until the save's transaction ends, so that a second editor's save waits for the first
    and then merges with what the first saved (on databases that lock rows; SQLite runs one write at once).
    Translations first, then the story, in the order publishing's workflows lock them."""
    if not transaction.get_connection().in_atomic_block:
        return
    list(NewsStoryTranslation.objects.select_for_update().filter(master=story_id).order_by("pk").values("pk"))
    list(NewsStory.objects.select_for_update().filter(pk=story_id).values("pk"))


def errors_besides_the_merge(form, errors):
    """The admin's list of errors to correct without the news of another editor's save, which is not one: the
    change form tells it in its own box (templates/admin/news/newsstory/change_form.html)."""
    told = form.errors.get(SNAPSHOT_FIELD)
    return [error_list for error_list in errors if error_list is not told]
