"""Every story has a true date: set when it is first published, shown in the list, the feed and the structured data."""

import datetime
import importlib
import json
import xml.etree.ElementTree as ET

import pytest
import reversion
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from pytest_django.asserts import assertContains
from reversion.models import Revision

from news import publishing
from news.models import NewsStory
from testkit.pages import card_titles, name_cache_generation, parse_page
from testkit.stories import story_form

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/news/newsstory/add/"
LIST_URL = "/admin/news/newsstory/"
OLD = datetime.date(2023, 10, 27)


def feed_dates(client, path="/news/feed/"):
    """{item title: its pubDate} in the feed."""
    channel = ET.fromstring(client.get(path).content).find("channel")
    return {item.findtext("title"): item.findtext("pubDate") for item in channel.findall("item")}


def date_published(client, path):
    """The NewsArticle's datePublished on the story page, or None when it has none."""
    scripts = parse_page(client.get(path)).find_all("script", type="application/ld+json")
    articles = [data for script in scripts for data in json.loads(script.inner_html) if data["@type"] == "NewsArticle"]
    return articles[0].get("datePublished")


def test_a_story_published_from_the_form_without_a_date_is_dated_now_and_listed_first(staff_client, client, make_story):
    make_story({"en": "Last week's story"}, publish_date=OLD)
    before = timezone.now()

    response = staff_client.post(
        ADD_URL + "?language=en", story_form(title="Published today", publish_date="", publish_time="")
    )

    assert response.status_code == 302
    story = NewsStory.objects.get(translations__slug="published-today")
    assert before <= story.publish_at <= timezone.now()
    assert card_titles(client.get("/news/")) == ["Published today", "Last week's story"]
    rfc822 = story.publish_at.astimezone(datetime.UTC).strftime("%a, %d %b %Y %H:%M:%S")
    assert feed_dates(client)["Published today"].startswith(rfc822)
    assert date_published(client, "/news/published-today/") == timezone.localtime(story.publish_at).isoformat()


def test_a_draft_saved_without_a_date_stays_undated_until_it_is_published(staff_client):
    staff_client.post(
        ADD_URL + "?language=en", story_form(title="Still writing", status="draft", publish_date="", publish_time="")
    )
    story = NewsStory.objects.get()
    assert story.publish_at is None

    staff_client.post(LIST_URL, {"action": "publish_all", "_selected_action": [story.pk]})

    story.refresh_from_db()
    assert story.publish_at is not None and story.publish_at.date() == timezone.now().date()


def test_the_form_of_a_new_story_leaves_the_date_empty(staff_client):
    form = parse_page(staff_client.get(ADD_URL + "?language=en"))
    assert form.find("input", name="publish_at_0").attrs.get("value", "") == ""


def test_the_first_publication_dates_the_story_and_later_ones_keep_that_date(make_story, admin_user):
    story = make_story({"en": "Draft", "zh-hans": "草稿"}, status="draft", publish_date=None)

    publishing.publish(story, user=admin_user, language_code="en")
    first = NewsStory.objects.get(pk=story.pk).publish_at
    publishing.unpublish(story, user=admin_user, language_code="en")
    publishing.publish(story, user=admin_user)

    assert first is not None and NewsStory.objects.get(pk=story.pk).publish_at == first


def test_a_date_given_by_the_editor_is_kept(staff_client):
    staff_client.post(ADD_URL + "?language=en", story_form(title="Dated", publish_date="2022-03-01"))
    assert timezone.localtime(NewsStory.objects.get().publish_at).date() == datetime.date(2022, 3, 1)


def test_a_story_scheduled_without_a_date_is_dated_when_it_goes_live(make_story, admin_user):
    story = make_story({"en": "Next week"}, status="draft", publish_date=None)
    when = timezone.now() + datetime.timedelta(days=7)

    publishing.schedule(story, "en", when, user=admin_user)

    assert NewsStory.objects.get(pk=story.pk).publish_at == when


