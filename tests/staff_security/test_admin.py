"""The admin under attack and in daily use: lock-out after failed logins, two-factor authentication, password
reset by email, a configurable address, and the security log."""

import datetime
import importlib
import logging
import re
import time

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
WRONG = "wrong horse battery"
ADMINS = [("/admin/", "Stories and membership applications"), ("/zh/admin/", "新闻与会员申请")]
LOCKED_OUT = {"/admin/": "Try again in 15 minutes", "/zh/admin/": "请在 15 分钟后再试"}


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("li.wei", "li.wei@example.org", PASSWORD, is_staff=True)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("chief", "chief@example.org", PASSWORD)


@pytest.fixture
def two_factor_required(settings):
    settings.ADMIN_REQUIRE_2FA_FOR_SUPERUSERS = True
    return settings


def log_in(client, username, password, admin="/admin/", **request_headers):
    return client.post(
        f"{admin}login/?next={admin}", {"username": username, "password": password, "next": admin}, **request_headers
    )


def admin_index_opens(client, admin="/admin/"):
    response = client.get(admin)
    return response.status_code == 200 and 'id="logout-form"' in response.content.decode()


def authenticator(user):
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def current_code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# Lock-out


@pytest.mark.parametrize("admin, index_heading", ADMINS)
def test_sixth_login_with_the_right_password_is_refused_after_five_failures(client, editor, admin, index_heading):
    for _attempt in range(4):
        assert log_in(client, "li.wei", WRONG, admin).status_code == 200
    fifth = log_in(client, "li.wei", WRONG, admin)
    assert fifth.status_code == 429 and LOCKED_OUT[admin] in fifth.content.decode()

    sixth = log_in(client, "li.wei", PASSWORD, admin)

    assert sixth.status_code == 429
    page = sixth.content.decode()
    assert LOCKED_OUT[admin] in page and index_heading not in page
    assert ("superuser" if admin == "/admin/" else "超级用户") in page  # whom to ask
    assert "no-store" in sixth["Cache-Control"]
    assert not admin_index_opens(client, admin)


