"""Which release of the site is running: a digest of what it draws pages from (its code, templates, translations,
pinned dependencies, and the settings that change markup). Fragments kept in the shared cache carry it in their
keys, so a new release never shows what an old one drew."""

import functools
import hashlib

from django.conf import settings

DRAWN_FROM = ["pyproject.toml", "base", "news", "membership", "ietp_site", "templates", "locale"]
SUFFIXES = {".toml", ".py", ".html", ".txt", ".xml", ".mo"}


@functools.cache
def release_digest():
    digest = hashlib.blake2b(digest_size=8)
    for name in DRAWN_FROM:
        root = settings.BASE_DIR / name
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.suffix in SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(settings.BASE_DIR)).encode() + b"\0" + path.read_bytes())
    markup_settings = [settings.TIME_ZONE, settings.MEDIA_URL, settings.STORAGES["default"]]
    digest.update(repr(markup_settings).encode())
    return digest.hexdigest()
