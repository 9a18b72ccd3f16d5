"""The privacy centre's pages, under /nl/, /fr/, /de/ and /en/ (velux_privacy.urls)."""

from django.urls import path

from centre import views
from centre.rights import RIGHTS

app_name = "centre"

urlpatterns = [
    path("my-data/", views.my_data, name="my_data"),
    path("account/", views.account, name="account"),
    path("privacy-policy/", views.privacy_policy, name="privacy_policy"),
    path("complaint/", views.right, {"key": "complaint"}, name="complaint"),
    path("rights/sent/", views.request_sent, name="request_sent"),
    *(
        path(f"rights/{right.key}/", views.right, {"key": right.key}, name=f"right_{right.key}")
        for right in RIGHTS
        if right.key != "complaint"
    ),
]
