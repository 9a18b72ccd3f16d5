"""The consent app's pages under the language prefix (/nl/consent/, /fr/consent/ …)."""

from django.urls import path

from consent import views

urlpatterns = [
    path("", views.consent_page, name="consent_page"),
    path("receipts/<uuid:receipt_id>.json", views.consent_receipt_download, name="consent_receipt"),
    path("demo/", views.banner_demo, name="consent_demo"),
]
