"""What a visitor sees on the news list and story pages, in English and Chinese."""

import datetime
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override
from pytest_django.asserts import assertContains, assertInHTML

from news.models import NewsStory, NewsStoryTranslation, StorySlugRedirect
from news.sitemaps import StorySitemap
from testkit.files import minimal_pdf
from testkit.pages import card_titles, name_cache_generation, parse_page

pytestmark = pytest.mark.django_db

SITEMAPS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def links(page, rel):
    """Where the page's links with this rel (prev, next) lead."""
    return [link.attrs["href"] for link in parse_page(page).find_all("a", rel=rel)]


def card_titled(page, title):
    """The story card whose title is `title`."""
    cards = parse_page(page).find_all("article", class_="story-card")
    return next(card for card in cards if card_titles(card) == [title])


# --- The list ---------------------------------------------------------------------------------


def test_list_shows_newest_first_and_undated_stories_last(client, make_story):
    make_story({"en": "Undated"}, publish_date=None)
    make_story({"en": "Older"}, publish_date=datetime.date(2021, 5, 19))
    make_story({"en": "Newest"}, publish_date=datetime.date(2023, 10, 27))

    response = client.get("/news/")

    assert response.status_code == 200
    assert card_titles(response) == ["Newest", "Older", "Undated"]
    assertContains(response, "<h1>Latest stories</h1>", html=True)


def test_cards_show_category_long_date_title_and_summary(client, make_story):
    make_story(
        {
            "en": {"title": "Audit deadlines", "summary": "No audits over the New Year."},
            "zh-hans": {"title": "审核截止日期", "summary": "春节期间不进行审核。"},
        },
        publish_date=datetime.date(2023, 10, 18),
        category=NewsStory.Category.EVENT,
    )

    english = client.get("/news/").content.decode()
    chinese = client.get("/zh/news/").content.decode()

    assert "October 18, 2023" in english and "Event" in english and "No audits over the New Year." in english
    assert "2023年10月18日" in chinese and "活动" in chinese and "春节期间不进行审核。" in chinese
    assert "审核截止日期" in chinese and "Audit deadlines" not in chinese


def test_drafts_and_future_stories_are_not_listed(client, make_story):
    make_story({"en": "Live"})
    make_story({"en": "Draft"}, status=NewsStory.Status.DRAFT)
    make_story({"en": "Scheduled"}, publish_date=datetime.date.today() + datetime.timedelta(days=3))

    assert card_titles(client.get("/news/")) == ["Live"]


def test_older_stories_are_on_page_two(client, make_story):
    for day in range(1, 15):
        make_story({"en": f"Story of day {day}"}, publish_date=datetime.date(2023, 1, day))

    first = client.get("/news/")
    second = client.get("/news/?page=2")

    assert len(card_titles(first)) == 12
    assert links(first, "next") == ["?page=2"]
    assert card_titles(second) == ["Story of day 2", "Story of day 1"]
    assert links(second, "prev") == ["?page=1"] and links(second, "next") == []
    assertContains(second, "<h1>Older stories</h1>", html=True)
    assertInHTML('<span class="pagination__position">Page 2</span>', second.content.decode())
    assert card_titles(client.get("/news/?page=last")) == ["Story of day 2", "Story of day 1"]


def test_a_full_last_page_leads_nowhere_further(client, make_story):
    for day in range(1, 13):
        make_story({"en": f"Story of day {day}"}, publish_date=datetime.date(2023, 1, day))

    first = client.get("/news/")

    assert len(card_titles(first)) == 12 and links(first, "next") == []
    assert client.get("/news/?page=2").status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "3", "abc", "1.5", "99999999999999999999999", "%00", "1e3"])
def test_bad_page_numbers_are_not_found(client, make_story, page):
    for day in range(1, 15):
        make_story({"en": f"Story {day}"}, publish_date=datetime.date(2023, 1, day))

    assert client.get(f"/news/?page={page}").status_code == 404
    assert client.get(f"/zh/news/?page={page}").status_code == 404


