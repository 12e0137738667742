"""The signed letter of support: sent with the application or later through the emailed link, kept privately,
downloaded by staff allowed to view applications. Every kind of bad file, and bad link, gets a clear answer."""

import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core import mail, signing
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.test import Client, TestCase
from django.views.static import serve
from PIL import Image
from pypdf import PdfReader

from membership import personal_data
from membership.letters import UPLOAD_LINK_MAX_AGE_DAYS, UPLOAD_LINK_SALT, upload_link_token
from membership.models import MembershipApplication
from testkit import prepared
from testkit.applications import application_form, make_application
from testkit.background import run_queued_tasks
from testkit.files import letter_pdf, phone_photo, photo_like
from testkit.pages import parse_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("membership_settings", "private_media_root")]

LETTER_NAME = "Signed letter – Bright Toys.pdf"


def apply(client, letter=None, url="/buyer-membership/", **changes):
    """Sends the form; what its commit asks for (emails, the letter's cleaning) is done before this returns."""
    data = application_form(**changes)
    if letter is not None:
        data["letter"] = letter
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data, REMOTE_ADDR="203.0.113.5")
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_queued_tasks()
    return response


def upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def letter_errors(response):
    errors = parse_page(response).find("ul", class_="form-field__errors", id="id_letter_error")
    return [error.text for error in errors.find_all("li")] if errors else []


def summary_texts(response):
    summary = parse_page(response).find("div", class_="error-summary")
    return [link.text for link in summary.find_all("a")] if summary else []


def stored_letter(application):
    with application.letter.open("rb") as letter:
        return letter.read()


def upload_link(message):
    """The personal upload link in an email, as a path."""
    match = re.search(r"https?://\S+/buyer-membership/letter/\S+/", message.body)
    return urlsplit(match.group()).path if match else None


