"""Stories sent to subscribers through a real SMTP server: once per first publication of a translation, in the
subscriber's language, never twice, and nothing lost when the mail server stops midway."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from news import publishing
from subscriptions.models import Delivery, Subscriber
from subscriptions.sending import claim, send_story_emails
from testkit.background import make_waiting_jobs_due, run_queued_tasks, waiting_jobs
from testkit.smtp import SMTPSink
from testkit.stories import make_story
from testkit.subscribers import make_subscriber

from .conftest import messages_to, text_and_html

pytestmark = pytest.mark.django_db

# The jobs these tests are about: a publication also queues the rendering of its pages (news/page_warming.py).
EMAILS = ["emails"]
BILINGUAL = {
    "en": {"title": "Audits resume in Dongguan", "summary": "Factory audits start again next week."},
    "zh-hans": {"title": "东莞审核恢复", "summary": "工厂审核下周重新开始。"},
}


@pytest.fixture
def editor():
    return get_user_model().objects.create_user("editor", "editor@example.org", "pw", is_staff=True)


@pytest.fixture
def readers():
    return {
        "en": make_subscriber("english@example.org", languages="en"),
        "zh": make_subscriber("chinese@example.org", languages="zh-hans"),
        "both": make_subscriber("both@example.org", languages="both"),
        "pending": make_subscriber("pending@example.org", languages="both", status="pending"),
        "left": make_subscriber("left@example.org", languages="both", status="left"),
    }


def publish_draft_story(translations, editor, capture, language_code=None, **fields):
    story = make_story(translations, status="draft", **fields)
    with capture(execute=True):
        publishing.publish(story, user=editor, language_code=language_code)
    return story


def test_a_story_published_in_both_languages_in_one_save_reaches_each_subscriber_once_in_their_language(
    mail_server, readers, editor, django_capture_on_commit_callbacks, client
):
    story = publish_draft_story(BILINGUAL, editor, django_capture_on_commit_callbacks)
    run_queued_tasks()
    assert [message["Subject"] for message in messages_to(mail_server, "english@example.org")] == [
        "Audits resume in Dongguan"
    ]
    assert [message["Subject"] for message in messages_to(mail_server, "chinese@example.org")] == ["东莞审核恢复"]
    assert sorted(message["Subject"] for message in messages_to(mail_server, "both@example.org")) == [
        "Audits resume in Dongguan",
        "东莞审核恢复",
    ]
    assert len(mail_server.messages) == 4  # nothing to the unconfirmed address or the one that left

    [chinese] = messages_to(mail_server, "chinese@example.org")
    text, html = text_and_html(chinese)
    assert "工厂审核下周重新开始。" in text and "工厂审核下周重新开始。" in html
    assert "阅读全文" in html and "退订" in html and "更改订阅设置" in html
    story_link = re.search(r'href="(http://testserver/zh/news/[^"]+)"', html).group(1)
    assert story_link in text
    assert "东莞审核恢复" in client.get(urlsplit(story_link).path).content.decode()

    # RFC 8058: the one-click unsubscribe, an https (here: the test's) address that a POST alone follows.
    assert chinese["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(
        r"<(http://testserver/zh/subscribe/leave/\S+/)>", chinese["List-Unsubscribe"].strip()
    ).group(1)
    assert unsubscribe in text and unsubscribe in html
    preferences = re.search(r"http://testserver(/zh/subscribe/preferences/\S+/)", text).group(1)
    assert "您的订阅" in client.get(preferences).content.decode()
    client.handler.enforce_csrf_checks = True
    response = client.post(urlsplit(unsubscribe).path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "您已退订" in response.content.decode()
    assert Subscriber.objects.get(email="chinese@example.org").status == "left"

    # The next story goes to the others only.
    publish_draft_story({"zh-hans": "第二篇", "en": "Second"}, editor, django_capture_on_commit_callbacks)
    run_queued_tasks()
    assert len(messages_to(mail_server, "chinese@example.org")) == 1
    assert len(messages_to(mail_server, "both@example.org")) == 4
    assert story.pk


def test_a_correction_and_a_second_publication_send_nothing(
    mail_server, readers, editor, django_capture_on_commit_callbacks
):
    story = publish_draft_story({"en": "Helpline opens"}, editor, django_capture_on_commit_callbacks)
    run_queued_tasks()
    assert len(mail_server.messages) == 2  # english and both
    with django_capture_on_commit_callbacks(execute=True):
        publishing.save_draft(story, "en", {"title": "Helpline opens (corrected)"}, user=editor)
        publishing.publish_draft(story, "en", user=editor)
        publishing.unpublish(story, user=editor, language_code="en")
        publishing.publish(story, user=editor, language_code="en")
    assert run_queued_tasks(queues=EMAILS) == 0
    assert len(mail_server.messages) == 2
    # The Chinese translation published later is a first publication of its own.
    story.set_current_language("zh-hans")
    story.title, story.slug, story.status = "热线开通", "热线开通", "draft"
    story.save()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(story, user=editor, language_code="zh-hans")
    run_queued_tasks()
    assert sorted(message["To"] for message in mail_server.messages[2:]) == ["both@example.org", "chinese@example.org"]


def test_a_subscriber_gets_only_the_categories_chosen(mail_server, editor, django_capture_on_commit_callbacks):
    make_subscriber("events@example.org", categories=["event"])
    make_subscriber("all@example.org")
    publish_draft_story({"en": "A news story"}, editor, django_capture_on_commit_callbacks)
    publish_draft_story({"en": "An event"}, editor, django_capture_on_commit_callbacks, category="event")
    run_queued_tasks()
    assert [message["Subject"] for message in messages_to(mail_server, "events@example.org")] == ["An event"]
    assert len(messages_to(mail_server, "all@example.org")) == 2


def test_a_scheduled_translation_is_sent_when_it_comes_out(mail_server, editor, django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    make_subscriber("reader@example.org")
    story = make_story({"en": "Coming soon"}, status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.schedule(story, "en", timezone.now() + datetime.timedelta(hours=2), user=editor)
    assert run_queued_tasks(queues=EMAILS) == 0 and mail_server.messages == []
    assert waiting_jobs("emails") == 0  # its job waits for its time
    from news.models import NewsStoryTranslation

    NewsStoryTranslation.objects.filter(master=story).update(scheduled_for=timezone.now())
    make_waiting_jobs_due()
    run_queued_tasks()
    assert mail_server.subjects() == ["Coming soon"]


def test_the_mail_server_stopped_during_a_send_loses_nothing_and_sends_nothing_twice(
    settings, editor, django_capture_on_commit_callbacks
):
    addresses = [make_subscriber(f"reader{number}@example.org").email for number in range(8)]
    with SMTPSink(stop_after=3) as stopping:  # it shuts down after the third message, in the middle of the send
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", stopping.port, False
        settings.SITE_URL = "http://testserver"
        publish_draft_story({"en": "Sent through an outage"}, editor, django_capture_on_commit_callbacks)
        run_queued_tasks()
    assert len(stopping.messages) == 3
    assert Delivery.objects.filter(status="sent").count() == 3
    # The others wait, none lost, none half-sent; their job is queued again after a pause.
    assert Delivery.objects.filter(status="pending").count() == 5
    assert waiting_jobs() == 0

    with SMTPSink(port=stopping.port) as restarted:  # back, on the same address
        assert run_queued_tasks() == 0  # their pause has not passed
        make_waiting_jobs_due()
        run_queued_tasks()
        make_waiting_jobs_due()
        assert run_queued_tasks() == 0  # nothing left to do
    received = [message["To"] for message in stopping.messages + restarted.messages]
    assert sorted(received) == sorted(addresses)
    assert Delivery.objects.filter(status="sent").count() == 8


def test_a_mail_server_down_between_jobs_is_tried_again_with_growing_pauses(
    mail_server, editor, django_capture_on_commit_callbacks
):
    make_subscriber("patient@example.org")
    port = mail_server.port
    mail_server.__exit__(None, None, None)  # stopped before the send
    publish_draft_story({"en": "Late but once"}, editor, django_capture_on_commit_callbacks)
    for attempt in range(1, 4):
        run_queued_tasks()
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("pending", attempt)
        assert "Connection refused" in delivery.last_error
        make_waiting_jobs_due()
    with SMTPSink(port=port) as restarted:
        run_queued_tasks()
    assert restarted.subjects() == ["Late but once"]
    assert Delivery.objects.get().status == "sent"


def test_two_workers_never_both_send_one_delivery(mail_server, editor, django_capture_on_commit_callbacks):
    make_subscriber("reader@example.org")
    publish_draft_story({"en": "Only once"}, editor, django_capture_on_commit_callbacks)
    run_queued_tasks(stop_after=1, queues=EMAILS)  # the deliveries are made, not yet sent
    delivery = Delivery.objects.get()
    assert claim(delivery.pk) is True
    assert claim(delivery.pk) is False  # the second worker finds it taken
    Delivery.objects.filter(pk=delivery.pk).update(status="pending")
    assert send_story_emails.call([delivery.pk]) == 1
    assert send_story_emails.call([delivery.pk]) == 0  # its job run twice
    run_queued_tasks()
    assert mail_server.subjects() == ["Only once"]


def test_a_recipient_refused_for_good_is_marked_bounced_and_gets_nothing_more(
    mail_server, editor, django_capture_on_commit_callbacks
):
    import smtplib

    from subscriptions.sending import record_outcome

    subscriber = make_subscriber("nobody@example.org")
    publish_draft_story({"en": "First"}, editor, django_capture_on_commit_callbacks)
    run_queued_tasks(stop_after=1, queues=EMAILS)
    delivery = Delivery.objects.get()
    claim(delivery.pk)
    delivery.refresh_from_db()
    record_outcome([delivery], smtplib.SMTPRecipientsRefused({subscriber.email: (550, b"No such user")}))
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.bounces) == ("bounced", 1)
    publish_draft_story({"en": "Second"}, editor, django_capture_on_commit_callbacks)
    run_queued_tasks()
    assert mail_server.messages == []


def test_digest_subscribers_get_one_email_at_their_hour_with_every_story(
    mail_server, editor, django_capture_on_commit_callbacks
):
    make_subscriber("daily@example.org", languages="both", frequency="daily", interface_language="zh-hans")
    publish_draft_story({"en": "Morning story"}, editor, django_capture_on_commit_callbacks)
    publish_draft_story({"zh-hans": "下午的新闻"}, editor, django_capture_on_commit_callbacks)
    run_queued_tasks()
    assert mail_server.messages == []
    assert waiting_jobs() == 0  # one digest job, due at 08:00
    make_waiting_jobs_due()
    assert run_queued_tasks() == 1
    [digest] = mail_server.messages
    assert digest["Subject"] == "IETP 今日新闻"
    text, html = text_and_html(digest)
    assert "Morning story" in html and "下午的新闻" in html and "Morning story" in text
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_story_email_shows_the_stories_picture_from_the_sites_address(
    mail_server, media_root, settings, django_capture_on_commit_callbacks
):
    from testkit.files import photo_like
    from testkit.stories import illustrated_story

    settings.SUBSCRIPTION_UNSUBSCRIBE_MAILTO = "unsubscribe@example.org"
    make_subscriber("reader@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        illustrated_story(3, photo_like(1000, 750))
    run_queued_tasks()  # the picture's renditions first, then the email
    [message] = mail_server.messages
    _text, html = text_and_html(message)
    picture = re.search(
        r'<img src="(http://testserver/media/[^"]+\.jpg)" alt="Workers and managers at committee meeting 3"', html
    )
    assert picture, html
    # In production the front server serves /media/; here, the file is where that address points.
    assert (media_root / urlsplit(picture.group(1)).path.removeprefix("/media/")).is_file()
    assert message["List-Unsubscribe"].strip().endswith(", <mailto:unsubscribe@example.org?subject=unsubscribe>")


def test_digests_are_due_at_eight_in_the_morning_site_time_weekly_ones_on_monday():
    import datetime

    from django.utils import timezone

    from subscriptions.sending import next_digest_time

    wednesday_noon = timezone.make_aware(datetime.datetime(2026, 12, 9, 12, 0))
    assert timezone.localtime(next_digest_time("daily", wednesday_noon)).isoformat() == "2026-12-10T08:00:00+08:00"
    assert timezone.localtime(next_digest_time("weekly", wednesday_noon)).isoformat() == "2026-12-14T08:00:00+08:00"
    early_monday = timezone.make_aware(datetime.datetime(2026, 12, 14, 7, 0))
    assert timezone.localtime(next_digest_time("weekly", early_monday)).isoformat() == "2026-12-14T08:00:00+08:00"
