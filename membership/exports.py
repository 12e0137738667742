"""Applications as spreadsheet rows: one list of columns, titled with the model's verbose names, written as CSV (text
a spreadsheet opens safely) or as an Excel workbook (typed cells). Plain functions the admin's export actions, views
and management commands call; they return the file's bytes, never a response.
"""

import csv
import datetime
import io
import re
import zoneinfo

from django.conf import settings
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import ApplicationNote, MembershipApplication

# The export's columns in order, each titled with its field's verbose_name.
EXPORT_FIELDS = [
    "id",
    "submitted_at",
    "status",
    "assigned_to",
    "decided_at",
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
    "consents_to_transfer_abroad",
    "internal_notes",
]
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
# Times are in the site's time zone (SITE_TIME_ZONE) in both files, named in their columns' titles.
TIME_FIELDS = {"submitted_at", "decided_at"}
TIME_ZONE_NAMES = {"Asia/Hong_Kong": _("Hong Kong"), "Asia/Shanghai": _("China"), "UTC": "UTC"}

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# "+44 20 7946 0000": a plus, then only digits, spaces and brackets. No operator, name or function call follows,
# so nothing can run, and the number is shown as typed.
PHONE_NUMBER_ONLY = re.compile(r"\+[\d ()]+")


def spreadsheet_safe(value):
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PHONE_NUMBER_ONLY.fullmatch(text):
        return "'" + text
    return text


def column_title(name):
    """A column's title: the field's verbose name, capitalised ("Company legal name"); a time's names its time zone
    ("Submitted (Hong Kong time)")."""
    if name == "internal_notes":
        return capfirst(ApplicationNote._meta.verbose_name_plural)
    if name in TIME_FIELDS:
        return gettext("%(field)s (%(zone)s time)") % {
            "field": MembershipApplication.field_label(name),
            "zone": site_time_zone_name(),
        }
    return MembershipApplication.field_label(name)


def site_time_zone_name():
    """The site's time zone as staff say it: "Hong Kong" for Asia/Hong_Kong, else the zone's city."""
    zone = settings.TIME_ZONE
    return TIME_ZONE_NAMES.get(zone) or zone.rsplit("/", 1)[-1].replace("_", " ")


def site_time(moment):
    """A stored (UTC) time in the site's time zone, whatever time zone is active."""
    return moment.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))


def reviewer_name(application):
    reviewer = application.assigned_to
    return (reviewer.get_full_name() or reviewer.get_username()) if reviewer else ""


def column_titles():
    return [str(column_title(name)) for name in EXPORT_FIELDS]


def cell_text(application, name):
    """What a cell shows: names and labels where the database keeps codes."""
    match name:
        case "submitted_at" | "decided_at":
            moment = getattr(application, name)
            return f"{site_time(moment):%Y-%m-%d %H:%M}" if moment else ""
        case "assigned_to":
            return reviewer_name(application)
        case "status" | "company_type" | "annual_sales" | "heard_from":
            return getattr(application, f"get_{name}_display")()
        case "headquarters_country":
            return application.headquarters_country.name
        case "product_categories":
            return ", ".join(application.product_category_labels())
        case "supplier_countries":
            return ", ".join(country.name for country in application.supplier_countries)
        case "internal_notes":
            return "\n".join(
                f"{site_time(note.created_at):%Y-%m-%d %H:%M} "
                f"{note.author.get_username() if note.author else '-'}: {note.text}"
                for note in application.notes.all()
            )
    return getattr(application, name)


def typed_cell(application, name):
    """What an Excel cell holds: numbers as numbers, dates as dates (site time), yes/no in the active language, and
    text as text (a phone number too)."""
    # The notes are not a field of the application, the reviewer is named: cell_text gathers them.
    value = None if name == "assigned_to" else getattr(application, name, None)
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: the site's time, as the column's title says.
        return site_time(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, int):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # imported with the first workbook (see xlsx_bytes)

    value = cell_text(application, name)
    return ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))


def csv_row(application):
    """The application's CSV row: text a spreadsheet shows as written, never runs as a formula."""
    return [spreadsheet_safe(cell_text(application, name)) for name in EXPORT_FIELDS]


def xlsx_row(application):
    return [typed_cell(application, name) for name in EXPORT_FIELDS]


def for_export(applications):
    """The applications in the order exported (oldest first), with what the rows read."""
    return applications.order_by("submitted_at").select_related("assigned_to").prefetch_related("notes__author")


def filename(extension):
    return f"buyer-membership-applications-{timezone.localdate():%Y-%m-%d}.{extension}"


def csv_bytes(applications):
    """The applications (a queryset) as a CSV file that opens in Excel with Chinese intact: UTF-8 with a byte order
    mark, titled columns, one row each."""
    content = io.StringIO()
    # The byte order mark tells Excel the file is UTF-8, so Chinese names open correctly.
    content.write("\ufeff")
    writer = csv.writer(content)
    writer.writerow(column_titles())
    for application in for_export(applications):
        writer.writerow(csv_row(application))
    return content.getvalue().encode()


def xlsx_bytes(applications):
    """The applications (a queryset) as an Excel workbook: a bold, frozen header row and typed cells."""
    # openpyxl (and lxml with it) is a fifth of a process's start-up CPU: imported when a workbook is first made.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Applications")
    sheet.append(column_titles())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for application in for_export(applications):
        sheet.append(xlsx_row(application))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # Text is text, whatever it starts with: openpyxl would take "=..." for a formula.
                cell.data_type = "s"
            elif isinstance(cell.value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    for column in sheet.columns:
        widest = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(widest, 8) + 2, 60)
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()
