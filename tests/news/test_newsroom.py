"""The bilingual newsroom: each language published on its own, at a time in the organisation's time zone; the other
language's readers meanwhile; translations that may be out of date; revisions compared and restored; preview links."""

import datetime
import time
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
import reversion
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from pytest_django.asserts import assertContains, assertInHTML
from reversion.models import Revision, Version

from news.changes import describe
from news.models import NewsStory, NewsStoryTranslation, PreviewLink, StorySlugRedirect
from testkit.background import run_queued_tasks
from testkit.files import minimal_pdf, photo_like
from testkit.pages import card_titles, name_cache_generation, parse_page
from testkit.stories import many_stories, story_form

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/news/newsstory/"
SITEMAPS = "http://www.sitemaps.org/schemas/sitemap/0.9"
HONG_KONG = datetime.timezone(datetime.timedelta(hours=8))


def change_url(story, language):
    return f"{LIST_URL}{story.pk}/change/?language={language}"


def hreflangs(page):
    return {link.attrs["hreflang"]: link.attrs["href"] for link in parse_page(page).find_all("link", hreflang=True)}


def language_switch(page):
    return {
        link.attrs["lang"]: link.attrs["href"] for link in parse_page(page).find(class_="language-switch").find_all("a")
    }


@pytest.fixture
def english_published_chinese_draft(make_story):
    return make_story(
        {
            "en": {"title": "Audit deadlines for 2024", "slug": "audit-deadlines-2024"},
            "zh-hans": {"title": "2024年审核截止日期", "slug": "2024年审核截止日期", "status": "draft"},
        }
    )


# --- Each language on its own ------------------------------------------------------------------------


def test_chinese_readers_see_the_published_english_version_while_the_chinese_one_is_a_draft(
    english_published_chinese_draft,
):
    client = Client()
    chinese_list = client.get("/zh/news/")
    assert card_titles(chinese_list) == ["Audit deadlines for 2024"]
    assert "仅有英文版" in chinese_list.content.decode()

    # The draft's own address is not public; the English slug on a Chinese page shows the English version, labelled.
    assertContains(client.get(f"/zh/news/{quote('2024年审核截止日期')}/"), "找不到该页面", status_code=404)
    story_page = client.get("/zh/news/audit-deadlines-2024/")
    assert story_page.status_code == 200
    assertInHTML("<h1>Audit deadlines for 2024</h1>", story_page.content.decode())
    assert "仅有英文版" in story_page.content.decode()
    assert "2024年审核截止日期" not in story_page.content.decode()


def test_links_never_lead_to_a_version_that_is_not_published(english_published_chinese_draft):
    client = Client()
    english_page = client.get("/news/audit-deadlines-2024/")

    assert set(hreflangs(english_page)) == {"en", "x-default"}
    # The language switch leads to what Chinese readers see: the English version on a Chinese page.
    assert language_switch(english_page)["zh-Hans"] == "/zh/news/audit-deadlines-2024/"
    sitemap = client.get("/sitemap-stories-1.xml").content.decode()
    assert "/news/audit-deadlines-2024/" in sitemap and quote("2024年审核截止日期") not in sitemap
    # Each feed holds its own language's stories: the English version is in the English feed only.
    assert "2024年审核截止日期" not in client.get("/zh/news/feed/").content.decode()
    assert "Audit deadlines for 2024" not in client.get("/zh/news/feed/").content.decode()
    assert "Audit deadlines for 2024" in client.get("/news/feed/").content.decode()


def test_publishing_the_chinese_version_alone_gives_chinese_readers_their_own(
    staff_client, english_published_chinese_draft
):
    story, client = english_published_chinese_draft, Client()

    response = staff_client.post(LIST_URL, {"action": "publish_zh", "_selected_action": [story.pk]}, follow=True)

    assert "1 story published." in response.content.decode()
    assert card_titles(client.get("/zh/news/")) == ["2024年审核截止日期"]
    assert client.get("/zh/news/audit-deadlines-2024/")["Location"] == f"/zh/news/{quote('2024年审核截止日期')}/"
    assert set(hreflangs(client.get("/news/audit-deadlines-2024/"))) == {"en", "zh-Hans", "x-default"}


def test_unpublishing_english_alone_leaves_english_readers_the_chinese_version(staff_client, make_story):
    story, client = make_story({"en": "Helpline in five languages", "zh-hans": "热线五种语言"}), Client()

    staff_client.post(LIST_URL, {"action": "unpublish_en", "_selected_action": [story.pk], "confirmed": "1"})

    assert card_titles(client.get("/news/")) == ["热线五种语言"]
    assert "In Chinese only" in client.get("/news/").content.decode()
    # The English address was public: it answers "gone", not "no such page".
    assert client.get("/news/helpline-in-five-languages/").status_code == 410


