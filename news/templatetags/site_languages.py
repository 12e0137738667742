from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation

register = template.Library()

HREFLANG = {"en": "en", "zh-hans": "zh-Hans"}
SWITCH_LABELS = {"en": "EN", "zh-hans": "中文"}


@register.simple_tag(takes_context=True)
def language_versions(context):
    """This page in every language, for the language switch and hreflang links.

    A view may give `language_urls` (a story has a slug per language) and
    `translated_languages` (the versions that really exist, for hreflang).
    """
    request = context["request"]
    given_urls = context.get("language_urls") or {}
    translated = context.get("translated_languages")
    current = translation.get_language()
    versions = []
    for code, _name in settings.LANGUAGES:
        url = given_urls.get(code) or translate_url(request.get_full_path(), code)
        versions.append(
            {
                "code": code,
                "hreflang": HREFLANG.get(code, code),
                "label": SWITCH_LABELS.get(code, code),
                "name": translation.get_language_info(code)["name_local"],
                "url": url,
                "absolute_url": request.build_absolute_uri(url),
                "is_current": code == current,
                "exists": translated is None or code in translated,
            }
        )
    return versions
