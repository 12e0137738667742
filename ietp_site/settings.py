"""Settings for the IETP site, one section per concern, read from the environment.

Every environment variable is declared once, with its kind, default and description, in ietp_site/environment.py
(docs/environment.md lists them); `env(name)` reads one, and a value that does not fit stops start-up naming it.
Defaults are safe for production: DEBUG is off unless DEBUG=1, and the secret key must come from SECRET_KEY
whenever DEBUG is off.
"""

from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from ietp_site.environment import read as env

BASE_DIR = Path(__file__).resolve().parent.parent


# --- The site shell and its languages ---------------------------------------------------------------------------

DEBUG = env("DEBUG")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        # Development is never a fallback: production must not start on a known key.
        raise ImproperlyConfigured(
            "Set SECRET_KEY in the environment, e.g. SECRET_KEY=$(python3 -c "
            "'import secrets; print(secrets.token_urlsafe(50))'). On a development machine, set DEBUG=1 "
            "instead (the make targets do)."
        )
    SECRET_KEY = "development-only-key-not-for-production"
# The keys before the current one, while it is rotated: what they signed (sessions, preview and letter-upload links,
# password-reset links) stays valid until they are removed (README.md, "Operations").
SECRET_KEY_FALLBACKS = env("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")
# The site's own address, for every absolute link (site_shell/site_address.py); empty in development: the request's.
SITE_URL = env("SITE_URL").rstrip("/")

INSTALLED_APPS = [
    # Django's admin, on a site that asks staff for their second factor (staff_security/admin_site.py).
    "staff_security.apps.SiteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.forms",
    "parler",
    "reversion",
    "django_prose_editor",
    "django_countries",
    "csp",
    # The background queue (background/queue.py): django-tasks with its database backend.
    "django_tasks",
    "django_tasks_db",
    # The site-wide rooms, below the feature apps: none of them imports news or membership.
    "site_shell",
    "staff_security",
    "caching",
    "operations",
    "uploads",
    "background",
    "news",
    "membership",
    "subscriptions",
    "django_otp",
    "staff_security.apps.AuthenticatorAppsConfig",  # django_otp.plugins.otp_totp, named for staff
    "staff_security.apps.BackupCodesConfig",  # django_otp.plugins.otp_static
    "staff_security.apps.LoginAttemptsConfig",  # axes
]

MIDDLEWARE = [
    # First: it times everything below it, cache hits and probes included.
    "operations.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before the page cache, so that cached pages get today's policy too, and before WhiteNoise, so static files do.
    "site_shell.middleware.ContentSecurityPolicyMiddleware",
    "site_shell.middleware.CrossOriginHeadersMiddleware",
    "operations.health.HealthCheckMiddleware",
    # A view that finds the database down answers the designed 503 page (site_shell/error_pages.py); a middleware that
    # does reaches handler500 (ietp_site/urls.py), which answers the same.
    "site_shell.middleware.ServiceUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "caching.middleware.SharedPageCacheMiddleware",
    # Pages shrink about fivefold for readers on slow networks (Django adds its BREACH mitigation).
    "django.middleware.gzip.GZipMiddleware",
    # A locked-out login is answered here, before the session and the database (staff_security/login_guard.py).
    "staff_security.login_guard.LockedOutLoginGate",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "site_shell.middleware.ContentLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "staff_security.session_activity.StaffSessionActivityMiddleware",
    # Before anything reads the body (CSRF reads the form): too large, unsized or unreadable bodies are refused.
    "site_shell.middleware.RequestBodyLimitsMiddleware",
    # Marks request.user as verified once they have given their second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ietp_site.urls"
WSGI_APPLICATION = "ietp_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "site_shell.context_processors.page_language",
                "site_shell.context_processors.organisation",
                "staff_security.context_processors.admin_site_for_parler_pages",
            ],
        },
    },
]

# django-countries 9.1 names Samoa "美属萨摩亚群岛" in Chinese, as it names American Samoa, and writes
# the Cocos (Keeling) Islands with ASCII brackets.
COUNTRIES_OVERRIDE = {"WS": _("Samoa"), "CC": _("Cocos (Keeling) Islands")}

# Widgets may have templates in templates/ (the membership form's country checkboxes), beside Django's own.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Languages: English at the root, Simplified Chinese under /zh/; their prefixes, HTML codes and labels
# are in site_shell/languages.py.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# The organisation's time: publication times are entered and shown in it. Hong Kong's is also mainland China's.
TIME_ZONE = env("SITE_TIME_ZONE")
FORMAT_MODULE_PATH = ["ietp_site.formats"]

