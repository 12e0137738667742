"""A buyer applies for membership on a phone, in English and in Chinese: mistakes, corrections, thank-you."""

import re

import pytest
from playwright.sync_api import expect

from membership.models import MembershipApplication
from testkit.applications import MEMBERSHIP_STAFF, emails_when_sent
from tests.browser.buyer import (
    ANSWERS,
    CHINESE,
    CONTACT_EMAIL,
    ENGLISH,
    MESSAGE,
    TYPED_EMAIL,
    TYPED_WEBSITE,
    fill_application_with_mistakes,
    section,
)


def expect_field_error(field, message):
    """The field is marked invalid, and a screen reader reads the error with it (aria-describedby)."""
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(re.escape(message)))


def expect_answers_kept(page, words):
    company = section(page, words.your_company)
    expect(company.get_by_label(words.company_name)).to_have_value("")
    expect(company.get_by_label(words.brand_names)).to_have_value(ANSWERS["brand_names"])
    expect(company.get_by_label(words.website)).to_have_value(TYPED_WEBSITE)
    expect(company.get_by_label(words.headquarters)).to_have_value(ANSWERS["headquarters_country"])
    expect(company.get_by_label(words.brand, exact=True)).to_be_checked()
    expect(page.get_by_label(words.toys, exact=True)).to_be_checked()
    expect(page.get_by_label(words.seasonal, exact=True)).to_be_checked()
    expect(page.get_by_label(words.annual_sales)).to_have_value(ANSWERS["annual_sales"])
    expect(page.get_by_label(words.factory_count)).to_have_value(ANSWERS["supplier_factory_count"])
    countries = page.get_by_role("group", name=words.supplier_countries)
    expect(countries.get_by_label(words.china, exact=True)).to_be_checked()
    expect(countries.get_by_label(words.sri_lanka, exact=True)).to_be_checked()
    expect(countries.get_by_label(words.sri_lanka, exact=True)).to_be_visible()  # its list comes back unfolded
    contact = section(page, words.main_contact)
    expect(contact.get_by_label(words.contact_name)).to_have_value(ANSWERS["contact_name"])
    expect(contact.get_by_label(words.contact_email)).to_have_value(TYPED_EMAIL)
    expect(contact.get_by_label(words.contact_phone)).to_have_value(ANSWERS["contact_phone"])
    executive = section(page, words.executive)
    expect(executive.get_by_label(words.executive_email)).to_have_value(ANSWERS["executive_email"])
    about = section(page, words.about_you)
    expect(about.get_by_label(words.yes, exact=True)).to_be_checked()
    expect(about.get_by_label(words.association_name)).to_have_value(ANSWERS["toy_association_name"])
    expect(about.get_by_label(words.message)).to_have_value(MESSAGE)
    commitments = section(page, words.commitments)
    expect(commitments.get_by_label(words.agree)).to_be_checked()
    expect(commitments.get_by_label(words.consent)).not_to_be_checked()


@pytest.mark.parametrize("words", [ENGLISH, CHINESE], ids=["english", "chinese"])
def test_buyer_corrects_mistakes_the_form_points_out_and_applies_on_a_phone(membership_site, phone_page, words):
    page, outbox = phone_page, membership_site
    page.goto(words.news_path)
    if words.way_in == "footer":
        page.get_by_role("contentinfo").get_by_role("link", name=words.way_in_link).click()
    else:
        page.get_by_role("banner").get_by_role("link", name=words.way_in_link).click()
    expect(page).to_have_url(re.compile(r"/buyer-membership/$"))
    expect(page.locator("html")).to_have_attribute("lang", words.html_lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(words.heading)

    fill_application_with_mistakes(page, words)
    page.get_by_role("button", name=words.submit).click()

    # The summary is announced and takes the focus, so the buyer hears what went wrong at once.
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text(words.four_mistakes)
    links = summary.get_by_role("link")
    expect(links).to_have_count(4)
    expect(page).to_have_title(re.compile(r"^(Error:|错误：)"))
    assert MembershipApplication.objects.count() == 0

    company = section(page, words.your_company)
    contact = section(page, words.main_contact)
    consent = section(page, words.commitments).get_by_label(words.consent)
    mistakes = [
        (company.get_by_label(words.company_name), words.required),
        (company.get_by_label(words.website), words.bad_url),
        (contact.get_by_label(words.contact_email), words.bad_email),
        (consent, words.consent_needed),
    ]
    for number, (field, message) in enumerate(mistakes):
        expect_field_error(field, message)
        # Each summary link names the mistake and leads to its field.
        expect(links.nth(number)).to_contain_text(message)
        links.nth(number).click()
        expect(field).to_be_focused()
    expect_answers_kept(page, words)

    company.get_by_label(words.company_name).fill(ANSWERS["company_name"])
    company.get_by_label(words.website).fill("bright-toys.example.com")
    contact.get_by_label(words.contact_email).fill(CONTACT_EMAIL)
    consent.check()
    page.get_by_role("button", name=words.submit).click()

    expect(page).to_have_url(re.compile(r"/buyer-membership/thank-you/$"))
    expect(page.locator("html")).to_have_attribute("lang", words.html_lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(words.thanks)
    # The page says where the confirmation will go, without the address in the URL.
    expect(page.get_by_role("listitem").filter(has_text=CONTACT_EMAIL)).to_be_visible()
    assert CONTACT_EMAIL not in page.url

    application = MembershipApplication.objects.get()
    assert application.language == words.language
    assert application.company_name == ANSWERS["company_name"]
    assert application.website == ANSWERS["website"]
    assert application.contact_email == CONTACT_EMAIL
    assert application.product_categories == ANSWERS["product_categories"]
    assert [str(country) for country in application.supplier_countries] == ["CN", "LK"]
    # Browsers send a textarea's line breaks as CRLF.
    assert application.message.splitlines() == MESSAGE.splitlines()
    # The emails go out after the response, while the browser loads the thank-you page.
    confirmation, staff_notification = emails_when_sent(application, outbox, 2)
    assert confirmation.to == [CONTACT_EMAIL]
    assert confirmation.subject == words.confirmation_subject
    # Sent before the address is confirmed: it names the applicant but repeats nothing else they typed.
    assert ANSWERS["contact_name"] in confirmation.body and ANSWERS["company_name"] not in confirmation.body
    assert staff_notification.to == MEMBERSHIP_STAFF
    assert staff_notification.reply_to == [CONTACT_EMAIL]
