"""Links are never broken by a save: old addresses lead on in one hop, another story's old address is taken only
knowingly, and a removed story's addresses answer 410 Gone."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains
from reversion.models import Version

from news.changes import describe
from news.models import NewsStory, StorySlugRedirect
from testkit.pages import parse_page
from testkit.stories import story_form

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/news/newsstory/add/"
LIST_URL = "/admin/news/newsstory/"


def renamed(story, language, slug):
    story.set_current_language(language)
    story.slug = slug
    story.save()
    return story


def errors(response):
    """The form's error messages as the editor reads them."""
    page = parse_page(response)
    return " ".join(item.text for item in page.find_all("ul", class_="errorlist"))


@pytest.fixture
def retired_story(make_story):
    """“Audit deadlines”, published at /news/audit-deadlines/, renamed to audit-deadlines-2024: its old address
    redirects."""
    story = make_story({"en": {"title": "Audit deadlines", "slug": "audit-deadlines"}})
    return renamed(story, "en", "audit-deadlines-2024")


# --- Old addresses ------------------------------------------------------------------------------


def test_an_address_renamed_twice_leads_to_the_current_one_in_one_hop(client, make_story):
    story = make_story({"en": {"title": "Committees", "slug": "a"}, "zh-hans": {"title": "委员会", "slug": "甲"}})
    renamed(story, "en", "b")
    renamed(story, "en", "c")
    renamed(story, "zh-hans", "乙")

    for old in ["/news/a/", "/news/b/"]:
        response = client.get(old)
        assert response.status_code == 301 and response["Location"] == "/news/c/"
    chinese = client.get("/zh/news/甲/")
    assert chinese.status_code == 301 and chinese["Location"] == "/zh/news/%E4%B9%99/"
    assert client.get("/news/c/").status_code == 200


# --- Taking another story's old address -------------------------------------------------------------


def test_a_new_story_is_refused_another_storys_old_address_and_told_where_it_leads(staff_client, client, retired_story):
    response = staff_client.post(ADD_URL + "?language=en", story_form(title="Audit deadlines", slug="audit-deadlines"))

    assert response.status_code == 200
    assert "/news/audit-deadlines/ is an old address of another story, “Audit deadlines”" in errors(response)
    assert parse_page(response).find("input", name="retire_redirect")
    assert NewsStory.objects.count() == 1
    old = client.get("/news/audit-deadlines/")
    assert old.status_code == 301 and old["Location"] == "/news/audit-deadlines-2024/"


def test_the_form_offers_no_retire_box_when_there_is_nothing_to_retire(staff_client):
    assert not parse_page(staff_client.get(ADD_URL + "?language=en")).find("input", name="retire_redirect")


def test_an_editor_retires_the_old_address_knowingly_and_the_history_says_so(staff_client, client, retired_story):
    response = staff_client.post(
        ADD_URL + "?language=en", story_form(title="New audit", slug="audit-deadlines", retire_redirect="on")
    )

    assert response.status_code == 302
    assert not StorySlugRedirect.objects.filter(old_slug="audit-deadlines").exists()
    page = client.get("/news/audit-deadlines/")
    assert page.status_code == 200
    assertContains(page, "<h1>New audit</h1>", html=True)
    new_story = NewsStory.objects.get(translations__slug="audit-deadlines")
    comment = describe(Version.objects.get_for_object(new_story).first().revision)
    assert "retired the old address /news/audit-deadlines/ of “Audit deadlines”" in comment


def test_a_story_may_take_back_its_own_old_slug(staff_client, client, retired_story):
    # Published at once (a Save of a published translation is a draft: tests/news/test_drafts.py).
    response = staff_client.post(
        f"{LIST_URL}{retired_story.pk}/change/?language=en",
        story_form(title="Audit deadlines", slug="audit-deadlines", _publish="Publish"),
    )

    assert response.status_code == 302
    assert client.get("/news/audit-deadlines/").status_code == 200
    moved = client.get("/news/audit-deadlines-2024/")
    assert moved.status_code == 301 and moved["Location"] == "/news/audit-deadlines/"


def test_another_storys_old_address_in_the_other_language_is_refused_too(staff_client, retired_story):
    response = staff_client.post(
        ADD_URL + "?language=zh-hans", story_form(title="审核截止日期", slug="audit-deadlines")
    )
    assert response.status_code == 200
    assert "“Audit deadlines”" in errors(response)