def test_untranslated_story_is_listed_in_its_own_language_with_a_label(client, make_story):
    make_story({"zh-hans": "核实 ESCP 职员"})
    make_story({"en": "Introducing Progress Visits"})

    english = client.get("/news/").content.decode()
    chinese = client.get("/zh/news/").content.decode()

    chinese_only = card_titled(english, "核实 ESCP 职员")
    assert chinese_only.attrs["lang"] == "zh-Hans" and "In Chinese only" in chinese_only.text
    english_only = card_titled(chinese, "Introducing Progress Visits")
    assert english_only.attrs["lang"] == "en" and "仅有英文版" in english_only.text


def test_empty_list_says_so(client, db):
    assert "No stories have been published yet." in client.get("/news/").content.decode()
    assert "暂无已发布的新闻。" in client.get("/zh/news/").content.decode()


# --- Cached cards ------------------------------------------------------------------------------


def test_an_edited_story_shows_its_new_title_on_the_next_list_in_both_languages(client, make_story):
    story = make_story({"en": "Audit deadlines", "zh-hans": "审核截止日期"})
    assert card_titles(client.get("/news/")) == ["Audit deadlines"]
    assert card_titles(client.get("/zh/news/")) == ["审核截止日期"]

    for language, title in [("en", "Audit deadlines for 2024"), ("zh-hans", "2024年审核截止日期")]:
        story.set_current_language(language)
        story.title = title
        story.save_translations()  # the version alone: the story's own date does not change

    assert card_titles(client.get("/news/")) == ["Audit deadlines for 2024"]
    assert card_titles(client.get("/zh/news/")) == ["2024年审核截止日期"]
    assert card_titles(client.get("/news/category/news/")) == ["Audit deadlines for 2024"]


def test_a_changed_picture_or_category_shows_on_the_next_list(client, make_story):
    story = make_story({"en": "Toy fair"})
    assert "Event" not in card_titled(client.get("/news/").content.decode(), "Toy fair").text

    story.category = NewsStory.Category.EVENT
    story.save()

    assert "Event" in card_titled(client.get("/news/").content.decode(), "Toy fair").text


def test_a_draft_never_shows_on_a_card_even_after_staff_previewed_it(client, staff_client, make_story):
    from django.test import Client

    visitor = Client()
    english, chinese_draft = {"title": "Factory visit"}, {"title": "工厂探访草稿", "status": "draft"}
    story = make_story({"en": english, "zh-hans": chinese_draft})
    make_story({"en": "Older visit"}, publish_date=datetime.date(2020, 1, 1))
    assert "工厂探访草稿" in staff_client.get("/zh/news/factory-visit/", follow=True).content.decode()
    assert "工厂探访草稿" in staff_client.get("/zh/news/older-visit/").content.decode()  # the newer story

    assert card_titles(visitor.get("/zh/news/")) == ["Factory visit", "Older visit"]
    assert "工厂探访草稿" not in visitor.get("/zh/news/older-visit/").content.decode()

    story.set_current_language("zh-hans")
    story.status = NewsStory.Status.PUBLISHED
    story.title = "工厂探访"
    story.save()
    assert card_titles(visitor.get("/zh/news/")) == ["工厂探访", "Older visit"]


