import datetime
import io

import pytest
from PIL import Image, ImageCms

from bench.page_weight import photo_like  # noqa: F401  (test images, shared with the benchmark)
from news.models import NewsStory


@pytest.fixture
def make_story(db):
    """Builds a published story; translations given as {language: title} or {language: {field: value}}."""
    counter = iter(range(1, 100_000))

    def make(translations=None, **fields):
        fields.setdefault("status", NewsStory.Status.PUBLISHED)
        fields.setdefault("publish_date", datetime.date(2023, 10, 27))
        story = NewsStory.objects.create(**fields)
        for language, values in (translations or {"en": f"Story {next(counter)}"}).items():
            if isinstance(values, str):
                values = {"title": values}
            values.setdefault("slug", slugify_title(values["title"]))
            story.set_current_language(language)
            for name, value in values.items():
                setattr(story, name, value)
            story.save_translations()
        story.set_current_language("en")
        return story

    return make


def slugify_title(title):
    from django.utils.text import slugify

    return slugify(title, allow_unicode=True)


@pytest.fixture
def staff_client(client, django_user_model):
    editor = django_user_model.objects.create_superuser("editor", "editor@example.org", "correct horse")
    client.force_login(editor)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads go to a temporary directory, so tests leave no files behind."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


ORIENTATION, GPS_IFD = 0x0112, 0x8825


def phone_photo(width=1600, height=1200):
    """A camera JPEG lying on its side (EXIF orientation 6), with GPS, XMP and an ICC profile."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (22.0, 32.0, 41.5), 3: "E", 4: (114.0, 3.0, 12.0)})
    image = Image.open(io.BytesIO(photo_like(width, height)))
    # A marker in the top-left corner as stored on the sensor; upright, it is in the top right.
    image.paste((255, 0, 0), (0, 0, width // 8, height // 8))
    buffer = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(buffer, "JPEG", exif=exif, icc_profile=icc, xmp=b"<x:xmpmeta>GPSLatitude 22,32</x:xmpmeta>")
    return buffer.getvalue()
