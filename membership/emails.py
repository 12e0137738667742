"""The emails an application sends, each recorded as an `ApplicationEmail` row before it is sent.

A row is created, pending, in the same transaction as what causes it (the application, a status change, an
assignment). Once that commits it is sent outside the request: after the response has gone to the browser (Django
closes the response, and with it sends `request_finished`, only after the server has written it), or by
`manage.py send_membership_emails`, which sends every pending or failed row. A slow or unreachable mail server
therefore never holds up a buyer or an editor; what failed is on the row and is tried again.

Another email is a subject and body template pair in templates/membership/emails/ (named after the row's kind)
and a context in `email_context()`.
"""

import datetime
import logging
import smtplib
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .letters import upload_link_token
from .models import STATUS_EMAILS, ApplicationEmail, MembershipApplication

logger = logging.getLogger(__name__)

# How long a sender owns the emails it claimed: longer than any send (each SMTP step is bounded by EMAIL_TIMEOUT),
# short enough that an email whose sender died is tried again by the next run of the command.
CLAIM_LEASE = datetime.timedelta(minutes=10)
# After the mail server failed, requests leave their emails to the resend command for this long, rather than each
# holding its worker for EMAIL_TIMEOUT; the command (cron) always tries.
MAIL_SERVER_PAUSE_SECONDS = 60
MAIL_SERVER_FAILED = "membership:mail-server-failed"
NO_STAFF_ADDRESS = "MEMBERSHIP_NOTIFY_EMAILS is empty: no staff address to notify."


# --- Recording -----------------------------------------------------------------------------------


def record_email(application, kind, *, recipients, language, site_url, staff_message=""):
    """A pending email, created in the current transaction and sent once it commits."""
    email = ApplicationEmail.objects.create(
        application=application,
        kind=kind,
        recipients=", ".join(recipients),
        language=language,
        staff_message=staff_message,
    )
    send_on_commit([email], site_url)
    return email


def send_on_commit(emails, site_url):
    email_ids = [email.pk for email in emails]
    transaction.on_commit(lambda: send_after_response(email_ids, site_url))


def record_application_emails(application, site_url):
    """The confirmation to the applicant and the notification to staff of a new application, sent together."""
    confirmation = ApplicationEmail.objects.create(
        application=application,
        kind=ApplicationEmail.Kind.CONFIRMATION,
        recipients=application.contact_email,
        language=application.language,
    )
    staff_notification = ApplicationEmail.objects.create(
        application=application,
        kind=ApplicationEmail.Kind.STAFF_NOTIFICATION,
        recipients=", ".join(settings.MEMBERSHIP_NOTIFY_EMAILS),
        language=settings.LANGUAGE_CODE,
    )
    send_on_commit([confirmation, staff_notification], site_url)


def record_status_email(application, site_url, staff_message=""):
    """The email telling the applicant of their application's new status, if that status has one."""
    kind = STATUS_EMAILS.get(application.status)
    if kind is None:
        return None
    return record_email(
        application,
        kind,
        recipients=[application.contact_email],
        language=application.language,
        site_url=site_url,
        staff_message=staff_message,
    )


def record_assignment_email(application, site_url):
    """Tells the reviewer, in the staff's language (English, as the staff notification), of their new application."""
    return record_email(
        application,
        ApplicationEmail.Kind.ASSIGNMENT,
        recipients=[application.assigned_to.email],
        language=settings.LANGUAGE_CODE,
        site_url=site_url,
    )


@transaction.atomic
def send_again(email, site_url):
    """An email given up on after MEMBERSHIP_EMAIL_MAX_ATTEMPTS tries, sent again at staff's request: its tries start
    over (so the resend command takes it up too, should this send fail) and it is sent once this commits, after the
    response. Returns False, changing nothing, when it was not given up on (sent meanwhile, or still being tried)."""
    reset = (
        ApplicationEmail.objects.unsent()
        .filter(pk=email.pk, attempts__gte=settings.MEMBERSHIP_EMAIL_MAX_ATTEMPTS)
        .update(attempts=0, error="", claimed_until=None)
    )
    if reset:
        send_on_commit([email], site_url)
    return bool(reset)


