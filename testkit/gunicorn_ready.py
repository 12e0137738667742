"""gunicorn's configuration for the tests' servers (`--config python:testkit.gunicorn_ready`): each worker, once it
has loaded the site and before it takes a connection, leaves a file named by its pid in GUNICORN_READY_DIR.

gunicorn's socket answers as soon as its first worker is ready; the others may still be loading the site (a few
seconds on a busy machine). A test that times what a visitor waits, with one worker held up on purpose, would
otherwise time another worker's start: wait_for_workers waits until each is ready."""

import os
import time
from pathlib import Path


def post_worker_init(worker):
    directory = os.environ.get("GUNICORN_READY_DIR")
    if directory:
        (Path(directory) / str(worker.pid)).touch()


def wait_for_workers(directory, workers, server, timeout=60):
    """Waits until `workers` workers of `server` (its Popen) have left their file in `directory`."""
    deadline = time.monotonic() + timeout
    while len(list(Path(directory).iterdir())) < workers:
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn: {len(list(Path(directory).iterdir()))} of {workers} workers started")
        time.sleep(0.05)
