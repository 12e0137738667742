"""The worker as the production stack runs it: a process of its own that says it is alive (the container's health
check reads its heartbeat), and that, told to stop while a job runs, finishes that job first: nothing is lost."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django_tasks import task

from testkit import prepared
from testkit.production import ROOT, manage, production_env

pytestmark = pytest.mark.slow


@task()
def slow_job(folder):
    """Marks its start, takes two seconds, marks its end."""
    Path(folder, "started").touch()
    time.sleep(2)
    Path(folder, "finished").touch()


def wait_for(path, seconds=30):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def test_a_stopped_worker_finishes_its_job_and_its_health_check_reads_the_heartbeat(tmp_path):
    heartbeat = tmp_path / "heartbeat"
    environment = {"WORKER_HEARTBEAT_FILE": str(heartbeat)}
    prepared.migrated_sqlite(tmp_path / "production.sqlite3")  # migrated once for the run
    queued = manage(
        tmp_path,
        "shell",
        "-c",
        f"from tests.background.test_worker import slow_job; slow_job.enqueue({str(tmp_path)!r})",
    )
    assert queued.returncode == 0, queued.stderr
    health = [sys.executable, "deploy/healthcheck.py", "--worker"]
    env = production_env(tmp_path, **environment)
    assert subprocess.run(health, cwd=ROOT, env=env, capture_output=True).returncode == 1  # no worker yet

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.2"], cwd=ROOT, env=env, stderr=subprocess.PIPE
    )
    try:
        wait_for(tmp_path / "started")
        wait_for(heartbeat)
        assert subprocess.run(health, cwd=ROOT, env=env, capture_output=True).returncode == 0
        worker.send_signal(signal.SIGTERM)  # as `docker compose stop` does
        assert worker.wait(timeout=30) == 0
    finally:
        worker.kill()
        worker.stderr.close()

    assert (tmp_path / "finished").exists()
    state = manage(tmp_path, "shell", "-c", "from background.queue import queue_state; print(queue_state())").stdout
    assert "'waiting': 0, 'running': 0, 'failed_last_day': 0" in state
