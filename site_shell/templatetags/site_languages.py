from urllib.parse import urlencode, urlsplit

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from parler.models import TranslatableModel
from parler.templatetags.parler_tags import get_translated_url

from site_shell.languages import site_language
from site_shell.site_address import canonical_address, page_number_of

register = template.Library()


class LanguageVersions(list):
    """The page in each language (dicts, in the site's language order), and which of them search engines index.

    `shown` is the version whose language the page's text is in: the current one, or on a fallback page (a story
    not written in the page's language, shown in another inside this language's frame) the one it falls back to,
    which is then `fallback` too. A fallback page is a duplicate of that version: its canonical address is the
    version's, it is not indexed, and it lists the version's own hreflang set. `x_default` is the version for
    readers of any other language: the default language's, else the first that exists."""

    def __init__(self, versions, fallback_codes):
        super().__init__(versions)
        current = next(version for version in versions if version["is_current"])
        existing = [version for version in versions if version["exists"]]
        by_code = {version["language"].code: version for version in existing}
        self.fallback = None
        if not current["exists"]:
            self.fallback = next((by_code[code] for code in fallback_codes if code in by_code), None)
        self.shown = self.fallback or current
        self.x_default = next((version for version in existing if version["is_default"]), None) or next(
            iter(existing), None
        )


@register.simple_tag(takes_context=True)
def language_versions(context):
    """This page in every language, for the language switch and the hreflang links (LanguageVersions).

    parler finds each language's address (a story has its own slug in each). A translated object on
    the page (a story) exists only in the languages it is written in, for hreflang. The hreflang addresses are
    canonical ones (canonical_address): the path, with the page number past the first page, nothing else; the
    switch keeps what decides the page too (switch_url): a search stays the same search.
    """
    request = context["request"]
    page_object = context.get("object")
    current = translation.get_language()
    page_number = page_number_of(context)
    versions = []
    for code, _name in settings.LANGUAGES:
        try:
            url = get_translated_url(context, code)
        except NoReverseMatch:  # a view that cannot be named (the admin's catch-all, on a 404)
            url = None
        if not url:  # A page that resolves to no view: offer the home page in that language.
            with translation.override(code):
                url = reverse("home")
        language = site_language(code)
        versions.append(
            {
                "language": language,
                "name": translation.get_language_info(code)["name_local"],
                "url": switch_url(url, request, page_number),
                "absolute_url": canonical_address(request, urlsplit(url).path, page_number),
                "is_current": code == current,
                "is_default": code == settings.LANGUAGE_CODE,  # hreflang="x-default"
                "exists": not isinstance(page_object, TranslatableModel) or page_object.has_translation(code),
            }
        )
    is_translated = isinstance(page_object, TranslatableModel)
    return LanguageVersions(versions, page_object.get_fallback_languages() if is_translated else [])


def switch_url(url, request, page_number):
    """Where the language switch leads: the page in that language with what decides it, a search's words and page
    as asked, or a list's page number as read; nothing else the address carried (utm_source, or whatever a visitor
    typed), which a page shared through the caches would hand on to every reader."""
    return urlsplit(url).path + switch_query(request, page_number)


def switch_query(request, page_number):
    """The query string (with its "?", or empty) switch_url keeps: the search page's cached shell puts it in too."""
    if "q" in request.GET:
        query = {name: request.GET[name] for name in ("q", "page") if name in request.GET}
    else:
        query = {"page": page_number} if page_number > 1 else {}
    return f"?{urlencode(query)}" if query else ""


@register.simple_tag
def site_languages():
    """Every language of the site, default first (for pages rendered in all of them, like the error page)."""
    return [site_language(code) for code, _name in settings.LANGUAGES]
