from django import template
from django.utils.safestring import mark_safe

from site_shell.stylesheet import site_stylesheet as read_site_stylesheet

register = template.Library()


@register.simple_tag
def site_stylesheet():
    """The site's stylesheet, for a <style> element: exactly the text whose hash the Content-Security-Policy names
    (a <style> element's text is never unescaped, so it is written as it is)."""
    return mark_safe(read_site_stylesheet().css)  # noqa: S308 - the site's own file
