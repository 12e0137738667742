"""The editors' workflow through the real admin pages."""

import datetime
import importlib
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from news.models import NewsStory, StorySlugRedirect
from testkit.files import photo_like
from testkit.pages import parse_page
from testkit.stories import story_form

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/news/newsstory/add/"
LIST_URL = "/admin/news/newsstory/"
DRAFT = {
    "title": "Family-Friendly Spaces expand",
    "summary": "18 factories this summer.",
    "body": "691 children and 788 parents together for the summer.",
    "status": "draft",
    "publish_date": "2023-05-04",
    "dateline": "4 May 2023, Hong Kong",
}


def draft_form(**changes):
    """The add form for a draft of "Family-Friendly Spaces expand", as an editor fills it in."""
    return story_form(**(DRAFT | changes))


def test_editor_writes_a_bilingual_story_publishes_it_and_sees_it_on_the_site(staff_client):
    add_page = staff_client.get(ADD_URL + "?language=en")
    assert add_page.status_code == 200
    assert "简体中文" in add_page.content.decode() or "Simplified Chinese" in add_page.content.decode()

    response = staff_client.post(ADD_URL + "?language=en", draft_form())
    assert response.status_code == 302
    story = NewsStory.objects.get()
    assert story.translations.get().status == "draft"

    chinese = draft_form(
        title="家庭友好空间扩展", slug="家庭友好空间扩展", summary="今年夏天18家工厂。", body="", dateline=""
    )
    change_url = f"{LIST_URL}{story.pk}/change/?language=zh-hans"
    assert staff_client.post(change_url, chinese).status_code == 302
    assert sorted(story.get_available_languages()) == ["en", "zh-hans"]

    visitor = Client()
    assert visitor.get("/news/family-friendly-spaces-expand/").status_code == 404

    published = staff_client.post(LIST_URL, {"action": "publish_all", "_selected_action": [story.pk]}, follow=True)
    assert "1 story published." in published.content.decode()

    english_page = visitor.get("/news/family-friendly-spaces-expand/").content.decode()
    chinese_page = visitor.get("/zh/news/家庭友好空间扩展/").content.decode()
    assertInHTML("<h1>Family-Friendly Spaces expand</h1>", english_page)
    assertInHTML("<h1>家庭友好空间扩展</h1>", chinese_page)
    assert "家庭友好空间扩展" in visitor.get("/zh/news/").content.decode()

    unpublished = staff_client.post(
        LIST_URL, {"action": "unpublish_all", "_selected_action": [story.pk], "confirmed": "1"}, follow=True
    )
    assert "1 story unpublished." in unpublished.content.decode()
    assert visitor.get("/news/family-friendly-spaces-expand/").status_code == 410
    assert "Family-Friendly Spaces expand" not in visitor.get("/news/").content.decode()


@pytest.mark.parametrize("action", ["publish_all", "unpublish_all", "publish_en", "unpublish_en"])
def test_publishing_from_the_list_dates_the_change_in_the_feed_and_sitemap(staff_client, make_story, client, action):
    story = make_story({"en": "Dated change"}, status="draft" if action.startswith("publish") else "published")
    NewsStory.objects.filter(pk=story.pk).update(updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))

    staff_client.post(LIST_URL, {"action": action, "_selected_action": [story.pk], "confirmed": "1"})

    story.refresh_from_db()
    # Today in the site's time zone (the process's date differs from UTC's around midnight in Hong Kong).
    today = timezone.localdate()
    assert timezone.localdate(story.updated_at) == today
    if action.startswith("publish"):
        assert f"<lastmod>{today:%Y-%m-%d}T" in client.get("/sitemap-stories-1.xml").content.decode()


def test_opening_the_chinese_tab_of_an_english_story_shows_the_form_named_by_its_english_title(
    staff_client, make_story
):
    story = make_story({"en": "Family-Friendly Spaces expand"})

    response = staff_client.get(f"{LIST_URL}{story.pk}/change/?language=zh-hans")

    assert response.status_code == 200
    assertInHTML("<h2>Family-Friendly Spaces expand</h2>", response.content.decode())
    assert not parse_page(response).find("input", name="title").attrs.get("value")  # the Chinese title is to be written


def heading(page):
    return parse_page(page).find("h1").text


def title_typed(page):
    """What the open tab's title box holds: None for a language still to be written."""
    return parse_page(page).find("input", name="title").attrs.get("value")


