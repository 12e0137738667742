"""The newsroom publishes each language on its own: English goes live first, the Chinese draft is shown to a
reviewer through a preview link and then published; another editor restores an earlier revision from the
history; a renamed story keeps its old address, and readers download the PDF attached to it."""

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from site_shell.languages import site_language
from testkit.files import minimal_pdf
from tests.browser.conftest import DESKTOP
from tests.browser.editors import make_editor


@dataclass(frozen=True)
class Version:
    title: str
    slug: str  # what the admin fills in from the title
    summary: str


ENGLISH = Version(
    title="Twelve brands sign the audit pledge",
    slug="twelve-brands-sign-the-audit-pledge",
    summary="The brands will share their factory audit results with workers.",
)
CHINESE = Version(
    title="十二个品牌签署审核承诺",
    slug="十二个品牌签署审核承诺",
    summary="这些品牌将与工人分享工厂审核结果。",
)


def visitor_page(open_page):
    """A browser of its own, never logged in."""
    return open_page(DESKTOP)


def fill_version(page, version):
    """The translated fields of the language tab open: the slug is filled in from the title."""
    title = page.get_by_label("Title:")
    title.fill(version.title)
    title.press("Tab")
    expect(page.get_by_label("Slug:")).to_have_value(version.slug)
    page.get_by_label("Summary:").fill(version.summary)


def date_the_story_now(page):
    """The story's date and time, from the admin's "Today" and "Now" shortcuts (in the site's time zone)."""
    when = page.locator(".field-publish_at")
    when.get_by_role("link", name="Today").click()
    when.get_by_role("link", name="Now").click()
    # Django's date and time boxes have no label of their own, only the words "Date:" and "Time:" beside them.
    expect(page.locator("#id_publish_at_0")).to_have_value(timezone.localdate().isoformat())
    expect(page.locator("#id_publish_at_1")).not_to_have_value("")


def write_english_story_and_publish_it(page, version=ENGLISH):
    """Adds the story on the English tab, published in English and dated now; stays on its change form."""
    page.goto("/admin/news/newsstory/")
    page.get_by_role("link", name="Add news story").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add news story (English)")
    fill_version(page, version)
    page.get_by_label("Status in this language:").select_option(label="Published")
    date_the_story_now(page)
    save_and_continue(page, "was added successfully")
    expect(page.locator(".parler-language-tabs .current")).to_have_text("English · ● Published")


def save_and_continue(page, message, button="Save and continue editing"):
    """Saves the form with `button`; a published language's form has "Save draft" and "Publish" instead."""
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text(message)


def open_story_in_admin(page, title):
    page.goto("/admin/news/newsstory/")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_label("Title:")).to_have_value(title)


def in_chinese(message):
    """A message, or a lazy one, as a Chinese page shows it (whether or not it is translated yet)."""
    with translation.override("zh-hans"):
        return gettext(message) if isinstance(message, str) else str(message)


