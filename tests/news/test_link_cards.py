"""A story found and shared: link cards (Open Graph, microdata, X), structured data, the share box and its QR code,
the filing numbers of a site hosted in mainland China, and what search engines read (sitemap, feeds, headers)."""

import copy
import datetime
import io
import json
import shutil
import xml.etree.ElementTree as ElementTree
from urllib.parse import quote, unquote

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from news.models import NewsStory
from testkit.files import photo_like
from testkit.pages import parse_page
from testkit.stories import make_story

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = 'Audits </script><script>alert("x")</script> & "quotes"'
HOSTILE_SUMMARY = '<b>Bold</b> claims, "quoted" words & <script>alert(1)</script> ampersands'


def meta(page, **attrs):
    """The content of the one <meta> with these attributes, or None."""
    found = parse_page(page).find("meta", **attrs)
    return found.attrs["content"] if found else None


def structured_data(page):
    return [json.loads(script.inner_html) for script in parse_page(page).find_all("script", type="application/ld+json")]


@pytest.fixture(scope="session")
def stored_photo(tmp_path_factory):
    """The story's photo as stored (its clean copy and renditions), made once: the first story stores an upload,
    the next get a copy of its files (renditions take half a second to make)."""
    return {"files": tmp_path_factory.mktemp("stored-photo")}


@pytest.fixture
def bilingual_story(media_root, stored_photo):
    if "name" in stored_photo:
        shutil.copytree(stored_photo["files"], media_root, dirs_exist_ok=True)
        image = {"image": stored_photo["name"], "image_renditions": copy.deepcopy(stored_photo["renditions"])}
    else:
        image = {"image": SimpleUploadedFile("visit.jpg", photo_like(1600, 1000), content_type="image/jpeg")}
    story = make_story(
        {
            "en": {"title": "Audit deadlines for 2024", "slug": "audit-deadlines", "summary": "Book your audit early."},
            "zh-hans": {"title": "2024年审核截止日期", "slug": "审核截止日期", "summary": "请尽早预约审核。"},
        },
        **image,
        category=NewsStory.Category.EVENT,
    )
    if "name" not in stored_photo:
        shutil.copytree(media_root, stored_photo["files"], dirs_exist_ok=True)
        stored_photo.update(name=story.image.name, renditions=copy.deepcopy(story.image_renditions))
    story.set_current_language("en")
    story.image_alt = "Auditors at a factory gate"
    story.save()
    story.set_current_language("zh-hans")
    story.image_alt = "工厂门口的审核员"
    story.save()
    return story


# --- Link cards ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, locale, alternate, title, description",
    [
        ("/news/audit-deadlines/", "en_US", "zh_CN", "Audit deadlines for 2024", "Book your audit early."),
        (f"/zh/news/{quote('审核截止日期')}/", "zh_CN", "en_US", "2024年审核截止日期", "请尽早预约审核。"),
    ],
)
def test_a_story_page_describes_itself_to_the_apps_it_is_shared_in(
    client, bilingual_story, path, locale, alternate, title, description
):
    page = client.get(path, secure=True)
    url = f"https://testserver{path}"

    assert parse_page(page).find("link", rel="canonical").attrs["href"] == url
    assert meta(page, property="og:url") == url
    assert meta(page, property="og:type") == "article"
    assert meta(page, property="og:title") == meta(page, itemprop="name") == title
    assert meta(page, property="og:description") == meta(page, itemprop="description") == description
    assert meta(page, name="description") == description
    assert meta(page, property="og:locale") == locale
    assert meta(page, property="og:locale:alternate") == alternate
    assert meta(page, property="article:published_time") == "2023-10-27T00:00:00+08:00"
    assert meta(page, name="twitter:card") == "summary_large_image"
    image = meta(page, property="og:image")
    assert image == meta(page, itemprop="image")
    assert image.startswith("https://testserver/media/news/images/") and image.endswith("/share-1200.jpg")
    assert (meta(page, property="og:image:width"), meta(page, property="og:image:height")) == ("1200", "628")
    assert meta(page, property="og:image:alt") in {"Auditors at a factory gate", "工厂门口的审核员"}


def test_the_link_card_picture_is_a_1200_pixel_jpeg(client, bilingual_story):
    image_url = meta(client.get("/news/audit-deadlines/"), property="og:image")
    stored = bilingual_story.image.storage.open(image_url.removeprefix("http://testserver/media/"))

    from PIL import Image

    with Image.open(stored) as picture:
        assert (picture.format, picture.size) == ("JPEG", (1200, 628))


def test_a_story_without_a_picture_shows_the_sites_own_card(client):
    make_story({"en": {"title": "Plain", "slug": "plain", "summary": ""}})

    page = client.get("/news/plain/")

    assert meta(page, property="og:image").startswith("http://testserver/static/img/ietp-share")
    assert (meta(page, property="og:image:width"), meta(page, property="og:image:height")) == ("1200", "630")
    assert meta(page, property="og:description") == "Plain"  # no summary, no body: the title


