from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Enclosure
from django.utils.translation import gettext_lazy as _

from site_shell.site_address import absolute_url

from .models import NewsStory


class LatestStoriesFeed(Feed):
    title = _("ICTI Ethical Toy Program news")
    description = _("News from the ICTI Ethical Toy Program (IETP) and its Ethical Supply Chain Program (ESCP).")

    def __call__(self, request, *args, **kwargs):
        self.request = request  # for absolute addresses
        return super().__call__(request, *args, **kwargs)

    # Every address absolute on SITE_URL: Django would otherwise put the request's Host in front of a path.
    def link(self):
        return absolute_url(self.request, reverse("news:list"))

    def feed_url(self):
        return absolute_url(self.request, self.request.path)

    def item_link(self, story):
        return absolute_url(self.request, story.get_absolute_url())

    def items(self):
        return NewsStory.objects.published().for_list()[:20]

    def item_title(self, story):
        return story.title

    def item_description(self, story):
        # The whole summary as editors wrote it; without one, the start of the story.
        return story.summary or story.meta_description

    def item_pubdate(self, story):
        return story.publish_at

    def item_updateddate(self, story):
        return story.last_changed_at

    def item_enclosures(self, story):
        """The story's link-card picture, which feed readers show with the item."""
        picture = story.share_picture
        if picture is None:
            return []
        size = story.image_renditions.get("share", {}).get("bytes") or story.image.storage.size(picture.path)
        return [Enclosure(absolute_url(self.request, picture.url), str(size), "image/jpeg")]