def test_a_story_written_only_in_chinese_opens_on_its_chinese_tab(staff_client, make_story):
    story = make_story({"zh-hans": "核实 ESCP 职员"})

    page = staff_client.get(f"{LIST_URL}{story.pk}/change/")

    assert heading(page) == "Change news story (Simplified Chinese)"
    assert title_typed(page) == "核实 ESCP 职员"


@pytest.mark.parametrize(
    "admin, tab, title",
    [("/admin/", "(English)", "Verify ESCP staff"), ("/zh/admin/", "(简体中文)", "核实 ESCP 职员")],
    ids=["english-admin", "chinese-admin"],
)
def test_a_bilingual_story_opens_in_the_language_of_the_admin(staff_client, make_story, admin, tab, title):
    story = make_story({"en": "Verify ESCP staff", "zh-hans": "核实 ESCP 职员"})

    page = staff_client.get(f"{admin}news/newsstory/{story.pk}/change/")

    assert heading(page).endswith(tab)
    assert title_typed(page) == title


def test_a_story_asked_for_in_a_language_opens_on_that_tab_even_when_it_is_still_to_be_written(
    staff_client, make_story
):
    story = make_story({"zh-hans": "核实 ESCP 职员"})

    page = staff_client.get(f"{LIST_URL}{story.pk}/change/?language=en")

    assert heading(page) == "Change news story (English)"
    assert not title_typed(page)


def test_adding_a_story_from_the_chinese_admin_writes_it_in_chinese(staff_client):
    add_url = "/zh/admin/news/newsstory/add/"
    add_page = staff_client.get(add_url)
    assert heading(add_page) == "增加 新闻 (简体中文)"
    form_action = parse_page(add_page).find("form", id="newsstory_form").attrs["action"]
    assert form_action == "?language=zh-hans"

    response = staff_client.post(add_url + form_action, draft_form(title="微信公众号"))

    assert response.status_code == 302
    assert list(NewsStory.objects.get().get_available_languages()) == ["zh-hans"]


def story_with_photo(make_story, width, height):
    photo = SimpleUploadedFile("photo.jpg", photo_like(width, height))
    return make_story({"en": {"title": "Factory visit", "image_alt": "Workers in a factory hall"}}, image=photo)


def image_preview(page):
    return parse_page(page).find(class_="field-image_preview")


@pytest.mark.parametrize(
    "admin, warning",
    [
        ("/admin/", "This image is only 800 pixels wide: at the top of the story page it is enlarged and looks"),
        ("/zh/admin/", "这张图片只有 800 像素宽，在新闻页面顶部会被放大，在大多数屏幕上显得模糊。"),
    ],
    ids=["english", "chinese"],
)
def test_the_edit_page_shows_the_featured_image_and_warns_that_a_small_one_will_look_blurred(
    staff_client, make_story, media_root, admin, warning
):
    story = story_with_photo(make_story, 800, 600)

    preview = image_preview(staff_client.get(f"{admin}news/newsstory/{story.pk}/change/"))

    hero_files = [default_storage.url(path) for _width, path in story.image_renditions["hero"]["jpeg"]]
    assert preview.find("img", class_="image-preview").attrs["src"] in hero_files
    assert preview.find("li", class_="warning").text.startswith(warning)


def test_an_image_wide_enough_for_the_story_page_gets_no_warning(staff_client, make_story, media_root):
    story = story_with_photo(make_story, 1000, 600)  # exactly as wide as a sharp hero needs

    preview = image_preview(staff_client.get(f"{LIST_URL}{story.pk}/change/"))

    assert preview.find("img", class_="image-preview", alt="Workers in a factory hall")
    assert preview.find(class_="warning") is None


def test_uploading_a_small_image_warns_the_editor_after_saving(staff_client, media_root):
    photo = SimpleUploadedFile("small.jpg", photo_like(640, 480), content_type="image/jpeg")

    listing = staff_client.post(ADD_URL + "?language=en", draft_form(image=photo, image_alt="A photo"), follow=True)

    messages = parse_page(listing).find(class_="messagelist")
    assert messages.find("li", class_="success").text.endswith("was added successfully.")
    assert messages.find("li", class_="warning").text.startswith("This image is only 640 pixels wide")


