"""GET or HEAD /healthz: the state of the database, and of the cache and broker when configured."""

import pytest
from django.db import OperationalError

from velux_privacy import views

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
