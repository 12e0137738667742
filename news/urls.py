from django.urls import path, re_path, register_converter
from django.views.generic import RedirectView

from . import views
from .feeds import LatestStoriesFeed

app_name = "news"


class StorySlugConverter:
    """Letters (Chinese too), digits, hyphens and underscores; anything else is a 404."""

    regex = r"[-\w]{1,200}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(StorySlugConverter, "story_slug")

urlpatterns = [
    path("", views.StoryListView.as_view(), name="list"),
    path("feed/", LatestStoriesFeed(), name="feed"),
    path("documents/<int:pk>/<str:filename>", views.document_download, name="document"),
    path("preview/<str:token>/", views.StoryPreviewView.as_view(), name="preview"),
    path("category/<slug:category>/", views.CategoryStoryListView.as_view(), name="category"),
    # Before the stories: a four-digit address is a year, unless a story has that slug (the view checks).
    re_path(r"^(?P<year>[0-9]{4})/$", views.YearStoryListView.as_view(), name="year"),
    path("<story_slug:slug>/", views.StoryDetailView.as_view(), name="story"),
    path("<story_slug:slug>/qr.svg", views.StoryShareQrCodeView.as_view(), name="share_qr"),
]

# The old site builder's addresses, so links already shared keep working.
legacy_urlpatterns = [
    # Named, so that its 404 page can link to itself in the other language.
    re_path(r"^news-events/(?P<slug>[-\w]{1,200})/?$", views.OldSiteStoryRedirectView.as_view(), name="old_site_story"),
    re_path(r"^news-events-blogs/news/?$", RedirectView.as_view(pattern_name="news:list", permanent=True)),
]
