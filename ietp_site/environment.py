"""Every environment variable the site and its production stack read, each declared once, here.

settings.py reads each of its variables through `read()`: a value that does not fit stops start-up with the
variable's name and what it expects ("DATABASE_CONNECT_TIMEOUT must be a whole number of seconds, got 'abc'").
`.env.example` and `docs/environment.md` are generated from VARIABLES:

    python -m ietp_site.environment --write     # rewrite both files after changing a variable
    python -m ietp_site.environment --check     # exit 1 when either file disagrees (tests/project/ checks too)

Neither needs Django set up, a database or a settings module.
"""

import argparse
import ipaddress
import logging
import os
import re
import sys
import textwrap
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = PROJECT_DIR / ".env.example"
REFERENCE = PROJECT_DIR / "docs" / "environment.md"
GENERATE = "python -m ietp_site.environment --write"


class Unfit(ValueError):
    """A raw value a kind cannot read; `read()` turns it into the message naming the variable."""


# --- Kinds: how a raw value is read, and what an operator is told it must be ------------------------------------


@dataclass(frozen=True)
class Kind:
    expects: str
    parse: Callable[[str], object] = str


def _whole_number(raw):
    try:
        return int(raw)
    except ValueError:
        raise Unfit from None


def _decimal(raw):
    try:
        return float(raw)
    except ValueError:
        raise Unfit from None


TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _bool(raw):
    # Empty is off, as it always was (DEBUG= in a file, or a test passing DEBUG="").
    word = raw.strip().lower()
    if word not in TRUE | FALSE:
        raise Unfit
    return word in TRUE


def _list(raw):
    return [item.strip() for item in raw.split(",") if item.strip()]


def _networks(raw):
    items = _list(raw)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise Unfit from None
    return items


def _email_addresses(raw):
    items = _list(raw)
    for item in items:
        _name, address = parseaddr(item)
        if "@" not in address or " " in address:
            raise Unfit
    return items


def _web_address(raw):
    parts = urlsplit(raw.strip())
    if raw.strip() and (parts.scheme not in {"http", "https"} or not parts.netloc):
        raise Unfit
    return raw


def _redis_url(raw):
    parts = urlsplit(raw.strip())
    if raw.strip() and not (parts.scheme in {"redis", "rediss"} and parts.netloc or parts.scheme == "unix"):
        raise Unfit
    return raw


def _database_url(raw):
    import dj_database_url  # only when settings read it: generating the docs needs no database driver

    try:
        dj_database_url.parse(raw)
    except Exception:  # dj-database-url raises several kinds (unknown scheme, unquoted parts, a bad port)
        raise Unfit from None
    return raw


def _time_zone(raw):
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Unfit from None
    return raw


def _log_level(raw):
    if raw not in logging.getLevelNamesMapping():
        raise Unfit
    return raw


def choice(*options):
    def parse(raw):
        if raw not in options:
            raise Unfit
        return raw

    return Kind(f"one of {', '.join(options)}", parse)


TEXT = Kind("text")
WHOLE_NUMBER = Kind("a whole number", _whole_number)
PORT = Kind("a port number", _whole_number)
SECONDS = Kind("a whole number of seconds", _whole_number)
DECIMAL_SECONDS = Kind("a number of seconds, such as 3 or 0.5", _decimal)
MINUTES = Kind("a whole number of minutes", _whole_number)
DAYS = Kind("a whole number of days", _whole_number)
BYTES = Kind("a whole number of bytes", _whole_number)
SWITCH = Kind("1 or 0 (or true/false, yes/no, on/off)", _bool)
LIST = Kind("a comma-separated list", _list)
NETWORKS = Kind("comma-separated networks in CIDR notation, such as 172.29.22.0/24,::1/128", _networks)
EMAIL_ADDRESSES = Kind(
    "comma-separated email addresses, each name@example.org or Name <name@example.org>", _email_addresses
)
WEB_ADDRESS = Kind("an address starting with https:// or http://", _web_address)
REDIS_URL = Kind("a Redis URL such as redis://redis:6379/0 (or rediss://, unix://), or empty", _redis_url)
DATABASE_URL = Kind(
    "a database URL such as postgres://user:password@host:5432/ietp or sqlite:////srv/ietp.sqlite3", _database_url
)
DIRECTORY = Kind("a directory", Path)
TIME_ZONE = Kind("a time zone name such as Asia/Hong_Kong", _time_zone)
LOG_LEVEL = Kind("a logging level: DEBUG, INFO, WARNING, ERROR or CRITICAL", _log_level)


