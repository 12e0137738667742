"""A visitor without a session gets the search page from its shell, rendered once per language and shape and filled
with each search's values (news/search_page.py); staff, with a session, get the page template rendered. Both must
be the same page, whatever was searched."""

import datetime
import gzip

import pytest

from testkit.pages import card_titles, parse_page

pytestmark = pytest.mark.django_db

# Markup, entities and quotes a visitor may type; both scripts; a query too long; words no story holds; nothing.
QUERIES = [
    "audit",
    "审核",
    "<b>audit</b> & \"audits\" 'x' &amp; </title><script>alert(1)</script>",
    "审核 audit > 1 < 2",
    "audit " + "a" * 500,
    "审" * 300,
    "nothing here",
    "",
    "  ",
    "\x00",
]
# The first page, the second (the last), out of range, not a number.
PAGES = [None, "2", "99", "0", "x", "9223372036854775807"]


@pytest.fixture
def stories(make_story):
    for number in range(12):
        make_story(
            {
                "en": {"title": f"Audit report {number}", "body": "<p>The <b>audit</b> found kitchens & more.</p>"},
                "zh-hans": {"title": f"审核报告 {number}", "body": "<p>审核发现厨房干净。</p>"},
            },
            publish_date=datetime.date(2023, 1, 1) + datetime.timedelta(days=number),
        )


def search_page(client, language, params, **headers):
    prefix = "/zh" if language == "zh-hans" else ""
    response = client.get(f"{prefix}/search/", params, **headers)
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    if response.get("Content-Encoding") == "gzip":
        return gzip.decompress(response.content).decode()
    return response.content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_visitor_gets_the_page_staff_get_for_any_search(client, stories, language, settings):
    settings.SEARCHES_PER_MINUTE = 1000  # hundreds of searches from one address
    staff = type(client)()
    staff.cookies[settings.SESSION_COOKIE_NAME] = "a-session"  # any session: the page template is rendered
    searches = [{}, {"page": "2"}] + [
        {"q": query, **({"page": page} if page else {})} for query in QUERIES for page in PAGES
    ]
    for params in searches:
        # A first search, compressed: its results are cached compressed too, for the next visitor's.
        from_shell = [search_page(client, language, params, HTTP_ACCEPT_ENCODING="gzip")]
        from_shell += [
            search_page(client, language, params, **headers) for headers in [{}, {"HTTP_ACCEPT_ENCODING": "gzip"}]
        ]
        rendered = search_page(staff, language, params)
        assert from_shell == [rendered] * 3, params


def test_the_shell_says_what_was_searched_escaped(client, stories):
    query = '"audit" & <kitchens>'
    page = search_page(client, "en", {"q": query, "page": "2"})

    assert parse_page(page).find("title").text.startswith(f"Search results for “{query}”, page 2")
    assert parse_page(page).find("h1").text == f"Search results for “{query}”"
    assert parse_page(page).find("input", name="q").attrs["value"] == query
    assert parse_page(page).find("a", hreflang="zh-Hans").attrs["href"] == (
        "/zh/search/?q=%22audit%22+%26+%3Ckitchens%3E&page=2"
    )
    assert "<kitchens>" not in page and "&quot;audit&quot; &amp; &lt;kitchens&gt;" in page
    assert card_titles(page) == ["Audit report 1", "Audit report 0"]


def test_a_shell_of_one_shape_serves_every_search_of_that_shape(client, stories):
    assert card_titles(search_page(client, "zh-hans", {"q": "审核"}))[0] == "审核报告 11"

    # Another query: only its results are rendered, not the page around them.
    other = client.get("/zh/search/", {"q": "报告"})
    assert "news/search.html" not in [template.name for template in other.templates]
    assert card_titles(other)[0] == "审核报告 11"
    assert parse_page(other).find("h1").text == "“报告”的搜索结果"
    # The same search again: nothing is rendered.
    again = client.get("/zh/search/", {"q": "报告"})
    assert again.templates == []
    assert again.content == other.content


def test_each_site_address_gets_its_own_shell(client, stories):
    for host in ["testserver", "localhost"]:
        page = parse_page(search_page(client, "en", {"q": "audit"}, HTTP_HOST=host))
        assert page.find("link", rel="canonical").attrs["href"] == f"http://{host}/search/"