def test_a_story_without_an_image_has_no_preview(staff_client, make_story):
    story = make_story({"en": "No photo"})

    assert image_preview(staff_client.get(f"{LIST_URL}{story.pk}/change/")) is None
    assert image_preview(staff_client.get(ADD_URL)) is None


def test_publishing_controls_come_first_on_the_edit_page(staff_client, make_story):
    story = make_story({"en": "Publish me"}, status="draft")  # published, its state is shown, not chosen

    form = parse_page(staff_client.get(f"{LIST_URL}{story.pk}/change/")).find("form", id="newsstory_form")

    fields = [field.attrs["name"] for field in form.find_all(name=True) if field.name in {"input", "select"}]
    assert fields.index("publish_at_0") < fields.index("category") < fields.index("event_date")
    assert fields.index("event_date") < fields.index("status") < fields.index("scheduled_for_0") < fields.index("title")
    descriptions = [description.text for description in form.find_all("fieldset")[0:2]]
    assert "The date and time, category and event date are the same in every language" in descriptions[0]
    assert "Each language is published on its own: publishing this tab does not publish the other." in descriptions[1]


def test_story_list_shows_title_date_status_and_languages(staff_client, make_story):
    make_story({"zh-hans": "核实 ESCP 职员"}, publish_date=datetime.date(2021, 11, 24))

    page = staff_client.get(LIST_URL).content.decode()

    assert "核实 ESCP 职员" in page
    assert "November 24, 2021" in page
    states = [" ".join(state.text.split()) for state in parse_page(page).find_all(class_="version-state")]
    assert states == ["EN — not written", "中文 ● Published"]
    # Each language's name is marked with its language, for screen readers.
    assert parse_page(page).find(class_="version-state").find("span", lang="en")


def test_search_finds_titles_in_both_languages(staff_client, make_story):
    make_story({"en": "Verify ESCP staff", "zh-hans": "核实 ESCP 职员"})
    make_story({"en": "Introducing Progress Visits"})

    by_chinese = staff_client.get(LIST_URL, {"q": "核实"}).content.decode()
    by_english = staff_client.get(LIST_URL, {"q": "progress"}).content.decode()

    assert "1 result" in by_chinese and "Verify ESCP staff" in by_chinese
    assert "1 result" in by_english and "Introducing Progress Visits" in by_english


def test_filters_by_publication_category_and_language(staff_client, make_story):
    make_story({"en": "English draft"}, status="draft")
    make_story({"zh-hans": "中文活动"}, category="event")

    drafts = staff_client.get(LIST_URL, {"publication": "unpublished"}).content.decode()
    events = staff_client.get(LIST_URL, {"category__exact": "event"}).content.decode()
    chinese = staff_client.get(LIST_URL, {"language": "zh-hans"}).content.decode()

    assert "English draft" in drafts and "中文活动" not in drafts
    assert "中文活动" in events and "English draft" not in events
    assert "中文活动" in chinese and "English draft" not in chinese


def test_two_stories_cannot_share_a_slug_in_one_language(staff_client, make_story):
    make_story({"en": {"title": "First", "slug": "same-slug"}})

    response = staff_client.post(ADD_URL + "?language=en", draft_form(slug="same-slug"))

    assert response.status_code == 200
    assert "Another story in this language already uses this slug." in response.content.decode()
    assert NewsStory.objects.count() == 1


def test_another_storys_slug_in_the_other_language_is_refused(staff_client, make_story):
    # Both stories would answer at /zh/news/shared/ (the English story's address on the Chinese pages):
    # tests/news/test_links.py has the rest.
    make_story({"en": {"title": "Shared", "slug": "shared"}})

    other = staff_client.post(ADD_URL + "?language=zh-hans", draft_form(title="共享", slug="shared"))

    assert other.status_code == 200
    assert NewsStory.objects.count() == 1


def test_chinese_slug_typed_by_an_editor_is_accepted(staff_client):
    response = staff_client.post(
        ADD_URL + "?language=zh-hans", draft_form(title="微信公众号", slug="微信公众号", status="published")
    )
    assert response.status_code == 302
    assert Client().get("/zh/news/微信公众号/").status_code == 200


@pytest.mark.parametrize("slug", ["has space", "a/b", "x" * 201, "<script>"])
def test_unusable_slugs_are_refused_with_a_message(staff_client, slug):
    response = staff_client.post(ADD_URL + "?language=en", draft_form(slug=slug))
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert NewsStory.objects.count() == 0


