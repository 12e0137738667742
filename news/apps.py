from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsConfig(AppConfig):
    name = "news"
    verbose_name = _("News")

    def ready(self):
        from caching import registry

        from .publishing import next_change_with_due_drafts_published

        # The news' pages are the same for every visitor without a session (see README.md, "Caching"); they change
        # when a story is saved (models.py calls registry.content_changed()) or when a scheduled story, translation
        # or draft comes out (publishing.py publishes a draft then).
        registry.cache_pages_of(
            "news:list", "news:story", "news:category", "news:year", "news:feed", "news:old_site_story"
        )
        registry.next_change_from(next_change_with_due_drafts_published)
