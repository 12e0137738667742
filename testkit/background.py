"""Running the background queue for real, in the test's own process and database transaction."""

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from background.queue import queue_state


def run_queued_tasks(limit=100):
    """Runs every job that is due, as the worker does (the same claim and the same run), until none is left; returns
    how many ran. No sleeping and no reconnecting between jobs, unlike the worker's loop: the test's transaction
    stays open."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    for ran in range(limit):
        with exclusive_transaction(DBTaskResult.objects.db):
            job = DBTaskResult.objects.ready().get_locked()
            if job is None:
                return ran
            job.claim(worker.worker_id)
        worker.run_task(job)
    raise AssertionError(f"more than {limit} jobs: is a job queueing itself again?")


def waiting_jobs():
    return queue_state()["waiting"]