# --- Bad slugs --------------------------------------------------------------------------------------


def test_a_slug_used_by_another_story_in_the_other_language_is_refused_with_its_name(staff_client, make_story):
    make_story({"zh-hans": {"title": "年度报告", "slug": "annual-report"}})

    response = staff_client.post(ADD_URL + "?language=en", story_form(title="Annual report", slug="annual-report"))

    assert response.status_code == 200
    assert "Another story, “年度报告”, uses this slug in 中文" in errors(response)
    assert NewsStory.objects.count() == 1


def test_a_story_may_use_the_same_slug_in_both_its_languages(staff_client, make_story):
    story = make_story({"en": {"title": "ESCP", "slug": "escp"}})
    response = staff_client.post(
        f"{LIST_URL}{story.pk}/change/?language=zh-hans", story_form(title="ESCP 项目", slug="escp")
    )
    assert response.status_code == 302


@pytest.mark.parametrize("slug", ["---", "_-_", "!!!", "。。。"])
def test_a_slug_of_only_punctuation_is_refused(staff_client, slug):
    response = staff_client.post(ADD_URL + "?language=en", story_form(slug=slug))
    assert response.status_code == 200
    assert errors(response)
    assert NewsStory.objects.count() == 0


def test_a_slug_of_200_characters_works_and_201_are_refused(staff_client, client):
    slug = "审" * 200
    saved = staff_client.post(ADD_URL + "?language=zh-hans", story_form(title="长", slug=slug))
    refused = staff_client.post(ADD_URL + "?language=en", story_form(title="Long", slug="a" * 201))

    assert saved.status_code == 302
    assert client.get(f"/zh/news/{slug}/").status_code == 200
    assert refused.status_code == 200 and "at most 200 characters" in errors(refused)


# --- Removed stories answer 410 Gone ---------------------------------------------------------------------


