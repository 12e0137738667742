import datetime
from typing import NamedTuple

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .letters import CONTENT_TYPES, LetterField, LetterRefusal, LetterState

# How long a second application from the same email is taken as a repeat of the first.
DUPLICATE_WINDOW = datetime.timedelta(hours=24)
# More first-tier factories than this is a typing mistake.
MAX_SUPPLIER_FACTORIES = 100_000
# Statuses that end an application; its retention period runs from then ("withdrawn" comes with the workflow's
# statuses and counts as soon as it exists).
DECIDED_STATUSES = {"approved", "declined", "withdrawn"}
# Statuses whose contact data is kept for MEMBERSHIP_RETAIN_DECLINED_DAYS rather than the approved members' period.
NOT_ADMITTED_STATUSES = {"declined", "withdrawn"}


class MembershipApplicationQuerySet(models.QuerySet):
    def recent_from(self, email, now=None):
        """Applications from this contact email in the last 24 hours."""
        since = (now or timezone.now()) - DUPLICATE_WINDOW
        return self.filter(contact_email__iexact=email, submitted_at__gte=since)

    def with_unsent_emails(self):
        """Applications with an email still to be delivered (a staff notification with no address to go to is not)."""
        return self.filter(
            models.Exists(ApplicationEmail.objects.undelivered().filter(application=models.OuterRef("pk"))),
            anonymised_at=None,
        )

    def assigned_to(self, user):
        return self.filter(assigned_to=user)

    def unassigned(self):
        return self.filter(assigned_to=None)

    def past_retention(self, now=None):
        """Decided applications kept longer than the retention settings allow, not yet anonymised."""
        now = now or timezone.now()
        approved_until = now - datetime.timedelta(days=settings.MEMBERSHIP_RETAIN_APPROVED_DAYS)
        declined_until = now - datetime.timedelta(days=settings.MEMBERSHIP_RETAIN_DECLINED_DAYS)
        return self.filter(
            models.Q(status="approved", decided_at__lt=approved_until)
            | models.Q(status__in=NOT_ADMITTED_STATUSES, decided_at__lt=declined_until),
            anonymised_at=None,
        )


