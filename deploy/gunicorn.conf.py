"""gunicorn's settings for the site's image (Dockerfile, compose.yaml), read from the environment.

gunicorn itself also reads WEB_CONCURRENCY and FORWARDED_ALLOW_IPS; they are named here so one file says it all.
Only what was measured to pay is set (bench/gunicorn_config.py, figures in bench/README.md).
"""

import os

from gunicorn import glogging

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: one request each. The front server buffers slow clients, so a worker is only ever busy rendering.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A request taking longer than this is killed; every slow thing in a request (database, cache, mail) gives up sooner.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Whose X-Forwarded-Proto gunicorn believes: in compose, only the front server can reach a web container (it
# publishes no port), so "*" there; anywhere else, the front server's address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# A fresh worker after this many requests keeps a slow leak from growing; 0 (the default) never replaces one:
# bench/README.md found no growth to stop, and each replacement costs a worker's start.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
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
# No access log: the site writes one line per request itself (operations/request_log.py), without the query
# string or the visitor's address, and health probes at DEBUG. gunicorn's would be a second line per request with
# both, and a line for every probe.
accesslog = None
errorlog = "-"


class SiteFormatLogger(glogging.Logger):
    """gunicorn's own lines (workers booting, timeouts, shutdown) in the site's format (LOG_FORMAT: json or text,
    operations/log_format.py), in UTC, from the master and the workers alike. gunicorn's format uses local time, and
    Django sets a worker's TZ to the site's time zone while the master keeps the container's UTC."""

    def setup(self, cfg):
        super().setup(cfg)
        # Imported here, once gunicorn has put the project's directory on sys.path.
        from operations.log_format import JsonFormatter, TextFormatter

        formatter = JsonFormatter() if os.environ.get("LOG_FORMAT", "text") == "json" else TextFormatter()
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)


logger_class = SiteFormatLogger