def view_on_site(page):
    return parse_page(page).find("a", class_="viewsitelink", href=True).attrs["href"]


@pytest.mark.parametrize(
    "change_url, story_page",
    [
        ("/admin/news/newsstory/{pk}/change/?language=en", "/news/on-site/"),
        ("/admin/news/newsstory/{pk}/change/?language=zh-hans", quote("/zh/news/网站上/")),
        ("/zh/admin/news/newsstory/{pk}/change/", quote("/zh/news/网站上/")),
        ("/zh/admin/news/newsstory/{pk}/change/?language=en", "/news/on-site/"),
    ],
    ids=["english-tab", "chinese-tab", "chinese-admin", "english-tab-in-chinese-admin"],
)
def test_view_on_site_leads_to_the_story_in_the_language_of_the_open_tab(
    staff_client, make_story, change_url, story_page
):
    story = make_story({"en": "On site", "zh-hans": "网站上"}, status="draft")

    link = view_on_site(staff_client.get(change_url.format(pk=story.pk)))

    assert link == story_page
    assert staff_client.get(link).status_code == 200  # staff preview a draft on its public address


def test_view_on_site_from_a_tab_still_to_be_written_shows_what_readers_of_that_language_see(staff_client, make_story):
    story = make_story({"en": "On site"})

    link = view_on_site(staff_client.get(f"{LIST_URL}{story.pk}/change/?language=zh-hans"))

    assert link == "/zh/news/on-site/"
    chinese_page = parse_page(staff_client.get(link))
    assert chinese_page.find("h1").text == "On site"
    assert chinese_page.find(class_="language-label").text == "仅有英文版"


def test_a_story_being_added_has_no_view_on_site_link(staff_client):
    assert parse_page(staff_client.get(ADD_URL)).find("a", class_="viewsitelink") is None


def test_admin_is_for_staff_only(client, make_story):
    assert client.get(LIST_URL).status_code == 302


def test_editors_can_use_the_admin_in_chinese(staff_client, make_story):
    make_story({"zh-hans": "核实 ESCP 职员"})

    page = staff_client.get("/zh/admin/news/newsstory/").content.decode()

    assert parse_page(page).find("html").attrs["lang"] == "zh-hans"
    assert "新闻" in page and "核实 ESCP 职员" in page
    assert "发布所选新闻的 中文 版本" in page


def test_admin_is_named_for_the_site_in_each_language(staff_client):
    assert "IETP site administration" in staff_client.get("/admin/").content.decode()
    chinese = staff_client.get("/zh/admin/").content.decode()
    assert "IETP 网站管理" in chinese and "新闻与会员申请" in chinese
    assert "Django" not in parse_page(chinese).find("header").text


# --- The Editors group ----------------------------------------------------------------------------

# Stories and the documents attached to them.
STORY_PERMISSIONS = [
    f"{action}_{model}" for model in ["newsstory", "storydocument"] for action in ["add", "change", "delete", "view"]
]
REDIRECT_PERMISSIONS = ["delete_storyslugredirect", "view_storyslugredirect"]


@pytest.fixture
def editor_client(client, django_user_model):
    """Staff in the Editors group that the migrations create: not a superuser."""
    editor = django_user_model.objects.create_user("lin", "lin@example.org", "correct horse", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    return client


def test_an_editor_writes_a_story_in_both_languages_and_publishes_it(editor_client):
    assert editor_client.post(ADD_URL + "?language=en", draft_form()).status_code == 302
    story = NewsStory.objects.get()
    assert parse_page(editor_client.get(f"{LIST_URL}{story.pk}/change/")).find(id="documents-group")
    chinese = draft_form(title="家庭友好空间扩展")
    assert editor_client.post(f"{LIST_URL}{story.pk}/change/?language=zh-hans", chinese).status_code == 302

    published = editor_client.post(LIST_URL, {"action": "publish_all", "_selected_action": [story.pk]}, follow=True)

    assert "1 story published." in published.content.decode()
    assert Client().get("/zh/news/家庭友好空间扩展/").status_code == 200


def test_an_editor_removes_a_translation_and_deletes_a_story(editor_client, make_story):
    story = make_story({"en": "Two languages", "zh-hans": "两种语言"})

    remove_chinese = editor_client.post(f"{LIST_URL}{story.pk}/change/delete-translation/zh-hans/", {"post": "yes"})
    assert remove_chinese.status_code == 302
    assert list(story.get_available_languages()) == ["en"]

    assert editor_client.post(f"{LIST_URL}{story.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not NewsStory.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/auth/group/",
        "/admin/membership/membershipapplication/",
        "/zh/admin/membership/membershipapplication/",
    ],
)
def test_an_editor_cannot_open_accounts_or_membership_applications(editor_client, url):
    assert editor_client.get(url).status_code == 403


