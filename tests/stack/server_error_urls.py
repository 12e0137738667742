"""The site's addresses and /failing/, which raises as a mistake in the code would (server_error_settings.py)."""

from django.urls import path

from ietp_site.urls import handler400, handler500  # noqa: F401 - this module is the URL conf
from ietp_site.urls import urlpatterns as site_urlpatterns


def failing_view(request):
    raise RuntimeError("A mistake in the code")


urlpatterns = [path("failing/", failing_view), *site_urlpatterns]
