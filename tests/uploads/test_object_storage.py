"""Uploads in object storage (MEDIA_STORAGE=s3), against a real S3 API server (moto's, testkit/object_storage.py):
an editor's photo and its renditions in the media bucket, served to visitors from there, replaced and deleted; a
membership letter in the private bucket, which no address reaches, downloaded by staff through the admin only."""

import io
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from membership.models import MembershipApplication
from news.models import NewsStory
from testkit import prepared
from testkit.applications import application_form, make_application
from testkit.background import run_queued_tasks
from testkit.files import letter_pdf, photo_like
from testkit.object_storage import anonymous_get
from testkit.pages import parse_page
from testkit.stories import story_form

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PHOTO_TEXT = {"image_alt": "Workers at sewing machines", "image_caption": "The sewing hall", "image_credit": "IETP"}


def add_story(staff_client, photo, name="photo.jpg"):
    """The editor's save, then the background job that makes the photo's clean copy and renditions (inside the
    caller's django_capture_on_commit_callbacks)."""
    form = story_form(**PHOTO_TEXT, image=SimpleUploadedFile(name, photo, content_type="image/jpeg"))
    response = staff_client.post("/admin/news/newsstory/add/?language=en", form)
    return response


def every_stored_image(story):
    paths = [story.image.name]
    for rendition_set in story.image_renditions.values():
        paths += [path for _width, path in rendition_set["webp"] + rendition_set["jpeg"]]
    return sorted(paths)


def media_keys(s3_buckets):
    return [key.removeprefix("media/") for key in s3_buckets.keys(s3_buckets.media)]


# --- An editor's photo, in the media bucket --------------------------------------------------------


