"""Running the background queue for real, in the test's own process and database transaction."""

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from background.queue import queue_state


def run_queued_tasks(limit=100, *, stop_after=None, queues=None):
    """Runs every job that is due, as the worker does (the same claim and the same run), until none is left; returns
    how many ran. No sleeping and no reconnecting between jobs, unlike the worker's loop: the test's transaction
    stays open. With `stop_after`, returns once that many have run (a worker stopped midway); with `queues`
    (["emails"]), runs only those queues' jobs, as a worker started for them does (a test about emails is not about
    the pages a publication also has rendered)."""
    worker = Worker(
        queue_names=queues or ["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    for ran in range(limit):
        if ran == stop_after:
            return ran
        with exclusive_transaction(DBTaskResult.objects.db):
            due = DBTaskResult.objects.ready()
            job = (due.filter(queue_name__in=queues) if queues else due).get_locked()
            if job is None:
                return ran
            job.claim(worker.worker_id)
        worker.run_task(job)
    raise AssertionError(f"more than {limit} jobs: is a job queueing itself again?")


def run_image_jobs():
    """Runs the image jobs that wait (an upload's clean copy and renditions), as the worker does. Not the pages a
    publication also has rendered for its first visitors (news/page_warming.py, with tests of its own): a test about
    an image would spend a quarter of its time on them, a browser journey on the sample stories' hundreds."""
    return run_queued_tasks(queues=["images"])


def waiting_jobs(queue_name=None):
    """How many jobs are due now, in one queue ("images", "letters", "emails"...) or in all."""
    if queue_name is None:
        return queue_state()["waiting"]
    return DBTaskResult.objects.ready().filter(queue_name=queue_name).count()


def make_waiting_jobs_due():
    """Jobs queued to run later (a retry's pause, a digest's hour) become due now, as if that time had passed."""
    return DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
