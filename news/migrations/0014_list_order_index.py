from django.db import migrations, models

INDEX = "news_story_list_order"


def create_list_order_index(apps, schema_editor):
    """Stories in list order (newest first, undated last, then by id), so that a page of the list, and a story's
    neighbours, are read from the index without sorting every story. PostgreSQL sorts NULLs first when
    descending and must be told; SQLite sorts them last already, and cannot say NULLS LAST in an index."""
    nulls_last = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {INDEX} ON news_newsstory (publish_at DESC{nulls_last}, id DESC)")


def drop_list_order_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0013_search_in_both_languages"),
    ]

    operations = [
        migrations.RunPython(create_list_order_index, drop_list_order_index),
        # The list-order index serves what this one did (a year's stories) as well.
        migrations.AlterField(
            model_name="newsstory",
            name="publish_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Hong Kong and mainland China time. The story's date, shown with it; stories are listed "
                "newest first. A future time keeps every language hidden until then. Leave empty for an undated "
                "story (listed last).",
                null=True,
                verbose_name="date and time",
            ),
        ),
    ]