def test_an_editors_photo_and_its_renditions_are_stored_in_the_bucket_and_visitors_load_them_from_it(
    staff_client, client, settings, s3_buckets, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = add_story(staff_client, photo_like(2400, 1600))
    # The upload waits in the private bucket for the job, never in the public one.
    assert len(s3_buckets.keys(s3_buckets.private)) == 1 and media_keys(s3_buckets) == []
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()

    assert response.status_code == 302
    story = NewsStory.objects.get()
    assert media_keys(s3_buckets) == every_stored_image(story)
    # The clean copy; card and hero (WebP, JPEG); the link card's; the 16:9, 4:3 and 1:1 of structured data.
    assert len(every_stored_image(story)) == 1 + 8 + 8 + 1 + 3
    for width, path in story.image_renditions["card"]["webp"]:
        with default_storage.open(path) as stored:
            image = Image.open(io.BytesIO(stored.read()))
        assert image.format == "WEBP" and image.width == width

    page = parse_page(client.get(story.get_absolute_url()))
    hero = page.find("picture").find("img")
    assert hero.attrs["src"].startswith(f"{s3_buckets.server.endpoint_url}/{s3_buckets.media}/media/news/images/")
    sources = [candidate.split()[0] for candidate in page.find("picture").find("source").attrs["srcset"].split(",")]
    for url in [hero.attrs["src"], *sources]:
        status, body = anonymous_get(url)
        assert status == 200, url
        assert Image.open(io.BytesIO(body)).width > 0
    assert not s3_buckets.keys(s3_buckets.private)
    assert not Path(settings.MEDIA_ROOT).exists()


def test_a_replaced_photos_objects_stay_until_the_change_commits_then_go(
    staff_client, s3_buckets, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add_story(staff_client, photo_like(1000, 750))
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    story = NewsStory.objects.get()
    old_files = every_stored_image(story)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/admin/news/newsstory/{story.pk}/change/?language=en",
            story_form(**PHOTO_TEXT, image=SimpleUploadedFile("second.jpg", photo_like(1200, 900))),
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert set(old_files) <= set(media_keys(s3_buckets))  # readers see the old photo until the new one is made
        run_queued_tasks()

    assert response.status_code == 302
    story.refresh_from_db()
    assert media_keys(s3_buckets) == every_stored_image(story)
    assert not set(old_files) & set(media_keys(s3_buckets))


def test_deleting_the_story_deletes_its_photos_objects(staff_client, s3_buckets, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add_story(staff_client, photo_like(1000, 750))
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    story = NewsStory.objects.get()
    assert media_keys(s3_buckets)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/news/newsstory/{story.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert media_keys(s3_buckets) == []


# --- A letter, in the private bucket --------------------------------------------------------------


@pytest.fixture
def application_with_letter(client, membership_settings, s3_buckets, django_capture_on_commit_callbacks):
    data = application_form() | {"letter": SimpleUploadedFile("Signed letter.pdf", letter_pdf(), "application/pdf")}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/buyer-membership/", data, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()  # the letter checked and cleaned by its job
    application = MembershipApplication.objects.get()
    assert application.letter_state == "clean"
    return application


def stored_bytes(s3_buckets, bucket, key):
    return s3_buckets.server.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def test_a_letter_is_kept_in_the_private_bucket_where_no_address_reaches_it(
    settings, s3_buckets, application_with_letter
):
    name = application_with_letter.letter.name
    assert re.fullmatch(r"letters/[0-9a-f]{32}\.pdf", name)
    assert s3_buckets.keys(s3_buckets.private) == [name]
    assert s3_buckets.keys(s3_buckets.media) == []
    assert not Path(settings.PRIVATE_MEDIA_ROOT).exists()

    # The bucket answers nobody without the site's key: not at the object's own address, nor at the media
    # bucket's public address for the same name.
    for url in [
        s3_buckets.object_url(s3_buckets.private, name),
        s3_buckets.object_url(s3_buckets.media, f"media/{name}"),
        s3_buckets.object_url(s3_buckets.media, name),
    ]:
        status, body = anonymous_get(url)
        assert status in {403, 404}, url
        assert b"%PDF" not in body
    # And the site never makes one, signed or not.
    with pytest.raises(ValueError, match="no public address"):
        application_with_letter.letter.url  # noqa: B018
    with pytest.raises(ValueError):
        storages["private"].url(name)


def test_with_object_acls_on_each_letter_is_marked_private_too(
    settings, s3_buckets, membership_settings, django_capture_on_commit_callbacks
):
    settings.STORAGES = {**settings.STORAGES, "private": s3_buckets.storages(private_acl=True)["private"]}

    application = make_application(letter=SimpleUploadedFile("signed.pdf", letter_pdf()))

    grants = s3_buckets.server.client().get_object_acl(Bucket=s3_buckets.private, Key=application.letter.name)
    assert [grant["Permission"] for grant in grants["Grants"]] == ["FULL_CONTROL"]  # the owner's, nobody else's
    assert grants["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"
    assert anonymous_get(s3_buckets.object_url(s3_buckets.private, application.letter.name))[0] == 403


def test_staff_download_the_letter_through_the_admin_streamed_from_the_private_bucket(
    staff_client, s3_buckets, application_with_letter
):
    url = f"/admin/membership/membershipapplication/{application_with_letter.pk}/letter/"

    response = staff_client.get(url)

    assert response.status_code == 200
    assert response.streaming  # through the site, never a redirect to the bucket
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    stored = stored_bytes(s3_buckets, s3_buckets.private, application_with_letter.letter.name)
    assert b"".join(response.streaming_content) == stored and stored.startswith(b"%PDF")


def test_a_visitor_asking_for_the_download_gets_the_login_page(client, s3_buckets, application_with_letter):
    response = client.get(f"/admin/membership/membershipapplication/{application_with_letter.pk}/letter/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_deleting_an_application_deletes_its_letters_object(
    s3_buckets, application_with_letter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application_with_letter.delete()
        assert s3_buckets.keys(s3_buckets.private)  # until the deletion commits

    assert s3_buckets.keys(s3_buckets.private) == []


# --- Two machines, one pair of buckets ------------------------------------------------------------

MACHINE_SETUP = """
import json
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from membership.letters import upload_link_token
from testkit.applications import make_application
from testkit.files import photo_like
from testkit.stories import make_story

get_user_model().objects.create_superuser("editor", "editor@example.org", "correct horse battery")
story = make_story({"en": "Factory visit"}, image=SimpleUploadedFile("visit.jpg", photo_like(1000, 750)))
application = make_application()
print(json.dumps({"story": story.get_absolute_url(), "application": application.pk,
                  "token": upload_link_token(application)}))
"""


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A visitor's cookies and CSRF token against one site process, over real HTTP, as if through the front web
    server's HTTPS (X-Forwarded-Proto, which gunicorn trusts from 127.0.0.1): the site's cookies are Secure."""

    def __init__(self, base_url):
        self.base_url, self.cookies = base_url, {}
        self.opener = urllib.request.build_opener(NoRedirects)

    def open(self, path, data=None, headers=None):
        headers = {"X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers)
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _equals, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value
            return response.status, dict(response.headers), response.read()

    def csrf_token(self, path):
        _status, _headers, body = self.open(path)
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()

    def post(self, path, fields, files=()):
        """A multipart form post, as a browser sends one, with the page's CSRF token."""
        boundary = "ietp-boundary-7f3a9c"
        parts = []
        for name, value in {"csrfmiddlewaretoken": self.csrf_token(path), **fields}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, filename, content, content_type in files:
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            )
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        referer = self.base_url.replace("http://", "https://") + path
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": referer}
        return self.open(path, data=body, headers=headers)


def test_two_site_processes_with_no_shared_folder_serve_what_the_other_stored(tmp_path, s3_buckets):
    """Two gunicorns, as two machines: each has its own (absent) media folders and cache, they share only the
    database and the buckets. What one stores, the other shows and serves."""
    import json

    from testkit.servers import Gunicorn, manage, site_env

    database_url = prepared.migrated_sqlite(tmp_path / "db.sqlite3")  # migrated once for the run
    machines = {}
    for name in ("a", "b"):
        folder = tmp_path / name
        machines[name] = site_env(
            folder,
            database_url,
            **s3_buckets.site_env(),
            MEDIA_ROOT=str(folder / "media"),
            PRIVATE_MEDIA_ROOT=str(folder / "private-media"),
        )
    servers = [Gunicorn(machines[name], workers=1) for name in ("a", "b")]
    try:
        # Both machines start while the editor's story and the application are made: none waits for another.
        for server, name in zip(servers, ("a", "b"), strict=True):
            server.launch(tmp_path / f"gunicorn-{name}.log")
        made = manage(machines["a"], "shell", "-c", MACHINE_SETUP)
        assert made.returncode == 0, made.stderr
        site = json.loads(made.stdout.splitlines()[-1])
        for server in servers:
            server.wait_until_up()
        machine_a, machine_b = (Browser(server.base_url) for server in servers)
        # An applicant sends the letter to machine A...
        status, _headers, _body = machine_a.post(
            f"/buyer-membership/letter/{site['token']}/",
            {},
            files=[("letter", "Signed letter.pdf", letter_pdf(), "application/pdf")],
        )
        assert status == 200
        assert len(s3_buckets.keys(s3_buckets.private)) == 1  # the upload page's thanks come once it is stored
        # ...machine A's worker checks and cleans it (the letter as received is then deleted)...
        worked = manage(machines["a"], "run_worker", "--batch", "--no-startup-delay")  # one worker: no herd to spread
        assert worked.returncode == 0, worked.stderr
        (letter_key,) = s3_buckets.keys(s3_buckets.private)

        # ...a reviewer on machine B downloads it through B's admin.
        status, _headers, _body = machine_b.post(
            "/admin/login/?next=/admin/", {"username": "editor", "password": "correct horse battery"}
        )
        assert status == 302
        status, headers, body = machine_b.open(f"/admin/membership/membershipapplication/{site['application']}/letter/")
        assert status == 200 and headers["Content-Disposition"].startswith("attachment;")
        assert body == s3_buckets.server.client().get_object(Bucket=s3_buckets.private, Key=letter_key)["Body"].read()

        # The photo machine A stored is on machine B's story page, and visitors load it from the bucket.
        status, _headers, page = machine_b.open(site["story"])
        assert status == 200
        image_urls = re.findall(rf'{re.escape(s3_buckets.server.endpoint_url)}/[^" ,]+\.(?:jpg|webp)', page.decode())
        assert image_urls
        assert all(anonymous_get(url)[0] == 200 for url in set(image_urls))
    finally:
        for server in servers:
            server.stop()
    for name in ("a", "b"):
        assert not (tmp_path / name / "media").exists() and not (tmp_path / name / "private-media").exists()
