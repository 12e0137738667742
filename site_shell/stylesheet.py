"""The site's stylesheet, written into every page's <head> (templates/base.html) rather than linked: a phone draws the
page from its first response instead of waiting for a second one (Lighthouse counted 70–220 ms of render-blocking on
mobile). Compressed with the page it adds about 5 KB to each; the stylesheet it replaces cost a first visit a round
trip (bench/README.md, "Render-blocking stylesheet").

The Content-Security-Policy allows this one <style> element by its hash (site_shell/middleware.py), never by
'unsafe-inline'. Read once per process from static/css/site.css, which stays the file its editors and the CSS checker
read, without its comments and indentation; with DEBUG on, read again whenever the file changes.
"""

import base64
import functools
import hashlib
import os
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.staticfiles import finders

SITE_STYLESHEET = "css/site.css"

# A string (kept as it is), or a run of whitespace and comments, with the punctuation it surrounds if any.
GAP = r"(?:\s|/\*.*?\*/)"
CSS_TOKENS = re.compile(rf"""("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|{GAP}*([{{}};,]){GAP}*|{GAP}+""", re.DOTALL)


@dataclass(frozen=True)
class InlineStylesheet:
    css: str
    # The policy's source for a <style> element holding exactly `css`.
    csp_source: str


def minified(css):
    """`css` without comments, and with whitespace only where the grammar needs it (strings kept as written)."""
    return CSS_TOKENS.sub(lambda match: match[1] or match[2] or " ", css).strip()


def inline_stylesheet(css):
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return InlineStylesheet(css=css, csp_source=f"'sha256-{digest}'")


@functools.cache
def stylesheet_path():
    return finders.find(SITE_STYLESHEET)


@functools.lru_cache(maxsize=1)
def read_stylesheet(path, _modified):
    with open(path, encoding="utf-8") as file:
        return inline_stylesheet(minified(file.read()))


def site_stylesheet():
    """The stylesheet every public page holds in its <head>, with its hash for the Content-Security-Policy."""
    path = stylesheet_path()
    return read_stylesheet(path, os.stat(path).st_mtime_ns if settings.DEBUG else None)
