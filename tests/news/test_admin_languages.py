"""Every admin page speaks the editor's language, the libraries' pages too: django-parler's delete-translation page,
django-axes' login records, the lock-out and two-factor pages."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

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