@pytest.mark.parametrize(
    "admin, models", [("/admin/", ["News stories", "Old story addresses"]), ("/zh/admin/", ["新闻", "旧新闻地址"])]
)
def test_the_admin_home_offers_an_editor_the_stories_and_their_old_addresses_only(editor_client, admin, models):
    home = parse_page(editor_client.get(admin)).find(id="content-main")

    assert [model.text for model in home.find_all("th", scope="row")] == models


def test_the_editors_group_holds_the_story_and_old_address_permissions_and_nothing_else(db):
    editors = Group.objects.get(name="Editors")

    assert sorted(f"{p.content_type.app_label}.{p.codename}" for p in editors.permissions.all()) == sorted(
        f"news.{codename}" for codename in STORY_PERMISSIONS + REDIRECT_PERMISSIONS
    )


def test_migrating_again_keeps_one_editors_group_and_what_was_added_to_it(db):
    editors = Group.objects.get(name="Editors")
    editors.permissions.add(Permission.objects.get(codename="view_membershipapplication"))
    migration = importlib.import_module("news.migrations.0006_editors_group")

    migration.create_editors_group(apps, schema_editor=None)

    assert Group.objects.filter(name="Editors").count() == 1
    assert editors.permissions.count() == len(STORY_PERMISSIONS + REDIRECT_PERMISSIONS) + 1


