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
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Not DJANGO_ALLOW_ASYNC_UNSAFE, which the e2e tests set and no production has.
    unset = {*PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE"}
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
        ("DEBUG", "maybe", "must be true or false"),
        ("SECURE_COOKIES", "sometimes", "must be true or false"),
        ("DATABASE_URL", "nonsense", "is not a valid database URL"),
        ("DATABASE_URL", "mongodb://db.internal/velux", "is not a valid database URL"),
        ("DATABASE_URL", "postgres://db.internal:port/velux", "is not a valid database URL"),
        ("EMAIL_URL", "foo", "is not a valid e-mail URL"),
        ("EMAIL_URL", "smtp://mail.internal:port", "is not a valid e-mail URL"),
        ("CELERY_BROKER_URL", "notaurl", "must be a URL starting with one of redis://"),
        ("CELERY_BROKER_URL", "sqs://queue", "must be a URL starting with one of redis://"),
        ("REDIS_URL", "127.0.0.1:6379", "must be a URL starting with one of redis://"),
        ("REDIS_URL", "memcached://127.0.0.1:11211", "must be a URL starting with one of redis://"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(variable, value, complaint):
    result = _manage("check", **{**PRODUCTION, variable: value})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable} {complaint}" in result.stderr


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