def test_the_revision_of_a_first_publication_records_the_date(staff_client):
    staff_client.post(ADD_URL + "?language=en", story_form(title="Recorded", publish_date="", publish_time=""))
    story = NewsStory.objects.get()
    version = reversion.models.Version.objects.get_for_object(story).first()
    assert json.loads(version.serialized_data)[0]["fields"]["publish_at"] is not None


def test_an_undated_story_from_the_old_site_is_listed_after_the_dated_ones(client, make_story):
    make_story({"en": "Newest dated"}, publish_date=datetime.date(2024, 1, 1))
    make_story({"en": "Undated"}, publish_date=None)
    make_story({"en": "Older dated"}, publish_date=OLD)

    # Its date is unknown, and it is older than every dated story (new ones are dated when first published).
    assert card_titles(client.get("/news/")) == ["Newest dated", "Older dated", "Undated"]


def test_undated_stories_come_last_on_the_list_with_a_fixed_number_of_queries(
    client, make_story, django_assert_max_num_queries
):
    for number in range(15):
        make_story({"en": f"Dated {number}"}, publish_date=OLD - datetime.timedelta(days=number))
    for number in range(3):
        make_story({"en": f"Undated {number}"}, publish_date=None)
    name_cache_generation()

    with django_assert_max_num_queries(3):
        first_page = client.get("/news/")
    with django_assert_max_num_queries(3):
        last_page = client.get("/news/?page=2")

    # None on the first page; on the last, after the dated ones, the most recently created first.
    assert not any(title.startswith("Undated") for title in card_titles(first_page))
    assert card_titles(last_page)[-4:] == ["Dated 14", "Undated 2", "Undated 1", "Undated 0"]


def test_a_draft_previewed_before_its_first_publication_claims_no_publication_date(staff_client, make_story):
    make_story({"en": "Unpublished"}, status="draft", publish_date=None)
    assert date_published(staff_client, "/news/unpublished/") is None


def test_the_migration_dates_a_published_undated_story_from_its_history_only(make_story, admin_user):
    migration = importlib.import_module("news.migrations.0015_every_published_story_has_a_date")
    with_history = make_story({"en": "With history"}, status="draft", publish_date=None)
    publishing.publish(with_history, user=admin_user)
    first_published = datetime.datetime(2022, 5, 1, 8, 0, tzinfo=datetime.UTC)
    Revision.objects.update(date_created=first_published)
    without_history = make_story({"en": "Without history"}, publish_date=None)
    draft = make_story({"en": "Draft"}, status="draft", publish_date=None)
    NewsStory.objects.update(publish_at=None)

    migration.date_published_stories(apps, None)

    assert NewsStory.objects.get(pk=with_history.pk).publish_at == first_published
    # No record of its first publication: its creation (or seeding) day is not its date.
    assert NewsStory.objects.get(pk=without_history.pk).publish_at is None
    assert NewsStory.objects.get(pk=draft.pk).publish_at is None


@pytest.mark.parametrize(
    "admin_prefix, message",
    [
        ("", "A published story keeps its date, which readers and search engines have seen"),
        ("/zh", "已发布的新闻须保留日期"),
    ],
)
def test_the_date_of_a_published_story_cannot_be_cleared(staff_client, make_story, admin_prefix, message):
    story = make_story({"en": "Out there"}, publish_date=OLD)

    response = staff_client.post(
        f"{admin_prefix}{LIST_URL}{story.pk}/change/?language=en",
        story_form(title="Out there", publish_date="", publish_time=""),
    )

    # Refused, not silently dated again with the moment of saving (which would put it at the top of the list).
    assert response.status_code == 200
    assertContains(response, message)
    assert NewsStory.objects.get(pk=story.pk).publish_at == story.publish_at


def test_the_date_of_a_draft_story_may_be_cleared(staff_client, make_story):
    story = make_story({"en": "Not yet"}, status="draft", publish_date=OLD)

    response = staff_client.post(
        f"{LIST_URL}{story.pk}/change/?language=en",
        story_form(title="Not yet", status="draft", publish_date="", publish_time=""),
    )

    assert response.status_code == 302
    assert NewsStory.objects.get(pk=story.pk).publish_at is None


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("lead", "lead@example.org", "correct horse")
