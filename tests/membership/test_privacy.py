"""Applicants' personal data: the privacy notice, retention and the purge command, and erasure on request."""

import datetime
import io
import json
import subprocess
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from membership import personal_data
from membership.models import ApplicationNote, MembershipApplication
from testkit.applications import make_application
from testkit.files import letter_pdf
from testkit.pages import parse_page

pytestmark = pytest.mark.django_db

CHANGE_URL = "/admin/membership/membershipapplication/{}/change/"


# --- The privacy notice ---------------------------------------------------------------------------


@pytest.fixture
def privacy_settings(settings):
    settings.PRIVACY_CONTROLLER_NAME = "ICTI Ethical Toy Program (IETP) Ltd"
    settings.PRIVACY_CONTACT_EMAIL = "privacy@ethicaltoyprogram.org"
    settings.PRIVACY_CONTACT_ADDRESS = "13/F, 1 Toy Street\nKowloon, Hong Kong"
    settings.PRIVACY_STORAGE_LOCATION = "Hong Kong"
    settings.MEMBERSHIP_RETAIN_APPROVED_DAYS = 730
    settings.MEMBERSHIP_RETAIN_DECLINED_DAYS = 180
    return settings


@pytest.mark.parametrize(
    "url, sentences",
    [
        (
            "/privacy/",
            [
                "ICTI Ethical Toy Program (IETP) Ltd holds and is responsible for the details",
                "privacy@ethicaltoyprogram.org",
                "Kowloon, Hong Kong",
                "On the programme's servers in Hong Kong.",
                "If your company becomes a member: 24 months after the decision.",
                "If your application is declined or withdrawn: 6 months after the decision.",
                "erase them, as you ask",
            ],
        ),
        (
            "/zh/privacy/",
            [
                "ICTI Ethical Toy Program (IETP) Ltd",
                "privacy@ethicaltoyprogram.org",
                "24个月",
                "6个月",
                "中国大陆",
            ],
        ),
    ],
    ids=["english", "chinese"],
)
def test_the_privacy_notice_says_who_holds_the_data_where_for_how_long_and_how_to_erase_it(
    client, privacy_settings, url, sentences
):
    text = parse_page(client.get(url)).find("main").text

    for sentence in sentences:
        assert sentence in text


def test_the_privacy_notice_renders_the_retention_settings(client, privacy_settings):
    privacy_settings.MEMBERSHIP_RETAIN_APPROVED_DAYS = 365
    privacy_settings.MEMBERSHIP_RETAIN_DECLINED_DAYS = 30

    text = parse_page(client.get("/privacy/")).find("main").text

    assert "If your company becomes a member: 12 months after the decision." in text
    assert "declined or withdrawn: 30 days after the decision." in text


# --- Retention --------------------------------------------------------------------------------------


