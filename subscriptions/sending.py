"""Sending stories to subscribers, through the background runner (background/queue.py).

1. A translation saved as published for the first time (news/models.py sends post_save, however it was published:
   the admin's form, publishing.publish, a schedule) gets its StoryAnnouncement, and a job `announce_story` due when
   the translation becomes public. A correction (publish_draft), or a translation unpublished and published again,
   finds its announcement made and sends nothing.
2. `announce_story` makes one Delivery per subscriber of that language and category, and in the same transaction the
   jobs that send them to immediate subscribers, EMAILS_PER_JOB each over one connection, spread out to
   SUBSCRIPTION_EMAILS_PER_MINUTE; a daily or weekly subscriber gets one `send_digest` job at their next digest time
   (08:00 site time; weekly on Mondays), which sends all that waits.
3. A job claims each delivery (pending -> sending, a row lock that skips rows another worker holds, then a
   compare-and-set) before it speaks to the mail server: two workers never both send it. A temporary failure (the
   server unreachable, a 4xx answer) puts it back, pending, with the job queued again after a growing pause; a
   recipient refused for good (5xx) marks the address bounced: nothing more is sent to it.
"""

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult, get_date_max

from background.queue import enqueue_after_commit, enqueue_in_bulk, labelled
from news.models import NewsStory, NewsStoryTranslation, PublicationStatus, TranslationState

from .emails import digest_email, story_email
from .models import Delivery, StoryAnnouncement, Subscriber

logger = logging.getLogger(__name__)

# Tries of one email before it is left failed for staff; the pauses between them grow to an hour: a mail server
# down for an hour or more still gets every email once it is back.
MAX_ATTEMPTS = 20
LONGEST_PAUSE = datetime.timedelta(hours=1)
DIGEST_HOUR = 8
# A job sends this many emails over one connection; jobs are spread out to keep the rate.
EMAILS_PER_JOB = 25
# Emails of a send go after the site's own jobs (images, membership letters) when both wait.
EMAIL_PRIORITY = -10


def pause_after(attempts):
    return min(datetime.timedelta(minutes=2 ** (attempts - 1)), LONGEST_PAUSE)


def next_digest_time(frequency, now=None):
    """08:00 site time tomorrow (or today, before 08:00); for weekly digests, the next Monday's."""
    local = timezone.localtime(now or timezone.now())
    due = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if due <= local:
        due += datetime.timedelta(days=1)
    if frequency == Subscriber.Frequency.WEEKLY:
        due += datetime.timedelta(days=(7 - due.weekday()) % 7)
    return due


# --- 1. A first publication is announced once -------------------------------------------------------------------


def goes_public_at(translation):
    """When the translation becomes public: now, or its (or its story's) scheduled time; None when not published."""
    state = TranslationState(None, translation, translation.master.publish_at, [], timezone.now())
    if not state.is_published:
        return None
    return state.goes_live_at if state.is_scheduled else timezone.now()


@receiver(post_save, sender=NewsStoryTranslation, dispatch_uid="subscriptions.announce_first_publication")
def announce_first_publication(sender, instance, raw=False, **kwargs):
    if raw or instance.status != PublicationStatus.PUBLISHED:
        return
    if StoryAnnouncement.objects.filter(story_id=instance.master_id, language_code=instance.language_code).exists():
        return  # a correction, or published again: announced already
    try:
        with transaction.atomic():
            StoryAnnouncement.objects.create(story_id=instance.master_id, language_code=instance.language_code)
    except IntegrityError:
        return  # another save announced it meanwhile
    enqueue_after_commit(announce_story, instance.master_id, instance.language_code, run_after=goes_public_at(instance))


# --- 2. Deliveries made, jobs queued ----------------------------------------------------------------------------


def spread_out(count):
    """Start times for `count` jobs of EMAILS_PER_JOB emails, after those already queued, so that the worker sends at
    most SUBSCRIPTION_EMAILS_PER_MINUTE."""
    interval = datetime.timedelta(minutes=1) * EMAILS_PER_JOB / max(settings.SUBSCRIPTION_EMAILS_PER_MINUTE, 1)
    now = timezone.now()
    last_queued = (
        DBTaskResult.objects.filter(task_path=send_story_emails.module_path, status=TaskResultStatus.READY)
        .exclude(run_after=get_date_max())
        .aggregate(last=Max("run_after"))["last"]
    )
    start = max(now, last_queued + interval if last_queued else now)
    return [start + interval * index for index in range(count)]


