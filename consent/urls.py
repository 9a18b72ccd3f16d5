"""The consent app's addresses outside the language prefix: links in e-mails (one-click
unsubscribe), the cookie banner's endpoints (also for VELUX's other websites) and GPC's
support resource."""

from django.urls import path

from consent import views

urlpatterns = [
    path(".well-known/gpc.json", views.gpc_json, name="gpc_json"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="consent_unsubscribe"),
    path("consent/banner/config/", views.banner_config, name="consent_banner_config"),
    path("consent/banner/choice/", views.banner_choice, name="consent_banner_choice"),
]
