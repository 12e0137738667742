"""How log lines are written: plain text, or one JSON object per line (LOG_FORMAT=json) for a log collector.

Both formatters leave out email addresses, whoever logged them: the site logs none itself, but an exception may
quote one (an SMTP server refusing a recipient names it).
"""

import datetime
import json
import logging
import re
import time

EMAIL_ADDRESS = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED_EMAIL = "[email]"
# What every LogRecord has; anything else on a record came from `extra=` and is written as a field of its own.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def without_email_addresses(text):
    # Looked for only where there may be one: the pattern is slow to rule out on every line.
    return EMAIL_ADDRESS.sub(REDACTED_EMAIL, text) if "@" in text else text


class TextFormatter(logging.Formatter):
    """Times in UTC, saying so (2026-11-27T07:15:42.695Z), as the JSON lines: Django sets the process's TZ to the
    site's time zone when its settings load, so local times would change zone between gunicorn's master, which never
    loads them, and its workers."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record):
        return without_email_addresses(super().format(record))


class JsonFormatter(logging.Formatter):
    """time, level, logger and message, then the record's own fields (method, path, status... for a request)."""

    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in STANDARD_ATTRIBUTES and not key.startswith("_") and key != "request"
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return without_email_addresses(json.dumps(entry, ensure_ascii=False, default=str))
