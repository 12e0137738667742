"""Featured images: what an editor may upload in the admin, what is stored, and what visitors get."""

import datetime
import io
import re
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils.translation import override
from PIL import Image

from news.images import FeaturedImageFormField
from news.models import NewsStory
from testkit.background import run_image_jobs, waiting_jobs
from testkit.files import phone_photo, photo_like
from testkit.pages import name_cache_generation, parse_page
from testkit.stories import illustrated_stories, story_form

pytestmark = pytest.mark.django_db

PHOTO_TEXT = {
    "image_alt": "Workers at sewing machines in a bright factory hall",
    "image_caption": "The new sewing hall",
    "image_credit": "IETP / Li Wei",
}


def upload(content, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def illustrated_story_form(**fields):
    """The admin's form for "Factory visit in Dongguan" with its photo described, captioned and credited."""
    return story_form(**(PHOTO_TEXT | fields))


def add_story(staff_client, language="en", **fields):
    """Posts the admin's add form; what it queues is queued once its transaction commits, as in production (the
    test's own transaction never commits). The image is made by run_image_jobs()."""
    with after_commit():
        return staff_client.post(f"/admin/news/newsstory/add/?language={language}", illustrated_story_form(**fields))


def after_commit():
    """Runs what the code under test asks to run once its transaction commits (on_commit), at the end of the block."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def files_in(directory):
    return sorted(path for path in directory.rglob("*") if path.is_file()) if directory.exists() else []


def every_stored_image(story):
    paths = [story.image.name]
    for rendition_set in story.image_renditions.values():
        paths += [path for _width, path in rendition_set["webp"] + rendition_set["jpeg"]]
    return paths


def open_stored(path):
    with default_storage.open(path) as stored:
        return Image.open(io.BytesIO(stored.read()))


# --- What is stored ----------------------------------------------------------------------------


@pytest.mark.slow
def test_phone_photo_is_published_upright_with_no_location_or_other_metadata(staff_client, media_root):
    response = add_story(staff_client, image=upload(phone_photo(), "IMG_0042.JPG"))
    run_image_jobs()

    assert response.status_code == 302
    story = NewsStory.objects.get()
    stored = every_stored_image(story)
    # The clean copy; card at 4 widths; the upright 1200 px hero at 640, 960 and its own 1200; WebP and JPEG;
    # the link-card JPEG, and the 16:9, 4:3 and 1:1 JPEGs of its structured data.
    assert len(stored) == 1 + 2 * (4 + 3) + 1 + 3
    assert story.image_renditions["hero"]["width"] == 1200 and story.image_renditions["hero"]["height"] == 1500
    for path in stored:
        image = open_stored(path)
        assert not image.getexif(), path
        assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(image.info), path
        raw = default_storage.open(path).read()
        assert b"PhoneMaker" not in raw and b"GPSLatitude" not in raw
    master = open_stored(story.image.name)
    assert master.size == (1200, 1600)
    red, green, _blue = master.convert("RGB").getpixel((master.width - 10, 10))
    assert red > 200 and green < 60


@pytest.mark.slow
def test_image_stored_by_code_is_cleaned_like_an_upload_and_its_raw_bytes_removed(
    make_story, media_root, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    story = make_story({"en": {"title": "Imported", "image_alt": "A factory"}})
    with django_capture_on_commit_callbacks(execute=True):
        story.image.save("IMG_0042.JPG", ContentFile(phone_photo()), save=False)
        story.save()
    run_image_jobs()
    story.refresh_from_db()

    assert story.card_picture is not None
    # The raw bytes are gone: every file left in storage is one of the clean ones.
    stored = sorted(str(media_root / path) for path in every_stored_image(story))
    assert sorted(map(str, files_in(media_root))) == stored
    for path in every_stored_image(story):
        assert b"GPSLatitude" not in default_storage.open(path).read()
        assert not open_stored(path).getexif(), path


@pytest.mark.slow
def test_renditions_are_made_at_each_srcset_width_in_webp_and_jpeg(staff_client, media_root):
    add_story(staff_client, image=upload(photo_like(2400, 1600)))
    run_image_jobs()

    renditions = NewsStory.objects.get().image_renditions
    for name, widths, ratio in [("card", [320, 480, 640, 960], 1.5), ("hero", [640, 960, 1280, 1920], 1.5)]:
        for image_format, paths in [("WEBP", renditions[name]["webp"]), ("JPEG", renditions[name]["jpeg"])]:
            assert [width for width, _path in paths] == widths
            for width, path in paths:
                image = open_stored(path)
                assert image.format == image_format
                assert image.width == width and abs(image.width / image.height - ratio) < 0.01


@pytest.mark.slow
def test_small_image_is_never_upscaled(staff_client, media_root):
    add_story(staff_client, image=upload(photo_like(800, 600, "PNG"), "chart.png", "image/png"))
    run_image_jobs()

    renditions = NewsStory.objects.get().image_renditions
    assert [width for width, _path in renditions["card"]["webp"]] == [320, 480, 640, 800]
    assert [width for width, _path in renditions["hero"]["jpeg"]] == [640, 800]
    assert renditions["hero"]["width"] == 800 and renditions["hero"]["height"] == 600


@pytest.mark.parametrize("payload", [b"PK\x03\x04zip-archive" + b"\0" * 64, b"<html><script>alert(1)</script></html>"])
def test_polyglot_payload_after_the_image_is_never_served(staff_client, media_root, payload):
    response = add_story(staff_client, image=upload(photo_like(1000, 750) + payload, "trick.jpg"))
    run_image_jobs()

    assert response.status_code == 302
    assert NewsStory.objects.get().image_state == "ready"
    for path in every_stored_image(NewsStory.objects.get()):
        content = default_storage.open(path).read()
        assert b"PK\x03\x04" not in content and b"<script>" not in content


@pytest.mark.slow
def test_replacing_the_image_removes_the_old_files(staff_client, media_root, django_capture_on_commit_callbacks):
    add_story(staff_client, image=upload(photo_like(1000, 750)))
    run_image_jobs()
    story = NewsStory.objects.get()
    old_files = every_stored_image(story)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/admin/news/newsstory/{story.pk}/change/?language=en",
            illustrated_story_form(image=upload(photo_like(1200, 900), "second.jpg")),
        )
    with django_capture_on_commit_callbacks(execute=True):  # the old image's files go once the new one is on
        run_image_jobs()

    assert response.status_code == 302
    story.refresh_from_db()
    new_files = every_stored_image(story)
    assert not any(default_storage.exists(path) for path in old_files)
    assert all(default_storage.exists(path) for path in new_files)
    assert len(files_in(media_root)) == len(new_files)


def test_clearing_the_image_removes_its_files(staff_client, media_root, django_capture_on_commit_callbacks):
    add_story(staff_client, image=upload(photo_like(1000, 750)))
    run_image_jobs()
    story = NewsStory.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            f"/admin/news/newsstory/{story.pk}/change/?language=en", illustrated_story_form(**{"image-clear": "on"})
        )

    story.refresh_from_db()
    assert not story.image and story.image_renditions == {}
    assert files_in(media_root) == []


def test_editing_text_keeps_the_image(staff_client, media_root, django_capture_on_commit_callbacks):
    add_story(staff_client, image=upload(photo_like(1000, 750)))
    run_image_jobs()
    story = NewsStory.objects.get()
    files = files_in(media_root)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            f"/admin/news/newsstory/{story.pk}/change/?language=en",
            illustrated_story_form(title="New title", slug="factory-visit-in-dongguan") | {"_publish": "1"},
        )

    assert files_in(media_root) == files
    story.refresh_from_db()
    assert every_stored_image(story) and story.title == "New title"


def test_deleting_the_story_removes_its_image_files(staff_client, media_root, django_capture_on_commit_callbacks):
    add_story(staff_client, image=upload(photo_like(1000, 750)))
    run_image_jobs()
    story = NewsStory.objects.get()
    assert files_in(media_root)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/news/newsstory/{story.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not NewsStory.objects.exists()
    assert files_in(media_root) == []


@pytest.mark.slow
def test_a_rolled_back_replacement_keeps_the_image(make_story, media_root, django_capture_on_commit_callbacks):
    from django.db import transaction

    story = make_story({"en": {"title": "Kept", "image_alt": "A factory"}})
    with django_capture_on_commit_callbacks(execute=True):
        story.image = upload(photo_like(1000, 750))
        story.save()
    run_image_jobs()
    story = NewsStory.objects.get(pk=story.pk)
    kept = every_stored_image(story)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            story.image = upload(photo_like(1200, 900), "second.jpg")
            story.save()
            raise RuntimeError("the edit fails after the new image was stored")

    assert every_stored_image(NewsStory.objects.get(pk=story.pk)) == kept
    assert all(default_storage.exists(path) for path in kept)


# --- Made after the response, in the background ---------------------------------------------------

STORY_URL = "/news/factory-visit-in-dongguan/"


def change_url(story, admin="/admin/"):
    return f"{admin}news/newsstory/{story.pk}/change/?language=en"


def hero_source(client):
    """The story page's hero image address as a visitor gets it, or None when the page shows no image."""
    picture = parse_page(client.get(STORY_URL)).find("picture")
    return picture.find("img").attrs["src"] if picture else None


def replace_image(staff_client, story, content, name="second.jpg", **fields):
    with after_commit():
        response = staff_client.post(change_url(story), illustrated_story_form(image=upload(content, name), **fields))
    assert response.status_code == 302
    return response


def truncated_png():
    """A PNG whose header is whole (the save accepts it) and whose pixels stop half-way (the job cannot decode it)."""
    whole = photo_like(900, 600, "PNG")
    return whole[: len(whole) // 2]


def test_the_save_answers_without_decoding_the_image_and_the_job_makes_it(
    staff_client, media_root, pending_images_root, client
):
    response = add_story(staff_client, image=upload(photo_like(2400, 1600)))

    # The save request stored the upload as received, privately, and decoded nothing: no clean copy, no rendition.
    assert response.status_code == 302
    story = NewsStory.objects.get()
    assert story.image_state == "processing" and not story.image and story.image_renditions == {}
    assert files_in(media_root) == []
    [waiting] = files_in(pending_images_root)
    assert waiting.read_bytes() == photo_like(2400, 1600) and media_root not in waiting.parents
    assert waiting_jobs("images") == 1
    # Readers see no image, never a broken one.
    assert hero_source(client) is None

    with after_commit():
        run_image_jobs()

    story.refresh_from_db()
    assert story.image_state == "ready" and story.image_failure == ""
    assert story.image_renditions["hero"]["width"] == 1920
    assert files_in(pending_images_root) == []
    assert len(files_in(media_root)) == len(every_stored_image(story))
    # The page was cached without the image: the job's change is on the next page served.
    assert hero_source(client).endswith("hero-1280.jpg")


def test_while_a_replacement_is_processed_readers_keep_the_previous_image(staff_client, media_root, client):
    add_story(staff_client, image=upload(photo_like(1000, 750)))
    with after_commit():
        run_image_jobs()
    story = NewsStory.objects.get()
    first_files = every_stored_image(story)
    first_hero = hero_source(client)

    replace_image(staff_client, story, photo_like(1600, 1200))

    assert hero_source(client) == first_hero
    assert all(default_storage.exists(path) for path in first_files)
    assert NewsStory.objects.get().image_state == "processing"

    with after_commit():
        run_image_jobs()

    story.refresh_from_db()
    assert hero_source(client) != first_hero and story.image_renditions["hero"]["width"] == 1600
    assert not any(default_storage.exists(path) for path in first_files)
    assert len(files_in(media_root)) == len(every_stored_image(story))


@pytest.mark.parametrize(
    "admin, failed",
    [
        ("/admin/", "Failed: the file is damaged or incomplete. Export it again and upload the new file."),
        ("/zh/admin/", "失败：文件已损坏或不完整。请重新导出，然后上传新文件。"),
    ],
    ids=["english", "chinese"],
)
def test_an_upload_that_fails_processing_leaves_the_story_saved_and_says_why(
    staff_client, media_root, pending_images_root, client, admin, failed
):
    add_story(staff_client, image=upload(photo_like(1000, 750)))
    with after_commit():
        run_image_jobs()
    story = NewsStory.objects.get()
    kept_hero = hero_source(client)

    replace_image(
        staff_client,
        story,
        truncated_png(),
        "cut.png",
        title="Factory visit, updated",
        slug="factory-visit-in-dongguan",
        _publish="1",
    )
    with after_commit():
        run_image_jobs()

    story.refresh_from_db()
    assert story.title == "Factory visit, updated"
    assert story.image_state == "failed" and story.image_failure == "damaged"
    assert hero_source(client) == kept_hero
    assert files_in(pending_images_root) == []
    preview = parse_page(staff_client.get(change_url(story, admin))).find(class_="field-image_preview")
    assert failed in preview.text
    assert preview.find("img", class_="image-preview")  # the image readers still see
    listing = parse_page(staff_client.get(f"{admin}news/newsstory/"))
    assert listing.find(class_="image-state--failed")

    # The editor replaces it: the new one is made and the failure is gone.
    replace_image(staff_client, story, photo_like(1200, 900), "third.jpg")
    with after_commit():
        run_image_jobs()
    story.refresh_from_db()
    assert story.image_state == "ready" and story.image_failure == ""
    assert story.image_renditions["hero"]["width"] == 1200


@pytest.mark.parametrize(
    "admin, processing",
    [("/admin/", "Processing… (reload to see it)"), ("/zh/admin/", "处理中…（重新载入页面即可看到）")],
    ids=["english", "chinese"],
)
def test_the_editor_sees_that_the_image_is_being_processed(staff_client, media_root, admin, processing):
    add_story(staff_client, image=upload(photo_like(800, 600)))
    story = NewsStory.objects.get()

    preview = parse_page(staff_client.get(change_url(story, admin))).find(class_="field-image_preview")
    listing = parse_page(staff_client.get(f"{admin}news/newsstory/"))

    assert processing in preview.text
    assert listing.find(class_="image-state--processing")

    run_image_jobs()
    page = parse_page(staff_client.get(change_url(story, admin)))
    assert page.find(class_="field-image_preview").find("img", class_="image-preview")
    assert page.find(class_="image-state") is None


def test_a_newer_upload_wins_over_one_still_waiting(staff_client, media_root, pending_images_root):
    add_story(staff_client, image=upload(photo_like(1000, 750), "first.jpg"))
    story = NewsStory.objects.get()
    replace_image(staff_client, story, photo_like(1200, 900), "second.jpg")
    assert waiting_jobs("images") == 2

    with after_commit():
        run_image_jobs()

    story.refresh_from_db()
    assert story.image.name.endswith("/second.jpg") and story.image_state == "ready"
    # The first upload's job found it no longer wanted: nothing of it is left, in public or in private.
    assert len(files_in(media_root)) == len(every_stored_image(story))
    assert files_in(pending_images_root) == []


def test_removing_the_image_while_a_new_one_is_processed_removes_both(staff_client, media_root, pending_images_root):
    add_story(staff_client, image=upload(photo_like(1000, 750)))
    run_image_jobs()
    story = NewsStory.objects.get()
    replace_image(staff_client, story, photo_like(1200, 900))

    with after_commit():
        staff_client.post(change_url(story), illustrated_story_form(**{"image-clear": "on"}))
        run_image_jobs()

    story.refresh_from_db()
    assert not story.image and story.image_renditions == {} and story.image_state == "none"
    assert files_in(media_root) == [] and files_in(pending_images_root) == []


def test_twenty_images_waiting_while_the_worker_is_stopped_are_all_made_when_it_runs(
    staff_client, media_root, pending_images_root
):
    for number in range(20):
        add_story(staff_client, image=upload(photo_like(640, 480), f"visit-{number}.jpg"), title=f"Visit {number}")
    assert waiting_jobs("images") == 20
    assert NewsStory.objects.filter(image_state="processing").count() == 20

    run_image_jobs()

    assert NewsStory.objects.filter(image_state="ready").count() == 20
    assert all(story.card_picture for story in NewsStory.objects.all())
    assert files_in(pending_images_root) == [] and waiting_jobs("images") == 0


def test_a_draft_story_s_new_image_leaves_the_page_cache_alone(staff_client, media_root, client):
    add_story(staff_client, image=upload(photo_like(800, 600)), status="draft")
    generation = name_cache_generation()

    with after_commit():
        run_image_jobs()

    assert NewsStory.objects.get().image_state == "ready"
    assert name_cache_generation() == generation


@pytest.mark.slow
def test_the_worker_process_makes_the_images_that_wait(site_processes, tmp_path):
    """The real worker (manage.py run_worker --batch), in a process of its own, on the site's database."""
    site_processes.env.update(MEDIA_ROOT=str(tmp_path / "media"), PRIVATE_MEDIA_ROOT=str(tmp_path / "private"))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(photo_like(800, 600))
    saved = site_processes.python(
        "from django.core.files.uploadedfile import SimpleUploadedFile\n"
        "from news.models import NewsStory\n"
        "for number in range(3):\n"
        "    story = NewsStory()\n"
        "    story.set_current_language('en')\n"
        "    story.title, story.slug = f'Visit {number}', f'visit-{number}'\n"
        f"    story.image = SimpleUploadedFile('photo.jpg', open({str(photo)!r}, 'rb').read())\n"
        "    story.save()\n"
        "print(*NewsStory.objects.values_list('image_state', flat=True))"
    )
    assert "processing processing processing" in saved

    # Without the random pause of up to a second a worker takes before its first look at the queue (so that
    # workers started together do not all ask at once): one worker here.
    site_processes.manage("run_worker", "--batch", "--no-startup-delay")

    states = site_processes.python(
        "from news.models import NewsStory\n"
        "print(*NewsStory.objects.values_list('image_state', flat=True))\n"
        "print(all(story.card_picture for story in NewsStory.objects.all()))"
    )
    assert states.split() == ["ready", "ready", "ready", "True"]
    assert files_in(tmp_path / "private" / "pending-images") == []


# --- Kept across a form with errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    "admin, kept",
    [
        ("/admin/", "photo.jpg is kept: it will be saved with the story."),
        ("/zh/admin/", "已保留 photo.jpg：它将随报道一起保存。"),
    ],
    ids=["english", "chinese"],
)
def test_an_image_chosen_on_a_form_with_another_error_is_kept_and_saved_with_the_story(
    staff_client, media_root, pending_images_root, admin, kept
):
    add_url = f"{admin}news/newsstory/add/?language=en"
    with after_commit():
        refused = staff_client.post(
            add_url, illustrated_story_form(title="", slug="x", image=upload(photo_like(800, 600)))
        )

    assert refused.status_code == 200
    page = parse_page(refused)
    assert kept in page.find(class_="field-image").text
    token = page.find("input", name="kept_image").attrs["value"]
    assert not NewsStory.objects.exists() and files_in(media_root) == []

    # Saved again without choosing the file: the kept one is the story's.
    with after_commit():
        saved = staff_client.post(add_url, illustrated_story_form(kept_image=token))
    assert saved.status_code == 302
    story = NewsStory.objects.get()
    assert story.image_state == "processing"
    run_image_jobs()
    story.refresh_from_db()
    assert story.image_state == "ready" and story.image.name.endswith("/photo.jpg")
    assert files_in(pending_images_root) == []


def test_a_kept_image_survives_a_second_error_and_a_new_choice_replaces_it(staff_client, media_root):
    add_url = "/admin/news/newsstory/add/?language=en"
    with after_commit():
        first = staff_client.post(
            add_url, illustrated_story_form(title="", slug="x", image=upload(photo_like(800, 600)))
        )
    token = parse_page(first).find("input", name="kept_image").attrs["value"]

    with after_commit():
        second = staff_client.post(add_url, illustrated_story_form(title="", slug="x", kept_image=token))
    assert "photo.jpg is kept" in parse_page(second).find(class_="field-image").text

    with after_commit():
        staff_client.post(
            add_url, illustrated_story_form(kept_image=token, image=upload(photo_like(640, 480), "new.jpg"))
        )
    run_image_jobs()
    assert NewsStory.objects.get().image.name.endswith("/new.jpg")


def test_a_forged_kept_image_token_brings_no_file(staff_client, media_root, private_media_root):
    letter = private_media_root / "letters" / "signed.jpg"
    letter.parent.mkdir(parents=True)
    letter.write_bytes(photo_like(640, 480))
    forged = '{"pending":"letters/signed.jpg","name":"signed.jpg","size":[640,480]}'

    with after_commit():
        response = staff_client.post(
            "/admin/news/newsstory/add/?language=en", illustrated_story_form(kept_image=forged)
        )

    assert response.status_code == 302
    assert not NewsStory.objects.get().image and NewsStory.objects.get().image_state == "none"
    assert letter.exists()


def test_a_kept_image_no_story_took_is_deleted_a_day_later(staff_client, media_root, pending_images_root):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from news.images import forget_kept_image

    with after_commit():
        staff_client.post(
            "/admin/news/newsstory/add/?language=en",
            illustrated_story_form(title="", slug="x", image=upload(photo_like(800, 600))),
        )
    [kept] = files_in(pending_images_root)

    assert run_image_jobs() == 0  # not due yet
    job = DBTaskResult.objects.get()
    assert job.run_after > timezone.now() + datetime.timedelta(hours=23)
    forget_kept_image.call(*job.args_kwargs["args"])
    assert not kept.exists()


# --- What is refused ----------------------------------------------------------------------------


def png_header_only(width, height):
    """A PNG whose header claims a huge size: a decompression bomb must be refused before decoding."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\0" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


def animated(image_format):
    frames = [Image.new("RGB", (200, 200), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, image_format, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def gif():
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "red").save(buffer, "GIF")
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
NOT_AN_IMAGE = "This file is not a JPEG, PNG or WebP image (SVG, GIF and other formats are not accepted)."

REFUSED_UPLOADS = {
    "text": (lambda: b"Quarterly report\n" * 50, "report.jpg", NOT_AN_IMAGE),
    "html pretending to be a jpeg": (lambda: b"<html><script>alert(1)</script></html>", "x.jpg", NOT_AN_IMAGE),
    "jpeg magic then garbage": (lambda: b"\xff\xd8\xff\xe0" + b"\x13" * 500, "broken.jpg", NOT_AN_IMAGE),
    "svg": (lambda: SVG, "logo.svg", NOT_AN_IMAGE),
    "gif": (gif, "anim.gif", NOT_AN_IMAGE),
    "animated png": (lambda: animated("PNG"), "anim.png", "Animated images cannot be used."),
    "animated webp": (lambda: animated("WEBP"), "anim.webp", "Animated images cannot be used."),
    "over 15 MB": (lambda: photo_like(400, 300) + b"\0" * (15 * 1024 * 1024), "huge.jpg", "an image may be at most 15"),
    "48 megapixels": (lambda: png_header_only(8000, 6000), "big.png", "8000 × 6000 pixels, more than 40 megapixels"),
    "beyond pillow's own limit": (lambda: png_header_only(30000, 30000), "bomb.png", "far too many pixels"),
}


@pytest.mark.parametrize("kind", REFUSED_UPLOADS)
def test_bad_uploads_are_refused_with_a_clear_error_and_leave_no_files(
    staff_client, media_root, pending_images_root, kind
):
    make_content, name, message = REFUSED_UPLOADS[kind]

    response = add_story(staff_client, image=upload(make_content(), name))

    assert response.status_code == 200
    page = parse_page(response)
    assert message in " ".join(error.text for error in page.find_all(class_="errorlist"))
    # What the editor typed is still in the form.
    assert page.find("input", name="title").attrs["value"] == "Factory visit in Dongguan"
    assert not NewsStory.objects.exists()
    assert files_in(media_root) == []
    assert files_in(pending_images_root) == []


def test_refusals_are_worded_in_chinese_for_a_chinese_editor():
    field = FeaturedImageFormField()
    with override("zh-hans"):
        with pytest.raises(ValidationError) as refused:
            field.clean(upload(SVG, "logo.svg"))
        assert refused.value.messages == ["此文件不是 JPEG、PNG 或 WebP 图片（不接受 SVG、GIF 等其他格式）。"]


def test_image_needs_a_description_in_the_language_being_edited(staff_client, media_root):
    response = add_story(staff_client, image=upload(photo_like(800, 600)), image_alt="  ")

    assert response.status_code == 200
    assert "Describe the image in this language for readers who cannot see it." in response.content.decode()
    assert not NewsStory.objects.exists()
    assert files_in(media_root) == []


def test_story_without_image_needs_no_description(staff_client, media_root):
    assert add_story(staff_client, image_alt="").status_code == 302
    assert not NewsStory.objects.get().image


# --- What visitors get ----------------------------------------------------------------------------


def test_cards_show_responsive_pictures_lazy_below_the_first_row(media_root, client):
    illustrated_stories(5)

    pictures = parse_page(client.get("/news/")).find_all("picture")

    assert len(pictures) == 5
    for position, picture in enumerate(pictures, start=1):
        webp = picture.find("source", type="image/webp")
        assert re.fullmatch(r"/media/\S+-320\.webp 320w, .+ 960w", webp.attrs["srcset"]) and webp.attrs["sizes"]
        image = picture.find("img")
        assert re.fullmatch(r"/media/\S+card-640\.jpg", image.attrs["src"])
        assert re.match(r"\S+\.jpg 320w, ", image.attrs["srcset"]) and image.attrs["sizes"]
        assert (image.attrs["width"], image.attrs["height"]) == ("960", "640") and image.attrs["decoding"] == "async"
        # The lead story and the first row of the grid are in view at once; the rest load as the reader scrolls.
        assert (image.attrs.get("loading") == "lazy") == (position > 4)
        assert (image.attrs.get("fetchpriority") == "high") == (position == 1)
    # Newest first, each with its own description.
    assert pictures[0].find("img").attrs["alt"] == "Workers and managers at committee meeting 5"
    assert pictures[4].find("img").attrs["alt"] == "Workers and managers at committee meeting 1"


@pytest.mark.slow
def test_story_page_shows_an_eager_hero_with_caption_and_credit_in_each_language(staff_client, media_root, client):
    add_story(staff_client, image=upload(photo_like(2400, 1600)))
    run_image_jobs()
    story = NewsStory.objects.get()
    story.set_current_language("zh-hans")
    story.title, story.slug = "参观东莞工厂", "参观东莞工厂"
    story.image_alt = "明亮的车间里工人在缝纫机前工作"
    story.image_caption, story.image_credit = "新的缝纫车间", "IETP / 李伟"
    story.save()

    english = parse_page(client.get("/news/factory-visit-in-dongguan/"))
    chinese = parse_page(client.get("/zh/news/参观东莞工厂/"))

    hero = english.find("picture")
    image = hero.find("img")
    assert image.attrs["fetchpriority"] == "high" and "loading" not in image.attrs
    assert (image.attrs["width"], image.attrs["height"]) == ("1920", "1280")
    assert "hero-1920.webp 1920w" in hero.find("source", type="image/webp").attrs["srcset"]
    assert image.attrs["alt"] == "Workers at sewing machines in a bright factory hall"
    assert "The new sewing hall" in english.text and "Photo: IETP / Li Wei" in english.text
    assert chinese.find("picture").find("img").attrs["alt"] == "明亮的车间里工人在缝纫机前工作"
    assert "新的缝纫车间" in chinese.text and "摄影：IETP / 李伟" in chinese.text


def test_story_without_image_has_no_picture(client, make_story):
    make_story({"en": "Plain"})
    assert parse_page(client.get("/news/")).find("picture") is None
    assert parse_page(client.get("/news/plain/")).find("picture") is None


def test_illustrated_list_runs_a_fixed_number_of_queries(media_root, client, django_assert_max_num_queries):
    illustrated_stories(13)

    name_cache_generation()  # once per change, not per page: see tests/caching/test_page_cache.py
    for path, cards in [("/news/", 12), ("/zh/news/", 12), ("/news/?page=2", 1)]:
        with django_assert_max_num_queries(3):
            response = client.get(path)
        assert response.status_code == 200
        cards_shown = parse_page(response).find_all("article", class_="story-card")
        assert len(cards_shown) == cards and all(card.find("picture") for card in cards_shown)


# --- Where media is kept ------------------------------------------------------------------------------


def settings_in_a_fresh_process(**environment):
    import json
    import os
    import subprocess
    import sys

    code = "import json, ietp_site.settings as s; print(json.dumps(s.STORAGES['default']))"
    env = {**os.environ, "SECRET_KEY": "x" * 50, **environment}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return result.returncode, json.loads(result.stdout) if result.returncode == 0 else result.stderr


S3_BUCKETS = {"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "ietp-media", "AWS_PRIVATE_BUCKET_NAME": "ietp-letters"}


def test_media_can_be_kept_in_an_s3_compatible_bucket_configured_from_the_environment():
    status, storage = settings_in_a_fresh_process(**S3_BUCKETS, AWS_S3_ENDPOINT_URL="https://oss.example.cn")

    assert status == 0
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "ietp-media"
    assert storage["OPTIONS"]["endpoint_url"] == "https://oss.example.cn"
    assert storage["OPTIONS"]["querystring_auth"] is False


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"AWS_STORAGE_BUCKET_NAME": ""}, "AWS_STORAGE_BUCKET_NAME"),
        ({"AWS_PRIVATE_BUCKET_NAME": ""}, "AWS_PRIVATE_BUCKET_NAME"),
        ({"AWS_PRIVATE_BUCKET_NAME": "ietp-media"}, "AWS_PRIVATE_BUCKET_NAME must name a bucket of its own"),
    ],
)
def test_s3_media_without_its_two_buckets_is_a_clear_configuration_error(missing, message):
    status, error = settings_in_a_fresh_process(**(S3_BUCKETS | missing))
    assert status != 0 and message in error


@pytest.mark.slow  # a fresh process for the settings, then boto3 imported: about a second
def test_s3_storage_gives_public_urls_without_signatures():
    from storages.backends.s3 import S3Storage

    _status, storage = settings_in_a_fresh_process(**S3_BUCKETS)
    bucket = S3Storage(**storage["OPTIONS"])
    assert bucket.url("news/images/a/card-320.webp") == (
        "https://ietp-media.s3.amazonaws.com/media/news/images/a/card-320.webp"
    )
