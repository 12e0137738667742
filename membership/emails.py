"""The two emails an application sends: a confirmation to the applicant, a notification to staff.

Each is sent once; a failure is logged and kept on the application for the resend command.
Another email is a subject and body template pair in templates/membership/emails/ and a render_mail() call.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .letters import upload_link_token
from .models import MembershipApplication

logger = logging.getLogger(__name__)


def send_application_emails(application_id, site_url):
    """Sends whichever of the two emails has not gone out yet; returns True when both have."""
    application = MembershipApplication.objects.get(pk=application_id)
    errors = []
    if application.confirmation_sent_at is None:
        errors += _send(application, "confirmation_sent_at", _confirmation(application, site_url))
    if application.staff_notified_at is None:
        if settings.MEMBERSHIP_NOTIFY_EMAILS:
            errors += _send(application, "staff_notified_at", _staff_notification(application, site_url))
        else:
            errors.append("MEMBERSHIP_NOTIFY_EMAILS is empty: no staff address to notify.")
            logger.warning("Membership application %s: no staff address to notify", application.pk)
    application.email_error = "\n".join(errors)
    application.save(update_fields=["confirmation_sent_at", "staff_notified_at", "email_error"])
    return not errors


def _send(application, sent_field, message):
    try:
        message.send()
    except Exception as error:  # SMTP, DNS, timeouts: whatever happens, the application is kept.
        logger.exception("Membership application %s: sending %s failed", application.pk, sent_field)
        return [f"{timezone.now():%Y-%m-%d %H:%M} {sent_field}: {type(error).__name__}: {error}"[:1000]]
    setattr(application, sent_field, timezone.now())
    return []


def render_mail(template_prefix, context, *, to, language, **kwargs):
    """An EmailMessage from `<prefix>_subject.txt` and `<prefix>_body.txt`, rendered in `language`.

    Further keyword arguments (reply_to, cc, headers...) go to the EmailMessage.
    """
    with translation.override(language):
        subject = render_to_string(f"{template_prefix}_subject.txt", context)
        body = render_to_string(f"{template_prefix}_body.txt", context)
    # A line break in a subject would break the email's headers.
    return EmailMessage(" ".join(subject.split()), body, to=to, **kwargs)


def _confirmation(application, site_url):
    # The summary names each answer as the form did.
    labels = {field.name: MembershipApplication.field_label(field.name) for field in MembershipApplication._meta.fields}
    return render_mail(
        "membership/emails/confirmation",
        {
            "application": application,
            "labels": labels,
            "site_url": site_url,
            "letter_upload_url": None if application.letter else letter_upload_url(application, site_url),
        },
        to=[application.contact_email],
        language=application.language,
    )


def _staff_notification(application, site_url):
    # Staff read English, the admin link included; the applicant's own words are quoted as they wrote them.
    with translation.override(settings.LANGUAGE_CODE):
        admin_url = site_url + reverse("admin:membership_membershipapplication_change", args=[application.pk])
    return render_mail(
        "membership/emails/staff_notification",
        {"application": application, "admin_url": admin_url},
        to=settings.MEMBERSHIP_NOTIFY_EMAILS,
        language=settings.LANGUAGE_CODE,
        reply_to=[application.contact_email],
    )


def letter_upload_url(application, site_url):
    """The applicant's personal link to upload the signed letter, in their language, valid for 30 days."""
    with translation.override(application.language):
        return site_url + reverse("membership:upload_letter", args=[upload_link_token(application)])
