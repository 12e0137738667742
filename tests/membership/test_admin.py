"""Staff reviewing buyer membership applications through the real admin pages."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.utils import timezone

from testkit.applications import make_application
from testkit.pages import parse_page

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/membership/membershipapplication/"


def listed_applications(page):
    """The list as staff read it: column titles, and each row's cells by column, keyed by company."""
    table = parse_page(page).find("table", id="result_list")
    titles = [title.text for title in table.find("thead").find_all("th")][1:]  # after the select-all box
    rows = {}
    for row in table.find("tbody").find_all("tr"):
        columns = [cell for cell in row.find_all(class_=True) if cell.attrs["class"].startswith("field-")]
        by_column = {cell.attrs["class"].removeprefix("field-"): cell for cell in columns}
        rows[by_column["company"].text] = by_column
    return titles, rows


def test_list_shows_company_country_date_status_language_and_emails(staff_client):
    make_application(company_name="Bright Toys Ltd", submitted_at=datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC))
    make_application(company_name="明亮玩具有限公司", language="zh-hans", contact_email="chen@example.cn")

    titles, rows = listed_applications(staff_client.get(LIST_URL))

    assert titles == ["Company", "Country", "Submitted", "Status", "Language", "Emails sent"]
    bright = rows["Bright Toys Ltd"]
    assert [bright[column].text for column in ["country", "submitted", "status_and_reviewer", "language_chip"]] == [
        "Hong Kong",
        "March 2, 2026",
        "New",
        "EN",
    ]
    assert bright["emails_sent"].find("img", alt="True")  # no email recorded, none waiting
    assert rows["明亮玩具有限公司"]["language_chip"].find("span", lang="zh-Hans").text == "中文"


def test_list_in_chinese_names_its_columns_in_chinese(staff_client):
    make_application()

    titles, _rows = listed_applications(staff_client.get(f"/zh{LIST_URL}"))

    assert titles == ["公司", "国家/地区", "提交时间", "状态", "语言", "邮件已发送"]


def country_choices(page):
    links = parse_page(page).find(id="changelist-filter").find_all("a", href=True)
    return {link.text: link.attrs["href"] for link in links if "country=" in link.attrs["href"]}


def test_country_filter_offers_only_the_countries_applications_come_from(staff_client):
    make_application(company_name="Bright Toys Ltd", headquarters_country="HK")
    make_application(company_name="Spielwaren GmbH", headquarters_country="DE", contact_email="b@example.de")

    assert country_choices(staff_client.get(LIST_URL)) == {"Germany": "?country=DE", "Hong Kong": "?country=HK"}
    assert country_choices(staff_client.get(f"/zh{LIST_URL}")) == {"德国": "?country=DE", "香港": "?country=HK"}
    _titles, german_only = listed_applications(staff_client.get(LIST_URL, {"country": "DE"}))
    assert list(german_only) == ["Spielwaren GmbH"]


def test_list_of_many_applications_takes_a_bounded_number_of_queries(staff_client, django_assert_max_num_queries):
    for number in range(30):
        make_application(company_name=f"Company {number}", contact_email=f"buyer{number}@example.com")

    with django_assert_max_num_queries(12):
        response = staff_client.get(LIST_URL)

    assert response.status_code == 200


def test_staff_filter_by_status_and_search_by_contact(staff_client):
    make_application(company_name="Approved Co", status="approved", contact_email="a@example.com")
    make_application(company_name="Waiting Co", contact_name="Li Wei", contact_email="b@example.com")

    approved = staff_client.get(LIST_URL, {"status__exact": "approved"}).content.decode()
    found = staff_client.get(LIST_URL, {"q": "Li Wei"}).content.decode()

    assert "Approved Co" in approved and "Waiting Co" not in approved
    assert "Waiting Co" in found and "Approved Co" not in found


def test_unsent_emails_filter_finds_applications_still_to_be_emailed(staff_client):
    unsent = make_application(company_name="Unsent Co", contact_email="a@example.com")
    sent = make_application(company_name="Sent Co", contact_email="b@example.com")
    unsent.emails.create(kind="confirmation", recipients="a@example.com", language="en", error="SMTPServerDisconnected")
    sent.emails.create(kind="confirmation", recipients="b@example.com", language="en", sent_at=timezone.now())

    content = staff_client.get(LIST_URL, {"emails": "unsent"}).content.decode()
    _titles, rows = listed_applications(staff_client.get(LIST_URL))

    assert "Unsent Co" in content and "Sent Co" not in content
    assert rows["Unsent Co"]["emails_sent"].find("img", alt="False")
    assert rows["Sent Co"]["emails_sent"].find("img", alt="True")


