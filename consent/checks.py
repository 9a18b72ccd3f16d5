"""Deployment checks of the consent app's settings."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


def public_base_url_check(**kwargs) -> list[checks.CheckMessage]:
    """consent.W001: the links in marketing e-mails (RFC 8058 one-click unsubscribe) need the
    portal's public https address; the development default points at this machine."""
    url = urlsplit(settings.PUBLIC_BASE_URL)
    if settings.DEBUG or (
        url.scheme == "https" and url.hostname not in (None, "127.0.0.1", "localhost")
    ):
        return []
    return [
        checks.Warning(
            "PUBLIC_BASE_URL is not the portal's public https address.",
            hint="Set PUBLIC_BASE_URL, e.g. https://privacy.velux.be (RFC 8058 needs https).",
            id="consent.W001",
        )
    ]
