"""The stylesheet pages hold inline (site_shell/stylesheet.py): site.css as written, less what only its editors read."""

import re

from django.contrib.staticfiles import finders

from site_shell.stylesheet import minified


def test_inline_stylesheet_is_site_css_without_its_comments_and_indentation():
    source = open(finders.find("css/site.css"), encoding="utf-8").read()

    css = minified(source)

    assert "/*" not in css and "\n" not in css and "  " not in css
    assert re.sub(r"\s", "", css) == re.sub(r"\s", "", re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL))
    assert len(css) < 0.85 * len(source)


def test_minifying_keeps_strings_and_the_spaces_selectors_need():
    css = '.card  .title::after { content: "  /* not a comment */ "; }\n/* note */\na , b > c { font: "Segoe UI" }'

    assert minified(css) == '.card .title::after{content: "  /* not a comment */ ";}a,b > c{font: "Segoe UI"}'
