"""WSGI entry point, served by gunicorn in production (see Dockerfile)."""

import os

from django.core.wsgi import get_wsgi_application

from caching.wsgi import answering_revalidations_first
from operations.wsgi import reading_the_whole_request_body

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ietp_site.settings")

application = reading_the_whole_request_body(answering_revalidations_first(get_wsgi_application()))