class MembershipApplication(models.Model):
    class CompanyType(models.TextChoices):
        BRAND = "brand", _("Brand")
        RETAILER = "retailer", _("Retailer")
        LICENSOR = "licensor", _("Licensor")
        IMPORTER = "importer", _("Importer or distributor")
        OTHER = "other", _("Other")

    class ProductCategory(models.TextChoices):
        TOYS = "toys", _("Toys")
        GAMES = "games", _("Games")
        ELECTRONICS = "electronics", _("Electronics")
        JUVENILE = "juvenile", _("Juvenile products")
        PROMOTIONAL = "promotional", _("Promotional items")
        SEASONAL = "seasonal", _("Seasonal items")

    class SalesBand(models.TextChoices):
        UNDER_10M = "under_10m", _("Under US$10 million")
        FROM_10M = "10m_50m", _("US$10–50 million")
        FROM_50M = "50m_250m", _("US$50–250 million")
        FROM_250M = "250m_1b", _("US$250 million – 1 billion")
        OVER_1B = "over_1b", _("Over US$1 billion")
        UNDISCLOSED = "undisclosed", _("Prefer not to say")

    class HeardFrom(models.TextChoices):
        IETP_WEBSITE = "website", _("The IETP website")
        FACTORY = "factory", _("A supplier factory")
        TOY_ASSOCIATION = "association", _("A toy association")
        EVENT = "event", _("A trade fair or industry event")
        COLLEAGUE = "colleague", _("A colleague or another member")
        MEDIA = "media", _("News or social media")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_REVIEW = "in_review", _("In review")
        INFORMATION_NEEDED = "information_needed", _("Information needed")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # The company
    company_name = models.CharField(_("company legal name"), max_length=200)
    brand_names = models.CharField(
        _("brand names"), max_length=500, blank=True, help_text=_("The brands you sell under, separated by commas.")
    )
    website = models.URLField(_("website"), max_length=200, blank=True, help_text=_("For example https://example.com"))
    headquarters_country = CountryField(_("headquarters country"))
    company_type = models.CharField(_("company type"), max_length=20, choices=CompanyType)
    product_categories = models.JSONField(_("product categories"), default=list)
    annual_sales = models.CharField(_("annual sales"), max_length=20, choices=SalesBand)
    supplier_factory_count = models.PositiveIntegerField(
        _("number of supplier factories"),
        validators=[MaxValueValidator(MAX_SUPPLIER_FACTORIES)],
        help_text=_("First-tier factories that make your products; an estimate is fine."),
    )
    supplier_countries = CountryField(
        _("countries of supplier factories"),
        multiple=True,
        max_length=1000,
        help_text=_("Choose every country where your supplier factories are (hold Ctrl, or ⌘ on a Mac, for several)."),
    )
    # The people
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_job_title = models.CharField(_("contact job title"), max_length=200)
    contact_email = models.EmailField(_("contact email"), max_length=254)
    contact_phone = models.CharField(
        _("contact phone"), max_length=40, help_text=_("With the country code, for example +86 755 1234 5678.")
    )
    executive_name = models.CharField(_("executive name"), max_length=200)
    executive_title = models.CharField(_("executive job title"), max_length=200)
    executive_email = models.EmailField(_("executive email"), max_length=254)
    # About the application
    toy_association_member = models.BooleanField(_("toy association member"))
    toy_association_name = models.CharField(
        _("association name"), max_length=200, blank=True, help_text=_("If you are a member, which association?")
    )
    heard_from = models.CharField(_("heard of the programme through"), max_length=20, choices=HeardFrom)
    message = models.TextField(_("message"), max_length=5000, blank=True)
    agrees_to_principles = models.BooleanField(_("agrees to the Buyer Membership Principles"))
    consents_to_privacy_notice = models.BooleanField(_("consents to the privacy notice"))
    # PIPL asks applicants in mainland China for a consent of its own to their details leaving China.
    consents_to_transfer_abroad = models.BooleanField(_("consents to transfer outside mainland China"), default=False)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, help_text=_("The language the applicant used.")
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)
    # The signed letter of support, sent with the form or later through the link in the confirmation email.
    letter = LetterField(
        _("signed letter of support"),
        blank=True,
        original_name_field="letter_original_name",
        received_field="letter_received_at",
        state_field="letter_state",
        help_text=_("A PDF, or a photo or scan in JPEG or PNG, of at most 10 MB."),
    )
    letter_original_name = models.CharField(_("letter's file name as sent"), max_length=200, blank=True)
    letter_received_at = models.DateTimeField(_("letter received"), null=True, blank=True)
    # Set by the letter field when a letter arrives ("checking"), then by the background job that cleans it.
    letter_state = models.CharField(_("letter's check"), max_length=20, choices=LetterState, blank=True)
    letter_refusal = models.CharField(_("why the letter was refused"), max_length=40, choices=LetterRefusal, blank=True)
    # The signed token of the page the application was sent from: unique, so one page load saves one application
    # however many times (or however fast) it is sent.
    form_token = models.CharField(max_length=200, unique=True, null=True, blank=True, editable=False)
    # Staff review
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status,
        default=Status.NEW,
        help_text=_("The applicant is emailed when you save a new status (except New)."),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_membership_applications",
        limit_choices_to={"is_staff": True, "is_active": True},
        help_text=_("The staff member handling this application; they are emailed when it is given to them."),
    )
    # Set by save() when the status becomes a decision; the retention period runs from it.
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    anonymised_at = models.DateTimeField(
        _("personal data erased"),
        null=True,
        blank=True,
        help_text=_("The contact details were erased then; what remains is kept for statistics."),
    )

    objects = MembershipApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("buyer membership application")
        verbose_name_plural = _("buyer membership applications")
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agrees_to_principles=True, consents_to_privacy_notice=True),
                name="membership_application_has_both_consents",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["new", "in_review", "information_needed", "approved", "declined", "withdrawn"]
                ),
                name="membership_application_status_is_known",
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="membership_application_language_is_known",
            ),
            models.CheckConstraint(
                condition=(~models.Q(company_name="") & ~models.Q(contact_email=""))
                | models.Q(anonymised_at__isnull=False),
                name="membership_application_has_company_and_email_until_erased",
            ),
        ]

    def __str__(self):
        if self.anonymised_at:
            return _("Application %(number)s (personal data erased)") % {"number": self.pk}
        return self.company_name

    def save(self, *args, **kwargs):
        # The decision's date, kept while the application stays decided; reopening it clears the date.
        if self.status in DECIDED_STATUSES and self.decided_at is None:
            self.decided_at = timezone.now()
        elif self.status not in DECIDED_STATUSES:
            self.decided_at = None
        if kwargs.get("update_fields") is not None and "status" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "decided_at"}
        super().save(*args, **kwargs)

    def private_files(self):
        """The application's stored files (the signed letter), each a FieldFile with a name."""
        fields = [field for field in self._meta.fields if isinstance(field, models.FileField)]
        return [getattr(self, field.name) for field in fields if getattr(self, field.name)]

    @classmethod
    def field_label(cls, name):
        """A field's verbose_name capitalised, as a form label or a column title: "Company legal name"."""
        return capfirst(cls._meta.get_field(name).verbose_name)

    @property
    def is_decided(self):
        return self.status in DECIDED_STATUSES

    def letter_download_name(self):
        """The name the applicant gave the letter, with the extension of what it really is."""
        extension = self.letter.name.rsplit(".", 1)[-1]
        stem = self.letter_original_name.rsplit(".", 1)[0]
        return f"{stem or 'letter-of-support'}.{extension}"

    def letter_content_type(self):
        return CONTENT_TYPES[self.letter.name.rsplit(".", 1)[-1]]

    def product_category_labels(self):
        labels = dict(self.ProductCategory.choices)
        return [str(labels.get(code, code)) for code in self.product_categories]

    def timeline(self):
        """What happened to the application, oldest first: submitted, status changes, reviewers, emails, notes."""
        entries = [TimelineEntry(self.submitted_at, 0, "submitted", self)]
        entries += [
            TimelineEntry(event.created_at, 1, event.kind, event)
            for event in self.events.select_related("actor", "assigned_to")
        ]
        entries += [TimelineEntry(email.created_at, 2, "email", email) for email in self.emails.all()]
        entries += [TimelineEntry(note.created_at, 3, "note", note) for note in self.notes.select_related("author")]
        return sorted(entries, key=lambda entry: (entry.at, entry.order, entry.record.pk))


