"""Formatted story bodies: the editor in the admin, what is saved, what readers see, and what never runs."""

import json
import re

import pytest
from pytest_django.asserts import assertHTMLEqual, assertInHTML

from news.models import NewsStory
from testkit.pages import name_cache_generation, parse_page
from testkit.stories import story_form

pytestmark = pytest.mark.django_db

StoryTranslation = NewsStory._parler_meta.root_model

FORMATTED_BODY = (
    "<h2>What changed</h2>"
    "<p>The audit is <strong>shorter</strong> and <em>cheaper</em>.</p>"
    "<ul><li>One visit</li><li>One report</li></ul>"
    "<ol><li>Apply</li><li>Get audited</li></ol>"
    "<blockquote><p>A real step forward.</p></blockquote>"
    '<p>Read <a href="https://example.org/report">the report</a> or '
    '<a href="/news/">our other stories</a>.</p>'
)


def body_of(page):
    """The story's body on its page, as served."""
    body = parse_page(page).find("div", class_="story__body")
    return body.inner_html if body else ""


def set_body_bypassing_save(story, language, body):
    """As if the body had been stored before the cleaning existed, or by a raw SQL import."""
    StoryTranslation.objects.filter(master=story, language_code=language).update(body=body)


# --- The editor in the admin ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_admin_body_field_is_the_rich_text_editor_with_assets_served_by_the_site(staff_client, language):
    page = staff_client.get(f"/admin/news/newsstory/add/?language={language}").content.decode()
    document = parse_page(page)

    assert document.find("textarea", name="body", **{"data-django-prose-editor-configurable": True})
    assets = [script.attrs["src"] for script in document.find_all("script", src=True)]
    assets += [link.attrs["href"] for link in document.find_all("link", href=True)]
    editor_assets = [url for url in assets if "django_prose_editor" in url]
    assert {
        "/static/django_prose_editor/editor.js",
        "/static/django_prose_editor/configurable.js",
        "/static/django_prose_editor/editor.css",
    } <= set(editor_assets)
    import_map = json.loads(document.find("script", type="importmap").inner_html)
    assert import_map["imports"]["django-prose-editor/editor"] == "/static/django_prose_editor/editor.js"
    # No asset, link or import on the page comes from another host.
    addresses = [element.attrs.get(name) or "" for element in document.find_all() for name in ("src", "href")]
    assert not [address for address in addresses if re.match(r"\s*(?:https?:)?//", address)]
    assert not re.search(r'"(?:https?:)?//[^"]*\.(?:js|css|woff2?)"', page)
    for url in editor_assets:
        response = staff_client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        assert not re.search(rb"""(?:url\(|from\s*|import\(\s*)['"]?(?:https?:)?//""", content), url


def test_editor_icon_font_is_served_by_the_site(staff_client):
    css = b"".join(staff_client.get("/static/django_prose_editor/material-icons.css").streaming_content).decode()
    font_urls = re.findall(r"url\(['\"]?([^'\")]+)", css)

    assert font_urls and not any(url.startswith(("http:", "https:", "//")) for url in font_urls)
    assert staff_client.get("/static/django_prose_editor/" + font_urls[0].removeprefix("./")).status_code == 200


def test_formatted_body_saved_in_the_admin_is_published_with_its_formatting(client, staff_client):
    form = story_form(title="Audit news", body=FORMATTED_BODY)

    response = staff_client.post("/admin/news/newsstory/add/?language=en", form)

    assert response.status_code == 302
    story = NewsStory.objects.get(translations__slug="audit-news")
    page = client.get("/news/audit-news/").content.decode()
    body = body_of(page)
    assertInHTML("<h2>What changed</h2>", body)
    assertInHTML("<strong>shorter</strong>", body)
    assertInHTML("<em>cheaper</em>", body)
    assertInHTML("<ul><li>One visit</li><li>One report</li></ul>", body)
    assertInHTML("<ol><li>Apply</li><li>Get audited</li></ol>", body)
    assertInHTML("<blockquote><p>A real step forward.</p></blockquote>", body)
    assertInHTML('<a href="/news/">our other stories</a>', body)
    assertHTMLEqual(story.safe_translation_getter("body", language_code="en"), body)


def test_script_pasted_into_the_admin_is_not_saved(staff_client):
    pasted = (
        '<h2 style="color:red" onclick="steal()">Heading</h2><script>steal()</script>'
        '<p>Text<img src=x onerror="steal()"></p><a href="javascript:steal()">click</a>'
        '<iframe src="https://evil.example/"></iframe>'
    )

    response = staff_client.post("/admin/news/newsstory/add/?language=en", story_form(title="Audit news", body=pasted))

    assert response.status_code == 302
    story = NewsStory.objects.get(translations__slug="audit-news")
    assert story.safe_translation_getter("body", language_code="en") == "<h2>Heading</h2><p>Text</p><a>click</a>"


