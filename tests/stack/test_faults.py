"""Faults, designed: what visitors, buyers and editors get when the database, the cache or the media storage fails,
when a request is too large or unreadable, and what operators are told. Each fault is real: a PostgreSQL cluster and
a Redis server of the test's own, stopped; a media directory that cannot be written; gunicorn as deployed."""

import contextlib
import os
import select
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import path

from caching import page_cache
from ietp_site.urls import handler400, handler500  # noqa: F401 - this module is also a URL conf
from ietp_site.urls import urlpatterns as site_urlpatterns
from membership.models import MembershipApplication
from news.models import NewsStory
from testkit import prepared
from testkit.applications import application_form
from testkit.background import run_queued_tasks
from testkit.files import photo_like
from testkit.outage import DESIGNED_503, NOT_SAVED, Applicant, OutageSite, fetch, keep_cookies, run_outage
from testkit.pages import card_titles
from testkit.ports import free_port
from testkit.servers import IN_CI, ROOT, SERVER_PORTS, Gunicorn, PostgresCluster, manage, redis_cache, site_env
from testkit.smtp import HangingSMTP, SMTPSink
from testkit.stories import story_form

pytestmark = pytest.mark.django_db


def tool_missing(message):
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


# --- The database down, for real ------------------------------------------------------------------


@pytest.fixture(scope="module")
def outage_site(tmp_path_factory):
    """The site on a PostgreSQL cluster of its own (whatever DATABASE_URL the suite runs with), by gunicorn."""
    if missing := PostgresCluster.tools_missing():
        tool_missing(f"PostgreSQL's {', '.join(missing)} missing (Debian: postgresql)")
    # Each uncached request meets the stopped database after waiting DATABASE_POOL_TIMEOUT for a connection: 1 s
    # rather than production's 3 s, so that the dozen such requests of these tests wait 12 s less. The answers are
    # the same, from a stopped server.
    with OutageSite(tmp_path_factory.mktemp("outage-site"), DATABASE_POOL_TIMEOUT="1") as site:
        yield site


@pytest.mark.slow
def test_with_the_database_stopped_cached_pages_serve_and_others_say_try_again_in_the_visitors_language(
    outage_site,
):
    site = outage_site
    warm = fetch(site.url("/news/"))
    assert warm[0] == 200
    buyer = Applicant(site.server.base_url, "Typed During Outage Ltd")
    assert buyer.open_form()[0] == 200

    site.cluster.stop()
    try:
        status, page = fetch(site.url("/news/"))
        assert status == 200 and card_titles(page), "the cached list is served"

        for address, language in [("/news/?page=2", "en"), ("/zh/news/", "zh"), ("/zh/search/?q=toys", "zh")]:
            response = raw_get(site.url(address))
            assert response.status == 503, address
            assert response.headers["Retry-After"] == "30"
            body = response.read().decode()
            assert DESIGNED_503[language] in body, address
            assert "Traceback" not in body and "Internal Server Error" not in body

        status, page = buyer.send(message="We sent this while your database was down.")
        assert status == 503
        assert NOT_SAVED["en"] in page
        assert 'value="Typed During Outage Ltd"' in page
        assert "We sent this while your database was down." in page
        assert 'value="typed.during.outage.ltd@example.com"' in page
    finally:
        site.cluster.start()

    recovery = site.time_to_recover("/zh/news/", limit=10)
    assert recovery is not None and recovery <= 5, f"back after {recovery} s"
    # The first page back came from one worker; the buyer's post may reach the other, still reconnecting.
    until_every_worker_has_recovered(site)
    status, _page = buyer.send()
    assert status == 200
    assert "Typed During Outage Ltd" in site.saved_companies()