# --- Sections: one per concern, in the order settings.py, .env.example and docs/environment.md give them --------


@dataclass(frozen=True)
class Section:
    title: str
    intro: str = ""


SITE = Section("The site")
FOOTER = Section("What every page's footer shows", "Each line is shown only when set.")
NEWS = Section("News")
DATABASE = Section("Database")
CACHE = Section("Cache")
MEDIA = Section("Static files, media and uploads")
EMAIL = Section("Email (SMTP)", "With DEBUG=1 emails are printed to the console instead.")
STAFF = Section("Staff security (the admin)")
MEMBERSHIP = Section("Membership applications and the privacy notice")
SUBSCRIPTIONS = Section("Email subscriptions", "Readers who follow the news by email (subscriptions/).")
OPERATIONS = Section("Operations and logging")
HTTPS = Section("HTTPS and proxies")
GUNICORN = Section("gunicorn", "Read by deploy/gunicorn.conf.py (and gunicorn itself), not by the settings.")
POSTGRES = Section("PostgreSQL", "Read by compose.yaml for its db service (and to build DATABASE_URL).")
NGINX = Section("nginx", "Read by compose.yaml for its front service (deploy/nginx/ietp.conf.template).")


# --- The variables ----------------------------------------------------------------------------------------------

UNSET = object()


@dataclass(frozen=True)
class Variable:
    name: str
    kind: Kind
    default: object
    section: Section
    description: str
    # The default on a development machine (DEBUG=1), where it differs.
    development: object = UNSET
    # Unset, the variable takes another variable's value.
    default_from: str = ""
    # The default as docs/environment.md says it, where the value alone says too little.
    default_text: str = ""
    # Production needs it set; .env.example marks it REQUIRED (settings.py refuses to start without SECRET_KEY).
    required: bool = False
    # Its line in .env.example: this value (else the default), commented out with this note when not None
    # (set by compose.yaml itself, or optional).
    example: object = UNSET
    commented: str | None = None
    # settings (ietp_site/settings.py), gunicorn (deploy/gunicorn.conf.py), compose (compose.yaml), boto3.
    read_by: str = "settings"


MB = 1024 * 1024

