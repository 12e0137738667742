"""The fixed pages, in every language (see ietp_site/urls.py for what has no language)."""

from django.urls import path

from . import views

urlpatterns = [
    path("privacy/", views.PrivacyNoticeView.as_view(), name="privacy_notice"),
]
