"""Subscribing from the news pages: double opt-in by a link sent through a real SMTP server, the same answer
whatever the address, bad addresses refused in the reader's language, and a limit per client."""

import re
import time

import pytest
from django.core import signing

from subscriptions.models import CONFIRM_SALT, Subscriber
from testkit.background import run_queued_tasks
from testkit.subscribers import make_subscriber

from .conftest import messages_to, text_and_html

pytestmark = pytest.mark.django_db


def subscribe(client, email, prefix="", **choices):
    data = {"email": email, "languages": "en", **choices}
    return client.post(f"{prefix}/subscribe/", data)


def confirmation_link(message):
    text, _html = text_and_html(message)
    return re.search(r"http://testserver(/\S*/subscribe/confirm/\S+/|/subscribe/confirm/\S+/)", text).group(1)


def test_the_form_is_on_the_list_at_each_story_end_and_in_other_pages_footers(client, make_story):
    story = make_story({"en": "Factories audited", "zh-hans": "工厂审核"})
    for path, place in [("/news/", "list"), (story.url_in("en"), "story"), ("/privacy/", "footer")]:
        page = client.get(path).content.decode()
        assert page.count('action="/subscribe/"') == 1, path
        assert f'id="subscribe-{place}-email"' in page
        assert "Get the news by email" in page
    chinese = client.get("/zh/news/").content.decode()
    assert 'action="/zh/subscribe/"' in chinese and "通过电子邮件接收新闻" in chinese


def test_the_form_is_built_once_per_place_and_language_in_a_worker(client, make_story, settings, monkeypatch):
    from subscriptions.templatetags import subscribe_form

    settings.PAGE_CACHE = False  # every visit renders its page
    built = []

    class CountedForm(subscribe_form.SubscribeForm):
        def __init__(self, *args, **kwargs):
            built.append(kwargs["auto_id"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(subscribe_form, "SubscribeForm", CountedForm)
    monkeypatch.setattr(subscribe_form, "rendered", {})
    for _visit in range(2):
        for path in ["/news/", "/zh/news/", "/privacy/"]:
            assert client.get(path).status_code == 200

    assert sorted(built) == ["subscribe-footer-%s", "subscribe-list-%s", "subscribe-list-%s"]


def test_a_reader_subscribes_confirms_by_the_emailed_link_and_is_subscribed(
    client, mail_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, "Mei@Example.ORG", prefix="/zh", languages="both", categories=["event"])
    assert response.status_code == 302 and response["Location"] == "/zh/subscribe/check-your-inbox/"
    assert "请查收邮件" in client.get(response["Location"]).content.decode()
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.status, subscriber.languages) == ("Mei@example.org", "pending", "both")
    assert subscriber.categories == ["event"] and subscriber.interface_language == "zh-hans"

    assert run_queued_tasks() == 1
    [message] = mail_server.messages
    assert message["To"] == "Mei@example.org"
    assert message["Subject"] == "确认订阅 IETP 新闻"
    assert "List-Unsubscribe" not in message  # nobody is subscribed yet
    text, html = text_and_html(message)
    assert "7 天内" in text and "确认订阅" in html
    link = confirmation_link(message)
    assert link.startswith("/zh/subscribe/confirm/") and link in html

    # Following the link shows a button: a mail scanner opening links confirms nothing.
    page = client.get(link)
    assert page.status_code == 200 and "确认订阅" in page.content.decode()
    assert Subscriber.objects.get().status == "pending"
    confirmed = client.post(link)
    assert "您已订阅" in confirmed.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == "active" and subscriber.confirmed_at is not None
    # Used twice: still a page saying so, nothing changes.
    assert "您已订阅" in client.post(link).content.decode()


def test_a_second_request_within_a_day_sends_nothing_and_the_answer_is_the_same(
    client, mail_server, django_capture_on_commit_callbacks
):
    make_subscriber("already@example.org")
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for email in ["new@example.org", "new@example.org", "already@example.org"]:
            response = subscribe(client, email)
            answers.append((response.status_code, response["Location"]))
    assert answers == [(302, "/subscribe/check-your-inbox/")] * 3
    run_queued_tasks()
    assert [message["To"] for message in mail_server.messages] == ["new@example.org"]


def test_a_pending_address_gets_a_new_confirmation_after_a_day(client, mail_server, django_capture_on_commit_callbacks):
    subscriber = make_subscriber("late@example.org", status="pending")
    Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at="2020-01-01T00:00:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, "late@example.org")
    run_queued_tasks()
    assert len(messages_to(mail_server, "late@example.org")) == 1


def test_nothing_is_sent_to_an_address_that_bounced_or_complained(
    client, mail_server, django_capture_on_commit_callbacks
):
    make_subscriber("gone@example.org", status="bounced")
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, "gone@example.org")
    assert response.status_code == 302
    assert run_queued_tasks() == 0 and mail_server.messages == []


