"""GET or HEAD /healthz: the state of the database, and of the cache and broker when configured."""

import socketserver
import threading
import time

import pytest
from django.db import OperationalError

from velux_privacy import views
from velux_privacy.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_health_is_up_without_a_login(client, settings):
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "up", "checks": {"database": "up"}}
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_database_that_is_down_answers_503_naming_it(client, settings, monkeypatch):
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def unreachable():
        raise OperationalError("connection to server at 10.0.0.5 failed: secret detail")

    monkeypatch.setattr(views, "_database_up", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "down", "checks": {"database": "down"}}
    assert b"10.0.0.5" not in response.content
    assert b"secret" not in response.content


def test_configured_cache_and_broker_are_checked_and_named_when_down(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://cache.invalid:6379/1"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(views, "_cache_up", lambda: False)

    def broker_refuses():
        raise ConnectionRefusedError

    monkeypatch.setattr(views, "_broker_up", broker_refuses)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "up", "cache": "down", "broker": "down"}
    assert b"cache.invalid" not in response.content


class _SilentHandler(socketserver.BaseRequestHandler):
    def handle(self):
        # Hold the connection open and answer nothing; let go after 10 s so that a client
        # without timeouts fails this test instead of hanging the suite.
        self.server.stopped.wait(timeout=10)


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never replies: a hung Redis."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SilentHandler)
    server.daemon_threads = True
    server.stopped = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.stopped.set()
    server.shutdown()
    server.server_close()


def test_a_redis_that_never_answers_is_down_before_the_docker_check_gives_up(
    client, settings, monkeypatch, silent_server
):
    # Cache and broker both on the hung Redis. Docker's HEALTHCHECK gives up at 5 s (urlopen at
    # 4 s); gunicorn would kill the worker at 30 s.
    settings.REDIS_URL = f"redis://{silent_server}/1"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},  # as settings.py
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Celery's conf prefers the environment's CELERY_BROKER_URL to its own broker_url.
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://{silent_server}/0")
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://{silent_server}/0")

    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "up", "cache": "down", "broker": "down"}
    assert elapsed < 4


def test_health_reveals_no_configuration(client):
    body = client.get("/healthz").content.decode()

    for secret in ("sqlite", "postgres", "redis://", "127.0.0.1", "SECRET"):
        assert secret not in body


def test_health_answers_head_like_get_without_a_body(client, settings):
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.head("/healthz")

    assert response.status_code == 200
    assert response.content == b""


def test_health_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.broker
def test_real_cache_and_broker_are_up(client, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "up", "cache": "up", "broker": "up"}