def test_staff_review_changes_status_and_adds_notes_but_not_what_the_applicant_sent(staff_client):
    application = make_application(message="<script>alert(1)</script>")
    url = f"{LIST_URL}{application.pk}/change/"

    page = staff_client.get(url)
    content = page.content.decode()
    form = parse_page(page).find("form", id="membershipapplication_form")
    assert page.status_code == 200
    assert form.find(name="status") and form.find(name="new_note") and form.find(name="assigned_to")
    assert not form.find(name="company_name") and "Bright Toys Ltd" in content
    assert "<script>alert(1)</script>" not in content and "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "China, Vietnam" in content  # Supplier countries by name.

    response = staff_client.post(
        url,
        {"status": "in_review", "new_note": "Called Mei, letter on its way.", "company_name": "Hijacked"},
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "in_review"
    assert [(note.author.username, note.text) for note in application.notes.all()] == [
        ("editor", "Called Mei, letter on its way.")
    ]
    assert application.company_name == "Bright Toys Ltd"


def test_applications_cannot_be_added_in_the_admin(staff_client):
    assert staff_client.get(f"{LIST_URL}add/").status_code == 403


def test_email_failure_is_visible_on_the_application(staff_client):
    application = make_application()
    application.emails.create(
        kind="confirmation", recipients="mei@example.com", language="en", attempts=2, error="SMTPServerDisconnected"
    )

    timeline = parse_page(staff_client.get(f"{LIST_URL}{application.pk}/change/")).find(
        "ol", class_="application-timeline"
    )

    assert "not sent after 2 tries: SMTPServerDisconnected" in " ".join(timeline.text.split())


def export(staff_client, applications, list_url=LIST_URL):
    return staff_client.post(
        list_url, {"action": "export_as_csv", "_selected_action": [application.pk for application in applications]}
    )


def test_csv_export_opens_in_excel_with_chinese_intact(staff_client):
    chinese = make_application(company_name="明亮玩具有限公司", contact_name="陈美", language="zh-hans")
    english = make_application(company_name="Bright Toys Ltd", contact_email="x@example.com")
    make_application(company_name="Not Selected", contact_email="y@example.com")

    response = export(staff_client, [chinese, english])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="buyer-membership-applications-')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Company legal name"] for row in rows] == ["明亮玩具有限公司", "Bright Toys Ltd"]
    assert rows[0]["Contact name"] == "陈美"
    assert rows[0]["Headquarters country"] == "Hong Kong"
    assert rows[0]["Countries of supplier factories"] == "China, Vietnam"


@pytest.mark.parametrize(
    "list_url, titles",
    [
        (
            LIST_URL,
            "ID,Submitted (Hong Kong time),Status,Reviewer,Decided (Hong Kong time),Language,Company legal name,"
            "Brand names,Website,Headquarters country,"
            "Company type,Product categories,Annual sales,Number of supplier factories,Countries of supplier factories,"
            "Contact name,Contact job title,Contact email,Contact phone,Executive name,Executive job title,"
            "Executive email,Toy association member,Association name,Heard of the programme through,Message,"
            "Consents to transfer outside mainland China,Internal notes",
        ),
        (
            f"/zh{LIST_URL}",
            "ID,提交时间（香港时间）,状态,审核人,决定时间（香港时间）,语言,公司法定名称,品牌名称,网站,总部所在国家/地区,公司类型,产品类别,年销售额,"
            "供应商工厂数量,供应商工厂所在国家/地区,联系人姓名,联系人职位,联系人邮箱,联系人电话,高管姓名,高管职位,"
            "高管邮箱,玩具协会会员,协会名称,了解本计划的途径,留言,同意将信息传输至中国大陆境外,内部备注",
        ),
    ],
    ids=["english", "chinese"],
)
def test_csv_export_titles_its_columns_as_the_admin_names_the_fields(staff_client, list_url, titles):
    content = export(staff_client, [make_application()], list_url).content.decode("utf-8-sig")

    assert next(csv.reader(io.StringIO(content))) == titles.split(",")


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_csv_export_neutralises_formula_cells(staff_client, dangerous):
    application = make_application(company_name=dangerous, brand_names=dangerous, message=dangerous)

    rows = list(csv.DictReader(io.StringIO(export(staff_client, [application]).content.decode("utf-8-sig"))))

    assert rows[0]["Company legal name"] == "'" + dangerous
    assert rows[0]["Brand names"] == "'" + dangerous
    assert rows[0]["Message"] == "'" + dangerous


