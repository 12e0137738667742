"""The export rows, called as the admin's export actions call them: no client, no admin."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.utils import translation

from membership import exports
from membership.models import ApplicationNote, MembershipApplication
from testkit.applications import make_application

pytestmark = pytest.mark.django_db


def csv_rows(applications):
    return list(csv.DictReader(io.StringIO(exports.csv_bytes(applications).decode("utf-8-sig"))))


def workbook_rows(applications):
    sheet = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(applications))).active
    titles = [cell.value for cell in sheet[1]]
    return sheet, [dict(zip(titles, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_columns_are_titled_with_the_fields_verbose_names_in_the_active_language():
    titles = exports.column_titles()

    assert titles[:7] == [
        "ID",
        "Submitted (Hong Kong time)",
        "Status",
        "Reviewer",
        "Decided (Hong Kong time)",
        "Language",
        "Company legal name",
    ]
    assert titles[-1] == "Internal notes"
    assert len(titles) == len(exports.EXPORT_FIELDS)
    for name, title in zip(exports.EXPORT_FIELDS[:-1], titles, strict=False):
        if name not in exports.TIME_FIELDS:
            assert title == MembershipApplication.field_label(name)
    with translation.override("zh-hans"):
        assert exports.column_titles()[6] == "公司法定名称"


def test_csv_rows_show_labels_names_and_notes_oldest_application_first(django_user_model):
    editor = django_user_model.objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    older = make_application(
        company_name="明亮玩具有限公司",
        contact_name="陈美",
        submitted_at=datetime.datetime(2026, 3, 2, 1, 30, tzinfo=datetime.UTC),
        status="approved",
    )
    newer = make_application(contact_email="x@example.com", message="=1+1")
    make_application(company_name="Not Selected", contact_email="y@example.com")
    ApplicationNote.objects.create(application=older, author=editor, text="Called them.")

    content = exports.csv_bytes(MembershipApplication.objects.filter(pk__in=[newer.pk, older.pk]))

    assert content.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(MembershipApplication.objects.filter(pk__in=[newer.pk, older.pk]))
    assert [row["Company legal name"] for row in rows] == ["明亮玩具有限公司", "Bright Toys Ltd"]
    first = rows[0]
    assert (first["ID"], first["Submitted (Hong Kong time)"], first["Status"]) == (
        str(older.pk),
        "2026-03-02 09:30",
        "Approved",
    )
    assert first["Headquarters country"] == "Hong Kong" and first["Countries of supplier factories"] == "China, Vietnam"
    assert first["Product categories"] and first["Contact phone"] == "+852 2345 6789"
    assert first["Internal notes"].endswith(" editor: Called them.")
    assert rows[1]["Message"] == "'=1+1"  # shown, never run as a formula
    assert rows[1]["Internal notes"] == ""


@pytest.mark.parametrize(
    "value, cell", [("+44 20 7946 0000", "+44 20 7946 0000"), ("+SUM(A1:A9)", "'+SUM(A1:A9)"), ("@x", "'@x")]
)
def test_a_csv_cell_keeps_a_phone_number_and_neutralises_a_formula(value, cell):
    application = make_application(contact_phone=value)

    assert exports.csv_row(application)[exports.EXPORT_FIELDS.index("contact_phone")] == cell


def test_workbook_rows_hold_typed_cells_under_a_bold_frozen_header():
    application = make_application(
        supplier_factory_count=12,
        toy_association_member=False,
        message='=HYPERLINK("http://evil")',
        submitted_at=datetime.datetime(2026, 3, 2, 1, 30, tzinfo=datetime.UTC),
    )

    sheet, [row] = workbook_rows(MembershipApplication.objects.all())

    assert all(cell.font.bold for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert row["ID"] == application.pk and row["Number of supplier factories"] == 12
    assert row["Submitted (Hong Kong time)"] == datetime.datetime(
        2026, 3, 2, 9, 30
    )  # site time, as Excel has no time zones
    assert row["Toy association member"] == "No" and row["Status"] == "New"
    assert row["Message"] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=exports.EXPORT_FIELDS.index("message") + 1).data_type == "s"


def test_workbook_yes_and_no_are_in_the_active_language():
    make_application(consents_to_transfer_abroad=True)

    with translation.override("zh-hans"):
        _sheet, [row] = workbook_rows(MembershipApplication.objects.all())

    assert row["玩具协会会员"] == "是" and row["状态"] == "新申请"


def test_csv_and_workbook_agree_on_columns_site_time_and_the_reviewer(django_user_model):
    # Issue 22: the CSV had UTC times and the workbook Hong Kong times; neither named the reviewer.
    reviewer = django_user_model.objects.create_user("li.wei", is_staff=True, first_name="Li", last_name="Wei")
    make_application(
        assigned_to=reviewer,
        submitted_at=datetime.datetime(2026, 3, 2, 1, 30, tzinfo=datetime.UTC),
        decided_at=datetime.datetime(2026, 3, 5, 23, 0, tzinfo=datetime.UTC),
        status="approved",
    )
    applications = MembershipApplication.objects.all()

    [csv_row] = csv_rows(applications)
    _sheet, [workbook_row] = workbook_rows(applications)

    assert list(csv_row) == list(workbook_row)
    assert csv_row["Submitted (Hong Kong time)"] == "2026-03-02 09:30"
    assert workbook_row["Submitted (Hong Kong time)"] == datetime.datetime(2026, 3, 2, 9, 30)
    assert csv_row["Decided (Hong Kong time)"] == "2026-03-06 07:00"
    assert csv_row["Reviewer"] == workbook_row["Reviewer"] == "Li Wei"
    with translation.override("zh-hans"):
        assert exports.column_titles()[1] == "提交时间（香港时间）"