# One declaration a line or a few, grouped by section: easier to scan than one argument a line.
# fmt: off
VARIABLES = [
    # The site
    Variable(
        "DEBUG", SWITCH, False, SITE,
        "`1` on a development machine only (the make targets set it): development settings, emails printed to the "
        "console. Never in production.",
        example="", commented="never in production",
    ),
    Variable(
        "SECRET_KEY", TEXT, "", SITE,
        "Django's secret key: a long random value, e.g. "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`. Left empty, the site refuses to start "
        "(unless DEBUG=1).",
        required=True, default_text="required (with DEBUG=1, a development-only key)",
    ),
    Variable(
        "SECRET_KEY_FALLBACKS", LIST, [], SITE,
        "While SECRET_KEY is rotated: the previous key(s), comma-separated. What they signed (sessions, preview, "
        "letter-upload and password-reset links) stays valid until they are removed.",
    ),
    Variable(
        "ALLOWED_HOSTS", LIST, [], SITE,
        "The host names the site answers to, comma-separated (without one it answers no request); SERVER_NAMES "
        "lists the same names, space-separated.",
        development=["127.0.0.1", "localhost"], required=True,
        example="ethicaltoyprogram.org,www.ethicaltoyprogram.org",
    ),
    Variable(
        "CSRF_TRUSTED_ORIGINS", LIST, [], SITE,
        "The site's origins that forms may be posted from, comma-separated, e.g. `https://ethicaltoyprogram.org`.",
        example="https://ethicaltoyprogram.org,https://www.ethicaltoyprogram.org",
    ),
    Variable(
        "SITE_URL", WEB_ADDRESS, "", SITE,
        "The public address (scheme, host and port): every absolute link is built on it, never on the Host a "
        "request names: links in emails (password reset, membership), canonical and og:url, feeds, sitemaps. Its "
        "host must be in ALLOWED_HOSTS; `check --deploy` fails without it. Left empty (development only), links "
        "follow the request, and http://127.0.0.1:8000 outside one.",
        required=True, example="https://ethicaltoyprogram.org",
    ),
    Variable(
        "SITE_TIME_ZONE", TIME_ZONE, "Asia/Hong_Kong", SITE,
        "The organisation's time zone: editors enter publication times in it and visitors see dates in it "
        "(Hong Kong's is also mainland China's).",
    ),
    # What every page's footer shows
    Variable("ORGANISATION_EMAIL", TEXT, "", FOOTER, "The organisation's contact email address."),
    Variable("ORGANISATION_ADDRESS", TEXT, "", FOOTER, "The organisation's postal address (line breaks kept)."),
    Variable(
        "WECHAT_ACCOUNT_URL", TEXT, "", FOOTER,
        "The WeChat official account: the address its QR code holds (from the account's admin console); the "
        "footer shows the QR code, rendered by the site.",
    ),
    Variable("WECHAT_ACCOUNT_NAME", TEXT, "", FOOTER, "The WeChat official account's name, shown beside its QR code."),
    Variable(
        "ICP_FILING_NUMBER", TEXT, "", FOOTER,
        "The ICP filing (e.g. `粤ICP备12345678号`) of a site hosted, or served through a CDN, in mainland China; "
        "shown centred at the foot of every page and linked to its register.",
    ),
    Variable(
        "PSB_FILING_NUMBER", TEXT, "", FOOTER,
        "The public-security filing (e.g. `粤公网安备 44030502000001号`), shown beside the ICP filing.",
    ),
    # News
    Variable("PREVIEW_LINK_DAYS", DAYS, 7, NEWS, "How long a story's preview link works, unless revoked sooner."),
    Variable(
        "SEARCHES_PER_MINUTE", WHOLE_NUMBER, 30, NEWS,
        "Searches a client network (IPv4 /24, IPv6 /48) may make in a minute; the next is answered 429.",
    ),
    # Database
    Variable(
        "DATABASE_URL", DATABASE_URL, f"sqlite:///{PROJECT_DIR / 'db.sqlite3'}", DATABASE,
        "The database, e.g. `postgres://user:password@host:5432/ietp` (PostgreSQL in production).",
        default_text="`sqlite:///db.sqlite3` beside the code",
        example="", commented="compose.yaml builds it from the POSTGRES_* lines below",
    ),
    Variable(
        "DATABASE_POOL", SWITCH, True, DATABASE,
        "On PostgreSQL, keep connections warm between requests in psycopg 3's pool, one in each worker.",
    ),
    Variable("CONN_MAX_AGE", SECONDS, 60, DATABASE, "Seconds a database connection is kept when not pooled."),
    Variable(
        "DATABASE_CONNECT_TIMEOUT", SECONDS, 3, DATABASE,
        "Seconds to wait for PostgreSQL to accept a new connection: a request finds the database down within "
        "seconds (and gets the 503 page).",
    ),
    Variable(
        "DATABASE_POOL_TIMEOUT", DECIMAL_SECONDS, 3.0, DATABASE,
        "Seconds a request waits for a pooled connection (and the pool retries a lost one before letting the next "
        "request try afresh); well under gunicorn's 30 s worker timeout.",
    ),
    # Cache
    Variable(
        "REDIS_URL", REDIS_URL, "", CACHE,
        "The shared cache (pages, rate limits), e.g. `redis://redis:6379/0`; unset, a directory of files all "
        "workers on the machine share (CACHE_DIR).",
        default_text="none (files in CACHE_DIR)", example="", commented="compose.yaml: redis://redis:6379/0",
    ),
    Variable(
        "CACHE_DIR", DIRECTORY, ".cache", CACHE, "The file cache's directory, used only without REDIS_URL.",
        example="", commented="only without Redis",
    ),
    Variable(
        "PAGE_CACHE", SWITCH, True, CACHE,
        "Serve visitors' pages from the shared cache (off in development, where templates change under it).",
        development=False,
    ),
    Variable(
        "PAGE_BROWSER_MAX_AGE", SECONDS, 0, CACHE,
        "Seconds a visitor's browser may cache a public page without asking again. By default it revalidates every "
        "visit (and gets a 304 from the site's cache), so an editor's change shows at once.",
    ),
    Variable(
        "PAGE_SHARED_MAX_AGE", SECONDS, 60, CACHE,
        "Seconds a CDN or the front web server may cache a public page (`Cache-Control: s-maxage`).",
    ),
    Variable(
        "PAGE_STALE_WHILE_REVALIDATE", SECONDS, 300, CACHE,
        "Seconds a CDN or the front web server may go on serving a page while it fetches a fresh one "
        "(`Cache-Control: stale-while-revalidate`).",
    ),
    Variable(
        "PAGE_CACHE_SECONDS", SECONDS, 3600, CACHE,
        "Longest life of a page in the site's cache (it is replaced at once when content changes).",
    ),
    Variable(
        "RELEASE_ID", TEXT, "", CACHE,
        "Names the deployed release for people (an image tag, a commit); compose.yaml tags the image "
        "`ietp-site:RELEASE_ID`. Cached pages are keyed by the release digest (operations/release.py), not this name.",
        example="latest",
    ),
    # Static files, media and uploads
    Variable(
        "STATIC_ROOT", DIRECTORY, "staticfiles", MEDIA, "Where `manage.py collectstatic` puts the static files.",
        example="", commented="the image's /app/staticfiles",
    ),
    Variable(
        "MEDIA_ROOT", DIRECTORY, "media", MEDIA,
        "Where uploaded media live (a mounted volume in production), unless MEDIA_STORAGE is `s3`.",
        example="", commented="compose.yaml: the media volume, /srv/media",
    ),
    Variable(
        "PRIVATE_MEDIA_ROOT", DIRECTORY, "private-media", MEDIA,
        "Where membership applicants' signed letters are kept, and uploaded images wait to be processed, unless "
        "MEDIA_STORAGE is `s3`: private, never served at a URL; staff download letters through the admin.",
        example="", commented="compose.yaml: the private-media volume, /srv/private-media",
    ),
    Variable(
        "MEDIA_STORAGE", choice("filesystem", "s3"), "filesystem", MEDIA,
        "Where uploaded files live: `filesystem` (MEDIA_ROOT and PRIVATE_MEDIA_ROOT, on this machine) or `s3`, two "
        "buckets of an S3-compatible service (the AWS_* variables), which lets the site run on more than one "
        "machine.",
    ),
    Variable(
        "AWS_STORAGE_BUCKET_NAME", TEXT, "", MEDIA,
        "With MEDIA_STORAGE=s3: the media bucket (required then); its policy lets anyone read AWS_LOCATION's files.",
        commented="",
    ),
    Variable(
        "AWS_PRIVATE_BUCKET_NAME", TEXT, "", MEDIA,
        "With MEDIA_STORAGE=s3: the private bucket for membership letters (required then), another bucket than the "
        "media's, readable by the site's key only; staff download letters through the admin, never from the bucket.",
        commented="",
    ),
    Variable(
        "AWS_PRIVATE_OBJECT_ACL", SWITCH, False, MEDIA,
        "With MEDIA_STORAGE=s3: also mark each private object `private` by its ACL. Only where the bucket uses "
        "ACLs: AWS buckets made since April 2023 refuse them (AccessControlListNotSupported); the bucket is private "
        "either way.",
        commented="",
    ),
    Variable(
        "AWS_ACCESS_KEY_ID", TEXT, "", MEDIA, "With MEDIA_STORAGE=s3: the access key (read by boto3 itself).",
        commented="", read_by="boto3",
    ),
    Variable(
        "AWS_SECRET_ACCESS_KEY", TEXT, "", MEDIA, "With MEDIA_STORAGE=s3: the secret key (read by boto3 itself).",
        commented="", read_by="boto3",
    ),
    Variable(
        "AWS_S3_ENDPOINT_URL", WEB_ADDRESS, "", MEDIA,
        "With MEDIA_STORAGE=s3: the address of an S3-compatible service other than AWS's.",
        default_text="AWS", commented="",
    ),
    Variable(
        "AWS_S3_REGION_NAME", TEXT, "", MEDIA, "With MEDIA_STORAGE=s3: the bucket's region.",
        default_text="the service's default", commented="",
    ),
    Variable(
        "AWS_S3_CUSTOM_DOMAIN", TEXT, "", MEDIA,
        "With MEDIA_STORAGE=s3: a domain (a CDN's) that serves the bucket's files, used in their addresses.",
        default_text="the bucket's own", commented="",
    ),
    Variable(
        "AWS_LOCATION", TEXT, "media", MEDIA, "With MEDIA_STORAGE=s3: the folder in the bucket that holds media.",
        example="", commented="",
    ),
    Variable(
        "REQUEST_BODY_MAX_BYTES", BYTES, 1 * MB, MEDIA,
        "Largest request body accepted anywhere but the membership form and the admin (refused with 413 before "
        "it is read).",
    ),
    Variable(
        "STAFF_REQUEST_MAX_BYTES", BYTES, 100 * MB, MEDIA,
        "Largest post by staff in the admin (an image of up to 15 MB and documents of up to 25 MB each); nginx "
        "allows 100 MB under the admin.",
    ),
    Variable(
        "FILE_UPLOAD_TEMP_DIR", TEXT, "", MEDIA,
        "Where uploads larger than 2.5 MB wait while a request is handled.",
        default_text="the system's temporary directory", commented="the system's temporary directory",
    ),
    # Email
    Variable(
        "EMAIL_HOST", TEXT, "localhost", EMAIL, "The SMTP server that sends the site's emails.",
        example="smtp.example.org",
    ),
    Variable("EMAIL_PORT", PORT, 587, EMAIL, "The SMTP server's port."),
    Variable("EMAIL_HOST_USER", TEXT, "", EMAIL, "The SMTP account's user name."),
    Variable(
        "EMAIL_HOST_PASSWORD", TEXT, "", EMAIL,
        "The SMTP account's password: REQUIRED if the SMTP server asks for one.",
    ),
    Variable("EMAIL_USE_TLS", SWITCH, True, EMAIL, "Speak TLS (STARTTLS) to the SMTP server."),
    Variable(
        "EMAIL_TIMEOUT", SECONDS, 10, EMAIL,
        "Seconds each wait for the SMTP server may take. A worker sends right after its response, so this stays "
        "below gunicorn's 30 s worker timeout.",
        example="20",
    ),
    Variable(
        "DEFAULT_FROM_EMAIL", TEXT, "ICTI Ethical Toy Program <no-reply@ethicaltoyprogram.org>", EMAIL,
        "The sender of the site's emails (error reports to ADMINS too).",
    ),
    # Staff security
    Variable(
        "ADMIN_URL", TEXT, "admin/", STAFF,
        "The admin's path, e.g. `office-7f3a/` (also under `/zh/`); nginx allows larger uploads there.",
    ),
    Variable(
        "ADMIN_REQUIRE_2FA_FOR_SUPERUSERS", SWITCH, True, STAFF,
        "Superusers must give a code from an authenticator app after their password (they set one up at their "
        "first login); other staff may choose to.",
        development=False,
    ),
    Variable(
        "STAFF_SESSION_IDLE_MINUTES", MINUTES, 600, STAFF,
        "A staff member's session ends after this long without a request (a working day); it also ends when their "
        "password changes.",
    ),
    Variable(
        "AXES_FAILURE_LIMIT", WHOLE_NUMBER, 5, STAFF,
        "Failed admin logins that lock a username-and-address pair out.",
    ),
    Variable(
        "AXES_COOLOFF_MINUTES", MINUTES, 15, STAFF, "How long a lock-out lasts after the last failed login.",
    ),
    Variable(
        "ADMIN_LOGIN_FAILURES_PER_ADDRESS", WHOLE_NUMBER, 10, STAFF,
        "Failed admin logins, whatever the usernames, after which one address is refused for the cool-off time.",
    ),
    # Membership applications and the privacy notice
    Variable(
        "MEMBERSHIP_NOTIFY_EMAILS", EMAIL_ADDRESSES, [], MEMBERSHIP,
        "Staff addresses told of each new application, comma-separated.",
    ),
    Variable(
        "MEMBERSHIP_MIN_SECONDS_TO_SUBMIT", SECONDS, 4, MEMBERSHIP,
        "A form sent faster than this after it was shown is taken for a bot.",
    ),
    Variable(
        "MEMBERSHIP_SUBMISSIONS_PER_IP", WHOLE_NUMBER, 10, MEMBERSHIP,
        "Applications accepted per address per hour.",
    ),
    Variable(
        "MEMBERSHIP_POSTS_PER_IP", WHOLE_NUMBER, 60, MEMBERSHIP,
        "Form posts per address per hour, mistakes included: a ceiling a buyer correcting their answers, or an "
        "office behind one address, does not reach.",
    ),
    Variable(
        "MEMBERSHIP_EMAIL_MAX_ATTEMPTS", WHOLE_NUMBER, 10, MEMBERSHIP,
        "Tries of one membership email before the resend command leaves it for staff (shown failed on the "
        "application's timeline).",
    ),
    Variable(
        "MEMBERSHIP_REQUEST_MAX_BYTES", BYTES, 12 * MB, MEMBERSHIP,
        "Largest membership form post (a 10 MB letter and the answers); nginx allows 12 MB.",
    ),
    Variable(
        "MEMBERSHIP_RETAIN_APPROVED_DAYS", DAYS, 730, MEMBERSHIP,
        "Days an applicant's personal data is kept after approval, before `manage.py purge_membership_data` "
        "erases it.",
    ),
    Variable(
        "MEMBERSHIP_RETAIN_DECLINED_DAYS", DAYS, 180, MEMBERSHIP,
        "Days an applicant's personal data is kept after a decline or withdrawal, before "
        "`manage.py purge_membership_data` erases it.",
    ),
    Variable(
        "PRIVACY_CONTROLLER_NAME", TEXT, "ICTI Ethical Toy Program (IETP)", MEMBERSHIP,
        "Who holds applicants' data, as the privacy notice (/privacy/) names them.",
    ),
    Variable(
        "PRIVACY_CONTACT_EMAIL", TEXT, "", MEMBERSHIP,
        "Where applicants ask about, or ask to erase, their data (the privacy notice).",
        default_from="ORGANISATION_EMAIL", commented="default: ORGANISATION_EMAIL",
    ),
    Variable(
        "PRIVACY_CONTACT_ADDRESS", TEXT, "", MEMBERSHIP,
        "The postal address for the same (line breaks kept).",
        default_from="ORGANISATION_ADDRESS", commented="default: ORGANISATION_ADDRESS",
    ),
    Variable(
        "PRIVACY_STORAGE_LOCATION", TEXT, "", MEMBERSHIP,
        "Where the data is stored, as the privacy notice says it (\"Hong Kong\"; \"Frankfurt, Germany\").",
        default_text='none ("on servers the programme runs itself")',
    ),
    # Email subscriptions
    Variable(
        "SUBSCRIPTION_EMAILS_PER_MINUTE", WHOLE_NUMBER, 300, SUBSCRIPTIONS,
        "Story emails the worker sends a minute, at most: a send to many subscribers is spread out so that the "
        "mail server (and its reputation with the receiving servers) is not flooded.",
    ),
    Variable(
        "SUBSCRIPTION_REQUESTS_PER_HOUR", WHOLE_NUMBER, 20, SUBSCRIPTIONS,
        "Subscription requests a client network (IPv4 /24, IPv6 /48) may make in an hour; the next is answered 429.",
    ),
    Variable(
        "SUBSCRIPTION_UNSUBSCRIBE_MAILTO", TEXT, "", SUBSCRIPTIONS,
        "Optional: an address whose mailbox staff read, offered in List-Unsubscribe beside the one-click link "
        "(mail to it is handled by hand: mark the address as left in the admin).",
    ),
    # Operations and logging
    Variable("LOG_LEVEL", LOG_LEVEL, "INFO", OPERATIONS, "The lowest level of the events logged."),
    Variable(
        "LOG_FORMAT", choice("text", "json"), "text", OPERATIONS,
        "`json`: one JSON object per log line, for a log collector; `text`: plain lines.",
        example="json",
    ),
    Variable(
        "ADMINS", EMAIL_ADDRESSES, [], OPERATIONS,
        "Who is emailed each server error, e.g. `Ops Team <ops@example.org>, Li Wei <li@example.org>`; the 500 "
        "page says operators were told only when it is set.",
    ),
    Variable(
        "BACKUP_DIR", DIRECTORY, "backups", OPERATIONS, "Where `manage.py backup` writes its archives.",
        example="", commented="compose.yaml: the backups volume, /srv/backups",
    ),
    Variable(
        "BACKUP_KEEP", WHOLE_NUMBER, 14, OPERATIONS, "How many of the newest archives `manage.py backup` keeps.",
        commented="",
    ),
    # HTTPS and proxies
    Variable(
        "SECURE_SSL_REDIRECT", SWITCH, True, HTTPS,
        "Redirect HTTP to HTTPS (behind a proxy that sends `X-Forwarded-Proto`).",
        development=False,
    ),
    Variable(
        "SECURE_HSTS_SECONDS", SECONDS, 31536000, HTTPS,
        "Seconds browsers must come back over HTTPS only (`Strict-Transport-Security`).",
        development=0,
    ),
    Variable("SECURE_HSTS_INCLUDE_SUBDOMAINS", SWITCH, True, HTTPS, "HSTS covers the subdomains too."),
    Variable(
        "SECURE_HSTS_PRELOAD", SWITCH, True, HTTPS, "HSTS asks browsers to preload the site.", development=False,
    ),
    Variable(
        "TRUST_X_FORWARDED_FOR", SWITCH, False, HTTPS,
        "Take the visitor's address from `X-Forwarded-For` when the peer is a proxy of ours (in "
        "TRUSTED_PROXY_NETWORKS): the right-most hop outside those networks. From any other peer the header is "
        "ignored.",
        example="", commented="compose.yaml: 1, nginx sets the header",
    ),
    Variable(
        "TRUSTED_PROXY_NETWORKS", NETWORKS, ["127.0.0.1/32", "::1/128"], HTTPS,
        "The networks of the proxies in front of the site (nginx; a CDN's published ranges too, if there is one): "
        "only a peer inside them may tell the visitor's address, and hops inside them are skipped. Keep them "
        "narrow: anyone inside can name any address.",
        example="", commented="compose.yaml: 172.29.22.0/24, the compose network front reaches web on",
    ),
    # gunicorn
    Variable(
        "WEB_CONCURRENCY", WHOLE_NUMBER, 3, GUNICORN,
        "Workers per web container: about 2 per CPU core; scale containers with "
        "`docker compose up -d --scale web=N`.",
        read_by="gunicorn",
    ),
    Variable(
        "GUNICORN_TIMEOUT", SECONDS, 30, GUNICORN,
        "A request taking longer is killed; every slow thing in a request (database, cache, mail) gives up sooner.",
        read_by="gunicorn",
    ),
    Variable(
        "FORWARDED_ALLOW_IPS", TEXT, "127.0.0.1", GUNICORN,
        "Whose `X-Forwarded-Proto` gunicorn believes: the front server's address.",
        example="", commented="compose.yaml: *, only front reaches web", read_by="gunicorn",
    ),
    Variable(
        "GUNICORN_BIND", TEXT, "0.0.0.0:8000", GUNICORN, "The address gunicorn listens on.",
        commented="", read_by="gunicorn",
    ),
    Variable(
        "GUNICORN_GRACEFUL_TIMEOUT", SECONDS, 20, GUNICORN,
        "Seconds a worker has to finish its requests when it is stopped.",
        commented="", read_by="gunicorn",
    ),
    Variable(
        "GUNICORN_MAX_REQUESTS", WHOLE_NUMBER, 0, GUNICORN,
        "Requests after which a worker is replaced by a fresh one; 0, never. Each replacement costs a worker's start "
        "(bench/README.md measured no leak to stop): set it only if workers' memory grows.",
        commented="", read_by="gunicorn",
    ),
    # PostgreSQL
    Variable("POSTGRES_DB", TEXT, "", POSTGRES, "The database's name.", required=True, example="ietp",
             read_by="compose"),
    Variable("POSTGRES_USER", TEXT, "", POSTGRES, "The database's user.", required=True, example="ietp",
             read_by="compose"),
    Variable(
        "POSTGRES_PASSWORD", TEXT, "", POSTGRES,
        "The database user's password: letters and digits only (it is written into the database URL).",
        required=True, read_by="compose",
    ),
    # nginx
    Variable(
        "SERVER_NAMES", TEXT, "", NGINX, "The host names the site answers to, space-separated.",
        required=True, example="ethicaltoyprogram.org www.ethicaltoyprogram.org", read_by="compose",
    ),
    Variable("HTTP_PORT", PORT, 80, NGINX, "The port plain HTTP is published on.", read_by="compose"),
    Variable("HTTPS_PORT", PORT, 443, NGINX, "The port HTTPS is published on.", read_by="compose"),
    Variable(
        "TLS_CERTS_DIR", TEXT, "./certs", NGINX, "A directory holding `fullchain.pem` and `privkey.pem`.",
        read_by="compose",
    ),
]
# fmt: on
BY_NAME = {variable.name: variable for variable in VARIABLES}
SECTIONS = list(dict.fromkeys(variable.section for variable in VARIABLES))


