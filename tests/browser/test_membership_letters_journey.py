"""A buyer sends the signed letter of support: attached to the application, or later from the emailed link."""

import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from membership.models import MembershipApplication
from testkit.files import letter_pdf, phone_photo
from tests.browser.buyer import CHINESE, CONTACT_EMAIL, ENGLISH, section
from tests.browser.buyer import fill_application_with_mistakes as fill_application_roughly

pytestmark = pytest.mark.usefixtures("private_media_root")


@dataclass(frozen=True)
class LetterWords:
    form: object  # the membership journey's words in this language
    apply_path: str
    letter_section: str
    letter_label: str
    letter_received_in_email: str
    upload_heading: str
    upload_button: str
    thanks: str
    already: str


ENGLISH_LETTER = LetterWords(
    form=ENGLISH,
    apply_path="/buyer-membership/",
    letter_section="Signed letter of support",
    letter_label="Signed letter of support",
    letter_received_in_email="We have received the signed letter of support you sent with your application.",
    upload_heading="Upload your signed letter of support",
    upload_button="Upload the letter",
    thanks="Thank you: we have your signed letter",
    already="We already have your letter",
)
CHINESE_LETTER = LetterWords(
    form=CHINESE,
    apply_path="/zh/buyer-membership/",
    letter_section="已签署的支持函",
    letter_label="已签署的支持函",
    letter_received_in_email="我们已收到您随申请一同发送的已签署支持函。",
    upload_heading="上传已签署的支持函",
    upload_button="上传支持函",
    thanks="谢谢：我们已收到您签署的支持函",
    already="我们已收到您的支持函",
)
BOTH = pytest.mark.parametrize("words", [ENGLISH_LETTER, CHINESE_LETTER], ids=["english", "chinese"])


def fill_application(page, words):
    """Every answer, right: the membership journey's filling, with its deliberate mistakes put right."""
    fill_application_roughly(page, words.form)
    company = section(page, words.form.your_company)
    company.get_by_label(words.form.company_name).fill("Bright Toys Ltd")
    company.get_by_label(words.form.website).fill("bright-toys.example.com")
    section(page, words.form.main_contact).get_by_label(words.form.contact_email).fill(CONTACT_EMAIL)
    section(page, words.form.commitments).get_by_label(words.form.consent).check()


def email_to(outbox, address, timeout=10):
    """The first email to `address`, waiting a little: it may be sent after the page has been answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(outbox):
            if address in message.to:
                return message
        time.sleep(0.1)
    raise AssertionError(f"No email to {address} in {timeout} s: {[message.to for message in outbox]}")


@BOTH
def test_buyer_applies_with_the_signed_letter_attached(membership_site, phone_page, words):
    page, outbox = phone_page, membership_site
    page.goto(words.apply_path)
    fill_application(page, words)
    letter = section(page, words.letter_section).get_by_label(words.letter_label)
    letter.set_input_files(files=[{"name": "letter-signed.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}])
    page.get_by_role("button", name=words.form.submit).click()

    expect(page).to_have_url(re.compile(r"/buyer-membership/thank-you/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(words.form.thanks)
    application = MembershipApplication.objects.get()
    assert application.language == words.form.language
    assert application.letter_original_name == "letter-signed.jpg"
    assert application.letter.name.endswith(".jpg")
    confirmation = email_to(outbox, CONTACT_EMAIL)
    assert words.letter_received_in_email in confirmation.body
    assert "/buyer-membership/letter/" not in confirmation.body


@BOTH
def test_buyer_applies_without_the_letter_and_uploads_it_from_the_emailed_link(
    membership_site, phone_page, assert_no_axe_violations, words
):
    page, outbox = phone_page, membership_site
    page.goto(words.apply_path)
    fill_application(page, words)
    page.get_by_role("button", name=words.form.submit).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words.form.thanks)
    application = MembershipApplication.objects.get()
    assert not application.letter

    confirmation = email_to(outbox, CONTACT_EMAIL)
    link = re.search(r"https?://\S+/buyer-membership/letter/\S+/", confirmation.body).group()
    # The link leads to this site, in the language applied in (the test server stands in for the real host).
    assert urlsplit(link).path.startswith(words.apply_path)
    page.goto(urlsplit(link).path)
    expect(page.locator("html")).to_have_attribute("lang", words.form.html_lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(words.upload_heading)
    assert_no_axe_violations(page)
    page.get_by_role("form").get_by_label(words.letter_label).set_input_files(
        files=[{"name": "Signed letter.pdf", "mimeType": "application/pdf", "buffer": letter_pdf(javascript=True)}]
    )
    page.get_by_role("button", name=words.upload_button).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words.thanks)
    application.refresh_from_db()
    assert application.letter_original_name == "Signed letter.pdf"
    with application.letter.open("rb") as stored:
        assert len(PdfReader(stored).pages) == 1
    # The link has done its work: opened again, it says so.
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", level=1)).to_have_text(words.already)
