"""Production settings (ietp_site.settings, from the environment as deployed) with one more address for the
throughput benchmark: /bench/constant/, a Django view with nothing to render (see bench/urls.py)."""

from ietp_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