def test_the_list_shows_each_languages_state_and_the_tab_names_it(staff_client, english_published_chinese_draft):
    story = english_published_chinese_draft

    states = parse_page(staff_client.get(LIST_URL)).find_all(class_="version-state")
    tabs = parse_page(staff_client.get(change_url(story, "en"))).find(class_="parler-language-tabs")

    assert [" ".join(state.text.split()) for state in states] == ["EN ● Published", "中文 ○ Draft"]
    assert "English · ● Published" in tabs.text and "Simplified Chinese · ○ Draft" in tabs.text


def test_an_editor_can_publish_a_single_language_only_with_permission_to_change(client, django_user_model, make_story):
    story = make_story({"en": "Read only"}, status="draft")
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_newsstory"))
    client.force_login(viewer)

    client.post(LIST_URL, {"action": "publish_en", "_selected_action": [story.pk]})

    assert NewsStoryTranslation.objects.get(master=story).status == "draft"


# --- Times, in the organisation's time zone --------------------------------------------------------------


def test_times_are_entered_and_shown_in_hong_kong_time(staff_client):
    client = Client()
    form = story_form(title="Morning story", publish_date="2024-03-01", publish_time="07:30")

    assert staff_client.post(f"{LIST_URL}add/?language=en", form).status_code == 302

    story = NewsStory.objects.get()
    assert story.publish_at == datetime.datetime(2024, 2, 29, 23, 30, tzinfo=datetime.UTC)
    # Dated by the day in Hong Kong, not in UTC (where it was still 29 February).
    assert "March 1, 2024" in client.get("/news/morning-story/").content.decode()
    assert "2024年3月1日" in client.get("/zh/news/morning-story/").content.decode()


@pytest.mark.slow
def test_a_story_scheduled_for_a_moment_appears_then_without_anyone_saving(client, make_story):
    moment = timezone.now() + datetime.timedelta(seconds=1.5)
    make_story({"en": "At the moment"}, publish_at=moment)

    # Both pages are cached meanwhile: the list without the story, its address not found.
    assert "At the moment" not in client.get("/news/").content.decode()
    assert client.get("/news/at-the-moment/").status_code == 404
    time.sleep(max(0, (moment - timezone.now()).total_seconds()) + 0.1)

    assert client.get("/news/at-the-moment/").status_code == 200
    assert card_titles(client.get("/news/"))[0] == "At the moment"


def test_a_language_scheduled_after_the_story_waits_for_its_own_time(client, make_story):
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    make_story({"en": "Both languages", "zh-hans": {"title": "两种语言", "scheduled_for": tomorrow}})

    assert card_titles(client.get("/zh/news/")) == ["Both languages"]
    assert card_titles(client.get("/news/")) == ["Both languages"]


@pytest.mark.parametrize(
    "date, time, visible",
    [("2001-01-01", "00:00", True), ("9999-12-31", "23:59", False)],
    ids=["in the past: published at once", "far in the future: hidden until then"],
)
def test_a_time_in_the_past_or_far_future_is_saved_as_given(staff_client, date, time, visible):
    client = Client()
    response = staff_client.post(f"{LIST_URL}add/?language=en", story_form(publish_date=date, publish_time=time))

    assert response.status_code == 302
    assert (client.get("/news/factory-visit-in-dongguan/").status_code == 200) is visible


@pytest.mark.parametrize("date, time", [("10000-01-01", "00:00"), ("2024-02-30", "09:00"), ("2024-03-01", "25:00")])
def test_an_impossible_time_is_refused_with_a_message(staff_client, date, time):
    response = staff_client.post(f"{LIST_URL}add/?language=en", story_form(publish_date=date, publish_time=time))

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not NewsStory.objects.exists()


@pytest.mark.parametrize(
    "admin, message",
    [("/admin", "couldn’t be interpreted in time zone Europe/London"), ("/zh/admin", "时区")],
)
def test_a_time_that_does_not_exist_in_a_daylight_saving_time_zone_is_refused(staff_client, settings, admin, message):
    settings.TIME_ZONE = "Europe/London"  # clocks go from 01:00 to 02:00 on 28 March 2027
    form = story_form(publish_date="2027-03-28", publish_time="01:30")

    response = staff_client.post(f"{admin}/news/newsstory/add/?language=en", form)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not NewsStory.objects.exists()


