"""Logging filters named in settings.LOGGING (imported while logging is configured: nothing from the apps)."""

import logging


class NotADatabaseOutage(logging.Filter):
    """Passes every record except those of a request that met the database down, and Django's line for each 503
    answer (see site_shell/error_pages.py)."""

    def filter(self, record):
        from site_shell.error_pages import is_database_unavailable

        if getattr(record, "status_code", None) == 503:
            return False
        return not (record.exc_info and is_database_unavailable(record.exc_info[1]))
