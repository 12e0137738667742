"""PostgreSQL for the test suite: Django's backend, except that a test's tables are emptied with DELETE rather than
TRUNCATE (ietp_site/test_settings.py selects it when the suite runs on PostgreSQL).

After every test that commits (the browser tests, the tests with other processes) Django empties every table. One
TRUNCATE of the site's 33 tables took 0.23-0.27 s on the CI machines' server, whatever they held, since PostgreSQL
gives each table new files; DELETE on tables that hold a test's few rows takes 6-25 ms. The foreign keys Django
makes are checked at commit, so the order of the DELETEs does not matter. Nothing else differs from production's
backend: the same connection, queries, search and transactions.
"""

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