def test_a_story_page_shows_an_edit_and_a_new_document_on_the_next_visit_in_both_languages(
    client, make_story, media_root
):
    story = make_story(
        {
            "en": {"title": "Audit deadlines", "body": "<p>First text.</p>"},
            "zh-hans": {"title": "审核截止日期", "body": "<p>初稿。</p>"},
        }
    )
    assert "First text." in client.get("/news/audit-deadlines/").content.decode()
    assert "初稿。" in client.get("/zh/news/审核截止日期/").content.decode()

    # Each version saved on its own, as the story's other fields are not: only the version's date changes.
    for language, body in [("en", "<p>Second text.</p>"), ("zh-hans", "<p>二稿。</p>")]:
        story.set_current_language(language)
        story.body = body
        story.save_translations()
    english = client.get("/news/audit-deadlines/").content.decode()
    chinese = client.get("/zh/news/审核截止日期/").content.decode()
    assert "Second text." in english and "First text." not in english
    assert "二稿。" in chinese and "初稿。" not in chinese

    # A document added without saving the story.
    upload = SimpleUploadedFile("checklist.pdf", minimal_pdf(), content_type="application/pdf")
    story.documents.create(language_code="en", title="Checklist", file=upload)
    assert "Checklist" in client.get("/news/audit-deadlines/").content.decode()
    assert "Checklist" in client.get("/zh/news/审核截止日期/").content.decode()


def test_a_draft_previewed_by_staff_never_reaches_a_visitors_story_page(client, staff_client, make_story):
    from django.test import Client

    english, chinese_draft = (
        {"title": "Factory visit", "body": "<p>Published.</p>"},
        {"title": "工厂探访", "body": "<p>草稿正文。</p>", "status": "draft"},
    )
    make_story({"en": english, "zh-hans": chinese_draft})
    assert "草稿正文。" in staff_client.get("/zh/news/factory-visit/", follow=True).content.decode()

    visitor = Client().get("/zh/news/factory-visit/").content.decode()
    assert "Published." in visitor and "草稿正文。" not in visitor and "仅有英文版" in visitor


# --- Languages ----------------------------------------------------------------------------------


def test_pages_declare_their_language_and_link_the_other(client, make_story):
    english = client.get("/news/?page=1").content.decode()
    chinese = client.get("/zh/news/?page=1").content.decode()

    assert parse_page(english).find("html").attrs["lang"] == "en"
    assert parse_page(chinese).find("html").attrs["lang"] == "zh-Hans"
    # Alternates are canonical addresses: the first page without ?page=1.
    assertInHTML('<link rel="alternate" hreflang="zh-Hans" href="http://testserver/zh/news/">', english)
    assertInHTML('<link rel="alternate" hreflang="en" href="http://testserver/news/">', chinese)
    # The switch stays on the same page: the first, which has no number.
    assert parse_page(english).find("a", href="/zh/news/", hreflang="zh-Hans")
    assert parse_page(chinese).find("a", href="/news/", hreflang="en")


def test_interface_and_django_strings_are_chinese_on_chinese_pages(client, make_story):
    chinese = client.get("/zh/news/").content.decode()
    assert "最新动态" in chinese
    assert "跳到正文" in chinese
    not_found = client.get("/zh/news/no-such-story/")
    assert not_found.status_code == 404


def test_root_leads_to_the_news_in_each_language(client, db):
    assert client.get("/").headers["Location"] == "/news/"
    assert client.get("/zh/").headers["Location"] == "/zh/news/"


@pytest.mark.parametrize("path", ["/fr/news/", "/zh-hans/news/", "/xx/", "/en/news/"])
def test_unknown_language_prefixes_are_not_found(client, db, path):
    assert client.get(path).status_code == 404


def test_not_found_page_speaks_the_visitors_language_and_leads_back_to_the_news(client, db):
    english = client.get("/news/no-such-story/")
    chinese = client.get("/zh/news/no-such-story/")

    assert english.status_code == chinese.status_code == 404
    assertContains(english, "<h1>Page not found</h1>", status_code=404, html=True)
    assertContains(english, '<a href="/news/">Read the latest stories</a>', status_code=404, html=True)
    assertContains(chinese, "<h1>找不到该页面</h1>", status_code=404, html=True)
    assertContains(chinese, '<a href="/zh/news/">阅读最新动态</a>', status_code=404, html=True)
    assert parse_page(chinese).find("html").attrs["lang"] == "zh-Hans"


# --- A story ------------------------------------------------------------------------------------