# --- Reading ----------------------------------------------------------------------------------------------------


def read(name, environ=None):
    """The value of environment variable `name`, read as its declaration says, or its default when unset."""
    environ = os.environ if environ is None else environ
    variable = BY_NAME[name]
    if name not in environ:
        if variable.default_from:
            return read(variable.default_from, environ)
        if variable.development is not UNSET and read("DEBUG", environ):
            return variable.development
        if variable.kind is DIRECTORY:
            return PROJECT_DIR / variable.default
        return variable.default
    raw = environ[name]
    try:
        return variable.kind.parse(raw)
    except Unfit:
        # A database or Redis URL may hold a password: the message, which ends up in logs, leaves it out.
        shown = re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", raw)
        raise ImproperlyConfigured(f"{name} must be {variable.kind.expects}, got {shown!r}") from None


# --- Writing .env.example and docs/environment.md ---------------------------------------------------------------


def as_environment_text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def comment(text, width=118):
    return [f"# {line}" for line in textwrap.wrap(text, width - 2, break_on_hyphens=False)]


def env_example():
    lines = [
        "# The production stack's settings (compose.yaml reads them; docs/environment.md describes each).",
        "# Copy to .env (never committed), then set at least every line marked REQUIRED.",
        '# Lines starting with "# NAME=" are set by compose.yaml itself, or optional; they are here to be complete.',
        f"# Generated from ietp_site/environment.py by `{GENERATE}`:",
        "# change a variable there, not here.",
    ]
    for section in SECTIONS:
        lines += ["", f"# --- {section.title} ---", *comment(section.intro)]
        for variable in (variable for variable in VARIABLES if variable.section is section):
            required = "REQUIRED. " if variable.required else ""
            lines += comment(required + variable.description.replace("`", ""))
            value = variable.example if variable.example is not UNSET else as_environment_text(variable.default)
            if variable.commented is None:
                lines.append(f"{variable.name}={value}")
            else:
                note = f"  ({variable.commented})" if variable.commented else ""
                lines.append(f"# {variable.name}={value}{note}")
    return "\n".join(lines) + "\n"


