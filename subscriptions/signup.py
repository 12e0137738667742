"""Subscribing, confirming, changing preferences and leaving: plain functions the views and the admin call.

The answer to a subscription request is the same whatever the address's state, so the form tells nobody who
subscribes. Only a confirmation is ever sent to an address not yet confirmed, and at most one a day.
"""

import datetime
import logging
import smtplib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from background.queue import enqueue_after_commit, enqueue_in_bulk, labelled
from site_shell.client_address import anonymised_network, client_address
from site_shell.rate_limits import count_in_window

from .emails import confirmation_email
from .models import Delivery, Subscriber
from .sending import pause_after, send

logger = logging.getLogger(__name__)

# A second request for an address within this time sends nothing new.
CONFIRMATION_RESENT_AFTER = datetime.timedelta(days=1)
CONFIRMATION_ATTEMPTS = 8
REQUEST_LIMIT_WINDOW_SECONDS = 60 * 60


def over_request_limit(request):
    """Counts one more subscription request for the visitor's network; True once the hour's limit is passed."""
    key = f"subscriptions:requests:{anonymised_network(client_address(request))}"
    try:
        count = count_in_window(key, REQUEST_LIMIT_WINDOW_SECONDS)
    except Exception:  # noqa: BLE001 - the cache server is down: a reader may still subscribe
        logger.warning("Cache unavailable: subscription requests are not counted", exc_info=True)
        return False
    return count > settings.SUBSCRIPTION_REQUESTS_PER_HOUR


def request_subscription(email, *, languages, categories, frequency, interface_language):
    """A reader asks for the news at `email`. A new address, or one that left, is pending with these choices and
    gets a confirmation; a pending one gets it again after a day. A subscribed, bounced or complaining address is
    left as it is. Returns the subscriber (None if it was refused) — never shown to the reader."""
    choices = {
        "languages": languages,
        "categories": sorted(categories),
        "frequency": frequency,
        "interface_language": interface_language,
    }
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(email=email, confirmation_sent_at=now, **choices)
            except IntegrityError:
                return None  # the same address asked twice at once: the other request sends the confirmation
        elif subscriber.status in {Subscriber.Status.PENDING, Subscriber.Status.LEFT}:
            sent = subscriber.confirmation_sent_at
            if sent is not None and now - sent < CONFIRMATION_RESENT_AFTER:
                return subscriber
            Subscriber.objects.filter(pk=subscriber.pk).update(
                status=Subscriber.Status.PENDING, confirmation_sent_at=now, left_at=None, **choices
            )
        else:
            return subscriber
        enqueue_after_commit(send_confirmation, subscriber.pk)
    return subscriber


@labelled(_("Email a subscription's confirmation link"))
@task(queue_name="emails")
def send_confirmation(subscriber_id, attempt=1):
    subscriber = Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.PENDING).first()
    if subscriber is None:
        return False
    try:
        send(confirmation_email(subscriber))
    except (smtplib.SMTPException, OSError) as error:
        if attempt < CONFIRMATION_ATTEMPTS:
            logger.warning("Confirmation to subscriber %s not sent (try %d): %s", subscriber_id, attempt, error)
            when = timezone.now() + pause_after(attempt)
            enqueue_in_bulk(send_confirmation, [(subscriber_id, attempt + 1)], [when])
        else:
            logger.error("Confirmation to subscriber %s not sent, given up: %s", subscriber_id, error)
        return False
    return True


def change_preferences(subscriber, *, languages, categories, frequency):
    subscriber.languages, subscriber.categories, subscriber.frequency = languages, sorted(categories), frequency
    subscriber.save(update_fields=["languages", "categories", "frequency"])
    return subscriber


def stop_sending(subscribers, status):
    """Staff: the addresses bounced or complained; nothing more is sent to them. Returns how many changed."""
    with transaction.atomic():
        changed = subscribers.exclude(status=status).update(status=status, bounces=F("bounces") + 1)
        Delivery.objects.filter(subscriber__in=subscribers, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CANCELLED
        )
    return changed


# How long an address is kept after its owner left (to show they asked us to stop), and an unconfirmed one.
KEEP_LEFT = datetime.timedelta(days=365)
KEEP_UNCONFIRMED = datetime.timedelta(days=30)


def erase_expired(now=None):
    """Erases the addresses kept past their time (the privacy notice's promise), with what was sent to them:
    unsubscribed a year ago, or never confirmed within 30 days. Returns how many were erased."""
    now = now or timezone.now()
    expired = Subscriber.objects.filter(status=Subscriber.Status.LEFT, left_at__lt=now - KEEP_LEFT) | (
        Subscriber.objects.filter(status=Subscriber.Status.PENDING, created_at__lt=now - KEEP_UNCONFIRMED)
    )
    count = expired.count()
    expired.delete()
    return count
