"""Every translation published before subscriptions began is recorded as announced: correcting an old story must not
send it to the first subscribers."""

from django.db import migrations
from django.utils import timezone


def record_published_translations(apps, schema_editor):
    translation_model = apps.get_model("news", "NewsStoryTranslation")
    announcement_model = apps.get_model("subscriptions", "StoryAnnouncement")
    now = timezone.now()
    published = translation_model.objects.filter(status="published").values_list("master_id", "language_code")
    announcement_model.objects.bulk_create(
        [
            announcement_model(story_id=story, language_code=language, queued_at=now, before_subscriptions=True)
            for story, language in published
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial"), ("news", "0017_translation_drafts")]

    operations = [migrations.RunPython(record_published_translations, migrations.RunPython.noop, elidable=True)]
