"""The buyer membership application, as an applicant meets it, in English and Chinese."""

import datetime
import io
import smtplib
import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML

from membership.forms import sign_form_started
from membership.models import MembershipApplication
from tests.builders import MEMBERSHIP_STAFF, application_form, parse_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("membership_settings")]


def apply(client, url="/buyer-membership/", ip="203.0.113.5", **changes):
    return client.post(url, application_form(**changes), REMOTE_ADDR=ip)


def page(response):
    return response.content.decode()


def error_for(response, field):
    """The error messages shown next to a field."""
    errors = parse_page(response).find("ul", class_="form-field__errors", id=f"id_{field}_error")
    return [error.text for error in errors.find_all("li")] if errors else []


def typed_into(response, field):
    """What the form, sent back, holds in a text field."""
    return parse_page(response).find("input", name=field).attrs.get("value")


# --- The page ---------------------------------------------------------------------------------


def test_page_explains_membership_above_the_form_in_english(client):
    response = client.get("/buyer-membership/")

    assert response.status_code == 200
    content = page(response)
    assertContains(response, "<h1>Become a Buyer Member</h1>", html=True)
    assert "disclose their first-tier suppliers every year" in content
    assert content.index("What happens after you apply") < content.index("<form")
    form = parse_page(response).find("form")
    assert form.find("input", type="hidden", name="csrfmiddlewaretoken")
    assert form.find("input", type="hidden", name="form_started")


def test_page_and_country_list_are_in_chinese_under_zh(client):
    content = page(client.get("/zh/buyer-membership/"))

    assertInHTML("<h1>成为买家会员</h1>", content)
    assertInHTML('<option value="CN">中国</option>', content)
    assertInHTML('<option value="DE">德国</option>', content)
    assert "公司法定名称" in content and "提交申请" in content
    assert "Company legal name" not in content


def privacy_link_before_the_form(response, privacy_url):
    """The first link to the privacy notice, if it comes before the form."""
    document = parse_page(response)
    in_page_order = document.find_all()
    link = document.find("a", href=privacy_url)
    return link if link and in_page_order.index(link) < in_page_order.index(document.find("form")) else None


def test_the_form_links_the_privacy_notice_the_applicant_consents_to_in_both_languages(client):
    english = privacy_link_before_the_form(client.get("/buyer-membership/"), "/privacy/")
    chinese = privacy_link_before_the_form(client.get("/zh/buyer-membership/"), "/zh/privacy/")

    assert english and english.text == "Read the privacy notice"
    assert chinese


def test_the_privacy_notice_is_a_page_of_its_own_in_both_languages(client):
    english = client.get("/privacy/")
    chinese = client.get("/zh/privacy/")

    assert english.status_code == chinese.status_code == 200
    assert "Privacy notice: how we use your details" in page(english)
    assert "Only the programme's staff see it." in page(english)
    assert "隐私声明：我们如何使用您的资料" in page(chinese) and "只有本计划的工作人员可以查看这些资料" in page(chinese)


def test_every_page_links_the_privacy_notice_in_its_footer(client, db):
    assertInHTML('<a href="/privacy/">Privacy notice</a>', parse_page(client.get("/news/")).find("footer").inner_html)
    assertInHTML('<a href="/zh/privacy/">隐私声明</a>', parse_page(client.get("/zh/news/")).find("footer").inner_html)


def test_fields_have_labels_autocomplete_and_grouped_checkboxes_have_a_legend(client):
    content = page(client.get("/buyer-membership/"))

    form = parse_page(content)

    assert form.find("label", for_="id_company_name").text.startswith("Company legal name")
    assert form.find("input", name="company_name", autocomplete="organization")
    assert form.find("input", type="email", autocomplete="email")
    assert form.find("input", type="tel", autocomplete="tel")
    legends = [fieldset.find("legend").text for fieldset in form.find_all("fieldset")]
    assert any(legend.startswith("Product categories") for legend in legends)
    assert any(legend.startswith("Company type") for legend in legends)
    assert "" not in [radio.attrs["value"] for radio in form.find_all("input", name="company_type")]  # No empty radio.
    assertInHTML('<option value="" selected>Choose one</option>', content)


