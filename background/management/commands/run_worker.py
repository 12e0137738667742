"""Runs the background jobs (background/queue.py) until stopped: `python manage.py run_worker`.

django-tasks-db's own worker, started after the jobs a dead worker left "running" are put back in the queue. On
SIGTERM (docker stop, Ctrl+C) it finishes the job it is running, then exits: nothing is lost. While it runs, a
heartbeat file is touched every HEARTBEAT_SECONDS once the database answered: the container's health check
(deploy/healthcheck.py --worker) reads its age.
"""

import threading

from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from background.queue import HEARTBEAT_FILE, HEARTBEAT_SECONDS, requeue_stalled


class Command(DatabaseWorkerCommand):
    help = "Runs the site's background jobs (images, letters, emails, pages) until stopped."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")  # every queue the site uses

    def handle(self, *args, **options):
        requeued = requeue_stalled()
        if requeued:
            self.stderr.write(f"{requeued} job(s) left running by a stopped worker were queued again.")
        threading.Thread(target=beat, name="worker-heartbeat", daemon=True).start()
        return super().handle(*args, **options)


def beat():
    """Touches the heartbeat file while the database answers; stops touching it (the worker turns unhealthy) when
    it does not."""
    stopped = threading.Event()
    while not stopped.wait(0 if not HEARTBEAT_FILE.exists() else HEARTBEAT_SECONDS):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - any failure means the same: no heartbeat this time
            connection.close()
            continue
        finally:
            connection.close_if_unusable_or_obsolete()
        HEARTBEAT_FILE.touch()
