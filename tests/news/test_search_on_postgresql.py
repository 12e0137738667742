"""On PostgreSQL a first search reads its page of results as SQL text (news/postgresql_search.py); the ORM's search
(NewsStoryQuerySet.search) is SQLite's and renders the cards not cached yet. Both must show a visitor the same page."""

import datetime

import pytest
from django.contrib.postgres.search import SearchQueryField
from django.core.cache import cache
from django.db import connection
from django.db.models import ExpressionWrapper
from django.utils import timezone, translation

from caching.page_cache import current_generation
from news import views
from news.fragments import fragment_key
from news.models import NewsStory, NewsStoryTranslation
from news.postgresql_search import MatchingStories, story_models
from news.search import SearchTerms, results_key
from site_shell.languages import site_language
from testkit.pages import card_titles, parse_page
from tests.news.searches import HOSTILE_QUERIES

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the search written as SQL runs on PostgreSQL only; SQLite searches through the ORM (CI runs both)",
    ),
]

# Words in titles, summaries or bodies, in one language or both, with a page or two of results, or none.
QUERIES = ["audit", "审核", "audit deadlines", "审", "核实 escp", "factory", "截止日期", "nothing here", "ＡＵＤＩＴ"]
# The second and last page, pages out of range and not numbers, for the queries with two pages.
PAGE_NUMBERS = ["2", "3", "99", "0", "x"]


def build_stories(make_story):
    """Stories that search must tell apart: bilingual ones, each language alone, drafts, scheduled translations, a story
    whose time has not come, an undated one, two on the same day (ordered by id), one with a picture; twelve say
    "audit" (two pages), in titles, summaries or bodies."""
    day = datetime.date(2024, 3, 1)
    for number in range(8):
        make_story(
            {
                "en": {
                    "title": f"Factory visit {number}",
                    "summary": "Audit deadlines moved." if number % 3 == 0 else "A visit to a factory.",
                    "body": f"<p>The <strong>audit</strong> of factory {number} found clean kitchens.</p>",
                },
                "zh-hans": {
                    "title": f"工厂访问 {number}",
                    "summary": "审核截止日期推迟。" if number % 2 else "工厂访问。",
                    "body": f"<p>第 {number} 家工厂的审核发现厨房干净。</p>",
                },
            },
            publish_date=day + datetime.timedelta(days=number // 2),  # two a day: the later id first
        )
    make_story({"en": {"title": "Audit results in English only", "body": "<p>Audit deadlines for all.</p>"}})
    make_story({"zh-hans": {"title": "核实 ESCP 职员", "summary": "职员名单已经审核。"}})
    make_story(
        {
            "en": {"title": "Audit news", "body": "<p>Published in English.</p>"},
            "zh-hans": {"title": "审核草稿", "body": "<p>尚未公开的审核截止日期。</p>", "status": "draft"},
        }
    )
    make_story(
        {
            "en": {"title": "Scheduled audit", "scheduled_for": timezone.now() + datetime.timedelta(days=2)},
            "zh-hans": {"title": "已发布的审核", "body": "<p>工厂审核。</p>"},
        }
    )
    make_story(
        {"en": "Future audit", "zh-hans": "未来的审核"}, publish_date=datetime.date.today() + datetime.timedelta(3)
    )
    make_story({"en": "Draft audit", "zh-hans": "审核草案"}, status="draft")
    make_story({"en": {"title": "Undated audit", "summary": "From the old site."}}, publish_date=None)
    pictured = make_story({"en": {"title": "Audit in pictures", "body": "<p>Factory audit deadlines.</p>"}})
    rendition = {"width": 640, "height": 480, "webp": [[640, "news/audit-640.webp"]], "jpeg": [[640, "news/a.jpg"]]}
    NewsStory.objects.filter(pk=pictured.pk).update(image="news/audit.jpg", image_renditions={"card": rendition})


def results_shown(client, query, language, page):
    """The page's main part (the form, the count, the cards, the pages), as served."""
    prefix = "/zh" if language == "zh-hans" else ""
    response = client.get(f"{prefix}/search/", {"q": query, "page": page})
    assert response.status_code == 200
    return parse_page(response).find("main").inner_html


def forget_results(query, language, page):
    cache.delete(results_key(language, SearchTerms.from_query(query).query, page))


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_sql_text_shows_the_same_results_as_the_orm(client, make_story, monkeypatch, language):
    build_stories(make_story)
    searches = [(query, "") for query in [*QUERIES, *HOSTILE_QUERIES]]
    searches += [(query, page) for query in ["audit", "审核"] for page in PAGE_NUMBERS]
    for query, page in searches:
        with monkeypatch.context() as orm_search:
            orm_search.setattr(views, "MatchingStories", NewsStory.objects.search)
            cache.clear()
            by_the_orm = results_shown(client, query, language, page)
        cache.clear()
        cards_rendered_now = results_shown(client, query, language, page)
        forget_results(query, language, page)
        cards_cached = results_shown(client, query, language, page)

        assert cards_rendered_now == by_the_orm, (query, page)
        assert cards_cached == by_the_orm, (query, page)
    # The stories and the pages were really there to compare.
    assert len(card_titles(results_shown(client, "audit", language, ""))) == 10
    assert len(card_titles(results_shown(client, "audit", language, "2"))) == 2


def test_a_first_search_is_one_query_while_its_cards_are_cached(client, make_story, django_assert_num_queries):
    build_stories(make_story)
    current_generation()  # found once after a change, not per search
    results_shown(client, "audit", "en", "")
    forget_results("audit", "en", "")

    # The page of ranked stories, their count and their public translations.
    with django_assert_num_queries(1):
        results_shown(client, "audit", "en", "")
    # Cards not cached yet (the Chinese page's) are rendered from the stories, read with their public translations.
    with django_assert_num_queries(3):
        results_shown(client, "audit", "zh-hans", "")
    # A page out of range finds no row to say how many match: they are counted and the last page read.
    results_shown(client, "audit", "en", "2")
    with django_assert_num_queries(3):
        results_shown(client, "audit", "en", "99")


def test_the_query_written_as_sql_is_the_one_the_orm_writes(make_story):
    make_story({"en": "Audit"})
    for query in [
        "audit",
        "audit deadlines",
        "审",
        "审核",
        "审核截止 audits escp",
        "核实 ＥＳＣＰ 审",
        "it's a \\ test",
    ]:
        terms = SearchTerms.from_query(query)
        as_tsquery = ExpressionWrapper(terms.tsquery(), output_field=SearchQueryField())
        by_the_orm = NewsStoryTranslation.objects.annotate(query=as_tsquery).values_list("query", flat=True)[0]
        sql, params = terms.tsquery_sql()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT ({sql})::text", params)
            assert cursor.fetchone()[0] == by_the_orm, query


def test_a_found_story_names_its_cards_as_its_model_does(make_story):
    """Its last changes read as seconds since the epoch (postgresql_search.Instant) give the keys the models' dates
    give: a card the lists cached is the search's too, and a search's card is read back."""
    build_stories(make_story)
    for query, language in [("audit", "en"), ("审核", "zh-hans"), ("factory", "zh-hans")]:
        with translation.override(language):
            found, _count = MatchingStories(SearchTerms.from_query(query)).page_with_count(0, 10)
            models = story_models(found)
            assert found
            for story in found:
                models[story.pk].set_current_language(story.shown_language.code)
                for kind in ["story-card-lazy", "story-card-search"]:
                    assert fragment_key(kind, site_language(), story) == fragment_key(
                        kind, site_language(), models[story.pk]
                    )