PARLER_DEFAULT_LANGUAGE_CODE = "en"
# A story missing in the page's language is shown in another (labelled, see site_shell/languages.py).
PARLER_LANGUAGES = {
    None: tuple(
        {"code": code, "fallbacks": [other for other, _name in LANGUAGES if other != code]} for code, _name in LANGUAGES
    ),
    "default": {"hide_untranslated": False},
}
# Every list prefetches its translations; a per-process cache would only serve stale
# titles from other gunicorn workers after an edit.
PARLER_ENABLE_CACHING = False

# The organisation, as the footer gives it; each line is shown only when set.
ORGANISATION_EMAIL = env("ORGANISATION_EMAIL")
ORGANISATION_ADDRESS = env("ORGANISATION_ADDRESS")
# The WeChat official account: the address its QR code holds (from the account's admin console), and its name.
WECHAT_ACCOUNT_URL = env("WECHAT_ACCOUNT_URL")
WECHAT_ACCOUNT_NAME = env("WECHAT_ACCOUNT_NAME")
# A site hosted, or served through a CDN, in mainland China shows its filing numbers in every page's footer:
# the ICP filing (e.g. 粤ICP备12345678号) and the public-security filing (e.g. 粤公网安备 44030502000001号).
ICP_FILING_NUMBER = env("ICP_FILING_NUMBER")
PSB_FILING_NUMBER = env("PSB_FILING_NUMBER")


# --- News -------------------------------------------------------------------------------------------------------

# How long a story's preview link works, unless revoked sooner.
PREVIEW_LINK_DAYS = env("PREVIEW_LINK_DAYS")
# Searches per client network a minute (news/search.py); each page of results is cached too.
SEARCHES_PER_MINUTE = env("SEARCHES_PER_MINUTE")


# --- Database ---------------------------------------------------------------------------------------------------

# SQLite beside the code unless DATABASE_URL names another database (PostgreSQL in production).
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_health_checks=True)}
# Nothing waits on the database for long: a request finds it down within seconds (and gets the 503 page),
# well before gunicorn's 30 s worker timeout.
DATABASE_CONNECT_TIMEOUT = env("DATABASE_CONNECT_TIMEOUT")
DATABASE_POOL_TIMEOUT = env("DATABASE_POOL_TIMEOUT")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_CONNECT_TIMEOUT
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env("DATABASE_POOL"):
    # psycopg 3's pool keeps connections warm between requests in each gunicorn worker. A lost connection is
    # retried with growing pauses; giving up after a few seconds lets the next request try at once, so the site
    # is back within seconds of the database.
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "timeout": DATABASE_POOL_TIMEOUT,
        "reconnect_timeout": DATABASE_POOL_TIMEOUT,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env("CONN_MAX_AGE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The site and its background worker (make run) write to one SQLite file: readers never wait for a writer
    # (write-ahead log), and a writer waits for another instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )


# --- Background work --------------------------------------------------------------------------------------------

# Jobs are rows in the site's database (background/queue.py); `manage.py run_worker` runs them.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "images", "letters", "emails", "pages"],
    }
}


# --- Cache ------------------------------------------------------------------------------------------------------

# One cache that every worker shares (page cache, rate limits): Redis in production; on the embedded default, files
# in a directory all workers on the machine see. Never a per-process cache: workers would disagree.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis backend, one client per process rather than per command (caching/redis_cache.py).
            "BACKEND": "caching.redis_cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            # A stopped Redis refuses at once; a hung one costs a request at most a second, then each worker leaves
            # it alone for a few seconds (caching/page_cache.py) and renders pages without it.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
            "KEY_PREFIX": "ietp",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(env("CACHE_DIR")),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# Visitors' pages from the shared cache (caching/page_cache.py); off in development, where templates change under it.
PAGE_CACHE = env("PAGE_CACHE")
# Public pages: how long a visitor's browser (by default, not at all: it revalidates, and gets a 304 from the site's
# cache, which is always exactly fresh), and a CDN or the front web server, may cache one without asking again; and
# how long an entry may live in the site's cache at most.
PAGE_BROWSER_MAX_AGE = env("PAGE_BROWSER_MAX_AGE")
PAGE_SHARED_MAX_AGE = env("PAGE_SHARED_MAX_AGE")
PAGE_STALE_WHILE_REVALIDATE = env("PAGE_STALE_WHILE_REVALIDATE")
PAGE_CACHE_SECONDS = env("PAGE_CACHE_SECONDS")
# Names the deployed release (an image tag, a commit): a new one starts the page cache afresh.
RELEASE_ID = env("RELEASE_ID")