def expect_story_page(page, html_lang, title):
    expect(page.locator("html")).to_have_attribute("lang", html_lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_english_goes_live_first_and_chinese_is_previewed_as_a_draft_then_published_for_chinese_readers(
    news_site, open_page, page_logged_in_as, django_user_model
):
    editor = page_logged_in_as(make_editor(django_user_model, "mei"))
    write_english_story_and_publish_it(editor)

    # A translator adds the Chinese version later, as a draft.
    translator = page_logged_in_as(make_editor(django_user_model, "lin"))
    open_story_in_admin(translator, ENGLISH.title)
    translator.locator(".parler-language-tabs").get_by_role("link", name="Simplified Chinese").click()
    expect(translator.get_by_role("heading", level=1)).to_have_text(re.compile(r"\(Simplified Chinese\)$"))
    fill_version(translator, CHINESE)
    expect(translator.get_by_label("Status in this language:")).to_have_value("draft")
    save_and_continue(translator, "was changed successfully")
    expect(translator.locator(".parler-language-tabs .current")).to_have_text("Simplified Chinese · ○ Draft")

    # A Chinese reader gets the English version, labelled, and nothing of the draft.
    in_english_only = in_chinese(site_language("en").only_in_label)
    reader = visitor_page(open_page)
    reader.goto("/zh/news/")
    newest = reader.locator(".story-card").first
    expect(newest.locator(".story-card__title")).to_have_text(ENGLISH.title)
    expect(newest.locator(".language-label")).to_have_text(in_english_only)
    newest.get_by_role("link", name=ENGLISH.title).click()
    expect(reader).to_have_url(f"{news_site.url}/zh/news/{ENGLISH.slug}/")
    expect_story_page(reader, "zh-Hans", ENGLISH.title)
    expect(reader.locator("article.story")).to_have_attribute("lang", "en")
    expect(reader.locator("article.story .language-label")).to_have_text(in_english_only)
    expect(reader.get_by_text(CHINESE.title)).to_have_count(0)
    assert reader.goto(f"/zh/news/{quote(CHINESE.slug)}/").status == 404

    # The editor makes a preview link for the Chinese draft.
    editor.reload()  # the form the editor opened before the translator saved
    editor.locator(".parler-language-tabs").get_by_role("link", name="Simplified Chinese").click()
    this_language = editor.get_by_role("group", name="This language")
    this_language.get_by_role("button", name="Create a preview link for this language").click()
    expect(editor.locator(".messagelist")).to_contain_text("a preview link is created")
    preview_link = editor.get_by_role("group", name="This language").get_by_role("textbox", name="Preview link")
    expect(preview_link).to_have_value(re.compile(rf"^{re.escape(news_site.url)}/zh/news/preview/[^/]+/$"))
    preview_url = preview_link.input_value()

    # A reviewer without an account reads the Chinese draft, marked as not published and not for search engines.
    reviewer = visitor_page(open_page)
    reviewer.goto(preview_url)
    expect_story_page(reviewer, "zh-Hans", CHINESE.title)
    expect(reviewer.get_by_role("status")).to_contain_text(in_chinese("Preview — not published"))
    expect(reviewer.locator('meta[name="robots"]')).to_have_attribute("content", "noindex, nofollow")
    expect(reviewer.get_by_text(CHINESE.summary)).to_be_visible()

    # The editor publishes the Chinese version from the list.
    editor.goto("/admin/news/newsstory/")
    row = editor.get_by_role("row").filter(has=editor.get_by_role("link", name=ENGLISH.title, exact=True))
    expect(row).to_contain_text("中文 ○ Draft")
    row.get_by_role("checkbox").check()
    editor.get_by_label("Action:").select_option(label="Publish the 中文 version of the selected stories")
    editor.get_by_role("button", name="Go").click()
    expect(editor.locator(".messagelist")).to_contain_text("1 story published.")
    expect(row).to_contain_text("EN ● Published")
    expect(row).to_contain_text("中文 ● Published")

    # Now the Chinese reader gets the Chinese version, unlabelled, at its own address.
    reader.goto("/zh/news/")
    newest = reader.locator(".story-card").first
    expect(newest.locator(".story-card__title")).to_have_text(CHINESE.title)
    expect(newest.locator(".language-label")).to_have_count(0)
    newest.get_by_role("link", name=CHINESE.title).click()
    expect(reader).to_have_url(f"{news_site.url}/zh/news/{quote(CHINESE.slug)}/")
    expect_story_page(reader, "zh-Hans", CHINESE.title)
    # The English address on a Chinese page leads there too.
    reader.goto(f"/zh/news/{ENGLISH.slug}/")
    expect(reader).to_have_url(f"{news_site.url}/zh/news/{quote(CHINESE.slug)}/")

    # Published, the preview is no longer needed: once revoked, its link opens nothing.
    open_story_in_admin(editor, ENGLISH.title)
    editor.locator(".parler-language-tabs").get_by_role("link", name="Simplified Chinese").click()
    editor.get_by_role("group", name="This language").get_by_role("button", name="Revoke").click()
    expect(editor.locator(".messagelist")).to_contain_text("the preview link is revoked")
    expect(editor.get_by_role("textbox", name="Preview link")).to_have_count(0)
    assert reviewer.goto(preview_url).status == 404


def test_another_editor_compares_revisions_and_restores_the_first_into_the_draft_leaving_the_live_page(
    news_site, open_page, page_logged_in_as, django_user_model
):
    editor = page_logged_in_as(make_editor(django_user_model, "mei"))
    write_english_story_and_publish_it(editor)
    rewritten = Version(
        title="Forty brands sign the audit pledge",
        slug=ENGLISH.slug,  # a changed title keeps the address
        summary="The brands will share their audit results with workers and unions.",
    )
    editor.get_by_label("Title:").fill(rewritten.title)
    editor.get_by_label("Summary:").fill(rewritten.summary)
    save_and_continue(editor, "The EN version is published.", button="Publish")
    reader = visitor_page(open_page)
    reader.goto(f"/news/{ENGLISH.slug}/")
    expect_story_page(reader, "en", rewritten.title)

    second_editor = page_logged_in_as(make_editor(django_user_model, "alex"))
    open_story_in_admin(second_editor, rewritten.title)
    second_editor.get_by_role("link", name="History").click()
    revisions = second_editor.locator("#story-revisions")
    rows = revisions.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("mei")
    expect(rows.nth(0)).to_contain_text("EN: changed title, summary")
    expect(rows.nth(1)).to_contain_text("Created (EN)")

    # The two revisions compared, word by word: the latest one and the one before it are chosen.
    revisions.get_by_role("button", name="Compare the chosen revisions").click()
    title_change = second_editor.get_by_role("row").filter(
        has=second_editor.get_by_role("rowheader", name="Title", exact=True)
    )
    expect(title_change.locator("del")).to_have_text("Twelve")
    expect(title_change.locator("ins")).to_have_text("Forty")
    second_editor.go_back()

    rows.filter(has_text="Created (EN)").get_by_role("link", name="Restore into the draft…").click()
    expect(second_editor.get_by_text("The live page stays as it is until you press Publish")).to_be_visible()
    second_editor.get_by_role("button", name="Restore into the draft", exact=True).click()
    expect(second_editor.locator(".messagelist")).to_contain_text("is restored into the draft")
    expect(second_editor.get_by_label("Title:")).to_have_value(ENGLISH.title)
    expect(second_editor.get_by_label("Summary:")).to_have_value(ENGLISH.summary)
    expect(second_editor.locator(".parler-language-tabs .current")).to_have_text(
        re.compile(r"^English · ● Published · unpublished changes \(alex, ")
    )
    second_editor.get_by_role("link", name="History").click()
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("alex")
    expect(rows.nth(0)).to_contain_text("into the draft")

    # The live page stays as it was; the editor sees the restored text on its address, and publishes it.
    reader.goto(f"/news/{ENGLISH.slug}/")
    expect_story_page(reader, "en", rewritten.title)
    second_editor.goto(f"/news/{ENGLISH.slug}/")
    expect_story_page(second_editor, "en", ENGLISH.title)
    second_editor.goto("/admin/news/newsstory/")
    second_editor.get_by_role("link", name=rewritten.title, exact=True).click()
    expect(second_editor.get_by_label("Title:")).to_have_value(ENGLISH.title)  # the draft, to carry on from
    save_and_continue(second_editor, "The EN version is published.", button="Publish")
    reader.goto(f"/news/{ENGLISH.slug}/")
    expect_story_page(reader, "en", ENGLISH.title)


def test_a_renamed_story_keeps_its_old_address_and_readers_open_its_pdf(
    news_site, open_page, page_logged_in_as, django_user_model, media_root, tmp_path
):
    editor = page_logged_in_as(make_editor(django_user_model, "mei"))
    write_english_story_and_publish_it(editor)
    pdf = minimal_pdf("Audit pledge 2026")
    pdf_file = tmp_path / "Audit pledge 2026.pdf"
    pdf_file.write_bytes(pdf)
    # The documents inline is a table: its boxes are named by the column headings, not by labels.
    document = editor.get_by_role("group", name="Documents").locator("tbody tr").first
    document.locator(".field-title").get_by_role("textbox").fill("The audit pledge")
    expect(document.locator(".field-language_code").get_by_role("combobox")).to_have_value("en")
    document.locator(".field-file input[type=file]").set_input_files(pdf_file)
    save_and_continue(editor, "was changed successfully", button="Save draft")

    renamed_slug = "brands-sign-the-audit-pledge"
    editor.get_by_label("Slug:").fill(renamed_slug)
    save_and_continue(editor, "The EN version is published.", button="Publish")

    reader = visitor_page(open_page)
    old_address = f"/news/{ENGLISH.slug}/"
    assert reader.request.get(old_address, max_redirects=0).status == 301
    reader.goto(old_address)
    expect(reader).to_have_url(f"{news_site.url}/news/{renamed_slug}/")
    expect_story_page(reader, "en", ENGLISH.title)

    documents = reader.get_by_role("region", name="Documents")
    expect(documents).to_contain_text("The audit pledge (PDF, 1 KB)")
    # A PDF opens in the browser (other documents download): the link leads to the file itself, sent inline.
    link = documents.get_by_role("link", name="The audit pledge")
    expect(link).not_to_have_attribute("download", "")
    opened = reader.request.get(link.get_attribute("href"))
    assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
    assert opened.headers["content-disposition"].startswith("inline")
    assert opened.body() == pdf
