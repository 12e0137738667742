"""Every published story has a date (issue 20): a story is now dated when first published.

A published story without a date gets the time it was first published, read from its history (the oldest revision
in which one of its translations was published). A story with no such record (published before revisions were kept,
or loaded from the old site undated) stays undated: a creation or seeding day is not its date. Undated stories still
list after every dated one, as the list-order index (migration 0014) holds them; publishing a draft dates it.
"""

import json

from django.db import migrations, models

def date_published_stories(apps, schema_editor):
    NewsStory = apps.get_model("news", "NewsStory")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Version = apps.get_model("reversion", "Version")
    undated = NewsStory.objects.filter(publish_at__isnull=True, translations__status="published").distinct()
    stories = {story.pk: story for story in undated}
    if not stories:
        return
    translation_type = ContentType.objects.filter(app_label="news", model="newsstorytranslation").first()
    first_published = {}
    if translation_type is not None:
        versions = (
            Version.objects.filter(content_type=translation_type)
            .select_related("revision")
            .order_by("revision__date_created")
        )
        for version in versions.iterator():
            try:
                fields = json.loads(version.serialized_data)[0]["fields"]
            except (ValueError, LookupError, TypeError):
                continue
            master = fields.get("master")
            if master in stories and fields.get("status") == "published":
                first_published.setdefault(master, version.revision.date_created)
    for pk, published_at in first_published.items():
        stories[pk].publish_at = published_at
    NewsStory.objects.bulk_update([stories[pk] for pk in first_published], ["publish_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0014_list_order_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
    ]

    operations = [
        migrations.AlterField(
            model_name="newsstory",
            name="publish_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Hong Kong and mainland China time. The story's date, shown with it; stories are listed "
                "newest first. A future time keeps every language hidden until then. Left empty, it is filled in "
                "with the moment the story is first published in any language.",
                null=True,
                verbose_name="date and time",
            ),
        ),
        migrations.RunPython(date_published_stories, migrations.RunPython.noop),
    ]