def test_a_tampered_confirmation_link_is_refused_in_the_readers_language(client):
    subscriber = make_subscriber(status="pending")
    response = client.get(f"/zh/subscribe/confirm/{subscriber.confirmation_token}x/")
    assert response.status_code == 400 and "此链接无效" in response.content.decode()
    response = client.post(f"/subscribe/confirm/{subscriber.confirmation_token[:-3]}abc/")
    assert response.status_code == 400 and "This link does not work" in response.content.decode()
    assert Subscriber.objects.get().status == "pending"


class EightDaysAgoSigner(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 8 * 24 * 60 * 60)


def test_an_expired_confirmation_link_confirms_nothing_and_says_how_to_get_a_new_one(client):
    subscriber = make_subscriber(status="pending")
    token = EightDaysAgoSigner(salt=CONFIRM_SALT).sign(subscriber.key.hex)
    response = client.post(f"/subscribe/confirm/{token}/")
    page = response.content.decode()
    assert response.status_code == 200 and "This link has expired" in page and "Subscribe again" in page
    assert Subscriber.objects.get().status == "pending"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("li@bücher.example", "li@xn--bcher-kva.example"),
        ("wang@例子.中国", "wang@xn--fsqu00a.xn--fiqs8s"),
        (" Upper@EXAMPLE.org ", "Upper@example.org"),
    ],
)
def test_an_address_with_an_international_domain_is_stored_as_mail_servers_exchange_it(client, typed, stored):
    assert subscribe(client, typed).status_code == 302
    assert Subscriber.objects.get().email == stored


def test_an_address_of_254_characters_is_accepted_and_a_longer_one_is_refused_with_its_length(client):
    accepted = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".org"
    assert len(accepted) == 254
    assert subscribe(client, accepted).status_code == 302
    refused = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".org"
    response = subscribe(client, refused, prefix="/zh")
    assert response.status_code == 400
    assert "电子邮件地址最多 254 个字符，此地址有 255 个。" in response.content.decode()
    assert Subscriber.objects.count() == 1


@pytest.mark.parametrize(
    ("typed", "english", "chinese"),
    [
        ("not an address", "Enter a valid email address, such as name@example.org.", "请输入有效的电子邮件地址"),
        ("", "Enter your email address.", "请输入您的电子邮件地址。"),
        ("张伟@example.org", "Our mail server cannot deliver to addresses", "我们的邮件服务器无法投递"),
    ],
)
def test_what_is_not_an_address_is_refused_with_a_translated_message(client, typed, english, chinese):
    response = subscribe(client, typed)
    assert response.status_code == 400 and english in response.content.decode()
    response = subscribe(client, typed, prefix="/zh")
    assert response.status_code == 400 and chinese in response.content.decode()
    assert not Subscriber.objects.exists()


def test_many_requests_from_one_network_are_refused_with_a_page_in_the_readers_language(client, settings):
    settings.SUBSCRIPTION_REQUESTS_PER_HOUR = 3
    statuses = [subscribe(client, f"reader{number}@example.org", prefix="/zh").status_code for number in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    response = subscribe(client, "one-more@example.org", prefix="/zh")
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    assert "订阅请求过多" in response.content.decode()
    assert Subscriber.objects.count() == 3
