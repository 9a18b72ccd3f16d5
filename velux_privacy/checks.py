"""System checks of production values that Django's own `check --deploy` does not cover."""

from django.conf import settings
from django.core import checks


def cache_shared_check(**kwargs) -> list[checks.CheckMessage]:
    """velux_privacy.W001: without REDIS_URL each process keeps its own cache.

    allauth keeps its limits on failed sign-ins in the cache: per process, an attacker gets
    the limit once for every worker.
    """
    if settings.DEBUG or settings.REDIS_URL:
        return []
    return [
        checks.Warning(
            "The cache is local to each process, and so are the limits on failed sign-ins.",
            hint="Set REDIS_URL to a Redis that every web process shares.",
            id="velux_privacy.W001",
        )
    ]
