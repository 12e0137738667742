"""gunicorn's configuration for the tests' servers: each worker, once it has loaded the site and before it takes a
connection, leaves a file named by its pid in GUNICORN_READY_DIR (ReadyWorkers sets both up).

gunicorn's socket answers as soon as its first worker is ready; the others may still be loading the site (a few
seconds on a busy machine). A test that times what a visitor waits, with one worker held up on purpose, or that is
about what the workers share, would otherwise run against the first worker alone: ReadyWorkers.wait waits for each."""

import os
import time
from pathlib import Path


def post_worker_init(worker):
    directory = os.environ.get("GUNICORN_READY_DIR")
    if directory:
        (Path(directory) / str(worker.pid)).touch()


class ReadyWorkers:
    """A folder where a gunicorn's workers say they are ready: add `arguments` to its command line and `env` to its
    environment, then wait(server, workers)."""

    arguments = ["--config", "python:testkit.gunicorn_ready"]

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.env = {"GUNICORN_READY_DIR": str(self.directory)}

    def count(self):
        return len(list(self.directory.iterdir()))

    def wait(self, server, workers, timeout=60):
        """Until `workers` workers of `server` (its Popen) are ready; RuntimeError if it stops or time runs out."""
        deadline = time.monotonic() + timeout
        while self.count() < workers:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn: {self.count()} of {workers} workers started")
            time.sleep(0.05)