# --- Translations that may be out of date ---------------------------------------------------------------


def edit(staff_client, story, language, publish=True, **changes):
    """Publishes (or only saves) one language tab of the story's admin form as an editor would, with `changes` to
    what it holds (a Save of a published translation only keeps a draft: tests/news/test_drafts.py)."""
    version = story.translations.get(language_code=language)
    unchanged = {"title": version.title, "slug": version.slug, "summary": version.summary, "status": version.status}
    form = story_form(**(unchanged | {"publish_date": "2023-10-27", "publish_time": "00:00"} | changes))
    response = staff_client.post(change_url(story, language), form | ({"_publish": "1"} if publish else {}))
    assert response.status_code == 302, response.content.decode()
    return response


def test_editing_one_language_flags_the_other_until_it_is_marked_up_to_date(staff_client, make_story):
    story = make_story({"en": "Flag me", "zh-hans": "标记我"})

    edit(staff_client, story, "en", summary="A new paragraph the translator has not seen.")

    chinese_tab = parse_page(staff_client.get(change_url(story, "zh-hans")))
    assert "this version may be out of date" in chinese_tab.find(class_="field-translation_notice").text
    assert "⚠ may be out of date" in chinese_tab.find(class_="parler-language-tabs").text
    assert "中文 ○ Draft" not in parse_page(staff_client.get(LIST_URL)).text
    assert "中文 ● Published · ⚠ may be out of date" in " ".join(parse_page(staff_client.get(LIST_URL)).text.split())
    # The edited language is not flagged.
    assert parse_page(staff_client.get(change_url(story, "en"))).find(class_="field-translation_notice") is None

    edit(staff_client, story, "zh-hans", mark_up_to_date="on")

    assert parse_page(staff_client.get(change_url(story, "zh-hans"))).find(class_="field-translation_notice") is None
    assert "may be out of date" not in staff_client.get(LIST_URL).content.decode()


def test_editing_the_flagged_translation_clears_its_flag(staff_client, make_story):
    story = make_story({"en": "Flag me", "zh-hans": "标记我"})
    edit(staff_client, story, "en", summary="New.")

    edit(staff_client, story, "zh-hans", summary="新的。")

    assert "may be out of date" not in staff_client.get(LIST_URL).content.decode()


# Two editors saving at once: tests/news/test_concurrent_saves.py.


# --- Revisions ----------------------------------------------------------------------------------------------


def revisions_of(story):
    return list(Version.objects.get_for_object(story).select_related("revision"))


def test_every_save_keeps_a_revision_with_who_and_what(staff_client, make_story):
    story = make_story({"en": "Kept", "zh-hans": "保存"})

    edit(staff_client, story, "en", summary="First summary")
    edit(staff_client, story, "zh-hans", summary="第一个摘要")
    staff_client.post(LIST_URL, {"action": "unpublish_zh", "_selected_action": [story.pk], "confirmed": "1"})

    comments = [describe(version.revision) for version in revisions_of(story)]
    assert comments == [
        "Unpublished, back to draft (中文)",
        "中文: changed summary; published",
        "EN: changed summary; published",
    ]
    assert {version.revision.user.username for version in revisions_of(story)} == {"editor"}
    history = staff_client.get(f"{LIST_URL}{story.pk}/history/").content.decode()
    assert "EN: changed summary" in history and history.count("Restore into the draft…") == 2


def test_two_revisions_compared_show_the_words_that_changed(staff_client, make_story):
    story = make_story({"en": "Compare me"}, status="draft")
    edit(staff_client, story, "en", publish=False, summary="Training reached twelve factories")
    edit(staff_client, story, "en", summary="Training reached fifteen factories")
    newer, older = revisions_of(story)

    page = staff_client.get(f"{LIST_URL}{story.pk}/history/compare/", {"older": older.pk, "newer": newer.pk})

    assert page.status_code == 200
    assertInHTML("<td>Training reached <del>twelve</del> <ins>fifteen</ins> factories</td>", page.content.decode())
    assertInHTML("<td><del>Draft</del> <ins>Published</ins></td>", page.content.decode())
    # The marks are coloured by the admin's stylesheet, which the page loads.
    assert 'href="/static/css/admin.css"' in page.content.decode()


