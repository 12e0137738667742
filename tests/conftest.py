import datetime

import pytest

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