@labelled(_("Send a story to its subscribers"))
@task(queue_name="emails", priority=EMAIL_PRIORITY)
def announce_story(story_id, language_code):
    """Makes the deliveries of a translation's first publication and queues their sending; safe to run twice."""
    translation = NewsStoryTranslation.objects.filter(master_id=story_id, language_code=language_code).first()
    if translation is None:
        return 0
    public_at = goes_public_at(translation)
    if public_at is None:
        # Unpublished before its time came: the next publication is a first one again.
        StoryAnnouncement.objects.filter(story_id=story_id, language_code=language_code, queued_at=None).delete()
        return 0
    if public_at > timezone.now():
        # Its time was moved later: announced then.
        enqueue_in_bulk(announce_story, [(story_id, language_code)], [public_at])
        return 0
    return queue_deliveries(story_id, language_code)


def queue_deliveries(story_id, language_code, *, resend=False):
    """One delivery per subscriber of the language and category without one for this translation yet, and the jobs
    that send them, in one transaction. With `resend`, failed deliveries are tried again too. Returns how many
    subscribers will receive it."""
    story = NewsStory.objects.get(pk=story_id)
    with transaction.atomic():
        announcement = (
            StoryAnnouncement.objects.select_for_update().filter(story=story, language_code=language_code).first()
        )
        if announcement is None or (announcement.queued_at is not None and not resend):
            return 0
        recipients = set(Subscriber.objects.receiving(language_code, story.category))
        had_delivery = set(
            Delivery.objects.filter(story=story, language_code=language_code).values_list("subscriber_id", flat=True)
        )
        retried = []
        if resend:
            retried = list(
                Delivery.objects.filter(
                    story=story, language_code=language_code, status=Delivery.Status.FAILED, subscriber__in=recipients
                ).values_list("pk", "subscriber_id")
            )
            Delivery.objects.filter(pk__in=[pk for pk, _subscriber in retried]).update(
                status=Delivery.Status.PENDING, attempts=0, last_error=""
            )
        new = recipients - had_delivery
        insert_deliveries(story.pk, language_code, sorted(new))
        created = Delivery.objects.filter(story=story, language_code=language_code, status=Delivery.Status.PENDING)
        waiting = [row for row in created.values_list("pk", "subscriber_id") if row[1] in new] + retried
        queue_sending(waiting)
        announcement.queued_at = announcement.queued_at or timezone.now()
        announcement.save(update_fields=["queued_at"])
    logger.info("Story %s (%s): %d emails queued", story_id, language_code, len(waiting))
    return len(waiting)


def insert_deliveries(story_id, language_code, subscriber_ids):
    """One pending delivery per subscriber, in a few statements: the ORM's bulk_create spends longer preparing
    20,000 rows in Python than the database spends writing them."""
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        created_at = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = [(pk, story_id, language_code, Delivery.Status.PENDING, 0, "", created_at) for pk in subscriber_ids]
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                f"INSERT INTO {table} (subscriber_id, story_id, language_code, status, attempts, last_error, "  # noqa: S608
                "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                rows[start : start + 5000],
            )


def queue_sending(waiting):
    """Jobs for [(delivery id, subscriber id)]: one each for immediate subscribers, spread out; one digest for a
    digest subscriber who has none waiting yet."""
    frequencies = dict(
        Subscriber.objects.filter(pk__in={subscriber for _delivery, subscriber in waiting}).values_list(
            "pk", "frequency"
        )
    )
    immediate = sorted(delivery for delivery, subscriber in waiting if frequencies[subscriber] == "immediate")
    batches = [immediate[start : start + EMAILS_PER_JOB] for start in range(0, len(immediate), EMAILS_PER_JOB)]
    enqueue_in_bulk(send_story_emails, [(batch,) for batch in batches], spread_out(len(batches)))
    digest_subscribers = {subscriber for _delivery, subscriber in waiting if frequencies[subscriber] != "immediate"}
    # A subscriber with earlier stories waiting has their digest job queued already.
    already_waiting = set(
        Delivery.objects.filter(subscriber__in=digest_subscribers, status=Delivery.Status.PENDING)
        .exclude(pk__in=[delivery for delivery, _subscriber in waiting])
        .values_list("subscriber_id", flat=True)
    )
    digests = sorted(digest_subscribers - already_waiting)
    enqueue_in_bulk(send_digest, [(pk,) for pk in digests], [next_digest_time(frequencies[pk]) for pk in digests])


# --- 3. Sending, at most once -----------------------------------------------------------------------------------


