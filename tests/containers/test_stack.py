"""compose.yaml's stack, built and run for real (conftest.py): what a visitor, an editor and an operator see. In file
order: looking first, then the destructive tests (restore on empty volumes, a killed container, a new release)."""

import gzip
import json
import re
import secrets
import subprocess
import time
import urllib.parse

import pytest

from testkit.applications import application_answers
from testkit.object_storage import Buckets, S3Server, anonymous_get

IMAGE_LAYERS_LIMIT = 200 * 10**6
# The host, as the containers on compose.yaml's network (172.29.22.0/24) reach it.
COMPOSE_GATEWAY = "172.29.22.1"

EDIT_LATEST_STORY = """
from news.models import NewsStory
story = NewsStory.objects.filter(translations__language_code="en").published().order_by("-id").first()
story.set_current_language("en")
if {title!r}:
    story.title = {title!r}
    story.save()
print(story.slug)
"""

# An image stored where editors' uploads go (the site's default storage: the media volume), as a PNG Pillow makes.
STORE_IMAGE = """
import io
from PIL import Image
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
buffer = io.BytesIO()
Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
print(default_storage.url(default_storage.save("news/images/ctest/red.png", ContentFile(buffer.getvalue()))))
"""

# A story given a photo as the admin gives it (the upload waits in private storage for the worker service).
STORY_WITH_PHOTO = """
import io
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from news.models import NewsStory
buffer = io.BytesIO()
Image.new("RGB", (1600, 1000), (30, 120, 200)).save(buffer, "JPEG")
story = NewsStory.objects.filter(translations__language_code="en").published().order_by("-id").first()
story.image = SimpleUploadedFile("worker.jpg", buffer.getvalue(), content_type="image/jpeg")
story.save()
print(story.pk)
"""

IMAGE_STATE = """
from news.models import NewsStory
story = NewsStory.objects.get(pk={pk})
print(story.image_state, story.card_picture.fallback_url if story.card_picture else "")
"""

COUNT_ROWS = """
from django.apps import apps
import json
print(json.dumps({m._meta.label: m.objects.count() for m in apps.get_models()}))
"""

LIST_FILES = """
import json, os, hashlib
from django.conf import settings
found = {}
for root in (settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT):
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            found[path] = hashlib.sha256(open(path, "rb").read()).hexdigest()
print(json.dumps(found))
"""


def last_line(text):
    return text.strip().splitlines()[-1]


def edit_latest_story(stack, title=""):
    return f"/news/{last_line(stack.shell(EDIT_LATEST_STORY.format(title=title)))}/"


def at_the_start_of_a_second():
    time.sleep(1.05 - time.time() % 1)


def body_text(response):
    data = gzip.decompress(response.data) if response.getheader("Content-Encoding") == "gzip" else response.data
    return data.decode()


# --- The image ----------------------------------------------------------------------------------------------


def test_the_images_own_layers_stay_under_200_mb_and_carry_no_tests_or_docs(stack):
    image = f"ietp-site:{stack.release}"
    # The layers above the base image's (docker history's sizes, summed): what the Dockerfile adds.
    inspect = json.loads(stack.run(["docker", "image", "inspect", image]).stdout)[0]
    base = json.loads(stack.run(["docker", "image", "inspect", "python:3.11-slim"]).stdout)[0]
    assert inspect["RootFS"]["Layers"][: len(base["RootFS"]["Layers"])] == base["RootFS"]["Layers"]
    project_bytes = inspect["Size"] - base["Size"]
    stack.figures["image MB (project layers)"] = round(project_bytes / 10**6, 1)
    stack.figures["image MB (whole)"] = round(inspect["Size"] / 10**6, 1)
    assert project_bytes <= IMAGE_LAYERS_LIMIT
    listing = stack.run(["docker", "run", "--rm", image, "sh", "-c", "id -u; ls -A /app; command -v psql || true"])
    uid, *entries = listing.stdout.split()
    assert uid == "10001"
    assert not {"tests", "bench", "docs", "testkit", ".git", ".venv", ".env", "certs"} & set(entries)
    assert {"manage.py", "staticfiles", "locale", "deploy"} <= set(entries)
    # Backups run pg_dump and pg_restore only (operations/backups.py); the rest of postgresql-client stays out.
    tools = stack.run(["docker", "run", "--rm", image, "sh", "-c", "pg_dump --version && pg_restore --version"])
    assert tools.stdout.count("(PostgreSQL) 15") == 2


