from django.urls import path

from . import views

app_name = "membership"

urlpatterns = [
    path("", views.ApplicationCreateView.as_view(), name="apply"),
    path("thank-you/", views.ThanksView.as_view(), name="thanks"),
    path("already-received/", views.AlreadyReceivedView.as_view(), name="already_received"),
    path("letter/<str:token>/", views.LetterUploadView.as_view(), name="upload_letter"),
]