def test_chinese_body_saved_in_the_chinese_tab_keeps_its_formatting(client, staff_client):
    body = "<h2>变化</h2><ul><li>一次审核</li></ul><script>x()</script>"
    form = story_form(title="审核新闻", body=body)

    response = staff_client.post("/admin/news/newsstory/add/?language=zh-hans", form)

    assert response.status_code == 302
    story = NewsStory.objects.get(translations__slug="审核新闻")
    assert story.safe_translation_getter("body", language_code="zh-hans") == "<h2>变化</h2><ul><li>一次审核</li></ul>"
    assertInHTML("<h2>变化</h2><ul><li>一次审核</li></ul>", body_of(client.get("/zh/news/审核新闻/").content.decode()))


def test_empty_editor_saves_an_empty_body(client, staff_client):
    staff_client.post("/admin/news/newsstory/add/?language=en", story_form(title="Audit news", body="<p></p>"))

    story = NewsStory.objects.get(translations__slug="audit-news")
    assert story.safe_translation_getter("body", language_code="en") == ""
    assert parse_page(client.get("/news/audit-news/")).find(class_="story__body") is None


def test_blank_lines_left_by_the_editor_are_not_saved(staff_client):
    body = "<p>One</p><p></p><p><br></p><ul><li><p>Item</p></li></ul><p>Two</p>"

    staff_client.post("/admin/news/newsstory/add/?language=en", story_form(title="Audit news", body=body))

    story = NewsStory.objects.get(translations__slug="audit-news")
    assert story.safe_translation_getter("body", language_code="en") == (
        "<p>One</p><ul><li><p>Item</p></li></ul><p>Two</p>"
    )


def test_bodies_saved_without_the_admin_are_cleaned_too(make_story):
    story = make_story({"en": {"title": "Imported", "body": "<p onmouseover='x()'>Hi</p><style>p{}</style>"}})

    story.refresh_from_db()
    assert story.safe_translation_getter("body", language_code="en") == "<p>Hi</p>"


# --- What readers see ----------------------------------------------------------------------------


def test_unsafe_body_stored_before_cleaning_is_cleaned_on_the_page(client, make_story):
    story = make_story({"en": "Old story"})
    set_body_bypassing_save(story, "en", "<p>Kept</p><script>alert(1)</script><img src=x onerror=alert(1)>")

    body = body_of(client.get("/news/old-story/").content.decode())

    assertHTMLEqual(body, "<p>Kept</p>")


def test_plain_text_body_is_shown_as_paragraphs(client, make_story):
    story = make_story({"en": "Old story"})
    set_body_bypassing_save(story, "en", "First paragraph & more.\n\nSecond paragraph,\nsame paragraph.")

    body = body_of(client.get("/news/old-story/").content.decode())

    assertHTMLEqual(body, "<p>First paragraph &amp; more.</p><p>Second paragraph,<br>same paragraph.</p>")


def test_links_keep_their_address_and_open_in_the_same_tab(client, make_story):
    make_story(
        {
            "en": {
                "title": "Links",
                "body": (
                    '<p><a href="https://example.org/a?x=1&amp;y=2" target="_blank">Elsewhere</a> '
                    '<a href="/news/">Our news</a> <a href="mailto:info@example.org">Mail</a> '
                    '<a href="tel:+85223456789">Call</a> <a href="ftp://example.org/file">FTP</a></p>'
                ),
            }
        }
    )

    body = body_of(client.get("/news/links/").content.decode())

    assertInHTML('<a href="https://example.org/a?x=1&amp;y=2">Elsewhere</a>', body)
    assertInHTML('<a href="/news/">Our news</a>', body)
    assertInHTML('<a href="mailto:info@example.org">Mail</a>', body)
    assertInHTML('<a href="tel:+85223456789">Call</a>', body)
    assertInHTML("<a>FTP</a>", body)  # a scheme the editor cannot make loses its address
    assert not [link for link in parse_page(body).find_all("a") if "target" in link.attrs]


# --- Cards and descriptions ----------------------------------------------------------------------

LONG_ENGLISH_BODY = "<h2>Audits</h2><p>" + " ".join(f"word{n}" for n in range(1, 80)) + "</p>"


def card_summaries(page):
    """What each story card says under its title, as served (so escaping shows)."""
    return [summary.inner_html for summary in parse_page(page).find_all("p", class_="story-card__summary")]


def test_card_without_summary_shows_the_start_of_the_body_as_plain_text(client, make_story):
    make_story({"en": {"title": "No summary", "body": LONG_ENGLISH_BODY}})

    [summary] = card_summaries(client.get("/news/").content.decode())

    assert summary.startswith("Audits word1 word2 ")
    assert "word39…" in summary and "word40" not in summary
    assert "<" not in summary


