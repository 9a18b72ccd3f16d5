"""The person's pages of rights requests (under the language prefix: /nl/requests/…)."""

from django.urls import path

from dsr_requests import views

app_name = "dsr_requests"

urlpatterns = [
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("export/<str:token>/", views.export_download, name="export_download"),
    path("recipient-notice/<str:token>/", views.recipient_notice, name="recipient_notice"),
]
