"""Every admin page speaks the editor's language, the libraries' pages too: django-parler's delete-translation page,
django-axes' login records, the lock-out and two-factor pages."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from testkit.pages import parse_page

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def delete_translation_url(story, language, admin="/zh/admin/"):
    return f"{admin}news/newsstory/{story.pk}/change/delete-translation/{language}/"


def test_the_delete_translation_page_is_in_chinese_in_the_chinese_admin(staff_client, make_story):
    story = make_story({"en": "Hello", "zh-hans": "你好"})

    page = staff_client.get(delete_translation_url(story, "zh-hans")).content.decode()

    assert '你确认想要删除 新闻译文 "简体中文"？' in page
    assert "Translation" not in page and "Are you sure?" not in page


def test_the_delete_translation_page_has_the_admin_sites_header_and_links(staff_client, make_story):
    story = make_story({"en": "Hello", "zh-hans": "你好"})

    page = staff_client.get(delete_translation_url(story, "zh-hans")).content.decode()

    assert "<title>你确定吗？ | IETP 网站管理</title>" in page
    assert 'id="logout-form"' in page and 'id="nav-sidebar"' in page


def test_deleting_a_translation_is_confirmed_in_chinese(staff_client, make_story):
    story = make_story({"en": "Hello", "zh-hans": "你好"})

    response = staff_client.post(delete_translation_url(story, "zh-hans"), {"post": "yes"}, follow=True)

    assert "已删除新闻：" in response.content.decode()
    assert "was deleted successfully" not in response.content.decode()


def test_the_last_translation_cannot_be_deleted_and_the_page_says_why_in_chinese(staff_client, make_story):
    story = make_story({"en": "Only in English"})

    page = staff_client.get(delete_translation_url(story, "en")).content.decode()

    assert "的英文译文：这是它仅剩的译文。" in page
    assert "is not allowed" not in page


def test_the_login_records_of_django_axes_are_in_chinese(staff_client):
    AccessAttempt.objects.create(
        username="li.wei", ip_address="192.0.2.1", user_agent="Firefox", failures_since_start=1
    )

    page = staff_client.get("/zh/admin/axes/accessattempt/").content.decode()

    assert "登录尝试" in page and "IP 地址" in page and "浏览器标识" in page
    assert "IP Address" not in page and "User Agent" not in page


def test_the_sidebar_names_the_login_and_two_factor_apps_in_chinese(staff_client):
    page = staff_client.get("/zh/admin/").content.decode()

    assert "登录尝试" in page and "验证器应用" in page and "备用验证码" in page
    assert "Otp_Totp" not in page and "Otp_Static" not in page and ">Axes<" not in page


def test_the_lock_out_page_is_in_chinese(client, settings):
    User.objects.create_user("li.wei", "li.wei@example.org", PASSWORD, is_staff=True)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post("/zh/admin/login/?next=/zh/admin/", {"username": "li.wei", "password": "wrong"})

    page = locked.content.decode()
    assert locked.status_code == 429
    assert "次密码错误后，登录已被暂停。" in page and "在此之前每再尝试一次，等待时间都会重新计算。" in page
    assert "Login is blocked" not in page and "Each further attempt" not in page


def test_the_two_factor_pages_are_in_chinese(client, settings):
    settings.ADMIN_REQUIRE_2FA_FOR_SUPERUSERS = True
    chief = User.objects.create_superuser("chief", "chief@example.org", PASSWORD)
    client.post("/zh/admin/login/?next=/zh/admin/", {"username": "chief", "password": PASSWORD})

    set_up = client.get("/zh/admin/", follow=True).content.decode()
    assert "扫描此二维码添加账户" in set_up and 'value="确认"' in set_up
    assert "Open an authenticator app" not in set_up and 'value="Confirm"' not in set_up
    TOTPDevice.objects.filter(user=chief).update(confirmed=True)

    verify = client.get("/zh/admin/", follow=True).content.decode()
    assert "请输入身份验证器应用为本网站显示的六位验证码" in verify and 'value="验证"' in verify
    assert "Type the six-digit code" not in verify and 'value="Verify"' not in verify


@pytest.fixture
def chief_with_devices(staff_client, django_user_model):
    """A superuser whose authenticator app and backup codes were set up in the English admin, who has given a code
    in this session."""
    chief = django_user_model.objects.get(username="editor")
    app = TOTPDevice.objects.create(user=chief, name="Authenticator app", confirmed=True)
    codes = StaticDevice.objects.create(user=chief, name="Backup codes")
    StaticToken.objects.create(device=codes, token="abcd1234")
    session = staff_client.session
    session[DEVICE_ID_SESSION_KEY] = app.persistent_id
    session.save()
    return app, codes


def test_the_two_factor_device_pages_are_in_chinese(staff_client, chief_with_devices):
    app, codes = chief_with_devices

    apps = staff_client.get("/zh/admin/otp_totp/totpdevice/").content.decode()
    assert "验证器应用" in apps and "上次使用时间" in apps and "按员工的用户名或电子邮箱搜索" in apps
    assert parse_page(apps).find("td", class_="field-device_name").text == "身份验证器应用"
    assert "TOTP device" not in apps and "Last used at" not in apps and "Search by user" not in apps
    app_form = staff_client.get(f"/zh/admin/otp_totp/totpdevice/{app.pk}/change/").content.decode()
    assert "谁的设备" in app_form and "时间步长" in app_form and "每个验证码的有效秒数。" in app_form
    assert "Identity" not in app_form and "The time step in seconds." not in app_form
    qr_code = staff_client.get(f"/zh/admin/otp_totp/totpdevice/{app.pk}/config/").content.decode()
    assert "或用此地址添加应用：" in qr_code and "Install" not in qr_code
    backup = staff_client.get(f"/zh/admin/otp_static/staticdevice/{codes.pk}/change/").content.decode()
    assert "备用验证码" in backup and "谁的设备" in backup
    assert "Static token" not in backup and "Identity" not in backup


def test_the_two_factor_device_pages_stay_english_in_the_english_admin(staff_client, chief_with_devices):
    apps = staff_client.get("/admin/otp_totp/totpdevice/").content.decode()

    assert parse_page(apps).find("td", class_="field-device_name").text == "Authenticator app"
    assert "Last used" in apps