def claim(delivery_id):
    """True when this worker now owns the delivery: it was pending, and is now being sent by this one."""
    with transaction.atomic():
        locked = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .exists()
        )
        # The compare-and-set decides on SQLite too, where the lock above is not taken (it writes one at a time).
        return locked and bool(
            Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.SENDING, attempts=F("attempts") + 1
            )
        )


def refused_for_good(error):
    """The recipient's server refused the address permanently (5xx): a hard bounce."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _message in error.recipients.values()
    )


def send(email):
    with get_connection(fail_silently=False) as connection:
        connection.send_messages([email])


def record_outcome(deliveries, error):
    """After a send: sent, put back to be tried again (returns True: the caller queues its job again), or failed
    for good."""
    now = timezone.now()
    ids = [delivery.pk for delivery in deliveries]
    subscriber = deliveries[0].subscriber
    if error is None:
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.SENT, sent_at=now, last_error="")
        Subscriber.objects.filter(pk=subscriber.pk).update(last_sent_at=now)
        return False
    attempts = max(delivery.attempts for delivery in deliveries)  # counted when claimed
    if refused_for_good(error):
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.FAILED, last_error=str(error)[:1000])
        Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.BOUNCED, bounces=F("bounces") + 1)
        logger.warning("Subscriber %s bounced: %s", subscriber.pk, error)
        return False
    if attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.FAILED, last_error=str(error)[:1000])
        logger.error("Deliveries %s failed %d times, left for staff: %s", ids, attempts, error)
        return False
    Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.PENDING, last_error=str(error)[:1000])
    return True


def is_server_failure(error):
    """The mail server itself is unreachable or went away (not one message or address refused): the rest of the
    batch waits with this one."""
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | smtplib.SMTPAuthenticationError):
        return True
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code == 421:  # "closing the connection"
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


@labelled(_("Email a story to subscribers"))
@task(queue_name="emails", priority=EMAIL_PRIORITY)
def send_story_emails(delivery_ids):
    """Sends each delivery of the batch that this worker claims, over one connection to the mail server. Those that
    failed for a while, and those not tried because the server went away, are queued again in one job."""
    retry, sent = [], 0
    mail = get_connection(fail_silently=False)
    try:
        for position, delivery_id in enumerate(delivery_ids):
            if not claim(delivery_id):
                continue  # sent, being sent by another worker, or cancelled
            delivery = Delivery.objects.select_related("subscriber", "story").get(pk=delivery_id)
            if not delivery.subscriber.receives_mail:
                Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.CANCELLED)
                continue
            try:
                mail.send_messages([story_email(delivery)])
            except (smtplib.SMTPException, OSError) as error:
                if record_outcome([delivery], error):
                    retry.append(delivery_id)
                if is_server_failure(error):
                    retry.extend(delivery_ids[position + 1 :])  # not claimed: still pending
                    break
            else:
                record_outcome([delivery], None)
                sent += 1
    finally:
        try:
            mail.close()
        except (smtplib.SMTPException, OSError):
            logger.debug("The mail server's connection was already gone")
    if retry:
        attempts = max(Delivery.objects.filter(pk__in=retry).aggregate(most=Max("attempts"))["most"] or 1, 1)
        enqueue_in_bulk(send_story_emails, [(retry,)], [timezone.now() + pause_after(attempts)])
        logger.warning("Story emails %s not sent (try %d), again in %s", retry, attempts, pause_after(attempts))
    return sent


@labelled(_("Email a digest to a subscriber"))
@task(queue_name="emails", priority=EMAIL_PRIORITY)
def send_digest(subscriber_id):
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return 0
    waiting = Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).order_by("pk")
    claimed = [delivery_id for delivery_id in waiting.values_list("pk", flat=True) if claim(delivery_id)]
    if not claimed:
        return 0
    deliveries = list(Delivery.objects.filter(pk__in=claimed).select_related("subscriber", "story").order_by("pk"))
    if not subscriber.receives_mail:
        Delivery.objects.filter(pk__in=claimed).update(status=Delivery.Status.CANCELLED)
        return 0
    error = None
    try:
        send(digest_email(subscriber, deliveries))
    except (smtplib.SMTPException, OSError) as failure:
        error = failure
    if record_outcome(deliveries, error):
        attempts = max(delivery.attempts for delivery in deliveries)
        enqueue_in_bulk(send_digest, [(subscriber_id,)], [timezone.now() + pause_after(attempts)])
    return len(deliveries) if error is None else 0
