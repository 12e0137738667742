"""Settings for the test suite: production settings, made fast and self-contained."""

import os
import tempfile
from urllib.parse import urlsplit

# The embedded cache in a directory of its own (REDIS_URL, as .ci/run sets it, puts the suite on Redis instead).
os.environ.setdefault("CACHE_DIR", tempfile.mkdtemp(prefix="ietp-test-cache-"))
# Tests run by pytest-xdist's workers (PYTEST_XDIST_WORKER=gw0, gw1...; `make fast`) each get a cache of their own,
# a folder or a Redis database: a test empties the cache, which must not empty a test's running beside it.
WORKER_NUMBER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ["CACHE_DIR"] = os.path.join(os.environ["CACHE_DIR"], os.environ["PYTEST_XDIST_WORKER"])
    if os.environ.get("REDIS_URL"):
        redis_url = urlsplit(os.environ["REDIS_URL"])
        database = int(redis_url.path.strip("/") or 0) + WORKER_NUMBER
        os.environ["REDIS_URL"] = redis_url._replace(path=f"/{database}").geturl()
os.environ.setdefault("SECRET_KEY", "test-suite-only-secret-key-" + "x" * 40)

from .settings import *  # noqa: E402,F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Renditions 3.6 times faster for 7% more bytes (settings.py): the suite makes hundreds, a tenth of its CPU at 6.
# The page-weight budgets are then checked against images slightly heavier than the site serves.
IMAGE_WEBP_METHOD = 2
SECURE_SSL_REDIRECT = False
# Serve static files straight from static/ without a collectstatic step.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The suite's own processes are what competes for the cores (the other xdist worker, its servers): at production's
# niceness a letter's cleaning would wait behind them, taking up to ten times as long on a busy machine.
LETTER_CLEANING_NICENESS = 0
# Tests that log staff in with force_login() need no second factor; the two-factor tests turn it on
# (tests/staff_security/test_admin.py).
ADMIN_REQUIRE_2FA_FOR_SUPERUSERS = False
# A test's tables emptied with DELETE, not TRUNCATE (testkit/postgresql/base.py says why).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "testkit.postgresql"  # noqa: F405