def default_in_docs(variable):
    def shown(value):
        if isinstance(value, bool):
            return "on" if value else "off"
        if value in ("", []):
            return "none"
        if variable.kind is BYTES:
            return f"`{value}` ({value / MB:g} MB)"
        if variable.kind is DIRECTORY:
            return f"`{value}/` beside the code"
        return f"`{as_environment_text(value)}`"

    if variable.default_text:
        return variable.default_text
    if variable.default_from:
        return f"the value of {variable.default_from}"
    text = "required" if variable.required else shown(variable.default)
    if variable.development is not UNSET:
        text += f" ({shown(variable.development)} with DEBUG=1)"
    return text


def reference():
    def cell(text):
        # Outside `code`, a <name@example.org> would be taken for an HTML tag or a link.
        parts = text.replace("|", "\\|").split("`")
        return "`".join(part if index % 2 else part.replace("<", "&lt;") for index, part in enumerate(parts))

    lines = [
        "# Environment variables",
        "",
        "Everything that differs between one installation and another comes from environment variables: the site's",
        "settings (`ietp_site/settings.py`), gunicorn's (`deploy/gunicorn.conf.py`) and the production stack's",
        "(`compose.yaml`, which reads them from `.env`; copy `.env.example` to start). Defaults are safe for",
        "production: DEBUG is off unless `DEBUG=1`. A value that does not fit stops start-up with the variable's name",
        "and what it expects, e.g. `DATABASE_CONNECT_TIMEOUT must be a whole number of seconds, got 'abc'`.",
        "",
        f"Generated from `ietp_site/environment.py` by `{GENERATE}`, with `.env.example`: change a",
        "variable there, not here (tests/project/test_environment.py fails when the three disagree).",
    ]
    for section in SECTIONS:
        lines += ["", f"## {section.title}", ""]
        if section.intro:
            lines += [section.intro, ""]
        lines += ["| variable | default | what it does |", "| --- | --- | --- |"]
        for variable in (variable for variable in VARIABLES if variable.section is section):
            does = variable.description
            if variable.kind is not TEXT:
                does += f" Expects {variable.kind.expects}."
            lines.append(f"| `{variable.name}` | {cell(default_in_docs(variable))} | {cell(does)} |")
    return "\n".join(lines) + "\n"


GENERATED = {ENV_EXAMPLE: env_example, REFERENCE: reference}


def stale_files():
    return [path for path, render in GENERATED.items() if not path.exists() or path.read_text() != render()]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m ietp_site.environment", description="Generate .env.example and docs/environment.md."
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite both files from the list of variables")
    action.add_argument("--check", action="store_true", help="exit 1 if either file disagrees with the list")
    arguments = parser.parse_args(argv)
    if arguments.write:
        for path, render in GENERATED.items():
            path.write_text(render())
        return 0
    stale = stale_files()
    for path in stale:
        print(f"{path.relative_to(PROJECT_DIR)} disagrees with ietp_site/environment.py: run {GENERATE}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