def test_story_page_shows_title_standfirst_one_date_with_the_dateline_and_body(client, make_story):
    english = {"title": "SDG flag", "summary": "A flag for the goals.", "dateline": "London", "body": "We raised it."}
    make_story({"en": english}, publish_date=datetime.date(2023, 9, 25))
    make_story({"zh-hans": {"title": "可持续发展目标", "dateline": "伦敦"}}, publish_date=datetime.date(2023, 9, 25))

    response = client.get("/news/sdg-flag/")

    assert response.status_code == 200
    assertContains(response, "<title>SDG flag · ICTI Ethical Toy Program</title>", html=True)
    # The standfirst follows the headline; one date, in the page's language, with the place beside it.
    article = parse_page(response.content.decode()).find("article", class_="story")
    text = article.text
    assert text.index("SDG flag") < text.index("A flag for the goals.") < text.index("September 25, 2023")
    assert text.count("2023") == 1 and article.find(class_="story__dateline").text == "London"
    assert "We raised it." in text
    chinese = parse_page(client.get("/zh/news/可持续发展目标/").content.decode()).find("article", class_="story")
    assert "2023年9月25日" in chinese.text and chinese.find(class_="story__dateline").text == "伦敦"


def test_story_links_to_newer_and_older_stories_and_the_list(client, make_story):
    make_story({"en": "Oldest"}, publish_date=datetime.date(2021, 1, 1))
    make_story({"en": "Middle"}, publish_date=datetime.date(2022, 1, 1))
    make_story({"en": "Newest"}, publish_date=datetime.date(2023, 1, 1))
    make_story({"en": "Undated"}, publish_date=None)

    middle = client.get("/news/middle/").content.decode()
    oldest = client.get("/news/oldest/").content.decode()
    undated = client.get("/news/undated/").content.decode()

    assert links(middle, "prev") == ["/news/newest/"] and links(middle, "next") == ["/news/oldest/"]
    assert links(oldest, "next") == ["/news/undated/"]
    assert links(undated, "prev") == ["/news/oldest/"] and links(undated, "next") == []
    assertInHTML('<a href="/news/">All stories</a>', middle)


def test_each_language_has_its_own_slug_and_switch_keeps_the_story(client, make_story):
    make_story(
        {
            "en": {"title": "Verify ESCP staff", "slug": "verify-escp-staff"},
            "zh-hans": {"title": "核实 ESCP 职员", "slug": "核实-escp-职员"},
        }
    )

    english = client.get("/news/verify-escp-staff/").content.decode()
    chinese = client.get("/zh/news/核实-escp-职员/")

    assertContains(chinese, "<h1>核实 ESCP 职员</h1>", html=True)
    chinese_url = "/zh/news/%E6%A0%B8%E5%AE%9E-escp-%E8%81%8C%E5%91%98/"
    assert parse_page(english).find("a", href=chinese_url, hreflang="zh-Hans")
    # The English slug under /zh/ finds the Chinese version.
    redirected = client.get("/zh/news/verify-escp-staff/")
    assert redirected.status_code == 301
    assert redirected.headers["Location"] == "/zh/news/%E6%A0%B8%E5%AE%9E-escp-%E8%81%8C%E5%91%98/"


def test_untranslated_story_page_is_shown_in_its_own_language(client, make_story):
    make_story({"en": {"title": "Introducing Progress Visits", "slug": "introducing-progress-visits"}})

    response = client.get("/zh/news/introducing-progress-visits/")

    page = parse_page(response)
    assert response.status_code == 200
    assert page.find("article", class_="story").attrs["lang"] == "en"
    assert "仅有英文版" in page.text
    # No alternate link for a Chinese version that does not exist.
    assert page.find("link", rel="alternate", hreflang="zh-Hans") is None


def test_drafts_are_hidden_from_visitors_but_staff_can_preview(client, staff_client, make_story):
    make_story({"en": "Not yet"}, status=NewsStory.Status.DRAFT)

    from django.test import Client

    assert Client().get("/news/not-yet/").status_code == 404
    preview = staff_client.get("/news/not-yet/")
    assert preview.status_code == 200
    assert "Not published in this language yet: only staff can see this version." in preview.content.decode()