# --- Static files, media and uploads ----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Source maps are read only by a developer's browser tools, uncompressed as well: compressing the story editor's
# (2.4 MB, in two copies) took 8 of collectstatic's 10 s.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT")


def s3_storages(*, media_bucket, private_bucket, endpoint_url, region_name, custom_domain, location, private_acl):
    """Media and private files in two buckets of an S3-compatible service (django-storages' S3Storage); the
    credentials boto3 reads from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the machine's role.
    The tests configure their S3 server through this function too (testkit/object_storage.py)."""
    service = {"endpoint_url": endpoint_url or None, "region_name": region_name or None}
    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **service,
                "bucket_name": media_bucket,
                "custom_domain": custom_domain or None,
                "location": location,
                # Published images are public, by the bucket's policy (docs/operations.md); every upload gets a new
                # name, so browsers may cache them a year.
                "querystring_auth": False,
                "file_overwrite": False,
                "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
            },
        },
        "private": {
            "BACKEND": "uploads.private_s3.PrivateS3Storage",
            "OPTIONS": {
                **service,
                "bucket_name": private_bucket,
                # Never a CDN's domain, never an unsigned address: the storage gives no address at all.
                "custom_domain": None,
                "querystring_auth": True,
                "file_overwrite": False,
                # AWS buckets made since April 2023 refuse any ACL but the owner's (ACLs off); the bucket itself
                # is private either way. AWS_PRIVATE_OBJECT_ACL=1 marks each object private as well, where ACLs apply.
                "default_acl": "private" if private_acl else None,
                "object_parameters": {"CacheControl": "private, no-store"},
            },
        },
    }


# Uploaded media: a directory (a mounted volume in production) or, with MEDIA_STORAGE=s3, an S3-compatible bucket,
# and private files (membership letters) in a second, private bucket (docs/operations.md, "More than one machine").
# Code reaches files only through the storage API: storages["default"] and storages["private"].
MEDIA_STORAGE = env("MEDIA_STORAGE")
# Private files on one machine: never under MEDIA_URL, served only to staff through a view.
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT")
if MEDIA_STORAGE == "s3":
    FILE_STORAGES = s3_storages(
        media_bucket=env("AWS_STORAGE_BUCKET_NAME"),
        private_bucket=env("AWS_PRIVATE_BUCKET_NAME"),
        endpoint_url=env("AWS_S3_ENDPOINT_URL"),
        region_name=env("AWS_S3_REGION_NAME"),
        custom_domain=env("AWS_S3_CUSTOM_DOMAIN"),
        location=env("AWS_LOCATION"),
        private_acl=env("AWS_PRIVATE_OBJECT_ACL"),
    )
    if not (env("AWS_STORAGE_BUCKET_NAME") and env("AWS_PRIVATE_BUCKET_NAME")):
        raise ImproperlyConfigured(
            "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME and AWS_PRIVATE_BUCKET_NAME (and AWS_* credentials)."
        )
    if env("AWS_STORAGE_BUCKET_NAME") == env("AWS_PRIVATE_BUCKET_NAME"):
        raise ImproperlyConfigured("AWS_PRIVATE_BUCKET_NAME must name a bucket of its own, not the media bucket.")
else:
    FILE_STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {"BACKEND": "uploads.private_storage.PrivateFileSystemStorage"},
    }