def test_a_locked_out_account_still_logs_in_from_another_address(client, editor):
    for _attempt in range(5):
        log_in(client, "li.wei", WRONG)
    assert log_in(client, "li.wei", PASSWORD).status_code == 429

    other_office = Client(REMOTE_ADDR="198.51.100.7")
    assert log_in(other_office, "li.wei", PASSWORD).status_code == 302
    assert admin_index_opens(other_office)


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked_out(client, editor, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.TRUSTED_PROXY_NETWORKS = ["127.0.0.1/32"]  # the test client's peer address: the front server
    # The front server appends the address it saw (right-most); what the guesser wrote before it changes nothing.
    for attempt in range(5):
        log_in(client, "li.wei", WRONG, HTTP_X_FORWARDED_FOR=f"10.9.9.{attempt}, 203.0.113.9")
    assert log_in(client, "li.wei", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert log_in(client, "li.wei", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


def test_a_made_up_forwarded_for_from_outside_the_proxy_networks_does_not_escape_the_lock_out(editor, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    # Straight to gunicorn, not through the front server: the peer itself is the visitor, whatever it writes.
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for attempt in range(5):
        log_in(guesser, "li.wei", WRONG, HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
    assert log_in(guesser, "li.wei", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.77").status_code == 429


def test_the_failure_limit_and_cool_off_come_from_settings(client, editor, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=1)
    log_in(client, "li.wei", WRONG)
    locked = log_in(client, "li.wei", WRONG)
    assert locked.status_code == 429 and "Try again in 1 minute." in locked.content.decode()


@pytest.mark.slow
def test_the_account_opens_again_when_the_cool_off_has_passed(client, editor, settings):
    # Two seconds: on a busy machine a login can take most of one, and the refusal must come within the cool-off.
    settings.AXES_COOLOFF_TIME = datetime.timedelta(seconds=2)
    for _attempt in range(5):
        log_in(client, "li.wei", WRONG)
    assert log_in(client, "li.wei", PASSWORD).status_code == 429

    time.sleep(2.1)

    assert log_in(client, "li.wei", PASSWORD).status_code == 302
    assert admin_index_opens(client)


@pytest.mark.parametrize("admin", ["/admin/", "/zh/admin/"])
def test_without_the_cache_the_database_still_refuses_a_locked_out_pair(client, editor, admin):
    for _attempt in range(5):
        log_in(client, "li.wei", WRONG, admin)
    cache.clear()  # as after a restart of Redis

    refused = log_in(client, "li.wei", PASSWORD, admin)

    assert refused.status_code == 429 and LOCKED_OUT[admin] in refused.content.decode()
    assert not admin_index_opens(client, admin)


def test_attempts_during_the_lock_out_are_refused_without_checking_the_password(client, editor, caplog):
    for _attempt in range(5):
        log_in(client, "li.wei", WRONG)
    caplog.set_level(logging.INFO, logger="ietp.security")
    caplog.clear()

    for _attempt in range(3):
        assert log_in(client, "li.wei", PASSWORD).status_code == 429

    security_lines = [record.getMessage() for record in caplog.records if record.name == "ietp.security"]
    assert security_lines == ["Failed admin login: username 'li.wei' from 127.0.0.1 (locked out)"] * 3
    assert AccessAttempt.objects.get().failures_since_start == 5


@pytest.mark.parametrize("command, arguments", [("axes_reset_username", ["li.wei"]), ("axes_reset", [])])
def test_an_operator_unlocks_an_editor(client, editor, command, arguments):
    for _attempt in range(5):
        log_in(client, "li.wei", WRONG)
    assert log_in(client, "li.wei", PASSWORD).status_code == 429

    call_command(command, *arguments)

    assert log_in(client, "li.wei", PASSWORD).status_code == 302
    assert admin_index_opens(client)


def test_one_address_guessing_many_usernames_is_refused_after_the_address_ceiling(client, editor, settings):
    settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS = 8
    for number in range(8):
        log_in(client, f"guess{number}", WRONG)

    refused = log_in(client, "li.wei", PASSWORD)

    assert refused.status_code == 429
    assert log_in(Client(REMOTE_ADDR="198.51.100.7"), "li.wei", PASSWORD).status_code == 302


def test_logins_failures_and_lock_outs_are_logged_with_the_address_never_the_password(client, editor, caplog):
    caplog.set_level(logging.INFO, logger="ietp.security")
    for _attempt in range(5):
        log_in(client, "li.wei", WRONG)
    log_in(Client(REMOTE_ADDR="198.51.100.7"), "li.wei", PASSWORD)

    lines = [record.getMessage() for record in caplog.records if record.name == "ietp.security"]
    assert lines.count("Failed admin login: username 'li.wei' from 127.0.0.1") == 5
    assert "Lock-out: username 'li.wei' from 127.0.0.1, for 15 minutes" in lines
    assert "Staff login: li.wei from 198.51.100.7" in lines
    assert not any(WRONG in line or PASSWORD in line for line in caplog.messages)


# Two-factor authentication


def test_superuser_must_give_a_code_before_any_admin_page(client, superuser, two_factor_required):
    authenticator(superuser)
    assert log_in(client, "chief", PASSWORD).status_code == 302

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/admin/two-factor/?next=/admin/")
    assert "Type the six-digit code" in response.content.decode()
    assert not admin_index_opens(client)
    assert client.get("/admin/membership/membershipapplication/").status_code == 302


def test_superuser_with_the_right_code_gets_in(client, superuser, two_factor_required, caplog):
    caplog.set_level(logging.INFO, logger="ietp.security")
    device = authenticator(superuser)
    log_in(client, "chief", PASSWORD)

    response = client.post("/admin/two-factor/", {"code": current_code(device), "next": "/admin/"})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert admin_index_opens(client)
    assert "Second factor given: chief from 127.0.0.1 (authenticator app)" in caplog.messages


def test_a_wrong_code_is_refused(client, superuser, two_factor_required, caplog):
    device = authenticator(superuser)
    log_in(client, "chief", PASSWORD)
    wrong = f"{(int(current_code(device)) + 500000) % 1000000:06d}"

    response = client.post("/zh/admin/two-factor/", {"code": wrong, "next": "/zh/admin/"})

    assert response.status_code == 200 and "验证码不正确" in response.content.decode()
    assert not admin_index_opens(client, "/zh/admin/")
    assert "Failed second factor: username 'chief' from 127.0.0.1" in caplog.messages


def test_a_backup_code_works_once(superuser, two_factor_required):
    authenticator(superuser)
    backup = StaticDevice.objects.create(user=superuser, name="Backup codes")
    StaticToken.objects.create(device=backup, token="k3y5tone")

    first = Client()
    log_in(first, "chief", PASSWORD)
    assert first.post("/admin/two-factor/", {"code": "K3Y5 TONE", "next": "/admin/"}).status_code == 302
    assert admin_index_opens(first)

    second = Client()
    log_in(second, "chief", PASSWORD)
    assert second.post("/admin/two-factor/", {"code": "k3y5tone", "next": "/admin/"}).status_code == 200
    assert not admin_index_opens(second)


def test_superuser_without_an_app_is_taken_to_set_one_up_and_gets_backup_codes(client, superuser, two_factor_required):
    log_in(client, "chief", PASSWORD)

    set_up = client.get("/admin/", follow=True)

    assert set_up.redirect_chain[-1][0].startswith("/admin/two-factor/set-up/")
    page = set_up.content.decode()
    assert "<svg" in page and "authenticator-key" in page
    device = TOTPDevice.objects.get(user=superuser, confirmed=False)

    confirmed = client.post("/admin/two-factor/set-up/", {"code": current_code(device), "next": "/admin/"})

    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>(\w+)</code></li>", confirmed.content.decode())
    assert len(codes) == 10 and set(codes) == set(StaticToken.objects.values_list("token", flat=True))
    assert "no-store" in confirmed["Cache-Control"]
    assert TOTPDevice.objects.get(user=superuser).confirmed
    assert admin_index_opens(client)


def test_a_stolen_password_alone_cannot_replace_the_authenticator(client, superuser, two_factor_required):
    authenticator(superuser)
    log_in(client, "chief", PASSWORD)

    response = client.get("/admin/two-factor/set-up/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/two-factor/")
    assert TOTPDevice.objects.filter(user=superuser).count() == 1


def test_editors_choose_two_factor_and_then_must_use_it(client, editor, two_factor_required):
    log_in(client, "li.wei", PASSWORD)
    assert admin_index_opens(client)  # no app yet: not required of an editor
    assert "/admin/two-factor/set-up/" in client.get("/admin/").content.decode()

    authenticator(editor)
    again = Client()
    log_in(again, "li.wei", PASSWORD)
    assert not admin_index_opens(again)


def test_with_the_setting_off_a_superuser_without_an_app_needs_only_the_password(client, superuser, settings):
    settings.ADMIN_REQUIRE_2FA_FOR_SUPERUSERS = False
    log_in(client, "chief", PASSWORD)
    assert admin_index_opens(client)


def test_an_operator_removes_a_lost_authenticator(client, superuser, two_factor_required):
    authenticator(superuser)
    StaticDevice.objects.create(user=superuser, name="Backup codes")

    call_command("remove_two_factor", "chief")

    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    log_in(client, "chief", PASSWORD)
    assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith("/admin/two-factor/set-up/")


# Password reset by email


@pytest.mark.parametrize(
    "admin, link_text, subject_text",
    [("/admin/", "Forgotten your login credentials?", "Password reset on"), ("/zh/admin/", "忘记了登录信息？", "重置")],
)
def test_staff_reset_a_forgotten_password_by_email(client, editor, admin, link_text, subject_text):
    login_page = client.get(f"{admin}login/").content.decode()
    assert link_text in login_page and f'href="{admin}password-reset/"' in login_page

    sent = client.post(f"{admin}password-reset/", {"email": "li.wei@example.org"})

    assert sent.status_code == 302 and len(mail.outbox) == 1
    assert subject_text in mail.outbox[0].subject
    link = re.search(r"https?://testserver(\S+)", mail.outbox[0].body).group(1)
    assert link.startswith(f"{admin}password-reset/")
    form_page = client.get(link, follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"}
    )
    assert done.status_code == 302
    assert log_in(Client(), "li.wei", "a new long passphrase").status_code == 302


def test_no_reset_email_for_an_account_that_is_not_staff(client, django_user_model):
    django_user_model.objects.create_user("visitor", "visitor@example.org", PASSWORD)
    assert client.post("/admin/password-reset/", {"email": "visitor@example.org"}).status_code == 302
    assert mail.outbox == []


# The admin's address


@pytest.fixture
def admin_at_office(settings):
    import ietp_site.urls

    settings.ADMIN_URL = "office/"
    importlib.reload(ietp_site.urls)
    clear_url_caches()
    yield
    settings.ADMIN_URL = "admin/"
    importlib.reload(ietp_site.urls)
    clear_url_caches()


def test_the_admin_is_served_at_admin_url_only(client, editor, admin_at_office):
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404
    assert client.get("/office/login/").status_code == 200
    assert 'href="/office/password-reset/"' in client.get("/office/login/").content.decode()
    assert log_in(client, "li.wei", PASSWORD, "/office/").status_code == 302
    assert admin_index_opens(client, "/office/") and admin_index_opens(client, "/zh/office/")
    assert "office" not in client.get("/robots.txt").content.decode()


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data; boundary=broken", b'--broken\r\nContent-Disposition: form-data; name="username"\r\n'),
        ("application/x-www-form-urlencoded", b"username=%FF%FE&password=x"),
    ],
)
def test_a_malformed_login_post_is_answered_without_a_server_error(editor, content_type, body):
    client = Client(raise_request_exception=False)
    for _attempt in range(5):
        log_in(client, "li.wei", WRONG)

    response = client.post("/admin/login/", body, content_type=content_type)

    assert response.status_code < 500
