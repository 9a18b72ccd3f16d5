"""The consent API's addresses (under /api/consent/)."""

from django.urls import path

from consent import api

urlpatterns = [
    path("me/", api.MyConsentsView.as_view(), name="api_consent_me"),
    path(
        "subjects/<int:subject_id>/contact-decision/",
        api.ContactDecisionView.as_view(),
        name="api_consent_contact_decision",
    ),
]
