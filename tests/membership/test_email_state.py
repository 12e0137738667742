"""What staff read of an application's emails: sent, waiting, failed (red, with the error), or not sent because no
staff address is configured (a neutral note: a development machine has none); and "Send again" for an email that
reached the attempt cap (issue 22, finding 4)."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.utils import timezone

from membership import emails
from membership.models import ApplicationEmail
from testkit.applications import make_application
from testkit.pages import parse_page

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/membership/membershipapplication/"


def emails_cell(staff_client, company):
    table = parse_page(staff_client.get(LIST_URL)).find("table", id="result_list")
    for row in table.find("tbody").find_all("tr"):
        if row.find(class_="field-company").text == company:
            return row.find(class_="field-emails_sent")
    raise AssertionError(f"{company} is not listed")


def timeline(staff_client, application, path=""):
    page = parse_page(staff_client.get(f"{path}{LIST_URL}{application.pk}/change/"))
    return page.find("ol", class_="application-timeline")


def without_staff_address(application):
    """The staff notification of an application sent where MEMBERSHIP_NOTIFY_EMAILS is empty."""
    return application.emails.create(kind="staff_notification", recipients="", language="en")


def given_up(application, settings, **fields):
    return application.emails.create(
        kind="confirmation",
        recipients="mei@example.com",
        language="en",
        attempts=settings.MEMBERSHIP_EMAIL_MAX_ATTEMPTS,
        error="SMTPServerDisconnected: Connection unexpectedly closed",
        **fields,
    )


def test_without_staff_addresses_the_list_shows_a_neutral_note_not_a_failure(staff_client, settings):
    settings.MEMBERSHIP_NOTIFY_EMAILS = []
    application = make_application(company_name="Quiet Co")
    application.emails.create(kind="confirmation", recipients="mei@example.com", language="en", sent_at=timezone.now())
    without_staff_address(application)

    cell = emails_cell(staff_client, "Quiet Co")

    assert not cell.find("img", alt="False")
    assert "No staff address configured" in cell.text
    assert "Quiet Co" not in staff_client.get(LIST_URL, {"emails": "unsent"}).content.decode()


def test_without_staff_addresses_the_timeline_says_so_without_the_failure_colour(staff_client, settings):
    settings.MEMBERSHIP_NOTIFY_EMAILS = []
    application = make_application()
    without_staff_address(application)

    entries = timeline(staff_client, application).find_all("li")

    assert not [entry for entry in entries if "application-timeline__entry--unsent" in entry.attrs["class"]]
    text = " ".join(entries[-1].text.split())
    assert "not sent: no staff address is configured (MEMBERSHIP_NOTIFY_EMAILS)" in text
    assert "not sent after" not in text


def test_a_failed_email_is_red_in_the_list_with_its_error(staff_client, settings):
    settings.MEMBERSHIP_NOTIFY_EMAILS = []  # the failure still shows beside the note
    application = make_application(company_name="Broken Co")
    without_staff_address(application)
    application.emails.create(
        kind="confirmation", recipients="mei@example.com", language="en", attempts=1, error="SMTPServerDisconnected"
    )

    cell = emails_cell(staff_client, "Broken Co")

    assert cell.find("img", alt="False")
    assert "SMTPServerDisconnected" in cell.find(title=True).attrs["title"]


def test_an_email_waiting_for_its_first_try_is_not_marked_failed(staff_client):
    application = make_application(company_name="Fresh Co")
    application.emails.create(kind="confirmation", recipients="mei@example.com", language="en")

    cell = emails_cell(staff_client, "Fresh Co")

    assert not cell.find("img", alt="False") and "Waiting" in cell.text


def test_the_staff_notification_is_sent_once_an_address_is_configured(settings):
    settings.MEMBERSHIP_NOTIFY_EMAILS = []
    notification = without_staff_address(make_application())
    emails.send_emails([notification.pk], "https://ietp.example.org")
    notification.refresh_from_db()
    assert (notification.attempts, notification.error, notification.sent_at) == (0, "", None)

    settings.MEMBERSHIP_NOTIFY_EMAILS = ["membership@ethicaltoyprogram.org"]
    emails.send_emails([notification.pk], "https://ietp.example.org")

    assert [message.to for message in mail.outbox] == [["membership@ethicaltoyprogram.org"]]


def send_again_buttons(staff_client, application, path=""):
    return timeline(staff_client, application, path).find_all("button")


def test_an_email_at_the_attempt_cap_has_a_send_again_button_in_both_languages(staff_client, settings):
    application = make_application()
    given_up(application, settings)
    application.emails.create(
        kind="status_in_review", recipients="mei@example.com", language="en", attempts=1, error="SMTPServerDisconnected"
    )

    assert [button.text.strip() for button in send_again_buttons(staff_client, application)] == ["Send again"]
    assert [button.text.strip() for button in send_again_buttons(staff_client, application, "/zh")] == ["重新发送"]


def test_send_again_sends_the_email_after_the_response(staff_client, settings, django_capture_on_commit_callbacks):
    application = make_application()
    email = given_up(application, settings)
    button = send_again_buttons(staff_client, application)[0]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(button.attrs["formaction"])

    assert response.status_code == 302
    assert response.headers["Location"] == f"{LIST_URL}{application.pk}/change/"
    assert [message.to for message in mail.outbox] == [["mei@example.com"]]
    email.refresh_from_db()
    assert email.sent_at is not None and email.error == ""


def test_send_again_resets_the_email_for_the_resend_command(settings):
    email = given_up(make_application(), settings)

    emails.send_again(email, "https://ietp.example.org")

    email.refresh_from_db()
    assert (email.attempts, email.error) == (0, "")
    assert ApplicationEmail.objects.to_send().filter(pk=email.pk).exists()


def test_send_again_is_a_post_with_csrf_by_staff_who_may_change_applications(staff_client, settings, django_user_model):
    application = make_application()
    email = given_up(application, settings)
    url = f"{LIST_URL}{application.pk}/emails/{email.pk}/send-again/"
    assert staff_client.get(url).status_code == 405

    checking = Client(enforce_csrf_checks=True)
    checking.force_login(django_user_model.objects.get(username="editor"))
    assert checking.post(url).status_code == 403

    viewer = django_user_model.objects.create_user("viewer", "viewer@example.org", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_membershipapplication"))
    viewing = Client()
    viewing.force_login(viewer)
    assert viewing.post(url).status_code == 403
    email.refresh_from_db()
    assert email.attempts == settings.MEMBERSHIP_EMAIL_MAX_ATTEMPTS
    assert mail.outbox == []