STORAGES = {
    **FILE_STORAGES,
    # The private storage's name before it held more than letters, for code written against it.
    "private_letters": FILE_STORAGES["private"],
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Request bodies, refused before they are read (site_shell/middleware.py): most forms are small; staff may upload images
# and documents in the admin; the membership form may carry a letter (MEMBERSHIP_REQUEST_MAX_BYTES, under
# "Membership"). The front web server's limit should match the largest.
REQUEST_BODY_MAX_BYTES = env("REQUEST_BODY_MAX_BYTES")
STAFF_REQUEST_MAX_BYTES = env("STAFF_REQUEST_MAX_BYTES")
# Where uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE wait while the request is handled.
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR") or None


# --- Email ------------------------------------------------------------------------------------------------------

# Printed to the console in development, SMTP from the environment in production.
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = env("EMAIL_PORT")
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env("EMAIL_USE_TLS")
# Each wait for the mail server; a worker sends right after its response, so this stays well below gunicorn's timeout.
EMAIL_TIMEOUT = env("EMAIL_TIMEOUT")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


# --- Staff security: the admin, its logins and their second factor ----------------------------------------------

# A locked-out login is refused by axes' backend before the password is hashed (staff_security/login_guard.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: English at the root, Simplified Chinese under /zh/; their prefixes, HTML codes and labels

# The admin (README.md, "Admin security"): its address, its lock-out after failed logins, its second factor.
ADMIN_URL = env("ADMIN_URL").strip("/") + "/"
# The only login page is the admin's (also where "Password reset complete" leads).
LOGIN_URL = "admin:login"
# An account-and-address pair is locked out after this many failed logins, for this long after the last one.
AXES_FAILURE_LIMIT = env("AXES_FAILURE_LIMIT")
AXES_COOLOFF_MINUTES = env("AXES_COOLOFF_MINUTES")
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The cool-off runs from the lock-out; attempts during it are refused without being counted.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Whatever the usernames tried, one address is refused after this many failures in the cool-off time: a guesser
# rotating usernames would otherwise cost a password hash per guess.
ADMIN_LOGIN_FAILURES_PER_ADDRESS = env("ADMIN_LOGIN_FAILURES_PER_ADDRESS")
# Failures are kept in the database, which every worker and server shares.
AXES_HANDLER = "staff_security.login_guard.LoginGuardHandler"
AXES_CLIENT_IP_CALLABLE = "site_shell.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "staff_security.login_guard.locked_out_page"
# A superuser can create accounts and read buyers' applications: in production they must give a second factor
# (set one up at their first login); other staff may choose to.
ADMIN_REQUIRE_2FA_FOR_SUPERUSERS = env("ADMIN_REQUIRE_2FA_FOR_SUPERUSERS")
# Only staff have sessions: each ends after a working day without a request (staff_security/session_activity.py
# moves its expiry on), rather than Django's two weeks. A password change ends the others (Django's session hash).
SESSION_COOKIE_AGE = env("STAFF_SESSION_IDLE_MINUTES") * 60
# The name authenticator apps show beside the six-digit code.
OTP_TOTP_ISSUER = "IETP site"


# --- Membership applications (membership/) and the privacy notice -----------------------------------------------

MEMBERSHIP_NOTIFY_EMAILS = env("MEMBERSHIP_NOTIFY_EMAILS")
MEMBERSHIP_MIN_SECONDS_TO_SUBMIT = env("MEMBERSHIP_MIN_SECONDS_TO_SUBMIT")
MEMBERSHIP_FORM_MAX_AGE_SECONDS = 2 * 24 * 60 * 60
MEMBERSHIP_SUBMISSIONS_PER_IP = env("MEMBERSHIP_SUBMISSIONS_PER_IP")
MEMBERSHIP_SUBMISSIONS_WINDOW_SECONDS = 60 * 60
# Every POST counts here, mistakes included, at a ceiling a buyer correcting their answers or an office behind one
# address does not reach; MEMBERSHIP_SUBMISSIONS_PER_IP counts applications accepted.
MEMBERSHIP_POSTS_PER_IP = env("MEMBERSHIP_POSTS_PER_IP")
# An email still failing after this many tries is left for staff to look into (the resend command skips it).
MEMBERSHIP_EMAIL_MAX_ATTEMPTS = env("MEMBERSHIP_EMAIL_MAX_ATTEMPTS")
# The form may carry a letter: its body limit is larger than REQUEST_BODY_MAX_BYTES (site_shell/middleware.py).
MEMBERSHIP_REQUEST_MAX_BYTES = env("MEMBERSHIP_REQUEST_MAX_BYTES")
# How long applicants' personal data is kept after the decision (`manage.py purge_membership_data` erases it then).
MEMBERSHIP_RETAIN_APPROVED_DAYS = env("MEMBERSHIP_RETAIN_APPROVED_DAYS")
MEMBERSHIP_RETAIN_DECLINED_DAYS = env("MEMBERSHIP_RETAIN_DECLINED_DAYS")
# A received letter is cleaned by the background worker in a child process with this much address space, killed
# after this many seconds (membership/letter_cleaning.py): a 40-megapixel photo needs under 300 MB and a few seconds.
LETTER_CLEANING_MEMORY_BYTES = 1024 * 1024 * 1024
LETTER_CLEANING_SECONDS = 60
# ...at this niceness: web workers on the same machine come first, a letter may wait.
LETTER_CLEANING_NICENESS = 10

# How hard the WebP encoder works for each rendition (libwebp's `method`, 0-6): at 6 a 1280 px photo takes 88 ms and
# comes out 3% smaller than at 4 (69 ms), 7% smaller than at 2 (24 ms). Renditions are made once, in the background,
# and read by every phone after: the bytes are worth the time.
IMAGE_WEBP_METHOD = 6

# The privacy notice (/privacy/): who holds applicants' data, how to reach them (by default, the footer's
# ORGANISATION_EMAIL and ORGANISATION_ADDRESS), and where the data is stored.
PRIVACY_CONTROLLER_NAME = env("PRIVACY_CONTROLLER_NAME")
PRIVACY_CONTACT_EMAIL = env("PRIVACY_CONTACT_EMAIL")
PRIVACY_CONTACT_ADDRESS = env("PRIVACY_CONTACT_ADDRESS")
PRIVACY_STORAGE_LOCATION = env("PRIVACY_STORAGE_LOCATION")


# --- Email subscriptions (subscriptions/) -------------------------------------------------------------------------

# Story emails sent a minute at most (a send is spread out by the jobs' start times), and subscription requests
# accepted per client network an hour.
SUBSCRIPTION_EMAILS_PER_MINUTE = env("SUBSCRIPTION_EMAILS_PER_MINUTE")
SUBSCRIPTION_REQUESTS_PER_HOUR = env("SUBSCRIPTION_REQUESTS_PER_HOUR")
SUBSCRIPTION_UNSUBSCRIBE_MAILTO = env("SUBSCRIPTION_UNSUBSCRIBE_MAILTO")


# --- Operations and logging -------------------------------------------------------------------------------------

# Server errors are emailed to these people ("Name <email>, Name <email>"); the 500 page says so only when set.
ADMINS = [(name, address) for name, address in getaddresses(env("ADMINS")) if address]

# `manage.py backup` writes its archives here and keeps the newest BACKUP_KEEP of them.
BACKUP_DIR = env("BACKUP_DIR")
BACKUP_KEEP = env("BACKUP_KEEP")

# LOG_FORMAT=json: one JSON object per line (operations/log_format.py), for a log collector; else plain lines.
LOG_FORMAT = env("LOG_FORMAT")
# One line per event: Django's "django" logger hands its records to the root logger only (its default
# console handler would print each one a second time); errors still go to ADMINS when there are any.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        # A request refused with a 4xx (bad Host, malformed body) is logged in one line, without a traceback.
        "client_errors_without_traceback": {"()": "operations.logging.ClientErrorsWithoutTraceback"},
        "not_client_errors": {"()": "operations.logging.NotClientErrors"},
        # An outage is one fact, not an email per request: it is logged, and /readyz tells monitoring.
        "not_a_database_outage": {"()": "operations.log_filters.NotADatabaseOutage"},
    },
    # Both leave out email addresses, whatever wrote them (an SMTP error names its recipients).
    "formatters": {
        "text": {"()": "operations.log_format.TextFormatter"},
        "json": {"()": "operations.log_format.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT == "json" else "text",
            "filters": ["client_errors_without_traceback"],
        },
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false", "not_client_errors", "not_a_database_outage"],
            # Django's report, sent by a background thread: a hanging mail server never delays the 500 page.
            "class": "operations.admin_email.BackgroundAdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        # Logins are logged once, by "ietp.security" (staff_security/login_guard.py); axes' own lines only for errors.
        "axes": {"level": "ERROR"},
    },
}


