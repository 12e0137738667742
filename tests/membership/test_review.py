"""The review workflow called as the admin, views and commands call it: no client, no admin."""

import pytest
from django.core import mail

from membership import review
from membership.models import ApplicationEmail, ApplicationEvent, ApplicationNote
from testkit.applications import make_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("editor", "editor@example.org", "correct horse", is_staff=True)


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user(
        "li.wei", "li.wei@ethicaltoyprogram.org", "correct horse", is_staff=True, first_name="Li", last_name="Wei"
    )


def test_a_new_status_is_saved_recorded_and_emailed_to_the_applicant_with_the_message(
    editor, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://ietp.example.org"
    application = make_application(language="zh-hans")

    with django_capture_on_commit_callbacks(execute=True):
        event = review.change_status(
            application, "information_needed", actor=editor, message="  Please send the signed letter.  "
        )

    application.refresh_from_db()
    assert application.status == "information_needed" and application.decided_at is None
    assert (event.kind, event.actor, event.old_status, event.new_status, event.message) == (
        "status",
        editor,
        "new",
        "information_needed",
        "Please send the signed letter.",
    )
    [record] = application.emails.all()
    assert (record.kind, record.recipients, record.language, record.staff_message) == (
        "status_information_needed",
        "mei.chan@bright-toys.example.com",
        "zh-hans",
        "Please send the signed letter.",
    )
    assert record.sent_at is not None
    [email] = mail.outbox
    assert email.to == ["mei.chan@bright-toys.example.com"]
    assert "Please send the signed letter." in email.body


def test_an_approval_is_dated_and_its_email_waits_for_the_transaction_to_commit(editor):
    application = make_application()

    review.change_status(application, "approved", actor=editor)

    application.refresh_from_db()
    assert application.status == "approved" and application.decided_at is not None
    [record] = ApplicationEmail.objects.all()
    assert record.kind == "status_approved" and record.sent_at is None and record.staff_message == ""
    assert mail.outbox == []


def test_the_status_an_application_already_has_records_and_sends_nothing(editor):
    application = make_application(status="in_review")

    assert review.change_status(application, "in_review", actor=editor, message="") is None

    assert not ApplicationEvent.objects.exists() and not ApplicationEmail.objects.exists()


def test_back_to_new_is_recorded_but_emails_no_one(editor):
    application = make_application(status="in_review")

    event = review.change_status(application, "new", actor=editor)

    assert (event.old_status, event.new_status) == ("in_review", "new")
    assert application.__class__.objects.get().status == "new"
    assert not ApplicationEmail.objects.exists()


@pytest.mark.parametrize("message", ["", "   "])
def test_information_needed_is_refused_without_a_message_and_nothing_changes(editor, message):
    application = make_application()

    with pytest.raises(review.MessageRequired):
        review.change_status(application, "information_needed", actor=editor, message=message)

    assert application.__class__.objects.get().status == "new"
    assert not ApplicationEvent.objects.exists() and not ApplicationEmail.objects.exists()


def test_assigning_a_reviewer_records_it_and_emails_them_a_link(
    editor, reviewer, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://ietp.example.org"
    application = make_application()

    with django_capture_on_commit_callbacks(execute=True):
        event = review.assign(application, reviewer, actor=editor)

    assert application.__class__.objects.get().assigned_to == reviewer
    assert (event.kind, event.actor, event.assigned_to) == ("assignment", editor, reviewer)
    [record] = application.emails.all()
    assert (record.kind, record.recipients, record.language) == ("assignment", "li.wei@ethicaltoyprogram.org", "en")
    [email] = mail.outbox
    assert email.subject == "Assigned to you: buyer membership application from Bright Toys Ltd"
    assert f"https://ietp.example.org/admin/membership/membershipapplication/{application.pk}/change/" in email.body


def test_taking_an_application_yourself_or_giving_it_to_nobody_is_recorded_without_an_email(reviewer):
    application = make_application()

    taken = review.assign(application, reviewer, actor=reviewer)
    given_up = review.assign(application, None, actor=reviewer)

    assert (taken.assigned_to, given_up.assigned_to) == (reviewer, None)
    assert application.__class__.objects.get().assigned_to is None
    assert not ApplicationEmail.objects.exists()


def test_a_reviewer_without_an_address_is_assigned_without_an_email(editor, reviewer):
    reviewer.email = ""
    reviewer.save()
    application = make_application()

    review.assign(application, reviewer, actor=editor)

    assert application.__class__.objects.get().assigned_to == reviewer
    assert ApplicationEvent.objects.get().assigned_to == reviewer
    assert not ApplicationEmail.objects.exists()


def test_assigning_the_reviewer_an_application_already_has_records_nothing(editor, reviewer):
    application = make_application(assigned_to=reviewer)

    assert review.assign(application, reviewer, actor=editor) is None

    assert not ApplicationEvent.objects.exists() and not ApplicationEmail.objects.exists()


def test_notes_are_kept_one_after_another_with_their_authors(editor, reviewer):
    application = make_application()

    review.add_note(application, "  Called them: the letter is on its way.  ", author=editor)
    review.add_note(application, "Letter received.", author=reviewer)

    assert [(note.author, note.text) for note in ApplicationNote.objects.filter(application=application)] == [
        (editor, "Called them: the letter is on its way."),
        (reviewer, "Letter received."),
    ]
    assert [entry.kind for entry in application.timeline()] == ["submitted", "note", "note"]


def test_an_empty_note_is_refused(editor):
    application = make_application()

    with pytest.raises(review.EmptyNote):
        review.add_note(application, " \n ", author=editor)

    assert not ApplicationNote.objects.exists()
