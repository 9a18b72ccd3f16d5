"""The portal's URLs and a bare view, for bench/pages.py only: the floor a page is measured
against, served by the same gunicorn through the same middleware (session, login, locale,
CSRF, CSP), doing nothing else."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from velux_privacy.urls import urlpatterns as portal_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("bare", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *portal_urlpatterns]
