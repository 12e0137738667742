import csv

from django import forms
from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from base.languages import site_language

from .emails import record_assignment_email, record_status_email
from .models import ApplicationEmail, ApplicationEvent, ApplicationNote, MembershipApplication

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class EmailsSentFilter(admin.SimpleListFilter):
    title = _("emails")
    parameter_name = "emails"

    def lookups(self, request, model_admin):
        return [("unsent", _("Not all sent"))]

    def queryset(self, request, queryset):
        if self.value() == "unsent":
            return queryset.with_unsent_emails()
        return queryset


class ReviewerFilter(admin.SimpleListFilter):
    title = MembershipApplication._meta.get_field("assigned_to").verbose_name
    parameter_name = "reviewer"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("none", _("Unassigned"))]

    def queryset(self, request, queryset):
        match self.value():
            case "me":
                return queryset.assigned_to(request.user)
            case "none":
                return queryset.unassigned()
        return queryset


class ApplicationReviewForm(forms.ModelForm):
    """The status and reviewer, plus what staff write: a message for the applicant's email, a note for staff."""

    status_message = forms.CharField(
        label=_("Message to the applicant"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Quoted in the email the new status sends to the applicant: required for “Information needed” (say what "
            "they should send), optional for the others."
        ),
    )
    new_note = forms.CharField(
        label=_("Add a note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only staff see notes; each is kept in the timeline with its author and time."),
    )

    class Meta:
        model = MembershipApplication
        fields = ["status", "assigned_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A reviewer is chosen, not edited: no links to add, change or delete users beside the list.
        reviewer = self.fields["assigned_to"].widget
        for link in ["can_add_related", "can_change_related", "can_delete_related", "can_view_related"]:
            setattr(reviewer, link, False)

    def clean(self):
        cleaned_data = super().clean()
        needs_message = cleaned_data.get("status") == MembershipApplication.Status.INFORMATION_NEEDED
        message = cleaned_data.get("status_message", "").strip()
        if needs_message and "status" in self.changed_data and not message:
            self.add_error(
                "status_message", _("Write what the applicant should send: it is the heart of the email they get.")
            )
        if message and "status" not in self.changed_data:
            # Nothing would send it: say so rather than drop what was written.
            self.add_error(
                "status_message",
                _("A message goes with a new status: choose the status to send it with, or add it as a note."),
            )
        return cleaned_data


class HeadquartersCountryFilter(admin.SimpleListFilter):
    """The countries applications come from, rather than all 249."""

    title = MembershipApplication._meta.get_field("headquarters_country").verbose_name
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = MembershipApplication.objects.order_by().values_list("headquarters_country", flat=True).distinct()
        return sorted(((code, countries.name(code)) for code in codes), key=lambda lookup: lookup[1])

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(headquarters_country=self.value())
        return queryset


@admin.register(MembershipApplication)
class MembershipApplicationAdmin(admin.ModelAdmin):
    # What staff look for first, in columns that fit beside the filters on a 1280 px screen; the contact's
    # name and email are on the application and found by the search.
    # The reviewer under the status, so the columns still fit beside the filters at 1280 px.
    list_display = ["company", "country", "submitted", "status_and_reviewer", "language_chip", "emails_sent"]
    list_filter = [
        "status",
        ReviewerFilter,
        "language",
        "company_type",
        EmailsSentFilter,
        "submitted_at",
        HeadquartersCountryFilter,
    ]
    list_select_related = ["assigned_to"]
    form = ApplicationReviewForm
    search_fields = ["company_name", "brand_names", "contact_name", "contact_email", "executive_name", "website"]
    date_hierarchy = "submitted_at"
    actions = ["export_as_csv"]
    fieldsets = [
        (_("Review"), {"fields": ["status", "status_message", "assigned_to", "new_note"]}),
        (_("Timeline"), {"fields": ["timeline"]}),
        (
            _("Company"),
            {
                "fields": [
                    "company_name",
                    "brand_names",
                    "website",
                    "headquarters_country",
                    "company_type",
                    "product_categories_display",
                    "annual_sales",
                    "supplier_factory_count",
                    "supplier_countries_display",
                ]
            },
        ),
        (_("Main contact"), {"fields": ["contact_name", "contact_job_title", "contact_email", "contact_phone"]}),
        (_("Senior executive"), {"fields": ["executive_name", "executive_title", "executive_email"]}),
        (
            _("Application"),
            {
                "fields": [
                    "toy_association_member",
                    "toy_association_name",
                    "heard_from",
                    "message",
                    "agrees_to_principles",
                    "consents_to_privacy_notice",
                    "language",
                    "submitted_at",
                ]
            },
        ),
    ]

    class Media:
        css = {"all": ["css/admin.css"]}

    # The application is what the applicant sent: staff review it, they do not rewrite it.
    editable_fields = {"status", "status_message", "assigned_to", "new_note"}

    def get_readonly_fields(self, request, obj=None):
        shown = [name for _title, options in self.fieldsets for name in options["fields"]]
        return [name for name in shown if name not in self.editable_fields]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        unsent = ApplicationEmail.objects.unsent().filter(application=OuterRef("pk"))
        return super().get_queryset(request).annotate(has_unsent_emails=Exists(unsent))

    def save_model(self, request, application, form, change):
        """Saves the review; a new status or reviewer is recorded and emailed, in the same transaction."""
        super().save_model(request, application, form, change)
        site_url = request.build_absolute_uri("/").rstrip("/")
        if "status" in form.changed_data:
            message = form.cleaned_data["status_message"].strip()
            ApplicationEvent.objects.create(
                application=application,
                kind=ApplicationEvent.Kind.STATUS,
                actor=request.user,
                old_status=form.initial["status"],
                new_status=application.status,
                message=message,
            )
            record_status_email(application, site_url, staff_message=message)
        if "assigned_to" in form.changed_data:
            reviewer = application.assigned_to
            ApplicationEvent.objects.create(
                application=application, kind=ApplicationEvent.Kind.ASSIGNMENT, actor=request.user, assigned_to=reviewer
            )
            # Whoever takes an application themselves knows already.
            if reviewer is not None and reviewer != request.user and reviewer.email:
                record_assignment_email(application, site_url)
        if note := form.cleaned_data["new_note"].strip():
            ApplicationNote.objects.create(application=application, author=request.user, text=note)

    @admin.display(description=_("timeline"))
    def timeline(self, application):
        return render_to_string("admin/membership/timeline.html", {"entries": application.timeline()})

    @admin.display(description=MembershipApplication._meta.get_field("status").verbose_name, ordering="status")
    def status_and_reviewer(self, application):
        if application.assigned_to is None:
            return application.get_status_display()
        return format_html(
            '{}<span class="application-reviewer">{}</span>',
            application.get_status_display(),
            application.assigned_to.get_username(),
        )

    @admin.display(description=_("company"), ordering="company_name")
    def company(self, application):
        return application.company_name

    @admin.display(description=_("country"), ordering="headquarters_country")
    def country(self, application):
        return application.headquarters_country.name

    @admin.display(
        description=MembershipApplication._meta.get_field("submitted_at").verbose_name, ordering="submitted_at"
    )
    def submitted(self, application):
        return date_format(timezone.localtime(application.submitted_at), "DATE_FORMAT")

    @admin.display(description=MembershipApplication._meta.get_field("language").verbose_name, ordering="language")
    def language_chip(self, application):
        language = site_language(application.language)
        return format_html('<span lang="{}">{}</span>', language.html_code, language.switch_label)

    @admin.display(description=MembershipApplication._meta.get_field("product_categories").verbose_name)
    def product_categories_display(self, application):
        return ", ".join(application.product_category_labels())

    @admin.display(description=MembershipApplication._meta.get_field("supplier_countries").verbose_name)
    def supplier_countries_display(self, application):
        return ", ".join(country.name for country in application.supplier_countries)

    @admin.display(description=_("emails sent"), boolean=True)
    def emails_sent(self, application):
        return not application.has_unsent_emails

    # The export's columns in order, each titled with its field's verbose_name.
    export_fields = [
        "id",
        "submitted_at",
        "status",
        "language",
        "company_name",
        "brand_names",
        "website",
        "headquarters_country",
        "company_type",
        "product_categories",
        "annual_sales",
        "supplier_factory_count",
        "supplier_countries",
        "contact_name",
        "contact_job_title",
        "contact_email",
        "contact_phone",
        "executive_name",
        "executive_title",
        "executive_email",
        "toy_association_member",
        "toy_association_name",
        "heard_from",
        "message",
        "internal_notes",
    ]

    def export_title(self, name):
        if name == "internal_notes":
            return capfirst(ApplicationNote._meta.verbose_name_plural)
        return MembershipApplication.field_label(name)

    def export_value(self, application, name):
        """What a spreadsheet cell shows: names and labels where the database keeps codes."""
        match name:
            case "submitted_at":
                return application.submitted_at.isoformat(timespec="seconds")
            case "status" | "company_type" | "annual_sales" | "heard_from":
                return getattr(application, f"get_{name}_display")()
            case "headquarters_country":
                return application.headquarters_country.name
            case "product_categories":
                return self.product_categories_display(application)
            case "supplier_countries":
                return self.supplier_countries_display(application)
            case "internal_notes":
                return "\n".join(
                    f"{timezone.localtime(note.created_at):%Y-%m-%d %H:%M} "
                    f"{note.author.get_username() if note.author else '-'}: {note.text}"
                    for note in application.notes.all()
                )
        return getattr(application, name)

    @admin.action(description=_("Export the selected applications as CSV"))
    def export_as_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        filename = f"buyer-membership-applications-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # The byte order mark tells Excel the file is UTF-8, so Chinese names open correctly.
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([self.export_title(name) for name in self.export_fields])
        for application in queryset.order_by("submitted_at").prefetch_related("notes__author"):
            writer.writerow([spreadsheet_safe(self.export_value(application, name)) for name in self.export_fields])
        return response
