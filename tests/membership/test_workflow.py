"""Staff review a buyer membership application: statuses the applicant is emailed about, reviewers, notes, the
timeline; every email recorded, sent after the response, and retried by the resend command."""

import contextlib
import datetime
import io
import os
import re
import secrets
import smtplib
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from membership.emails import claim
from membership.models import ApplicationEmail, ApplicationEvent, MembershipApplication
from testkit import prepared
from testkit.applications import application_answers, application_form, make_application
from testkit.pages import parse_page
from testkit.ports import free_port
from testkit.servers import Gunicorn
from testkit.smtp import SMTP_PORTS, HangingSMTP, SMTPSink

pytestmark = pytest.mark.django_db

CHANGE_URL = "/admin/membership/membershipapplication/{}/change/"
LIST_URL = "/admin/membership/membershipapplication/"


class BrokenSMTP(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def review(client, application, url=CHANGE_URL, **changes):
    """Staff save the application's change page with these changes, as the form posts them."""
    data = {
        "status": application.status,
        "assigned_to": application.assigned_to_id or "",
        "status_message": "",
        "new_note": "",
    }
    return client.post(url.format(application.pk), data | changes)


def timeline_lines(response):
    """The timeline as staff read it: one line per entry, whitespace collapsed."""
    timeline = parse_page(response).find("ol", class_="application-timeline")
    return [" ".join(entry.text.split()) for entry in timeline.find_all("li")]


@pytest.fixture
def reviewer(django_user_model):
    # A reviewer may view applications (only such staff are offered).
    user = django_user_model.objects.create_user(
        "li.wei", "li.wei@ethicaltoyprogram.org", "correct horse", is_staff=True, first_name="Li", last_name="Wei"
    )
    user.user_permissions.add(Permission.objects.get(codename="view_membershipapplication"))
    return user


# --- Status emails ----------------------------------------------------------------------------------


STATUS_EMAILS = [
    (
        "in_review",
        "en",
        "Your IETP buyer membership application is in review",
        "Our team has started reviewing the buyer membership application of Bright Toys Ltd.",
    ),
    (
        "in_review",
        "zh-hans",
        "您的 IETP 买家会员申请正在审核中",
        "我们的团队已开始审核 Bright Toys Ltd 的买家会员申请。",
    ),
    (
        "information_needed",
        "en",
        "Information needed for your IETP buyer membership application",
        "we need the following from you:\n\nPlease send the signed letter of support.",
    ),
    (
        "information_needed",
        "zh-hans",
        "您的 IETP 买家会员申请需要补充信息",
        "我们需要您提供以下信息：\n\nPlease send the signed letter of support.",
    ),
    (
        "approved",
        "en",
        "Welcome: your IETP buyer membership application is approved",
        "the buyer membership application of Bright Toys Ltd is approved",
    ),
    ("approved", "zh-hans", "欢迎加入：您的 IETP 买家会员申请已获批准", "Bright Toys Ltd 的买家会员申请已获批准"),
    (
        "declined",
        "en",
        "Your IETP buyer membership application: our decision",
        "we are unable to accept it at this time",
    ),
    ("declined", "zh-hans", "关于您的 IETP 买家会员申请的决定", "我们目前无法接受该申请"),
    (
        "withdrawn",
        "en",
        "Your IETP buyer membership application is withdrawn",
        "the buyer membership application of Bright Toys Ltd is withdrawn",
    ),
    ("withdrawn", "zh-hans", "您的 IETP 买家会员申请已撤回", "Bright Toys Ltd 的买家会员申请已撤回"),
]


@pytest.mark.parametrize(
    "status, language, subject, in_body",
    STATUS_EMAILS,
    ids=[f"{status}-{language}" for status, language, _subject, _body in STATUS_EMAILS],
)
def test_each_new_status_emails_the_applicant_in_the_language_they_applied_in(
    staff_client, django_capture_on_commit_callbacks, status, language, subject, in_body
):
    application = make_application(language=language)

    # Staff work in the English admin whatever the applicant's language.
    with django_capture_on_commit_callbacks(execute=True):
        response = review(
            staff_client, application, status=status, status_message="Please send the signed letter of support."
        )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == status
    [email] = mail.outbox
    assert email.to == ["mei.chan@bright-toys.example.com"]
    assert email.subject == subject
    assert in_body in email.body
    greeting = "Mei Chan，您好：" if language == "zh-hans" else "Dear Mei Chan,"
    assert email.body.startswith(greeting)
    assert "Please send the signed letter of support." in email.body  # a message is quoted whatever the status
    if language == "zh-hans":  # every sentence of ours in Chinese: English is only what staff wrote and the names
        ours = email.body.replace("Please send the signed letter of support.", "").replace("Bright Toys Ltd", "")
        assert not re.search(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+", ours), ours
    [record] = application.emails.all()
    assert (record.kind, record.language, record.subject, record.attempts) == (f"status_{status}", language, subject, 1)
    assert record.sent_at is not None and record.error == ""


def test_a_status_without_a_message_sends_the_email_without_one(staff_client, django_capture_on_commit_callbacks):
    application = make_application()

    with django_capture_on_commit_callbacks(execute=True):
        review(staff_client, application, status="approved")

    [email] = mail.outbox
    assert "is approved. Welcome to the ICTI Ethical Toy Program.\n\nWe will be in touch shortly" in email.body


def test_information_needed_cannot_be_saved_without_a_message_for_the_applicant(
    staff_client, django_capture_on_commit_callbacks
):
    application = make_application()

    for url in [CHANGE_URL, f"/zh{CHANGE_URL}"]:
        with django_capture_on_commit_callbacks(execute=True):
            response = review(staff_client, application, url=url, status="information_needed", status_message="  ")
        assert response.status_code == 200
        errors = parse_page(response).find(class_="field-status_message").find(class_="errorlist").text
        assert errors in {
            "Write what the applicant should send: it is the heart of the email they get.",
            "请写明申请人需要提供什么：这是他们收到的邮件的主要内容。",
        }

    application.refresh_from_db()
    assert application.status == "new"
    assert mail.outbox == [] and not application.emails.exists() and not application.events.exists()


def test_a_message_without_a_new_status_is_not_dropped_silently(staff_client, django_capture_on_commit_callbacks):
    application = make_application(status="in_review")

    with django_capture_on_commit_callbacks(execute=True):
        response = review(staff_client, application, status_message="We have your letter.", new_note="Letter in.")

    assert response.status_code == 200
    errors = parse_page(response).find(class_="field-status_message").find(class_="errorlist").text
    assert errors == "A message goes with a new status: choose the status to send it with, or add it as a note."
    assert "We have your letter." in response.content.decode()  # what was typed is still there
    assert mail.outbox == [] and not application.notes.exists()


def test_saving_without_changing_the_status_sends_nothing_and_back_to_new_sends_nothing(
    staff_client, django_capture_on_commit_callbacks
):
    application = make_application(status="in_review")

    with django_capture_on_commit_callbacks(execute=True):
        review(staff_client, application, new_note="Nothing new.")
        review(staff_client, application, status="new")

    assert mail.outbox == []
    assert [(event.old_status, event.new_status) for event in application.events.all()] == [("in_review", "new")]


def test_a_failed_status_email_is_recorded_shown_and_sent_by_the_command(
    staff_client, settings, django_capture_on_commit_callbacks
):
    application = make_application(language="zh-hans")
    settings.EMAIL_BACKEND = "tests.membership.test_workflow.BrokenSMTP"

    with django_capture_on_commit_callbacks(execute=True):
        response = review(staff_client, application, status="declined")

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "declined"  # the decision stands, whatever the mail server does
    [record] = application.emails.all()
    assert record.sent_at is None and record.attempts == 1 and "SMTPServerDisconnected" in record.error
    assert any(
        "not sent after 1 try" in line for line in timeline_lines(staff_client.get(CHANGE_URL.format(application.pk)))
    )
    listed = parse_page(staff_client.get(LIST_URL, {"emails": "unsent"})).find("table", id="result_list")
    assert "Bright Toys Ltd" in listed.text

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    output = io.StringIO()
    call_command("send_membership_emails", stdout=output)
    call_command("send_membership_emails", stdout=io.StringIO())

    [email] = mail.outbox  # once, though the command ran twice
    assert email.subject == "关于您的 IETP 买家会员申请的决定"
    record.refresh_from_db()
    assert record.sent_at is not None and record.error == "" and record.attempts == 2
    assert "Emails sent: 1; failed: 0; given up after too many tries: 0." in output.getvalue()


class RefusingOneAddress(locmem.EmailBackend):
    def send_messages(self, messages):
        if any("refused@example.com" in message.to for message in messages):
            raise smtplib.SMTPRecipientsRefused({"refused@example.com": (550, b"No such mailbox")})
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_after_the_mail_server_failed_requests_leave_their_emails_to_the_command_for_a_while(
    client, settings, membership_settings
):
    settings.EMAIL_BACKEND = "tests.membership.test_workflow.BrokenSMTP"
    assert client.post("/buyer-membership/", application_form()).status_code == 302  # sent after the response: fails
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert client.post("/buyer-membership/", application_form(contact_email="b@example.com")).status_code == 302

    emails = ApplicationEmail.objects.order_by("pk")
    assert [(email.attempts, bool(email.error)) for email in emails] == [(1, True), (1, True), (0, False), (0, False)]
    assert mail.outbox == []

    call_command("send_membership_emails", stdout=io.StringIO())  # cron does not wait

    assert len(mail.outbox) == 4 and not ApplicationEmail.objects.unsent().exists()


def test_an_address_refused_is_that_emails_failure_only(settings):
    settings.EMAIL_BACKEND = "tests.membership.test_workflow.RefusingOneAddress"
    application = make_application()
    refused = application.emails.create(kind="status_approved", recipients="refused@example.com", language="en")
    fine = application.emails.create(kind="status_approved", recipients="fine@example.com", language="en")

    call_command("send_membership_emails", stdout=io.StringIO(), stderr=io.StringIO())

    refused.refresh_from_db()
    fine.refresh_from_db()
    assert "SMTPRecipientsRefused" in refused.error and refused.sent_at is None
    assert fine.sent_at is not None and [message.to for message in mail.outbox] == [["fine@example.com"]]


def test_the_command_gives_up_on_an_email_after_the_allowed_number_of_tries(settings):
    settings.MEMBERSHIP_EMAIL_MAX_ATTEMPTS = 3
    application = make_application()
    hopeless = application.emails.create(kind="status_approved", recipients="x@example.com", language="en", attempts=3)
    hopeful = application.emails.create(kind="status_in_review", recipients="x@example.com", language="en", attempts=2)
    output, errors = io.StringIO(), io.StringIO()

    call_command("send_membership_emails", stdout=output, stderr=errors)

    assert [email.to for email in mail.outbox] == [["x@example.com"]]
    assert mail.outbox[0].subject == "Your IETP buyer membership application is in review"
    hopeless.refresh_from_db()
    hopeful.refresh_from_db()
    assert hopeless.sent_at is None and hopeful.sent_at is not None
    assert "Emails sent: 1; failed: 0; given up after too many tries: 1." in output.getvalue()
    assert "timeline" in errors.getvalue()


def test_an_email_claimed_by_one_sender_is_not_sent_by_another():
    application = make_application()
    email = application.emails.create(kind="status_approved", recipients="x@example.com", language="en")

    assert claim(email.pk) is True
    assert claim(email.pk) is False  # still being sent by the first
    call_command("send_membership_emails", stdout=io.StringIO())
    assert mail.outbox == []

    # A sender that died leaves its claim behind: once the claim runs out, the command sends the email.
    ApplicationEmail.objects.update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    call_command("send_membership_emails", stdout=io.StringIO())
    assert len(mail.outbox) == 1


def test_the_database_refuses_unknown_statuses_and_email_kinds():
    application = make_application()

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipApplication.objects.update(status="lost")
    with pytest.raises(IntegrityError), transaction.atomic():
        application.emails.create(kind="newsletter", recipients="x@example.com", language="en")


# --- Reviewers ----------------------------------------------------------------------------------------


def test_assigning_a_reviewer_emails_them_a_link_to_the_application(
    staff_client, reviewer, django_capture_on_commit_callbacks
):
    application = make_application(language="zh-hans")

    with django_capture_on_commit_callbacks(execute=True):
        response = review(staff_client, application, assigned_to=reviewer.pk)

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.assigned_to == reviewer
    [email] = mail.outbox
    assert email.to == ["li.wei@ethicaltoyprogram.org"]
    # Staff read English, as in the notification of a new application.
    assert email.subject == "Assigned to you: buyer membership application from Bright Toys Ltd"
    assert email.body.startswith("Li Wei,\n\nThe buyer membership application from Bright Toys Ltd is now yours")
    assert f"http://testserver/admin/membership/membershipapplication/{application.pk}/change/" in email.body
    [record] = application.emails.all()
    assert (record.kind, record.recipients, record.language) == ("assignment", "li.wei@ethicaltoyprogram.org", "en")
    [event] = application.events.all()
    assert (event.kind, event.actor.username, event.assigned_to) == ("assignment", "editor", reviewer)


def test_taking_an_application_yourself_or_unassigning_it_sends_no_email(
    staff_client, reviewer, django_capture_on_commit_callbacks
):
    application = make_application(assigned_to=reviewer)
    editor = User.objects.get(username="editor")

    with django_capture_on_commit_callbacks(execute=True):
        review(staff_client, application, assigned_to=editor.pk)
        application.refresh_from_db()
        review(staff_client, application, assigned_to="")

    assert mail.outbox == []
    application.refresh_from_db()
    assert application.assigned_to is None
    lines = timeline_lines(staff_client.get(CHANGE_URL.format(application.pk)))
    assert any(line.endswith("editor assigned it to editor") for line in lines)
    assert any(line.endswith("editor removed the reviewer") for line in lines)


def test_only_active_staff_can_be_chosen_as_reviewers(staff_client, reviewer, django_user_model):
    django_user_model.objects.create_user("visitor", "v@example.com", "x")
    django_user_model.objects.create_user("gone", "g@example.com", "x", is_staff=True, is_active=False)
    application = make_application()

    page = parse_page(staff_client.get(CHANGE_URL.format(application.pk)))
    choices = [option.text for option in page.find("select", name="assigned_to").find_all("option")]

    assert choices == ["---------", "editor", "li.wei"]
    assert (
        review(staff_client, application, assigned_to=django_user_model.objects.get(username="visitor").pk).status_code
        == 200
    )
    application.refresh_from_db()
    assert application.assigned_to is None


def listed_companies(staff_client, url=LIST_URL, **query):
    table = parse_page(staff_client.get(url, query)).find("table", id="result_list")
    return sorted(cell.text for cell in table.find_all(class_="field-company")) if table else []


def reviewer_filter_links(staff_client, url):
    links = parse_page(staff_client.get(url)).find(id="changelist-filter").find_all("a", href=True)
    return [
        link.text.strip() for link in links if "reviewer" in link.attrs["href"] or link.text.strip() in {"All", "全部"}
    ]


def test_the_list_filters_applications_assigned_to_me_and_unassigned(staff_client, reviewer):
    editor = User.objects.get(username="editor")
    make_application(company_name="Mine Co", contact_email="a@example.com", assigned_to=editor)
    make_application(company_name="Theirs Co", contact_email="b@example.com", assigned_to=reviewer)
    make_application(company_name="Nobody Co", contact_email="c@example.com")

    assert listed_companies(staff_client, reviewer="me") == ["Mine Co"]
    assert listed_companies(staff_client, reviewer="none") == ["Nobody Co"]
    assert listed_companies(staff_client) == ["Mine Co", "Nobody Co", "Theirs Co"]
    assert {"Assigned to me", "Unassigned"} <= set(reviewer_filter_links(staff_client, LIST_URL))
    assert {"分配给我的", "未分配"} <= set(reviewer_filter_links(staff_client, f"/zh{LIST_URL}"))
    table = parse_page(staff_client.get(LIST_URL)).find("table", id="result_list")
    statuses = sorted(cell.text for cell in table.find_all(class_="field-status_and_reviewer"))
    reviewers = sorted(name.text for name in table.find_all("span", class_="application-reviewer"))
    assert reviewers == ["editor", "li.wei"] and len(statuses) == 3


# --- Notes and the timeline ----------------------------------------------------------------------------


def test_notes_are_kept_one_after_another_with_their_authors(staff_client, reviewer):
    application = make_application()
    review(staff_client, application, new_note="Called Mei: letter on its way.")
    reviewer.is_superuser = True
    reviewer.save()
    colleague = Client()
    colleague.force_login(reviewer)
    review(colleague, application, new_note="Letter received, <b>signed</b>.")

    assert [(note.author.username, note.text) for note in application.notes.all()] == [
        ("editor", "Called Mei: letter on its way."),
        ("li.wei", "Letter received, <b>signed</b>."),
    ]
    page = staff_client.get(CHANGE_URL.format(application.pk))
    notes = [quote.text for quote in parse_page(page).find_all("blockquote", class_="application-timeline__note")]
    assert notes == ["Called Mei: letter on its way.", "Letter received, <b>signed</b>."]
    assert "&lt;b&gt;signed&lt;/b&gt;" in page.content.decode()


def test_the_timeline_tells_the_story_of_an_application(
    staff_client, reviewer, settings, django_capture_on_commit_callbacks
):
    settings.TIME_ZONE = "UTC"
    application = make_application(submitted_at=datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC))
    application.emails.create(
        kind="confirmation",
        recipients="mei.chan@bright-toys.example.com",
        language="en",
        created_at=application.submitted_at,
        sent_at=application.submitted_at,
        attempts=1,
    )
    with django_capture_on_commit_callbacks(execute=True):
        review(staff_client, application, assigned_to=reviewer.pk, status="in_review")
    application.refresh_from_db()
    settings.EMAIL_BACKEND = "tests.membership.test_workflow.BrokenSMTP"
    with django_capture_on_commit_callbacks(execute=True):
        review(
            staff_client,
            application,
            status="information_needed",
            status_message="Who signs for the company?",
            new_note="Asked about the signatory.",
        )

    lines = timeline_lines(staff_client.get(CHANGE_URL.format(application.pk)))

    today = re.compile(r"\w+ \d+, \d{4}, \d\d:\d\d")
    assert lines[:2] == [
        "March 2, 2026, 09:00 Submitted, in English",
        "March 2, 2026, 09:00 Email: Confirmation to the applicant, to mei.chan@bright-toys.example.com — sent "
        "March 2, 2026, 09:00",
    ]
    assert [today.sub("(now)", line) for line in lines[2:]] == [
        "(now) editor changed the status from New to In review",
        "(now) Email: In review, to the applicant, to mei.chan@bright-toys.example.com — sent (now)",
        "(now) editor assigned it to li.wei",
        "(now) Email: Assignment, to the reviewer, to li.wei@ethicaltoyprogram.org — sent (now)",
        "(now) editor changed the status from In review to Information needed Who signs for the company?",
        "(now) Email: Information needed, to the applicant, to mei.chan@bright-toys.example.com — not sent after 1 "
        "try ((now)): SMTPServerDisconnected: Connection unexpectedly closed",
        "(now) Note by editor Asked about the signatory.",
    ]
    page = parse_page(staff_client.get(CHANGE_URL.format(application.pk)))
    failed = page.find("li", class_="application-timeline__entry--unsent").text
    assert "not sent after 1 try" in failed and "SMTPServerDisconnected" in failed


def test_the_timeline_is_in_chinese_in_the_chinese_admin(staff_client, django_capture_on_commit_callbacks):
    application = make_application(language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        review(staff_client, application, status="approved", new_note="好")

    lines = timeline_lines(staff_client.get(f"/zh{CHANGE_URL}".format(application.pk)))

    assert any(line.endswith("以简体中文提交") for line in lines)
    assert any(line.endswith("editor 将状态从“新申请”改为“已批准”") for line in lines)
    assert any("邮件：致申请人：已批准，收件人 mei.chan@bright-toys.example.com — 已于" in line for line in lines)
    assert any(line.endswith("editor 的备注 好") for line in lines)


def test_the_csv_export_lists_every_note_with_its_author(staff_client):
    application = make_application()
    editor = User.objects.get(username="editor")
    application.notes.create(
        author=editor, text="First call.", created_at=datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)
    )
    application.notes.create(
        author=None, text="From the old box.", created_at=datetime.datetime(2026, 3, 1, 1, 0, tzinfo=datetime.UTC)
    )

    response = staff_client.post(LIST_URL, {"action": "export_as_csv", "_selected_action": [application.pk]})

    content = response.content.decode("utf-8-sig")
    assert "2026-03-01 09:00 -: From the old box.\n2026-03-02 09:00 editor: First call." in content.replace(
        "\r\n", "\n"
    )


def test_status_change_event_records_who_when_and_the_change(staff_client, django_capture_on_commit_callbacks):
    application = make_application()

    with django_capture_on_commit_callbacks(execute=True):
        review(staff_client, application, status="information_needed", status_message="The letter, please.")

    [event] = ApplicationEvent.objects.all()
    assert (event.kind, event.actor.username, event.old_status, event.new_status, event.message) == (
        "status",
        "editor",
        "new",
        "information_needed",
        "The letter, please.",
    )
    assert application.emails.get().staff_message == "The letter, please."


# --- A real mail server that refuses, hangs, or takes its time (gunicorn, subprocesses) ----------------------

ROOT = Path(__file__).resolve().parents[2]
STAFF_ADDRESS = "membership@ethicaltoyprogram.org"


@pytest.fixture
def live_database(transactional_db, tmp_path):
    """(DATABASE_URL for other processes, query(sql) -> rows) on a database they and the test share: the suite's own
    PostgreSQL test database, or, on SQLite (whose test database lives in this process's memory), a file migrated
    for the occasion."""
    if connection.vendor == "postgresql":
        params = connection.settings_dict
        password = f":{quote(params['PASSWORD'])}" if params["PASSWORD"] else ""
        url = f"postgres://{quote(params['USER'])}{password}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/"
        url += params["NAME"]

        def query(sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()

        return url, query
    path = tmp_path / "live.sqlite3"
    url = prepared.migrated_sqlite(path)  # migrated once for the run

    def query(sql):
        with closing(sqlite3.connect(path, timeout=10)) as database:
            return database.execute(sql).fetchall()

    return url, query


def production_like_env(database_url, tmp_path, mail_port, **extra):
    """Production settings (DEBUG off, SMTP), with the mail server on 127.0.0.1:`mail_port`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DEBUG", "REDIS_URL"))}
    env.update(
        SECRET_KEY=settings.SECRET_KEY,  # the form's signed timestamp is made by this process
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        CACHE_DIR=str(tmp_path / "cache"),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(mail_port),
        EMAIL_USE_TLS="0",
        EMAIL_TIMEOUT="4",
        MEMBERSHIP_NOTIFY_EMAILS=STAFF_ADDRESS,
        MEMBERSHIP_MIN_SECONDS_TO_SUBMIT="0",
        SITE_URL="https://ethicaltoyprogram.org",
    )
    env.update(extra)
    return env


def manage(database_url, tmp_path, *args, mail_port=25, **extra):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_like_env(database_url, tmp_path, mail_port, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextlib.contextmanager
def gunicorn(env, log_path):
    """gunicorn as the Dockerfile runs it (sync workers), with a worker timeout of 8 s, longer than one EMAIL_TIMEOUT
    (4 s) and shorter than two: sending must wait for the mail server once at most."""
    server = Gunicorn(env, port=free_port(SMTP_PORTS), timeout=8)
    try:
        # Both workers: the second buyer is timed on the one not waiting for the mail server.
        try:
            server.start(log_path)
        except RuntimeError as error:
            raise AssertionError(log_path.read_text()) from error
        yield server.base_url
    finally:
        server.stop()


def post_application(base_url, **changes):
    """A buyer sends the form; the CSRF cookie and token are one 32-character secret, as Django accepts."""
    secret = secrets.token_hex(16)
    body = urllib.parse.urlencode(application_form(csrfmiddlewaretoken=secret, **changes), doseq=True).encode()
    request = urllib.request.Request(
        f"{base_url}/buyer-membership/",
        data=body,
        headers={"Cookie": f"csrftoken={secret}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    opener = urllib.request.build_opener(NoRedirect)
    started = time.monotonic()
    try:
        opener.open(request, timeout=30)
    except urllib.error.HTTPError as response:
        return response.status, response.headers.get("Location"), time.monotonic() - started
    raise AssertionError("expected a redirect")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def email_rows(query):
    return query("SELECT kind, sent_at IS NOT NULL, attempts, error FROM membership_applicationemail ORDER BY id")


def being_sent(query):
    return query("SELECT COUNT(*) FROM membership_applicationemail WHERE claimed_until IS NOT NULL")[0][0]


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)
    return result


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["refused", "hanging"])
def test_with_the_mail_server_down_the_buyer_is_answered_at_once_and_the_command_sends_later(
    live_database, tmp_path, fault
):
    database_url, query = live_database
    with contextlib.ExitStack() as stack:
        if fault == "hanging":
            mail_port = stack.enter_context(HangingSMTP()).port
        else:
            mail_port = free_port(SMTP_PORTS)  # nothing listens there: connections are refused
        site = stack.enter_context(
            gunicorn(production_like_env(database_url, tmp_path, mail_port), tmp_path / "gunicorn.log")
        )

        status, location, seconds = post_application(site)
        # A second buyer right after, while the first worker may still be waiting for the mail server.
        second = post_application(site, contact_email="buyer2@example.com")

        print(f"mail server {fault}: the buyers were answered in {seconds:.3f} s and {second[2]:.3f} s")
        assert (status, location) == (302, "/buyer-membership/thank-you/")
        assert seconds < 2, f"the buyer waited {seconds:.1f} s"
        assert second[0] == 302 and second[2] < 2, f"the second buyer waited {second[2]:.1f} s"
        assert [row[0] for row in query("SELECT company_name FROM membership_membershipapplication")] == [
            "Bright Toys Ltd",
            "Bright Toys Ltd",
        ]
        # Sent after the response: it fails, and the failure is recorded (the worker is not killed on the way). The
        # second buyer's emails were tried too, unless the first failure was already noted (a refusal is quick).
        wait_for(lambda: email_rows(query)[0][2] == 1 and not being_sent(query), 20)
        # Three more buyers in a row, more than the two workers: the failure was noted, so no worker waits for the
        # mail server again for a while, and none of them waits for a worker.
        later = [post_application(site, contact_email=f"buyer{number}@example.com") for number in range(3, 6)]
        print(f"then three more buyers, answered in {', '.join(f'{seconds:.3f}' for _s, _l, seconds in later)} s")
        assert all(status == 302 and seconds < 2 for status, _location, seconds in later), later
        wait_for(lambda: not being_sent(query), 20)
        rows = email_rows(query)[:4]
    log = (tmp_path / "gunicorn.log").read_text()
    assert "WORKER TIMEOUT" not in log and "Worker was sent" not in log, log
    expected_error = "Connection refused" if fault == "refused" else "timed out"
    assert [(kind, sent) for kind, sent, _attempts, _error in rows] == [
        ("confirmation", False),
        ("staff_notification", False),
    ] * 2
    assert [attempts for _kind, _sent, attempts, _error in rows[:2]] == [1, 1]
    assert all(expected_error in error for _kind, _sent, attempts, error in rows if attempts), rows
    assert rows[2][2] == rows[3][2]  # the second buyer's two emails tried together, or neither
    # The later ones wait, untried, for the command.
    assert [(sent, attempts, error) for _kind, sent, attempts, error in email_rows(query)[4:]] == [(False, 0, "")] * 6

    with SMTPSink() as sink:
        first = manage(database_url, tmp_path, "send_membership_emails", mail_port=sink.port)
        again = manage(database_url, tmp_path, "send_membership_emails", mail_port=sink.port)

    assert "Emails sent: 10; failed: 0" in first.stdout, first.stdout + first.stderr
    assert "Emails sent: 0; failed: 0" in again.stdout
    assert (
        sorted(sink.subjects())
        == ["New buyer membership application: Bright Toys Ltd"] * 5
        + ["We have received your IETP buyer membership application"] * 5
    )
    staff_email = next(message for message in sink.messages if message["To"] == STAFF_ADDRESS)
    # Sent by the command, outside any request: its links are on SITE_URL.
    assert "https://ethicaltoyprogram.org/admin/membership/membershipapplication/" in staff_email.get_content()
    tried_before = [attempts for _kind, _sent, attempts, _error in rows] + [0] * 6
    assert [(sent, attempts, error) for _kind, sent, attempts, error in email_rows(query)] == [
        (True, before + 1, "") for before in tried_before
    ]


@pytest.mark.slow
def test_with_a_working_mail_server_emails_arrive_after_the_response(live_database, tmp_path):
    database_url, query = live_database
    with SMTPSink(delay=1.5) as sink:  # a slow server: each message takes 1.5 s to be accepted
        with gunicorn(production_like_env(database_url, tmp_path, sink.port), tmp_path / "gunicorn.log") as site:
            status, _location, seconds = post_application(site)
            print(f"mail server slow (1.5 s a message): the buyer was answered in {seconds:.3f} s")
            assert status == 302 and seconds < 1.5, f"the buyer waited {seconds:.1f} s"
            wait_for(lambda: len(sink.messages) == 2, 20)
    assert [message["To"] for message in sink.messages] == ["mei.chan@bright-toys.example.com", STAFF_ADDRESS]
    assert [(kind, sent, attempts) for kind, sent, attempts, _error in email_rows(query)] == [
        ("confirmation", True, 1),
        ("staff_notification", True, 1),
    ]


@pytest.mark.slow
def test_two_resend_commands_at_once_send_each_email_exactly_once(live_database, tmp_path):
    database_url, query = live_database
    count = 24
    application = make_application()
    for number in range(count):
        application.emails.create(kind="status_in_review", recipients=f"buyer{number}@example.com", language="en")
    if connection.vendor == "sqlite":
        # The live database is a file the other processes open: this test's (in memory) is copied over it.
        with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as live:
            connection.connection.backup(live)
    with SMTPSink(delay=0.15) as sink:  # slow enough that the two runs overlap
        env = production_like_env(database_url, tmp_path, sink.port)
        runs = [
            subprocess.Popen(
                [sys.executable, "manage.py", "send_membership_emails"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _run in range(2)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]

    recipients = sorted(str(message["To"]) for message in sink.messages)
    assert recipients == sorted(f"buyer{number}@example.com" for number in range(count)), outputs
    sent_by_each = [int(re.search(r"Emails sent: (\d+)", stdout).group(1)) for stdout, _stderr in outputs]
    assert sum(sent_by_each) == count and all(sent_by_each), sent_by_each  # both took part, none sent twice
    assert query("SELECT COUNT(*) FROM membership_applicationemail WHERE sent_at IS NOT NULL AND attempts = 1") == [
        (count,)
    ]


# --- Applications from before the workflow ----------------------------------------------------------------------

BEFORE_WORKFLOW = ("membership", "0004_application_privacy_and_limits")
WORKFLOW = ("membership", "0005_application_workflow")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_old_notes_box_becomes_a_first_note_and_the_email_stamps_become_email_records(settings):
    settings.MEMBERSHIP_NOTIFY_EMAILS = [STAFF_ADDRESS]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([BEFORE_WORKFLOW])
        old = executor.loader.project_state([BEFORE_WORKFLOW]).apps.get_model("membership", "MembershipApplication")
        answers = {
            name: value
            for name, value in application_answers().items()
            if name not in {"supplier_factory_count", "toy_association_member"}
        }
        submitted = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
        common = answers | {
            "supplier_factory_count": 12,
            "toy_association_member": True,
            "agrees_to_principles": True,
            "consents_to_privacy_notice": True,
            "language": "zh-hans",
            "submitted_at": submitted,
        }
        reviewed = old.objects.create(
            **common,
            status="in_review",
            internal_notes="Called Mei.\nLetter on its way.",
            confirmation_sent_at=submitted,
            staff_notified_at=submitted,
        )
        failed = old.objects.create(
            **common | {"contact_email": "b@example.com"}, email_error="2026-03-02 09:00 confirmation_sent_at: refused"
        )

        executor = MigrationExecutor(connection)
        executor.migrate([WORKFLOW])
        new_apps = executor.loader.project_state([WORKFLOW]).apps
        notes = new_apps.get_model("membership", "ApplicationNote").objects.all()
        emails = new_apps.get_model("membership", "ApplicationEmail").objects.order_by("application_id", "kind")

        assert [(note.application_id, note.author_id, note.created_at, note.text) for note in notes] == [
            (reviewed.pk, None, submitted, "Called Mei.\nLetter on its way.")
        ]
        assert [
            (
                email.application_id,
                email.kind,
                email.recipients,
                email.language,
                email.sent_at,
                email.attempts,
                email.error,
            )
            for email in emails
        ] == [
            (reviewed.pk, "confirmation", "mei.chan@bright-toys.example.com", "zh-hans", submitted, 1, ""),
            (reviewed.pk, "staff_notification", STAFF_ADDRESS, "en", submitted, 1, ""),
            (
                failed.pk,
                "confirmation",
                "b@example.com",
                "zh-hans",
                None,
                1,
                "2026-03-02 09:00 confirmation_sent_at: refused",
            ),
            (
                failed.pk,
                "staff_notification",
                STAFF_ADDRESS,
                "en",
                None,
                1,
                "2026-03-02 09:00 confirmation_sent_at: refused",
            ),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    # The unsent ones are the command's to send, in the applicant's language.
    call_command("send_membership_emails", stdout=io.StringIO())
    assert sorted(message.subject for message in mail.outbox) == [
        "New buyer membership application: Bright Toys Ltd",
        "我们已收到您的 IETP 买家会员申请",
    ]
