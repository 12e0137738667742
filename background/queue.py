"""Work done after the response: image renditions, letters cleaned, emails sent.

The queue is django-tasks (the backport of Django 6's tasks API) with django-tasks-db's database backend: jobs are
rows in the site's own database, SQLite or PostgreSQL alike, so they survive a restart and need no other service.
`python manage.py run_worker` (make run, and compose's worker service) runs them.

A job is enqueued once the transaction that asked for it has committed: the worker never looks for a row that
a rolled-back save never wrote. Jobs must be safe to run twice (a worker killed mid-job is requeued:
requeue_stalled()).
"""

import datetime

from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

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
