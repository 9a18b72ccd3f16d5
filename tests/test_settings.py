"""The settings refuse unsafe production values and pass Django's deployment checks."""

import os
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


def test_a_malformed_number_is_refused_with_a_clear_message():
    result = _manage("check", **PRODUCTION, ACCOUNTING_RETENTION_YEARS="seven")

    assert result.returncode != 0
    assert "ACCOUNTING_RETENTION_YEARS must be a whole number" in result.stderr


def test_production_values_pass_the_deployment_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
