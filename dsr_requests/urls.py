"""The person's pages of rights requests (under the language prefix: /nl/requests/…)."""

from django.urls import path

from dsr_requests import views

app_name = "dsr_requests"

urlpatterns = [
    path("", views.my_requests, name="my_requests"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("export/<str:token>/", views.export_download, name="export_download"),
    path("recipient-notice/<str:token>/", views.recipient_notice, name="recipient_notice"),
    path("follow/<str:token>/", views.follow, name="follow"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/withdraw/", views.withdraw, name="withdraw"),
]