def test_staff_who_may_only_view_stories_cannot_publish_them(client, django_user_model, make_story):
    viewer = django_user_model.objects.create_user("reader", "reader@example.org", "correct horse", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_newsstory"))
    story = make_story({"en": "Still a draft"}, status="draft")
    client.force_login(viewer)

    actions = parse_page(client.get(LIST_URL)).find("select", name="action")
    assert actions is None or "Publish the selected stories" not in actions.text
    client.post(LIST_URL, {"action": "publish_all", "_selected_action": [story.pk]})
    story.refresh_from_db()
    assert story.status == "draft"


# --- Old addresses of stories whose slug changed ----------------------------------------------------------

REDIRECTS_URL = "/admin/news/storyslugredirect/"


def change_slug_in_admin(staff_client, story, language, slug, **fields):
    # Published, as an editor makes a changed slug public (a Save of a published translation is a draft).
    form = story_form(
        title=story.safe_translation_getter("title", language_code=language), slug=slug, _publish="1", **fields
    )
    response = staff_client.post(f"{LIST_URL}{story.pk}/change/?language={language}", form)
    assert response.status_code == 302, parse_page(response).find(class_="errornote")


def bilingual_story(make_story):
    return make_story(
        {
            "en": {"title": "Worker committees", "slug": "worker-committees"},
            "zh-hans": {"title": "工人委员会", "slug": "工人委员会"},
        }
    )


@pytest.mark.parametrize(
    "language, old, slug",
    [
        ("en", "/news/worker-committees/", "elected-worker-committees"),
        ("zh-hans", "/zh/news/工人委员会/", "选举产生的工人委员会"),
    ],
)
def test_a_published_storys_old_address_redirects_permanently_to_its_new_one(
    staff_client, make_story, language, old, slug
):
    story = bilingual_story(make_story)

    change_slug_in_admin(staff_client, story, language, slug)

    response = Client().get(old)
    new = old.rsplit("/", 2)[0] + f"/{quote(slug)}/"
    assert (response.status_code, response.headers["Location"]) == (301, new)
    assert Client().get(new).status_code == 200


def test_a_slug_changed_twice_leads_from_both_old_addresses_in_one_hop(staff_client, make_story):
    story = bilingual_story(make_story)
    change_slug_in_admin(staff_client, story, "en", "committees")
    change_slug_in_admin(staff_client, story, "en", "elected-committees")

    for old in ["/news/worker-committees/", "/news/committees/"]:
        response = Client().get(old)
        assert (response.status_code, response.headers["Location"]) == (301, "/news/elected-committees/")
    # On a Chinese page an old English slug leads to the Chinese address.
    response = Client().get("/zh/news/committees/")
    assert response.headers["Location"] == f"/zh/news/{quote('工人委员会')}/"


def test_a_slug_changed_back_serves_its_page_and_makes_no_loop(staff_client, make_story):
    story = bilingual_story(make_story)
    change_slug_in_admin(staff_client, story, "en", "committees")
    change_slug_in_admin(staff_client, story, "en", "worker-committees")

    assert Client().get("/news/worker-committees/").status_code == 200
    response = Client().get("/news/committees/")
    assert (response.status_code, response.headers["Location"]) == (301, "/news/worker-committees/")
    assert list(StorySlugRedirect.objects.values_list("old_slug", flat=True)) == ["committees"]


def test_a_draft_storys_slug_change_leaves_no_redirect(staff_client, make_story):
    story = make_story({"en": {"title": "Not yet", "slug": "not-yet"}}, status=NewsStory.Status.DRAFT)

    change_slug_in_admin(staff_client, story, "en", "still-not-yet", status="draft")

    assert not StorySlugRedirect.objects.exists()
    assert staff_client.get("/news/not-yet/").status_code == 404


def test_editors_see_search_and_delete_old_addresses(editor_client, make_story):
    story = bilingual_story(make_story)
    story.slug = "committees"
    story.save()
    other = make_story({"en": {"title": "Spring fair", "slug": "spring-fair"}})
    other.slug = "spring-fair-2024"
    other.save()

    listing = parse_page(editor_client.get(REDIRECTS_URL))
    columns = ["old_address", "story", "language_code"]
    rows = [
        [row.find(class_=f"field-{column}").text for column in columns]
        for row in listing.find(id="result_list").find_all("tr")[1:]
    ]
    assert rows == [
        ["/news/spring-fair/", "Spring fair", "English"],
        ["/news/worker-committees/", "Worker committees", "English"],
    ]
    found = parse_page(editor_client.get(REDIRECTS_URL, {"q": "工人委员会"})).find(id="result_list").text
    assert "/news/worker-committees/" in found and "spring-fair" not in found
    assert "旧地址" in parse_page(editor_client.get("/zh" + REDIRECTS_URL)).find(id="result_list").text

    redirect = StorySlugRedirect.objects.get(old_slug="worker-committees")
    deleted = editor_client.post(f"{REDIRECTS_URL}{redirect.pk}/delete/", {"post": "yes"})

    assert deleted.status_code == 302
    assert Client().get("/news/worker-committees/").status_code == 404
    assert Client().get("/news/spring-fair/").status_code == 301


def test_old_addresses_are_made_by_saving_stories_never_typed_in(editor_client, staff_client, make_story):
    assert editor_client.get(REDIRECTS_URL + "add/").status_code == 403
    assert staff_client.get(REDIRECTS_URL + "add/").status_code == 403


def test_the_title_states_its_limit_and_is_counted_by_a_script_of_the_site(staff_client):
    page = staff_client.get(ADD_URL + "?language=en")
    title = parse_page(page).find("input", name="title")

    assert "maxlength" not in title.attrs and title.attrs["data-limit"] == "200"
    assert title.attrs["data-count-template"] == "%(count)s of %(limit)s characters"
    assert "Up to 200 characters" in page.content.decode()
    assert parse_page(page).find("script", src="/static/js/title-counter.js")
    assert "'unsafe-inline'" not in page.get("Content-Security-Policy", "").split("script-src")[-1].split(";")[0]


def test_a_title_over_the_limit_is_refused_with_a_message_not_cut(staff_client):
    response = staff_client.post(ADD_URL + "?language=en", draft_form(title="t" * 500, slug="long-title"))

    assert response.status_code == 200
    assert "This title has 500 characters; titles have at most 200. Shorten it." in response.content.decode()
    assert NewsStory.objects.count() == 0


def test_the_title_counter_speaks_chinese_in_the_chinese_admin(staff_client):
    title = parse_page(staff_client.get("/zh" + ADD_URL + "?language=zh-hans")).find("input", name="title")
    assert title.attrs["data-count-template"] == "%(count)s / %(limit)s 个字"
