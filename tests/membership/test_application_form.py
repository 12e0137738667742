"""The buyer membership application, as an applicant meets it, in English and Chinese."""

import datetime
import gzip
import http.client
import io
import re
import smtplib
import threading
import time
import urllib.parse
import urllib.request

import pytest
from django import forms
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML

from caching import page_cache
from caching.page_with_slots import PageWithSlots
from ietp_site import settings as ietp_settings
from membership import views
from membership.forms import MembershipApplicationForm, sign_form_started
from membership.models import ApplicationEmail, MembershipApplication
from testkit.applications import MEMBERSHIP_STAFF, application_form, make_application
from testkit.pages import parse_page
from testkit.servers import Gunicorn

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("membership_settings")]


def apply(client, url="/buyer-membership/", ip="203.0.113.5", **changes):
    return client.post(url, application_form(**changes), REMOTE_ADDR=ip)


def page(response):
    return response.content.decode()


def chosen_countries(response):
    """The supplier countries ticked on the page, in page order."""
    boxes = parse_page(response).find_all("input", name="supplier_countries", checked=True)
    return [box.attrs["value"] for box in boxes]


def summary_links(response):
    """(href, text) of each link in the error summary."""
    summary = parse_page(response).find("div", class_="error-summary")
    return [(link.attrs["href"], link.text) for link in summary.find_all("a")]


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
    # Where django-countries' Chinese names are wrong: Samoa is not American Samoa; brackets are full-width.
    assertInHTML('<option value="WS">萨摩亚</option>', content)
    assertInHTML('<option value="AS">美属萨摩亚群岛</option>', content)
    assertInHTML('<option value="CC">科科斯（基林）群岛</option>', content)
    assert "公司法定名称" in content and "提交申请" in content
    assert "Company legal name" not in content


def test_the_blank_form_rendered_once_per_language_stays_in_its_language_and_holds_no_answers(client):
    english = page(client.get("/buyer-membership/"))
    chinese = page(client.get("/zh/buyer-membership/"))
    mistaken = apply(client, company_name="", contact_name="Mei Chan")
    again = client.get("/buyer-membership/")

    assert "Company legal name" in english and "公司法定名称" not in english
    assert "公司法定名称" in chinese and "Company legal name" not in chinese
    assert typed_into(mistaken, "contact_name") == "Mei Chan"
    assert typed_into(again, "contact_name") is None and chosen_countries(again) == []
    assert without_tokens(page(again)) == without_tokens(english)


def without_tokens(content):
    """The page without what differs on every request: the CSRF token and the form's timestamp."""
    return re.sub(r'name="(csrfmiddlewaretoken|form_started)" value="[^"]*"', "", content)


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
    assert "Only the programme's staff see them." in page(english)
    assert "隐私声明：我们如何使用您的资料" in page(chinese) and "只有本计划的工作人员可以查看" in page(chinese)


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
    assert parse_page(content).find("select", name="headquarters_country", autocomplete="country", required=True)


@pytest.mark.parametrize(
    "url, first_countries, other_countries",
    [
        ("/buyer-membership/", ["China", "Vietnam", "India", "Indonesia", "Bangladesh"], "Other countries"),
        ("/zh/buyer-membership/", ["中国", "越南", "印度", "印度尼西亚", "孟加拉国"], "其他国家/地区"),
    ],
)
def test_supplier_countries_are_checkboxes_most_common_first_and_the_rest_folded_away(
    client, url, first_countries, other_countries
):
    countries = parse_page(client.get(url)).find("div", id="id_supplier_countries")

    labels = [label.text for label in countries.find_all("label")]
    assert labels[:5] == first_countries
    assert len(labels) == len(set(labels)) == 249  # every country once
    # The first box is China: the error summary's link for the field leads to a box in sight.
    assert countries.find("input", type="checkbox", id="id_supplier_countries_0_0").attrs["value"] == "CN"
    others = countries.find("details", class_="country-choices__others")
    assert others.find("summary").text == other_countries and "open" not in others.attrs


def test_a_country_chosen_from_the_folded_list_stays_chosen_and_in_sight_after_a_mistake(client):
    response = apply(client, supplier_countries=["CN", "PH", "LK"], company_name="")

    assert chosen_countries(response) == ["CN", "PH", "LK"]  # China first, then Philippines and Sri Lanka A to Z
    assert "open" in parse_page(response).find("details", class_="country-choices__others").attrs

    assert apply(client, supplier_countries=["CN", "PH", "LK"]).status_code == 302
    assert [country.code for country in MembershipApplication.objects.get().supplier_countries] == ["CN", "LK", "PH"]


def test_membership_is_linked_from_the_header_and_once_from_the_page(client):
    # The header's link, and one call to action (the footer's), not two stacked.
    assert len(parse_page(client.get("/news/")).find_all("a", href="/buyer-membership/")) == 2
    assert len(parse_page(client.get("/zh/news/")).find_all("a", href="/zh/buyer-membership/")) == 2


# --- The blank form's page, cached for every visitor without a session -----------------------------


@pytest.fixture
def rendered(monkeypatch):
    """The form's pages rendered from the templates, by address: a page from the cache is not among them."""
    addresses = []
    render_to_response = views.ApplicationCreateView.render_to_response

    def counted(view, *args, **kwargs):
        addresses.append(view.request.get_full_path())
        return render_to_response(view, *args, **kwargs)

    monkeypatch.setattr(views.ApplicationCreateView, "render_to_response", counted)
    return addresses


