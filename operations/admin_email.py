"""Server-error reports to ADMINS, sent outside the request: a slow or hanging mail server never holds up the 500 page.

Django's AdminEmailHandler drafts the report as usual, in the request (it reads the request and the traceback),
then hands the finished email to one background thread per process, which sends one report at a time through the
configured backend (SMTP: each step waits EMAIL_TIMEOUT at most) and never raises. A burst of errors while the mail
server hangs leaves at most QUEUE_SIZE reports waiting; more are logged and dropped, not piled up in memory.

Backends that deliver within the process (locmem in the tests, console, file, dummy) are used at once, in the
request: nothing there can hang, and a test reading mail.outbox right after a request sees the report.
"""

import logging
import queue
import threading

from django.conf import settings
from django.utils.log import AdminEmailHandler

logger = logging.getLogger(__name__)

IN_PROCESS_BACKENDS = {
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
QUEUE_SIZE = 20


class BackgroundAdminEmailHandler(AdminEmailHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reports = queue.Queue(maxsize=QUEUE_SIZE)
        self._sender = None
        self._sender_lock = threading.Lock()

    def emit(self, record):
        if not settings.ADMINS:  # Django's own shortcut, which overriding send_mail() turns off
            return
        super().emit(record)

    def send_mail(self, subject, message, *args, **kwargs):
        if (self.email_backend or settings.EMAIL_BACKEND) in IN_PROCESS_BACKENDS:
            super().send_mail(subject, message, *args, **kwargs)
            return
        try:
            self._reports.put_nowait((subject, message, args, kwargs))
        except queue.Full:
            logger.warning(
                "Server error report not emailed, %s others wait for the mail server: %s", QUEUE_SIZE, subject
            )
            return
        self._start_sender()

    def _start_sender(self):
        # Started on first use, in the process that sends (a gunicorn worker, not the master it was forked from).
        with self._sender_lock:
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(target=self._send_reports, name="admin-email", daemon=True)
                self._sender.start()

    def _send_reports(self):
        while True:
            subject, message, args, kwargs = self._reports.get()
            try:
                super().send_mail(subject, message, *args, **kwargs)  # fail_silently: a mail server's errors
            except Exception:  # noqa: BLE001 - anything else: the thread must live on for the next report
                logger.warning("Server error report not emailed: %s", subject, exc_info=True)
            finally:
                self._reports.task_done()

    def flush(self):
        """Waits, up to EMAIL_TIMEOUT, for the reports already handed over (logging calls this at exit)."""
        if self._sender is None:
            return
        done = threading.Event()
        threading.Thread(target=lambda: (self._reports.join(), done.set()), daemon=True).start()
        done.wait(timeout=settings.EMAIL_TIMEOUT)
