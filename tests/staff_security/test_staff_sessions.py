"""Staff sessions: one that has given its password but not yet its second factor is a visitor's on public pages
(issue 22, finding 7); each ends after a working day idle and on a password change (finding 13)."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from news.models import NewsStory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def password_only_client(django_user_model):
    """An editor with an authenticator app, logged in with the password alone."""
    editor = django_user_model.objects.create_user("li.wei", "li.wei@example.org", PASSWORD, is_staff=True)
    TOTPDevice.objects.create(user=editor, name="Phone", confirmed=True)
    client = Client()
    client.post("/admin/login/?next=/admin/", {"username": "li.wei", "password": PASSWORD, "next": "/admin/"})
    assert client.get("/admin/").status_code == 302, "the second factor is still asked for"
    return client


def test_a_session_without_its_second_factor_sees_no_draft(password_only_client, make_story):
    make_story({"en": "Not yet"}, status=NewsStory.Status.DRAFT)
    make_story(
        {
            "en": {"title": "Factory visit", "body": "<p>Published.</p>"},
            "zh-hans": {"title": "工厂探访", "body": "<p>草稿正文。</p>", "status": "draft"},
        }
    )

    assert password_only_client.get("/news/not-yet/").status_code == 404
    page = password_only_client.get("/zh/news/factory-visit/", follow=True).content.decode()
    assert "草稿正文。" not in page and "Published." in page


def test_a_session_without_its_second_factor_is_not_treated_as_staff_by_the_page_cache(
    password_only_client, make_story
):
    make_story({"en": "Factory visit"})

    response = password_only_client.get("/news/factory-visit/")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_verified_editor_still_previews_drafts(client, django_user_model, make_story):
    make_story({"en": "Not yet"}, status=NewsStory.Status.DRAFT)
    client.force_login(django_user_model.objects.create_user("editor", is_staff=True))  # no authenticator app

    assert client.get("/news/not-yet/").status_code == 200


# Session length (issue 22, finding 13)


def test_a_staff_session_ends_after_a_working_day_without_a_request(client, django_user_model, settings):
    client.force_login(django_user_model.objects.create_user("editor", is_staff=True))

    assert client.get("/admin/").status_code == 200
    session = Session.objects.get()
    ends_in = session.expire_date - timezone.now()
    assert datetime.timedelta(hours=9) < ends_in <= datetime.timedelta(hours=10)


def test_a_password_change_ends_the_staff_members_other_sessions(client, django_user_model):
    editor = django_user_model.objects.create_user("editor", is_staff=True)
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200

    editor.set_password("a new correct horse")
    editor.save()

    assert client.get("/admin/").status_code == 302


def test_a_staff_members_requests_move_the_end_of_their_session_on(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("editor", is_staff=True))
    assert client.get("/admin/").status_code == 200
    # Seen last an hour ago, with the session due to end in nine hours.
    session = client.session
    session["staff_active_at"] -= 3600
    session.save()
    Session.objects.update(expire_date=timezone.now() + datetime.timedelta(hours=9))

    assert client.get("/admin/").status_code == 200

    ends_in = Session.objects.get().expire_date - timezone.now()
    assert datetime.timedelta(hours=9, minutes=50) < ends_in <= datetime.timedelta(hours=10)


def test_a_request_within_minutes_of_the_last_writes_no_session(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("editor", is_staff=True))
    assert client.get("/admin/").status_code == 200
    saved = Session.objects.get().expire_date

    assert client.get("/admin/").status_code == 200

    assert Session.objects.get().expire_date == saved
