"""The web container's health check: asks the site's own gunicorn for a page, as the front server would.

    python deploy/healthcheck.py [PATH]     (default /healthz; exit status 0 when it answers 200)
    python deploy/healthcheck.py --worker   (the background worker: its heartbeat is less than a minute old)

No curl in the image: the standard library is enough. The request names a host the site answers to (the first of
ALLOWED_HOSTS) and says it came over HTTPS, as every request through the front server does.
"""

import os
import sys
import tempfile
import time
import urllib.error
import urllib.request


def main(path="/healthz"):
    address = os.environ.get("HEALTHCHECK_ADDRESS", "127.0.0.1:8000")
    host = os.environ.get("ALLOWED_HOSTS", "").split(",")[0].strip().lstrip(".*") or "localhost"
    request = urllib.request.Request(f"http://{address}{path}", headers={"Host": host, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        print(f"{path}: {error}")
        return 1
    print(f"{path}: {status}")
    return 0 if status == 200 else 1


WORKER_HEARTBEAT = os.environ.get("WORKER_HEARTBEAT_FILE") or os.path.join(
    tempfile.gettempdir(), "ietp-worker-heartbeat"
)


def worker_is_alive(heartbeat=WORKER_HEARTBEAT, most_seconds=60):
    """The worker touches its heartbeat every 15 s while it reaches the database (background/queue.py)."""
    try:
        age = time.time() - os.path.getmtime(heartbeat)
    except OSError:
        print("worker: no heartbeat yet")
        return 1
    print(f"worker: heartbeat {age:.0f} s ago")
    return 0 if age < most_seconds else 1


if __name__ == "__main__":
    sys.exit(worker_is_alive() if sys.argv[1:] == ["--worker"] else main(*sys.argv[1:]))
