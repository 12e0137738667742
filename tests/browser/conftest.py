"""Browser tests: the system Chromium, driven by Playwright, against pytest-django's live server.

See docs/browser-tests.md for how to add a journey.
"""

import datetime
import io
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from pytest_django.live_server_helper import LiveServer

from testkit.chromium import CHROMIUM
from testkit.stories import make_story

# Playwright's sync API runs an event loop in the test thread, and Django refuses ORM calls
# whenever a loop is running; the calls are really synchronous here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BROWSER_TESTS = Path(__file__).resolve().parent
CHROMIUM_MISSING = not Path(CHROMIUM).is_file()
IN_CI = os.environ.get("CI", "").lower() == "true"
SKIP_REASON = (
    f"Browser tests skipped: no Chromium at {CHROMIUM} "
    "(apt-get install chromium-headless-shell, or set CHROMIUM_PATH to a Chromium binary)"
)
# Quiet: no sandbox (CI runs as root), nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 812}
PHONE_BROWSER = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"width": 1280, "height": 800}
ARTIFACTS = "test-artifacts/browser"
REPORTS = pytest.StashKey[dict]()

# A story written in both languages, each with its own slug; every seed story has one language only.
BILINGUAL_STORY = {
    "en": {"title": "Worker helplines now answer in five languages", "slug": "worker-helplines-in-five-languages"},
    "zh-hans": {"title": "工人热线现提供五种语言服务", "slug": "工人热线五种语言"},
}


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if BROWSER_TESTS in Path(item.fspath).parents]
    if browser_items:
        # Artifacts are those of the last run only.
        shutil.rmtree(config.rootpath / ARTIFACTS, ignore_errors=True)
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
        if CHROMIUM_MISSING and not IN_CI:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))
    config.stash[REPORTS] = {"skipped_for_missing_browser": bool(browser_items) and CHROMIUM_MISSING and not IN_CI}