def test_a_list_page_is_a_website_with_its_own_canonical_address(client, bilingual_story):
    page = client.get("/zh/news/?page=1&utm_source=wechat")

    assert meta(page, property="og:type") == "website"
    assert parse_page(page).find("link", rel="canonical").attrs["href"] == "http://testserver/zh/news/"
    assert meta(page, property="og:locale") == "zh_CN"


@pytest.mark.parametrize("with_picture", [True, False])
def test_the_first_image_in_a_story_page_is_a_real_one_of_300_pixels_or_more(client, media_root, with_picture):
    picture = {"image": SimpleUploadedFile("p.jpg", photo_like(1200, 800))} if with_picture else {}
    make_story({"en": {"title": "First image", "slug": "first-image", "image_alt": "A photo"}}, **picture)

    first = parse_page(client.get("/news/first-image/")).find("img")

    # A picture of the story's own is loaded at once; the hidden logo offered instead is read, never loaded.
    assert first.attrs.get("loading") == (None if with_picture else "lazy")
    assert int(first.attrs["width"]) >= 300 and int(first.attrs["height"]) >= 300
    expected = "/media/news/images/" if with_picture else "/static/img/ietp-logo"
    assert first.attrs["src"].startswith(expected)


def test_hostile_titles_and_summaries_keep_the_tags_and_structured_data_well_formed(client):
    make_story({"en": {"title": HOSTILE_TITLE, "slug": "hostile", "summary": HOSTILE_SUMMARY}})

    page = client.get("/news/hostile/")
    html = page.content.decode()

    assert meta(page, property="og:title") == HOSTILE_TITLE
    assert meta(page, property="og:description") == meta(page, name="description")
    assert "<script>alert" not in html
    article = structured_data(page)[0][0]
    assert article["headline"] == HOSTILE_TITLE
    assert article["description"] == meta(page, name="description")


# --- Structured data -----------------------------------------------------------------------------------------


def test_a_story_is_a_news_article_with_its_publisher_and_a_way_back(client, bilingual_story):
    page = client.get(f"/zh/news/{quote('审核截止日期')}/")

    [article, breadcrumbs] = structured_data(page)[0]
    assert article["@context"] == "https://schema.org" and article["@type"] == "NewsArticle"
    assert article["headline"] == "2024年审核截止日期"
    assert article["description"] == "请尽早预约审核。"
    # The picture at 16:9, 4:3 and 1:1 for search results, beside the 1.91:1 link card.
    assert [url.rsplit("/", 1)[1] for url in article["image"]] == [
        "share-16x9-1200.jpg",
        "share-4x3-1200.jpg",
        "share-1x1-1000.jpg",
    ]
    assert article["author"] == {key: article["publisher"][key] for key in ("@type", "name", "url")}
    assert article["datePublished"] == "2023-10-27T00:00:00+08:00"
    assert datetime.datetime.fromisoformat(article["dateModified"]) >= datetime.datetime.fromisoformat(
        article["datePublished"]
    )
    assert article["inLanguage"] == "zh-Hans"
    assert article["mainEntityOfPage"]["@id"] == f"http://testserver/zh/news/{quote('审核截止日期')}/"
    publisher = article["publisher"]
    assert publisher["@type"] == "Organization" and publisher["name"] == "ICTI 玩具道德计划"
    assert client.get(publisher["logo"]["url"].removeprefix("http://testserver")).status_code == 200
    assert [crumb["name"] for crumb in breadcrumbs["itemListElement"]] == ["新闻", "活动", "2024年审核截止日期"]
    assert [crumb["position"] for crumb in breadcrumbs["itemListElement"]] == [1, 2, 3]


def test_a_category_page_has_its_breadcrumbs(client, bilingual_story):
    [breadcrumbs] = structured_data(client.get("/news/category/event/"))
    assert breadcrumbs["@type"] == "BreadcrumbList"
    assert [crumb["item"] for crumb in breadcrumbs["itemListElement"]] == [
        "http://testserver/news/",
        "http://testserver/news/category/event/",
    ]


def test_a_preview_carries_no_structured_data_or_canonical_address(staff_client, bilingual_story):
    from news.models import PreviewLink

    link = PreviewLink.objects.create(story=bilingual_story, language_code="en")
    page = staff_client.get(link.get_absolute_url())

    assert structured_data(page) == []
    assert parse_page(page).find("link", rel="canonical") is None


# --- Sharing --------------------------------------------------------------------------------------------------


def share_box(page):
    return parse_page(page).find("section", class_="share")


