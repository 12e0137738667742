"""A superuser sets up two-factor authentication at their first login, and logs in with a code the next time."""

import io
from base64 import b32decode
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import zxingcpp
from django_otp.oath import totp
from PIL import Image
from playwright.sync_api import expect

PASSWORD = "a long passphrase for the chief"


@pytest.fixture
def chief(transactional_db, live_server, settings, django_user_model):
    settings.ADMIN_REQUIRE_2FA_FOR_SUPERUSERS = True
    return django_user_model.objects.create_superuser("chief", "chief@example.org", PASSWORD)


def log_in_with_password(page, admin="/admin/"):
    page.goto(admin)
    page.get_by_label("Username" if admin == "/admin/" else "用户名").fill("chief")
    page.get_by_label("Password" if admin == "/admin/" else "密码").fill(PASSWORD)
    page.get_by_role("button", name="Log in" if admin == "/admin/" else "登录").click()


def code_now(secret, drift=0):
    return f"{totp(secret, drift=drift):06d}"


def test_superuser_sets_up_an_authenticator_then_logs_in_with_its_code(chief, open_page, assert_no_axe_violations):
    from tests.browser.conftest import DESKTOP

    first_visit = open_page(DESKTOP)
    log_in_with_password(first_visit)

    # No app yet: the admin asks for one before anything else.
    expect(first_visit.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    assert_no_axe_violations(first_visit)
    qr_code = first_visit.get_by_role("img", name="QR code of your new authenticator account")
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_code.screenshot())))
    otpauth = urlsplit(scanned[0].text)
    assert otpauth.scheme == "otpauth" and unquote(otpauth.path) == "/IETP site:chief"
    secret = b32decode(parse_qs(otpauth.query)["secret"][0])
    typed_key = first_visit.locator("#authenticator-key").inner_text().replace(" ", "")
    assert b32decode(typed_key) == secret

    first_visit.get_by_role("textbox", name="Code").fill(code_now(secret))
    first_visit.get_by_role("button", name="Confirm").click()

    expect(first_visit.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    backup_codes = first_visit.locator(".backup-codes code").all_inner_texts()
    assert len(backup_codes) == 10
    first_visit.get_by_role("link", name="I have kept them: continue").click()
    expect(first_visit.get_by_role("heading", name="Stories and membership applications")).to_be_visible()

    # Next time, in Chinese, from another browser: the password, then the app's code (its next one: a code is
    # accepted once, and the set-up used the current one).
    next_visit = open_page(DESKTOP)
    log_in_with_password(next_visit, "/zh/admin/")
    expect(next_visit.get_by_role("heading", level=1)).to_have_text("双重验证")
    assert_no_axe_violations(next_visit)
    next_visit.get_by_role("textbox", name="验证码").fill(code_now(secret, drift=1))
    next_visit.get_by_role("button", name="验证").click()
    expect(next_visit.get_by_role("heading", name="新闻与会员申请")).to_be_visible()

    # Phone lost: a backup code stands in for it.
    without_phone = open_page(DESKTOP)
    log_in_with_password(without_phone)
    without_phone.get_by_role("textbox", name="Code").fill(backup_codes[0])
    without_phone.get_by_role("button", name="Verify").click()
    expect(without_phone.get_by_role("heading", name="Stories and membership applications")).to_be_visible()
