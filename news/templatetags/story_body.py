from django import template
from django.utils.safestring import mark_safe

from news.story_body import clean_story_body

register = template.Library()


@register.filter
def story_body(body):
    """A story body as safe HTML: cleaned again on output, plain text turned into paragraphs."""
    return mark_safe(clean_story_body(body))