def test_inputs_ask_for_the_right_keyboard_and_autofill_and_the_trap_is_skipped_by_tab(client):
    content = page(client.get("/buyer-membership/"))

    for element in [
        '<input type="url" name="website" autocomplete="url" maxlength="200" id="id_website"'
        ' aria-describedby="id_website_helptext">',
        '<input type="number" name="supplier_factory_count" min="0" max="100000" inputmode="numeric" required'
        ' id="id_supplier_factory_count" aria-describedby="id_supplier_factory_count_helptext">',
        '<input type="email" name="contact_email" autocomplete="email" spellcheck="false" maxlength="254" required'
        ' id="id_contact_email">',
        '<input type="tel" name="contact_phone" autocomplete="tel" maxlength="40" required id="id_contact_phone"'
        ' aria-describedby="id_contact_phone_helptext">',
        # The browser must not fill in the applicant's own details for the executive.
        '<input type="text" name="executive_name" autocomplete="off" maxlength="200" required id="id_executive_name">',
        '<input type="email" name="executive_email" autocomplete="off" spellcheck="false" maxlength="254" required'
        ' id="id_executive_email" aria-describedby="id_executive_email_helptext">',
        '<input type="text" name="fax" autocomplete="off" tabindex="-1" maxlength="100" id="id_fax">',
    ]:
        assertInHTML(element, content)
    form = parse_page(content)
    assert form.find("select", name="headquarters_country", autocomplete="country", required=True)
    assert form.find("select", name="supplier_countries", size="8", required=True)


def test_membership_is_linked_from_the_header_and_once_from_the_page(client):
    # The header's link, and one call to action (the footer's), not two stacked.
    assert len(parse_page(client.get("/news/")).find_all("a", href="/buyer-membership/")) == 2
    assert len(parse_page(client.get("/zh/news/")).find_all("a", href="/zh/buyer-membership/")) == 2


# --- A valid application ----------------------------------------------------------------------


def test_valid_application_is_saved_and_redirects_to_thank_you(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client)

    assert response.status_code == 302
    assert response["Location"] == "/buyer-membership/thank-you/"
    application = MembershipApplication.objects.get()
    assert application.company_name == "Bright Toys Ltd"
    assert application.headquarters_country.code == "HK"
    assert application.product_categories == ["toys", "seasonal"]
    assert [country.code for country in application.supplier_countries] == ["CN", "VN"]
    assert application.toy_association_member is True
    assert application.language == "en"
    assert application.status == MembershipApplication.Status.NEW
    thanks = client.get(response["Location"])
    assert "Thank you for applying" in page(thanks)


def test_reloading_the_thank_you_page_submits_nothing_again(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client)
    for _reload in range(3):
        assert client.get(response["Location"]).status_code == 200

    assert MembershipApplication.objects.count() == 1
    assert len(mail.outbox) == 2


