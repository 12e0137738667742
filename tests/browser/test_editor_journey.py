"""An editor writes a story in the admin, in English then in Chinese, publishes it and finds it on the site."""

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.utils import timezone
from playwright.sync_api import expect

from news.models import NewsStory
from testkit.applications import make_application
from testkit.background import run_image_jobs
from testkit.files import phone_photo

EDITOR = {"username": "editor", "password": "correct horse battery staple"}


@dataclass(frozen=True)
class StoryText:
    title: str
    slug: str  # what the admin fills in from the title
    summary: str
    opening: str
    bold: str
    closing: str
    list_items: tuple[str, ...]
    image_alt: str


ENGLISH_STORY = StoryText(
    title="Factory Training Reaches 1,200 Workers",
    slug="factory-training-reaches-1200-workers",
    summary="Worker training on safety and rights went to twelve factories this spring.",
    opening="This spring, ",
    bold="1,200 workers",
    closing=" took part in training on safety and their rights.",
    list_items=("Dongguan", "Shenzhen"),
    image_alt="Workers in a training session on a factory floor",
)
CHINESE_STORY = StoryText(
    title="工厂培训覆盖一千二百名工人",
    slug="工厂培训覆盖一千二百名工人",
    summary="今年春季，十二家工厂开展了安全与权益培训。",
    opening="今年春季，",
    bold="一千二百名工人",
    closing="参加了安全与权益培训。",
    list_items=("东莞", "深圳"),
    image_alt="工人在工厂车间参加培训",
)


def log_in_to_the_admin(page):
    page.goto("/admin/")
    page.get_by_label("Username").fill(EDITOR["username"])
    page.get_by_label("Password").fill(EDITOR["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Stories and membership applications")).to_be_visible()


def type_story_body(page, story):
    """Types the body into the rich-text editor: a paragraph with bold words, then a bulleted list."""
    # The editor's contenteditable has no label of its own (the "Body" label points at its hidden textarea).
    editor = page.locator(".field-body [contenteditable=true]")
    editor.click()
    page.keyboard.insert_text(story.opening)
    toolbar_bold = page.get_by_role("button", name="bold", exact=True)
    toolbar_bold.click()
    page.keyboard.insert_text(story.bold)
    toolbar_bold.click()
    page.keyboard.insert_text(story.closing)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="unordered list", exact=True).click()
    for number, item in enumerate(story.list_items):
        if number:
            page.keyboard.press("Enter")
        page.keyboard.insert_text(item)
    expect(editor.locator("strong")).to_have_text(story.bold)
    expect(editor.locator("ul > li")).to_have_text(list(story.list_items))


def fill_story_form(page, story, photo=None):
    """The translated fields of the story form, in the language tab that is open, and a photo to upload."""
    title = page.get_by_label("Title:")
    title.fill(story.title)
    # Django's prepopulate script writes the slug from the title when the title changes (leaving the field).
    title.press("Tab")
    expect(page.get_by_label("Slug:")).to_have_value(story.slug)
    page.get_by_label("Summary:").fill(story.summary)
    type_story_body(page, story)
    if photo:
        page.get_by_label("Featured image:").set_input_files(
            files=[{"name": "IMG_0042.JPG", "mimeType": "image/jpeg", "buffer": photo}]
        )
    page.get_by_label("Image description (alt text):").fill(story.image_alt)


def publish_this_language(page):
    page.get_by_label("Status in this language:").select_option(label="Published")


def date_the_story_now(page):
    """The story's date and time boxes, filled by the admin's "Today" and "Now" shortcuts (site time zone)."""
    when = page.locator(".field-publish_at")
    when.get_by_role("link", name="Today").click()
    when.get_by_role("link", name="Now").click()
    # Django's date and time boxes have no label of their own, only the words "Date:" and "Time:" beside them.
    expect(page.locator("#id_publish_at_0")).to_have_value(timezone.localdate().isoformat())
    expect(page.locator("#id_publish_at_1")).not_to_have_value("")