@pytest.mark.parametrize(
    "slug",
    ["no-such-story", "x" * 201, "x" * 5000, "%00", "a%00b", "<script>", "a.b", "%E6%97%A0", "..%2f..%2fetc"],
)
def test_bad_story_addresses_are_not_found(client, make_story, slug):
    make_story({"en": "Real"})
    assert client.get(f"/news/{slug}/").status_code == 404
    assert client.get(f"/zh/news/{slug}/").status_code == 404


# --- The old site's addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new",
    [
        ("/news-events/introducing-progress-visits", "/news/introducing-progress-visits/"),
        ("/zh/news-events/introducing-progress-visits", "/zh/news/introducing-progress-visits/"),
        ("/news-events-blogs/news", "/news/"),
        ("/zh/news-events-blogs/news", "/zh/news/"),
    ],
)
def test_old_site_addresses_redirect_permanently(client, make_story, old, new):
    make_story({"en": {"title": "Introducing Progress Visits"}})
    response = client.get(old)
    assert response.status_code == 301
    assert response.headers["Location"] == new
    assert client.get(new).status_code == 200


def renamed(story, language, slug):
    story.set_current_language(language)
    story.slug = slug
    story.save()
    return story


@pytest.mark.parametrize(
    "old, new",
    [
        ("/news-events/worker-committees", "/news/elected-committees/"),
        ("/news-events/committees/", "/news/elected-committees/"),
        ("/zh/news-events/worker-committees", "/zh/news/elected-committees/"),
        ("/news-events/elected-committees", "/news/elected-committees/"),
    ],
)
def test_old_site_addresses_of_renamed_stories_redirect_in_one_hop(client, make_story, old, new):
    story = make_story({"en": {"title": "Worker committees", "slug": "worker-committees"}})
    renamed(renamed(story, "en", "committees"), "en", "elected-committees")

    response = client.get(old)

    assert (response.status_code, response.headers["Location"]) == (301, new)
    assert client.get(new).status_code == 200


def test_old_site_address_of_no_story_is_not_found(client, db):
    assert client.get("/news-events/no-such-story").status_code == 404


def test_slug_changed_by_code_redirects_in_the_page_language(client, make_story):
    story = make_story({"en": "Spring fair", "zh-hans": "春季展会"})
    renamed(story, "zh-hans", "2024-春季展会")

    response = client.get("/zh/news/春季展会/")
    assert (response.status_code, response.headers["Location"]) == (301, f"/zh/news/{quote('2024-春季展会')}/")
    # The old Chinese slug on an English page leads to the English address.
    response = client.get("/news/春季展会/")
    assert (response.status_code, response.headers["Location"]) == (301, "/news/spring-fair/")


def test_a_live_slug_wins_over_an_old_one(client, make_story):
    first = make_story({"en": {"title": "First", "slug": "annual-report"}})
    renamed(first, "en", "annual-report-2023")
    make_story({"en": {"title": "Second", "slug": "annual-report"}})

    response = client.get("/news/annual-report/")

    assert response.status_code == 200
    assertContains(response, "<h1>Second</h1>", html=True)
    assert not StorySlugRedirect.objects.filter(old_slug="annual-report").exists()


def test_old_address_of_a_story_no_longer_published_is_not_found(client, staff_client, make_story):
    story = renamed(make_story({"en": {"title": "Withdrawn", "slug": "withdrawn"}}), "en", "withdrawn-story")
    NewsStoryTranslation.objects.filter(master=story).update(status=NewsStory.Status.DRAFT)

    from django.test import Client

    assert Client().get("/news/withdrawn/").status_code == 404
    assert Client().get("/news-events/withdrawn").status_code == 404
    # Staff, who preview drafts, are led on.
    assert staff_client.get("/news/withdrawn/").status_code == 301

    story.delete()
    assert not StorySlugRedirect.objects.exists()