def pytest_terminal_summary(terminalreporter, config):
    # One line, whatever the number of browser tests, rather than one per test.
    if config.stash.get(REPORTS, {}).get("skipped_for_missing_browser"):
        terminalreporter.write_line(SKIP_REASON, yellow=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the test, so fixtures know at teardown whether the test failed.
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if CHROMIUM_MISSING:
        # Only reached in CI (elsewhere the tests are skipped): CI must run the browser tests.
        pytest.fail(f"CI=true but there is no Chromium at {CHROMIUM}: make test installs chromium-headless-shell.")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    # Relative addresses in page.goto("/news/") go to the live test server.
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args():
    # pytest-playwright's would put base_url in every context, and with it pytest-django's live_server in every
    # browser test, which then empties the database after the test; each page opener below names its server.
    return {}


def opening_pages(new_context, request, base_url):
    """Yields open_page_at(viewport, **context_args) for pages whose relative addresses go to base_url; on failure
    keeps their screenshots and HTML under test-artifacts/browser/."""
    pages = []

    def open_page_at(viewport, **context_args):
        # No smooth scrolling (the site's CSS honours reduced motion): clicks and checks need not wait for it.
        context_args.setdefault("reduced_motion", "reduce")
        page = new_context(viewport=viewport, base_url=base_url, **context_args).new_page()
        pages.append(page)
        return page

    yield open_page_at

    call_report = request.node.stash.get(REPORTS, {}).get("call")
    if call_report is not None and call_report.failed:
        save_artifacts(request, pages)


@pytest.fixture
def open_page(new_context, request, base_url):
    """Opens a page at a viewport size, on the live test server."""
    yield from opening_pages(new_context, request, base_url)


@pytest.fixture
def open_shared_page(new_context, request, shared_news_site):
    """Opens a page at a viewport size, on the shared news site (see shared_news_site)."""
    emptying = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if emptying or request.node.get_closest_marker("django_db"):
        pytest.fail(
            f"A test on the shared news site takes {sorted(emptying) or 'the django_db marker'}: the database would be "
            "emptied under the file's other shared tests. Use news_site and phone_page or desktop_page instead."
        )
    yield from opening_pages(new_context, request, shared_news_site.url)


def save_artifacts(request, pages):
    test_name = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    folder = request.config.rootpath / ARTIFACTS / test_name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for number, page in enumerate(pages, start=1):
        name = "page" if len(pages) == 1 else f"page-{number}"
        if page.is_closed():
            continue
        page.screenshot(path=folder / f"{name}.png", full_page=True)
        (folder / f"{name}.html").write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")


def at_each_width(page, widths):
    """Lays the loaded page out again at each width (as a phone turned, or a window resized: the stylesheet's media
    queries apply anew), yielding each; one page load serves every width."""
    for width in widths:
        page.set_viewport_size({"width": width, "height": page.viewport_size["height"]})
        yield width


@pytest.fixture
def phone_page(open_page):
    """A page in a 375 px wide phone browser."""
    return open_page(PHONE, **PHONE_BROWSER)


@pytest.fixture
def desktop_page(open_page):
    """A page in a 1280 px wide desktop browser."""
    return open_page(DESKTOP)


@pytest.fixture
def shared_phone_page(open_shared_page):
    """A page in a 375 px wide phone browser, on the shared news site."""
    return open_shared_page(PHONE, **PHONE_BROWSER)


@pytest.fixture
def shared_desktop_page(open_shared_page):
    """A page in a 1280 px wide desktop browser, on the shared news site."""
    return open_shared_page(DESKTOP)


@pytest.fixture
def page_logged_in_as(open_page, live_server):
    """page_logged_in_as(user, viewport=DESKTOP, **context_args): a page whose browser holds `user`'s session, as
    after the login form. The form has journeys of its own (test_editor_journey.py, test_admin_two_factor.py,
    test_membership_review_journey.py, test_reviewer_day_journey.py); the other journeys start where it leaves them."""

    def open_as(user, viewport=DESKTOP, **context_args):
        client = Client()
        client.force_login(user)
        page = open_page(viewport, **context_args)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        return page

    return open_as


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def assert_no_axe_violations(axe):
    """assert_no_axe_violations(page): axe-core finds nothing wrong on the page as it is now."""

    def check(page):
        results = axe.run(page)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check


@dataclass
class NewsSite:
    url: str
    bilingual_story: dict


def publish_news_site_stories():
    call_command("load_seed_stories", stdout=io.StringIO())
    make_story(
        {language: {**fields, "summary": fields["title"]} for language, fields in BILINGUAL_STORY.items()},
        publish_date=datetime.date(2020, 6, 1),
    )


@pytest.fixture
def news_site(transactional_db, live_server):
    """The old site's stories (two written in Chinese only) and one story in both languages.

    Twenty-three stories: two pages of news. The bilingual story is dated so it is listed on page 2.
    """
    publish_news_site_stories()
    return NewsSite(url=live_server.url, bilingual_story=BILINGUAL_STORY)


@pytest.fixture(scope="module")
def shared_news_site(django_db_setup, django_db_blocker):
    """news_site's stories, published once for the tests of a file that only read its pages (with shared_phone_page,
    shared_desktop_page), on a live server of its own; the database is emptied after the file's last test.

    news_site publishes them for each test and empties the database after it: 0.8 s a test on PostgreSQL, 0.4 s on
    SQLite. Nothing empties it under these tests: they use no database fixture, so pytest-django runs them after the
    file's tests that do (whose tear-down empties it), and a file's tests run together (tests/conftest.py)."""
    with django_db_blocker.unblock():
        publish_news_site_stories()
        server = LiveServer("localhost")
        try:
            yield NewsSite(url=server.url, bilingual_story=BILINGUAL_STORY)
        finally:
            server.stop()
            call_command("flush", verbosity=0, interactive=False, reset_sequences=False)


@pytest.fixture
def membership_site(transactional_db, live_server, membership_settings, mailoutbox):
    """The buyer membership form, ready for a browser that types faster than a person (see membership_settings;
    every browser test comes from 127.0.0.1). Returns the outbox: the live server runs in this process, so its
    emails land in django.core.mail.outbox.
    """
    return mailoutbox
