"""The admin's one inline script, allowed by its hash rather than by 'unsafe-inline' or a nonce.

django-prose-editor's import map (<script type="importmap">) maps the editor's module names to its static files.
Its text depends only on the static files' addresses, so its hash is computed once per process, exactly as the
admin renders it.
"""

import base64
import functools
import hashlib
import re

from django_prose_editor.widgets import prose_editor_base_media

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


@functools.cache
def inline_script_hashes():
    rendered = str(prose_editor_base_media)
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in INLINE_SCRIPT.findall(rendered)
    ]