# --- Speed --------------------------------------------------------------------------------------


@pytest.mark.parametrize("story_count", [10, 200])
def test_list_runs_a_fixed_number_of_queries(client, make_story, django_assert_max_num_queries, story_count):
    for number in range(story_count):
        make_story(
            {"en": f"Story {number}", "zh-hans": f"新闻 {number}"} if number % 2 else {"en": f"Story {number}"},
            publish_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=number),
        )

    name_cache_generation()  # once per change, not per page: see tests/caching/test_page_cache.py
    for path in ["/news/", "/zh/news/", "/zh/news/?page=last"]:
        with django_assert_max_num_queries(3):
            assert client.get(path).status_code == 200
    # With its stories kept (news/rendered_pages.py): their versions to keep the page under, then the page; then the
    # page as kept (another host name, a client without gzip, or after a change elsewhere): the versions alone.
    with django_assert_max_num_queries(4):
        assert "Story 1" in client.get("/news/").content.decode()
    with django_assert_max_num_queries(1):
        assert "Story 1" in client.get("/news/").content.decode()


@pytest.mark.parametrize("path", ["/news/", "/zh/news/?page=2", "/news/category/news/", "/news/2020/?page=2"])
def test_list_pages_read_their_own_stories_without_counting_them_all(client, make_story, path):
    for number in range(30):
        make_story({"en": f"Story {number}"}, publish_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=number))

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200

    assert not [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]


@pytest.mark.parametrize("story_count", [10, 200])
def test_story_page_runs_a_fixed_number_of_queries(
    client, make_story, django_assert_max_num_queries, media_root, story_count, settings
):
    for number in range(story_count):
        story = make_story(
            {"en": f"Story {number}", "zh-hans": f"新闻 {number}"},
            publish_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=number),
        )
        if number == 5:
            for language, title in [("en", "Audit deadlines"), ("en", "Checklist"), ("zh-hans", "审核截止日期")]:
                upload = SimpleUploadedFile(f"{title}.pdf", minimal_pdf(), content_type="application/pdf")
                story.documents.create(language_code=language, title=title, file=upload)
    # Old addresses are looked up only when no story has the slug: a live one costs nothing more.
    renamed(NewsStory.objects.get(translations__slug="story-5"), "en", "story-5-renamed")
    renamed(NewsStory.objects.get(translations__slug="story-5-renamed"), "en", "story-5")

    settings.PAGE_CACHE = False  # every visit renders its page, as on a miss
    name_cache_generation()  # once per change, not per page: see tests/caching/test_page_cache.py
    for path, shown in [("/news/story-5/", "Checklist"), ("/zh/news/新闻-5/", "审核截止日期")]:
        # The first page: the story with its documents, its newer and older neighbours and the related stories,
        # each with its translations.
        with django_assert_max_num_queries(9):
            assert shown in client.get(path).content.decode()
        # Then, with the stories it shows kept (news/rendered_pages.py): their versions and the documents, to keep
        # the page under, then the six stories, their translations, the documents.
        with django_assert_max_num_queries(5):
            assert shown in client.get(path).content.decode()
        # Then the page as kept: the versions and the documents.
        with django_assert_max_num_queries(2):
            assert shown in client.get(path).content.decode()


def test_a_story_page_shows_a_story_published_since_as_its_neighbour_and_related(client, make_story, settings):
    settings.PAGE_CACHE = False
    make_story({"en": "Older"}, publish_date=datetime.date(2022, 1, 1))
    make_story({"en": "Middle"}, publish_date=datetime.date(2023, 1, 1))
    assert links(client.get("/news/middle/").content.decode(), "prev") == []

    make_story({"en": "Newer"}, publish_date=datetime.date(2024, 1, 1))

    page = client.get("/news/middle/").content.decode()
    assert links(page, "prev") == ["/news/newer/"] and links(page, "next") == ["/news/older/"]
    related = parse_page(page).find("section", class_="related-stories")
    assert card_titles(related) == ["Newer", "Older"]


