"""Structured data read back as search engines read it (extruct: JSON-LD, microdata, Open Graph), checked against
Google's required and recommended properties for an article and what the list says about its publisher."""

import extruct
import pytest

pytestmark = pytest.mark.slow

# developers.google.com/search/docs/appearance/structured-data/article: no property is required; these are
# recommended (author with its name and url; image at 16:9, 4:3 and 1:1, each at least 50,000 pixels).
ARTICLE_RECOMMENDED = ["headline", "image", "datePublished", "dateModified", "author"]
ARTICLE_ASPECTS = [16 / 9, 4 / 3, 1]


def extracted(site, path):
    page = site.get(path)
    assert page.status == 200, path
    return extruct.extract(page.text, base_url=page.url, syntaxes=["json-ld", "microdata", "opengraph"], uniform=True)


def of_type(data, kind):
    return [item for item in data["json-ld"] if item.get("@type") == kind]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_story_is_a_news_article_with_every_recommended_property(site, language):
    data = extracted(site, site.stories["bilingual"][language])

    [article] = of_type(data, "NewsArticle")
    assert [name for name in ARTICLE_RECOMMENDED if not article.get(name)] == []
    assert article["author"]["@type"] == "Organization" and article["author"]["name"] and article["author"]["url"]
    assert article["publisher"]["logo"]["url"].startswith("http")
    assert article["inLanguage"] == {"en": "en", "zh-hans": "zh-Hans"}[language]
    assert article["mainEntityOfPage"]["@id"] == site.url(site.stories["bilingual"][language])
    images = article["image"]
    assert len(images) == 3 and all(url.startswith("http") for url in images)
    for url, aspect in zip(images, ARTICLE_ASPECTS, strict=True):
        picture = site.get(url)
        assert picture.status == 200 and picture.headers["Content-Type"] == "image/jpeg"
        width, height = jpeg_size(picture.body)
        assert abs(width / height - aspect) < 0.01 and width * height >= 50_000, (url, width, height)
    [breadcrumbs] = of_type(data, "BreadcrumbList")
    assert [item["position"] for item in breadcrumbs["itemListElement"]] == [1, 2]
    assert breadcrumbs["itemListElement"][-1]["item"] == site.url(site.stories["bilingual"][language])


def test_an_events_article_names_its_section_in_open_graph_and_json_ld(site):
    data = extracted(site, site.stories["event"]["en"])

    [article] = of_type(data, "NewsArticle")
    [opengraph] = data["opengraph"]
    assert article["articleSection"] == opengraph["article:section"] == "Event"
    assert opengraph["article:published_time"].startswith("2024-02-01")
    assert opengraph["article:modified_time"]
    assert opengraph["og:locale"] == "en_US" and opengraph["og:locale:alternate"] == "zh_CN"


def test_a_story_in_one_language_names_no_other_locale(site):
    [opengraph] = extracted(site, site.stories["english_only"])["opengraph"]

    assert opengraph["og:locale"] == "en_US"
    assert "og:locale:alternate" not in opengraph


@pytest.mark.parametrize("path", ["/news/", "/zh/news/"])
def test_the_list_names_its_publisher_as_a_news_media_organisation(site, path):
    [organisation] = of_type(extracted(site, path), "NewsMediaOrganization")

    assert organisation["name"] and organisation["url"] == site.url(path)
    assert organisation["logo"]["url"].startswith("http")
    assert organisation["contactPoint"]["email"] == "info@example.org"
    assert organisation["publishingPrinciples"] == site.url(path.replace("news/", "privacy/"))
    assert site.get(organisation["publishingPrinciples"]).status == 200


def jpeg_size(data):
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(data)) as image:
        return image.size
