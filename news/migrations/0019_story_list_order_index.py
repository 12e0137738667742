"""The lists' order (publish_at DESC NULLS LAST, id DESC) in an index, on PostgreSQL: a page is read from its first
story on (news/pagination.py) along it, newest first, and the first page stops after 13 stories instead of sorting
every one. SQLite cannot index NULLS LAST (and sorts a site's few thousand stories quickly), so it is PostgreSQL's
only, and not in the model's Meta."""

from django.db import migrations

INDEX = "news_story_list_order"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON news_newsstory (publish_at DESC NULLS LAST, id DESC)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("news", "0018_featured_image_state")]

    operations = [migrations.RunPython(create_index, drop_index)]