@pytest.mark.parametrize("phone", ["+44 20 7946 0000", "+86 755 1234 5678", "+852 2345 6789", "+1 (212) 555 0100"])
def test_csv_export_leaves_a_phone_number_as_typed(staff_client, phone):
    application = make_application(contact_phone=phone, brand_names=phone)

    rows = list(csv.DictReader(io.StringIO(export(staff_client, [application]).content.decode("utf-8-sig"))))

    assert rows[0]["Contact phone"] == phone
    assert rows[0]["Brand names"] == phone


@pytest.mark.parametrize(
    "formula", ["+1+cmd|' /C calc'!A0", "+SUM(A1:A9)", "+44-20", "-44 20", "=44", "@44", "+A1", "+44 20\t", "+"]
)
def test_csv_export_still_neutralises_what_only_starts_like_a_phone_number(staff_client, formula):
    application = make_application(contact_phone=formula, message=formula)

    rows = list(csv.DictReader(io.StringIO(export(staff_client, [application]).content.decode("utf-8-sig"))))

    assert rows[0]["Contact phone"] == "'" + formula
    assert rows[0]["Message"] == "'" + formula


def export_workbook(staff_client, applications, list_url=LIST_URL):
    response = staff_client.post(
        list_url, {"action": "export_as_xlsx", "_selected_action": [application.pk for application in applications]}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="buyer-membership-applications-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    titles = [cell.value for cell in sheet[1]]
    return sheet, titles, [dict(zip(titles, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_excel_export_has_typed_cells_chinese_intact_and_a_bold_frozen_header(staff_client):
    chinese = make_application(
        company_name="明亮玩具有限公司",
        contact_name="陈美",
        contact_phone="+86 755 1234 5678",
        language="zh-hans",
        supplier_factory_count=12,
        submitted_at=datetime.datetime(2026, 3, 2, 1, 30, tzinfo=datetime.UTC),
    )
    english = make_application(
        contact_email="x@example.com", toy_association_member=False, message='=HYPERLINK("http://evil")'
    )
    make_application(company_name="Not Selected", contact_email="y@example.com")

    sheet, titles, rows = export_workbook(staff_client, [chinese, english])

    assert titles[:5] == ["ID", "Submitted (Hong Kong time)", "Status", "Reviewer", "Decided (Hong Kong time)"]
    assert all(cell.font.bold for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert [row["Company legal name"] for row in rows] == ["明亮玩具有限公司", "Bright Toys Ltd"]
    first = rows[0]
    assert first["Contact name"] == "陈美"
    # Hong Kong time, as a date Excel can sort and filter.
    assert first["Submitted (Hong Kong time)"] == datetime.datetime(2026, 3, 2, 9, 30)
    assert first["ID"] == chinese.pk and first["Number of supplier factories"] == 12
    assert first["Contact phone"] == "+86 755 1234 5678"
    assert sheet.cell(row=2, column=titles.index("Contact phone") + 1).data_type == "s"
    assert first["Toy association member"] == "Yes" and rows[1]["Toy association member"] == "No"
    assert first["Headquarters country"] == "Hong Kong"
    # A formula is text in the workbook: it is shown, never run.
    message_cell = sheet.cell(row=3, column=titles.index("Message") + 1)
    assert message_cell.value == '=HYPERLINK("http://evil")' and message_cell.data_type == "s"


def test_excel_export_answers_yes_and_no_in_the_staff_members_language(staff_client):
    application = make_application(headquarters_country="CN", consents_to_transfer_abroad=True)

    _sheet, titles, rows = export_workbook(staff_client, [application], f"/zh{LIST_URL}")

    assert rows[0]["玩具协会会员"] == "是"
    assert rows[0]["同意将信息传输至中国大陆境外"] == "是"
    assert rows[0]["状态"] == "新申请"


def test_visitors_cannot_see_applications(client):
    make_application()

    response = client.get(LIST_URL)

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