# --- Sending after the response --------------------------------------------------------------------

_this_request = threading.local()


def send_after_response(email_ids, site_url):
    """Sends the emails once the current response has been delivered; outside a request (a command), now."""
    queue = getattr(_this_request, "emails", None)
    if queue is None:
        send_emails(email_ids, site_url)
    else:
        queue.append((email_ids, site_url))


def start_request_queue(**kwargs):
    _this_request.emails = []


def send_request_queue(**kwargs):
    # request_finished is sent from the response's close(), which the WSGI server calls after writing the response:
    # the browser has its answer. Nothing raised here may reach the server; what fails stays on the rows.
    queue, _this_request.emails = getattr(_this_request, "emails", None), None
    if not queue:
        return
    if mail_server_recently_failed():
        # Each worker waiting EMAIL_TIMEOUT after every response would soon leave none for visitors.
        logger.info("Membership emails %s left for the resend command: the mail server failed lately", queue)
        return
    deadline = time.monotonic() + settings.EMAIL_TIMEOUT
    by_site_url = {}
    for email_ids, site_url in queue:
        by_site_url.setdefault(site_url, []).extend(email_ids)
    for site_url, email_ids in by_site_url.items():
        try:
            send_emails(email_ids, site_url, deadline=deadline)
        except Exception:  # noqa: BLE001 - e.g. the database went away: the command sends them later
            logger.exception("Membership emails %s: not sent after the response", email_ids)


request_started.connect(start_request_queue, dispatch_uid="membership_emails_start")
request_finished.connect(send_request_queue, dispatch_uid="membership_emails_send")


# --- Sending -----------------------------------------------------------------------------------------


def mail_server_recently_failed():
    try:
        return bool(cache.get(MAIL_SERVER_FAILED))
    except Exception:  # noqa: BLE001 - the cache server is down: try the mail server as usual
        return False


def note_mail_server_failure():
    try:
        cache.set(MAIL_SERVER_FAILED, True, timeout=MAIL_SERVER_PAUSE_SECONDS)
    except Exception:  # noqa: BLE001, S110 - the cache server is down too: nothing to remember it in
        pass


def is_server_failure(error):
    """The mail server itself is unreachable, slow or broken (not one message or address refused)."""
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | smtplib.SMTPAuthenticationError):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def claim(email_id):
    """True when this process now owns the email: a compare-and-set on `claimed_until`.

    The UPDATE is atomic on every database (PostgreSQL re-checks its condition after a concurrent claim commits;
    SQLite writes one at a time), so of two senders racing for a row exactly one gets it.
    """
    now = timezone.now()
    claimable = ApplicationEmail.objects.to_send().filter(Q(claimed_until=None) | Q(claimed_until__lt=now))
    return claimable.filter(pk=email_id).update(claimed_until=now + CLAIM_LEASE) == 1


def send_emails(email_ids, site_url, deadline=None):
    """Sends each of these emails that is still to be sent and not being sent elsewhere: (sent, failed) counts.

    Each email is claimed just before it is sent, so two runs at once share the work. One SMTP connection serves
    them all; when the server fails, the emails after it are recorded with the same failure rather than each
    waiting for its own timeout. Past `deadline` (time.monotonic()), what is left is left for the command.
    """
    sent = failed = 0
    connection = get_connection()
    server_failure = None
    try:
        for email_id in email_ids:
            if server_failure is None and deadline is not None and time.monotonic() > deadline:
                break
            if not claim(email_id):
                continue
            email = ApplicationEmail.objects.select_related("application__assigned_to").get(pk=email_id)
            if server_failure is not None:
                record_failure(email, f"Not tried: the mail server failed on an earlier email ({server_failure})")
                failed += 1
                continue
            try:
                message = build_message(email, site_url)
            except NoRecipient as error:
                record_failure(email, str(error))
                failed += 1
                continue
            try:
                connection.open()  # once: later calls find it open
                message.connection = connection
                message.send()
            except Exception as error:  # noqa: BLE001 - SMTP, DNS, timeouts: the application is kept whatever happens
                # The error's text may name the recipient: it goes on the row staff see, the log gets its kind only.
                logger.warning(
                    "Membership application %s: sending the %s email failed (%s); the resend command tries again",
                    email.application_id,
                    email.kind,
                    type(error).__name__,
                )
                record_failure(email, f"{type(error).__name__}: {error}")
                failed += 1
                if is_server_failure(error):
                    server_failure = f"{type(error).__name__}: {error}"
                    note_mail_server_failure()
                continue
            now = timezone.now()
            ApplicationEmail.objects.filter(pk=email.pk).update(
                sent_at=now,
                last_attempt_at=now,
                subject=message.subject[:300],
                recipients=", ".join(message.to)[:1000],
                attempts=F("attempts") + 1,
                error="",
                claimed_until=None,
            )
            sent += 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail too
            pass
    return sent, failed


