"""The newsroom on a phone: the story list's language states and the history's Restore buttons can be reached at
390 px, in both admin languages (the table scrolls sideways in its own box; the page itself does not)."""

import pytest
import reversion
from django.contrib.auth.models import User

from testkit.stories import make_story

PASSWORD = "correct horse battery staple"
PHONE_390 = {"width": 390, "height": 844}
ADMINS = ["/admin/", "/zh/admin/"]


@pytest.fixture
def story_with_history(transactional_db, live_server):
    """A story in both languages saved twice, so its history offers to restore the first save."""
    story = make_story({"en": "Buyers publish their audit results", "zh-hans": "品牌公布审核结果"})
    for summary in ["First summary.", "A corrected summary."]:
        with reversion.create_revision():
            story.set_current_language("en")
            story.summary = summary
            story.save()
    return story


def phone_admin(page_logged_in_as):
    """A phone browser logged in to the admin as a superuser."""
    chief = User.objects.create_superuser("chief", "chief@example.org", PASSWORD)
    return page_logged_in_as(chief, PHONE_390, is_mobile=True, has_touch=True, device_scale_factor=2)


def assert_reachable(page, locator):
    """The element can be brought into view, and is then inside the phone's screen."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None
    assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE_390["width"]


def assert_page_does_not_scroll_sideways(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]


@pytest.mark.parametrize("admin", ADMINS)
def test_the_story_lists_language_states_are_reachable_on_a_phone(page_logged_in_as, story_with_history, admin):
    page = phone_admin(page_logged_in_as)

    page.goto(f"{admin}news/newsstory/")

    assert_reachable(page, page.locator("#result_list td.field-version_states").first)
    # Under the title, not past the right edge: the list was not scrolled sideways to show them.
    assert page.locator("#changelist .results").evaluate("box => box.scrollLeft") == 0
    assert_page_does_not_scroll_sideways(page)


@pytest.mark.parametrize("admin", ADMINS)
def test_the_history_pages_restore_button_is_reachable_on_a_phone(page_logged_in_as, story_with_history, admin):
    page = phone_admin(page_logged_in_as)

    page.goto(f"{admin}news/newsstory/{story_with_history.pk}/history/")

    assert_reachable(page, page.locator("#story-revisions a.button").first)
    assert_page_does_not_scroll_sideways(page)