def test_staff_see_a_drafted_neighbour_that_visitors_never_see_whoever_comes_first(
    client, staff_client, make_story, settings
):
    from django.test import Client

    settings.PAGE_CACHE = False
    visitor = Client()
    make_story({"en": "Middle"}, publish_date=datetime.date(2023, 1, 1))
    make_story({"en": "Coming"}, status=NewsStory.Status.DRAFT, publish_date=datetime.date(2024, 1, 1))

    assert links(visitor.get("/news/middle/").content.decode(), "prev") == []
    assert links(staff_client.get("/news/middle/").content.decode(), "prev") == ["/news/coming/"]
    assert links(visitor.get("/news/middle/").content.decode(), "prev") == []


def test_a_story_page_reads_no_html_once_its_text_is_cached(client, make_story, settings, monkeypatch):
    """The body is cleaned when saved and when its cached text is rendered: a page served again (its description,
    structured data, cards) reads the words kept beside it, never the HTML."""
    from news import story_body

    settings.PAGE_CACHE = False
    body = "<p>Auditors visited <b>twelve</b> factories in Dongguan.</p>"
    make_story({"en": {"title": "No summary", "body": body}}, publish_date=datetime.date(2023, 1, 1))
    make_story({"en": {"title": "Related", "body": body}}, publish_date=datetime.date(2022, 1, 1))
    client.get("/news/no-summary/")

    cleaned = []
    for name in ["story_body_cleaner", "text_cleaner"]:
        cleaner = getattr(story_body, name)
        monkeypatch.setattr(story_body, name, CountingCleaner(cleaner, cleaned))
    page = client.get("/news/no-summary/").content.decode()

    assert '<meta name="description" content="Auditors visited twelve factories in Dongguan.">' in page
    assert cleaned == []


class CountingCleaner:
    """An nh3 cleaner that notes each text it cleans."""

    def __init__(self, cleaner, cleaned):
        self.cleaner, self.cleaned = cleaner, cleaned

    def clean(self, html):
        self.cleaned.append(html)
        return self.cleaner.clean(html)


def test_story_url_follows_the_page_language(make_story):
    story = make_story({"en": "Hello", "zh-hans": "你好"})
    with override("zh-hans"):
        assert NewsStory.objects.get(pk=story.pk).get_absolute_url() == "/zh/news/%E4%BD%A0%E5%A5%BD/"
    assert story.url_in("zh-hans") == "/zh/news/%E4%BD%A0%E5%A5%BD/"
    assert story.url_in("en") == "/news/hello/"


# --- Feeds, sitemap, errors ------------------------------------------------------------------------


def test_each_language_has_a_feed_of_its_stories(client, make_story):
    make_story({"en": "Hello", "zh-hans": "你好"}, publish_date=datetime.date(2023, 10, 27))
    make_story({"en": "Draft"}, status=NewsStory.Status.DRAFT)

    english = client.get("/news/feed/")
    chinese = client.get("/zh/news/feed/").content.decode()

    assert english.status_code == 200 and english["Content-Type"].startswith("application/rss+xml")
    assert "<title>Hello</title>" in english.content.decode() and "Draft" not in english.content.decode()
    assert "<title>你好</title>" in chinese and "http://testserver/zh/news/%E4%BD%A0%E5%A5%BD/" in chinese


