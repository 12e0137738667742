"""Reviewing an application: a new status (recorded, and emailed to the applicant), a reviewer (recorded, and emailed
to them), notes. Plain functions the admin, views and management commands call: they take the application, the acting
staff member and the values, save in one transaction, queue the emails (sent once it commits, see emails.py) and
return what they recorded; they know nothing of requests or messages.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from .emails import record_assignment_email, record_status_email
from .models import ApplicationEvent, ApplicationNote, MembershipApplication


class MessageRequired(ValueError):
    """“Information needed” tells the applicant what to send: it is not sent without a message."""


class EmptyNote(ValueError):
    """A note with nothing written in it."""


def needs_message(status):
    """Whether the email a change to `status` sends is empty without the reviewer's message."""
    return status == MembershipApplication.Status.INFORMATION_NEEDED


def possible_reviewers(current=None):
    """Who may be given an application: active staff allowed to view applications (directly, through a group, or as
    superusers). Anyone else would get an "Assigned to you" email for a page they may not open. The `current`
    reviewer stays a choice even after losing the permission, so that the application can still be saved."""
    may_view = Permission.objects.filter(content_type__app_label="membership", codename="view_membershipapplication")
    allowed = Q(is_active=True, is_staff=True) & (
        Q(is_superuser=True) | Q(user_permissions__in=may_view) | Q(groups__permissions__in=may_view)
    )
    if current is not None:
        allowed |= Q(pk=current.pk)
    return get_user_model().objects.filter(allowed).distinct().order_by("username")


def saved_values(application):
    """The application's status and reviewer's id as saved, the row locked until the transaction ends."""
    return (
        MembershipApplication.objects.select_for_update()
        .filter(pk=application.pk)
        .values_list("status", "assigned_to_id")
        .get()
    )


@transaction.atomic
def change_status(application, status, *, actor, message="", site_url=None):
    """Gives the application a new status, recorded in its timeline as `actor`'s with `message`, and queues the
    email that status sends the applicant (quoting the message; none for back to New). Returns the event, or None
    when the application already had that status (nothing is recorded or sent)."""
    message = message.strip()
    if needs_message(status) and not message:
        raise MessageRequired("Write what the applicant should send: it is the heart of the email they get.")
    old_status, _reviewer = saved_values(application)
    application.status = status
    if old_status == status:
        return None
    application.save(update_fields=["status"])
    event = ApplicationEvent.objects.create(
        application=application,
        kind=ApplicationEvent.Kind.STATUS,
        actor=actor,
        old_status=old_status,
        new_status=status,
        message=message,
    )
    record_status_email(application, site_url or settings.SITE_URL, staff_message=message)
    return event


@transaction.atomic
def assign(application, reviewer, *, actor, site_url=None):
    """Gives the application to `reviewer` (None: to nobody), recorded in its timeline as `actor`'s. The reviewer is
    emailed a link to it, unless they took it themselves or have no address. Returns the event, or None when the
    application was already theirs."""
    _status, old_reviewer_id = saved_values(application)
    application.assigned_to = reviewer
    if old_reviewer_id == (reviewer.pk if reviewer else None):
        return None
    application.save(update_fields=["assigned_to"])
    event = ApplicationEvent.objects.create(
        application=application, kind=ApplicationEvent.Kind.ASSIGNMENT, actor=actor, assigned_to=reviewer
    )
    # Whoever takes an application themselves knows already.
    if reviewer is not None and reviewer != actor and reviewer.email:
        record_assignment_email(application, site_url or settings.SITE_URL)
    return event


def add_note(application, text, *, author):
    """A note only staff see, kept in the timeline with its author and time. Returns it."""
    text = text.strip()
    if not text:
        raise EmptyNote("A note needs some text.")
    return ApplicationNote.objects.create(application=application, author=author, text=text)


def record_duplicate(application, *, company_name):
    """The applicant sent the form again within a day: not saved twice, but noted on the application they sent
    first (by nobody: the site wrote it), in the staff's language."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext("Sent again from the form on %(time)s, as “%(company)s”; not saved a second time.") % {
            "time": f"{timezone.localtime():%Y-%m-%d %H:%M}",
            "company": company_name,
        }
    return ApplicationNote.objects.create(application=application, author=None, text=text)
