"""The site's addresses and /bench/constant/: the news list's HTML as a constant, answered by a view through the
same middleware as every page, so that the benchmark can tell what drawing a page costs from what Django's
request handling, the middleware and compression cost (bench/throughput.py)."""

import functools
import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from ietp_site.urls import urlpatterns as site_urlpatterns


@functools.cache
def constant_html():
    # Read at the first request: the benchmark writes the file after migrating.
    html = os.environ.get("BENCH_CONSTANT_HTML")
    return Path(html).read_bytes() if html else b"OK"


def constant(request):
    return HttpResponse(constant_html())


urlpatterns = [path("bench/constant/", constant), *site_urlpatterns]