def test_sitemap_lists_each_story_in_the_languages_it_is_written_in(client, make_story):
    make_story({"en": "Both", "zh-hans": "双语"})
    make_story({"zh-hans": "仅中文"})

    sitemap = client.get("/sitemap-stories-1.xml").content.decode()
    fixed_pages = client.get("/sitemap-pages-1.xml").content.decode()

    assert "<loc>http://testserver/news/both/</loc>" in sitemap
    assert "<loc>http://testserver/zh/news/%E5%8F%8C%E8%AF%AD/</loc>" in sitemap
    assert "<loc>http://testserver/zh/news/%E4%BB%85%E4%B8%AD%E6%96%87/</loc>" in sitemap
    assert "http://testserver/news/%E4%BB%85%E4%B8%AD%E6%96%87/" not in sitemap
    assert 'hreflang="zh-hans" href="http://testserver/zh/news/%E5%8F%8C%E8%AF%AD/"' in sitemap
    assert 'hreflang="x-default" href="http://testserver/news/both/"' in sitemap
    assert 'hreflang="zh-hans" href="http://testserver/zh/news/"' in fixed_pages
    assert "<loc>http://testserver/zh/buyer-membership/</loc>" in fixed_pages


def sitemap_locations(response):
    return [loc.text for loc in ElementTree.fromstring(response.content).iter(f"{{{SITEMAPS}}}loc")]


def test_the_sitemap_index_lists_the_fixed_pages_and_each_page_of_stories(client, make_story, monkeypatch):
    monkeypatch.setattr(StorySitemap, "limit", 2)
    for number in range(5):
        make_story({"en": f"Story {number}"})
    make_story({"en": "Draft"}, status=NewsStory.Status.DRAFT)

    index = client.get("/sitemap.xml")
    pages = [client.get(url.removeprefix("http://testserver")) for url in sitemap_locations(index)[1:]]

    assert sitemap_locations(index) == [
        "http://testserver/sitemap-pages-1.xml",
        "http://testserver/sitemap-stories-1.xml",
        "http://testserver/sitemap-stories-2.xml",
        "http://testserver/sitemap-stories-3.xml",
    ]
    stories = [sitemap_locations(page) for page in pages]
    assert [len(page) for page in stories] == [2, 2, 1]
    assert sorted(sum(stories, [])) == [f"http://testserver/news/story-{number}/" for number in range(5)]
    assert client.get("/sitemap-stories-4.xml").status_code == 404
    assert client.get("/sitemap-news-1.xml").status_code == 404


@pytest.mark.parametrize("story_count", [10, 200])
def test_a_sitemap_page_runs_a_fixed_number_of_queries(client, make_story, django_assert_max_num_queries, story_count):
    for number in range(story_count):
        make_story({"en": f"Story {number}", "zh-hans": f"新闻 {number}"} if number % 2 else {"en": f"Story {number}"})

    name_cache_generation()
    # The stories of the page, then their public versions.
    with django_assert_max_num_queries(2):
        assert client.get("/sitemap-stories-1.xml").status_code == 200


def test_robots_txt_points_to_the_sitemap(client, db):
    robots = client.get("/robots.txt")
    assert robots["Content-Type"] == "text/plain"
    assert "Sitemap: http://testserver/sitemap.xml" in robots.content.decode()


def test_server_error_page_speaks_every_language_without_a_database(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/news/"))
    english, chinese = (parse_page(response).find("section", lang=lang).inner_html for lang in ("en", "zh-Hans"))

    assert response.status_code == 500
    assertInHTML("<h1>Something went wrong</h1>", english)
    assertInHTML('<a href="/news/">Read the latest stories</a>', english)
    assertInHTML("<h1>出现错误</h1>", chinese)
    assertInHTML('<a href="/zh/news/">阅读最新动态</a>', chinese)


def test_neighbouring_and_related_stories_in_another_language_are_marked_as_on_cards(client, make_story):
    make_story({"en": "English only older"}, publish_date=datetime.date(2021, 1, 1))
    make_story({"zh-hans": "中文新闻"}, publish_date=datetime.date(2022, 1, 1))

    page = parse_page(client.get("/zh/news/中文新闻/").content.decode())

    older = page.find("a", rel="next")
    assert older.find(class_="story-nav__title").attrs["lang"] == "en" and "仅有英文版" in older.text
    related = page.find("section", class_="related-stories")
    assert card_titles(related) == ["English only older"] and "仅有英文版" in related.text