def test_without_redis_the_file_cache_is_writable_and_the_site_ready(stack):
    """Issue 21, defect 1: the build left /app/.cache to root, and without REDIS_URL /readyz answered 503."""
    readiness = stack.compose(
        *("run", "--rm", "--no-deps", "-T", "-e", "REDIS_URL=", "web", "python", "manage.py", "shell", "-c"),
        "from django.test import Client; from django.conf import settings; "
        "r = Client().get('/readyz', HTTP_HOST=settings.ALLOWED_HOSTS[0]); "
        "print(settings.CACHES['default']['BACKEND'], r.status_code, r.content.decode())",
    ).stdout
    assert "FileBasedCache 200" in readiness, readiness


# --- What visitors get, through nginx over TLS ---------------------------------------------------------------


def test_health_probes_answer_through_nginx(stack):
    for path in ("/healthz", "/readyz"):
        response = stack.request("GET", path)
        assert response.status == 200, (path, response.data)
        assert json.loads(response.data)["status"] == "ok"


def test_the_news_in_both_languages_and_a_story(stack):
    english = stack.request("GET", "/news/")
    chinese = stack.request("GET", "/zh/news/")
    assert english.status == chinese.status == 200
    assert english.getheader("Content-Language") == "en"
    assert chinese.getheader("Content-Language") == "zh-Hans"
    story_path = edit_latest_story(stack)
    assert story_path in english.data.decode()
    story = stack.request("GET", story_path)
    assert story.status == 200 and "<article" in story.data.decode()


def test_a_membership_application_sent_through_the_form_is_saved(stack):
    form = stack.request("GET", "/buyer-membership/")
    assert form.status == 200
    page = form.data.decode()
    cookie = re.search(r"csrftoken=([^;]+)", form.getheader("Set-Cookie"))[1]
    hidden = dict(re.findall(r'<input type="hidden" name="(csrfmiddlewaretoken|form_started)" value="([^"]+)"', page))
    company = f"Container Toys {secrets.token_hex(3)}"
    answers = application_answers(company_name=company) | hidden
    answers |= {"agrees_to_principles": "on", "consents_to_privacy_notice": "on", "fax": ""}
    time.sleep(1.2)  # MEMBERSHIP_MIN_SECONDS_TO_SUBMIT=1 in the test's .env
    sent = stack.request(
        "POST",
        "/buyer-membership/",
        body=urllib.parse.urlencode(answers, doseq=True),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Origin": f"https://localhost:{stack.https_port}",
            "Referer": f"https://localhost:{stack.https_port}/buyer-membership/",
        },
    )
    assert sent.status == 302, sent.data.decode()[:2000]
    saved = stack.shell(
        "from membership.models import MembershipApplication as A; "
        f"print(A.objects.filter(company_name={company!r}).values_list('contact_email', flat=True).get())"
    )
    assert last_line(saved) == answers["contact_email"]


def test_a_page_asked_for_twice_in_a_second_is_a_hit_the_second_time(stack):
    path = edit_latest_story(stack)
    at_the_start_of_a_second()
    first, second = stack.request("GET", path), stack.request("GET", path)
    assert first.getheader("X-Cache-Status") in {"MISS", "EXPIRED"}
    assert second.getheader("X-Cache-Status") == "HIT"
    assert second.data == first.data


def test_an_editors_change_shows_within_a_second(stack):
    path = edit_latest_story(stack)
    at_the_start_of_a_second()
    for page in (path, "/news/"):
        stack.request("GET", page)
        assert stack.request("GET", page).getheader("X-Cache-Status") == "HIT"
    new_title = f"Retitled {time.time_ns()}"
    edit_latest_story(stack, new_title)
    edited = time.monotonic()
    for page in (path, "/news/"):
        while new_title not in body_text(response := stack.request("GET", page)):
            assert time.monotonic() - edited < 1.5, (page, response.getheader("X-Cache-Status"))
            time.sleep(0.05)
    stack.figures["editor's change shown after seconds"] = round(time.monotonic() - edited, 2)
    assert time.monotonic() - edited < 1.5  # a second, and the time `docker compose exec` takes to return


def test_static_files_come_with_immutable_cache_headers(stack):
    # The page's styles are inline; its icon is a static file with a hashed name.
    page = stack.request("GET", "/news/").data.decode()
    response = stack.request("GET", re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.[a-z]+)"', page)[1])
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"


def test_an_uploaded_image_is_served_from_media(stack):
    url = last_line(stack.shell(STORE_IMAGE))
    assert url.startswith("/media/news/images/ctest/")
    response = stack.request("GET", url)
    assert response.status == 200
    assert response.data.startswith(b"\x89PNG")
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"


def test_the_worker_service_is_healthy_and_makes_an_editors_photo(stack):
    assert '"Health":"healthy"' in stack.compose("ps", "worker", "--format", "json", capture=True).stdout.replace(
        " ", ""
    )
    pk = last_line(stack.shell(STORY_WITH_PHOTO))

    deadline = time.monotonic() + 60
    while (state := last_line(stack.shell(IMAGE_STATE.format(pk=pk)))).startswith("processing"):
        assert time.monotonic() < deadline, "the worker never made the photo"
        time.sleep(1)

    status, card = state.split()
    assert status == "ready" and card.startswith("/media/news/images/")
    response = stack.request("GET", card)
    assert response.status == 200 and response.data.startswith(b"\xff\xd8")  # a JPEG, from the media volume


