"""What readers see while the newsroom works, in both admin languages (issue 20): a correction to a live story is
invisible until Publish and live right after; restoring a revision changes no public page; another story's old
address is refused, or retired knowingly with its redirect kept until then; a preview link made with unsaved edits
shows them and loses nothing (nor does Revoke); an undated story published is dated today and listed first."""

import datetime
from urllib.parse import quote

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from news.models import NewsStory, StorySlugRedirect
from testkit.stories import make_story
from tests.browser.conftest import DESKTOP
from tests.browser.editors import make_editor

ADMINS = ["/admin/", "/zh/admin/"]
STORY = {
    "en": {"title": "Brands share audit results", "slug": "brands-share-audit-results", "summary": "In 12 factories."},
    "zh-hans": {"title": "品牌分享审核结果", "slug": "品牌分享审核结果", "summary": "在十二家工厂。"},
}
ENGLISH_PAGE = f"/news/{STORY['en']['slug']}/"
CHINESE_PAGE = f"/zh/news/{quote(STORY['zh-hans']['slug'])}/"


def say(admin, text):
    """`text` as the admin at `admin` shows it."""
    with translation.override("zh-hans" if admin.startswith("/zh/") else "en"):
        return gettext(text)


@pytest.fixture
def live_story(news_site):
    """A story published in both languages a week ago, among the old site's stories."""
    return make_story(STORY, publish_date=timezone.localdate() - datetime.timedelta(days=7))


def editor_in(page_logged_in_as, django_user_model):
    """A desktop browser logged in as an editor (the Editors group's permissions)."""
    return page_logged_in_as(make_editor(django_user_model, "mei"))


def open_story(page, admin, story, language="en"):
    page.goto(f"{admin}news/newsstory/{story.pk}/change/?language={language}")


def press(page, admin, button):
    page.get_by_role("button", name=say(admin, button), exact=True).click()


def heading_of(visitor, address):
    visitor.goto(address)
    return visitor.get_by_role("heading", level=1).inner_text()


@pytest.mark.parametrize("admin", ADMINS)
def test_a_correction_to_a_live_story_is_invisible_until_publish_and_live_right_after(
    live_story, open_page, page_logged_in_as, django_user_model, admin
):
    editor = editor_in(page_logged_in_as, django_user_model)
    visitor = open_page(DESKTOP)
    open_story(editor, admin, live_story)

    editor.locator("#id_title").fill("Brands share audit results, corrected")
    press(editor, admin, "Save draft")
    expect(editor.locator(".messagelist")).to_contain_text(
        say(
            admin,
            "Your changes to the %(language)s version are saved as a draft: readers see the published text until you "
            "press Publish.",
        )
        % {"language": "EN"}
    )

    assert heading_of(visitor, ENGLISH_PAGE) == STORY["en"]["title"]
    visitor.goto("/news/")
    expect(visitor.locator(".story-card__title").first).to_have_text(STORY["en"]["title"])

    press(editor, admin, "Publish")
    expect(editor.locator(".messagelist")).to_contain_text(
        say(admin, "The %(language)s version is published.") % {"language": "EN"}
    )
    assert heading_of(visitor, ENGLISH_PAGE) == "Brands share audit results, corrected"
    visitor.goto("/news/")
    expect(visitor.locator(".story-card__title").first).to_have_text("Brands share audit results, corrected")
    assert heading_of(visitor, CHINESE_PAGE) == STORY["zh-hans"]["title"]  # the other language is its own


@pytest.mark.parametrize("admin", ADMINS)
def test_restoring_a_revision_changes_no_public_page(
    live_story, open_page, page_logged_in_as, django_user_model, admin
):
    editor = editor_in(page_logged_in_as, django_user_model)
    for title in ["Brands share audit results again", "Forty brands share audit results"]:
        open_story(editor, admin, live_story)
        editor.locator("#id_title").fill(title)
        press(editor, admin, "Publish")
        expect(editor.locator(".messagelist")).to_be_visible()
    visitor = open_page(DESKTOP)
    before = (heading_of(visitor, ENGLISH_PAGE), heading_of(visitor, CHINESE_PAGE))
    assert before == ("Forty brands share audit results", STORY["zh-hans"]["title"])

    editor.goto(f"{admin}news/newsstory/{live_story.pk}/history/")
    editor.locator("#story-revisions tbody tr").nth(1).get_by_role(
        "link", name=say(admin, "Restore into the draft…")
    ).click()
    expect(editor.locator(".story-body-diff, .revision-compare table").first).to_be_visible()
    press(editor, admin, "Restore into the draft")
    expect(editor.locator(".messagelist").first).to_be_visible()
    open_story(editor, admin, live_story)
    expect(editor.locator("#id_title")).to_have_value("Brands share audit results again")  # the draft

    assert (heading_of(visitor, ENGLISH_PAGE), heading_of(visitor, CHINESE_PAGE)) == before


