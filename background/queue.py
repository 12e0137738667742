"""Work done after the response: image renditions, letters cleaned, emails sent, pages rendered after a change.

The queue is django-tasks (the backport of Django 6's tasks API) with django-tasks-db's database backend: jobs are
rows in the site's own database, SQLite or PostgreSQL alike, so they survive a restart and need no other service.
`python manage.py run_worker` (make run, and compose's worker service) runs them.

A job is enqueued once the transaction that asked for it has committed: the worker never looks for a row that
a rolled-back save never wrote. Jobs must be safe to run twice (a worker killed mid-job is requeued:
requeue_stalled()).
"""

import datetime
import os
import tempfile
from pathlib import Path

from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max

# The worker's heartbeat (run_worker), read by the container's health check (deploy/healthcheck.py --worker).
HEARTBEAT_FILE = Path(os.environ.get("WORKER_HEARTBEAT_FILE") or Path(tempfile.gettempdir()) / "ietp-worker-heartbeat")
HEARTBEAT_SECONDS = 15
# Longer than any job's own time budget: a job still "running" after this lost its worker.
STALLED_AFTER = datetime.timedelta(minutes=15)
FAILURES_SHOWN_FOR = datetime.timedelta(days=1)


# What each kind of job does, as staff read it on the admin's "background jobs" page: {task path: label}.
JOB_LABELS = {}


def labelled(label):
    """Names a task for staff: `@labelled(_("Make an image's renditions"))` above `@task()`."""

    def register(task):
        JOB_LABELS[f"{task.func.__module__}.{task.func.__qualname__}"] = label
        return task

    return register


def job_label(task_path):
    return JOB_LABELS.get(task_path, task_path.rsplit(".", 1)[-1].replace("_", " "))


def enqueue_after_commit(task, *args, run_after=None, **kwargs):
    """Queues `task(*args, **kwargs)` once the current transaction commits (at once outside one)."""
    if run_after is not None:
        task = task.using(run_after=run_after)
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs), robust=False)


def queue_state(now=None):
    """What staff and /readyz see of the queue: jobs waiting (due now), running, failed in the last day, and how
    long the oldest waiting job has waited, in seconds (0 when none waits)."""
    now = now or timezone.now()
    waiting = DBTaskResult.objects.ready()
    oldest = waiting.aggregate(oldest=Min("enqueued_at"))["oldest"]
    return {
        "waiting": waiting.count(),
        "running": DBTaskResult.objects.running().count(),
        "failed_last_day": DBTaskResult.objects.failed().filter(finished_at__gte=now - FAILURES_SHOWN_FOR).count(),
        "oldest_waiting_seconds": round((now - oldest).total_seconds()) if oldest else 0,
    }


def requeue_stalled(now=None):
    """Jobs whose worker died (killed, out of memory, the machine restarted) go back to the queue; returns how many."""
    now = now or timezone.now()
    return (
        DBTaskResult.objects.running()
        .filter(started_at__lt=now - STALLED_AFTER)
        .update(status=TaskResultStatus.READY, started_at=None)
    )


def enqueue_in_bulk(task, arguments, run_afters=None):
    """Queues one job of `task` for each tuple of positional `arguments` in a few INSERTs, inside the current
    transaction: the jobs are rows of the site's own database, so they exist exactly when the rows they are about
    do (no on_commit needed, and none lost if the process dies after the commit). `run_afters`, one aware
    datetime (or None) per job, spreads them out. Returns how many were queued."""
    run_afters = run_afters or [None] * len(arguments)
    jobs = [
        DBTaskResult(
            args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=run_after or get_date_max(),
            backend_name=task.backend,
        )
        for args, run_after in zip(arguments, run_afters, strict=True)
    ]
    DBTaskResult.objects.bulk_create(jobs, batch_size=500)
    return len(jobs)
