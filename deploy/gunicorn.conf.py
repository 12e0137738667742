"""gunicorn's settings for the site's image (Dockerfile, compose.yaml), read from the environment.

gunicorn itself also reads WEB_CONCURRENCY and FORWARDED_ALLOW_IPS; they are named here so one file says it all.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: one request each. The front server buffers slow clients, so a worker is only ever busy rendering.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A request taking longer than this is killed; every slow thing in a request (database, cache, mail) gives up sooner.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Whose X-Forwarded-Proto gunicorn believes: in compose, only the front server can reach a web container (it
# publishes no port), so "*" there; anywhere else, the front server's address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# A fresh worker now and then keeps a slow leak from growing.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The workers' heartbeat files in memory: a container's disk can stall, and gunicorn would take that for a hang.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Requests as long as the front server lets through (large_client_header_buffers 4 8k): a request gunicorn
# refused itself would be closed under nginx, which would answer 502. Its request line limit is 8190 at most.
limit_request_line = 8190
limit_request_field_size = 16384
limit_request_fields = 32768
# No run-time control socket: a container is restarted through compose, not steered from inside.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
