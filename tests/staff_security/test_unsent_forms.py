"""An editor whose session ended while they typed loses nothing: the form they send is kept, and after logging in
again they send it as it was, or discard it (issue 20, "no edit is lost")."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from news.models import NewsStory
from testkit.pages import form_as_posted

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("mei", "mei@example.org", "a long pass phrase", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def log_in(client, admin):
    return client.post(
        f"{admin}login/", {"username": "mei", "password": "a long pass phrase", "next": client.kept_next}, follow=True
    )


@pytest.mark.parametrize(
    "admin, kept_text, resend",
    [
        ("/admin/", "so nothing was saved", "Send what I typed"),
        ("/zh/admin/", "因此没有保存任何内容", "发送我输入的内容"),
    ],
)
def test_a_story_form_sent_after_the_session_ended_is_kept_and_sent_after_logging_in_again(
    editor, make_story, admin, kept_text, resend
):
    story = make_story({"en": {"title": "Audit pledge", "slug": "audit-pledge", "status": "draft"}})
    client = Client()
    client.force_login(editor)
    url = f"{admin}news/newsstory/{story.pk}/change/?language=en"
    typed = {**form_as_posted(client.get(url), "newsstory_form"), "title": "Audit pledge, signed", "_save": "Save"}
    client.cookies.pop("sessionid")  # the session ended: a working day idle, or a password changed elsewhere

    refused = client.post(url, typed)

    assert refused.status_code == 302 and "/login/" in refused["Location"]
    assert NewsStory.objects.get().safe_translation_getter("title", language_code="en") == "Audit pledge"
    client.kept_next = url
    kept_page = log_in(client, admin)
    text = kept_page.content.decode()
    assert kept_page.status_code == 200 and kept_text in text and resend in text
    assert 'value="Audit pledge, signed"' in text

    sent = client.post(url, form_as_posted(kept_page, "unsent-form") | {"_resend_unsent_form": "1"})

    assert sent.status_code == 302
    assert NewsStory.objects.get().safe_translation_getter("title", language_code="en") == "Audit pledge, signed"
    assert resend not in client.get(url).content.decode()  # sent once: the form opens as usual


def test_what_was_kept_can_be_discarded(editor, make_story):
    story = make_story({"en": {"title": "Audit pledge", "slug": "audit-pledge", "status": "draft"}})
    client = Client()
    client.force_login(editor)
    url = f"/admin/news/newsstory/{story.pk}/change/?language=en"
    typed = {**form_as_posted(client.get(url), "newsstory_form"), "title": "Unwanted", "_save": "Save"}
    client.cookies.pop("sessionid")
    client.post(url, typed)
    client.kept_next = url
    log_in(client, "/admin/")

    discarded = client.post(url, {"_discard_unsent_form": "1"}, follow=True)

    assert "was discarded" in discarded.content.decode() and 'id="newsstory_form"' in discarded.content.decode()
    assert NewsStory.objects.get().safe_translation_getter("title", language_code="en") == "Audit pledge"
