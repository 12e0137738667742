from collections import defaultdict
from urllib.parse import quote

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils import translation

from .images import SharePicture
from .models import NewsStory, NewsStoryTranslation, public_translation_condition
from .pagination import StoryPaginator, WrittenOrder

# A slug no story has, standing for the slug in a reversed address.
SLUG_PLACEHOLDER = "slug-placeholder"


class StorySitemap(Sitemap):
    """Each story once per language it is public in, with hreflang alternates, the date that version last
    changed, and its picture. The sitemap index lists its pages of at most 1,000 stories, in the order they were
    written, so that a new story changes only the last page.

    A page reads only what it writes (the stories' pictures; their public versions' languages, slugs and dates),
    without making models of them, and reverses one address per language. Django's i18n sitemap fetched every
    story for every page and reversed an address per story, language and alternate."""

    limit = 1000

    def items(self):
        return NewsStory.objects.published().prefetch_related(None).order_by("pk").values_list("pk", "image_renditions")

    @property
    def paginator(self):
        # A page does not count the stories; the index does, to list the pages.
        return StoryPaginator(self.items(), self.limit, order=WrittenOrder, positions_name="sitemap")

    def get_urls(self, page=1, site=None, protocol=None):
        origin = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        stories = self.paginator.page(page).object_list
        versions = public_translations(stories)
        addresses = story_addresses()
        storage = NewsStory._meta.get_field("image").storage
        urls = []
        for pk, renditions in stories:
            locations = {code: origin + addresses[code](slug) for code, slug, _changed_at in versions[pk]}
            alternates = [{"lang_code": code, "location": location} for code, location in locations.items()]
            # Readers of any other language: the default language's version, else the story's first.
            x_default = locations.get(settings.LANGUAGE_CODE) or next(iter(locations.values()))
            alternates.append({"lang_code": "x-default", "location": x_default})
            picture = SharePicture.from_renditions(storage, renditions)
            # Media may be on another host (S3): its address is then absolute already.
            images = [picture.url if "://" in picture.url else origin + picture.url] if picture else []
            for code, _slug, changed_at in versions[pk]:
                urls.append(
                    {"location": locations[code], "lastmod": changed_at, "alternates": alternates, "images": images}
                )
        # The page's Last-Modified header.
        self.latest_lastmod = max((url["lastmod"] for url in urls), default=None)
        return urls


def public_translations(stories):
    """{story pk: [(language code, slug, changed_at), ...] in the site's language order} for these stories (a page
    in pk order): one query over their range of ids."""
    versions = defaultdict(list)
    if not stories:
        return versions
    in_range = NewsStoryTranslation.objects.filter(
        public_translation_condition(story=None), master__gte=stories[0][0], master__lte=stories[-1][0]
    ).values_list("master", "language_code", "slug", "changed_at")
    order = [code for code, _name in settings.LANGUAGES]
    for master, code, slug, changed_at in sorted(in_range, key=lambda version: order.index(version[1])):
        versions[master].append((code, slug, changed_at))
    return versions


def story_addresses():
    """{language code: the address of a story given its slug, on a page in that language}, each reversed once; the
    slug is quoted as reverse() quotes it."""
    addresses = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            address = reverse("news:story", kwargs={"slug": SLUG_PLACEHOLDER})
        prefix, _placeholder, suffix = address.rpartition(SLUG_PLACEHOLDER)
        # An ASCII slug (letters, digits, hyphens, underscores) needs no quoting: quote() is slow.
        addresses[code] = lambda slug, prefix=prefix, suffix=suffix: (
            prefix + (slug if slug.isascii() else quote(slug)) + suffix
        )
    return addresses
