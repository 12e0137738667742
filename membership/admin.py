import csv

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from base.languages import site_language

from .models import MembershipApplication

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


class LetterFilter(admin.SimpleListFilter):
    title = _("signed letter of support")
    parameter_name = "letter"

    def lookups(self, request, model_admin):
        return [("received", _("Received")), ("awaited", _("Not received yet"))]

    def queryset(self, request, queryset):
        if self.value() == "received":
            return queryset.exclude(letter="")
        if self.value() == "awaited":
            return queryset.filter(letter="")
        return queryset


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
    list_display = ["company", "country", "submitted", "status", "language_chip", "emails_sent"]
    list_filter = [
        "status",
        LetterFilter,
        "language",
        "company_type",
        EmailsSentFilter,
        "submitted_at",
        HeadquartersCountryFilter,
    ]
    search_fields = ["company_name", "brand_names", "contact_name", "contact_email", "executive_name", "website"]
    date_hierarchy = "submitted_at"
    actions = ["export_as_csv"]
    fieldsets = [
        (_("Review"), {"fields": ["status", "internal_notes"]}),
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
        (_("Signed letter of support"), {"fields": ["letter_download", "letter_received_at"]}),
        (_("Emails"), {"fields": ["confirmation_sent_at", "staff_notified_at", "email_error"]}),
    ]

    class Media:
        css = {"all": ["css/admin.css"]}

    # The application is what the applicant sent: staff review it, they do not rewrite it.
    editable_fields = {"status", "internal_notes"}

    def get_readonly_fields(self, request, obj=None):
        shown = [name for _title, options in self.fieldsets for name in options["fields"]]
        return [name for name in shown if name not in self.editable_fields]

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        download = path(
            "<path:object_id>/letter/",
            self.admin_site.admin_view(self.download_letter),
            name="membership_membershipapplication_letter",
        )
        return [download, *super().get_urls()]

    def download_letter(self, request, object_id):
        """The signed letter, to staff allowed to view applications only, as a download the browser never runs."""
        application = self.get_object(request, object_id)
        if not self.has_view_permission(request, application):
            raise PermissionDenied
        if application is None or not application.letter:
            raise Http404
        response = FileResponse(
            application.letter.open("rb"),
            as_attachment=True,
            filename=application.letter_download_name(),
            content_type=application.letter_content_type(),
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.display(description=_("letter"))
    def letter_download(self, application):
        if not application.letter:
            return _("Not received yet: the confirmation email gave the applicant a link to upload it.")
        url = reverse("admin:membership_membershipapplication_letter", args=[application.pk])
        return format_html(
            '<a href="{}" download>{}</a> ({})', url, _("Download letter"), application.letter_download_name()
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
        return bool(application.confirmation_sent_at and application.staff_notified_at)

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
        return getattr(application, name)

    @admin.action(description=_("Export the selected applications as CSV"))
    def export_as_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        filename = f"buyer-membership-applications-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # The byte order mark tells Excel the file is UTF-8, so Chinese names open correctly.
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([MembershipApplication.field_label(name) for name in self.export_fields])
        for application in queryset.order_by("submitted_at"):
            writer.writerow([spreadsheet_safe(self.export_value(application, name)) for name in self.export_fields])
        return response
