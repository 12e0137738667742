"""An applicant's personal data on their request: everything held on them, to download, and its erasure (also run by
`manage.py purge_membership_data` once the retention period is over). Plain functions the admin, views and
management commands call; they return the file's bytes, never a response.
"""

import io
import json
import zipfile
from dataclasses import dataclass

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from . import exports
from .models import MembershipApplication

# Fields whose database code means nothing to the applicant: their label instead.
LABELLED_FIELDS = {"status", "company_type", "annual_sales", "heard_from", "headquarters_country"}


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: bytes


def field_value(application, name):
    """A field's value as the download holds it: labels for codes, country codes, a file's name, a person's name
    and address."""
    value = getattr(application, name)
    if name in LABELLED_FIELDS:
        return str(exports.cell_text(application, name))
    if name == "supplier_countries":
        return [country.code for country in value]
    if hasattr(value, "name") and hasattr(value, "storage"):  # a stored file
        return value.name
    if name == "assigned_to" and value is not None:  # the reviewer, a staff account
        return {"name": value.get_full_name() or value.get_username(), "email": value.email}
    return value


def applicant_data(application):
    """Every field held on the application, titled as staff read it ("Company legal name": ...)."""
    return {
        str(MembershipApplication.field_label(field.name)): field_value(application, field.name)
        for field in MembershipApplication._meta.fields
        if field.name != "form_token"
    }


def record(application, user, message):
    """Kept in the application's admin history: who did what to the applicant's data, when."""
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[application], action_flag=CHANGE, change_message=message, single_object=True
    )


def download(application, *, user):
    """Everything held on one applicant, for their request to see it, taken by `user` (recorded in the application's
    history): a JSON document, or a zip of it with their files beside it."""
    document = json.dumps(applicant_data(application), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
    stem = f"buyer-membership-application-{application.pk}"
    record(application, user, gettext("Downloaded the applicant's personal data."))
    files = application.private_files()
    if not files:
        return Download(f"{stem}.json", "application/json; charset=utf-8", document)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"{stem}.json", document)
        for stored in files:
            with stored.open("rb") as content:
                bundle.writestr(stored.name.rsplit("/", 1)[-1], content.read())
    return Download(f"{stem}.zip", "application/zip", archive.getvalue())


# What erasure blanks: everything that names or reaches a person, or that staff wrote about them.
PERSONAL_FIELDS = [
    "company_name",
    "brand_names",
    "website",
    "contact_name",
    "contact_job_title",
    "contact_email",
    "contact_phone",
    "executive_name",
    "executive_title",
    "executive_email",
    "toy_association_name",
    "message",
    "letter_original_name",
]

# What erasure keeps, for statistics (besides the language and the dates).
KEPT_FIELDS = ["company_type", "headquarters_country", "product_categories", "annual_sales", "status"]


def erase(application):
    """Deletes the files (the signed letter), then blanks the personal fields, keeping what statistics need (company
    type, countries, categories, sales band, status, language, dates); deletes the notes, blanks the status messages
    and every email's address and text, and drops the emails not sent yet. Safe to repeat: a file already gone is
    skipped, and an interrupted erasure is finished by the next call."""
    for stored in application.private_files():
        stored.storage.delete(stored.name)  # Deleting a missing file is not an error.
        setattr(application, stored.field.name, "")
    for name in PERSONAL_FIELDS:
        setattr(application, name, "")
    # What staff wrote about the applicant, and the emails to and about them, name or reach them too.
    application.notes.all().delete()
    application.events.update(message="")
    application.emails.filter(sent_at=None).delete()  # never to be sent now
    application.emails.update(recipients="", staff_message="", error="", subject="")
    application.anonymised_at = timezone.now()
    application.save()


class AlreadyErased(ValueError):
    """The application's personal data was erased before."""


def erase_on_request(application, *, user):
    """Erases one applicant's personal data on their request, by `user` (recorded in the application's history).
    Returns the company's name, as it was."""
    if application.anonymised_at:
        raise AlreadyErased(f"Application {application.pk} was erased on {application.anonymised_at:%Y-%m-%d}.")
    company = application.company_name
    with transaction.atomic():
        erase(application)
        record(application, user, gettext("Erased the applicant's personal data on request."))
    return company
