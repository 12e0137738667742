"""The sitemap index and every sitemap it lists, validated against the Sitemaps protocol's schema with the image and
xhtml (hreflang) extensions the site uses (schemas/, see its README.md for where each comes from)."""

from pathlib import Path

import pytest
from lxml import etree

pytestmark = pytest.mark.slow

SCHEMAS = Path(__file__).resolve().parent / "schemas"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
IMAGE = "{http://www.google.com/schemas/sitemap-image/1.1}"


def schema(name):
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name), parser))


def validated(site, path, schema_name):
    response = site.get(path)
    assert response.status == 200 and response.headers["Content-Type"].startswith("application/xml"), path
    document = etree.fromstring(response.body, etree.XMLParser(no_network=True, resolve_entities=False))
    checker = schema(schema_name)
    assert checker.validate(document), f"{path}: {checker.error_log}"
    return document


def test_the_sitemap_index_and_every_sitemap_are_valid_with_their_extensions(site):
    index = validated(site, "/sitemap.xml", "siteindex.xsd")
    sitemaps = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert len(sitemaps) == 2

    urls = []
    for sitemap in sitemaps:
        urls += validated(site, sitemap, "sitemap-with-extensions.xsd").findall(f"{SITEMAP}url")

    locations = {url.findtext(f"{SITEMAP}loc") for url in urls}
    assert site.url(site.stories["bilingual"]["zh-hans"]) in locations
    # Fallback pages are not indexed, so not listed.
    assert site.url(site.stories["chinese_only_fallback"]) not in locations
    assert any(url.find(f"{IMAGE}image") is not None for url in urls)
    for url in urls:
        alternates = {link.get("hreflang"): link.get("href") for link in url.iter(f"{XHTML}link")}
        # Every address lists itself among its alternates, and where readers of other languages go.
        assert url.findtext(f"{SITEMAP}loc") in alternates.values() and "x-default" in alternates, alternates


def test_a_sitemap_missing_an_extension_schema_is_caught(site):
    """The strict check really reads the extensions: without their schemas, a sitemap using them is invalid."""
    response = site.get("/sitemap-stories-1.xml")
    document = etree.fromstring(response.body)

    assert not schema("sitemap.xsd").validate(document)
