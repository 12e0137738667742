"""The news list stays light for a first-time visitor on a phone (budgets and measurements: bench/README.md)."""

import gzip

import pytest
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage

from testkit.files import photo_like
from testkit.pages import chosen_candidate, page_resources
from testkit.stories import illustrated_story

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 150 * 1024
HTML_AND_CSS_BUDGET = 30 * 1024


def test_phone_picks_the_small_card_image_and_a_desktop_the_wide_one():
    srcset = "/a-320.webp 320w, /a-480.webp 480w, /a-640.webp 640w, /a-960.webp 960w"
    sizes = "(min-width: 72rem) 22.5rem, (min-width: 39.25rem) calc((100vw - 3.25rem) / 2), 7.5rem"

    assert chosen_candidate(srcset, sizes, viewport_width=375, dpr=2) == "/a-320.webp"
    assert chosen_candidate(srcset, sizes, viewport_width=1440, dpr=2) == "/a-960.webp"
    assert chosen_candidate(srcset, sizes, viewport_width=800, dpr=1) == "/a-480.webp"


@pytest.mark.slow
def test_list_of_twelve_illustrated_stories_fits_the_phone_budget(client, media_root):
    # One camera photo made into renditions once, and eleven stories with copies of its files at addresses of their
    # own: eleven more uploads of it would make the same bytes again (1-2 s each); this test weighs the page.
    first = illustrated_story(1, photo_like(2000, 1500, quality=92))
    for number in range(2, 13):
        illustrated_story(number, copying_files_of=first)

    response = client.get("/news/", HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.content).decode()
    stylesheets, images = page_resources(html)
    # The lead story's wider picture and eleven thumbnails (the logo mark is inline SVG).
    assert images[0].endswith("card-960.webp")
    assert len(images) == 12 and all(url.endswith("card-320.webp") for url in images[1:])

    def static_size(url):  # as served: compressed
        return len(gzip.compress(open(finders.find(url.removeprefix("/static/")), "rb").read()))

    css_size = sum(static_size(url) for url in stylesheets)
    image_size = sum(default_storage.size(url.removeprefix("/media/")) for url in images)
    html_and_css = len(response.content) + css_size
    assert html_and_css < HTML_AND_CSS_BUDGET
    assert html_and_css + image_size < PAGE_BUDGET