@pytest.mark.parametrize("path", ["/news/audit-deadlines/", f"/zh/news/{quote('审核截止日期')}/"])
def test_the_share_qr_code_holds_the_address_of_the_page_in_its_language(client, bilingual_story, path):
    qr = share_box(client.get(path)).find("img")

    response = client.get(qr.attrs["src"])

    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert "public" in response["Cache-Control"]
    expected = io.BytesIO()
    segno.make(f"http://testserver{path}", error="m").save(
        expected, kind="svg", xmldecl=False, scale=4, border=2, dark="#1a1c1e", light="#fff"
    )
    assert response.content == expected.getvalue()
    assert qr.attrs["loading"] == "lazy"


def test_share_links_are_plain_links_with_the_pages_address(client, bilingual_story):
    box = share_box(client.get("/news/audit-deadlines/"))
    links = {link.text: link.attrs["href"] for link in box.find_all("a")}
    address = "http://testserver/news/audit-deadlines/"

    assert unquote(links["LinkedIn"]) == f"https://www.linkedin.com/sharing/share-offsite/?url={address}"
    assert unquote(links["Facebook"]) == f"https://www.facebook.com/sharer/sharer.php?u={address}"
    assert unquote(links["X"]).startswith(f"https://x.com/intent/post?url={address}&text=Audit deadlines")
    assert unquote(links["Email"]) == f"mailto:?subject=Audit deadlines for 2024&body={address}"
    copy = box.find("button", class_="share__copy")
    assert copy.attrs["data-url"] == address and "hidden" in copy.attrs  # shown by the site's own script
    assert "扫码分享到微信" in share_box(client.get(f"/zh/news/{quote('审核截止日期')}/")).text


def test_the_qr_code_of_an_address_no_story_has_is_not_found(client, bilingual_story):
    assert client.get("/news/no-such-story/qr.svg").status_code == 404
    assert client.post("/news/audit-deadlines/qr.svg").status_code == 405


# --- Hosting in mainland China -----------------------------------------------------------------------------------


def test_no_filing_numbers_are_shown_unless_set(client):
    assert parse_page(client.get("/news/")).find(class_="site-footer__filing") is None


def test_the_filing_numbers_are_shown_at_the_foot_of_every_page_linked_to_their_registers(client, settings):
    settings.ICP_FILING_NUMBER = "粤ICP备12345678号"
    settings.PSB_FILING_NUMBER = "粤公网安备 44030502000001号"

    for path in ["/news/", "/zh/news/", "/membership/apply/", "/zh/privacy/", "/no-such-page/"]:
        filing = parse_page(client.get(path)).find(class_="site-footer__filing")
        links = {link.text: link.attrs["href"] for link in filing.find_all("a")}
        assert links == {
            "粤ICP备12345678号": "https://beian.miit.gov.cn/",
            "粤公网安备 44030502000001号": "https://beian.mps.gov.cn/#/query/webSearch?code=44030502000001",
        }, path


# --- Search engines ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, language", [("/news/", "en"), ("/zh/news/", "zh-Hans"), ("/no-such-page/", "en")])
def test_every_page_names_its_language_in_a_header(client, path, language):
    assert client.get(path)["Content-Language"] == language


SITEMAP = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "image": "http://www.google.com/schemas/sitemap-image/1.1",
}


def test_the_sitemap_dates_each_language_by_its_own_last_change_and_lists_the_picture(client, bilingual_story):
    english = bilingual_story.translations.get(language_code="en")
    NewsStory._parler_meta.root_model.objects.filter(pk=english.pk).update(
        changed_at=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    )

    urlset = ElementTree.fromstring(client.get("/sitemap-stories-1.xml").content)

    entries = {unquote(url.findtext("s:loc", namespaces=SITEMAP)): url for url in urlset.findall("s:url", SITEMAP)}
    english_entry = entries["http://testserver/news/audit-deadlines/"]
    chinese_entry = entries["http://testserver/zh/news/审核截止日期/"]
    assert english_entry.findtext("s:lastmod", namespaces=SITEMAP) == "2024-01-02T11:04:05+08:00"
    assert chinese_entry.findtext("s:lastmod", namespaces=SITEMAP).startswith(str(timezone.localdate().year))
    for entry in (english_entry, chinese_entry):
        image = entry.findtext("image:image/image:loc", namespaces=SITEMAP)
        assert image.startswith("http://testserver/media/news/images/") and image.endswith("share-1200.jpg")


def test_the_feed_carries_each_storys_picture_and_whole_summary(client, bilingual_story, make_story):
    make_story({"en": {"title": "No picture", "summary": "A summary. " * 40}})

    channel = ElementTree.fromstring(client.get("/news/feed/").content).find("channel")
    items = {item.findtext("title"): item for item in channel.findall("item")}

    enclosure = items["Audit deadlines for 2024"].find("enclosure")
    assert enclosure.attrib["type"] == "image/jpeg" and int(enclosure.attrib["length"]) > 1000
    assert enclosure.attrib["url"].startswith("http://testserver/media/") and enclosure.attrib["url"].endswith(".jpg")
    assert items["No picture"].find("enclosure") is None
    assert items["No picture"].findtext("description").strip() == ("A summary. " * 40).strip()