@pytest.mark.parametrize("query", [{}, {"older": "x", "newer": "1"}, {"older": "99999999999999999999", "newer": "1"}])
def test_comparing_revisions_that_do_not_exist_is_not_found(staff_client, make_story, query):
    story = make_story({"en": "Compare me"})
    assert staff_client.get(f"{LIST_URL}{story.pk}/history/compare/", query).status_code == 404


def test_an_earlier_revision_is_restored_into_the_drafts_and_the_live_pages_stay_until_published(
    staff_client, make_story
):
    client = Client()
    story = make_story({"en": "Original title", "zh-hans": "原来的标题"})
    edit(staff_client, story, "en", summary="The original summary")
    edit(staff_client, story, "en", title="Vandalised title", slug="vandalised", summary="Wrong")
    first = revisions_of(story)[-1]
    restore_url = f"{LIST_URL}{story.pk}/history/{first.pk}/restore/"

    confirmation = staff_client.get(restore_url).content.decode()
    assert "The live page stays as it is until you press Publish; nothing is unpublished." in confirmation
    response = staff_client.post(restore_url, {"language": ["en", "zh-hans"]}, follow=True)

    assert "is restored into the draft: check it, then publish" in response.content.decode()
    story = NewsStory.objects.get(pk=story.pk)
    assert set(story.translations.values_list("status", flat=True)) == {"published"}
    assert "Vandalised title" in client.get("/news/vandalised/").content.decode()  # still live
    assert client.get("/zh/news/原来的标题/").status_code == 200
    english_tab = parse_page(staff_client.get(change_url(story, "en")))
    assert english_tab.find("input", name="title").attrs["value"] == "Original title"
    # The restore is a revision too: nothing in the history is lost.
    assert describe(revisions_of(story)[0].revision).startswith("Restored the revision of")
    assert len(revisions_of(story)) == 3

    staff_client.post(LIST_URL, {"action": "publish_en", "_selected_action": [story.pk]})

    assert client.get("/news/vandalised/").status_code == 301
    assert "The original summary" in client.get("/news/original-title/").content.decode()


