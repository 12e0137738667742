from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView, TemplateView

from news.sitemaps import StorySitemap
from news.urls import legacy_urlpatterns as legacy_news_urlpatterns
from news.views import StorySearchView
from site_shell.languages import i18n_patterns
from site_shell.sitemaps import FixedPagesSitemap
from site_shell.views import sitemap_index, sitemap_section, wechat_qr_code
from staff_security.admin_site import StaffPasswordResetForm

admin.site.site_header = _("IETP site administration")
admin.site.site_title = _("IETP site administration")
admin.site.index_title = _("Stories and membership applications")

# Rendered without the database or a CSRF check, in the address's language (site_shell/error_pages.py).
handler400 = "site_shell.error_pages.bad_request"
handler500 = "site_shell.error_pages.server_error"
# Django's password reset pages in the admin's look (its templates in registration/), for staff only.
ADMIN_LOOK = {"site_header": admin.site.site_header, "site_title": admin.site.site_title}
admin_password_reset_urlpatterns = [
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=StaffPasswordResetForm, extra_context=ADMIN_LOOK),
        name="admin_password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(extra_context=ADMIN_LOOK),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(extra_context=ADMIN_LOOK),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(extra_context=ADMIN_LOOK),
        name="password_reset_complete",
    ),
]

SITEMAPS = {"pages": FixedPagesSitemap, "stories": StorySitemap}

urlpatterns = [
    # The sitemap index (robots.txt names it), and the pages it lists: the stories' hold 1,000 stories each.
    path("sitemap.xml", sitemap_index, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("sitemap-<slug:section>-<int:page>.xml", sitemap_section, {"sitemaps": SITEMAPS}, name="sitemap_section"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="site_shell/robots.txt", content_type="text/plain"),
        name="robots",
    ),
    # The code's address names its image, so that browsers may keep it for a year; the plain one leads there.
    path("wechat-qr-<slug:version>.svg", wechat_qr_code, name="wechat_qr_code"),
    path("wechat-qr.svg", wechat_qr_code),
]

urlpatterns += i18n_patterns(
    # The news is the home page until the site has one of its own.
    path("", RedirectView.as_view(pattern_name="news:list"), name="home"),
    path("news/", include("news.urls")),
    path("search/", StorySearchView.as_view(), name="search"),
    path("buyer-membership/", include("membership.urls")),
    path("subscribe/", include("subscriptions.urls")),
    path("", include("site_shell.urls")),
    *legacy_news_urlpatterns,
    # /admin/ in English, /zh/admin/ in Chinese, for editors who prefer it (or another path: ADMIN_URL).
    path(settings.ADMIN_URL, include(admin_password_reset_urlpatterns)),
    path(settings.ADMIN_URL, admin.site.urls),
)

# In production the front web server or the object storage serves /media/ (README.md, "Media storage").
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
