"""Readers who follow the news by email, and what was sent to each of them.

A Subscriber is one address, pending until its owner follows the confirmation link. A StoryAnnouncement records,
once per story and language, that the translation's first publication is (or was) announced to subscribers; a
Delivery is one subscriber's email about one translation, created before it is sent and unique per subscriber,
story and language: a story is never sent twice to one address, whichever worker or whatever retry sends it.
"""

import uuid

from django.conf import settings
from django.core import signing
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from news.models import NewsStory

CONFIRM_SALT = "subscriptions.confirm"
MANAGE_SALT = "subscriptions.manage"
# How long a confirmation link works.
CONFIRMATION_DAYS = 7


class SubscriberQuerySet(models.QuerySet):
    def receiving(self, language_code, category):
        """The confirmed subscribers who want a story of `category` in `language_code`."""
        languages = [language_code, Subscriber.Languages.BOTH]
        subscribers = self.filter(status=Subscriber.Status.ACTIVE, languages__in=languages)
        # Few categories and a JSON list: chosen in Python, which both SQLite and PostgreSQL agree on.
        return [
            pk
            for pk, categories in subscribers.values_list("pk", "categories").order_by("pk")
            if not categories or category in categories
        ]


class Subscriber(models.Model):
    class Languages(models.TextChoices):
        ENGLISH = "en", _("English")
        CHINESE = "zh-hans", _("Chinese")
        BOTH = "both", _("English and Chinese")

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("Each story as it is published")
        DAILY = "daily", _("A daily digest")
        WEEKLY = "weekly", _("A weekly digest (Mondays)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Subscribed")
        LEFT = "left", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Marked as spam")

    # Stored with its domain in ASCII (IDNA) and lower case: one row per mailbox, and an address any SMTP server
    # accepts.
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    languages = models.CharField(_("languages"), max_length=10, choices=Languages.choices)
    # Story categories (NewsStory.Category) wanted; empty means all.
    categories = models.JSONField(_("categories"), default=list, blank=True)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    # The language of the page they subscribed on: the confirmation, digests and every page about the subscription.
    interface_language = models.CharField(
        _("language of the emails' wording"), max_length=15, choices=settings.LANGUAGES
    )
    # The secret their signed links carry; a new one makes every earlier link stop working.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("first asked"), auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    left_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    bounces = models.PositiveIntegerField(_("bounces"), default=0)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.email

    @property
    def receives_mail(self):
        return self.status == self.Status.ACTIVE

    @property
    def stopped_by_staff(self):
        """Bounced or marked as spam: nothing is sent again, not even a confirmation."""
        return self.status in {self.Status.BOUNCED, self.Status.COMPLAINED}

    def category_labels(self):
        if not self.categories:
            return [str(_("All stories"))]
        return [str(label) for value, label in NewsStory.Category.choices if value in self.categories]

    # --- Signed links: no account, the link is the key ---

    @property
    def confirmation_token(self):
        return signing.TimestampSigner(salt=CONFIRM_SALT).sign(self.key.hex)

    @property
    def manage_token(self):
        return signing.Signer(salt=MANAGE_SALT).sign(self.key.hex)

    def link(self, name, token):
        with translation.override(self.interface_language):
            return reverse(f"subscriptions:{name}", kwargs={"token": token})

    def confirmation_url(self):
        return self.link("confirm", self.confirmation_token)

    def preferences_url(self):
        return self.link("preferences", self.manage_token)

    def unsubscribe_url(self):
        return self.link("leave", self.manage_token)

    @classmethod
    def for_manage_token(cls, token):
        """The subscriber a preferences or unsubscribe link names, or None (tampered with, or erased since)."""
        try:
            key = uuid.UUID(hex=signing.Signer(salt=MANAGE_SALT).unsign(token))
        except (signing.BadSignature, ValueError):
            return None
        return cls.objects.filter(key=key).first()

    @classmethod
    def for_confirmation_token(cls, token):
        """(subscriber or None, expired): raises signing.BadSignature when the link was tampered with."""
        signer = signing.TimestampSigner(salt=CONFIRM_SALT)
        try:
            value = signer.unsign(token, max_age=CONFIRMATION_DAYS * 24 * 60 * 60)
            expired = False
        except signing.SignatureExpired:
            value, expired = signer.unsign(token), True
        try:
            key = uuid.UUID(hex=value)
        except ValueError:
            raise signing.BadSignature(token) from None
        return cls.objects.filter(key=key).first(), expired

    def confirm(self):
        """Pending becomes subscribed; anything else is left as it is. Returns whether it changed."""
        changed = Subscriber.objects.filter(pk=self.pk, status=self.Status.PENDING).update(
            status=self.Status.ACTIVE, confirmed_at=timezone.now()
        )
        self.refresh_from_db()
        return bool(changed)

    def leave(self):
        if self.status in {self.Status.PENDING, self.Status.ACTIVE}:
            self.status, self.left_at = self.Status.LEFT, timezone.now()
            self.save(update_fields=["status", "left_at"])
            # Waiting emails (a digest's stories) are not sent after they left.
            self.deliveries.filter(status=Delivery.Status.PENDING).update(status=Delivery.Status.CANCELLED)


class StoryAnnouncement(models.Model):
    """A translation's first publication, to be (or already) sent to its subscribers: one per story and language,
    so a correction, or a translation unpublished and published again, is never announced twice."""

    story = models.ForeignKey(
        NewsStory, on_delete=models.CASCADE, related_name="announcements", verbose_name=_("story")
    )
    language_code = models.CharField(_("language"), max_length=15, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("published"), auto_now_add=True)
    # When the deliveries were made (None: waiting for the translation's time to come).
    queued_at = models.DateTimeField(_("sent to subscribers"), null=True, blank=True)
    # Stories already published when subscriptions began: recorded so that they are never announced.
    before_subscriptions = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("story email")
        verbose_name_plural = _("story emails")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["story", "language_code"], name="subscriptions_one_announcement")
        ]

    def __str__(self):
        return f"{self.story} ({self.get_language_code_display()})"


class Delivery(models.Model):
    """One email about one translation to one subscriber: made before it is sent, sent at most once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not sent (unsubscribed)")

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscriber")
    )
    story = models.ForeignKey(NewsStory, on_delete=models.CASCADE, related_name="+", verbose_name=_("story"))
    language_code = models.CharField(_("language"), max_length=15, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "story", "language_code"], name="subscriptions_one_delivery_per_story"
            )
        ]
        indexes = [models.Index(fields=["subscriber", "status"], name="subscriptions_delivery_waiting")]

    def __str__(self):
        return f"{self.subscriber} · {self.story_id} ({self.language_code})"