# Sessions as the site keeps them (in the database): an editor logged in, and a visitor with an anonymous session.
MAKE_SESSIONS = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
editor = get_user_model().objects.create_user("outage-editor", password="not-used-here", is_staff=True)
logged_in = SessionStore()
logged_in.update({SESSION_KEY: str(editor.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                  HASH_SESSION_KEY: editor.get_session_auth_hash()})
logged_in.create()
anonymous = SessionStore()
anonymous["seen"] = True
anonymous.create()
print(logged_in.session_key, anonymous.session_key)
"""


@pytest.mark.slow
def test_with_the_database_stopped_a_visitor_with_a_session_gets_the_form_back_with_their_answers(outage_site):
    site = outage_site
    result = manage(site.env, "shell", "-c", MAKE_SESSIONS)
    editor_session, anonymous_session = result.stdout.split()[-2:]
    editor = Applicant(site.server.base_url, "Editor Typing Ltd")
    editor.cookies["sessionid"] = editor_session
    visitor = Applicant(site.server.base_url, "Visitor With Session Ltd")
    visitor.cookies["sessionid"] = anonymous_session
    returning = Applicant(site.server.base_url, "Applied Before Ltd")
    assert returning.open_form()[0] == 200
    status, thanks = returning.send()
    assert status == 200 and "applied.before.ltd@example.com" in thanks  # thanked by address, as a browser is
    returning.company_name = "Applied Again Ltd"
    for person in (editor, visitor, returning):
        assert person.open_form()[0] == 200

    site.cluster.stop()
    try:
        for person in (editor, visitor, returning):
            status, page = person.send(message=f"{person.company_name} typed this during the outage.")
            assert status == 503, person.company_name
            assert NOT_SAVED["en"] in page, f"{person.company_name} got another page"
            assert f'value="{person.company_name}"' in page
            assert f"{person.company_name} typed this during the outage." in page
    finally:
        site.cluster.start()
    assert site.time_to_recover(limit=10) is not None
    assert {"Editor Typing Ltd", "Visitor With Session Ltd", "Applied Again Ltd"}.isdisjoint(site.saved_companies())


class StopAtRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def until_every_worker_has_recovered(site, in_a_row=8, limit=20):
    """After an earlier test's outage each worker's connection pool reconnects on its own, not at the same moment:
    waits until uncached pages answer several times in a row."""
    started, streak = time.monotonic(), 0
    while time.monotonic() - started < limit:
        # A search never made before: one made before is answered from the cache, without the database.
        fresh = site.url(f"/zh/search/?q=recovered+{time.monotonic_ns()}")
        streak = streak + 1 if fetch(fresh, timeout=5)[0] == 200 else 0
        if streak >= in_a_row:
            return
        time.sleep(0.05)
    pytest.fail("the site did not recover from the previous test's outage")


@pytest.mark.slow
def test_an_application_saved_just_before_the_database_stops_is_thanked_not_refused(outage_site):
    site = outage_site
    until_every_worker_has_recovered(site)
    buyer = Applicant(site.server.base_url, "Saved Just In Time Ltd")
    assert buyer.open_form()[0] == 200
    answers = application_form(
        company_name=buyer.company_name, contact_email="just.in.time@example.com", fax="", **buyer.form_fields
    )
    sent = urllib.request.Request(site.url("/buyer-membership/"), data=urllib.parse.urlencode(answers, True).encode())
    sent.add_header("Cookie", "; ".join(f"{name}={value}" for name, value in buyer.cookies.items()))
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(StopAtRedirect).open(sent, timeout=15)
    assert redirect.value.status == 302
    thanks_address = redirect.value.headers["Location"]
    keep_cookies(redirect.value, buyer.cookies)
    assert "sessionid" not in buyer.cookies  # nothing was written after the application: no session

    site.cluster.stop()
    try:
        status, page = fetch(site.url(thanks_address), cookies=buyer.cookies)
    finally:
        site.cluster.start()
    assert site.time_to_recover(limit=10) is not None

    assert status == 200, "the buyer is thanked, not asked to send it again"
    assert "What happens next" in page and "just.in.time@example.com" not in page
    assert "Saved Just In Time Ltd" in site.saved_companies()


@pytest.mark.slow
def test_a_database_outage_under_load_answers_pages_or_the_designed_503_and_loses_no_application(outage_site):
    # Four seconds down: four times the pools' wait and reconnect timeouts (DATABASE_POOL_TIMEOUT, outage_site), so
    # every worker's pool has given up on the database and each visitor and applicant meets it more than once.
    figures = run_outage(outage_site, outage_seconds=4, threads=3, before=2, after=2)

    assert figures["unexpected"] == []
    assert set(figures["statuses"]) <= {200, 503}, figures["statuses"]
    assert figures["statuses"].get(503), "the outage was felt"
    assert figures["recovery_seconds"] is not None and figures["recovery_seconds"] <= 5
    assert figures["applications_lost"] == []
    assert figures["applications_refused"] >= 1 and figures["applications_saved"] >= 1


def raw_get(url):
    import urllib.error
    import urllib.request

    try:
        return urllib.request.urlopen(url, timeout=15)
    except urllib.error.HTTPError as error:
        return error


# --- The database down, as the code meets it (views, middleware) --------------------------------


def database_down_view(request):
    raise OperationalError("connection refused")


def pool_exhausted_view(request):
    from psycopg_pool import PoolTimeout  # as the pool in use had loaded it

    raise PoolTimeout("couldn't get a connection after 10.00 sec")


def failing_view(request):
    raise RuntimeError("A mistake in the code")


class DatabaseDownInMiddleware:
    """As the session or authentication middleware meets an outage: outside any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.endswith("/middleware-database-down/"):
            raise OperationalError("connection refused")
        return self.get_response(request)


urlpatterns = [
    path("database-down/", database_down_view),
    path("zh/database-down/", database_down_view),
    path("middleware-database-down/", database_down_view),
    path("zh/middleware-database-down/", database_down_view),
    path("pool-exhausted/", pool_exhausted_view),
    path("zh/pool-exhausted/", pool_exhausted_view),
    path("failing/", failing_view),
    *site_urlpatterns,
]


@pytest.fixture
def operators(settings):
    settings.ADMINS = [("Site operator", "operator@ethicaltoyprogram.org")]
    return settings


@pytest.mark.urls("tests.stack.test_faults")
@pytest.mark.parametrize(
    ("path", "heading", "lang"),
    [
        ("/database-down/", "The site is briefly unavailable", "en"),
        ("/zh/database-down/", "网站暂时无法访问", "zh-Hans"),
        ("/middleware-database-down/", "The site is briefly unavailable", "en"),
        ("/zh/middleware-database-down/", "网站暂时无法访问", "zh-Hans"),
        # Every connection of the pool in use, none free in time.
        ("/pool-exhausted/", "The site is briefly unavailable", "en"),
        ("/zh/pool-exhausted/", "网站暂时无法访问", "zh-Hans"),
    ],
)
def test_a_database_outage_met_anywhere_answers_the_503_page_and_emails_no_one(path, heading, lang, operators):
    middleware = [*operators.MIDDLEWARE, "tests.stack.test_faults.DatabaseDownInMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        response = Client(raise_request_exception=False).get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert heading in page and f'lang="{lang}"' in page
    assert mail.outbox == []  # an outage is logged, not mailed once per request


# --- Server errors reach the operators ----------------------------------------------------------


@pytest.mark.urls("tests.stack.test_faults")
def test_a_server_error_is_emailed_to_the_admins_and_the_visitor_told_so(operators):
    response = Client(raise_request_exception=False).get("/failing/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "The people who run the site have been told." in response.content.decode()
    [report] = mail.outbox
    assert report.to == ["operator@ethicaltoyprogram.org"]
    assert "/failing/" in report.subject and "A mistake in the code" in report.body


@contextlib.contextmanager
def failing_site(tmp_path, mail_port):
    """gunicorn with the production settings, ADMINS set, the mail server on 127.0.0.1:`mail_port` (EMAIL_TIMEOUT 4 s)
    and an address that raises, /failing/."""
    env = site_env(
        tmp_path,
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="tests.stack.server_error_settings",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        ADMINS="Site operator <operator@ethicaltoyprogram.org>",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(mail_port),
        EMAIL_USE_TLS="0",
        EMAIL_TIMEOUT="4",
    )
    server = Gunicorn(env).start(tmp_path / "gunicorn.log")
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.mark.slow
def test_with_the_mail_server_hanging_a_server_error_answers_its_500_page_at_once(tmp_path):
    mail_port = free_port(SERVER_PORTS)
    # The mail server stops before the site does: the reports then fail at once instead of holding each worker's
    # exit for EMAIL_TIMEOUT (it waits for the reports handed to its sender).
    with failing_site(tmp_path, mail_port) as site, HangingSMTP(port=mail_port):
        for _attempt in range(3):  # the second and third while the first report still waits for the mail server
            started = time.monotonic()
            response = raw_get(f"{site}/failing/")
            took = time.monotonic() - started
            assert response.status == 500
            assert "Something went wrong" in response.read().decode()
            assert took < 2, f"the 500 page took {took:.1f} s"


@pytest.mark.slow
def test_a_server_error_report_reaches_the_admins_through_smtp(tmp_path):
    with SMTPSink(port=free_port(SERVER_PORTS)) as mail_server, failing_site(tmp_path, mail_server.port) as site:
        assert raw_get(f"{site}/failing/").status == 500
        deadline = time.monotonic() + 10
        while not mail_server.messages and time.monotonic() < deadline:
            time.sleep(0.05)

    [report] = mail_server.messages
    assert report["To"] == "operator@ethicaltoyprogram.org"
    assert "/failing/" in report["Subject"]
    assert "A mistake in the code" in report.get_body(("plain",)).get_content()


@pytest.mark.urls("tests.stack.test_faults")
def test_without_admins_the_500_page_claims_no_one_was_told(settings):
    settings.ADMINS = []
    response = Client(raise_request_exception=False).get("/failing/")

    assert response.status_code == 500
    assert "have been told" not in response.content.decode()
    assert mail.outbox == []


@pytest.mark.slow
def test_admins_are_read_from_the_environment(tmp_path):
    result = manage(
        site_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", ADMINS="Ops Team <ops@example.org>, b@example.org"),
        "shell",
        "-c",
        "from django.conf import settings; print(settings.ADMINS)",
    )
    assert "[('Ops Team', 'ops@example.org'), ('', 'b@example.org')]" in result.stdout, result.stderr


# --- The cache server down ----------------------------------------------------------------------


@pytest.mark.slow
def test_with_the_cache_server_stopped_applications_are_saved_and_not_counted(
    own_redis,
    membership_settings,
):
    server, url = own_redis
    membership_settings.MEMBERSHIP_SUBMISSIONS_PER_IP = 1
    with override_settings(CACHES=redis_cache(url)):
        page_cache.CacheHealth.paused_until = 0.0
        server.kill()
        server.wait(timeout=10)

        assert Client().get("/buyer-membership/").status_code == 200
        first = Client().post("/buyer-membership/", application_form())
        second = Client().post(
            "/buyer-membership/", application_form(company_name="Second Toys", contact_email="b@example.com")
        )

    assert first.status_code == 302 and second.status_code == 302  # the hourly limit cannot count: it lets them in
    assert MembershipApplication.objects.count() == 2


# --- Bodies that cannot be read, or are too large ----------------------------------------------

CHARSET_PATHS = ["/news/", "/buyer-membership/", "/admin/login/", "/zh/buyer-membership/"]


@pytest.mark.parametrize("charset", ["latin-1", "bogus", "utf-16"])
@pytest.mark.parametrize("path", CHARSET_PATHS)
def test_a_form_in_another_charset_gets_a_400_page_in_the_visitors_language(path, charset):
    client = Client(raise_request_exception=False)
    client.cookies["csrftoken"] = "a" * 32  # past the CSRF check's first step, to where it reads the form
    response = client.generic(
        "POST",
        path,
        data=b"csrfmiddlewaretoken=" + b"a" * 32 + b"&name=Caf\xe9",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )

    assert response.status_code == 400
    expected = "网站无法读取" if path.startswith("/zh/") else "could not read what your browser sent"
    assert expected in response.content.decode()


def test_a_utf8_form_under_another_name_for_utf8_is_read(client, membership_settings):
    response = client.post(
        "/buyer-membership/",
        data=application_form(),
        content_type="multipart/form-data; boundary=BoUnDaRy; charset=UTF8",
    )
    # The test client encodes for its own boundary; what matters is that the charset's name is not refused.
    assert response.status_code != 400 or "could not read" not in response.content.decode()


def multipart_of_size(size, field="letter"):
    boundary = "limit-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="letter.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + b"%" * (size - len(head) - len(tail)) + tail, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("path", "size", "refused"),
    [
        ("/buyer-membership/", 11 * 1024 * 1024, False),  # a 10 MB letter and the answers
        ("/buyer-membership/", 13 * 1024 * 1024, True),
        ("/zh/buyer-membership/", 13 * 1024 * 1024, True),
        ("/search/", 2 * 1024 * 1024, True),
        ("/admin/login/", 2 * 1024 * 1024, True),
    ],
)
def test_bodies_larger_than_their_destination_accepts_get_a_413_in_the_visitors_language(
    path, size, refused, membership_settings, tmp_path
):
    body, content_type = multipart_of_size(size)
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(tmp_path)):
        response = Client().generic("POST", path, data=body, content_type=content_type)

    assert (response.status_code == 413) is refused, response.status_code
    if refused:
        text = "您发送的内容过大" if path.startswith("/zh/") else "What you sent is too large"
        assert text in response.content.decode()


def test_staff_may_send_larger_bodies_to_the_admin_than_anyone_else(staff_client, media_root):
    body, content_type = multipart_of_size(20 * 1024 * 1024, field="image")
    staff = staff_client.generic("POST", "/admin/news/newsstory/add/", data=body, content_type=content_type)
    anonymous = Client().generic("POST", "/admin/news/newsstory/add/", data=body, content_type=content_type)

    assert staff.status_code != 413
    assert anonymous.status_code == 413


@pytest.fixture(scope="module")
def live_site(tmp_path_factory):
    """The site on SQLite, by gunicorn, with uploads waiting in a directory the tests watch."""
    directory = tmp_path_factory.mktemp("live-site")
    uploads = directory / "uploads"
    uploads.mkdir()
    env = site_env(directory, prepared.migrated_sqlite(directory / "db.sqlite3"), FILE_UPLOAD_TEMP_DIR=str(uploads))
    server = Gunicorn(env).start(directory / "gunicorn.log")
    yield server, uploads
    server.stop()


def send_streaming(port, path, headers, chunk=b"x" * 65536, limit_bytes=500 * 1024 * 1024, seconds=20):
    """Sends a request's body chunk by chunk until the server answers (or the limit): returns (status line, the
    response's first bytes, bytes sent, seconds taken)."""
    started = time.monotonic()
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        connection.sendall((head + "\r\n").encode())
        answer = b""
        while sent < limit_bytes and time.monotonic() - started < seconds:
            readable, _writable, _error = select.select([connection], [], [], 0)
            if readable:
                break
            try:
                connection.sendall(chunk)
            except OSError:  # the server answered and closed: read what it said
                break
            sent += len(chunk)
        connection.settimeout(10)
        try:
            while chunk_read := connection.recv(65536):
                answer += chunk_read
                if b"</html>" in answer:
                    break
        except OSError:
            pass
    return answer.split(b"\r\n", 1)[0].decode(), answer, sent, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/buyer-membership/", "/zh/buyer-membership/", "/admin/login/"])
def test_a_500_mb_upload_is_refused_at_once_and_nothing_is_spooled_to_disk(live_site, path):
    server, uploads = live_site
    boundary = "b0undary"
    status, answer, sent, seconds = send_streaming(
        server.port,
        path,
        {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(500 * 1024 * 1024),
            "Cookie": "csrftoken=" + "a" * 32,
        },
    )

    assert status == "HTTP/1.1 413 Request Entity Too Large", status
    assert ("您发送的内容过大" if "/zh/" in path else "What you sent is too large") in answer.decode("utf-8", "replace")
    assert seconds < 5 and sent < 100 * 1024 * 1024, (seconds, sent)
    assert list(uploads.iterdir()) == []


@pytest.mark.slow
def test_a_chunked_body_is_refused_with_411(live_site):
    server, uploads = live_site
    status, answer, _sent, seconds = send_streaming(
        server.port,
        "/buyer-membership/",
        {"Content-Type": "multipart/form-data; boundary=b", "Transfer-Encoding": "chunked"},
        chunk=b"10000\r\n" + b"x" * 65536 + b"\r\n",
        limit_bytes=50 * 1024 * 1024,
    )
    assert status.startswith("HTTP/1.1 411"), status
    assert list(uploads.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("charset", ["latin-1", "bogus", "utf-16"])
def test_gunicorn_answers_another_charset_with_a_400_not_a_bare_500(live_site, charset):
    server, _uploads = live_site
    for address in CHARSET_PATHS:
        body = b"csrfmiddlewaretoken=" + b"a" * 32 + b"&a=1"
        status, answer, _sent, _seconds = send_streaming(
            server.port,
            address,
            {
                "Content-Type": f"application/x-www-form-urlencoded; charset={charset}",
                "Content-Length": str(len(body)),
                "Cookie": "csrftoken=" + "a" * 32,
            },
            chunk=body,
            limit_bytes=len(body),
        )
        assert status.startswith("HTTP/1.1 400"), (address, status)
        assert b"Internal Server Error" not in answer


# --- The media storage full or read-only ----------------------------------------------------------


@pytest.fixture(params=["read-only", "full"])
def unwritable_media(request, settings, tmp_path):
    """MEDIA_ROOT on a small filesystem of its own, read-only or nearly full: as root (who ignores permissions),
    a tmpfs mounted for the test; otherwise, read-only by permissions. The private uploads waiting to be processed
    (PRIVATE_MEDIA_ROOT) are on it too, unless a test moves them."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    settings.PRIVATE_MEDIA_ROOT = media / "private-media"
    photo = photo_like(1600, 1200)
    if os.geteuid() != 0:
        if request.param == "full":
            tool_missing("a full disk is simulated with a tmpfs, which only root may mount")
        media.chmod(0o555)
        yield media, photo
        media.chmod(0o755)
        return
    # Room for half the upload: storing it as received finds the disk full.
    size_kb = 1024 if request.param == "read-only" else len(photo) // 2048
    options = f"size={size_kb}k" + (",ro" if request.param == "read-only" else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(media)], capture_output=True)
    if mounted.returncode != 0:
        tool_missing(f"cannot mount a tmpfs: {mounted.stderr.decode()}")
    try:
        yield media, photo
    finally:
        subprocess.run(["umount", str(media)], check=True)


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "The story was not saved: the site could not store its files"), ("zh-hans", "报道未保存")],
)
def test_with_the_media_storage_unwritable_the_editor_keeps_their_text_and_nothing_is_left_behind(
    unwritable_media, staff_client, language, message
):
    media, photo = unwritable_media
    prefix = "/zh" if language == "zh-hans" else ""
    form = story_form(
        title="Written while the disk was full",
        body="<p>Three paragraphs of careful reporting.</p>",
        image=SimpleUploadedFile("hall.jpg", photo, content_type="image/jpeg"),
        image_alt="Workers at sewing machines",
    )

    response = staff_client.post(f"{prefix}/admin/news/newsstory/add/?language=en", form)

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'value="Written while the disk was full"' in page
    assert "Three paragraphs of careful reporting." in page
    assert NewsStory.objects.count() == 0
    assert [path for path in media.rglob("*") if path.is_file()] == []


def test_with_the_media_storage_unwritable_the_image_fails_and_the_story_stays_saved(
    unwritable_media, staff_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    media, photo = unwritable_media
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"  # the upload is received; the job cannot store it
    form = story_form(
        title="Written while the disk was full",
        image=SimpleUploadedFile("hall.jpg", photo, content_type="image/jpeg"),
        image_alt="Workers at sewing machines",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post("/admin/news/newsstory/add/?language=en", form).status_code == 302

    run_queued_tasks()

    story = NewsStory.objects.get()
    assert story.title == "Written while the disk was full"
    assert story.image_state == "failed" and story.image_failure == "not_stored" and not story.image
    page = staff_client.get(f"/admin/news/newsstory/{story.pk}/change/").content.decode()
    assert "Failed: the site could not store the image" in page
    assert [path for path in media.rglob("*") if path.is_file()] == []
    assert [path for path in (tmp_path / "private-media").rglob("*") if path.is_file()] == []


# --- A 40-megapixel upload's memory ---------------------------------------------------------------

MEASURE_PEAK_MEMORY = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from django.core.files import File
    from django.core.files.storage import FileSystemStorage
    from news.images import store_featured_image, validate_featured_image

    class StoredImage(File):
        def __init__(self, storage, name):
            super().__init__(None, name)
            self.storage = storage

        def open(self, mode="rb"):
            self.file = self.storage.open(self.name, mode)
            return self

    storage = FileSystemStorage(location=sys.argv[2])
    with open(sys.argv[1], "rb") as upload:
        validate_featured_image(File(upload, name=sys.argv[1]))
        name = storage.save("news/images/measured/" + sys.argv[1].rsplit("/", 1)[-1], File(upload))
    store_featured_image(StoredImage(storage, name))
    # The process's peak resident memory. Not getrusage's ru_maxrss: on Linux it keeps the peak of the process
    # that forked this one (the test runner, which drew the image).
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM:")))
    """
)


def peak_memory_mb(image_path, media):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ietp_site.test_settings"}
    result = subprocess.run(
        [sys.executable, "-c", MEASURE_PEAK_MEMORY, str(image_path), str(media)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def forty_megapixels(image_path):
    """An 8000 × 5000 image as editors might upload one, at `image_path`: a photo as JPEG, a smooth graphic as PNG
    (under the upload limit: a photo's noise would make a PNG far larger)."""
    from PIL import Image

    if image_path.suffix == ".jpeg":
        return prepared.forty_megapixel_photo(image_path)
    channels = [Image.linear_gradient("L").rotate(angle).resize((8000, 5000)) for angle in (0, 90, 180)]
    Image.merge("RGB", channels).save(image_path, "PNG")
    return image_path


@pytest.mark.slow
@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_a_40_megapixel_upload_takes_a_worker_under_300_mb(tmp_path, image_format):
    image_path = forty_megapixels(tmp_path / f"forty-megapixels.{image_format.lower()}")

    peak = peak_memory_mb(image_path, tmp_path / "media")

    assert peak < 300, f"{peak} MB"
    made = sorted(rendition.name for rendition in (tmp_path / "media").rglob("hero-1920.*"))
    assert made == ["hero-1920.jpg", "hero-1920.webp"]


def test_a_document_that_cannot_be_stored_leaves_the_story_unsaved_and_no_file_behind(unwritable_media, staff_client):
    from testkit.files import minimal_pdf

    media, _photo = unwritable_media
    kept = fill_up(media)
    form = story_form(title="Audit calendar")
    form.update(
        {
            "documents-TOTAL_FORMS": "1",
            "documents-0-title": "Audit deadlines 2024",
            "documents-0-language_code": "en",
            "documents-0-position": "0",
            "documents-0-file": SimpleUploadedFile("deadlines.pdf", minimal_pdf(), content_type="application/pdf"),
        }
    )

    response = staff_client.post("/admin/news/newsstory/add/?language=en", form)

    assert response.status_code == 200
    assert "The story was not saved: the site could not store its files" in response.content.decode()
    assert 'value="Audit calendar"' in response.content.decode()
    assert NewsStory.objects.count() == 0
    assert [path for path in media.rglob("*") if path.is_file()] == kept


def fill_up(media):
    """Fills a writable media filesystem to the last byte; returns the files that fill it."""
    filler = media / "filler.bin"
    try:
        with open(filler, "wb") as stream:
            while True:
                stream.write(b"\0" * 4096)
                stream.flush()
    except OSError:
        pass
    return [filler] if filler.exists() else []
