"""The staff password reset: limited per client address and per email address, answered with the same "sent" page
whether or not an email went, and its link on SITE_URL whatever Host the request named (issue 22, finding 8)."""

import re

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db

RESET_URL = "/admin/password-reset/"
SENT_URL = "/admin/password-reset/sent/"


@pytest.fixture
def staff(django_user_model):
    return [
        django_user_model.objects.create_user(f"staff{number}", f"staff{number}@example.org", "pw", is_staff=True)
        for number in range(12)
    ]


def ask(client, email, ip="203.0.113.7", **headers):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=ip, **headers)


def test_thirty_requests_for_one_account_send_three_emails_each_answered_sent(client, staff):
    answers = [ask(client, "staff0@example.org", ip=f"203.0.113.{number}") for number in range(30)]

    assert {(answer.status_code, answer.headers["Location"]) for answer in answers} == {(302, SENT_URL)}
    assert len(mail.outbox) == 3


def test_one_client_address_gets_ten_emails_an_hour_whatever_the_accounts(client, staff):
    answers = [ask(client, user.email) for user in staff]

    assert {(answer.status_code, answer.headers["Location"]) for answer in answers} == {(302, SENT_URL)}
    assert len(mail.outbox) == 10


def test_the_limit_per_account_ignores_the_case_of_the_address(client, staff):
    for email in ["staff0@example.org", "STAFF0@example.org", "Staff0@Example.org", "staff0@EXAMPLE.ORG"]:
        ask(client, email, ip=f"198.51.100.{len(email)}{len(mail.outbox)}")

    assert len(mail.outbox) == 3


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = "https://ethicaltoyprogram.org"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    return settings.SITE_URL


def test_the_reset_link_is_on_site_url_whatever_host_and_port_the_request_named(client, staff, site_url):
    ask(client, "staff0@example.org", HTTP_HOST="127.0.0.1:6666")

    links = re.findall(r"https?://\S+", mail.outbox[0].body)
    assert links and all(link.startswith("https://ethicaltoyprogram.org/admin/password-reset/") for link in links)
    assert "6666" not in mail.outbox[0].body and "127.0.0.1" not in mail.outbox[0].body


def test_without_site_url_in_development_the_link_follows_the_request(client, staff, settings):
    settings.SITE_URL = ""

    ask(client, "staff0@example.org", HTTP_HOST="localhost:8001")

    assert "http://localhost:8001/admin/password-reset/" in mail.outbox[0].body