class TimelineEntry(NamedTuple):
    at: datetime.datetime
    order: int  # of things at the same moment: the change before the email it sends
    kind: str  # "submitted", "status", "assignment", "email" or "note"
    record: models.Model


def without_staff_address():
    """Staff notifications that have nobody to go to: no address on the row, none in MEMBERSHIP_NOTIFY_EMAILS (as on
    a development machine). Not a failure: they wait, untried, until an address is configured."""
    if settings.MEMBERSHIP_NOTIFY_EMAILS:
        return models.Q(pk__in=[])
    return models.Q(sent_at=None, kind=ApplicationEmail.Kind.STAFF_NOTIFICATION, recipients="")


class ApplicationEmailQuerySet(models.QuerySet):
    def unsent(self):
        return self.filter(sent_at=None)

    def awaiting_staff_address(self):
        return self.filter(without_staff_address())

    def undelivered(self):
        """Unsent emails that have someone to go to: waiting for their first try, or failed."""
        return self.unsent().exclude(without_staff_address())

    def failed(self):
        return self.undelivered().exclude(error="")

    def to_send(self):
        """Undelivered emails not yet given up on: what the resend command tries."""
        return self.undelivered().filter(attempts__lt=settings.MEMBERSHIP_EMAIL_MAX_ATTEMPTS)