@pytest.mark.parametrize("admin", ADMINS)
def test_an_old_address_is_refused_then_retired_knowingly_its_redirect_kept_until_publish(
    live_story, open_page, page_logged_in_as, django_user_model, admin
):
    renamed = make_story({"en": {"title": "Audit deadlines", "slug": "audit-deadlines"}})
    renamed.set_current_language("en")
    renamed.slug = "audit-deadlines-2024"
    renamed.save()
    visitor = open_page(DESKTOP)
    assert visitor.request.get("/news/audit-deadlines/", max_redirects=0).status == 301

    editor = editor_in(page_logged_in_as, django_user_model)
    open_story(editor, admin, live_story)
    editor.locator("#id_slug").fill("audit-deadlines")
    press(editor, admin, "Save draft")
    expect(editor.locator(".errorlist")).to_contain_text("/news/audit-deadlines/")
    assert visitor.request.get("/news/audit-deadlines/", max_redirects=0).status == 301

    editor.locator("#id_retire_redirect").check()
    press(editor, admin, "Save draft")
    expect(editor.locator(".errorlist")).to_have_count(0)
    # Only a draft so far: readers' links still lead to the renamed story.
    redirect = visitor.request.get("/news/audit-deadlines/", max_redirects=0)
    assert redirect.status == 301 and redirect.headers["location"] == "/news/audit-deadlines-2024/"

    # Publishing retires the old address: asked again, beside the slug.
    editor.locator("#id_retire_redirect").check()
    press(editor, admin, "Publish")
    expect(editor.locator(".messagelist")).to_be_visible()
    assert heading_of(visitor, "/news/audit-deadlines/") == STORY["en"]["title"]
    assert not StorySlugRedirect.objects.filter(old_slug="audit-deadlines", story=renamed).exists()


@pytest.mark.parametrize("admin", ADMINS)
def test_a_preview_link_made_with_unsaved_edits_shows_them_and_revoke_loses_nothing(
    live_story, open_page, page_logged_in_as, django_user_model, admin
):
    editor = editor_in(page_logged_in_as, django_user_model)
    open_story(editor, admin, live_story)

    editor.locator("#id_summary").fill("Typed, not saved: now in forty factories.")
    press(editor, admin, "Create a preview link for this language")
    expect(editor.locator("#id_summary")).to_have_value("Typed, not saved: now in forty factories.")
    preview_url = editor.locator("textarea.preview-link").input_value()

    reviewer = open_page(DESKTOP)
    reviewer.goto(preview_url)
    expect(reviewer.get_by_text("Typed, not saved: now in forty factories.")).to_be_visible()
    reviewer.goto(ENGLISH_PAGE)
    expect(reviewer.get_by_text("In 12 factories.")).to_be_visible()
    expect(reviewer.get_by_text("now in forty factories")).to_have_count(0)

    editor.locator("#id_summary").fill("Typed again, then the link revoked.")
    press(editor, admin, "Revoke")
    expect(editor.locator(".messagelist")).to_be_visible()
    expect(editor.locator("#id_summary")).to_have_value("Typed again, then the link revoked.")
    expect(editor.locator("textarea.preview-link")).to_have_count(0)
    assert reviewer.goto(preview_url).status == 404


@pytest.mark.parametrize("admin", ADMINS)
def test_an_undated_story_published_is_dated_today_and_listed_first(
    news_site, open_page, page_logged_in_as, django_user_model, admin
):
    editor = editor_in(page_logged_in_as, django_user_model)
    editor.goto(f"{admin}news/newsstory/add/?language=en")
    editor.locator("#id_title").fill("Helpline answers in Bahasa")
    editor.locator("#id_title").press("Tab")
    expect(editor.locator("#id_slug")).to_have_value("helpline-answers-in-bahasa")
    expect(editor.locator("#id_publish_at_0")).to_have_value("")
    press(editor, admin, "Publish")
    expect(editor.locator(".messagelist")).to_be_visible()

    story = NewsStory.objects.get(translations__slug="helpline-answers-in-bahasa")
    assert timezone.localdate(story.publish_at) == timezone.localdate()  # in Hong Kong, the site's time zone
    visitor = open_page(DESKTOP)
    visitor.goto("/news/")
    expect(visitor.locator(".story-card__title").first).to_have_text("Helpline answers in Bahasa")
