"""Sending stories to subscribers, through the background runner (background/queue.py).

1. A translation saved as published for the first time (news/models.py sends post_save, however it was published:
   the admin's form, publishing.publish, a schedule) gets its StoryAnnouncement, and a job `announce_story` due when
   the translation becomes public. A correction (publish_draft), or a translation unpublished and published again,
   finds its announcement made and sends nothing.
2. `announce_story` makes one Delivery per subscriber of that language and category, and in the same transaction one
   job per immediate subscriber, spread out to SUBSCRIPTION_EMAILS_PER_MINUTE; a daily or weekly subscriber gets one
   `send_digest` job at their next digest time (08:00 site time; weekly on Mondays), which sends all that waits.
3. A job claims its delivery (pending -> sending, a row lock that skips rows another worker holds, then a
   compare-and-set) before it speaks to the mail server: two workers never both send it. A temporary failure (the
   server unreachable, a 4xx answer) puts it back, pending, with the job queued again after a growing pause; a
   recipient refused for good (5xx) marks the address bounced: nothing more is sent to it.
"""

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
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


def spread_out(count, after=None):
    """`count` start times from `after` (or now), SUBSCRIPTION_EMAILS_PER_MINUTE a minute, after those queued."""
    interval = datetime.timedelta(minutes=1) / max(settings.SUBSCRIPTION_EMAILS_PER_MINUTE, 1)
    now = timezone.now()
    last_queued = (
        DBTaskResult.objects.filter(task_path=send_story_email.module_path, status=TaskResultStatus.READY)
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
        new = sorted(recipients - had_delivery)
        created = Delivery.objects.bulk_create(
            [Delivery(subscriber_id=pk, story=story, language_code=language_code) for pk in new], batch_size=1000
        )
        waiting = [(delivery.pk, delivery.subscriber_id) for delivery in created] + retried
        queue_sending(waiting)
        announcement.queued_at = announcement.queued_at or timezone.now()
        announcement.save(update_fields=["queued_at"])
    logger.info("Story %s (%s): %d emails queued", story_id, language_code, len(waiting))
    return len(waiting)


def queue_sending(waiting):
    """Jobs for [(delivery id, subscriber id)]: one each for immediate subscribers, spread out; one digest for a
    digest subscriber who has none waiting yet."""
    frequencies = dict(
        Subscriber.objects.filter(pk__in={subscriber for _delivery, subscriber in waiting}).values_list(
            "pk", "frequency"
        )
    )
    immediate = [delivery for delivery, subscriber in waiting if frequencies[subscriber] == "immediate"]
    enqueue_in_bulk(send_story_email, [(delivery,) for delivery in immediate], spread_out(len(immediate)))
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


def record_outcome(deliveries, error, retry):
    """After a send: sent, tried again later (`retry`: queues the job again), or failed for good."""
    now = timezone.now()
    ids = [delivery.pk for delivery in deliveries]
    subscriber = deliveries[0].subscriber
    if error is None:
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.SENT, sent_at=now, last_error="")
        Subscriber.objects.filter(pk=subscriber.pk).update(last_sent_at=now)
        return
    attempts = max(delivery.attempts for delivery in deliveries)  # counted when claimed
    if refused_for_good(error):
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.FAILED, last_error=str(error)[:1000])
        Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.BOUNCED, bounces=F("bounces") + 1)
        logger.warning("Subscriber %s bounced: %s", subscriber.pk, error)
        return
    if attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.FAILED, last_error=str(error)[:1000])
        logger.error("Deliveries %s failed %d times, left for staff: %s", ids, attempts, error)
        return
    # The job is a row of the same database: it is queued in the transaction that puts the deliveries back.
    with transaction.atomic():
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.PENDING, last_error=str(error)[:1000])
        retry(now + pause_after(attempts))
    logger.warning("Deliveries %s not sent (try %d), again in %s: %s", ids, attempts, pause_after(attempts), error)


@labelled(_("Email a story to a subscriber"))
@task(queue_name="emails", priority=EMAIL_PRIORITY)
def send_story_email(delivery_id):
    if not claim(delivery_id):
        return False  # sent, being sent by another worker, or cancelled
    delivery = Delivery.objects.select_related("subscriber", "story").get(pk=delivery_id)
    if not delivery.subscriber.receives_mail:
        Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.CANCELLED)
        return False
    error = None
    try:
        send(story_email(delivery))
    except (smtplib.SMTPException, OSError) as failure:
        error = failure
    record_outcome([delivery], error, lambda when: enqueue_in_bulk(send_story_email, [(delivery_id,)], [when]))
    return error is None


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
    record_outcome(deliveries, error, lambda when: enqueue_in_bulk(send_digest, [(subscriber_id,)], [when]))
    return len(deliveries) if error is None else 0