@pytest.fixture
def editor_client(client, django_user_model):
    editor = django_user_model.objects.create_user("lin", "lin@example.org", "correct horse", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    return client


def test_a_deleted_story_answers_gone_at_all_its_addresses_in_each_language(editor_client, make_story):
    story = make_story({"en": {"title": "Closed", "slug": "closed"}, "zh-hans": {"title": "关闭", "slug": "关闭"}})
    renamed(story, "en", "closed-programme")

    assert editor_client.post(f"{LIST_URL}{story.pk}/delete/", {"post": "yes"}).status_code == 302

    visitor = Client()
    english = visitor.get("/news/closed-programme/")
    assert english.status_code == 410
    assertContains(english, "Story removed", status_code=410)
    assertContains(english, '<a href="/news/">Read the latest stories</a>', html=True, status_code=410)
    assert visitor.get("/news/closed/").status_code == 410
    chinese = visitor.get("/zh/news/关闭/")
    assert chinese.status_code == 410
    assertContains(chinese, '<a href="/zh/news/">', status_code=410)
    assertNotContains(chinese, "Story removed", status_code=410)
    assert visitor.get("/zh/news/closed-programme/").status_code == 410


def test_stories_deleted_from_the_list_answer_gone(editor_client, make_story):
    story = make_story({"en": {"title": "Bulk", "slug": "bulk"}})
    editor_client.post(LIST_URL, {"action": "delete_selected", "_selected_action": [story.pk], "post": "yes"})
    assert not NewsStory.objects.exists()
    assert Client().get("/news/bulk/").status_code == 410


def test_a_deleted_translation_answers_gone_and_the_other_stays(editor_client, make_story):
    story = make_story({"en": {"title": "Both", "slug": "both"}, "zh-hans": {"title": "双语", "slug": "双语"}})

    editor_client.post(f"{LIST_URL}{story.pk}/change/delete-translation/zh-hans/", {"post": "yes"})

    assert Client().get("/zh/news/双语/").status_code == 410
    assert Client().get("/news/both/").status_code == 200


def test_a_deleted_draft_was_never_public_and_is_not_found(editor_client, make_story):
    story = make_story({"en": {"title": "Never out", "slug": "never-out"}}, status="draft")
    editor_client.post(f"{LIST_URL}{story.pk}/delete/", {"post": "yes"})
    assert Client().get("/news/never-out/").status_code == 404


def test_a_removed_address_taken_by_a_new_story_shows_it(editor_client, client, make_story):
    story = make_story({"en": {"title": "Old", "slug": "reused"}})
    editor_client.post(f"{LIST_URL}{story.pk}/delete/", {"post": "yes"})

    make_story({"en": {"title": "New", "slug": "reused"}})

    assertContains(client.get("/news/reused/"), "<h1>New</h1>", html=True)


# --- Unpublishing asks first, naming the addresses readers lose; they answer 410 ----------------------------


@pytest.fixture
def bilingual_story(make_story):
    return make_story({"en": {"title": "Both", "slug": "both"}, "zh-hans": {"title": "双语", "slug": "双语"}})


def named_addresses(response):
    return [link.attrs["href"] for link in parse_page(response).find_all("a", class_="public-address")]


@pytest.mark.parametrize(
    ("admin", "asks"), [("/admin/", "Readers will lose these addresses"), ("/zh/admin/", "读者将失去这些网址")]
)
def test_unpublishing_from_the_list_first_names_the_addresses_readers_lose(editor_client, bilingual_story, admin, asks):
    list_url = f"{admin}news/newsstory/"

    asked = editor_client.post(list_url, {"action": "unpublish_all", "_selected_action": [bilingual_story.pk]})

    assert asked.status_code == 200
    assertContains(asked, asks)
    assert named_addresses(asked) == ["http://testserver/news/both/", "http://testserver/zh/news/%E5%8F%8C%E8%AF%AD/"]
    # Nothing is unpublished until the editor confirms.
    assert Client().get("/news/both/").status_code == 200
    form = parse_page(asked).find(id="content-main").find("form")
    confirmed = {field.attrs["name"]: field.attrs["value"] for field in form.find_all("input", type="hidden")}
    assert confirmed["action"] == "unpublish_all" and confirmed["_selected_action"] == str(bilingual_story.pk)

    done = editor_client.post(list_url, confirmed, follow=True)

    assert "1" in " ".join(item.text for item in parse_page(done).find_all("ul", class_="messagelist"))
    assert Client().get("/news/both/").status_code == 410
    assert Client().get("/zh/news/双语/").status_code == 410


def test_unpublishing_one_language_from_its_form_asks_then_its_address_answers_gone(editor_client, bilingual_story):
    form = parse_page(editor_client.get(f"{LIST_URL}{bilingual_story.pk}/change/?language=zh-hans"))
    unpublish_url = form.find("a", class_="unpublish-link").attrs["href"]
    assert unpublish_url == f"{LIST_URL}{bilingual_story.pk}/unpublish/?language=zh-hans"

    asked = editor_client.get(f"/zh{unpublish_url}")

    assertContains(asked, "撤回中文版本的发布？")
    assert named_addresses(asked) == ["http://testserver/zh/news/%E5%8F%8C%E8%AF%AD/"]

    done = editor_client.post(unpublish_url, follow=True)

    assertContains(done, "The 中文 version is unpublished")
    assert bilingual_story.translations.get(language_code="zh-hans").status == "draft"
    assert Client().get("/zh/news/双语/").status_code == 410
    assert Client().get("/news/both/").status_code == 200


def test_a_story_published_again_is_back_at_its_address(editor_client, bilingual_story):
    editor_client.post(f"{LIST_URL}{bilingual_story.pk}/unpublish/?language=en")
    assert Client().get("/news/both/").status_code == 410

    editor_client.post(LIST_URL, {"action": "publish_en", "_selected_action": [bilingual_story.pk]})

    assert Client().get("/news/both/").status_code == 200


def test_a_draft_unpublished_loses_no_address_and_stays_not_found(editor_client, make_story):
    story = make_story({"en": {"title": "Never out", "slug": "never-out"}}, status="draft")

    asked = editor_client.post(LIST_URL, {"action": "unpublish_all", "_selected_action": [story.pk]})

    assertContains(asked, "Nothing here is public now: readers lose no address.")
    assert named_addresses(asked) == []
    editor_client.post(LIST_URL, {"action": "unpublish_all", "_selected_action": [story.pk], "confirmed": "1"})
    assert Client().get("/news/never-out/").status_code == 404


def test_only_someone_who_may_change_stories_unpublishes_one_language(client, django_user_model, bilingual_story):
    url = f"{LIST_URL}{bilingual_story.pk}/unpublish/?language=en"
    viewer = django_user_model.objects.create_user("v", "v@example.org", "correct horse", is_staff=True)
    client.force_login(viewer)

    assert client.post(url).status_code == 403
    assert Client().get("/news/both/").status_code == 200
