"""Runs the background jobs (background/queue.py) until stopped: `python manage.py run_worker`.

django-tasks-db's own worker, started after the jobs a dead worker left "running" are put back in the queue. On
SIGTERM (docker stop, Ctrl+C) it finishes the job it is running, then exits: nothing is lost.
"""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from background.queue import requeue_stalled


class Command(DatabaseWorkerCommand):
    help = "Runs the site's background jobs (images, letters, emails) until stopped."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")  # every queue the site uses

    def handle(self, *args, **options):
        requeued = requeue_stalled()
        if requeued:
            self.stderr.write(f"{requeued} job(s) left running by a stopped worker were queued again.")
        return super().handle(*args, **options)