def record_failure(email, error):
    ApplicationEmail.objects.filter(pk=email.pk).update(
        attempts=F("attempts") + 1, last_attempt_at=timezone.now(), error=error[:1000], claimed_until=None
    )


class NoRecipient(Exception):
    pass


# --- Rendering -------------------------------------------------------------------------------------


def render_mail(template_prefix, context, *, to, language, **kwargs):
    """An EmailMessage from `<prefix>_subject.txt` and `<prefix>_body.txt`, rendered in `language`.

    Further keyword arguments (reply_to, cc, headers...) go to the EmailMessage.
    """
    with translation.override(language):
        subject = render_to_string(f"{template_prefix}_subject.txt", context)
        body = render_to_string(f"{template_prefix}_body.txt", context)
    # A line break in a subject would break the email's headers.
    return EmailMessage(" ".join(subject.split()), body, to=to, **kwargs)


def build_message(email, site_url):
    application = email.application
    recipients = [address.strip() for address in email.recipients.split(",") if address.strip()]
    if email.kind == ApplicationEmail.Kind.STAFF_NOTIFICATION and not recipients:
        recipients = list(settings.MEMBERSHIP_NOTIFY_EMAILS)
    if not recipients:
        raise NoRecipient(NO_STAFF_ADDRESS if email.kind == ApplicationEmail.Kind.STAFF_NOTIFICATION else "No address.")
    extra = {}
    if email.kind == ApplicationEmail.Kind.STAFF_NOTIFICATION:
        extra["reply_to"] = [application.contact_email]
    return render_mail(
        email.template_prefix,
        email_context(email, site_url),
        to=recipients,
        language=email.language,
        **extra,
    )


def email_context(email, site_url):
    application = email.application
    context = {"application": application, "site_url": site_url, "staff_message": email.staff_message}
    if email.kind == ApplicationEmail.Kind.CONFIRMATION:
        # The summary names each answer as the form did.
        context["labels"] = {
            field.name: MembershipApplication.field_label(field.name) for field in MembershipApplication._meta.fields
        }
        context["letter_upload_url"] = None if application.letter else letter_upload_url(application, site_url)
    if email.kind == ApplicationEmail.Kind.INFORMATION_NEEDED and not application.letter:
        # Staff ask for a letter (none came, or the one sent was refused) this way: the link takes it.
        context["letter_upload_url"] = letter_upload_url(application, site_url)
    if email.kind in {ApplicationEmail.Kind.STAFF_NOTIFICATION, ApplicationEmail.Kind.ASSIGNMENT}:
        # Staff read English, the admin link included; the applicant's own words are quoted as they wrote them.
        with translation.override(settings.LANGUAGE_CODE):
            context["admin_url"] = site_url + reverse(
                "admin:membership_membershipapplication_change", args=[application.pk]
            )
    return context


def letter_upload_url(application, site_url):
    """The applicant's personal link to upload the signed letter, in their language, valid for 30 days."""
    with translation.override(application.language):
        return site_url + reverse("membership:upload_letter", args=[upload_link_token(application)])