def hidden_value(response, name):
    return parse_page(response).find("input", type="hidden", name=name).attrs["value"]


def as_served(response):
    """The page's HTML, uncompressed if it was sent compressed."""
    if response.get("Content-Encoding") == "gzip":
        return gzip.decompress(response.content).decode()
    return page(response)


def vary(response):
    return {header.strip() for header in response["Vary"].split(",")}


@pytest.mark.parametrize("url", ["/buyer-membership/", "/zh/buyer-membership/"])
@pytest.mark.parametrize("encoding", ["gzip", ""])
def test_the_cached_blank_form_is_the_page_rendered_without_the_cache_but_for_its_tokens(
    client, url, encoding, rendered
):
    rendered_first = client.get(url, headers={"Accept-Encoding": encoding})
    cached = client.get(url, headers={"Accept-Encoding": encoding})
    assert rendered == [url]
    page_cache.CacheHealth.paused_until = time.monotonic() + 60  # the cache server down: rendered as before
    rendered_without_cache = client.get(url, headers={"Accept-Encoding": encoding})
    assert rendered == [url, url]

    assert rendered_first.status_code == cached.status_code == rendered_without_cache.status_code == 200
    assert without_tokens(as_served(cached)) == without_tokens(as_served(rendered_without_cache))
    assert without_tokens(as_served(rendered_first)) == without_tokens(as_served(rendered_without_cache))
    for header in ("Content-Type", "Content-Encoding", "Content-Language"):
        assert cached.get(header) == rendered_without_cache.get(header)
    assert vary(cached) == vary(rendered_without_cache) == {"Accept-Encoding", "Cookie"}
    # Each page load has tokens of its own.
    tokens = [parse_page(as_served(response)) for response in (rendered_first, cached)]
    for name in ("csrfmiddlewaretoken", "form_started"):
        assert len({tree.find("input", type="hidden", name=name).attrs["value"] for tree in tokens}) == 2


@pytest.mark.parametrize("url", ["/buyer-membership/", "/zh/buyer-membership/"])
def test_an_application_sent_from_the_cached_page_passes_the_csrf_check_and_is_saved(url, rendered):
    Client().get(url)  # rendered for another visitor, and cached
    visitor = Client(enforce_csrf_checks=True)
    shown = visitor.get(url)

    assert rendered == [url]
    # A new visitor gets Django's CSRF cookie, and the page's token is made for it.
    assert "csrftoken" in shown.cookies and "Cookie" in shown["Vary"]
    answers = application_form(
        csrfmiddlewaretoken=hidden_value(shown, "csrfmiddlewaretoken"), form_started=hidden_value(shown, "form_started")
    )
    response = visitor.post(url, answers, REMOTE_ADDR="203.0.113.5")

    assert response.status_code == 302
    assert MembershipApplication.objects.get().form_token == hidden_value(shown, "form_started")


def test_a_token_from_the_cached_page_is_refused_with_another_visitors_cookie():
    Client().get("/buyer-membership/")
    shown = Client(enforce_csrf_checks=True).get("/buyer-membership/")
    other = Client(enforce_csrf_checks=True)
    other.get("/buyer-membership/")

    answers = application_form(csrfmiddlewaretoken=hidden_value(shown, "csrfmiddlewaretoken"))
    assert other.post("/buyer-membership/", answers).status_code == 403
    assert MembershipApplication.objects.count() == 0


@pytest.mark.parametrize(
    ("cookies", "query"),
    [
        ({"sessionid": "a-visitor-the-site-remembers"}, ""),  # staff, or anyone with a session
        ({}, "?company_name=Bright+Toys"),  # what an address carries is not shared
    ],
)
def test_a_visitor_with_a_session_or_a_query_gets_the_form_rendered_for_them(client, cookies, query, rendered):
    client.get("/buyer-membership/")
    client.cookies.load(cookies)
    response = client.get(f"/buyer-membership/{query}")

    assert response.status_code == 200
    assert rendered == ["/buyer-membership/", f"/buyer-membership/{query}"]


def test_a_form_sent_back_with_a_mistake_is_rendered_with_the_answers_and_the_cached_page_stays_blank(client, rendered):
    client.get("/buyer-membership/")
    mistaken = apply(client, company_name="", contact_name="Mei Chan")
    blank = client.get("/buyer-membership/")

    assert rendered == ["/buyer-membership/", "/buyer-membership/"]  # the blank page, then the mistake
    assert typed_into(mistaken, "contact_name") == "Mei Chan"
    assert typed_into(blank, "contact_name") is None and "Mei Chan" not in page(blank)


def test_a_new_release_renders_the_form_again(client, monkeypatch, rendered):
    client.get("/buyer-membership/")
    previous = f"<p>The page as the previous release rendered it</p>{views.CSRF_TOKEN_SLOT}{views.FORM_STARTED_SLOT}"
    cache.set(
        views.blank_page_key(RequestFactory().get("/")),
        PageWithSlots(previous, views.CSRF_TOKEN_SLOT, views.FORM_STARTED_SLOT),
    )
    assert "previous release" in page(client.get("/buyer-membership/"))

    monkeypatch.setattr(views, "release_digest", lambda: "the-next-release")
    again = client.get("/buyer-membership/")
    client.get("/buyer-membership/")

    assert "previous release" not in page(again) and "Become a Buyer Member" in page(again)
    assert rendered == ["/buyer-membership/", "/buyer-membership/"]  # once in each release


