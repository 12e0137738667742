from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from parler.models import TranslatableModel
from parler.templatetags.parler_tags import get_translated_url

from site_shell.languages import site_language

register = template.Library()


@register.simple_tag(takes_context=True)
def language_versions(context):
    """This page in every language, for the language switch and the hreflang links.

    parler finds each language's address (a story has its own slug in each). A translated object on
    the page (a story) exists only in the languages it is written in, for hreflang.
    """
    request = context["request"]
    page_object = context.get("object")
    current = translation.get_language()
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
                "url": url,
                "absolute_url": request.build_absolute_uri(url),
                "is_current": code == current,
                "is_default": code == settings.LANGUAGE_CODE,  # hreflang="x-default"
                "exists": not isinstance(page_object, TranslatableModel) or page_object.has_translation(code),
            }
        )
    return versions


@register.simple_tag
def site_languages():
    """Every language of the site, default first (for pages rendered in all of them, like the error page)."""
    return [site_language(code) for code, _name in settings.LANGUAGES]
