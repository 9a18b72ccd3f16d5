"""The portal's URLs and one view that fails: for the test of the 500 page."""

from django.urls import path

from velux_privacy.urls import urlpatterns as portal_urlpatterns


def failing_view(request):
    raise RuntimeError("the database went away")


urlpatterns = [*portal_urlpatterns, path("fail/", failing_view)]