# --- Logs -----------------------------------------------------------------------------------------------------


def test_web_logs_one_json_line_per_request_without_query_string_email_or_probes(stack):
    """Issue 21, defect 2: gunicorn's access log doubled every request with its query string (an email address
    unredacted) and logged every health probe; its master and workers wrote different time zones."""
    markers = [secrets.token_hex(6) for _ in range(3)]
    for marker in markers:
        response = stack.request("GET", f"/news/no-such-story-{marker}/?email=someone@example.org&q=private")
        assert response.status == 404
    time.sleep(1)
    lines = stack.logs("web").splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]  # every line is JSON
    for marker in markers:
        # One request line (Django's own "Not Found" warning is an event of its own, without the query string).
        assert (
            len([entry for entry in entries if marker in entry["message"] and entry["logger"] == "ietp.requests"]) == 1
        )
        assert not [entry for entry in entries if marker in entry["message"] and entry["logger"].startswith("gunicorn")]
    assert not [line for line in lines if "someone@" in line or "q=private" in line or "?email" in line]
    requests = [entry for entry in entries if entry["logger"] == "ietp.requests"]
    assert requests and not [entry for entry in requests if entry["path"] in ("/healthz", "/readyz")]
    # The health check has run (every 15 s) since the stack started: none of its requests is at INFO.
    assert stack.figures.get("up seconds")
    # One time zone, said, for gunicorn's master (it never loads Django) and its workers (which do).
    gunicorn_lines = [entry for entry in entries if entry["logger"].startswith("gunicorn")]
    assert any("Booting worker" in entry["message"] for entry in gunicorn_lines)
    assert any("Listening at" in entry["message"] for entry in gunicorn_lines)
    assert {entry["time"][-6:] for entry in entries} == {"+00:00"}


def test_nginx_logs_paths_without_query_strings(stack):
    marker = secrets.token_hex(6)
    stack.request("GET", f"/news/?ref={marker}&email=someone@example.org")
    time.sleep(0.5)
    log = stack.logs("front")
    assert "GET /news/ " in log
    assert marker not in log and "someone@example.org" not in log


# --- Backup, then restore on empty volumes ---------------------------------------------------------------------


def test_a_backup_restored_on_empty_volumes_brings_back_every_row_and_file(stack):
    rows_before = json.loads(last_line(stack.shell(COUNT_ROWS)))
    files_before = json.loads(last_line(stack.shell(LIST_FILES)))
    assert rows_before["membership.MembershipApplication"] >= 1 and files_before

    started = time.monotonic()
    archive = last_line(stack.manage("backup"))
    stack.figures["backup seconds"] = round(time.monotonic() - started, 1)
    assert archive.startswith("/srv/backups/ietp-backup-")
    web = stack.web_containers()[0]
    stack.run(["docker", "cp", f"{web}:{archive}", str(stack.workdir / "backup.tar")])

    stack.compose("down", "-v", "--timeout", "10")
    stack.figures["up on empty volumes seconds"] = round(stack.up(), 1)
    assert json.loads(last_line(stack.shell(COUNT_ROWS)))["news.NewsStory"] == 0

    started = time.monotonic()
    # Back into the backups volume as the site's user (docker cp would leave it root's, unreadable to the site).
    with open(stack.workdir / "backup.tar", "rb") as archive_file:
        subprocess.run(
            ["docker", "compose", "exec", "-T", "web", "sh", "-c", "cat > /srv/backups/restored.tar"],
            stdin=archive_file,
            cwd=stack.workdir,
            env=stack.environment,
            check=True,
        )
    stack.compose("stop", "web")
    stack.compose("run", "--rm", "-T", "web", "python", "manage.py", "restore", "/srv/backups/restored.tar")
    stack.up()
    stack.figures["restore seconds (stop web, restore, up)"] = round(time.monotonic() - started, 1)

    assert json.loads(last_line(stack.shell(COUNT_ROWS))) == rows_before
    files_after = json.loads(last_line(stack.shell(LIST_FILES)))
    assert {path: digest for path, digest in files_after.items() if "/backups/" not in path} == files_before
    image = next(path for path in files_before if path.endswith("red.png"))
    assert stack.request("GET", image.replace("/srv/media/", "/media/")).status == 200
    assert stack.request("GET", "/news/").status == 200


# --- Faults and a release under load ---------------------------------------------------------------------------

