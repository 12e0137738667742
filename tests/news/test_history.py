"""A story's history reads in the viewer's admin language, whoever saved: changes are recorded as data
(news/changes.py) and told in words when shown."""

import pytest
import reversion
from reversion.models import Version

from news import publishing, revisions
from news.models import NewsStory
from testkit.pages import parse_page
from testkit.stories import story_form

pytestmark = pytest.mark.django_db

ENGLISH_ADMIN = "/admin/news/newsstory/"
CHINESE_ADMIN = "/zh/admin/news/newsstory/"


def save(client, story, language, admin=ENGLISH_ADMIN, **changes):
    translation = story.translations.get(language_code=language)
    unchanged = {"title": translation.title, "slug": translation.slug, "summary": translation.summary}
    form = story_form(**(unchanged | {"status": translation.status} | changes))
    response = client.post(f"{admin}{story.pk}/change/?language={language}", form | {"_publish": "1"})
    assert response.status_code == 302, response.content.decode()


def history_rows(client, story, admin):
    page = parse_page(client.get(f"{admin}{story.pk}/history/"))
    return [" ".join(row.text.split()) for row in page.find(id="content-main").find("tbody").find_all("tr")]


def test_a_change_saved_in_the_english_admin_reads_in_chinese_and_the_other_way_round(staff_client, make_story):
    story = make_story({"en": "Audit deadlines", "zh-hans": "审核截止日期"})

    save(staff_client, story, "en", body="<p>New body</p>")
    save(staff_client, story, "zh-hans", admin=CHINESE_ADMIN, summary="新的摘要")

    chinese = history_rows(staff_client, story, CHINESE_ADMIN)
    english = history_rows(staff_client, story, ENGLISH_ADMIN)
    assert "中文：修改了摘要；已发布" in chinese[0] and "EN：修改了" in chinese[1] and "正文；已发布" in chinese[1]
    assert "中文: changed summary; published" in english[0] and "body; published" in english[1]
    assert not any("changed" in row for row in chinese)


def test_publish_unpublish_and_restore_read_in_the_viewers_language(staff_client, make_story, django_user_model):
    editor = django_user_model.objects.get(username="editor")
    story = make_story({"en": "Shown", "zh-hans": "显示"})
    with reversion.create_revision():
        reversion.add_to_revision(story)
    publishing.unpublish(story, user=editor, language_code="zh-hans")
    publishing.publish(story, user=editor, language_code="zh-hans")
    revisions.restore_revision(story, Version.objects.get_for_object(story).last(), user=editor)

    chinese = history_rows(staff_client, story, CHINESE_ADMIN)
    english = history_rows(staff_client, story, ENGLISH_ADMIN)
    assert "恢复到草稿中（EN、中文）" in chinese[0] and "Restored the revision of" in english[0]
    assert "已发布（中文）" in chinese[1] and "Published (中文)" in english[1]
    assert "已取消发布，退回草稿（中文）" in chinese[2] and "Unpublished, back to draft (中文)" in english[2]


def test_the_history_is_one_table_newest_first(staff_client, make_story):
    story = make_story({"en": "One table"})
    save(staff_client, story, "en", summary="First")
    save(staff_client, story, "en", summary="Second")

    page = parse_page(staff_client.get(f"{ENGLISH_ADMIN}{story.pk}/history/"))
    assert len(page.find(id="content-main").find_all("table")) == 1
    [newest, oldest] = Version.objects.get_for_object(story)
    assert newest.revision.date_created >= oldest.revision.date_created
    radios = [radio.attrs["value"] for radio in page.find_all("input", name="newer")]
    assert radios == [str(newest.pk), str(oldest.pk)]


def test_clearing_out_of_date_alone_is_listed_as_marked_up_to_date(staff_client, make_story):
    story = make_story({"en": "Flag me", "zh-hans": "标记我"})
    save(staff_client, story, "en", summary="A paragraph the translator has not seen.")

    save(staff_client, story, "zh-hans", mark_up_to_date="on")

    assert history_rows(staff_client, story, ENGLISH_ADMIN)[0].count("中文: marked as up to date") == 1
    assert "中文：标记为已是最新" in history_rows(staff_client, story, CHINESE_ADMIN)[0]


def test_an_old_revision_with_a_sentence_for_its_comment_shows_it_as_it_is(staff_client, make_story):
    story = make_story({"en": "Old"})
    with reversion.create_revision():
        reversion.set_comment("EN: changed body")
        reversion.add_to_revision(story)

    assert "EN: changed body" in history_rows(staff_client, story, CHINESE_ADMIN)[0]


def test_the_compare_view_names_fields_in_the_viewers_language(staff_client, make_story):
    story = make_story({"en": "Compare"})
    save(staff_client, story, "en", summary="Twelve factories")
    save(staff_client, story, "en", summary="Fifteen factories")
    [newer, older] = Version.objects.get_for_object(story)

    page = parse_page(
        staff_client.get(f"{CHINESE_ADMIN}{story.pk}/history/compare/", {"older": older.pk, "newer": newer.pk})
    )
    assert [row.text for row in page.find("tbody").find_all("th")] == ["摘要"]


