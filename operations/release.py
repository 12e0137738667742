"""The release digest: one fingerprint of what the running site renders pages from, computed once at start-up
(operations/apps.py). Every key of a rendered page or fragment in the shared cache holds it (caching/page_cache.py,
caching/fragments.py), so a release never serves what the previous one rendered: not after a change to the
code alone, nor to a translation alone.

What it digests, by content (never by date, so that every server of one release agrees):
- the site's own apps and its configuration package (ietp_site): Python code, templates, translations, static files;
- the project's templates, compiled translations (.mo) and static files (TEMPLATES DIRS, LOCALE_PATHS,
  STATICFILES_DIRS): a static file's content names its address in production (hashed by the manifest);
- pyproject.toml, which pins the libraries (Django's admin, parler...) whose templates and translations render too;
- the settings that change the markup or the headers cached with a page (MARKUP_SETTINGS).
RELEASE_ID only names the release (in the logs and on /healthz); it decides no key.
"""

import functools
import hashlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils.functional import Promise

# Read by templates, context processors and the views of cached pages, or sent in the headers cached with them.
MARKUP_SETTINGS = [
    "DEBUG",
    "LANGUAGE_CODE",
    "LANGUAGES",
    "PARLER_LANGUAGES",
    "TIME_ZONE",
    "STATIC_URL",
    "MEDIA_URL",
    "MEDIA_STORAGE",
    "ORGANISATION_EMAIL",
    "ORGANISATION_ADDRESS",
    "WECHAT_ACCOUNT_NAME",
    "WECHAT_ACCOUNT_URL",
    "ICP_FILING_NUMBER",
    "PSB_FILING_NUMBER",
    "PRIVACY_CONTROLLER_NAME",
    "PRIVACY_CONTACT_EMAIL",
    "PRIVACY_CONTACT_ADDRESS",
    "PRIVACY_STORAGE_LOCATION",
    "MEMBERSHIP_RETAIN_APPROVED_DAYS",
    "MEMBERSHIP_RETAIN_DECLINED_DAYS",
    "PAGE_BROWSER_MAX_AGE",
    "PAGE_SHARED_MAX_AGE",
    "PAGE_STALE_WHILE_REVALIDATE",
]
# Files that render nothing: bytecode, uncompiled translations (the .mo is what runs), notes.
IGNORED_SUFFIXES = {".pyc", ".po", ".pot", ".md"}


def release_inputs():
    """The files and folders pages are rendered from, and the markup-changing settings with their values."""
    root = Path(settings.BASE_DIR)
    # The project's own apps; libraries (even in a .venv under the project) are named by pyproject.toml's pins.
    local_apps = [
        Path(app.path)
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(root) and "site-packages" not in Path(app.path).relative_to(root).parts
    ]
    configuration = root / settings.SETTINGS_MODULE.split(".")[0]
    folders = [root / "pyproject.toml", configuration, *local_apps]
    for template_engine in settings.TEMPLATES:
        folders += [Path(folder) for folder in template_engine.get("DIRS", [])]
    folders += [Path(folder) for folder in [*settings.LOCALE_PATHS, *settings.STATICFILES_DIRS]]
    markup = {name: getattr(settings, name, None) for name in MARKUP_SETTINGS}
    markup["STORAGES"] = {alias: settings.STORAGES[alias] for alias in ("default", "staticfiles")}
    return sorted(set(folders)), markup


def digest_of(folders, markup, root):
    """A short hex digest of every file under `folders` (named relative to `root`) and the `markup` settings."""
    digest = hashlib.blake2b(digest_size=8)
    for folder in folders:
        for path in sorted([folder] if folder.is_file() else folder.rglob("*")):
            if path.is_file() and path.suffix not in IGNORED_SUFFIXES and "__pycache__" not in path.parts:
                name = path.relative_to(root) if path.is_relative_to(root) else path
                digest.update(str(name).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(stable_repr(markup).encode())
    return digest.hexdigest()


def stable_repr(value):
    """repr() that is the same in every process: a lazy translation's repr names its address in memory."""
    if isinstance(value, dict):
        items = sorted((stable_repr(key), stable_repr(item)) for key, item in value.items())
        return "{" + ", ".join(f"{key}: {item}" for key, item in items) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        items = [stable_repr(item) for item in value]
        return "[" + ", ".join(sorted(items) if isinstance(value, set | frozenset) else items) + "]"
    if isinstance(value, Promise):
        return repr(str(value))
    return repr(value)


@functools.cache
def release_digest():
    """The running release's digest: computed once per process (the files do not change under it)."""
    folders, markup = release_inputs()
    return digest_of(folders, markup, Path(settings.BASE_DIR))
