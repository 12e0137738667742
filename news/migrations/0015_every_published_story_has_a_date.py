"""Every published story has a date (issue 20): a story is now dated when first published, and undated stories
come first in the list, not last.

A published story without a date gets the time it was first published, read from its history (the oldest
revision in which one of its translations was published); a story published before revisions were kept has none,
and gets its creation time. Undated drafts stay undated: publishing them dates them.

The list-order index is made again for the new order: PostgreSQL sorts NULLs first when descending (its default,
so the index says nothing of NULLs); SQLite sorts them last and cannot say otherwise in an index.
"""

import json

from django.db import migrations, models

INDEX = "news_story_list_order"


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
    for pk, story in stories.items():
        story.publish_at = first_published.get(pk, story.created_at)
    NewsStory.objects.bulk_update(stories.values(), ["publish_at"])


def create_list_order_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"CREATE INDEX {INDEX} ON news_newsstory (publish_at DESC, id DESC)")


def create_old_list_order_index(apps, schema_editor):
    nulls_last = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"CREATE INDEX {INDEX} ON news_newsstory (publish_at DESC{nulls_last}, id DESC)")


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0014_list_order_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="newsstory",
            options={
                "ordering": [models.OrderBy(models.F("publish_at"), descending=True, nulls_first=True), "-pk"],
                "verbose_name": "news story",
                "verbose_name_plural": "news stories",
            },
        ),
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
        migrations.RunPython(create_list_order_index, create_old_list_order_index),
    ]
