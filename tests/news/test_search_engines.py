"""What search engines read about each page's language versions (canonical, robots, hreflang), a story's pictures
for article results, and the caching and loading Lighthouse checks (tests/validators run the checkers themselves)."""

import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from news.images import ARTICLE_ASPECTS
from news.models import NewsStory
from testkit.files import photo_like
from testkit.pages import parse_page

pytestmark = pytest.mark.django_db

CHINESE_SLUG = quote("工人热线")


def head_links(response):
    page = parse_page(response)
    robots = page.find("meta", name="robots")
    return {
        "canonical": page.find("link", rel="canonical").attrs["href"],
        "robots": robots.attrs["content"] if robots else None,
        "hreflang": {
            link.attrs["hreflang"]: link.attrs["href"]
            for link in page.find_all("link", rel="alternate")
            if "hreflang" in link.attrs
        },
        "og:url": page.find("meta", property="og:url").attrs["content"],
        "og:locale": page.find("meta", property="og:locale").attrs["content"],
        "og:locale:alternate": [tag.attrs["content"] for tag in page.find_all("meta", property="og:locale:alternate")],
    }


def test_a_story_shown_on_the_other_languages_pages_points_search_engines_to_its_own(client, make_story):
    make_story({"zh-hans": {"title": "工人热线", "slug": "工人热线"}})
    own = head_links(client.get(f"/zh/news/{CHINESE_SLUG}/"))

    fallback = head_links(client.get(f"/news/{CHINESE_SLUG}/"))

    own_url = f"http://testserver/zh/news/{CHINESE_SLUG}/"
    assert fallback["canonical"] == fallback["og:url"] == own["canonical"] == own_url
    assert fallback["robots"] == "noindex, follow" and own["robots"] is None
    # The same hreflang set as the version shown, which has an x-default of its own: its one language.
    assert fallback["hreflang"] == own["hreflang"] == {"zh-Hans": own_url, "x-default": own_url}
    assert fallback["og:locale"] == own["og:locale"] == "zh_CN"
    assert fallback["og:locale:alternate"] == own["og:locale:alternate"] == []


def test_an_english_story_on_a_chinese_page_is_not_indexed_there(client, make_story):
    make_story({"en": {"title": "Helplines", "slug": "helplines"}})

    fallback = head_links(client.get("/zh/news/helplines/"))

    assert fallback["canonical"] == "http://testserver/news/helplines/"
    assert fallback["robots"] == "noindex, follow"
    assert fallback["hreflang"] == {
        "en": "http://testserver/news/helplines/",
        "x-default": "http://testserver/news/helplines/",
    }


def test_a_bilingual_storys_pages_list_each_other_reciprocally(client, make_story):
    make_story(
        {"en": {"title": "Helplines", "slug": "helplines"}, "zh-hans": {"title": "工人热线", "slug": "工人热线"}}
    )

    english = head_links(client.get("/news/helplines/"))
    chinese = head_links(client.get(f"/zh/news/{CHINESE_SLUG}/"))

    expected = {
        "en": "http://testserver/news/helplines/",
        "zh-Hans": f"http://testserver/zh/news/{CHINESE_SLUG}/",
        "x-default": "http://testserver/news/helplines/",
    }
    assert english["hreflang"] == chinese["hreflang"] == expected
    assert english["robots"] is None and chinese["robots"] is None
    assert (english["og:locale:alternate"], chinese["og:locale:alternate"]) == (["zh_CN"], ["en_US"])


@pytest.mark.parametrize("path", ["/search/?q=audit&utm_source=x", "/news/?page=1"])
def test_hreflang_addresses_are_canonical_ones(client, make_story, path):
    """A search's words (like any query but the page number) are in neither its canonical address nor its hreflang
    alternates; the language switch keeps them, and nothing else (utm_source, a first page's number)."""
    links = head_links(client.get(path))

    language_path = path.split("?")[0]
    assert links["canonical"] == f"http://testserver{language_path}"
    assert links["hreflang"] == {
        "en": f"http://testserver{language_path}",
        "zh-Hans": f"http://testserver/zh{language_path}",
        "x-default": f"http://testserver{language_path}",
    }
    switch = {"/search/?q=audit&utm_source=x": "/zh/search/?q=audit", "/news/?page=1": "/zh/news/"}
    assert parse_page(client.get(path)).find("a", hreflang="zh-Hans").attrs["href"] == switch[path]


def test_a_chinese_only_story_has_an_x_default_in_the_sitemap(client, make_story):
    make_story({"zh-hans": {"title": "工人热线", "slug": "工人热线"}})

    sitemap = client.get("/sitemap-stories-1.xml").content.decode()

    assert f'hreflang="x-default" href="http://testserver/zh/news/{CHINESE_SLUG}/"' in sitemap


def test_a_story_without_a_picture_does_not_load_the_logo_it_offers_wechat(client, make_story):
    make_story({"en": {"title": "Plain", "slug": "plain"}})

    logo = parse_page(client.get("/news/plain/")).find("img", class_="share-fallback")

    assert "hidden" in logo.attrs and logo.attrs["loading"] == "lazy"


def test_a_storys_qr_code_is_cached_for_a_year(client, make_story):
    make_story({"en": {"title": "Plain", "slug": "plain"}})

    response = client.get("/news/plain/qr.svg")

    assert response.status_code == 200
    assert "max-age=31536000" in response["Cache-Control"] and "immutable" in response["Cache-Control"]


# --- Pictures for article results ----------------------------------------------------------------------------


def picture_sizes(story):
    sizes = {}
    for name in ARTICLE_ASPECTS:
        with (
            story.image.storage.open(story.image_renditions[name]["jpeg"][0][1]) as stored,
            Image.open(stored) as image,
        ):
            sizes[name] = image.size
    return sizes


@pytest.mark.slow
def test_a_stored_picture_is_made_at_16_9_4_3_and_1_1_as_wide_as_the_photo_allows(make_story, media_root):
    story = make_story({"en": "Wide photo"}, image=SimpleUploadedFile("wide.jpg", photo_like(1600, 1000)))

    assert picture_sizes(story) == {"share-16x9": (1200, 675), "share-4x3": (1200, 900), "share-1x1": (1000, 1000)}


@pytest.mark.slow
def test_pictures_stored_before_are_made_by_the_command_once(make_story, media_root):
    story = make_story({"en": "Old photo"}, image=SimpleUploadedFile("old.jpg", photo_like(1600, 1000)))
    old_record = {name: value for name, value in story.image_renditions.items() if name not in ARTICLE_ASPECTS}
    NewsStory.objects.filter(pk=story.pk).update(image_renditions=old_record)

    output, again = io.StringIO(), io.StringIO()
    call_command("make_article_renditions", stdout=output)
    call_command("make_article_renditions", stdout=again)

    story.refresh_from_db()
    assert picture_sizes(story)["share-4x3"] == (1200, 900)
    assert output.getvalue().startswith("Article pictures made for 1 story")
    assert again.getvalue().startswith("Article pictures made for 0 stories")