# --- HTTPS, proxies and security headers ------------------------------------------------------------------------

# HTTPS everywhere in production; a proxy in front terminates TLS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env("SECURE_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env("SECURE_HSTS_PRELOAD")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Health probes speak plain HTTP to the container (operations/health.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script of the site or the admin reads the CSRF cookie (forms carry the token).
CSRF_COOKIE_HTTPONLY = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp, site_shell/middleware.py). Public pages run only the site's own script files;
# JSON-LD blocks are data, never run, so script-src does not apply to them. No page may be framed, nor post elsewhere.
# Public pages' one <style> element (the site's stylesheet, inline) is added by its hash (site_shell/middleware.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The admin's editor (django-prose-editor) also needs its import map, an inline script whose hash
# site_shell/middleware.py adds, and the one <style> element its editor.js (Tiptap) injects, allowed by its hash: after
# upgrading django-prose-editor, tests/browser/test_content_security_policy.py names the new hash if it changed.
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "style-src": ["'self'", "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"],
    }
}
# Features no page uses, refused to any script (site_shell/middleware.py sends it with Cross-Origin-Resource-Policy).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), usb=()"
)

# Only behind a proxy that sets X-Forwarded-For itself may it be read (site_shell/client_address.py), and only from a
# peer inside TRUSTED_PROXY_NETWORKS: the visitor is the right-most hop outside those networks.
TRUST_X_FORWARDED_FOR = env("TRUST_X_FORWARDED_FOR")
TRUSTED_PROXY_NETWORKS = env("TRUSTED_PROXY_NETWORKS")