@pytest.mark.slow
def test_restoring_a_revision_whose_image_was_since_replaced_keeps_the_current_image(
    staff_client, make_story, media_root, django_capture_on_commit_callbacks
):
    story = make_story({"en": "Photo story"})
    first_photo = SimpleUploadedFile("first.jpg", photo_like(800, 600), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):  # the image is queued once the save commits
        edit(staff_client, story, "en", image=first_photo, image_alt="The first photo")
    run_queued_tasks()
    second_photo = SimpleUploadedFile("second.jpg", photo_like(900, 600), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        edit(staff_client, story, "en", image=second_photo, image_alt="The second photo")
    with django_capture_on_commit_callbacks(execute=True):  # the first photo's files are deleted
        run_queued_tasks()
    story.refresh_from_db()
    current_image = story.image.name
    first = revisions_of(story)[-1]

    response = staff_client.post(f"{LIST_URL}{story.pk}/history/{first.pk}/restore/", follow=True)

    # A published story shows its image at once: the restore leaves it, and says so.
    assert "shared by the published page and were left as they are" in response.content.decode()
    story.refresh_from_db()
    assert story.image.name == current_image and story.image.storage.exists(current_image)
    assert story.translations.get().image_alt == "The second photo"
    assert story.translations.get().draft.content["image_alt"] == "The first photo"


@pytest.mark.parametrize(
    "admin, note",
    [
        ("/admin/", "The image of that revision has since been replaced and deleted: the current image was kept."),
        ("/zh/admin/", None),
    ],
    ids=["english", "chinese"],
)
def test_restoring_a_draft_s_revision_whose_image_files_are_gone_keeps_the_current_image_and_says_so(
    staff_client, make_story, media_root, django_capture_on_commit_callbacks, admin, note
):
    story = make_story({"en": "Photo draft"}, status="draft")
    first_photo = SimpleUploadedFile("first.jpg", photo_like(800, 600), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        edit(staff_client, story, "en", publish=False, image=first_photo, image_alt="The photo", status="draft")
    run_queued_tasks()
    edit(
        staff_client, story, "en", publish=False, summary="With the first photo", image_alt="The photo", status="draft"
    )
    with_first_photo = revisions_of(story)[0]
    second_photo = SimpleUploadedFile("second.jpg", photo_like(900, 600), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        edit(staff_client, story, "en", publish=False, image=second_photo, image_alt="The photo", status="draft")
    with django_capture_on_commit_callbacks(execute=True):  # the first photo's files are deleted
        run_queued_tasks()
    story.refresh_from_db()
    current_image = story.image.name

    response = staff_client.post(
        f"{admin}news/newsstory/{story.pk}/history/{with_first_photo.pk}/restore/", follow=True
    )

    assert response.status_code == 200
    warnings = parse_page(response).find(class_="messagelist").find_all("li", class_="warning")
    expected = note
    if note is None:
        with translation.override("zh-hans"):
            expected = translation.gettext(
                "The image of that revision has since been replaced and deleted: the current image was kept."
            )
    assert expected in [warning.text for warning in warnings]
    story.refresh_from_db()
    assert story.image.name == current_image and story.card_picture is not None
    assert story.translations.get().summary == "With the first photo"


def test_restoring_an_address_another_story_took_since_keeps_the_current_one(staff_client, make_story):
    story = make_story({"en": {"title": "Taken", "slug": "taken"}})
    edit(staff_client, story, "en", title="Taken", slug="taken", summary="First")
    edit(staff_client, story, "en", title="Taken", slug="moved-on")
    make_story({"en": {"title": "Newcomer", "slug": "taken"}})
    first = revisions_of(story)[-1]

    response = staff_client.post(f"{LIST_URL}{story.pk}/history/{first.pk}/restore/", follow=True)

    assert "Another story now uses the address of that revision (taken)" in response.content.decode()
    assert story.translations.get().slug == "moved-on"


def test_a_revision_is_restored_only_by_a_post_from_someone_who_may_change_stories(
    client, staff_client, django_user_model, make_story
):
    story = make_story({"en": "Guarded"})
    edit(staff_client, story, "en", summary="Kept")
    version = revisions_of(story)[0]
    restore_url = f"{LIST_URL}{story.pk}/history/{version.pk}/restore/"

    assert staff_client.get(restore_url).status_code == 200  # the confirmation page
    assert Client().post(restore_url).status_code == 302  # to the login page
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    assert client.get(restore_url).status_code == 403
    assert client.post(restore_url).status_code == 403
    assert Revision.objects.count() == 1


# --- Preview links ------------------------------------------------------------------------------------------


def create_preview_link(staff_client, story, language):
    response = staff_client.post(f"{LIST_URL}{story.pk}/preview-links/new/?language={language}", follow=True)
    assert response.status_code == 200
    return parse_page(response).find("textarea", class_="preview-link").text


def test_a_preview_link_shows_the_draft_without_an_account_never_indexed_or_cached(
    staff_client, english_published_chinese_draft
):
    link = create_preview_link(staff_client, english_published_chinese_draft, "zh-hans")

    assert link.startswith("http://testserver/zh/news/preview/")
    preview = Client().get(link)

    assert preview.status_code == 200
    page = preview.content.decode()
    assertInHTML("<h1>2024年审核截止日期</h1>", page)
    assert "预览——尚未发布" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert preview["X-Robots-Tag"] == "noindex, nofollow"
    assert preview["Cache-Control"] == "private, no-store"
    assert preview["Referrer-Policy"] == "no-referrer"
    assert hreflangs(preview) == {}  # no alternate translations: a preview is not a page to index


def test_a_preview_link_opened_on_a_page_in_the_other_language_leads_to_its_own(
    staff_client, english_published_chinese_draft
):
    link = create_preview_link(staff_client, english_published_chinese_draft, "zh-hans")
    english_address = link.replace("http://testserver/zh/", "/")

    assert Client().get(english_address)["Location"] == link.removeprefix("http://testserver")


def tampered(token):
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize("spoil", ["tamper", "expire", "revoke", "garbage", "other key"])
def test_a_spoiled_preview_link_is_not_found_in_the_visitors_language(
    staff_client, english_published_chinese_draft, spoil
):
    link = create_preview_link(staff_client, english_published_chinese_draft, "zh-hans")
    token = link.rstrip("/").rsplit("/", 1)[-1]
    preview = PreviewLink.objects.get()
    if spoil == "tamper":
        link = link.replace(token, tampered(token))
    elif spoil == "expire":
        PreviewLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    elif spoil == "revoke":
        story = english_published_chinese_draft
        form = story_form(title="2024年审核截止日期", status="draft", _save=None)
        revoked = staff_client.post(
            f"{LIST_URL}{story.pk}/change/?language=zh-hans", form | {"_revoke_preview_link": preview.pk}, follow=True
        )
        assert "the preview link is revoked" in revoked.content.decode()
    elif spoil == "garbage":
        link = link.replace(token, "%00" + "x" * 500)
    else:  # signed correctly, but for a key no link has
        from django.core import signing

        link = link.replace(token, signing.Signer(salt=PreviewLink.SIGNING_SALT).sign("0" * 32))

    response = Client().get(link)

    assertContains(response, "找不到该页面", status_code=404)
    assert "2024年审核截止日期" not in response.content.decode()


def test_a_preview_link_works_for_seven_days(staff_client, english_published_chinese_draft):
    create_preview_link(staff_client, english_published_chinese_draft, "en")
    link = PreviewLink.objects.get()

    assert abs(link.expires_at - link.created_at - datetime.timedelta(days=7)) < datetime.timedelta(seconds=1)


def test_preview_links_are_made_only_for_a_written_language_by_someone_who_may_change_the_story(
    client, staff_client, django_user_model, make_story
):
    story = make_story({"en": "English only"})

    assert staff_client.post(f"{LIST_URL}{story.pk}/preview-links/new/?language=zh-hans").status_code == 404
    assert staff_client.post(f"{LIST_URL}{story.pk}/preview-links/new/?language=xx").status_code == 404
    assert staff_client.get(f"{LIST_URL}{story.pk}/preview-links/new/?language=en").status_code == 404
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    assert client.post(f"{LIST_URL}{story.pk}/preview-links/new/?language=en").status_code == 403
    assert not PreviewLink.objects.exists()


def test_robots_are_kept_away_from_preview_links(client):
    assert "Disallow: /news/preview/" in client.get("/robots.txt").content.decode()


# --- Addresses ------------------------------------------------------------------------------------------------


def test_a_drafts_slug_change_leaves_no_redirect_but_a_published_ones_does(
    staff_client, english_published_chinese_draft
):
    story = english_published_chinese_draft

    edit(staff_client, story, "zh-hans", title="新标题", slug="新标题")
    edit(staff_client, story, "en", title="Audit deadlines", slug="audit-deadlines")

    assert list(StorySlugRedirect.objects.values_list("language_code", "old_slug")) == [("en", "audit-deadlines-2024")]
    with translation.override("en"):
        assert Client().get("/news/audit-deadlines-2024/")["Location"] == "/news/audit-deadlines/"


# --- Speed ----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_list_story_and_sitemap_pages_keep_their_query_counts_with_ten_thousand_stories(
    client, django_assert_max_num_queries, media_root
):
    many_stories(10_000)  # every other story translated; half of the translations still drafts
    story = NewsStory.objects.get(translations__slug="story-5")
    for title in ["Story 5, first draft", "Story 5"]:
        with reversion.create_revision():
            story.set_current_language("en")
            story.title = title
            story.save()
    upload = SimpleUploadedFile("report.pdf", minimal_pdf(), content_type="application/pdf")
    story.documents.create(language_code="en", title="Audit report", file=upload)

    name_cache_generation()  # once per change, not per page: see tests/caching/test_page_cache.py
    # The first page reads its twelve stories and their versions, as with a handful: nothing counts the 10,000.
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/news/").status_code == 200
    assert len(queries) == 2 and "COUNT(" not in queries[0]["sql"].upper()
    for path in ["/news/", "/zh/news/", "/zh/news/?page=last", "/news/category/news/", "/zh/news/2026/"]:
        with django_assert_max_num_queries(4 if "20" not in path else 10):  # as in test_news_sections.py
            assert client.get(path).status_code == 200
    with django_assert_max_num_queries(9):
        assert "Audit report" in client.get("/news/story-5/").content.decode()
    with django_assert_max_num_queries(9):
        assert "新闻 5" in client.get(f"/zh/news/{quote('新闻-5')}/").content.decode()
    with django_assert_max_num_queries(9):  # a draft translation: the English version, labelled
        assert "Story 7" in client.get("/zh/news/story-7/").content.decode()
    # The sitemap index lists ten pages of at most 1,000 stories, each read in two queries.
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    pages = [loc.text.removeprefix("http://testserver") for loc in index.iter(f"{{{SITEMAPS}}}loc")][1:]
    assert pages == [f"/sitemap-stories-{number}.xml" for number in range(1, 11)]
    english_addresses = 0
    for page in pages:
        with django_assert_max_num_queries(2):
            urlset = ElementTree.fromstring(client.get(page).content)
        stories = [loc.text for loc in urlset.iter(f"{{{SITEMAPS}}}loc") if "/zh/" not in loc.text]
        assert len(stories) <= 1000
        english_addresses += len(stories)
    assert english_addresses == 10_000
