from django.urls import path

from . import views

app_name = "subscriptions"
urlpatterns = [
    path("", views.SubscribeView.as_view(), name="subscribe"),
    path("check-your-inbox/", views.RequestedView.as_view(), name="requested"),
    path("confirm/<str:token>/", views.ConfirmView.as_view(), name="confirm"),
    path("preferences/<str:token>/", views.PreferencesView.as_view(), name="preferences"),
    path("leave/<str:token>/", views.LeaveView.as_view(), name="leave"),
]