def cleaned(make, **fields):
    """An application made by code, its letter cleaned by the background job as an upload's is."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        application = make(**fields)
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_queued_tasks()
    application.refresh_from_db()
    return application


def confirmation_to(address):
    return next(message for message in mail.outbox if message.to == [address])


# --- Sent with the application --------------------------------------------------------------------


def test_pdf_letter_sent_with_the_form_is_kept_privately_under_a_random_name(client):
    response = apply(client, letter=upload(LETTER_NAME, letter_pdf()))

    assert response.status_code == 302
    application = MembershipApplication.objects.get()
    assert application.letter_original_name == LETTER_NAME
    assert application.letter_received_at is not None
    assert re.fullmatch(r"letters/[0-9a-f]{32}\.pdf", application.letter.name)
    assert PdfReader(io.BytesIO(stored_letter(application))).pages[0].get_contents().get_data().startswith(b"BT")
    with pytest.raises(ValueError):
        application.letter.url  # noqa: B018 - private: no address at all
    confirmation = confirmation_to(application.contact_email)
    assert "We have received the signed letter of support" in confirmation.body
    assert upload_link(confirmation) is None


def test_form_says_the_letter_is_optional_and_can_be_sent_later_in_both_languages(client):
    english = parse_page(client.get("/buyer-membership/"))
    chinese = parse_page(client.get("/zh/buyer-membership/"))

    box = english.find("input", name="letter")
    assert box.attrs["type"] == "file" and "required" not in box.attrs
    assert "application/pdf" in box.attrs["accept"]
    assert english.find("form", class_="membership-form").attrs["enctype"] == "multipart/form-data"
    assert "send it later: the confirmation email has a link" in english.find(id="id_letter_helptext").text
    assert "确认邮件" in chinese.find(id="id_letter_helptext").text


@pytest.mark.parametrize(
    ("name", "content", "image_format", "extension"),
    [
        ("scan.jpg", phone_photo(400, 300), "JPEG", "jpg"),
        ("scan.png", photo_like(400, 300, "PNG"), "PNG", "png"),
        # Renamed: what it is counts, not what it is called.
        ("letter.pdf", photo_like(400, 300, "PNG"), "PNG", "png"),
    ],
)
def test_an_image_letter_is_re_encoded_without_its_metadata(client, name, content, image_format, extension):
    apply(client, letter=upload(name, content, "image/jpeg"))

    application = MembershipApplication.objects.get()
    assert application.letter.name.endswith(f".{extension}")
    assert application.letter_download_name() == f"{name.rsplit('.', 1)[0]}.{extension}"
    with Image.open(io.BytesIO(stored_letter(application))) as stored:
        assert stored.format == image_format
        assert not stored.getexif() and "xmp" not in stored.info


@pytest.mark.parametrize(
    ("appended", "image_format"),
    [(letter_pdf(javascript=True), "JPEG"), (b"<html><script>alert('x')</script></html>", "PNG")],
    ids=["jpeg-with-a-pdf-appended", "png-with-html-appended"],
)
def test_a_polyglot_image_keeps_only_its_pixels(client, appended, image_format):
    polyglot = photo_like(300, 200, image_format) + appended

    apply(client, letter=upload("letter.jpg", polyglot))

    stored = stored_letter(MembershipApplication.objects.get())
    assert b"%PDF" not in stored and b"<script" not in stored and b"alert" not in stored
    assert Image.open(io.BytesIO(stored)).format == image_format


@pytest.mark.parametrize(
    "active", ["javascript", "attachment", "page_actions"], ids=["opening-script", "attached-file", "page-actions"]
)
def test_a_pdf_with_scripts_or_attached_files_is_kept_without_them(client, active):
    apply(client, letter=upload("letter.pdf", letter_pdf(**{active: True})))

    stored = stored_letter(MembershipApplication.objects.get())
    reader = PdfReader(io.BytesIO(stored))
    assert len(reader.pages) == 1 and not reader.attachments
    for name in (b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/EmbeddedFile", b"/FileAttachment", b"alert"):
        assert name not in stored
    assert b"MZ-attached-payload" not in stored


def test_a_pdf_anyone_may_open_but_not_edit_is_kept_unprotected(client):
    apply(client, letter=upload("letter.pdf", letter_pdf(password="")))

    reader = PdfReader(io.BytesIO(stored_letter(MembershipApplication.objects.get())))
    assert not reader.is_encrypted and len(reader.pages) == 1


def test_a_pdf_with_anything_appended_is_kept_without_it(client):
    apply(client, letter=upload("letter.pdf", letter_pdf() + b"\n<html><script>alert('x')</script></html>"))

    stored = stored_letter(MembershipApplication.objects.get())
    assert b"<script" not in stored and PdfReader(io.BytesIO(stored)).pages


def blank_scan(width, height):
    """A black-and-white PNG: a few kilobytes however many pixels it has."""
    buffer = io.BytesIO()
    Image.new("1", (width, height), 1).save(buffer, "PNG")
    return buffer.getvalue()


BAD_LETTERS = {
    "renamed-executable": (
        "letter.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
        "This file is not a PDF, JPEG or PNG, whatever its name says.",
        "无论文件名如何，此文件都不是 PDF、JPEG 或 PNG 文件。",
    ),
    "renamed-html-page": (
        "letter.pdf",
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
        "This file is not a PDF, JPEG or PNG, whatever its name says.",
        "无论文件名如何，此文件都不是 PDF、JPEG 或 PNG 文件。",
    ),
    "gifar": (
        "letter.png",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" + b"PK\x03\x04" + b"\x00" * 60,
        "This file is not a PDF, JPEG or PNG, whatever its name says.",
        "无论文件名如何，此文件都不是 PDF、JPEG 或 PNG 文件。",
    ),
    "truncated-pdf": (
        "letter.pdf",
        letter_pdf()[:300],
        "This PDF is damaged or incomplete",
        "此 PDF 文件已损坏或不完整",
    ),
    "pdf-header-on-something-else": (
        "letter.pdf",
        b"%PDF-1.7\n<html><script>alert(1)</script></html>\n%%EOF",
        "This PDF is damaged or incomplete",
        "此 PDF 文件已损坏或不完整",
    ),
    "pdf-with-a-password": (
        "letter.pdf",
        letter_pdf(password="secret"),
        "This PDF is protected by a password.",
        "此 PDF 文件设有密码保护。",
    ),
    "too-many-pixels": (
        "scan.png",
        blank_scan(8000, 6000),
        "This image is 8000 × 6000 pixels, more than 40 megapixels.",
        "此图片为 8000 × 6000 像素，超过 40 百万像素。",
    ),
    "empty-file": ("letter.pdf", b"", "This file is empty.", "此文件是空的。"),
    "eleven-megabytes": (
        "letter.pdf",
        letter_pdf() + b"%" * (11 * 1024 * 1024),
        "This file is 11.0 MB; a letter may be at most 10.0 MB.",
        "此文件大小为 11.0 MB；支持函最大为 10.0 MB。",
    ),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(("name", "content", "english", "chinese"), BAD_LETTERS.values(), ids=BAD_LETTERS.keys())
def test_a_bad_letter_is_refused_in_the_visitors_language_keeping_everything_else(
    client, private_media_root, language, name, content, english, chinese
):
    url = "/zh/buyer-membership/" if language == "zh-hans" else "/buyer-membership/"

    response = apply(client, letter=upload(name, content), url=url, company_name="Bright Toys 光明玩具")

    assert response.status_code == 200
    assert MembershipApplication.objects.count() == 0
    [error] = letter_errors(response)
    assert (chinese if language == "zh-hans" else english) in error
    # The file must be chosen again (a browser never sends it back): the message says so.
    assert ("重新选择" if language == "zh-hans" else "choose") in error
    assert error in " ".join(summary_texts(response))
    page = parse_page(response)
    assert page.find("input", name="company_name").attrs["value"] == "Bright Toys 光明玩具"
    assert page.find("input", name="contact_email").attrs["value"] == "mei.chan@bright-toys.example.com"
    assert page.find("textarea", name="message").text.strip() == "We would like to join before the spring fair."
    assert not any(path.is_file() for path in private_media_root.rglob("*"))


def test_a_letter_on_a_form_with_other_mistakes_must_be_chosen_again_and_the_form_says_so(client):
    response = apply(client, letter=upload("letter.pdf", letter_pdf()), contact_email="not an address")

    assert MembershipApplication.objects.count() == 0
    help_text = parse_page(response).find(id="id_letter_helptext").text
    assert "The letter is looked at only once every other answer is right" in help_text
    assert "please choose it again" in help_text


def test_a_form_with_a_mistake_is_rendered_for_its_visitor_and_the_blank_form_stays_blank(client):
    apply(client, letter=upload("letter.pdf", b""), company_name="Only In This Form")

    blank = client.get("/buyer-membership/")

    assert "Only In This Form" not in blank.content.decode()
    assert "This file is empty" not in blank.content.decode()


# --- Sent later, through the emailed link --------------------------------------------------------


def applied_without_letter(client, django_capture_on_commit_callbacks, url="/buyer-membership/"):
    apply(client, url=url)
    application = MembershipApplication.objects.get()
    return application, upload_link(confirmation_to(application.contact_email))


def test_confirmation_without_a_letter_gives_a_personal_link_that_takes_the_letter(
    client, django_capture_on_commit_callbacks
):
    application, link = applied_without_letter(client, django_capture_on_commit_callbacks)

    assert link.startswith("/buyer-membership/letter/")
    assert str(application.pk) not in link.removeprefix("/buyer-membership/letter/").split(":")[1:]
    page = client.get(link)
    assert page.status_code == 200
    assert "Upload your signed letter of support" in page.content.decode()
    assert "Bright Toys Ltd" in page.content.decode()
    assert 'name="robots" content="noindex, nofollow"' in page.content.decode()
    assert "no-store" in page["Cache-Control"]

    response = client.post(link, {"letter": upload("signed.pdf", letter_pdf())})

    assert response.status_code == 200
    assert "Thank you: we have your signed letter" in response.content.decode()
    application.refresh_from_db()
    assert application.letter_original_name == "signed.pdf" and application.letter.name.endswith(".pdf")


def test_chinese_applicant_gets_the_link_to_the_chinese_page(client, django_capture_on_commit_callbacks):
    application, link = applied_without_letter(client, django_capture_on_commit_callbacks, url="/zh/buyer-membership/")

    assert link.startswith("/zh/buyer-membership/letter/")
    assert "请在此处上传" in confirmation_to(application.contact_email).body
    page = client.get(link).content.decode()
    assert "上传已签署的支持函" in page and 'lang="zh-Hans"' in page
    # The English page is one step away.
    assert client.get(link.removeprefix("/zh")).status_code == 200


def test_the_link_used_again_says_the_letter_is_already_here_and_keeps_the_first(
    client, django_capture_on_commit_callbacks
):
    application, link = applied_without_letter(client, django_capture_on_commit_callbacks)
    client.post(link, {"letter": upload("first.pdf", letter_pdf())})
    first = MembershipApplication.objects.get().letter.name

    again = client.get(link)
    second = client.post(link, {"letter": upload("second.pdf", letter_pdf(pages=2))})

    for response in (again, second):
        assert response.status_code == 200
        assert "We already have your letter" in response.content.decode()
    application.refresh_from_db()
    assert application.letter.name == first and application.letter_original_name == "first.pdf"


def test_a_bad_file_on_the_upload_page_is_refused_there_in_the_applicants_language(
    client, django_capture_on_commit_callbacks
):
    application, link = applied_without_letter(client, django_capture_on_commit_callbacks, url="/zh/buyer-membership/")

    empty = client.post(link, {})
    executable = client.post(link, {"letter": upload("letter.pdf", b"MZ\x90\x00" + b"\x00" * 100)})

    assert "请选择要上传的已签署支持函。" in empty.content.decode()
    assert "此文件都不是 PDF、JPEG 或 PNG 文件" in executable.content.decode()
    application.refresh_from_db()
    assert not application.letter


def test_a_tampered_link_is_refused(client, django_capture_on_commit_callbacks):
    application, link = applied_without_letter(client, django_capture_on_commit_callbacks)
    other = make_application(contact_email="other@example.com")
    value, timestamp, signature = link.removeprefix("/buyer-membership/letter/").rstrip("/").split(":")

    for forged in [f"{other.pk}:{timestamp}:{signature}", f"{value}:{timestamp}:{signature[:-2]}xx", "1", "x" * 200]:
        response = client.post(f"/buyer-membership/letter/{forged}/", {"letter": upload("l.pdf", letter_pdf())})
        assert response.status_code == 404
        assert "This upload link is not valid" in response.content.decode()
    assert not MembershipApplication.objects.exclude(letter="").exists()


def test_an_expired_link_is_refused_with_what_to_do_instead(client):
    application = make_application()

    class SignedLongAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - (UPLOAD_LINK_MAX_AGE_DAYS * 24 + 1) * 60 * 60)

    token = SignedLongAgo(salt=UPLOAD_LINK_SALT).sign(str(application.pk))
    response = client.post(f"/buyer-membership/letter/{token}/", {"letter": upload("l.pdf", letter_pdf())})

    assert response.status_code == 410
    assert "This upload link has expired" in response.content.decode()
    assert "reply to the confirmation email" in response.content.decode()
    application.refresh_from_db()
    assert not application.letter


@pytest.mark.parametrize("status", ["approved", "declined"])
def test_a_link_for_a_decided_application_is_refused(client, status):
    application = make_application(status=status, language="zh-hans")

    response = client.post(
        f"/zh/buyer-membership/letter/{upload_link_token(application)}/", {"letter": upload("l.pdf", letter_pdf())}
    )

    assert response.status_code == 410
    assert "此申请已有结果" in response.content.decode()
    application.refresh_from_db()
    assert not application.letter


# --- Downloaded by staff --------------------------------------------------------------------------


@pytest.fixture
def application_with_letter(client):
    apply(client, letter=upload(LETTER_NAME, letter_pdf()))
    return MembershipApplication.objects.get()


def download_url(application):
    return f"/admin/membership/membershipapplication/{application.pk}/letter/"


def test_staff_download_the_letter_as_an_attachment_the_browser_does_not_run(staff_client, application_with_letter):
    change_page = staff_client.get(f"/admin/membership/membershipapplication/{application_with_letter.pk}/change/")
    assert f'href="{download_url(application_with_letter)}"' in change_page.content.decode()
    assert "Download letter" in change_page.content.decode()

    response = staff_client.get(download_url(application_with_letter))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored_letter(application_with_letter)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename")
    assert "Bright%20Toys.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.parametrize(
    ("sent_as", "header"),
    [
        ("支持函 已签署.pdf", "filename*=utf-8''%E6%94%AF%E6%8C%81%E5%87%BD%20%E5%B7%B2%E7%AD%BE%E7%BD%B2.pdf"),
        ('quote" and\r\nSet-Cookie: x=1.pdf', 'filename="quote\\" andSet-Cookie: x=1.pdf"'),
        ("no extension", 'filename="no extension.pdf"'),
    ],
)
def test_the_download_is_named_as_sent_whatever_the_name_holds(staff_client, sent_as, header):
    application = cleaned(make_application, letter=ContentFile(letter_pdf(), name=sent_as))

    response = staff_client.get(download_url(application))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f"attachment; {header}"


def test_staff_find_the_applications_whose_letter_has_come(staff_client, application_with_letter):
    make_application(company_name="Still Waiting Ltd", contact_email="waiting@example.com")
    url = "/admin/membership/membershipapplication/"

    received = staff_client.get(url, {"letter": "received"}).content.decode()
    awaited = staff_client.get(url, {"letter": "awaited"}).content.decode()

    assert "Bright Toys Ltd" in received and "Still Waiting Ltd" not in received
    assert "Still Waiting Ltd" in awaited and "Bright Toys Ltd" not in awaited


def test_the_change_page_says_when_no_letter_has_come(staff_client):
    application = make_application()

    page = staff_client.get(f"/admin/membership/membershipapplication/{application.pk}/change/").content.decode()

    assert "Not received yet" in page
    assert staff_client.get(download_url(application)).status_code == 404


@pytest.mark.parametrize(
    ("admin", "erased", "not_received"),
    [("/admin/", "Erased with the personal data", "Not received yet"), ("/zh/admin/", "已随个人资料删除", "尚未收到")],
)
def test_the_change_page_says_an_erased_letter_was_erased_not_that_none_came(
    staff_client, application_with_letter, admin, erased, not_received
):
    personal_data.erase(application_with_letter)

    response = staff_client.get(f"{admin}membership/membershipapplication/{application_with_letter.pk}/change/")

    letter = parse_page(response).find(class_="field-letter_download").text
    assert erased in letter and not_received not in letter


def staff_member(django_user_model, *permissions):
    user = django_user_model.objects.create_user("reviewer", "reviewer@example.org", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    return user


def test_staff_without_permission_to_view_applications_are_refused(client, django_user_model, application_with_letter):
    client.force_login(staff_member(django_user_model, "view_newsstory"))

    assert client.get(download_url(application_with_letter)).status_code == 403
    assert client.get("/admin/membership/membershipapplication/999999/letter/").status_code == 403


def test_staff_allowed_to_view_applications_may_download(client, django_user_model, application_with_letter):
    client.force_login(staff_member(django_user_model, "view_membershipapplication"))

    assert client.get(download_url(application_with_letter)).status_code == 200


def test_no_guessable_address_serves_a_letter_to_a_visitor(client, settings, application_with_letter):
    """Wherever a visitor might look for the stored file, it is not there for them."""
    name = application_with_letter.letter.name  # letters/<random>.pdf
    stored = stored_letter(application_with_letter)
    root = settings.PRIVATE_MEDIA_ROOT
    guesses = [
        f"/media/{name}",
        f"/private-media/{name}",
        f"/static/{name}",
        f"/{name}",
        f"/zh/{name}",
        f"/media/..%2fprivate-media%2f{name}",
        f"/media/%2e%2e/private-media/{name}",
        f"/static/..%2f..%2fprivate-media%2f{name}",
        f"/media/{root.name}/{name}",
        f"/admin/membership/membershipapplication/{application_with_letter.pk}/letter/..%2f..%2f..%2f{name}",
    ]
    for guess in guesses:
        response = client.get(guess)
        if guess.startswith("/admin/"):  # the admin asks who is there before anything else
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), guess
        else:
            assert response.status_code in {403, 404}, guess
        assert stored not in b"".join(response) if response.streaming else stored not in response.content, guess

    # The download URL itself, without logging in: the login page, nothing of the letter.
    response = client.get(download_url(application_with_letter))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # And where /media/ is served by Django (DEBUG), a path that climbs out of it is refused.
    settings.MEDIA_ROOT = root.parent / "media"
    for path in [f"../{root.name}/{name}", f"..%2f{root.name}%2f{name}", str(root / name)]:
        with pytest.raises((Http404, SuspiciousFileOperation)):  # 404, or 400 in a request
            serve(None, path, document_root=settings.MEDIA_ROOT)


def test_letters_are_stored_outside_the_public_media(settings, application_with_letter):
    path = storages["private_letters"].path(application_with_letter.letter.name)

    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))


def test_a_letter_stored_by_code_is_checked_and_cleaned_like_an_upload(settings):
    application = cleaned(make_application, letter=ContentFile(phone_photo(300, 200), name="from-a-script.pdf"))

    assert application.letter.name.endswith(".jpg")
    assert not Image.open(io.BytesIO(stored_letter(application))).getexif()
    with pytest.raises(ValidationError):
        make_application(letter=ContentFile(b"<html></html>", name="letter.pdf"), contact_email="x@example.com")


def test_deleting_an_application_deletes_its_letter(application_with_letter, django_capture_on_commit_callbacks):
    storage, name = storages["private_letters"], application_with_letter.letter.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        application_with_letter.delete()

    assert not storage.exists(name)


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the suite's in-memory SQLite refuses a second writer at once (table locked); PostgreSQL runs it",
)
@pytest.mark.django_db(transaction=True)
def test_two_uploads_through_one_link_at_the_same_moment_keep_one_letter(private_media_root):
    """Real threads, each with its own database connection, released together: the row lock lets one in."""
    application = make_application()
    link = f"/buyer-membership/letter/{upload_link_token(application)}/"
    ready = threading.Barrier(2)
    answers = {}

    def send(name):
        client = Client()
        ready.wait(timeout=10)
        answers[name] = client.post(link, {"letter": upload(name, letter_pdf())})
        connection.close()

    threads = [threading.Thread(target=send, args=(name,)) for name in ("first.pdf", "second.pdf")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(response.status_code for response in answers.values()) == [200, 200]
    pages = sorted(response.content.decode() for response in answers.values())
    assert sum("Thank you: we have your signed letter" in page for page in pages) == 1
    assert sum("We already have your letter" in page for page in pages) == 1
    application.refresh_from_db()
    assert application.letter_original_name in {"first.pdf", "second.pdf"}
    assert [path.name for path in (private_media_root / "letters").iterdir()] == [application.letter.name.split("/")[1]]


def test_a_link_signed_before_the_secret_key_was_rotated_works_while_the_old_key_is_a_fallback(client, settings):
    application = make_application()
    settings.SECRET_KEY = "the-key-the-email-was-signed-with-" + "x" * 20
    link = f"/buyer-membership/letter/{upload_link_token(application)}/"
    settings.SECRET_KEY = "the-new-key-after-rotation-" + "y" * 30

    settings.SECRET_KEY_FALLBACKS = ["the-key-the-email-was-signed-with-" + "x" * 20]
    assert client.get(link).status_code == 200

    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(link).status_code == 404


# A visitor's 40-megapixel photo of their letter, cleaned as the form cleans it, in a process of its own: its peak
# resident memory (VmHWM; getrusage would report the test runner's peak, which forked it).
MEASURE_LETTER_PEAK_MEMORY = """
import io, sys
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from membership.letters import clean_letter
with open(sys.argv[1], "rb") as photo:
    content, _extension = clean_letter(SimpleUploadedFile("letter.jpg", photo.read()))
print(*Image.open(io.BytesIO(content)).size)
with open("/proc/self/status") as status:
    print(next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM:")))
"""


@pytest.mark.slow
def test_a_forty_megapixel_photo_of_the_letter_is_kept_legible_in_under_300_mb(tmp_path):
    photo = prepared.forty_megapixel_photo(tmp_path / "letter.jpg")
    result = subprocess.run(
        [sys.executable, "-c", MEASURE_LETTER_PEAK_MEMORY, str(photo)],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ietp_site.test_settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    size_line, peak_line = result.stdout.strip().splitlines()[-2:]
    width, height = map(int, size_line.split())
    # Decoded at half its size by the JPEG decoder: still wider than an A4 page scanned at 300 dpi.
    assert (width, height) == (4000, 2500)
    assert int(peak_line) < 300, f"{peak_line} MB"
