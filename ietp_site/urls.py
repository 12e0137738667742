from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from news.urls import legacy_urlpatterns as legacy_news_urlpatterns

from .i18n import i18n_patterns

urlpatterns = [
    path("admin/", admin.site.urls),
]

urlpatterns += i18n_patterns(
    # The news is the home page until the site has one of its own.
    path("", RedirectView.as_view(pattern_name="news:list"), name="home"),
    path("news/", include("news.urls")),
    path("buyer-membership/", include("membership.urls")),
    *legacy_news_urlpatterns,
)
