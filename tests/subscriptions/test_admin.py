"""Staff and the subscriber list: counts, export, erasure, addresses stopped, and a story sent again."""

import pytest

from subscriptions.models import Delivery, StoryAnnouncement, Subscriber
from testkit.background import run_queued_tasks
from testkit.stories import make_story
from testkit.subscribers import make_subscriber

pytestmark = pytest.mark.django_db
SUBSCRIBERS = "/admin/subscriptions/subscriber/"


def test_the_list_counts_subscribers_by_language_category_and_status(staff_client):
    make_subscriber("a@example.org", languages="en", categories=["event"])
    make_subscriber("b@example.org", languages="both")
    make_subscriber("c@example.org", languages="zh-hans", status="pending")
    page = staff_client.get(SUBSCRIBERS).content.decode()
    assert "2 confirmed subscribers" in page
    assert "English: 1 · Chinese: 0 · English and Chinese: 1" in page
    assert "News: 1 · Blog: 1 · Event: 2" in page
    assert "Waiting for confirmation: 1" in page


def test_staff_export_the_list_as_csv(staff_client):
    make_subscriber("a@example.org", categories=["blog", "news"])
    response = staff_client.post(
        SUBSCRIBERS,
        {"action": "export_as_csv", "_selected_action": Subscriber.objects.all().values_list("pk", flat=True)},
    )
    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("email address,languages,categories,frequency,status")
    assert rows[1].startswith("a@example.org,en,blog news,immediate,active")


def test_erasing_an_address_removes_it_and_everything_sent_to_it_after_a_confirmation(
    staff_client, mail_server, django_capture_on_commit_callbacks
):
    subscriber = make_subscriber("erase-me@example.org")
    make_subscriber("keep@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        make_story({"en": "Something"})
    run_queued_tasks()
    assert Delivery.objects.filter(subscriber=subscriber).count() == 1
    data = {"action": "erase", "_selected_action": [subscriber.pk]}
    page = staff_client.post(SUBSCRIBERS, data).content.decode()
    assert "This erases 1 address and the record of every email sent to it (1 email)" in page
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()
    staff_client.post(SUBSCRIBERS, {**data, "confirmed": "yes"})
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["keep@example.org"]
    assert Delivery.objects.count() == 1


def test_marking_an_address_bounced_stops_sending_to_it(staff_client, mail_server, django_capture_on_commit_callbacks):
    subscriber = make_subscriber("bouncing@example.org")
    response = staff_client.post(
        SUBSCRIBERS, {"action": "mark_bounced", "_selected_action": [subscriber.pk]}, follow=True
    )
    assert "1 address stopped." in response.content.decode()
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.bounces) == ("bounced", 1)
    with django_capture_on_commit_callbacks(execute=True):
        make_story({"en": "Not for them"})
    run_queued_tasks()
    assert mail_server.messages == []


def test_send_again_says_how_many_will_receive_it_and_sends_only_to_them(
    staff_client, mail_server, django_capture_on_commit_callbacks
):
    make_subscriber("first@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        make_story({"en": "Worth sending again"})
    run_queued_tasks()
    make_subscriber("later@example.org")
    make_subscriber("chinese@example.org", languages="zh-hans")
    announcement = StoryAnnouncement.objects.get()
    data = {"action": "send_again", "_selected_action": [announcement.pk]}
    page = staff_client.post("/admin/subscriptions/storyannouncement/", data).content.decode()
    assert "1 subscriber will receive an email." in page
    staff_client.post("/admin/subscriptions/storyannouncement/", {**data, "confirmed": "yes"})
    run_queued_tasks()
    assert sorted(message["To"] for message in mail_server.messages) == ["first@example.org", "later@example.org"]


def test_addresses_are_erased_when_the_privacy_notice_says(client):
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    long_ago = timezone.now() - datetime.timedelta(days=400)
    make_subscriber("left-long-ago@example.org", status="left", left_at=long_ago)
    make_subscriber("left-lately@example.org", status="left", left_at=timezone.now())
    unconfirmed = make_subscriber("never-confirmed@example.org", status="pending")
    Subscriber.objects.filter(pk=unconfirmed.pk).update(created_at=long_ago)
    make_subscriber("reader@example.org")
    call_command("purge_subscribers")
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == [
        "left-lately@example.org",
        "reader@example.org",
    ]
    notice = client.get("/zh/privacy/").content.decode()
    assert 'id="subscriptions"' in notice and "12 个月" in notice
