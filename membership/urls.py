from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "membership"

urlpatterns = [
    path("", views.ApplicationCreateView.as_view(), name="apply"),
    path("thank-you/", views.ThanksView.as_view(), name="thanks"),
    # A repeat application gets the same thank-you page as a first one (it tells nobody who applied before); the
    # page that used to tell it apart leads to the form, for anyone who kept its address.
    path("already-received/", RedirectView.as_view(pattern_name="membership:apply", permanent=True)),
    path("letter/<str:token>/", views.LetterUploadView.as_view(), name="upload_letter"),
]
