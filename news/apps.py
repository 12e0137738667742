from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NewsConfig(AppConfig):
    name = "news"
    verbose_name = _("News")

    def ready(self):
        from caching import registry

        from . import page_warming  # noqa: F401 - its receivers queue the pages' rendering after a change
        from .publishing import next_change_with_due_drafts_published
        from .roles import ensure_editors_group

        # The news' pages are the same for every visitor without a session (see README.md, "Caching"); they change
        # when a story is saved (models.py calls registry.content_changed()) or when a scheduled story, translation
        # or draft comes out (publishing.py publishes a draft then).
        registry.cache_pages_of(
            "news:list", "news:story", "news:category", "news:year", "news:feed", "news:old_site_story"
        )
        registry.next_change_from(next_change_with_due_drafts_published)
        # After Django has made the permissions (its own post_migrate receiver, from contrib.auth, runs first).
        post_migrate.connect(ensure_editors_group, sender=self, dispatch_uid="news.ensure_editors_group")
