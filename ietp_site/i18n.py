"""Language prefixes in URLs: English at the root, Simplified Chinese under /zh/.

Django names the language "zh-hans" (its translations live in locale/zh_Hans), but the
current site's Chinese pages live under /zh/, and shared links must keep working.
Django's LocaleMiddleware already activates zh-hans for a /zh/ path, since it accepts
a generic code for a supported variant; only the prefix itself needs renaming.
"""

from django.conf import settings
from django.urls import URLResolver
from django.urls.resolvers import LocalePrefixPattern
from django.utils.translation import get_language

URL_PREFIXES = {"zh-hans": "zh"}


class ShortLocalePrefixPattern(LocalePrefixPattern):
    @property
    def language_prefix(self):
        language_code = get_language() or settings.LANGUAGE_CODE
        if language_code == settings.LANGUAGE_CODE and not self.prefix_default_language:
            return ""
        return f"{URL_PREFIXES.get(language_code, language_code)}/"


def i18n_patterns(*urls):
    """Like django.conf.urls.i18n.i18n_patterns without a prefix for English."""
    return [URLResolver(ShortLocalePrefixPattern(prefix_default_language=False), list(urls))]
