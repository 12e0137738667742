"""The production settings, with one more address that raises (tests/stack/server_error_urls.py): for tests of the
500 page and the operators' report under gunicorn, as deployed."""

from ietp_site.settings import *  # noqa: F403

ROOT_URLCONF = "tests.stack.server_error_urls"
