"""A story's and a section's structured data (schema.org JSON-LD), built from the site's pieces (page_meta)."""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from news.images import SharePicture
from site_shell.languages import site_language
from site_shell.site_address import absolute_url
from site_shell.templatetags.page_meta import breadcrumb_list, json_ld, publisher

register = template.Library()


@register.simple_tag(takes_context=True)
def story_structured_data(context, story, image):
    """A story as schema.org's NewsArticle, with the way back to the news as a BreadcrumbList."""
    request = context["request"]
    page_url = absolute_url(request, story.get_absolute_url())
    published = story.publish_at
    # The organisation writes the news (no story names its writer): author and publisher alike.
    organisation = publisher(request, reverse("news:list"))
    pictures = SharePicture.for_articles(story.image.storage, story.image_renditions)
    article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "description": story.meta_description,
        "image": [absolute_url(request, picture.url) for picture in pictures] or [image["url"]],
        "dateModified": timezone.localtime(max(filter(None, [published, story.last_changed_at]))).isoformat(),
        "inLanguage": story.shown_language.html_code,
        "author": {key: organisation[key] for key in ("@type", "name", "url")},
        "publisher": organisation,
        "mainEntityOfPage": {"@type": "WebPage", "@id": page_url},
    }
    if story.shows_category:
        article["articleSection"] = story.get_category_display()
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


@register.simple_tag(takes_context=True)
def news_organisation_structured_data(context):
    """The news list's publisher as schema.org's NewsMediaOrganization: its logo, how to reach it, and the
    principles it publishes under (the privacy notice says what it does with readers' and applicants' data)."""
    request = context["request"]
    organisation = {
        "@context": "https://schema.org",
        **publisher(request, reverse("news:list")),
        "@type": "NewsMediaOrganization",
        "publishingPrinciples": absolute_url(request, reverse("privacy_notice")),
    }
    if settings.ORGANISATION_EMAIL:
        organisation["contactPoint"] = {
            "@type": "ContactPoint",
            "contactType": "public engagement",
            "email": settings.ORGANISATION_EMAIL,
            "availableLanguage": [site_language(code).html_code for code, _name in settings.LANGUAGES],
        }
    if settings.ORGANISATION_ADDRESS:
        organisation["address"] = " ".join(settings.ORGANISATION_ADDRESS.split())
    return json_ld(organisation)
