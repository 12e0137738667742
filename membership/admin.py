from contextvars import ContextVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_list import _boolean_icon
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Subquery
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_countries import countries

from site_shell.languages import site_language
from site_shell.site_address import site_origin

from . import emails, exports, personal_data, review
from .letters import LetterState
from .models import ApplicationEmail, MembershipApplication

# Whether the staff member whose change page is being rendered may change it (and so send an email again): the
# timeline is rendered by a read-only field, which is given the application but not the request.
may_change_application = ContextVar("may_change_application", default=False)


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
        return [
            ("received", _("Received")),
            ("checking", _("Being checked")),
            ("refused", _("Refused: a new one is needed")),
            ("awaited", _("Not received yet")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "received":
            return queryset.exclude(letter="")
        if self.value() == "checking":
            return queryset.filter(letter_state=LetterState.CHECKING)
        if self.value() == "refused":
            return queryset.filter(letter_state=LetterState.REFUSED, letter="")
        if self.value() == "awaited":
            return queryset.filter(letter="")
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
        self.fields["assigned_to"].queryset = review.possible_reviewers(current=self.instance.assigned_to)
        reviewer = self.fields["assigned_to"].widget
        for link in ["can_add_related", "can_change_related", "can_delete_related", "can_view_related"]:
            setattr(reviewer, link, False)

    def clean(self):
        cleaned_data = super().clean()
        needs_message = review.needs_message(cleaned_data.get("status"))
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
        LetterFilter,
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
    actions = ["export_as_csv", "export_as_xlsx"]
    fieldsets = [
        (_("Review"), {"fields": ["status", "status_message", "assigned_to", "new_note", "decided_at"]}),
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
                    "consents_to_transfer_abroad",
                    "language",
                    "submitted_at",
                ]
            },
        ),
        (_("Signed letter of support"), {"fields": ["letter_download", "letter_received_at"]}),
        (_("Personal data"), {"fields": ["anonymised_at", "personal_data_requests"]}),
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

    def download_letter(self, request, object_id):
        """The signed letter, to staff allowed to view applications only, as a download the browser never runs."""
        application = self.get_object(request, object_id)
        if not self.has_view_permission(request, application):
            raise PermissionDenied
        # Only the clean copy: a letter still being checked is the file as a stranger sent it.
        if application is None or not application.letter or application.letter_state != LetterState.CLEAN:
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
        if application.anonymised_at:
            return _("Erased with the personal data.")
        if application.letter_state == LetterState.REFUSED and not application.letter:
            return format_html(
                '<strong class="letter-refused">{}</strong> {}',
                _("Refused: %(reason)s (%(name)s).")
                % {"reason": application.get_letter_refusal_display(), "name": application.letter_original_name},
                _(
                    "The file was not kept. To ask for a new letter, set the status to Information needed with a "
                    "message: the email carries the applicant's upload link."
                ),
            )
        if not application.letter:
            return _("Not received yet: the confirmation email gave the applicant a link to upload it.")
        if application.letter_state == LetterState.CHECKING:
            return format_html(
                "{}",
                _(
                    "Received (%(name)s), being checked: it can be downloaded once it has been cleaned, in a minute "
                    "or two. Reload the page to see."
                )
                % {"name": application.letter_original_name},
            )
        url = reverse("admin:membership_membershipapplication_letter", args=[application.pk])
        return format_html(
            '<a href="{}" download>{}</a> ({})', url, _("Download letter"), application.letter_download_name()
        )

    def get_queryset(self, request):
        emails = ApplicationEmail.objects.filter(application=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_email_error=Subquery(emails.failed().order_by("-last_attempt_at", "-pk").values("error")[:1]),
                has_waiting_emails=Exists(emails.undelivered().filter(error="")),
                has_emails_awaiting_staff_address=Exists(emails.awaiting_staff_address()),
            )
        )

    def save_model(self, request, application, form, change):
        """Saves the review; a new status or reviewer is recorded and emailed, in the same transaction."""
        site_url = site_origin(request)
        if "status" in form.changed_data:
            review.change_status(
                application,
                application.status,
                actor=request.user,
                message=form.cleaned_data["status_message"],
                site_url=site_url,
            )
        if "assigned_to" in form.changed_data:
            review.assign(application, application.assigned_to, actor=request.user, site_url=site_url)
        if note := form.cleaned_data["new_note"].strip():
            review.add_note(application, note, author=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        application = self.get_object(request, object_id)
        token = may_change_application.set(self.has_change_permission(request, application))
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
            # Rendered now, while the permission is known (a TemplateResponse would render after this returns).
            return response.render() if hasattr(response, "render") else response
        finally:
            may_change_application.reset(token)

    @admin.display(description=_("timeline"))
    def timeline(self, application):
        context = {"entries": application.timeline(), "may_send_again": may_change_application.get()}
        return render_to_string("admin/membership/timeline.html", context)

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
        # An erased application still needs a name to click in the list.
        return str(application)

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
        return exports.cell_text(application, "product_categories")

    @admin.display(description=MembershipApplication._meta.get_field("supplier_countries").verbose_name)
    def supplier_countries_display(self, application):
        return exports.cell_text(application, "supplier_countries")

    @admin.display(description=_("on the applicant's request"))
    def personal_data_requests(self, application):
        if application.pk is None or application.anonymised_at:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:membership_membershipapplication_personal_data", args=[application.pk]),
            gettext("Download all their data"),
            reverse("admin:membership_membershipapplication_erase", args=[application.pk]),
            gettext("Erase their personal data…"),
        )

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/letter/",
                self.admin_site.admin_view(self.download_letter),
                name="membership_membershipapplication_letter",
            ),
            path(
                "<int:application_id>/personal-data/",
                self.admin_site.admin_view(self.download_personal_data),
                name="membership_membershipapplication_personal_data",
            ),
            path(
                "<int:application_id>/emails/<int:email_id>/send-again/",
                self.admin_site.admin_view(self.send_email_again),
                name="membership_membershipapplication_send_again",
            ),
            path(
                "<int:application_id>/erase/",
                self.admin_site.admin_view(self.erase_personal_data),
                name="membership_membershipapplication_erase",
            ),
        ]
        return own + super().get_urls()

    def download_personal_data(self, request, application_id):
        """Everything held on one applicant, for a request to see it: JSON, or a zip with their files beside it."""
        application = get_object_or_404(MembershipApplication, pk=application_id)
        if not self.has_view_permission(request, application):
            raise PermissionDenied
        download = personal_data.download(application, user=request.user)
        response = HttpResponse(download.content, content_type=download.content_type)
        response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
        return response

    @method_decorator(require_POST)
    def send_email_again(self, request, application_id, email_id):
        """The timeline's "Send again", for an email given up on after the attempt cap: sent after the response."""
        email = get_object_or_404(ApplicationEmail, pk=email_id, application_id=application_id)
        if not self.has_change_permission(request, email.application):
            raise PermissionDenied
        if emails.send_again(email, site_origin(request)):
            message, level = gettext("“%(email)s” is being sent again.") % {"email": email}, messages.SUCCESS
        else:
            message, level = gettext("“%(email)s” was not waiting to be sent again.") % {"email": email}, messages.INFO
        self.message_user(request, message, level)
        return HttpResponseRedirect(reverse("admin:membership_membershipapplication_change", args=[application_id]))

    def erase_personal_data(self, request, application_id):
        """Erases one applicant's personal data on their request, after a confirmation page."""
        application = get_object_or_404(MembershipApplication, pk=application_id)
        if not self.has_delete_permission(request, application):
            raise PermissionDenied
        if application.anonymised_at:
            raise Http404
        change_url = reverse("admin:membership_membershipapplication_change", args=[application.pk])
        if request.method == "POST":
            company = personal_data.erase_on_request(application, user=request.user)
            self.message_user(
                request,
                gettext("The personal data of the application from %(company)s was erased.") % {"company": company},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Erase the applicant's personal data?"),
            "opts": self.opts,
            "application": application,
            "kept": ", ".join(
                str(MembershipApplication._meta.get_field(name).verbose_name) for name in personal_data.KEPT_FIELDS
            ),
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/membership/membershipapplication/erase_personal_data.html", context)

    @admin.display(description=_("emails sent"))
    def emails_sent(self, application):
        """Red only for a failure; an email with no staff address to go to (none configured) is a neutral note."""
        if application.last_email_error:
            return format_html(
                '{} <span class="application-emails--failed" title="{}">{}</span>',
                _boolean_icon(False),
                application.last_email_error,
                gettext("Failed"),
            )
        if application.has_waiting_emails:
            return gettext("Waiting")
        if application.has_emails_awaiting_staff_address:
            return format_html(
                '<span class="application-emails--no-staff-address">{}</span>', gettext("No staff address configured")
            )
        return _boolean_icon(True)

    @admin.action(description=_("Export the selected applications as CSV"))
    def export_as_csv(self, request, queryset):
        return self.export_response(exports.csv_bytes(queryset), exports.CSV_CONTENT_TYPE, exports.filename("csv"))

    @admin.action(description=_("Export the selected applications as an Excel workbook"))
    def export_as_xlsx(self, request, queryset):
        return self.export_response(exports.xlsx_bytes(queryset), exports.XLSX_CONTENT_TYPE, exports.filename("xlsx"))

    def export_response(self, content, content_type, filename):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
