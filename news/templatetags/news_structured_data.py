"""A story's and a section's structured data (schema.org JSON-LD), built from the site's pieces (page_meta)."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from site_shell.templatetags.page_meta import breadcrumb_list, json_ld, publisher

register = template.Library()


@register.simple_tag(takes_context=True)
def story_structured_data(context, story, image):
    """A story as schema.org's NewsArticle, with the way back to the news as a BreadcrumbList."""
    request = context["request"]
    page_url = request.build_absolute_uri(story.get_absolute_url())
    published = story.publish_at
    article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "description": story.meta_description,
        "image": [image["url"]],
        "dateModified": timezone.localtime(max(filter(None, [published, story.last_changed_at]))).isoformat(),
        "inLanguage": story.shown_language.html_code,
        "publisher": publisher(request, reverse("news:list")),
        "mainEntityOfPage": {"@type": "WebPage", "@id": page_url},
    }
    if published:
        # The story's date (set when it was first published), never the time of a save: a draft previewed
        # before its first publication has none yet.
        article["datePublished"] = timezone.localtime(published).isoformat()
    crumbs = [(_("News"), reverse("news:list"))]
    if story.shows_category:
        crumbs.append((story.get_category_display(), reverse("news:category", args=[story.category])))
    crumbs.append((story.title, story.get_absolute_url()))
    breadcrumbs = {"@context": "https://schema.org", **breadcrumb_list(request, crumbs)}
    return json_ld([article, breadcrumbs])


@register.simple_tag(takes_context=True)
def section_structured_data(context, section_title):
    """A category or year page as the last step of a BreadcrumbList from the news."""
    request = context["request"]
    crumbs = [(_("News"), reverse("news:list")), (section_title, request.path)]
    return json_ld({"@context": "https://schema.org", **breadcrumb_list(request, crumbs)})