def decided(status, days_ago, **fields):
    application = make_application(status=status, **fields)
    MembershipApplication.objects.filter(pk=application.pk).update(
        decided_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return MembershipApplication.objects.get(pk=application.pk)


def test_the_decision_is_dated_when_staff_approve_or_decline(staff_client):
    application = make_application()
    assert application.decided_at is None

    staff_client.post(CHANGE_URL.format(application.pk), {"status": "approved"})

    application.refresh_from_db()
    assert application.status == "approved" and application.decided_at is not None


def purge(*args):
    output = io.StringIO()
    call_command("purge_membership_data", *args, stdout=output)
    return output.getvalue()


def test_purge_erases_contact_data_past_retention_and_keeps_the_statistics(settings):
    settings.MEMBERSHIP_RETAIN_APPROVED_DAYS = 730
    settings.MEMBERSHIP_RETAIN_DECLINED_DAYS = 180
    old_member = decided("approved", 731, contact_email="old@example.com")
    ApplicationNote.objects.create(application=old_member, text="Called Mei Chan on her mobile")
    recent_member = decided("approved", 700, contact_email="recent@example.com")
    old_decline = decided("declined", 181, contact_email="declined@example.com")
    recent_decline = decided("declined", 100, contact_email="declined-recently@example.com")
    undecided = make_application(
        contact_email="new@example.com", submitted_at=timezone.now() - datetime.timedelta(days=900)
    )

    output = purge()

    assert f"Erased application {old_member.pk}" in output and f"Erased application {old_decline.pk}" in output
    assert "Erased 2 application(s) past retention." in output
    for erased in [old_member, old_decline]:
        erased.refresh_from_db()
        assert erased.anonymised_at is not None
        assert [erased.company_name, erased.contact_name, erased.contact_email, erased.contact_phone] == [""] * 4
        assert [erased.executive_name, erased.executive_email, erased.message] == [""] * 3
        assert not erased.notes.exists()
        # What statistics need stays.
        assert (erased.company_type, erased.headquarters_country.code, erased.annual_sales) == (
            "brand",
            "HK",
            "10m_50m",
        )
        assert erased.product_categories == ["toys", "seasonal"] and erased.submitted_at and erased.decided_at
    for kept in [recent_member, recent_decline, undecided]:
        kept.refresh_from_db()
        assert kept.anonymised_at is None and kept.contact_name == "Mei Chan"
    assert MembershipApplication.objects.count() == 5


def test_purge_dry_run_lists_and_changes_nothing_and_a_second_run_does_nothing(settings):
    old_decline = decided("declined", 400)

    assert f"Would erase application {old_decline.pk}" in purge("--dry-run")
    assert MembershipApplication.objects.get().contact_name == "Mei Chan"

    purge()
    erased_at = MembershipApplication.objects.get().anonymised_at
    assert purge() == "Erased 0 application(s) past retention.\n"
    assert MembershipApplication.objects.get().anonymised_at == erased_at


@pytest.mark.django_db(transaction=True)
def test_purge_interrupted_halfway_finishes_on_the_next_run_erasing_each_once(monkeypatch):
    expired = [decided("declined", 400 + n, contact_email=f"buyer{n}@example.com") for n in range(5)]
    erase = personal_data.erase
    calls = []

    def erase_then_stop_on_the_third(application):
        calls.append(application.pk)
        if len(calls) == 3:
            # Stopped midway through an application: fields blanked in memory, nothing saved yet.
            application.contact_name = ""
            raise KeyboardInterrupt
        erase(application)

    monkeypatch.setattr(personal_data, "erase", erase_then_stop_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        purge()
    first_erased = {
        pk: at
        for pk, at in MembershipApplication.objects.exclude(anonymised_at=None).values_list("pk", "anonymised_at")
    }
    assert len(first_erased) == 2
    # The one stopped halfway is untouched, not half-erased.
    stopped = MembershipApplication.objects.get(pk=calls[2])
    assert stopped.anonymised_at is None and stopped.contact_name == "Mei Chan" and stopped.contact_email

    monkeypatch.setattr(personal_data, "erase", erase)
    output = purge()

    assert "Erased 3 application(s) past retention." in output
    assert MembershipApplication.objects.filter(anonymised_at=None).count() == 0
    assert MembershipApplication.objects.filter(contact_name="").count() == len(expired)
    # Those erased by the first run were not erased again.
    for pk, at in first_erased.items():
        assert MembershipApplication.objects.get(pk=pk).anonymised_at == at


# --- On the applicant's request ---------------------------------------------------------------------


def test_staff_download_one_applicants_data_as_json_and_it_is_logged(staff_client):
    application = make_application(company_name="明亮玩具有限公司", contact_name="陈美")

    response = staff_client.get(f"/admin/membership/membershipapplication/{application.pk}/personal-data/")

    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="buyer-membership-application-{application.pk}.json"'
    )
    data = json.loads(response.content)
    assert data["Company legal name"] == "明亮玩具有限公司" and data["Contact name"] == "陈美"
    assert data["Contact phone"] == "+852 2345 6789" and data["Headquarters country"] == "Hong Kong"
    assert LogEntry.objects.filter(object_id=str(application.pk), change_message__contains="Downloaded").exists()


def test_staff_erase_one_applicant_after_confirming(staff_client):
    application = make_application()
    erase_url = f"/admin/membership/membershipapplication/{application.pk}/erase/"
    change_page = staff_client.get(CHANGE_URL.format(application.pk))
    assert erase_url in change_page.content.decode()

    confirmation = staff_client.get(erase_url)
    assert confirmation.status_code == 200
    assert "It cannot be undone." in confirmation.content.decode()
    assert MembershipApplication.objects.get().contact_name == "Mei Chan"

    done = staff_client.post(erase_url)

    assert done.status_code == 302 and done["Location"] == CHANGE_URL.format(application.pk)
    erased = MembershipApplication.objects.get()
    assert erased.anonymised_at and erased.contact_email == "" and erased.company_type == "brand"
    assert "was erased" in staff_client.get(done["Location"]).content.decode()
    listed = staff_client.get("/admin/membership/membershipapplication/").content.decode()
    assert f"Application {application.pk} (personal data erased)" in listed
    assert LogEntry.objects.filter(object_id=str(application.pk), change_message__contains="Erased").exists()
    # Erased once: the page is gone.
    assert staff_client.post(erase_url).status_code == 404


def test_staff_without_delete_permission_cannot_erase_and_without_view_cannot_download(client, django_user_model):
    application = make_application()
    reviewer = django_user_model.objects.create_user("reviewer", "r@example.org", "pw", is_staff=True)
    reviewer.user_permissions.add(Permission.objects.get(codename="change_membershipapplication"))
    client.force_login(reviewer)

    assert client.post(f"/admin/membership/membershipapplication/{application.pk}/erase/").status_code == 403
    assert MembershipApplication.objects.get().contact_name == "Mei Chan"

    outsider = django_user_model.objects.create_user("outsider", "o@example.org", "pw", is_staff=True)
    client.force_login(outsider)
    assert client.get(f"/admin/membership/membershipapplication/{application.pk}/personal-data/").status_code == 403


ERASED_AT = (
    "import json; from membership.models import ApplicationNote, MembershipApplication as A; "
    "print(json.dumps({pk: str(at) for pk, at in A.objects.values_list('pk', 'anonymised_at')}))"
)


@pytest.mark.slow
def test_purge_killed_halfway_finishes_on_the_next_run_erasing_each_once(site_processes):
    site_processes.python(
        "import datetime; from django.utils import timezone; from testkit.applications import make_application; "
        "from membership.models import ApplicationNote, MembershipApplication as A\n"
        "for n in range(300): make_application(contact_email=f'buyer{n}@example.com', status='declined')\n"
        "A.objects.update(decided_at=timezone.now() - datetime.timedelta(days=400))"
    )
    purge_run = subprocess.Popen(
        site_processes.command("purge_membership_data"),
        cwd=site_processes.root,
        env=site_processes.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for _line in range(3):
            assert purge_run.stdout.readline().startswith("Erased application ")
    finally:
        purge_run.kill()  # SIGKILL: no chance to tidy up
        purge_run.wait(timeout=20)
        purge_run.stdout.close()
    after_kill = json.loads(site_processes.python(ERASED_AT))
    erased_first = {pk: at for pk, at in after_kill.items() if at != "None"}
    assert 3 <= len(erased_first) < 300

    output = site_processes.manage("purge_membership_data")

    assert f"Erased {300 - len(erased_first)} application(s) past retention." in output
    after_rerun = json.loads(site_processes.python(ERASED_AT))
    assert "None" not in after_rerun.values() and len(after_rerun) == 300
    # Erased once each: the first run's stay as they were.
    assert {pk: after_rerun[pk] for pk in erased_first} == erased_first
    blank = (
        "from membership.models import MembershipApplication as A; print(A.objects.exclude(contact_email='').count())"
    )
    assert site_processes.python(blank).strip() == "0"


# --- The signed letter goes with the rest ----------------------------------------------------------


def test_purge_deletes_the_letter_from_private_storage(settings, private_media_root):
    settings.MEMBERSHIP_RETAIN_DECLINED_DAYS = 180
    expired = decided("declined", 181, letter=ContentFile(letter_pdf(), name="signed.pdf"))
    kept = decided("declined", 10, letter=ContentFile(letter_pdf(), name="signed.pdf"), contact_email="k@example.com")
    expired_letter = private_media_root / expired.letter.name
    assert expired_letter.exists()

    purge()

    expired.refresh_from_db()
    assert not expired_letter.exists()
    assert expired.letter.name == "" and expired.letter_original_name == ""
    assert (private_media_root / kept.letter.name).exists()
    # Run again: nothing left to erase, nothing fails on the missing file.
    assert "Erased 0 application(s)" in purge()


def test_the_applicants_data_on_request_holds_their_letter_and_erasing_deletes_it(staff_client, private_media_root):
    application = make_application(letter=ContentFile(letter_pdf(), name="signed.pdf"))
    stored_letter = private_media_root / application.letter.name

    response = staff_client.get(f"/admin/membership/membershipapplication/{application.pk}/personal-data/")

    assert response.status_code == 200 and response["Content-Disposition"].endswith('.zip"')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        letters = [name for name in archive.namelist() if name.endswith(".pdf")]
        assert letters and archive.read(letters[0]) == stored_letter.read_bytes()

    staff_client.post(f"/admin/membership/membershipapplication/{application.pk}/erase/")

    assert not stored_letter.exists()
    assert MembershipApplication.objects.get().letter.name == ""