def test_with_the_cache_server_failing_the_form_is_rendered_and_accepted(monkeypatch, rendered):
    def refuse(*args, **kwargs):
        raise ConnectionError("the cache server is down")

    monkeypatch.setattr(cache, "get_many", refuse)
    visitor = Client(enforce_csrf_checks=True)
    shown = visitor.get("/buyer-membership/")
    visitor.get("/buyer-membership/")
    answers = application_form(csrfmiddlewaretoken=hidden_value(shown, "csrfmiddlewaretoken"))

    assert shown.status_code == 200 and len(rendered) == 2
    assert visitor.post("/buyer-membership/", answers).status_code == 302


@pytest.mark.parametrize("url", ["/buyer-membership/", "/zh/buyer-membership/"])
def test_the_form_page_asks_nothing_of_the_database_rendered_or_cached(client, url, django_assert_max_num_queries):
    client.get("/robots.txt")  # the page cache's first request after a change asks when the next one falls
    with django_assert_max_num_queries(0):
        client.get(url)
    with django_assert_max_num_queries(0):
        client.get(url)


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


def next_steps(response):
    """The steps the thank-you page lists under "What happens next", as a reader sees them."""
    return [step.text for step in parse_page(response).find("ol", class_="membership__steps").find_all("li")]


@pytest.mark.parametrize(
    "url, to_the_address, to_the_main_contact",
    [
        (
            "/buyer-membership/",
            "A confirmation will be sent to mei.chan@bright-toys.example.com.",
            "A confirmation will be sent to the main contact’s email address.",
        ),
        (
            "/zh/buyer-membership/",
            "确认邮件将发送至 mei.chan@bright-toys.example.com，",
            "确认邮件将发送至主要联系人的邮箱，",
        ),
    ],
)
def test_thank_you_page_names_the_address_the_confirmation_will_go_to_once_and_never_in_the_url(
    client, url, to_the_address, to_the_main_contact
):
    response = apply(client, url=url)

    assert response["Location"] == f"{url}thank-you/"  # nothing about the applicant in the address bar
    first_view = client.get(response["Location"])
    assert next_steps(first_view)[0].startswith(to_the_address)
    assert parse_page(first_view).find("strong").text == "mei.chan@bright-toys.example.com"
    # Reloaded, or opened later, the page still says what happens, but to no one in particular.
    for later in [client.get(response["Location"]), Client().get(response["Location"])]:
        assert next_steps(later)[0].startswith(to_the_main_contact)
        assert "mei.chan" not in page(later)


def test_thank_you_page_lists_what_happens_next_in_both_languages(client):
    english = client.get("/buyer-membership/thank-you/")
    chinese = client.get("/zh/buyer-membership/thank-you/")

    assertContains(english, "<h2>What happens next</h2>", html=True)
    assert next_steps(english)[1:] == [
        "Our team reviews your application, usually within ten working days.",
        "We send the letter of support to your senior executive for signature.",
        "Once the signed letter is back, we welcome you as a member and agree the public statement of membership "
        "with you.",
    ]
    assertContains(chinese, "<h2>接下来</h2>", html=True)
    assert next_steps(chinese)[2] == "我们会将支持函发送给贵公司的高级管理人员签署。"
    assert "sent a confirmation" not in page(english)  # it goes out after this page, or later if sending fails


def test_applicant_gets_an_english_confirmation_and_staff_a_link_to_the_admin(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        apply(client)

    application = MembershipApplication.objects.get()
    confirmation, notification = mail.outbox
    assert confirmation.to == ["mei.chan@bright-toys.example.com"]
    assert confirmation.subject == "We have received your IETP buyer membership application"
    assert "Dear Mei Chan," in confirmation.body and "Bright Toys Ltd" not in confirmation.body
    assert "Product categories: Toys, Seasonal items" in confirmation.body
    assert notification.to == MEMBERSHIP_STAFF
    assert notification.reply_to == ["mei.chan@bright-toys.example.com"]
    assert notification.subject == "New buyer membership application: Bright Toys Ltd"
    assert f"http://testserver/admin/membership/membershipapplication/{application.pk}/change/" in notification.body
    assert "applied in English" in notification.body
    assert [(email.kind, bool(email.sent_at), email.error) for email in application.emails.all()] == [
        ("confirmation", True, ""),
        ("staff_notification", True, ""),
    ]
    assert application.emails.get(kind="confirmation").subject == confirmation.subject


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
    assert "陈美" in confirmation.body and "明亮玩具有限公司" not in confirmation.body
    assert "产品类别: 玩具, 节庆季节性商品" in confirmation.body
    assert "香港" in confirmation.body and "Hong Kong" not in confirmation.body  # The country in Chinese too.
    assert "applied in Simplified Chinese" in notification.body  # Staff read English.


HOSTILE_ANSWERS = {
    "company_name": '<a href="http://evil.example">Click</a>',
    "brand_names": "Claim your prize at http://evil.example/brand",
    "contact_job_title": "Call +1 900 555 0100 now",
    "executive_name": "Visit evil.example/executive",
    "executive_title": "Your account is suspended",
    "toy_association_name": "Pay at evil.example/association",
    "message": "Your parcel is waiting: http://evil.example/parcel " + "please confirm your card details " * 100,
}


@pytest.mark.parametrize("url", ["/buyer-membership/", "/zh/buyer-membership/"])
def test_the_confirmation_repeats_nothing_the_applicant_typed_but_their_own_name(
    client, django_capture_on_commit_callbacks, url
):
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, url=url, letter=None, **HOSTILE_ANSWERS)

    assert response.status_code == 302, page(response)
    confirmation = mail.outbox[0]
    assert confirmation.to == ["mei.chan@bright-toys.example.com"]
    assert "Mei Chan" in confirmation.body
    assert "/buyer-membership/letter/" in confirmation.body  # the signed letter's upload link stays
    for answer in ["evil.example", "Call +1 900", "suspended", "Click", "Sourcing Director", "Alan Wong"]:
        assert answer not in confirmation.subject + confirmation.body
    assert MembershipApplication.objects.get().emails.get(kind="confirmation").sent_at is not None