def expect_story_page(page, story, html_lang):
    expect(page.locator("html")).to_have_attribute("lang", html_lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(story.title)
    body = page.locator("article")
    expect(body.locator("strong")).to_have_text(story.bold)
    expect(body.locator("p", has=page.locator("strong"))).to_have_text(story.opening + story.bold + story.closing)
    expect(body.locator("ul > li")).to_have_text(list(story.list_items))
    photo = page.get_by_role("img", name=story.image_alt)
    expect(photo).to_be_visible()
    # The browser really loaded a rendition, served without the phone's location data.
    assert photo.evaluate("image => image.complete && image.naturalWidth") > 0
    served = page.request.get(photo.evaluate("image => image.currentSrc"))
    assert served.ok and b"GPS" not in served.body() and b"PhoneMaker" not in served.body()


def test_editor_writes_an_illustrated_story_in_both_languages_and_publishes_it_on_the_site(
    news_site, desktop_page, django_user_model, media_root
):
    page = desktop_page
    django_user_model.objects.create_superuser(email="editor@example.org", **EDITOR)
    log_in_to_the_admin(page)

    page.get_by_role("link", name="News stories").click()
    page.get_by_role("link", name="Add news story").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add news story (English)")
    fill_story_form(page, ENGLISH_STORY, photo=phone_photo(3000, 2000))
    publish_this_language(page)
    date_the_story_now(page)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator(".field-image_preview")).to_contain_text("Processing… (reload to see it)")
    run_image_jobs()  # the worker makes the photo's clean copy and renditions

    page.get_by_role("link", name="Simplified Chinese").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"\(Simplified Chinese\)$"))
    fill_story_form(page, CHINESE_STORY)
    publish_this_language(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    story = NewsStory.objects.get(translations__slug=ENGLISH_STORY.slug)
    assert sorted(story.get_available_languages()) == ["en", "zh-hans"]
    assert {version.language_code: version.status for version in story.translations.all()} == {
        "en": NewsStory.Status.PUBLISHED,
        "zh-hans": NewsStory.Status.PUBLISHED,
    }

    page.goto("/news/")
    expect(page.locator(".story-card__title").first).to_have_text(ENGLISH_STORY.title)
    page.get_by_role("link", name=ENGLISH_STORY.title).click()
    expect(page).to_have_url(f"{news_site.url}/news/{ENGLISH_STORY.slug}/")
    expect_story_page(page, ENGLISH_STORY, "en")

    page.goto("/zh/news/")
    expect(page.locator(".story-card__title").first).to_have_text(CHINESE_STORY.title)
    page.get_by_role("link", name=CHINESE_STORY.title).click()
    expect(page).to_have_url(f"{news_site.url}/zh/news/{quote(CHINESE_STORY.slug)}/")
    expect_story_page(page, CHINESE_STORY, "zh-Hans")


def expect_every_column_in_view(page):
    """The list's table fits beside the filters: no column is cut off behind a horizontal scroll bar."""
    results = page.locator("#changelist-form .results")
    expect(page.locator("#result_list tbody tr").first).to_be_visible()
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth"), "the list scrolls sideways"


def test_the_story_and_application_lists_fit_a_1280_px_screen(news_site, desktop_page, django_user_model):
    page = desktop_page
    editor = django_user_model.objects.create_superuser(email="editor@example.org", **EDITOR)
    make_application(
        company_name="Worldwide Plush and Seasonal Novelty Importers International Incorporated",
        headquarters_country="US",
        status="information_needed",
        assigned_to=editor,
        contact_email="alexandra.whitfield-smythe@worldwide-plush-importers.example.com",
    )
    make_application(company_name="明亮玩具有限公司", language="zh-hans", contact_email="chen@example.cn")
    log_in_to_the_admin(page)

    for admin in ["/admin/", "/zh/admin/"]:
        page.goto(f"{admin}news/newsstory/")
        expect_every_column_in_view(page)
        # The seed's longest title ("IETP joins hundreds of UK organisations...") takes two lines at most.
        for title in page.locator("#result_list .field-title_in_any_language a").all():
            assert title.evaluate("link => link.offsetHeight <= 2.5 * parseFloat(getComputedStyle(link).lineHeight)")

        page.goto(f"{admin}membership/membershipapplication/")
        expect_every_column_in_view(page)
