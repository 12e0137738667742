from django.apps import AppConfig


class CachingConfig(AppConfig):
    """The shared page cache, cached fragments, and what the feature apps register with them (registry.py)."""

    name = "caching"

    def ready(self):
        from . import registry

        # The shell's own pages (site_shell/urls.py, ietp_site/urls.py); the feature apps register theirs.
        registry.cache_pages_of("privacy_notice", "sitemap", "sitemap_section", "robots")