def test_emails_are_recorded_with_the_application_and_sent_only_after_it_is_committed(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        apply(client)

    assert len(callbacks) == 1
    assert mail.outbox == []
    pending = MembershipApplication.objects.get().emails.all()
    assert [(email.kind, email.sent_at, email.attempts) for email in pending] == [
        ("confirmation", None, 0),
        ("staff_notification", None, 0),
    ]


# --- Email failure and the resend command -----------------------------------------------------


class BrokenSMTP(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_failed_email_keeps_the_application_and_the_command_sends_it_later(
    client, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "tests.membership.test_application_form.BrokenSMTP"
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client)

    assert response.status_code == 302
    application = MembershipApplication.objects.get()
    confirmation, notification = application.emails.all()
    assert confirmation.sent_at is None and notification.sent_at is None
    assert "SMTPServerDisconnected" in confirmation.error and confirmation.attempts == 1
    # The server failed: the second email is not tried (no second wait for a timeout), but recorded as failed too.
    assert "Not tried" in notification.error and "SMTPServerDisconnected" in notification.error
    assert "sending the confirmation email failed" in caplog.text

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://ethicaltoyprogram.org"
    output = io.StringIO()
    call_command("send_membership_emails", stdout=output)

    assert [(email.sent_at is not None, email.error, email.attempts) for email in application.emails.all()] == [
        (True, "", 2),
        (True, "", 2),
    ]
    assert [message.to for message in mail.outbox] == [["mei.chan@bright-toys.example.com"], MEMBERSHIP_STAFF]
    assert "https://ethicaltoyprogram.org/admin/membership/membershipapplication/" in mail.outbox[1].body
    assert "Emails sent: 2; failed: 0" in output.getvalue()

    call_command("send_membership_emails", stdout=io.StringIO())
    assert len(mail.outbox) == 2  # Nothing is sent twice.


def test_resend_command_sends_only_the_email_that_failed(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apply(client)
    ApplicationEmail.objects.filter(kind="staff_notification").update(sent_at=None)
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
    notification = application.emails.get(kind="staff_notification")
    # Not tried, so not a failure: it waits for an address.
    assert (notification.sent_at, notification.attempts, notification.error) == (None, 0, "")
    assert notification.state == "no_staff_address"

    settings.MEMBERSHIP_NOTIFY_EMAILS = MEMBERSHIP_STAFF
    call_command("send_membership_emails", stdout=io.StringIO())
    assert [message.to for message in mail.outbox][1:] == [MEMBERSHIP_STAFF]


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
    assert error_for(response, "company_name") == ["Enter the company legal name."]
    assert error_for(response, "website") == ["Enter the website as an address like https://example.com."]
    assert error_for(response, "contact_email") == ["Enter the contact email as an address like name@example.com."]
    assert error_for(response, "contact_phone") == [
        "Enter a phone number with its country code, for example +86 755 1234 5678."
    ]
    assert error_for(response, "supplier_factory_count") == [
        "Enter the number of supplier factories as a whole number from 0 to 100,000."
    ]
    assert error_for(response, "product_categories") == ["Choose at least one product category."]
    assert error_for(response, "agrees_to_principles") == [
        "To apply, your company must agree to the Buyer Membership Principles."
    ]
    form = parse_page(response)
    # The summary: focusable, announced, one link per mistake.
    summary = form.find("div", class_="error-summary", role="alert", tabindex="-1")
    assert "Please correct the 7 mistakes below." in summary.text
    assert summary_links(response) == [
        ("#id_company_name", "Enter the company legal name."),
        ("#id_website", "Enter the website as an address like https://example.com."),
        ("#id_product_categories_0", "Choose at least one product category."),
        ("#id_supplier_factory_count", "Enter the number of supplier factories as a whole number from 0 to 100,000."),
        ("#id_contact_email", "Main contact: Enter the contact email as an address like name@example.com."),
        (
            "#id_contact_phone",
            "Main contact: Enter a phone number with its country code, for example +86 755 1234 5678.",
        ),
        ("#id_agrees_to_principles", "To apply, your company must agree to the Buyer Membership Principles."),
    ]
    # The field points at its error.
    contact_email = form.find("input", name="contact_email")
    assert contact_email.attrs["aria-invalid"] == "true"
    assert "id_contact_email_error" in contact_email.attrs["aria-describedby"].split()
    # Nothing typed is lost.
    assert typed_into(response, "website") == "not a website" and typed_into(response, "contact_phone") == "call me"
    assert typed_into(response, "contact_name") == "Mei Chan"
    assert "We would like to join before the spring fair." in form.find("textarea", name="message").text
    assert chosen_countries(response) == ["CN", "VN"]
    assert MembershipApplication.objects.count() == 0


def test_errors_are_in_chinese_on_the_chinese_form(client):
    response = apply(
        client, url="/zh/buyer-membership/", company_name="", contact_phone="abc", consents_to_privacy_notice=None
    )

    assert response.status_code == 200
    assert error_for(response, "company_name") == ["请填写公司法定名称。"]
    assert error_for(response, "contact_phone") == ["请输入带国家代码的电话号码，例如 +86 755 1234 5678。"]
    assert error_for(response, "consents_to_privacy_notice") == ["我们需要您同意隐私声明，才能审核您的申请。"]
    assert "请更正以下 3 处错误。" in page(response)
    assert [message for _anchor, message in summary_links(response)] == [
        "请填写公司法定名称。",
        "主要联系人：请输入带国家代码的电话号码，例如 +86 755 1234 5678。",
        "我们需要您同意隐私声明，才能审核您的申请。",
    ]


@pytest.mark.parametrize(
    "url, contact, executive",
    [
        (
            "/buyer-membership/",
            "Main contact: Enter the contact name.",
            "Senior executive: Enter the executive email as an address like name@example.com.",
        ),
        (
            "/zh/buyer-membership/",
            "主要联系人：请填写联系人姓名。",
            "高级管理人员：请按 name@example.com 的格式填写高管邮箱。",
        ),
    ],
)
def test_error_summary_says_whose_answer_is_wrong_without_doubled_punctuation(client, url, contact, executive):
    response = apply(
        client,
        url=url,
        contact_name="",
        executive_email="alan at",
        heard_from="",
        toy_association_member=None,
        agrees_to_principles=None,
    )

    links = dict(summary_links(response))
    assert links["#id_contact_name"] == contact
    assert links["#id_executive_email"] == executive
    for message in links.values():
        assert not re.search(r"[?？.。:：]\s*[:：]", message), message
        assert url == "/buyer-membership/" or ": " not in message, message  # Chinese takes the full-width colon


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


# Each kind of mistake, in the site's words in both languages, naming the field as the page does.
MISTAKES = [
    # Required, on each kind of field
    ("company_name", "", "Enter the company legal name.", "请填写公司法定名称。"),
    ("contact_email", "", "Enter the contact email.", "请填写联系人邮箱。"),
    ("contact_phone", "", "Enter the contact phone.", "请填写联系人电话。"),
    ("supplier_factory_count", "", "Enter the number of supplier factories.", "请填写供应商工厂数量。"),
    ("headquarters_country", "", "Choose the headquarters country.", "请选择总部所在国家/地区。"),
    ("company_type", None, "Choose the company type.", "请选择公司类型。"),
    ("annual_sales", "", "Choose the range of your annual sales.", "请选择年销售额所在的范围。"),
    ("heard_from", "", "Tell us how you heard about the programme.", "请告诉我们您是如何了解到本计划的。"),
    ("product_categories", None, "Choose at least one product category.", "请至少选择一个产品类别。"),
    (
        "supplier_countries",
        None,
        "Choose at least one country where your supplier factories are.",
        "请至少选择一个供应商工厂所在的国家/地区。",
    ),
    (
        "toy_association_member",
        "",
        "Tell us whether you belong to a national toy association.",
        "请告诉我们贵公司是否为国家级玩具协会的会员。",
    ),
    (
        "agrees_to_principles",
        None,
        "To apply, your company must agree to the Buyer Membership Principles.",
        "申请入会，贵公司须同意《买家会员原则》。",
    ),
    (
        "consents_to_privacy_notice",
        None,
        "We need your consent to the privacy notice to review your application.",
        "我们需要您同意隐私声明，才能审核您的申请。",
    ),
    # Email, web address, phone
    (
        "contact_email",
        "mei.chan@",
        "Enter the contact email as an address like name@example.com.",
        "请按 name@example.com 的格式填写联系人邮箱。",
    ),
    (
        "executive_email",
        "alan at bright",
        "Enter the executive email as an address like name@example.com.",
        "请按 name@example.com 的格式填写高管邮箱。",
    ),
    (
        "website",
        "javascript:alert(1)",
        "Enter the website as an address like https://example.com.",
        "请按 https://example.com 的格式填写网站。",
    ),
    (
        "contact_phone",
        "call me",
        "Enter a phone number with its country code, for example +86 755 1234 5678.",
        "请输入带国家代码的电话号码，例如 +86 755 1234 5678。",
    ),
    # Numbers: not a number, a fraction, below and above the range
    *[
        (
            "supplier_factory_count",
            value,
            "Enter the number of supplier factories as a whole number from 0 to 100,000.",
            "请用 0 到 100,000 之间的整数填写供应商工厂数量。",
        )
        for value in ["many", "12.5", "1e400", "-3", "100001", "99999999999999999999999999"]
    ],
    # Too long
    (
        "company_name",
        "x" * 201,
        "The company legal name can be at most 200 characters.",
        "公司法定名称最多可填写 200 个字符。",
    ),
    ("brand_names", "x" * 501, "The brand names can be at most 500 characters.", "品牌名称最多可填写 500 个字符。"),
    ("message", "x" * 5001, "The message can be at most 5,000 characters.", "留言最多可填写 5,000 个字符。"),
    # Characters that cannot be stored
    (
        "contact_name",
        "Mei\nChan",
        "Please use letters, numbers and punctuation only, on one line.",
        "请只使用文字、数字和标点符号，并写在同一行内。",
    ),
    (
        "company_name",
        "Bright\x00Toys",
        "Please use letters, numbers and punctuation only, on one line.",
        "请只使用文字、数字和标点符号，并写在同一行内。",
    ),
    ("message", "Hello\x07", "This text contains characters we cannot store.", "此文本包含无法保存的字符。"),
    # Values none of the options has: forged, or from a page older than the choices
    ("headquarters_country", "XX", "Choose one of the options listed.", "请从所列选项中选择一项。"),
    ("company_type", "factory", "Choose one of the options listed.", "请从所列选项中选择一项。"),
    ("annual_sales", "lots", "Choose one of the options listed.", "请从所列选项中选择一项。"),
    ("toy_association_member", "maybe", "Choose one of the options listed.", "请从所列选项中选择一项。"),
    (
        "product_categories",
        ["toys", "weapons"],
        "Choose product categories from the list only.",
        "请只从列表中选择产品类别。",
    ),
    ("supplier_countries", ["CN", "ZZ"], "Choose countries from the list only.", "请只从列表中选择国家/地区。"),
]


@pytest.mark.parametrize("field, value, english, chinese", MISTAKES)
def test_each_kind_of_mistake_is_named_in_the_sites_words_in_both_languages(client, field, value, english, chinese):
    for url, expected in [("/buyer-membership/", english), ("/zh/buyer-membership/", chinese)]:
        response = apply(client, url=url, **{field: value})

        assert response.status_code == 200
        assert error_for(response, field) == [expected]
    assert MembershipApplication.objects.count() == 0


def test_no_message_on_the_form_is_in_djangos_words():
    djangos = {
        str(message)
        for field_class in vars(forms.fields).values()
        if isinstance(field_class, type) and issubclass(field_class, forms.Field)
        for message in vars(field_class).get("default_error_messages", {}).values()
    }
    form = MembershipApplicationForm()

    for name, field in form.fields.items():
        if name == "fax":  # hidden from people
            continue
        assert not {str(message) for message in field.error_messages.values()} & djangos, name
        # Django's validators speak through the field's messages (Field.run_validators); ours in our own words.
        for validator in field.validators:
            if type(validator).__module__ == "django.core.validators":
                assert validator.code in field.error_messages, (name, validator)


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
    assert "Enter the company legal name." in page(response)


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
        {"unexpected_field": "surprise", "id": "5", "status": "approved", "assigned_to": "1", "new_note": "hacked"},
    ],
)
def test_malformed_posts_never_cause_a_server_error(client, changes):
    response = apply(client, **changes)

    assert response.status_code in {200, 302, 400}
    for application in MembershipApplication.objects.all():
        assert application.status == MembershipApplication.Status.NEW and application.assigned_to is None
        assert not application.notes.exists()


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
    assert next_steps(client.get(response["Location"]))[0].startswith(
        "A confirmation will be sent to the main contact’s"
    )


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


# The stale token is signed inside the test: a value computed at collection would differ between the
# xdist workers, and they refuse to run tests whose ids they do not agree on.
@pytest.mark.parametrize(
    "make_token",
    [lambda: "", lambda: "1700000000", lambda: "forged:token", lambda: sign_form_started(time.time() - 3 * 86400)],
    ids=["missing", "unsigned", "forged", "signed-three-days-ago"],
)
def test_missing_forged_or_stale_timestamp_is_refused(client, make_token):
    response = apply(client, form_started=make_token())

    assert response.status_code == 200
    assert "Please check your answers and submit it again." in page(response)
    assert MembershipApplication.objects.count() == 0


def test_timestamp_from_the_page_itself_is_accepted(client, settings):
    settings.MEMBERSHIP_MIN_SECONDS_TO_SUBMIT = 0
    token = typed_into(client.get("/buyer-membership/"), "form_started")

    assert apply(client, form_started=token).status_code == 302


def test_too_many_posts_from_one_address_get_429_in_the_visitors_language(client, settings):
    settings.MEMBERSHIP_POSTS_PER_IP = 3
    for _attempt in range(3):
        assert apply(client, company_name="", ip="198.51.100.7").status_code == 200

    english = apply(client, ip="198.51.100.7")
    chinese = apply(client, url="/zh/buyer-membership/", ip="198.51.100.7")

    assert english.status_code == 429 and "Too many submissions" in page(english)
    assert chinese.status_code == 429 and "提交次数过多" in page(chinese)
    assert MembershipApplication.objects.count() == 0
    # Another visitor is not affected.
    assert apply(client, ip="198.51.100.8").status_code == 302


@pytest.mark.slow
def test_corrections_do_not_use_up_the_applications_an_address_may_send(client, settings):
    settings.MEMBERSHIP_SUBMISSIONS_PER_IP = 2
    # An office behind one address: each buyer gets a few answers wrong first.
    for buyer in range(2):
        for _mistake in range(3):
            assert apply(client, contact_phone="phone me", ip="198.51.100.7").status_code == 200
        accepted = apply(client, contact_email=f"buyer{buyer}@example.com", ip="198.51.100.7")
        assert accepted["Location"] == "/buyer-membership/thank-you/"

    third = apply(client, contact_email="buyer2@example.com", ip="198.51.100.7")

    assert third.status_code == 429 and "Too many submissions" in page(third)
    assert MembershipApplication.objects.count() == 2


def test_the_default_limits_are_ten_applications_and_sixty_posts_an_hour(client):
    assert (ietp_settings.MEMBERSHIP_SUBMISSIONS_PER_IP, ietp_settings.MEMBERSHIP_POSTS_PER_IP) == (10, 60)
    statuses = [apply(client, contact_email=f"buyer{n}@example.com").status_code for n in range(11)]

    assert statuses == [302] * 10 + [429]
    assert MembershipApplication.objects.count() == 10


def test_forwarded_for_header_is_ignored_unless_the_proxy_is_trusted(client, settings):
    settings.MEMBERSHIP_POSTS_PER_IP = 1
    data = application_form(company_name="")

    client.post("/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    # A visitor cannot escape the limit by making up the header.
    spoofed = client.post("/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert spoofed.status_code == 429

    # Behind the trusted front server, the visitor is the hop it appended: the right-most one.
    settings.TRUST_X_FORWARDED_FOR = True
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    cache.clear()
    client.post("/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    second_visitor = client.post(
        "/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2"
    )
    assert second_visitor.status_code == 200
    # What the visitor wrote in the header themselves comes before that hop, and changes nothing.
    same_visitor = client.post(
        "/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1"
    )
    assert same_visitor.status_code == 429


def test_made_up_forwarded_for_entries_do_not_give_a_visitor_more_attempts(client, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    settings.MEMBERSHIP_POSTS_PER_IP = 5
    data = application_form(company_name="")

    statuses = [
        client.post(
            "/buyer-membership/", data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.1"
        ).status_code
        for n in range(20)
    ]

    assert statuses == [200] * 5 + [429] * 15


# --- One page, one application ------------------------------------------------------------------


def test_a_page_sends_one_application_and_a_replay_the_next_day_is_refused_clearly(client):
    token = sign_form_started(time.time() - 60)
    assert apply(client, form_started=token)["Location"] == "/buyer-membership/thank-you/"
    # The next day, another email, the same page's token.
    MembershipApplication.objects.update(submitted_at=timezone.now() - datetime.timedelta(hours=25))

    english = apply(client, form_started=token, contact_email="other@example.com")
    chinese = apply(client, url="/zh/buyer-membership/", form_started=token, contact_email="other@example.com")

    assert english.status_code == 200
    assert "This form has already been sent once." in page(english)
    assert typed_into(english, "company_name") == "Bright Toys Ltd"
    assert "此表格已经提交过一次" in page(chinese)
    assert MembershipApplication.objects.count() == 1
    # The page that came back carries a fresh token, which is accepted.
    fresh = typed_into(english, "form_started")
    assert fresh != token
    assert apply(client, form_started=fresh, contact_email="other@example.com").status_code == 302


def test_the_database_refuses_a_second_application_with_the_same_token(client):
    apply(client)
    first = MembershipApplication.objects.first()

    with pytest.raises(IntegrityError), transaction.atomic():
        make_application(contact_email="other@example.com", form_token=first.form_token)


# --- Consent to transfer abroad (PIPL) ----------------------------------------------------------


@pytest.mark.parametrize(
    "url, message",
    [
        ("/buyer-membership/", "Companies headquartered in mainland China must consent to the transfer"),
        ("/zh/buyer-membership/", "总部位于中国大陆的公司"),
    ],
)
def test_an_applicant_in_mainland_china_must_consent_to_transfer_abroad(client, url, message):
    response = apply(client, url=url, headquarters_country="CN")

    assert response.status_code == 200
    assert message in " ".join(error_for(response, "consents_to_transfer_abroad"))
    assert MembershipApplication.objects.count() == 0

    assert apply(client, url=url, headquarters_country="CN", consents_to_transfer_abroad="on").status_code == 302
    assert MembershipApplication.objects.get().consents_to_transfer_abroad is True


def test_an_applicant_outside_mainland_china_may_leave_the_transfer_consent_unticked(client):
    assert apply(client, headquarters_country="HK").status_code == 302
    assert MembershipApplication.objects.get().consents_to_transfer_abroad is False


def test_duplicate_application_within_a_day_is_not_saved_twice_and_staff_see_it(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = apply(client)
        first_page = page(client.get(first["Location"]))
        second = apply(client, company_name="Bright Toys (Again)", contact_email="MEI.CHAN@bright-toys.example.com")

    # Issue 22: the answer tells nobody whether the address applied before.
    assert second["Location"] == first["Location"] == "/buyer-membership/thank-you/"
    assert page(client.get(second["Location"])) == first_page
    assert list(MembershipApplication.objects.values_list("company_name", flat=True)) == ["Bright Toys Ltd"]
    assert len(mail.outbox) == 2
    [note] = MembershipApplication.objects.get().notes.all()
    assert note.author is None
    assert note.text.startswith("Sent again from the form") and "Bright Toys (Again)" in note.text


def test_the_answer_to_a_duplicate_is_the_thank_you_page_in_chinese_for_a_chinese_applicant(client):
    apply(client, url="/zh/buyer-membership/")
    second = apply(client, url="/zh/buyer-membership/")

    assert second["Location"] == "/zh/buyer-membership/thank-you/"
    assert MembershipApplication.objects.count() == 1


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


# --- Twenty identical applications at the same instant, against a live server -----------------


def post_together(url, body, headers, count):
    """POSTs the same body `count` times from as many threads released at once; the statuses and redirects."""
    parsed = urllib.parse.urlsplit(url)
    barrier = threading.Barrier(count)
    results = [None] * count

    def send(index):
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        try:
            barrier.wait(timeout=30)
            connection.request("POST", parsed.path, body=body, headers=headers)
            response = connection.getresponse()
            results[index] = (response.status, response.getheader("Location"))
            response.read()
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return results


@pytest.fixture
def site_in_gunicorn(site_processes, tmp_path):
    """Starts the site in gunicorn with four workers, as in production, on this test's database; its address, once
    every worker has loaded the site (the tests are about what the four share)."""
    servers = []

    def start(**env):
        site_processes.env.update(MEMBERSHIP_MIN_SECONDS_TO_SUBMIT="0", **env)
        server = Gunicorn(site_processes.env, workers=4)
        servers.append(server)
        return server.start(tmp_path / f"gunicorn-{server.port}.log").base_url

    yield start
    for server in servers:
        server.stop()


def applications_saved(site_processes):
    return int(
        site_processes.python("from membership.models import MembershipApplication as A; print(A.objects.count())")
    )


def shown_form(url):
    """A fresh page load of the form: the session cookie, the CSRF token and the form token."""
    with form_when_up(url) as shown:
        cookie = shown.headers["Set-Cookie"].split(";")[0]
        form_page = parse_page(shown.read().decode())
    csrf = form_page.find("input", name="csrfmiddlewaretoken").attrs["value"]
    return cookie, csrf, form_page.find("input", name="form_started").attrs["value"]


def form_when_up(url, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return urllib.request.urlopen(url, timeout=10)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.slow
def test_twenty_identical_applications_sent_at_the_same_instant_save_one(site_in_gunicorn, site_processes):
    # The limit is tested below; here, only the race.
    url = f"{site_in_gunicorn(MEMBERSHIP_SUBMISSIONS_PER_IP='100')}/buyer-membership/"
    cookie, csrf, token = shown_form(url)
    body = urllib.parse.urlencode(application_form(form_started=token, csrfmiddlewaretoken=csrf), doseq=True)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Referer": url}

    results = post_together(url, body, headers, 20)

    assert all(result is not None and result[0] == 302 for result in results), results
    locations = [location for _status, location in results]
    # Each is thanked alike (issue 22: the answer tells nobody the address applied before).
    assert set(locations) == {"/buyer-membership/thank-you/"}, locations
    assert applications_saved(site_processes) == 1


@pytest.mark.slow
def test_four_workers_share_one_limit_even_with_made_up_forwarded_for_headers(site_in_gunicorn, site_processes):
    url = f"{site_in_gunicorn(TRUST_X_FORWARDED_FOR='1')}/buyer-membership/"
    statuses = []
    for number in range(14):
        cookie, csrf, token = shown_form(url)
        body = urllib.parse.urlencode(
            application_form(form_started=token, csrfmiddlewaretoken=csrf, contact_email=f"buyer{number}@example.com"),
            doseq=True,
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": url,
            # Made up by the visitor; the proxy appends the address it saw.
            "X-Forwarded-For": f"192.0.2.{number}, 198.51.100.1",
        }
        statuses.append(post_together(url, body, headers, 1)[0][0])

    assert statuses == [302] * 10 + [429] * 4
    assert applications_saved(site_processes) == 10


@pytest.mark.parametrize(
    ("old", "form"),
    [
        ("/buyer-membership/already-received/", "/buyer-membership/"),
        ("/zh/buyer-membership/already-received/", "/zh/buyer-membership/"),
    ],
)
def test_the_former_already_received_address_leads_to_the_form(client, old, form):
    response = client.get(old)

    assert response.status_code == 301 and response["Location"] == form


@pytest.mark.parametrize("url", ["/buyer-membership/", "/zh/buyer-membership/"])
def test_form_page_stays_light_with_its_two_country_lists(client, url):
    form_page = parse_page(client.get(url))
    countries = form_page.find("div", id="id_supplier_countries")

    # Each country a label holding its box, no wrapper: Lighthouse counted 1,282 elements before, 250 of them wrappers.
    assert len(countries.find_all("label")) == len(countries.find_all("input")) == 249
    assert len(countries.find_all()) < 2 * 249 + 10
    assert len(form_page.find_all()) < 1_100


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/buyer-membership/", "/zh/buyer-membership/"])
def test_the_form_is_the_only_one_on_its_page_asking_for_an_email_address(client, path):
    page = parse_page(client.get(path))

    assert len(page.find_all("form")) == 1 and page.find("form").attrs.get("action") in ("", path, None)