def test_applicant_gets_an_english_confirmation_and_staff_a_link_to_the_admin(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        apply(client)

    application = MembershipApplication.objects.get()
    confirmation, notification = mail.outbox
    assert confirmation.to == ["mei.chan@bright-toys.example.com"]
    assert confirmation.subject == "We have received your IETP buyer membership application"
    assert "Dear Mei Chan," in confirmation.body and "Bright Toys Ltd" in confirmation.body
    assert "Product categories: Toys, Seasonal items" in confirmation.body
    assert notification.to == MEMBERSHIP_STAFF
    assert notification.reply_to == ["mei.chan@bright-toys.example.com"]
    assert notification.subject == "New buyer membership application: Bright Toys Ltd"
    assert f"http://testserver/admin/membership/membershipapplication/{application.pk}/change/" in notification.body
    assert "applied in English" in notification.body
    assert application.confirmation_sent_at and application.staff_notified_at and not application.email_error


def test_chinese_applicant_gets_a_chinese_confirmation_and_a_chinese_thank_you(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, url="/zh/buyer-membership/", company_name="明亮玩具有限公司", contact_name="陈美")

    assert response["Location"] == "/zh/buyer-membership/thank-you/"
    assert "感谢您的申请" in page(client.get(response["Location"]))
    assert MembershipApplication.objects.get().language == "zh-hans"
    confirmation, notification = mail.outbox
    assert confirmation.subject == "我们已收到您的 IETP 买家会员申请"
    assert "陈美" in confirmation.body and "明亮玩具有限公司" in confirmation.body
    assert "产品类别: 玩具, 节庆季节性商品" in confirmation.body
    assert "香港" in confirmation.body and "Hong Kong" not in confirmation.body  # The country in Chinese too.
    assert "applied in Simplified Chinese" in notification.body  # Staff read English.


def test_emails_are_sent_only_after_the_application_is_committed(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        apply(client)

    assert len(callbacks) == 1
    assert mail.outbox == []


# --- Email failure and the resend command -----------------------------------------------------


class BrokenSMTP:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_failed_email_keeps_the_application_and_the_command_sends_it_later(
    client, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "tests.test_membership.BrokenSMTP"
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client)

    assert response.status_code == 302
    application = MembershipApplication.objects.get()
    assert application.confirmation_sent_at is None and application.staff_notified_at is None
    assert "SMTPServerDisconnected" in application.email_error
    assert "sending confirmation_sent_at failed" in caplog.text

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://ethicaltoyprogram.org"
    output = io.StringIO()
    call_command("send_membership_emails", stdout=output)

    application.refresh_from_db()
    assert application.confirmation_sent_at and application.staff_notified_at and application.email_error == ""
    assert [message.to for message in mail.outbox] == [["mei.chan@bright-toys.example.com"], MEMBERSHIP_STAFF]
    assert "https://ethicaltoyprogram.org/admin/membership/membershipapplication/" in mail.outbox[1].body
    assert "all emails now sent: 1" in output.getvalue()

    call_command("send_membership_emails", stdout=io.StringIO())
    assert len(mail.outbox) == 2  # Nothing is sent twice.


def test_resend_command_sends_only_the_email_that_failed(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apply(client)
    MembershipApplication.objects.update(staff_notified_at=None)
    mail.outbox.clear()

    call_command("send_membership_emails", stdout=io.StringIO())

    assert [message.to for message in mail.outbox] == [MEMBERSHIP_STAFF]


def test_without_staff_addresses_the_notification_waits_for_the_command(
    client, settings, django_capture_on_commit_callbacks
):
    settings.MEMBERSHIP_NOTIFY_EMAILS = []
    with django_capture_on_commit_callbacks(execute=True):
        apply(client)

    application = MembershipApplication.objects.get()
    assert [message.to for message in mail.outbox] == [["mei.chan@bright-toys.example.com"]]
    assert application.staff_notified_at is None and "MEMBERSHIP_NOTIFY_EMAILS" in application.email_error


# --- Mistakes ---------------------------------------------------------------------------------


def test_form_with_mistakes_shows_each_error_in_place_and_in_a_summary_keeping_what_was_typed(client):
    response = apply(
        client,
        company_name="",
        website="not a website",
        contact_email="mei.chan@",
        contact_phone="call me",
        supplier_factory_count="many",
        product_categories=None,
        agrees_to_principles=None,
    )

    assert response.status_code == 200
    content = page(response)
    assert error_for(response, "company_name") == ["This field is required."]
    assert error_for(response, "website") == ["Enter a valid URL."]
    assert error_for(response, "contact_email") == ["Enter a valid email address."]
    assert error_for(response, "contact_phone") == [
        "Enter a phone number with its country code, for example +86 755 1234 5678."
    ]
    assert error_for(response, "supplier_factory_count") == ["Enter a whole number."]
    assert error_for(response, "product_categories") == ["Choose at least one product category."]
    assert error_for(response, "agrees_to_principles") == [
        "To apply, your company must agree to the Buyer Membership Principles."
    ]
    form = parse_page(response)
    # The summary: focusable, announced, one link per mistake.
    summary = form.find("div", class_="error-summary", role="alert", tabindex="-1")
    assert "Please correct the 7 mistakes below." in summary.text
    assertInHTML('<a href="#id_company_name">Company legal name: This field is required.</a>', content)
    assert summary.find("a", href="#id_product_categories_0").text.startswith("Product categories:")
    # The field points at its error.
    contact_email = form.find("input", name="contact_email")
    assert contact_email.attrs["aria-invalid"] == "true"
    assert "id_contact_email_error" in contact_email.attrs["aria-describedby"].split()
    # Nothing typed is lost.
    assert typed_into(response, "website") == "not a website" and typed_into(response, "contact_phone") == "call me"
    assert typed_into(response, "contact_name") == "Mei Chan"
    assert "We would like to join before the spring fair." in form.find("textarea", name="message").text
    assert "selected" in form.find("select", name="supplier_countries").find("option", value="VN").attrs
    assert MembershipApplication.objects.count() == 0


def test_errors_are_in_chinese_on_the_chinese_form(client):
    response = apply(
        client, url="/zh/buyer-membership/", company_name="", contact_phone="abc", consents_to_privacy_notice=None
    )

    assert response.status_code == 200
    assert error_for(response, "company_name") == ["这个字段是必填项。"]
    assert error_for(response, "contact_phone") == ["请输入带国家代码的电话号码，例如 +86 755 1234 5678。"]
    assert error_for(response, "consents_to_privacy_notice") == ["我们需要您同意隐私声明，才能审核您的申请。"]
    assert "请更正以下 3 处错误。" in page(response)


@pytest.mark.parametrize(
    "url, contact_email, executive_email",
    [
        ("/buyer-membership/", "Contact email", "Executive email"),
        ("/zh/buyer-membership/", "联系人邮箱", "高管邮箱"),
    ],
)
def test_error_summary_tells_the_contact_from_the_executive(client, url, contact_email, executive_email):
    content = page(apply(client, url=url, contact_email="mei.chan@", executive_email="alan at"))

    summary = parse_page(content).find("div", class_="error-summary")
    assert summary.find("a", href="#id_contact_email").text.startswith(f"{contact_email}: ")
    assert summary.find("a", href="#id_executive_email").text.startswith(f"{executive_email}: ")


@pytest.mark.parametrize(
    "phone",
    ["+86 755 1234 5678", "(852) 2345-6789 ext. 12", "+1 (212) 555-0100", "+44 20 7946 0000 x3", "0755-12345678"],
)
def test_international_phone_formats_are_accepted(client, phone):
    response = apply(client, contact_phone=phone)

    assert response.status_code == 302
    assert MembershipApplication.objects.get().contact_phone == phone


@pytest.mark.parametrize("phone", ["12345", "phone me", "+86 755 1234 5678 9999 9999 9999", "+86<script>"])
def test_implausible_phone_numbers_are_refused(client, phone):
    response = apply(client, contact_phone=phone)

    assert response.status_code == 200
    assert error_for(response, "contact_phone")


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("company_name", "x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
        ("brand_names", "x" * 501, "Ensure this value has at most 500 characters (it has 501)."),
        ("message", "x" * 5001, "Ensure this value has at most 5000 characters (it has 5001)."),
        ("contact_name", "Mei\nChan", "Please use letters, numbers and punctuation only, on one line."),
        ("company_name", "Bright\x00Toys", "Null characters are not allowed."),
        ("message", "Hello\x07", "This text contains characters we cannot store."),
        ("executive_email", "alan at bright", "Enter a valid email address."),
        ("website", "javascript:alert(1)", "Enter a valid URL."),
        ("headquarters_country", "XX", "Choose one of the options listed."),
        ("headquarters_country", "", "This field is required."),
        ("company_type", "factory", "Choose one of the options listed."),
        ("annual_sales", "lots", "Choose one of the options listed."),
        ("heard_from", "", "This field is required."),
        ("supplier_factory_count", "-3", "Ensure this value is greater than or equal to 0."),
        ("supplier_factory_count", "100001", "Ensure this value is less than or equal to 100000."),
        ("toy_association_member", "maybe", "Choose one of the options listed."),
        ("toy_association_member", "", "Tell us whether you belong to a national toy association."),
        ("consents_to_privacy_notice", None, "We need your consent to the privacy notice to review your application."),
    ],
)
def test_each_field_is_validated_on_the_server(client, field, value, expected):
    response = apply(client, **{field: value})

    assert response.status_code == 200
    assert expected in error_for(response, field)
    assert MembershipApplication.objects.count() == 0


def test_unknown_product_category_and_supplier_country_are_refused(client):
    response = apply(client, product_categories=["toys", "weapons"], supplier_countries=["CN", "ZZ"])

    assert "Select a valid choice. weapons is not one of the available choices." in error_for(
        response, "product_categories"
    )
    assert error_for(response, "supplier_countries") == ["Choose countries from the list only."]


def test_association_name_is_dropped_when_the_company_is_not_a_member(client):
    apply(client, toy_association_member="no")

    application = MembershipApplication.objects.get()
    assert application.toy_association_member is False and application.toy_association_name == ""


def test_script_in_input_is_stored_as_text_and_escaped_on_the_page(client):
    script = "<script>alert('x')</script>"
    response = apply(client, brand_names=script, message=f"Hello {script}", website="bad", contact_name=script)

    content = page(response)
    assert script not in content
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in content
    # Valid otherwise, it is kept inertly as the text it is.
    apply(client, brand_names=script, message=f"Hello {script}")
    assert MembershipApplication.objects.get().brand_names == script


# --- Malformed requests -----------------------------------------------------------------------


def test_empty_post_shows_the_form_with_errors(client):
    response = client.post("/buyer-membership/", {})

    assert response.status_code == 200
    assert "This field is required." in page(response)


@pytest.mark.parametrize(
    "changes",
    [
        {"company_name": "\x00" * 10},
        {"company_name": "x" * 1_000_000},
        {"message": "x" * 1_000_000},
        {"company_name": ["Bright", "Dark"], "company_type": ["brand", "retailer"]},
        {"headquarters_country": "<script>"},
        {"supplier_factory_count": "1e400"},
        {"supplier_factory_count": "99999999999999999999999999"},
        {"form_started": ["x", "y"]},
        {"unexpected_field": "surprise", "id": "5", "status": "approved", "internal_notes": "hacked"},
    ],
)
def test_malformed_posts_never_cause_a_server_error(client, changes):
    response = apply(client, **changes)

    assert response.status_code in {200, 302, 400}
    for application in MembershipApplication.objects.all():
        assert application.status == MembershipApplication.Status.NEW and application.internal_notes == ""


def test_non_utf8_bytes_never_cause_a_server_error(client):
    body = b"company_name=Bright%FF%FE+Toys&contact_email=%C3%28@example.com&message=\xff\xfe"
    response = client.post("/buyer-membership/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code in {200, 400}


def test_oversized_request_is_refused_with_400(client):
    response = apply(client, message="x" * 3_000_000)

    assert response.status_code == 400


def test_post_without_csrf_token_is_refused():
    csrf_client = Client(enforce_csrf_checks=True)

    assert csrf_client.post("/buyer-membership/", application_form()).status_code == 403
    assert MembershipApplication.objects.count() == 0


# --- Abuse ------------------------------------------------------------------------------------


def test_filled_honeypot_looks_like_success_but_saves_and_sends_nothing(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, fax="+1 555 0100")

    assert response.status_code == 302 and response["Location"] == "/buyer-membership/thank-you/"
    assert MembershipApplication.objects.count() == 0
    assert mail.outbox == []


def test_honeypot_is_hidden_from_people(client):
    content = page(client.get("/buyer-membership/"))

    trap = parse_page(content).find("div", class_="membership-form__trap", **{"aria-hidden": "true"})
    assert trap.find("input", name="fax")


def test_form_sent_faster_than_a_person_could_is_refused_with_everything_kept(client, settings):
    settings.MEMBERSHIP_MIN_SECONDS_TO_SUBMIT = 5
    response = apply(client, form_started=sign_form_started(time.time() - 2))

    assert response.status_code == 200
    assert "That was quicker than we expected." in page(response)
    assert typed_into(response, "company_name") == "Bright Toys Ltd"
    assert MembershipApplication.objects.count() == 0

    # Waiting long enough on the page that came back succeeds.
    fresh = typed_into(response, "form_started")
    assert apply(client, form_started=fresh).status_code == 200  # Still too fast: sent at once.
    assert apply(client, form_started=sign_form_started(time.time() - 6)).status_code == 302


@pytest.mark.parametrize("token", ["", "1700000000", "forged:token", sign_form_started(time.time() - 3 * 86400)])
def test_missing_forged_or_stale_timestamp_is_refused(client, token):
    response = apply(client, form_started=token)

    assert response.status_code == 200
    assert "Please check your answers and submit it again." in page(response)
    assert MembershipApplication.objects.count() == 0


def test_timestamp_from_the_page_itself_is_accepted(client, settings):
    settings.MEMBERSHIP_MIN_SECONDS_TO_SUBMIT = 0
    token = typed_into(client.get("/buyer-membership/"), "form_started")

    assert apply(client, form_started=token).status_code == 302


def test_too_many_submissions_from_one_address_get_429_in_the_visitors_language(client, settings):
    settings.MEMBERSHIP_SUBMISSIONS_PER_IP = 3
    for _attempt in range(3):
        assert apply(client, company_name="", ip="198.51.100.7").status_code == 200

    english = apply(client, ip="198.51.100.7")
    chinese = apply(client, url="/zh/buyer-membership/", ip="198.51.100.7")

    assert english.status_code == 429 and "Too many submissions" in page(english)
    assert chinese.status_code == 429 and "提交次数过多" in page(chinese)
    assert MembershipApplication.objects.count() == 0
    # Another visitor is not affected.
    assert apply(client, ip="198.51.100.8").status_code == 302


def test_forwarded_for_header_is_ignored_unless_the_proxy_is_trusted(client, settings):
    settings.MEMBERSHIP_SUBMISSIONS_PER_IP = 1
    data = application_form(company_name="")

    client.post("/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    # A visitor cannot escape the limit by making up the header.
    spoofed = client.post("/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert spoofed.status_code == 429

    settings.TRUST_X_FORWARDED_FOR = True
    cache.clear()
    client.post("/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.9")
    second_visitor = client.post(
        "/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2, 10.0.0.9"
    )
    assert second_visitor.status_code == 200
    same_visitor = client.post("/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert same_visitor.status_code == 429


def test_duplicate_application_within_a_day_is_not_saved_twice(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apply(client)
        second = apply(client, company_name="Bright Toys (Again)", contact_email="MEI.CHAN@bright-toys.example.com")

    assert second["Location"] == "/buyer-membership/already-received/"
    assert "Your application is already with us" in page(client.get(second["Location"]))
    assert list(MembershipApplication.objects.values_list("company_name", flat=True)) == ["Bright Toys Ltd"]
    assert len(mail.outbox) == 2


def test_duplicate_notice_is_in_chinese_for_a_chinese_applicant(client):
    apply(client, url="/zh/buyer-membership/")
    second = apply(client, url="/zh/buyer-membership/")

    assert second["Location"] == "/zh/buyer-membership/already-received/"
    assert "您的申请已在我们这里" in page(client.get(second["Location"]))


def test_same_email_may_apply_again_after_a_day(client):
    apply(client)
    MembershipApplication.objects.update(submitted_at=timezone.now() - datetime.timedelta(hours=25))

    assert apply(client)["Location"] == "/buyer-membership/thank-you/"
    assert MembershipApplication.objects.count() == 2


# --- The model's own rules --------------------------------------------------------------------


def test_database_refuses_an_application_without_both_consents(client):
    apply(client)
    application = MembershipApplication.objects.get()

    for field in ["agrees_to_principles", "consents_to_privacy_notice"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            MembershipApplication.objects.filter(pk=application.pk).update(**{field: False})


def test_database_refuses_an_unknown_status(client):
    apply(client)

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipApplication.objects.update(status="deleted")