class ApplicationEmail(models.Model):
    """One email an application sends, recorded as pending in the transaction that causes it, then sent."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Confirmation to the applicant")
        STAFF_NOTIFICATION = "staff_notification", _("New application, to staff")
        IN_REVIEW = "status_in_review", _("In review, to the applicant")
        INFORMATION_NEEDED = "status_information_needed", _("Information needed, to the applicant")
        APPROVED = "status_approved", _("Approved, to the applicant")
        DECLINED = "status_declined", _("Declined, to the applicant")
        WITHDRAWN = "status_withdrawn", _("Withdrawn, to the applicant")
        ASSIGNMENT = "assignment", _("Assignment, to the reviewer")

    application = models.ForeignKey(MembershipApplication, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(_("email"), max_length=30, choices=Kind)
    # Comma-separated; the staff notification's, when empty, is read from MEMBERSHIP_NOTIFY_EMAILS when sending.
    recipients = models.CharField(_("to"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    # What staff wrote for the applicant ("information needed"), quoted in the email.
    staff_message = models.TextField(_("message to the applicant"), blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last tried"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    # A process sending this email owns it until then, so two senders (the request, cron) never send it twice.
    claimed_until = models.DateTimeField(null=True, blank=True)

    objects = ApplicationEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("application email")
        verbose_name_plural = _("application emails")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "confirmation",
                        "staff_notification",
                        "status_in_review",
                        "status_information_needed",
                        "status_approved",
                        "status_declined",
                        "status_withdrawn",
                        "assignment",
                    ]
                ),
                name="application_email_kind_is_known",
            ),
        ]

    def __str__(self):
        return self.get_kind_display()

    @property
    def template_prefix(self):
        return f"membership/emails/{self.kind}"

    @property
    def state(self):
        """ "sent", "no_staff_address" (nobody configured to receive it: not a failure), "failed" or "waiting"."""
        if self.sent_at:
            return "sent"
        if self.kind == self.Kind.STAFF_NOTIFICATION and not self.recipients and not settings.MEMBERSHIP_NOTIFY_EMAILS:
            return "no_staff_address"
        return "failed" if self.error else "waiting"

    @property
    def given_up(self):
        """Failed as many times as the resend command tries: only staff sending it again sends it."""
        return self.state == "failed" and self.attempts >= settings.MEMBERSHIP_EMAIL_MAX_ATTEMPTS


# The email each status sends to the applicant; New sends none.
STATUS_EMAILS = {
    MembershipApplication.Status.IN_REVIEW: ApplicationEmail.Kind.IN_REVIEW,
    MembershipApplication.Status.INFORMATION_NEEDED: ApplicationEmail.Kind.INFORMATION_NEEDED,
    MembershipApplication.Status.APPROVED: ApplicationEmail.Kind.APPROVED,
    MembershipApplication.Status.DECLINED: ApplicationEmail.Kind.DECLINED,
    MembershipApplication.Status.WITHDRAWN: ApplicationEmail.Kind.WITHDRAWN,
}


class ApplicationEvent(models.Model):
    """What staff did to an application that has no record of its own: a status change, an assignment."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status changed")
        ASSIGNMENT = "assignment", _("Reviewer changed")

    application = models.ForeignKey(MembershipApplication, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    old_status = models.CharField(max_length=20, choices=MembershipApplication.Status, blank=True)
    new_status = models.CharField(max_length=20, choices=MembershipApplication.Status, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)

    class Meta:
        # Named for the delete confirmation, which lists an application's events by this name.
        verbose_name = _("application event")
        verbose_name_plural = _("application events")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["status", "assignment"]), name="application_event_kind_is_known"
            ),
        ]

    def __str__(self):
        return self.get_kind_display()


class ApplicationNote(models.Model):
    """A note staff add to an application; kept as written, never shown to the applicant."""

    application = models.ForeignKey(MembershipApplication, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    text = models.TextField(_("note"), max_length=5000)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text[:80]
