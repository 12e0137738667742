import datetime

import pytest

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


def photo_like(width=1600, height=1200, image_format="JPEG", **save_options):
    """Encoded bytes of a photo-like image (gradients, blotches, grain), so compression is realistic."""
    import io

    from PIL import Image, ImageDraw, ImageFilter

    channels = [
        Image.linear_gradient("L").rotate(angle).resize((width, height))
        for angle in (0, 90, 45)
    ]
    base = Image.merge("RGB", channels)
    blotches = Image.merge(
        "RGB", [Image.effect_noise((max(width // 60, 2), max(height // 60, 2)), 60) for _ in range(3)]
    ).resize((width, height), Image.Resampling.BICUBIC)
    image = Image.blend(base, blotches, 0.5)
    draw = ImageDraw.Draw(image)
    for step in range(12):
        left, top = (step * 373) % width, (step * 211) % height
        draw.rectangle([left, top, left + width // 6, top + height // 8], fill=(40 + step * 15, 90, 200 - step * 10))
    image = image.filter(ImageFilter.GaussianBlur(1))
    image = Image.blend(image, Image.effect_noise((width, height), 40).convert("RGB"), 0.1)
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save_options)
    return buffer.getvalue()
