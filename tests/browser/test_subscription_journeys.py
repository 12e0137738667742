"""A reader follows the news by email, in English on a desktop and in Chinese on a phone: subscribes from the news
pages, confirms by the link the real SMTP server received, gets the next story published, changes preferences and
leaves in one click. The emails go through the background queue, run here as the worker runs it."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from news import publishing
from subscriptions.models import Subscriber
from testkit.background import run_queued_tasks
from testkit.smtp import SMTPSink
from testkit.stories import make_story
from tests.browser.reader import expect_no_sideways_scrolling, expect_page_in


@pytest.fixture
def mail_site(transactional_db, live_server, settings):
    """The live site sending through a real SMTP server; links in emails lead to the live server."""
    with SMTPSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", sink.port, False
        settings.SITE_URL = live_server.url
        settings.SUBSCRIPTION_EMAILS_PER_MINUTE = 1_000_000
        make_story({"en": "An older story", "zh-hans": "较早的新闻"})
        yield sink


def last_message_to(sink, address):
    run_queued_tasks(queues=["emails"])  # the emails sent; the pages a publication renders are not these tests'
    return [message for message in sink.messages if message["To"] == address][-1]


def link_in(message, pattern):
    return re.search(pattern, message.get_body(("html",)).get_content()).group(0)


def publish_next_story(translations):
    editor, _created = get_user_model().objects.get_or_create(username="editor", defaults={"is_staff": True})
    story = make_story(translations, status="draft")
    publishing.publish(story, user=editor)


def test_an_english_reader_subscribes_confirms_receives_a_story_changes_preferences_and_leaves(
    mail_site, desktop_page, live_server, assert_no_axe_violations
):
    page = desktop_page
    page.goto("/news/")
    form = page.get_by_role("region", name="Get the news by email")
    form.get_by_label("Send the programme's news to").fill("reader@example.org")
    form.get_by_role("radio", name="English", exact=True).check()
    form.get_by_role("button", name="Subscribe").click()
    expect_page_in(page, "en", "Check your inbox")

    confirmation = last_message_to(mail_site, "reader@example.org")
    assert confirmation["Subject"] == "Confirm your subscription to IETP news"
    page.goto(link_in(confirmation, rf"{live_server.url}/subscribe/confirm/[^\"]+"))
    expect_page_in(page, "en", "Confirm your subscription")
    page.get_by_role("button", name="Confirm my subscription").click()
    expect_page_in(page, "en", "You are subscribed")
    assert_no_axe_violations(page)

    publish_next_story({"en": "Helplines answer in five languages", "zh-hans": "热线提供五种语言服务"})
    story_email = last_message_to(mail_site, "reader@example.org")
    assert story_email["Subject"] == "Helplines answer in five languages"
    page.goto(link_in(story_email, rf"{live_server.url}/news/[^\"]+"))
    expect_page_in(page, "en", "Helplines answer in five languages")

    page.goto(link_in(story_email, rf"{live_server.url}/subscribe/preferences/[^\"]+"))
    expect_page_in(page, "en", "Your subscription")
    page.get_by_role("radio", name="English and Chinese").check()
    page.get_by_role("radio", name="A weekly digest (Mondays)").check()
    page.get_by_role("checkbox", name="Event").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_have_text("Your preferences are saved.")
    subscriber = Subscriber.objects.get()
    assert (subscriber.languages, subscriber.frequency, subscriber.categories) == ("both", "weekly", ["event"])

    # The mail program's Unsubscribe button: one POST to the List-Unsubscribe address (RFC 8058), no page, no token.
    one_click = re.search(r"<(\S+)>", story_email["List-Unsubscribe"]).group(1)
    response = page.request.post(one_click, form={"List-Unsubscribe": "One-Click"})
    assert response.status == 200
    assert Subscriber.objects.get().status == "left"
    page.reload()
    expect(page.get_by_text("Nothing is sent to reader@example.org.")).to_be_visible()


def test_a_chinese_reader_on_a_phone_subscribes_from_a_story_and_leaves_by_the_emails_link(
    mail_site, phone_page, live_server, assert_no_axe_violations
):
    page = phone_page
    page.goto("/zh/news/")
    page.get_by_role("link", name="较早的新闻").first.click()
    form = page.get_by_role("region", name="通过电子邮件接收新闻")
    form.scroll_into_view_if_needed()
    form.get_by_label("将本计划的新闻发送至").fill("not an address")
    form.get_by_role("button", name="订阅").click()
    expect(page.get_by_text("请输入有效的电子邮件地址，例如 name@example.org。")).to_be_visible()
    page.get_by_label("您的电子邮件地址").fill("duzhe@example.org")
    page.get_by_role("radio", name="中文", exact=True).check()
    page.get_by_role("button", name="订阅").click()
    expect_page_in(page, "zh-Hans", "请查收邮件")
    expect_no_sideways_scrolling(page)

    confirmation = last_message_to(mail_site, "duzhe@example.org")
    assert confirmation["Subject"] == "确认订阅 IETP 新闻"
    page.goto(link_in(confirmation, rf"{live_server.url}/zh/subscribe/confirm/[^\"]+"))
    page.get_by_role("button", name="确认订阅").click()
    expect_page_in(page, "zh-Hans", "您已订阅")

    publish_next_story({"en": "Audits resume", "zh-hans": "审核恢复"})
    story_email = last_message_to(mail_site, "duzhe@example.org")
    assert story_email["Subject"] == "审核恢复"
    assert len([message for message in mail_site.messages if message["To"] == "duzhe@example.org"]) == 2
    page.goto(link_in(story_email, rf"{live_server.url}/zh/news/[^\"]+"))
    expect_page_in(page, "zh-Hans", "审核恢复")

    page.goto(link_in(story_email, rf"{live_server.url}/zh/subscribe/preferences/[^\"]+"))
    page.get_by_role("radio", name="每日摘要").check()
    page.get_by_role("button", name="保存设置").click()
    expect(page.get_by_role("status")).to_have_text("您的设置已保存。")
    expect_no_sideways_scrolling(page)
    assert_no_axe_violations(page)

    page.goto(link_in(story_email, rf"{live_server.url}/zh/subscribe/leave/[^\"]+"))
    page.get_by_role("button", name="退订").click()
    expect_page_in(page, "zh-Hans", "您已退订")
    assert Subscriber.objects.get().status == "left"