def test_card_excerpt_decodes_entities_and_escapes_them_once(client, make_story):
    make_story({"en": {"title": "Fish", "body": "<p>Fish &amp; chips &lt;3</p><p>Tea &quot;hot&quot;</p>"}})

    [summary] = card_summaries(client.get("/news/").content.decode())

    assert summary == "Fish &amp; chips &lt;3 Tea &quot;hot&quot;"


def test_chinese_card_excerpt_is_cut_by_characters(client, make_story):
    sentence = "本计划致力于改善玩具工厂工人的工作条件，并定期开展独立审核。"  # 30 characters
    make_story({"zh-hans": {"title": "中文报道", "body": f"<p>{sentence * 5}</p>"}})

    [summary] = card_summaries(client.get("/zh/news/").content.decode())

    # Django's Chinese translation marks the cut with "..." instead of "…".
    assert summary.endswith("...") and len(summary) == 80
    assert summary.startswith(sentence)


def test_card_prefers_the_summary_over_the_body(client, make_story):
    make_story({"en": {"title": "Both", "summary": "The summary.", "body": "<p>The body.</p>"}})

    assert card_summaries(client.get("/news/").content.decode()) == ["The summary."]


def test_story_page_description_falls_back_to_the_body(client, make_story):
    make_story({"en": {"title": "No summary", "body": "<h2>Audits</h2><p>Are <em>shorter</em> &amp; cheaper.</p>"}})

    page = client.get("/news/no-summary/").content.decode()

    assertInHTML('<meta name="description" content="Audits Are shorter &amp; cheaper.">', page)


def test_list_of_cards_with_body_excerpts_runs_a_fixed_number_of_queries(
    client, make_story, django_assert_max_num_queries
):
    for number in range(12):
        make_story({"en": {"title": f"Story {number}", "body": LONG_ENGLISH_BODY}})

    name_cache_generation()  # once per change, not per page: see tests/caching/test_page_cache.py
    with django_assert_max_num_queries(3):
        assert len(card_summaries(client.get("/news/").content.decode())) == 12


# --- Nothing a body carries runs in a reader's browser -------------------------------------------

# From the OWASP XSS Filter Evasion Cheat Sheet and PortSwigger's XSS cheat sheet.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<SCRIPT>alert(1);//<</SCRIPT>",
    "<script/xss src=https://xss.example/xss.js></script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    '<img src="x" onerror="&#97;&#108;&#101;&#114;&#116;(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg/onload=alert(1)//",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="  JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="jav&#x0A;ascript:alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">click</a>',
    '<a href="https://example.org/" onmouseover="alert(1)">hover</a>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<style>@import 'https://xss.example/x.css';</style>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<body onload=alert(1)>",
    '<div onpointerenter="alert(1)">x</div>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<!--[if gte IE 4]><SCRIPT>alert(1);</SCRIPT><![endif]-->",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<p>Unclosed <strong>bold <em>and <a href='javascript:alert(1)'>link",
    '<a href="java&#0;script:alert(1)">nul</a>',
    "<template><script>alert(1)</script></template>",
]

EXECUTABLE = [
    re.compile(r"<\s*script", re.IGNORECASE),
    re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"javascript\s*:", re.IGNORECASE),
    re.compile(r"vbscript\s*:", re.IGNORECASE),
    re.compile(r"""(?:href|src|action|data)\s*=\s*["']?\s*data:""", re.IGNORECASE),
    re.compile(r"<\s*(?:iframe|object|embed|svg|math|style|form|input|base|meta|body|template|img)\b", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_unsafe_markup_in_a_body_is_inert_on_the_story_page(client, make_story, payload):
    body = f"<h2>Heading</h2><ul><li>Item</li></ul>{payload}<blockquote><p><strong>Quote</strong></p></blockquote>"
    story = make_story({"en": {"title": "Payload", "body": body}})

    saved = story.safe_translation_getter("body", language_code="en")
    set_body_bypassing_save(story, "en", body)  # the page cleans again, whatever is stored
    page = client.get("/news/payload/").content.decode()
    # The whole story as served, not only the part a parser takes for the body: markup may end the body early.
    story_on_page = parse_page(page).find("article", class_="story").inner_html

    for shown in (saved, story_on_page):
        for pattern in EXECUTABLE:
            assert not pattern.search(shown), (pattern.pattern, shown)
        assertInHTML("<h2>Heading</h2>", shown)
        assertInHTML("<ul><li>Item</li></ul>", shown)
    # The page's own scripts (its structured data, the share button's) are the only ones.
    own_scripts = re.compile(
        r'<script type="application/ld\+json">[^<]*</script>|<script src="/static/js/share\.js" defer>'
    )
    for pattern in EXECUTABLE[:5]:
        assert not pattern.search(own_scripts.sub("", page)), pattern.pattern
