"""Production settings (ietp_site.settings) for bench/login_guessing.py, which also measures the site without its
lock-out (BENCH_LOCKOUT=0), as it was before django-axes."""

import os

from ietp_site.settings import *  # noqa: F403

AXES_ENABLED = os.environ.get("BENCH_LOCKOUT", "1") == "1"
