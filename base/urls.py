"""The fixed pages, in every language (see ietp_site/urls.py for what has no language)."""

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("privacy/", TemplateView.as_view(template_name="base/privacy_notice.html"), name="privacy_notice"),
]
