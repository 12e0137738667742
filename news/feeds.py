from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import translation
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
        # Only the stories written in the feed's language. RSS has one language per channel (<language>), and
        # readers show, sort and translate items by it; a fallback item would also link to a page that is not
        # indexed (its canonical is the other language's page). The lists still show such stories, labelled;
        # a reader of both languages subscribes to both feeds.
        return NewsStory.objects.published_in(translation.get_language()).for_list()[:20]

    def item_title(self, story):
        return story.title

    def item_description(self, story):
        # The whole summary as editors wrote it; without one, the start of the story.
        return story.summary or story.meta_description

    def item_pubdate(self, story):
        # Every story is dated when first published (models.date_the_story_when_first_published); a story that
        # somehow is not still gets a date feed readers can sort by: when its version last changed.
        return story.publish_at or story.last_changed_at

    def item_updateddate(self, story):
        return story.last_changed_at

    def item_enclosures(self, story):
        """The story's link-card picture, which feed readers show with the item."""
        picture = story.share_picture
        if picture is None:
            return []
        size = story.image_renditions.get("share", {}).get("bytes") or story.image.storage.size(picture.path)
        return [Enclosure(absolute_url(self.request, picture.url), str(size), "image/jpeg")]
