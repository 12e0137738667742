"""The background queue as staff and the probes see it: jobs wait until committed, run once, failures are counted,
and a job whose worker died is run again."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from background.queue import enqueue_after_commit, queue_state, requeue_stalled
from testkit.background import run_queued_tasks

pytestmark = pytest.mark.django_db(transaction=True)


@task()
def remember(key, value):
    cache.set(key, value, 60)


@task()
def fail_always():
    raise RuntimeError("the disk is full")


def test_a_job_is_queued_only_when_its_transaction_commits():
    with transaction.atomic():
        enqueue_after_commit(remember, "committed", "yes")
    try:
        with transaction.atomic():
            enqueue_after_commit(remember, "rolled-back", "yes")
            raise RuntimeError("the save failed")
    except RuntimeError:
        pass

    assert queue_state()["waiting"] == 1
    assert run_queued_tasks() == 1
    assert cache.get("committed") == "yes" and cache.get("rolled-back") is None
    assert queue_state()["waiting"] == 0


def test_a_job_for_later_waits_until_its_time():
    enqueue_after_commit(remember, "later", "yes", run_after=timezone.now() + datetime.timedelta(hours=1))

    assert run_queued_tasks() == 0 and cache.get("later") is None
    DBTaskResult.objects.update(run_after=timezone.now() - datetime.timedelta(seconds=1))
    assert run_queued_tasks() == 1 and cache.get("later") == "yes"


def test_readiness_reports_waiting_and_failed_jobs(client):
    enqueue_after_commit(fail_always)
    enqueue_after_commit(remember, "a", 1)
    state = json.loads(client.get("/readyz", HTTP_HOST="10.0.3.7:8000").content)["background"]
    assert state["waiting"] == 2

    run_queued_tasks()

    response = client.get("/readyz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200  # a failed job slows no page
    assert json.loads(response.content)["background"]["failed_last_day"] == 1
    assert "the disk is full" in DBTaskResult.objects.failed().get().traceback


def test_a_job_left_running_by_a_dead_worker_is_run_again():
    enqueue_after_commit(remember, "again", "yes")
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert run_queued_tasks() == 0

    assert requeue_stalled() == 1
    assert run_queued_tasks() == 1 and cache.get("again") == "yes"


def test_administrators_see_failed_jobs_and_why_in_their_language(admin_client):
    enqueue_after_commit(fail_always)
    run_queued_tasks()

    page = admin_client.get("/zh/admin/background/backgroundjob/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert page.status_code == 200
    text = page.content.decode()
    assert "后台任务" in text and "失败" in text
    assert "RuntimeError: the disk is full" in text
