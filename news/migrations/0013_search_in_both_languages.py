import django.contrib.postgres.search
from django.db import migrations, models

from news.search import index_versions

# PostgreSQL only: SQLite searches by substring and has no GIN indexes (news/search.py).
SEARCH_INDEX = "news_story_search_document"


def index_existing_versions(apps, schema_editor):
    versions = apps.get_model("news", "NewsStoryTranslation").objects.using(schema_editor.connection.alias)
    index_versions(versions)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("news", "NewsStoryTranslation")._meta.db_table)
        schema_editor.execute(f"CREATE INDEX {SEARCH_INDEX} ON {table} USING gin (search_document)")


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('news', '0012_versions_know_when_they_changed'),
    ]

    operations = [
        migrations.AddField(
            model_name='newsstorytranslation',
            name='body_text',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='newsstorytranslation',
            name='search_document',
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(index_existing_versions, migrations.RunPython.noop),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
