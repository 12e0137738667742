"""SQL text written by hand, where building a statement through the ORM costs more CPU than running it: the
translations of a cached page's stories and the published order (news/rendered_pages.py), a first search on
PostgreSQL (news/postgresql_search.py).

Table and column names come quoted from the models; values always go as parameters. The publication rule is written
here once in SQL; the ORM's is news.models.public_translation_condition.
tests/news/test_search_on_postgresql.py compares the pages search makes both ways.
"""

from django.db import connections


class Columns:
    """A model's table (`.table`) and columns (`.<field name>`) in SQL, quoted for its database, under `alias`."""

    def __init__(self, model, alias):
        self.model, self.alias = model, alias
        self.ops = connections[model.objects.db].ops

    @property
    def table(self):
        return f"{self.ops.quote_name(self.model._meta.db_table)} {self.alias}"

    def __getattr__(self, field):
        return f"{self.alias}.{self.ops.quote_name(self.model._meta.get_field(field).column)}"


def public_versions_with_their_stories(v, s):
    """FROM and WHERE of the versions `v` that are published and whose own time (if any) has come, joined to their
    stories `s` (public_translation_condition(now, story=None)); two parameters: the status, now."""
    return (
        f"FROM {v.table} JOIN {s.table} ON {s.id} = {v.master} "
        f"WHERE {v.status} = %s AND ({v.scheduled_for} IS NULL OR {v.scheduled_for} <= %s)"
    )


def public_versions_of_public_stories(v, s):
    """The same, of the stories whose time has come or that have none (public_translation_condition(now)); three
    parameters: the status, now, now."""
    return f"{public_versions_with_their_stories(v, s)} AND ({s.publish_at} IS NULL OR {s.publish_at} <= %s)"
