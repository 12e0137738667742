"""A browser's or a CDN's revalidation of a page it already has, answered before Django's request handler.

A visitor without a session whose copy (If-None-Match) is still the current version of the page gets a 304 made
from the version alone (page_cache.answer_to_revalidation(): the page is neither fetched nor rendered), and here
also without the handler and the middleware: no request signals, no URL resolution, no security and policy headers
(a 304 only updates the headers of the copy the browser has, which had them). Under gunicorn a request that does no
work at all already costs about 0.2 ms of CPU (bench/README.md); the handler and the middleware added as much again
to each 304. Any other request, a revalidation that does not match included, goes on to Django as before.
"""

import time

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest

from operations.request_log import log_request

from .page_cache import answer_to_revalidation


def answering_revalidations_first(application):
    def application_or_not_modified(environ, start_response):
        if "HTTP_IF_NONE_MATCH" in environ and settings.PAGE_CACHE:
            started = time.perf_counter()
            request = WSGIRequest(environ)
            headers = answer_to_revalidation(request)
            if headers is not None:
                start_response("304 Not Modified", headers)
                log_request(request, 304, started)
                return []
        return application(environ, start_response)

    return application_or_not_modified
