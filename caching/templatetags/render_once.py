"""{% render_once "name" value ... %}…{% endrender_once %}: a part of every page that depends only on the page's
language and the values named (the footer, the header's links), rendered once per process and cached in its memory.

For parts whose values have few variants (a section of the site, the year, the organisation's settings): never a
visitor's or a story's data, which would fill the memory. A new release starts new processes, so new templates and
translations are rendered afresh."""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.template.loader_tags import BlockNode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

rendered = {}


class RenderOnceNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist, name, values):
        self.nodelist, self.name, self.values = nodelist, name, values

    def render(self, context):
        key = (self.name, get_language(), *(repr(value.resolve(context)) for value in self.values))
        if key not in rendered:
            rendered[key] = self.nodelist.render(context)
        return mark_safe(rendered[key])  # noqa: S308 - rendered by the template, escaped already


@register.tag
def render_once(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError('Usage: {% render_once "name" value ... %}…{% endrender_once %}')
    nodelist = parser.parse(("endrender_once",))
    parser.delete_first_token()
    # A block lets a page put its own content in, and a CSRF token is one visitor's: either would be rendered for
    # the first visitor and shown to every later one.
    if refused := nodelist.get_nodes_by_type(BlockNode) or nodelist.get_nodes_by_type(CsrfTokenNode):
        raise template.TemplateSyntaxError(f"{{% render_once %}} cannot hold {type(refused[0]).__name__}")
    return RenderOnceNode(nodelist, bits[1], [parser.compile_filter(bit) for bit in bits[2:]])
