"""Every feed as feed readers parse it (feedparser): well-formed, every item with a title, link, date, guid and
summary, and each feed holding only stories written in its language."""

import feedparser
import pytest

pytestmark = pytest.mark.slow

FEEDS = {"en": "/news/feed/", "zh-hans": "/zh/news/feed/"}


@pytest.mark.parametrize("language", FEEDS)
def test_feed_parses_cleanly_and_every_item_is_complete(site, language):
    response = site.get(FEEDS[language])
    feed = feedparser.parse(response.body, response_headers={"content-type": response.headers["Content-Type"]})

    assert response.status == 200
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.language == {"en": "en", "zh-hans": "zh-hans"}[language]
    assert feed.entries
    for entry in feed.entries:
        missing = [name for name in ("title", "link", "published_parsed", "id", "summary") if not entry.get(name)]
        assert missing == [], f"{entry.get('link')}: no {', '.join(missing)}"


def test_each_feed_holds_only_its_languages_stories(site):
    english = feedparser.parse(site.get(FEEDS["en"]).body)
    chinese = feedparser.parse(site.get(FEEDS["zh-hans"]).body)

    english_links = {entry.link for entry in english.entries}
    chinese_links = {entry.link for entry in chinese.entries}
    assert site.url(site.stories["chinese_only_fallback"]) not in english_links
    assert site.url(site.stories["english_only_fallback"]) not in chinese_links
    assert site.url(site.stories["chinese_only"]) in chinese_links
    assert site.url(site.stories["bilingual"]["en"]) in english_links
    assert all("/zh/" not in link for link in english_links)
    assert all("/zh/" in link for link in chinese_links)