FORMATTED_BODY = (
    "<h2>Audit results</h2><p>Twelve brands <strong>share</strong> their results.</p>"
    "<ul><li>Dongguan</li><li>Shenzhen</li></ul>"
)
REFORMATTED_BODY = (
    "<h2>Audit results in 2026</h2><p>Forty brands <strong>share</strong> their "
    '<a href="https://example.org/results">results</a>.</p><ul><li>Dongguan</li><li>Foshan</li></ul>'
)


def field_change(page, label):
    """The change shown for the field labelled `label` (a row of the comparison)."""
    return next(row.find("td") for row in page.find_all("tr") if row.find("th") and row.find("th").text == label)


def body_change(page, label="Body"):
    return field_change(page, label).find(class_="story-body-diff")


def test_compare_shows_the_body_formatted_with_removed_and_added_words_marked(staff_client, make_story):
    story = make_story({"en": "Compare"})
    save(staff_client, story, "en", body=FORMATTED_BODY)
    save(staff_client, story, "en", body=REFORMATTED_BODY)
    [newer, older] = Version.objects.get_for_object(story)

    page = parse_page(
        staff_client.get(f"{ENGLISH_ADMIN}{story.pk}/history/compare/", {"older": older.pk, "newer": newer.pk})
    )

    body = body_change(page)
    assert body.find("h2").find("ins").text == "in 2026"
    assert [word.text for word in body.find("p").find_all("del")] == ["Twelve", "results."]
    assert body.find("p").find("strong").text == "share"  # unchanged formatting is shown, unmarked
    assert body.find("a", href="https://example.org/results").find("ins").text == "results"
    items = body.find("ul").find_all("li")
    assert [item.text for item in items] == ["Dongguan", "Shenzhen Foshan"]
    assert items[1].find("del").text == "Shenzhen" and items[1].find("ins").text == "Foshan"


def test_a_body_made_bold_is_a_change_though_its_words_are_the_same(staff_client, make_story):
    story = make_story({"en": "Compare"})
    save(staff_client, story, "en", body="<p>Workers vote.</p>")
    save(staff_client, story, "en", body="<p>Workers <strong>vote.</strong></p>")
    [newer, older] = Version.objects.get_for_object(story)

    page = parse_page(
        staff_client.get(f"{CHINESE_ADMIN}{story.pk}/history/compare/", {"older": older.pk, "newer": newer.pk})
    )

    change = body_change(page, "正文")
    assert change.find("strong").find("ins").text == "vote."
    assert change.find("del").text == "vote."


def test_the_restore_confirmation_shows_the_body_formatted(staff_client, make_story):
    story = make_story({"en": "Compare"})
    save(staff_client, story, "en", body=FORMATTED_BODY)
    save(staff_client, story, "en", body=REFORMATTED_BODY)
    [_newer, older] = Version.objects.get_for_object(story)

    page = parse_page(staff_client.get(f"{ENGLISH_ADMIN}{story.pk}/history/{older.pk}/restore/"))

    # From the latest revision to the one restored: what restoring puts back is added, what it takes out removed.
    body = body_change(page)
    assert body.find("h2").find("del").text == "in 2026"
    assert body.find("ul").find_all("li")[1].find("ins").text == "Shenzhen"


def test_a_hostile_body_in_an_old_revision_is_compared_without_its_script(staff_client, make_story):
    story = make_story({"en": "Compare"})
    save(staff_client, story, "en", body="<p>Safe words.</p>")
    [older] = Version.objects.get_for_object(story)
    # A revision stored before bodies were cleaned (or written around the model): its body is hostile.
    hostile = (
        '<p>Safe <img src=x onerror="alert(1)"> words.</p><script>alert(2)</script>'
        '<p><a href="javascript:alert(3)" onclick="alert(4)">click</a><ins onmouseover="alert(5)">x</ins></p>'
    )
    translation = story.translations.get()
    with reversion.create_revision():
        NewsStory.translations.field.model.objects.filter(pk=translation.pk).update(body=hostile)
        reversion.add_to_revision(NewsStory.objects.get(pk=story.pk))
        reversion.add_to_revision(story.translations.get())
    newer = Version.objects.get_for_object(story).first()

    response = staff_client.get(f"{ENGLISH_ADMIN}{story.pk}/history/compare/", {"older": older.pk, "newer": newer.pk})

    change = body_change(parse_page(response))
    assert [marked.text for marked in change.find_all("ins")] == ["click", "x"]
    shown = change.inner_html
    for hostile_part in ("<script", "<img", "onerror", "javascript:", "onclick", "onmouseover", "alert"):
        assert hostile_part not in shown
