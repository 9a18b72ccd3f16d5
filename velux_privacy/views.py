import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from velux_privacy.celery import app as celery_app

logger = logging.getLogger(__name__)


def _database_up() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _cache_up() -> bool:
    cache.set("healthz", "ok", timeout=10)
    return cache.get("healthz") == "ok"


# Short timeouts on this check's own connection only: workers keep the broker's defaults, as
# a socket timeout there would also cut short their long BRPOP polls. A broker that accepts
# connections but never answers is down within about 1 s, so cache (2 s) and broker together
# stay under the Dockerfile's HEALTHCHECK (urlopen 4 s, Docker 5 s).
_BROKER_CHECK_TRANSPORT_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}


def _broker_up() -> bool:
    with celery_app.connection_for_write(
        transport_options=_BROKER_CHECK_TRANSPORT_OPTIONS,
        connect_timeout=1,  # what AMQP reads instead of the transport options
    ) as broker:
        # No retry: kombu would sleep 2 s before it.
        broker.ensure_connection(max_retries=0, timeout=2)
    return True


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the parts the portal needs: 200 when all are up, 503 naming what is down.

    GET or HEAD (require_safe), so load balancers that probe with HEAD work too.

    The cache and the broker are checked only when configured (REDIS_URL, CELERY_BROKER_URL).
    No login needed; the answer names parts, never their addresses or errors.
    """
    checks = {"database": _database_up}
    if settings.REDIS_URL:
        checks["cache"] = _cache_up
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = _broker_up
    results = {}
    for name, check in checks.items():
        try:
            results[name] = "up" if check() else "down"
        except Exception as error:
            logger.warning("health check %s failed: %s", name, type(error).__name__)
            results[name] = "down"
    healthy = all(state == "up" for state in results.values())
    return JsonResponse(
        {"status": "up" if healthy else "down", "checks": results},
        status=200 if healthy else 503,
    )
