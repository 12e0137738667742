"""{% drawn_once "name" value ... %}…{% enddrawn_once %}: a part of every page that depends only on the page's
language and the values named (the footer, the header's links), drawn once per process and kept in its memory.

For parts whose values have few variants (a section of the site, the year, the organisation's settings): never a
visitor's or a story's data, which would fill the memory. A new release starts new processes, so new templates and
translations are drawn afresh."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

drawn = {}


class DrawnOnceNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist, name, values):
        self.nodelist, self.name, self.values = nodelist, name, values

    def render(self, context):
        key = (self.name, get_language(), *(repr(value.resolve(context)) for value in self.values))
        if key not in drawn:
            drawn[key] = self.nodelist.render(context)
        return mark_safe(drawn[key])  # noqa: S308 - rendered by the template, escaped already


@register.tag
def drawn_once(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError('Usage: {% drawn_once "name" value ... %}…{% enddrawn_once %}')
    nodelist = parser.parse(("enddrawn_once",))
    parser.delete_first_token()
    return DrawnOnceNode(nodelist, bits[1], [parser.compile_filter(bit) for bit in bits[2:]])
