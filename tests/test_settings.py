"""The settings refuse unsafe production values and pass Django's deployment checks."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
    "RECEIPT_HASH_KEY": "a-long-random-receipt-hash-key-0123456789",
    "ALLOWED_HOSTS": "privacy.velux.be",
    "DATABASE_URL": "sqlite:////tmp/velux-privacy-settings-test.sqlite3",
    # Named, never contacted by `check`: a cache shared by all processes (velux_privacy.W001).
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    # Links in marketing e-mail (consent.W001).
    "PUBLIC_BASE_URL": "https://privacy.velux.be",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Not DJANGO_ALLOW_ASYNC_UNSAFE, which the e2e tests set and no production has; no proxy
    # settings but a test's own.
    unset = {
        *PRODUCTION,
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "BEHIND_TLS_PROXY",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
    }
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "RECEIPT_HASH_KEY"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = _manage("check", **env)

    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("ACCOUNTING_RETENTION_YEARS", "seven", "must be a whole number"),
        ("ALLAUTH_TRUSTED_PROXY_COUNT", "one", "must be a whole number"),
        ("DEBUG", "maybe", "must be true or false"),
        ("SECURE_COOKIES", "sometimes", "must be true or false"),
        ("DATABASE_URL", "nonsense", "is not a valid database URL"),
        ("DATABASE_URL", "mongodb://db.internal/velux", "is not a valid database URL"),
        ("DATABASE_URL", "postgres://db.internal:port/velux", "is not a valid database URL"),
        ("EMAIL_URL", "foo", "is not a valid e-mail URL"),
        ("EMAIL_URL", "smtp://mail.internal:port", "is not a valid e-mail URL"),
        ("CELERY_BROKER_URL", "notaurl", "must be a URL starting with one of redis://"),
        ("CELERY_BROKER_URL", "kafka://queue", "must be a URL starting with one of redis://"),
        ("REDIS_URL", "127.0.0.1:6379", "must be a URL starting with one of redis://"),
        ("REDIS_URL", "memcached://127.0.0.1:11211", "must be a URL starting with one of redis://"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(variable, value, complaint):
    result = _manage("check", **{**PRODUCTION, variable: value})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable} {complaint}" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REDIS_URL", "redis://cache.internal:6379/1"),
        ("REDIS_URL", "rediss://cache.internal:6380/1"),
        ("REDIS_URL", "unix:///run/redis/redis.sock?db=1"),
        ("CELERY_BROKER_URL", "redis://broker.internal:6379/0"),
        ("CELERY_BROKER_URL", "rediss://broker.internal:6380/0"),
        ("CELERY_BROKER_URL", "redis+socket:///run/redis/redis.sock"),
        ("CELERY_BROKER_URL", "sentinel://sentinel.internal:26379"),
        ("CELERY_BROKER_URL", "amqp://guest:guest@broker.internal:5672//"),
        ("CELERY_BROKER_URL", "amqps://guest:guest@broker.internal:5671//"),
        ("CELERY_BROKER_URL", "pyamqp://guest:guest@broker.internal:5672//"),
        ("CELERY_BROKER_URL", "sqs://"),
        ("CELERY_BROKER_URL", "memory://"),
    ],
)
def test_every_supported_cache_and_broker_url_is_accepted(variable, value):
    result = _manage("check", **{**PRODUCTION, variable: value})

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "0"),
        ({"BEHIND_TLS_PROXY": "true"}, "1"),
        ({"BEHIND_TLS_PROXY": "true", "ALLAUTH_TRUSTED_PROXY_COUNT": "2"}, "2"),
        ({"BEHIND_TLS_PROXY": "false", "ALLAUTH_TRUSTED_PROXY_COUNT": "1"}, "1"),
    ],
)
def test_sign_in_rate_limits_key_on_the_client_behind_the_tls_proxy(environment, expected):
    # allauth takes the client address from X-Forwarded-For only past this many proxies;
    # otherwise every client behind the proxy shares its address, and one rate limit.
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from allauth import app_settings; print(app_settings.TRUSTED_PROXY_COUNT)",
        **{**PRODUCTION, **environment},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.parametrize(("value", "expected"), [("Yes", "True"), ("ON", "True"), ("0", "False")])
def test_debug_accepts_the_usual_spellings(value, expected):
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        **{**PRODUCTION, "DEBUG": value},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


SILENT_CACHE_CALL = """
import time
from django.core.cache import cache
from redis.exceptions import TimeoutError
started = time.monotonic()
try:
    cache.set("healthz", "ok")
except TimeoutError:
    print(time.monotonic() - started)
"""


def test_a_redis_that_never_answers_fails_a_cache_call_within_the_health_check_timeout():
    # A socket that accepts connections (the kernel's backlog) and never replies. redis-py's
    # own default (5 s) would outlast the Dockerfile's HEALTHCHECK (urlopen 4 s, Docker 5 s).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]

        result = _manage(
            "shell",
            "--no-imports",
            "-c",
            SILENT_CACHE_CALL,
            REDIS_URL=f"redis://127.0.0.1:{port}/0",
        )

    assert result.returncode == 0, result.stderr
    assert float(result.stdout) < 4


def test_production_values_pass_the_deployment_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr


def test_production_without_a_shared_cache_is_warned_about():
    # Without Redis each worker process keeps its own rate limits, so a sign-in gets five tries
    # per process, not five in all.
    env = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    assert "(velux_privacy.W001)" in result.stderr


def test_production_without_a_public_https_address_is_warned_about():
    # The one-click unsubscribe link of every marketing e-mail is built from it (RFC 8058).
    env = {k: v for k, v in PRODUCTION.items() if k != "PUBLIC_BASE_URL"}

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    assert "(consent.W001)" in result.stderr
