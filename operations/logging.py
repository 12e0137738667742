"""Log filters for what visitors send."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A request Django answers with a 4xx (a malformed body, a bad Host, too many fields) is the visitor's mistake:
    one line saying what and where, not the traceback Django attaches to it, which an operator would take for a
    crash of the site."""

    def filter(self, record):
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class NotClientErrors(logging.Filter):
    """Operators are emailed about the site's errors, not about requests it refused."""

    def filter(self, record):
        return not 400 <= getattr(record, "status_code", 0) < 500
