"""The site's languages: how each appears in URLs, in HTML and to readers.

Django knows a language by its code in settings.LANGUAGES ("zh-hans"); the rest of what the site
needs to know about it is here, once. English lives at the root and Chinese under /zh/, where the
old site had its Chinese pages and where shared links point. Adding a language: README.md, "Where
each kind of change goes".
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import URLResolver
from django.urls.resolvers import LocalePrefixPattern
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class SiteLanguage:
    code: str  # Django's code, as in settings.LANGUAGES and the translations tables
    url_prefix: str  # the first segment of its URLs; the default language has none
    html_code: str  # BCP 47, for lang="" and hreflang=""
    switch_label: str  # how the language switch names it, in the language itself
    only_in_label: Promise  # the label of a story written in this language only
    og_locale: str  # as Open Graph names the locale of a page, for link cards

    def __str__(self):
        return self.html_code


SITE_LANGUAGES = {
    language.code: language
    for language in [
        SiteLanguage("en", "en", "en", "EN", _("In English only"), "en_US"),
        SiteLanguage("zh-hans", "zh", "zh-Hans", "中文", _("In Chinese only"), "zh_CN"),
    ]
}


def site_language(code=None):
    """The SiteLanguage for a Django language code, by default the active one."""
    return SITE_LANGUAGES[code or translation.get_language() or settings.LANGUAGE_CODE]


class ShortLocalePrefixPattern(LocalePrefixPattern):
    """Django's language prefix, spelt as the site spells it ("/zh/", not "/zh-hans/").

    LocaleMiddleware already activates zh-hans for a /zh/ path, since it accepts a generic code
    for a supported variant; only the prefix itself needs renaming.
    """

    @property
    def language_prefix(self):
        language_code = translation.get_language() or settings.LANGUAGE_CODE
        if language_code == settings.LANGUAGE_CODE and not self.prefix_default_language:
            return ""
        return f"{site_language(language_code).url_prefix}/"


def i18n_patterns(*urls):
    """Like django.conf.urls.i18n.i18n_patterns, without a prefix for the default language."""
    return [URLResolver(ShortLocalePrefixPattern(prefix_default_language=False), list(urls))]
