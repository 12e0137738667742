"""The applicant's data download and erasure, called as the admin and the purge command call them: no client, no
admin."""

import io
import json
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile

from membership import personal_data
from membership.models import ApplicationEmail, ApplicationEvent, ApplicationNote, MembershipApplication
from testkit.applications import make_application
from testkit.files import letter_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("editor", "editor@example.org", "correct horse", is_staff=True)


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user(
        "li.wei", "li.wei@ethicaltoyprogram.org", "correct horse", is_staff=True, first_name="Li", last_name="Wei"
    )


def test_the_download_is_a_json_document_titled_as_staff_read_it_and_is_logged(editor):
    application = make_application(company_name="明亮玩具有限公司", contact_name="陈美")

    download = personal_data.download(application, user=editor)

    assert download.filename == f"buyer-membership-application-{application.pk}.json"
    assert download.content_type == "application/json; charset=utf-8"
    data = json.loads(download.content)
    assert data["Company legal name"] == "明亮玩具有限公司" and data["Contact name"] == "陈美"
    assert data["Headquarters country"] == "Hong Kong" and data["Status"] == "New"
    assert data["Countries of supplier factories"] == ["CN", "VN"]
    assert data["Reviewer"] is None
    assert not any("token" in title.lower() for title in data)
    [entry] = LogEntry.objects.all()
    assert (entry.user, entry.object_id, entry.change_message) == (
        editor,
        str(application.pk),
        "Downloaded the applicant's personal data.",
    )


def test_the_download_works_for_an_application_with_a_reviewer_and_names_them(editor, reviewer):
    # Issue 22: the reviewer (a user) made the download fail with "User is not JSON serializable".
    application = make_application(assigned_to=reviewer)

    data = json.loads(personal_data.download(application, user=editor).content)

    assert data["Reviewer"] == {"name": "Li Wei", "email": "li.wei@ethicaltoyprogram.org"}


def test_the_download_with_a_letter_is_a_zip_holding_it(editor, private_media_root):
    application = make_application(letter=ContentFile(letter_pdf(), name="signed.pdf"))

    download = personal_data.download(application, user=editor)

    assert download.filename.endswith(".zip") and download.content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = archive.namelist()
        assert f"buyer-membership-application-{application.pk}.json" in names
        [letter] = [name for name in names if name.endswith(".pdf")]
        assert archive.read(letter) == (private_media_root / application.letter.name).read_bytes()


def test_the_zip_download_works_for_an_application_with_a_letter_and_a_reviewer(editor, reviewer, private_media_root):
    # Issue 22: the usual case, an assigned application whose applicant sent their letter, in the zip variant.
    application = make_application(assigned_to=reviewer, letter=ContentFile(letter_pdf(), name="signed.pdf"))

    download = personal_data.download(application, user=editor)

    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        data = json.loads(archive.read(f"buyer-membership-application-{application.pk}.json"))
    assert data["Reviewer"] == {"name": "Li Wei", "email": "li.wei@ethicaltoyprogram.org"}


def test_erasure_clears_the_person_notes_messages_emails_and_letter_and_keeps_the_statistics(
    editor, private_media_root
):
    application = make_application(letter=ContentFile(letter_pdf(), name="signed.pdf"), status="declined")
    letter = private_media_root / application.letter.name
    ApplicationNote.objects.create(application=application, author=editor, text="Mei said no by phone.")
    ApplicationEvent.objects.create(
        application=application, kind="status", actor=editor, old_status="new", new_status="declined", message="Sorry"
    )
    sent = ApplicationEmail.objects.create(
        application=application,
        kind="status_declined",
        recipients=application.contact_email,
        language="en",
        staff_message="Sorry",
        subject="Your application",
    )
    ApplicationEmail.objects.filter(pk=sent.pk).update(sent_at=application.submitted_at)
    ApplicationEmail.objects.create(
        application=application, kind="confirmation", recipients=application.contact_email, language="en"
    )

    company = personal_data.erase_on_request(application, user=editor)

    assert company == "Bright Toys Ltd"
    erased = MembershipApplication.objects.get()
    assert erased.anonymised_at is not None
    for name in personal_data.PERSONAL_FIELDS:
        assert getattr(erased, name) == "", name
    assert (erased.company_type, erased.headquarters_country.code, erased.annual_sales, erased.status) == (
        "brand",
        "HK",
        "10m_50m",
        "declined",
    )
    assert erased.product_categories == ["toys", "seasonal"] and erased.supplier_countries
    assert erased.letter.name == "" and not letter.exists()
    assert not ApplicationNote.objects.exists()
    assert ApplicationEvent.objects.get().message == ""
    [kept_email] = ApplicationEmail.objects.all()  # the one never sent is gone
    assert kept_email.pk == sent.pk
    assert (kept_email.recipients, kept_email.staff_message, kept_email.subject) == ("", "", "")
    assert str(erased) == f"Application {erased.pk} (personal data erased)"
    assert LogEntry.objects.get().change_message == "Erased the applicant's personal data on request."


def test_an_application_is_erased_on_request_only_once(editor):
    application = make_application()
    personal_data.erase_on_request(application, user=editor)
    erased_at = MembershipApplication.objects.get().anonymised_at

    with pytest.raises(personal_data.AlreadyErased):
        personal_data.erase_on_request(MembershipApplication.objects.get(), user=editor)

    assert MembershipApplication.objects.get().anonymised_at == erased_at
    assert LogEntry.objects.count() == 1


def test_erasing_again_finishes_an_erasure_whose_letter_is_already_gone(private_media_root):
    application = make_application(letter=ContentFile(letter_pdf(), name="signed.pdf"))
    (private_media_root / application.letter.name).unlink()

    personal_data.erase(application)

    erased = MembershipApplication.objects.get()
    assert erased.letter.name == "" and erased.contact_email == "" and erased.anonymised_at is not None