# The site renders every request (nginx's micro-cache is bypassed for a visitor with a session cookie), so that the
# web containers, not nginx, answer the load.
UNCACHED = ["Cookie: sessionid=load-test", "Accept-Encoding: gzip"]


def test_three_web_containers_and_one_killed_under_load(stack):
    stack.up("--scale", "web=3", "--no-recreate")
    assert len(stack.web_containers()) == 3
    load = stack.wrk("/news/", headers=UNCACHED)
    time.sleep(4)
    victim = stack.web_containers()[0]
    stack.run(["docker", "kill", victim])
    # Twice the longest wait a request sent to the killed container was seen to have (5 s) before nginx tried the next.
    time.sleep(10)
    results = stack.wrk_results(load)
    stack.figures["wrk, 3 web, one killed after 4 s, 10 s after"] = {k: v for k, v in results.items() if k != "output"}
    assert results["requests"] > 100, results["output"]
    assert results["non_2xx_3xx"] == 0 and results["socket_errors"] == 0, results["output"]


def front_errors_since(stack, since):
    """nginx's error lines since `since` (a Unix time): why a load test's requests failed. (The access log has no line
    for a request answered with the 503 page: it is served from /static/, which is not logged.)"""
    log = stack.logs("front", since=str(int(since)))
    return [line for line in log.splitlines() if "[error]" in line or "[warn]" in line][:20]


def test_a_rolling_release_under_load(stack):
    stack.up("--scale", "web=3", "--no-recreate")  # the killed one restarted, or replaced
    old = set(stack.web_containers())
    load_started = time.time()
    load = stack.wrk("/news/", headers=UNCACHED)
    time.sleep(2)
    new_release = f"{stack.release}-2"
    started = time.monotonic()
    stack.run(["deploy/rolling-release"], environment={"RELEASE_ID": new_release})
    stack.figures["rolling release seconds"] = round(time.monotonic() - started, 1)
    time.sleep(2)  # the load lasts the whole release, and goes on to the new containers alone
    results = stack.wrk_results(load)
    stack.figures["wrk, all through the rolling release"] = {k: v for k, v in results.items() if k != "output"}
    now = stack.web_containers()
    assert len(now) == 3 and not old & set(now)
    images = {
        stack.run(["docker", "inspect", "--format", "{{.Config.Image}}", container]).stdout.strip() for container in now
    }
    assert images == {f"ietp-site:{new_release}"}
    if results["non_2xx_3xx"] or results["socket_errors"]:
        pytest.fail(results["output"] + "\n".join(["nginx:", *front_errors_since(stack, load_started)]))


def test_two_web_containers_without_a_media_volume_share_uploads_through_buckets(stack):
    """compose.s3.yaml on top of the running stack, as an operator moving to two machines would: two web containers
    and the worker with no media volume, every upload in an S3-compatible service (moto's server, on the host,
    reached from the containers at their network's gateway)."""
    server = S3Server(host="0.0.0.0").start()
    try:
        buckets = Buckets.create(server)
        endpoint = f"http://{COMPOSE_GATEWAY}:{server.port}"
        site_env = {**buckets.site_env(), "AWS_S3_ENDPOINT_URL": endpoint}
        with (stack.workdir / ".env").open("a") as env_file:
            env_file.writelines(f"{name}={value}\n" for name, value in site_env.items())
        # compose.s3.yaml first: the stand-in nginx's own template (an override of front's volumes) still applies.
        stack.overrides = ["compose.s3.yaml", *stack.overrides]
        stack.up()
        assert len(stack.web_containers()) == 2
        for container in stack.web_containers():
            mounts = stack.run(["docker", "exec", container, "cat", "/proc/mounts"]).stdout
            assert " /srv/media " not in mounts and " /srv/private-media " not in mounts, f"{container} has a volume"

        pk = last_line(stack.shell(STORY_WITH_PHOTO))
        deadline = time.monotonic() + 90
        while (state := last_line(stack.shell(IMAGE_STATE.format(pk=pk)))).startswith("processing"):
            assert time.monotonic() < deadline, "the worker never made the photo"
            time.sleep(1)
        status, card = state.split()

        assert status == "ready" and card.startswith(f"{endpoint}/{buckets.media}/media/news/images/")
        host_card = card.replace(endpoint, server.endpoint_url)
        assert anonymous_get(host_card)[0] == 200  # visitors load it from the bucket, not from a web container
        assert buckets.keys(buckets.private) == []  # the upload as received is gone once made
        # Either web container renders the page with the photo from the bucket.
        slug = last_line(stack.shell(EDIT_LATEST_STORY.format(title="")))
        for _request in range(4):
            page = stack.request("GET", f"/news/{slug}/", headers={"Cookie": "sessionid=two-machines"})
            assert page.status == 200 and endpoint in body_text(page)
    finally:
        server.stop()
