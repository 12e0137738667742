"""Settings for the test suite: production settings, made fast and self-contained."""

import os
import tempfile

# The embedded cache in a directory of its own (REDIS_URL, as .ci/run sets it, puts the suite on Redis instead).
os.environ.setdefault("CACHE_DIR", tempfile.mkdtemp(prefix="ietp-test-cache-"))
os.environ.setdefault("SECRET_KEY", "test-suite-only-secret-key-" + "x" * 40)

from .settings import *  # noqa: E402,F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
# Serve static files straight from static/ without a collectstatic step.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests that log staff in with force_login() need no second factor; the two-factor tests turn it on
# (tests/staff_security/test_admin.py).
ADMIN_REQUIRE_2FA_FOR_SUPERUSERS = False
